"""The expert's written conclusions, kept per unit and year for the reports.

An expert writes conclusions in JupyterLab, or for the batch reports in
``data/conclusions/<year>/<unit_id>.yaml`` (another folder when
``$CYCLO_CONCLUSIONS`` is set): one entry per section of notebook 05, in
Russian. The reports show each entry under its heading.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import yaml

from ..config import DATA_DIR

log = logging.getLogger(__name__)

__all__ = ["SECTIONS", "conclusions_dir", "conclusions_path", "load_conclusions"]

#: Environment variable naming the folder of conclusions.
CONCLUSIONS_ENV = "CYCLO_CONCLUSIONS"

#: Section key -> the heading it belongs to.
SECTIONS: dict[str, str] = {
    "comparisons": "сравнения",
    "distributions": "распределения",
    "objectivity": "признаки необъективности",
    "context": "контекст и добавленная ценность",
    "low_results": "школы с низкими результатами",
    "summary": "общий вывод",
}


def conclusions_dir() -> Path:
    """The folder of conclusions: ``$CYCLO_CONCLUSIONS`` or ``data/conclusions``."""
    env = os.environ.get(CONCLUSIONS_ENV)
    return Path(env) if env else DATA_DIR / "conclusions"


def conclusions_path(year: int, unit_id: str, *, folder: Path | None = None) -> Path:
    """Where the conclusions of a unit and year are kept."""
    return Path(folder or conclusions_dir()) / str(year) / f"{unit_id}.yaml"


def load_conclusions(
    year: int, unit_id: str, *, folder: Path | None = None
) -> dict[str, str]:
    """The conclusions of a unit and year: section key -> text ({} when none).

    Raises
    ------
    ValueError
        When the file is not a mapping of known sections to texts; the message
        names the file and the allowed sections.
    """
    path = conclusions_path(year, unit_id, folder=folder)
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    bad = [k for k in data if k not in SECTIONS] if isinstance(data, dict) else [data]
    if bad:
        raise ValueError(
            f"{path}: неизвестный раздел выводов «{bad[0]}»; допустимы "
            f"{', '.join(SECTIONS)}"
        )
    return {k: str(v).strip() for k, v in data.items() if v}
