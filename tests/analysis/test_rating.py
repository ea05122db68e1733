"""Ratings: scores by hand, rank intervals against the analytic standard error."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tinyregion import add_results, add_schools, mark_of

from cyclolib.analysis import rating as rt

ONLY_MEAN = {"indicators": {"mean_score_pct": {"weight": 1, "better": "higher"}}}


def _schools(con, scores: dict[str, list[float]], journal=None):
    add_schools(con, {s: (f"m{s}", 0.0, True) for s in scores})
    rows = [
        (2021, "ma", 5, s, float(x), mark_of(x), (journal or {}).get(s))
        for s, xs in scores.items()
        for x in xs
    ]
    add_results(con, rows)


def test_score_and_rank_by_hand(con):
    # Means 25 %, 50 %, 75 % of the maximum (scores 5, 10, 15 of 20).
    _schools(con, {"a": [5] * 12, "b": [10] * 12, "c": [15] * 12})
    got = rt.rating(con, year=2021, level="school", params=ONLY_MEAN)
    # z = (x - 50) / sd with sd (ddof 0) of 25, 50, 75 = 20.412: 1.2247, 0, -1.2247
    sd = math.sqrt((25**2 + 0 + 25**2) / 3)
    assert got["unit_id"].tolist() == ["c", "b", "a"]
    assert got["score"].tolist() == pytest.approx([25 / sd, 0.0, -25 / sd])
    assert got["rank"].tolist() == [1, 2, 3]
    # No spread within a school: the bootstrap cannot move anything.
    assert got["rank_low"].tolist() == [1, 2, 3]
    assert got["rank_high"].tolist() == [1, 2, 3]
    assert got["tier"].tolist() == ["top", "middle", "bottom"]


def test_weights_and_direction_by_hand(con):
    _schools(
        con,
        {"a": [5] * 10, "b": [10] * 10, "c": [15] * 10},
        journal={"a": 2, "b": 5, "c": 5},
    )
    params = {
        "indicators": {
            "mean_score_pct": {"weight": 3, "better": "higher"},
            "journal_diff2_pct": {"weight": 1, "better": "lower"},
        }
    }
    got = rt.rating(con, year=2021, level="school", params=params)
    got = got.set_index("unit_id")
    # mean: 25/50/75 -> z = -1.2247, 0, 1.2247; marks 2, 3, 5 against journals
    # 2, 5, 5: diff2 = 0, 100, 0 % -> mean 33.3, sd 47.14, z = -0.7071,
    # 1.4142, -0.7071, sign reversed (lower is better).
    zm = 25 / math.sqrt(1250 / 3)
    zd = [-1 / math.sqrt(2), math.sqrt(2), -1 / math.sqrt(2)]
    expect = {
        "a": (3 * -zm - zd[0]) / 4,
        "b": (0 - zd[1]) / 4,
        "c": (3 * zm - zd[2]) / 4,
    }
    assert got["score"].to_dict() == pytest.approx(expect)
    assert got.loc["b", "journal_diff2_pct"] == 100.0


def test_bootstrap_interval_matches_standard_error(con):
    # One indicator: S = (x - m) / d, so the score's standard error is
    # s / sqrt(n) / d; a 95 % bootstrap interval is about ±1.96 of it.
    rng = np.random.default_rng(1)
    scores = {u: list(rng.integers(0, 21, 60)) for u in "abcdef"}
    _schools(con, scores)
    got = rt.rating(
        con, year=2021, level="school", params={**ONLY_MEAN, "bootstrap": 3000}
    )
    pct = {u: np.array(v) / 20 * 100 for u, v in scores.items()}
    means = np.array([v.mean() for v in pct.values()])
    d = means.std()
    for _, row in got.iterrows():
        x = pct[row["unit_id"]]
        se = x.std() / math.sqrt(len(x)) / d
        width = row["score_high"] - row["score_low"]
        assert width == pytest.approx(2 * 1.959964 * se, rel=0.12)
        assert row["rank_low"] <= row["rank"] <= row["rank_high"]


def test_small_units_are_unranked_and_method_is_printed(con):
    _schools(con, {"a": [5] * 12, "b": [10] * 12, "c": [15] * 3})
    got = rt.rating(con, year=2021, level="school", params=ONLY_MEAN)
    assert got["unit_id"].tolist() == ["b", "a", "c"]
    assert got["tier"].tolist()[-1] == "unranked"
    assert got["rank"].isna().tolist() == [False, False, True]
    text = rt.rating_method(ONLY_MEAN, level="school")
    assert text.splitlines()[:3] == [
        "Рейтинг: школы; результаты ВПР по предметам: Русский язык, Математика.",
        "Показатели и веса:",
        "  - средний процент выполнения: вес 1.00 (больше — лучше)",
    ]


def test_bad_indicator_is_named():
    with pytest.raises(ValueError) as err:
        rt.rating_method({"indicators": {"median": {"weight": 1, "better": "higher"}}})
    assert str(err.value) == (
        "Показатель рейтинга «median» не поддерживается (params/weights.yaml): "
        "допустимы mean_score_pct, quality_pct, success_pct, sou_pct, mark_2_pct, "
        "journal_diff2_pct"
    )


def test_rating_indicators_are_in_the_catalogue():
    # Reference: the indicator catalogue of params/indicators.yaml (stage 2).
    from cyclolib.config import load_params

    ids = {entry["id"] for entry in load_params("indicators")["indicators"]}
    assert set(rt.INDICATORS) <= ids
    assert set(load_params("weights")["indicators"]) <= ids


def test_default_rating_uses_approved_indicators_only():
    # Reference: the statuses of params/indicators.yaml; stage 6 rates by the
    # approved system of indicators, never by a candidate under review.
    from cyclolib.config import load_params
    from cyclolib.indicators.catalogue import load_catalogue

    approved = load_catalogue().ids(approved_only=True)
    assert set(load_params("weights")["indicators"]) <= approved


@pytest.fixture
def diff2_under_review(monkeypatch, tmp_path):
    """The catalogue of params/ with journal_diff2_pct sent back for review.

    Every indicator a rating can compute is approved in params/indicators.yaml;
    the marking of an unapproved one is tested on a copy that holds one.
    """
    import yaml

    from cyclolib.config import PARAMS_DIR
    from cyclolib.indicators import catalogue

    with open(PARAMS_DIR / "indicators.yaml", encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    for entry in data["indicators"]:
        if entry["id"] == "journal_diff2_pct":
            entry["status"] = "review"
            entry.pop("act", None)
    path = tmp_path / "indicators.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    real = catalogue.load_catalogue
    monkeypatch.setattr(catalogue, "load_catalogue", lambda p=None: real(p or path))
    statuses = {i.id: i.status for i in catalogue.load_catalogue()}
    assert statuses["journal_diff2_pct"] == "review"
    assert statuses["mean_score_pct"] == "approved"


def test_unapproved_indicators_are_marked_in_the_method(diff2_under_review):
    params = {
        "indicators": {
            "mean_score_pct": {"weight": 3, "better": "higher"},
            "journal_diff2_pct": {"weight": 1, "better": "lower"},
        }
    }
    lines = rt.rating_method(params, level="school").splitlines()
    assert lines[2:4] == [
        "  - средний процент выполнения: вес 0.75 (больше — лучше)",
        "  - доля расхождений с отметкой по журналу на 2 и более, %: вес 0.25 "
        "(меньше — лучше) (не утверждён: на экспертизе)",
    ]
    # The default weights hold approved indicators only: nothing is marked
    assert "не утверждён" not in rt.rating_method()


def test_rating_warns_of_an_unapproved_indicator(con, caplog, diff2_under_review):
    _schools(con, {"a": [5] * 12, "b": [10] * 12}, journal={"a": 2, "b": 5})
    params = {
        "indicators": {
            "mean_score_pct": {"weight": 1, "better": "higher"},
            "journal_diff2_pct": {"weight": 1, "better": "lower"},
        }
    }
    with caplog.at_level("WARNING", logger="cyclolib.analysis.rating"):
        rt.rating(con, year=2021, level="school", params=params)
    assert [r.getMessage() for r in caplog.records] == [
        "Показатель рейтинга «journal_diff2_pct» не утверждён в каталоге "
        "показателей (статус: на экспертизе): рейтинг строится не только по "
        "утверждённым показателям"
    ]
    caplog.clear()
    with caplog.at_level("WARNING", logger="cyclolib.analysis.rating"):
        rt.rating(con, year=2021, level="school", params=ONLY_MEAN)
    assert caplog.records == []
