"""The notebook tests share the small database of tests/reports."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "reports"))

import report_db  # noqa: E402


@pytest.fixture(scope="session")
def nb_db(tmp_path_factory) -> Path:
    """A small database (see tests/reports/report_db.py)."""
    return report_db.build(tmp_path_factory.mktemp("nbdb") / "small.duckdb")


@pytest.fixture(scope="session")
def synth_db(tmp_path_factory) -> Path:
    """A small synthetic region (two years, eight schools) loaded by the loaders."""
    from cyclolib import db
    from cyclolib.loaders import load_paths
    from cyclolib.synth import make_region

    folder = tmp_path_factory.mktemp("synth")
    files = make_region(
        seed=1,
        schools=8,
        municipalities=2,
        years=[2023, 2024],
        out_dir=folder / "files",
        fmt="csv",
    )
    path = folder / "synth.duckdb"
    con = db.connect(path)
    try:
        load_paths(con, [files])
    finally:
        con.close()
    return path


@pytest.fixture(scope="session")
def cycled_synth_db(synth_db, tmp_path_factory) -> Path:
    """The synthetic region with its register of decisions and indicator values.

    A copy of ``synth_db`` taken through the cycle as ``cyclo demo`` does, so
    that every stage notebook has something to show.
    """
    import shutil

    from cyclolib import db
    from cyclolib.decisions import load_register
    from cyclolib.indicators import compute

    path = tmp_path_factory.mktemp("cycled") / "synth.duckdb"
    shutil.copy(synth_db, path)
    con = db.connect(path)
    try:
        load_register(con, synth_db.parent / "files" / "decisions.csv")
        compute(con)
    finally:
        con.close()
    return path
