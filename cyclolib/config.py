"""Where things live: the project root, parameters, the database, reports."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
PARAMS_DIR = Path(os.environ.get("CYCLO_PARAMS", ROOT / "params"))
DATA_DIR = ROOT / "data"
REPORTS_DIR = ROOT / "reports"
#: Private reports (small groups, participant codes) never share a folder with
#: the public ones, so that publishing ``reports/`` cannot leak them.
PRIVATE_REPORTS_DIR = ROOT / "reports-private"
NOTEBOOKS_DIR = ROOT / "notebooks"
SHARED_DATA_DIR = ROOT.parent / "shared" / "data"

DB_ENV = "CYCLO_DB"


def default_db_path() -> Path:
    """The database file: ``$CYCLO_DB`` when set, else ``data/cyclo.duckdb``."""
    env = os.environ.get(DB_ENV)
    return Path(env) if env else DATA_DIR / "cyclo.duckdb"


def reports_root(public: bool = True) -> Path:
    """The default folder of public or of private reports."""
    return REPORTS_DIR if public else PRIVATE_REPORTS_DIR


#: Russian names of the levels of management, as a reader sees them.
LEVEL_NAMES = {
    "region": "регион",
    "municipality": "муниципалитет",
    "school": "школа",
    "class": "класс",
}


@lru_cache(maxsize=64)
def _read_yaml(path: str, mtime_ns: int, size: int) -> Any:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_params(name: str, *, params_dir: Path | None = None) -> Any:
    """Read ``params/<name>.yaml`` (cached until the file changes; the result
    must not be mutated)."""
    path = Path(params_dir or PARAMS_DIR) / f"{name}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"Нет файла параметров {path}")
    stat = path.stat()
    return _read_yaml(str(path), stat.st_mtime_ns, stat.st_size)


def settings() -> dict[str, Any]:
    """General settings: minimum group sizes, reference levels and the like."""
    return load_params("settings")


def params_with(
    name: str, overrides: dict[str, Any] | None, *, what: str
) -> dict[str, Any]:
    """``params/<name>.yaml`` with some top-level keys replaced by ``overrides``.

    ``what`` names the parameters in the error message, in Russian genitive
    («рейтинга»). An unknown key raises ``ValueError`` listing the allowed ones.
    """
    params = dict(load_params(name))
    for key, value in (overrides or {}).items():
        if key not in params:
            raise ValueError(
                f"Неизвестный параметр {what} «{key}»: допустимы "
                f"{', '.join(sorted(params))}"
            )
        params[key] = value
    return params


def study_name(code: str) -> str:
    """The short Russian name of a study (params/studies.yaml), else the code."""
    names = {s["id"]: s["name"] for s in load_params("studies")["studies"]}
    return names.get(code, code)


def subject_name(code: str) -> str:
    """The Russian name of a subject (params/subjects.yaml), else the code."""
    return load_params("subjects").get(code, code)
