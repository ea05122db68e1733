"""Fixtures shared by every test module."""

from __future__ import annotations

from pathlib import Path

import pytest

from cyclolib import db
from cyclolib.config import SHARED_DATA_DIR

VPR_DIR = SHARED_DATA_DIR / "vpr-altai"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real ВПР exports of ../shared/data; skip (saying why) where absent."""
    if not VPR_DIR.is_dir():
        pytest.skip(f"нет реальных данных: каталог {VPR_DIR} не найден")
    return SHARED_DATA_DIR


@pytest.fixture
def con(tmp_path):
    """A fresh, empty database file in a temporary folder."""
    connection = db.connect(tmp_path / "test.duckdb")
    yield connection
    connection.close()
