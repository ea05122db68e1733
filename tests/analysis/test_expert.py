"""Comparisons of a unit with its parent, similar units, the region, last year."""

from __future__ import annotations

import pytest
from tinyregion import add_results, add_schools

from cyclolib.analysis import expert


def test_comparison_by_hand(con):
    add_schools(
        con,
        {"a": ("m1", 1.0, True), "b": ("m1", 2.0, True), "c": ("m2", 3.0, False)},
    )
    # 2021: a has scores 10 (mark 3) x2, b 16 (5) x2, c 4 (2) x4; 2020: a 8 (3) x2.
    rows = [(2021, "ma", 5, "a", 10.0, 3, None)] * 2
    rows += [(2021, "ma", 5, "b", 16.0, 5, None)] * 2
    rows += [(2021, "ma", 5, "c", 4.0, 2, None)] * 4
    rows += [(2020, "ma", 5, "a", 8.0, 3, None)] * 2
    add_results(con, rows)
    table, how = expert.comparison(
        con,
        year=2021,
        level="school",
        unit_id="a",
        school_ids=["a"],
        parent_school_ids=["a", "b"],
    )
    t = table.set_index("group")
    # Unit: 50 %; parent (a, b): (50*2 + 80*2) / 4 = 65 %, success 100, quality 50;
    # region: (100 + 160 + 4*20) / 8 = 42.5 %, quality 2/8 = 25 %; last year 40 %.
    assert t.loc["Единица", "mean_pct"] == pytest.approx(50.0)
    assert t.loc["Вышестоящая территория", "mean_pct"] == pytest.approx(65.0)
    assert t.loc["Вышестоящая территория", "quality_pct"] == pytest.approx(50.0)
    assert t.loc["Регион", "mean_pct"] == pytest.approx(42.5)
    assert t.loc["Регион", "quality_pct"] == pytest.approx(25.0)
    assert t.loc["Регион", "diff_mean_pct"] == pytest.approx(7.5)
    assert t.loc["Единица, прошлый год", "mean_pct"] == pytest.approx(40.0)
    # Social indices 1, 2, 3 fall in three groups: a has no similar school.
    assert "Похожие единицы" not in t.index
    assert how == "школы того же кластера: город, социальный индекс: низкий"

    similar, how = expert.similar_schools(
        con, level="municipality", unit_id="m1", school_ids=["a", "b"]
    )
    # m1 has no rural school (0 %), m2 only rural ones (100 %): nothing similar.
    assert similar == []
