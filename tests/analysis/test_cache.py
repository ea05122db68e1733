"""The file cache of region-wide tables."""

from __future__ import annotations

import pandas as pd
from tinyregion import add_results, add_schools

from cyclolib import db
from cyclolib.analysis import cache


def test_cached_tables_are_reused_until_the_database_changes(tmp_path):
    path = tmp_path / "c.duckdb"
    con = db.connect(path)
    add_schools(con, {"a": ("m1", 0.0, True)})
    con.close()
    calls = []

    def compute():
        calls.append(1)
        return pd.DataFrame({"x": [1.5, 2.5], "flag": [True, False], "s": ["а", "б"]})

    con = db.connect(path, read_only=True)
    first = cache.cached(con, "demo", {"year": 2021}, compute)
    again = cache.cached(con, "demo", {"year": 2021}, compute)
    other = cache.cached(con, "demo", {"year": 2022}, compute)
    con.close()
    assert len(calls) == 2
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first, other)
    assert (
        cache.cache_dir(db.connect(path, read_only=True))
        == tmp_path / "c.duckdb.analysis"
    )

    # A change of the database file invalidates the cache.
    con = db.connect(path)
    add_results(con, [(2021, "ma", 5, "a", 10.0, 3, None)])
    con.close()
    con = db.connect(path, read_only=True)
    cache.cached(con, "demo", {"year": 2021}, compute)
    assert len(calls) == 3


def test_memory_database_is_never_cached():
    con = db.connect(":memory:")
    calls = []
    for _ in range(2):
        cache.cached(con, "demo", {}, lambda: calls.append(1) or pd.DataFrame())
    assert len(calls) == 2
