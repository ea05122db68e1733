"""Fixtures of the report tests: a small hand-made database and a run helper."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import report_db  # noqa: E402

from cyclolib.reports import runner  # noqa: E402

DATE = "2024-06-01"


@pytest.fixture(scope="session")
def small_db(tmp_path_factory) -> Path:
    """The database of ``report_db``: a region, two municipalities, five schools."""
    return report_db.build(tmp_path_factory.mktemp("db") / "small.duckdb")


@pytest.fixture
def make_reports(small_db, tmp_path):
    """Plan and run a batch into ``tmp_path/reports``; returns the batch."""

    def make(**kws):
        kws.setdefault("db", small_db)
        kws.setdefault("out", tmp_path / "reports")
        kws.setdefault("report_date", DATE)
        workers = kws.pop("workers", 1)
        scheduler = kws.pop("scheduler", None)
        batch = runner.plan(**kws)
        return runner.run(batch, workers=workers, scheduler=scheduler)

    return make
