"""cyclo: analytics for the annual cycle of using student assessment results.

The package is organised by the stages of the cycle: ``loaders`` and ``db``
(stage 3, collecting results), ``indicators`` (stages 2 and 4), the analyses of
stages 5 to 8, and ``reports`` (the batch runner of the notebook suite).
"""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
