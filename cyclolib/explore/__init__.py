"""Interactive exploration of results: drill-down, tasks, distributions, comparison.

:class:`Explorer` reads one year of a database once and answers any selection
(a territory, a school or a class and a form) from pre-aggregated sums;
:mod:`~cyclolib.explore.figures` draws its tables; :func:`panel` wires both to
JupyterLab widgets, or shows the static view of the chosen parameters when the
notebook runs in a batch.
"""

from .core import (
    LEVEL_NAMES,
    LEVELS,
    STATUS_NAMES,
    ExploreError,
    Explorer,
    Selection,
    mark_thresholds,
    task_statuses,
)
from .panel import Panel, StaticView, is_interactive, panel, show_static
from .tables import labelled, save_tables

__all__ = [
    "LEVELS",
    "LEVEL_NAMES",
    "STATUS_NAMES",
    "ExploreError",
    "Explorer",
    "Selection",
    "mark_thresholds",
    "task_statuses",
    "Panel",
    "StaticView",
    "is_interactive",
    "panel",
    "show_static",
    "labelled",
    "save_tables",
]
