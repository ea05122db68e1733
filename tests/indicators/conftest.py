"""The real files loaded and computed once for the real-data indicator tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cyclolib import db

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from realdb import build_real_db  # noqa: E402


@pytest.fixture(scope="session")
def real_computed(shared_data, tmp_path_factory) -> Path:
    """A database of every real file with every approved indicator computed."""
    from cyclolib.indicators import compute

    path = tmp_path_factory.mktemp("realvalues") / "real.duckdb"
    build_real_db(path)
    con = db.connect(path)
    try:
        compute(con)
    finally:
        con.close()
    return path


@pytest.fixture(scope="session")
def real_values_con(real_computed):
    """A read-only connection to :func:`real_computed`."""
    con = db.connect(real_computed, read_only=True)
    yield con
    con.close()
