"""The real files loaded once per session into a temporary database."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cyclolib import db

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from realdb import build_real_db  # noqa: E402


@pytest.fixture(scope="session")
def real_load(shared_data, tmp_path_factory):
    """The report and database path of every real file loaded once."""
    path = tmp_path_factory.mktemp("realdb") / "real.duckdb"
    report = build_real_db(path)
    return report, path


@pytest.fixture(scope="session")
def real_con(real_load):
    """A read-only connection to the real database."""
    con = db.connect(real_load[1], read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def real_report(real_load):
    return real_load[0]
