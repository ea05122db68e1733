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
