"""Indicators: the catalogue (stage 2) and the values of every unit (stage 4).

``load_catalogue()`` reads ``params/indicators.yaml``; the formulas of
:mod:`.formulas` compute indicators from a frame of students' results;
``compute(con)`` computes and stores every approved indicator for every unit
of the database, and ``values(con, ...)`` reads the stored values back.
"""

from .catalogue import Catalogue, CatalogueError, Indicator, load_catalogue
from .compute import (
    EXPORT_COLUMNS,
    LEVELS,
    compute,
    compute_values,
    params_version,
    store_values,
    values,
)
from .formulas import (
    code_completion,
    code_status,
    dynamics,
    ege_results,
    equity,
    journal_agreement,
    marks,
    participation,
    score_distribution,
    scores,
    task_completion,
    task_status,
)

__all__ = [
    "Catalogue",
    "CatalogueError",
    "Indicator",
    "load_catalogue",
    "EXPORT_COLUMNS",
    "LEVELS",
    "compute",
    "compute_values",
    "params_version",
    "store_values",
    "values",
    "code_completion",
    "code_status",
    "dynamics",
    "ege_results",
    "equity",
    "journal_agreement",
    "marks",
    "participation",
    "score_distribution",
    "scores",
    "task_completion",
    "task_status",
]
