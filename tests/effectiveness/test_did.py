"""The matched difference-in-differences, the target check and the summaries.

References: the small tables are worked by hand in the comments; the coverage
test uses panels simulated with a planted effect (did_simulation.py).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from did_simulation import school_panel
from scipy import stats

from cyclolib.effectiveness import (
    VERDICTS,
    coverage,
    first_post_year,
    matched_did,
    summarise,
    target_check,
    verdict,
)


def panel_of(values: dict[str, tuple[float, float]]) -> pd.DataFrame:
    rows = [
        (u, y, v)
        for u, pair in values.items()
        for y, v in zip((2022, 2023), pair, strict=True)
    ]
    return pd.DataFrame(rows, columns=["unit_id", "year", "value"])


HAND = {
    "T1": (50, 56),
    "T2": (60, 63),  # d = 6, 3
    "C1": (49, 50),
    "C2": (61, 63),
    "C3": (70, 69),
    "C4": (40, 44),  # 1, 2, -1, 4
}


def test_effect_and_interval_by_hand():
    # T1 -> C1 and T2 -> C2 (nearest baseline); contrasts 5 and 1; effect 3;
    # s_c^2 = 8, V = 8 / 2 = 4 (no control serves twice), se = 2, df = 1.
    est = matched_did(panel_of(HAND), ["T1", "T2"], first_post=2023, n_neighbors=1)
    assert est["effect"] == pytest.approx(3.0)
    assert est["se"] == pytest.approx(2.0)
    half = stats.t.ppf(0.975, 1) * 2.0
    assert (est["ci_low"], est["ci_high"]) == pytest.approx((3 - half, 3 + half))
    assert est["p_value"] == pytest.approx(2 * stats.t.sf(1.5, 1))
    assert (est["treated_pre"], est["treated_post"]) == (55.0, 59.5)
    assert (est["control_pre"], est["control_post"]) == (55.0, 56.5)
    assert (est["n_treated"], est["n_controls"]) == (2, 2)
    assert (est["pre_years"], est["post_years"], est["note"]) == ("2022", "2023", "")


def test_reused_control_widens_the_interval():
    # T2 now starts at 50.5 (d = 3): both treated take C1. Contrasts 5 and 2,
    # effect 3.5, s_c^2 / 2 = 2.25; the controls' variance is var(1, 2, -1, 4)
    # = 13/3 and the weights (1, 0, 0, 0) give sum w^2 - 1/(n k) = 1/2, so
    # V = 2.25 + 13/6.
    values = dict(HAND, T2=(50.5, 53.5))
    est = matched_did(panel_of(values), ["T1", "T2"], first_post=2023, n_neighbors=1)
    assert est["effect"] == pytest.approx(3.5)
    assert est["se"] ** 2 == pytest.approx(2.25 + 13 / 6)
    assert est["n_controls"] == 1


def test_urban_context_outweighs_a_close_baseline():
    # T1 is urban; C1 (baseline 49) is rural, C2 (61) urban: the urban weight
    # makes C2 the match although C1 is nearer in baseline.
    covs = pd.DataFrame({"unit_id": list(HAND), "urban": [1, 1, 0, 1, 0, 0]})
    est = matched_did(
        panel_of(HAND), ["T1", "T2"], first_post=2023, n_neighbors=1, covariates=covs
    )
    # Both take C2 (d = 2): contrasts 4 and 1.
    assert est["effect"] == pytest.approx(2.5)
    assert est["control_pre"] == 61.0


def test_excluded_units_and_clusters():
    est = matched_did(
        panel_of(HAND), ["T1", "T2"], first_post=2023, n_neighbors=1, exclude=["C1"]
    )
    # Without C1, T1 (50) takes C4 (40, distance 10) before C2 (61, distance 11);
    # T2 takes C2. Contrasts 6 - 4 = 2 and 3 - 2 = 1.
    assert est["effect"] == pytest.approx(1.5)
    one_cluster = matched_did(
        panel_of(HAND), ["T1", "T2"], first_post=2023, clusters={"T1": "m", "T2": "m"}
    )
    assert np.isnan(one_cluster["effect"])
    assert one_cluster["note"] == (
        "все целевые единицы в одном кластере: дисперсию не оценить"
    )


def test_clustered_treated_units_by_hand():
    # Two municipalities of two treated schools each, one neighbour per school:
    # T1 -> C1 (c = 6 - 1 = 5), T2 -> C2 (3 - 2 = 1), T3 -> C3 (3 + 1 = 4),
    # T4 -> C4 (2 - 4 = -2). Effect (5 + 1 + 4 - 2) / 4 = 2; cluster means 3
    # and 1, variance 2 over 2 clusters gives V = 1; no control serves twice.
    values = dict(HAND, T3=(69, 72), T4=(41, 43))
    est = matched_did(
        panel_of(values),
        ["T1", "T2", "T3", "T4"],
        first_post=2023,
        n_neighbors=1,
        clusters={"T1": "A", "T2": "A", "T3": "B", "T4": "B"},
    )
    assert est["effect"] == pytest.approx(2.0)
    assert est["se"] == pytest.approx(1.0)
    assert est["df"] == 1
    half = stats.t.ppf(0.975, 1)
    assert (est["ci_low"], est["ci_high"]) == pytest.approx((2 - half, 2 + half))


def test_too_few_units_or_years_give_a_reason():
    panel = panel_of(HAND)
    assert matched_did(panel, ["T1"], first_post=2023)["note"] == (
        "меньше двух целевых единиц со значениями до и после"
    )
    assert matched_did(panel, ["T1", "T2"], first_post=2022)["note"] == (
        "нет лет до или после меры"
    )
    alone = matched_did(
        panel, ["T1", "T2"], first_post=2023, exclude=["C1", "C2", "C3"]
    )
    assert alone["note"] == "меньше двух единиц сравнения без мер"
    with pytest.raises(ValueError) as err:
        matched_did(panel, ["T1", "T2"], first_post=2023, n_neighbors=0)
    assert str(err.value) == "n_neighbors должно быть не меньше 1, получено 0"


def test_first_post_year_follows_the_spring_session():
    assert first_post_year(date(2023, 9, 1)) == 2024
    assert first_post_year(date(2024, 2, 1)) == 2024
    assert first_post_year(date(2024, 5, 15)) == 2025


def test_intervals_cover_a_planted_effect_at_their_level():
    # 200 simulated regions; the 95 % intervals should cover the planted +4
    # about 95 times in 100. The binomial 99.9 % band of 200 draws at 0.95 is
    # roughly 0.90..1.00; above 0.99 the intervals would be needlessly wide.
    rng = np.random.default_rng(2024)
    rows = []
    for i in range(200):
        panel, covs, treated = school_panel(rng, treated=5, effect=4.0)
        est = matched_did(panel, treated, first_post=2023, covariates=covs)
        rows.append({"decision_id": str(i), **est})
    result = coverage(pd.DataFrame(rows), {str(i): 4.0 for i in range(200)})
    assert result["intervals"] == 200
    assert 0.90 <= result["rate"] <= 0.99
    assert abs(result["mean_error"]) < 0.6


def test_coverage_counts_by_hand():
    est = pd.DataFrame(
        {
            "decision_id": ["a", "b", "c", "d"],
            "effect": [1, 2, 3, 4],
            "ci_low": [0, 1, 2, np.nan],
            "ci_high": [2, 3, 4, 5],
        }
    )
    result = coverage(est, {"a": 1.5, "b": 5.0, "c": 2.0, "d": 4.0})
    # a and c cover; b does not; d has no interval.
    assert (result["intervals"], result["covered"]) == (3, 2)
    assert result["rate"] == pytest.approx(2 / 3)
    assert result["mean_error"] == pytest.approx((-0.5 - 3 + 1) / 3)
    assert result["mean_width"] == pytest.approx(2.0)


def test_target_check_and_verdicts():
    panel = pd.DataFrame(
        {
            "unit_id": ["a", "b", "c"],
            "year": 2024,
            "value": [50.0, 70.0, 10.0],
            "n": [10, 30, 5],
        }
    )
    # Weighted mean of a and b: (500 + 2100) / 40 = 65.
    check = target_check(panel, ["a", "b"], target_value=60, target_year=2024)
    assert check == {
        "achieved": 65.0,
        "target_reached": True,
        "share_units_reached": 0.5,
    }
    lower = target_check(
        panel, ["a", "b"], target_value=60, target_year=2024, lower_better=True
    )
    assert lower["target_reached"] is False
    assert (
        target_check(panel, ["a"], target_value=60, target_year=2023)["target_reached"]
        is None
    )
    assert verdict({"effect": 2, "ci_low": 1, "ci_high": 3}) == VERDICTS["better"]
    assert (
        verdict({"effect": 2, "ci_low": 1, "ci_high": 3}, lower_better=True)
        == VERDICTS["worse"]
    )
    assert verdict({"effect": 0, "ci_low": -1, "ci_high": 3}) == VERDICTS["none"]
    assert verdict({"effect": np.nan}) == VERDICTS["not_evaluated"]


def test_summary_per_kind_of_use():
    effects = pd.DataFrame(
        {
            "decision_id": ["1", "2", "3", "4"],
            "use_kind": ["pd_need", "pd_need", "pd_need", "grants"],
            "status": ["done", "done", "not_done", "done"],
            "effect": [2.0, -1.0, np.nan, 4.0],
            "verdict": [
                VERDICTS["better"],
                VERDICTS["none"],
                VERDICTS["not_evaluated"],
                VERDICTS["better"],
            ],
            "target_reached": [True, False, None, None],
        }
    )
    out = summarise(effects).set_index("use_kind")
    assert out.loc["pd_need"].to_dict() == {
        "measures": 3,
        "done": 2,
        "evaluated": 2,
        "better": 1,
        "worse": 0,
        "no_effect": 1,
        "mean_effect": 0.5,
        "targets_set": 2,
        "targets_reached": 1,
        "share_reached": 0.5,
    }
    assert np.isnan(out.loc["grants", "share_reached"])
    with pytest.raises(ValueError) as err:
        summarise(effects, by="kind")
    assert str(err.value).startswith("нет столбца «kind» для группировки: допустимы ")
