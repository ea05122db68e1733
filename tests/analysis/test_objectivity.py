"""Signs of non-objective results, each against a reference computed another way."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from tinyregion import add_results, add_schools, mark_of

from cyclolib.analysis import objectivity as obj


def test_spearman_by_group_matches_scipy():
    # Reference: scipy.stats.spearmanr group by group (ties included).
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "g": np.repeat(list("abcdefgh"), 25),
            "x": rng.integers(2, 6, 200).astype(float),
            "y": rng.integers(0, 21, 200).astype(float),
        }
    )
    frame.loc[[3, 60, 61], "x"] = np.nan
    got = obj.spearman_by_group(frame, "x", "y", "g")
    for g, part in frame.dropna().groupby("g"):
        ref = stats.spearmanr(part["x"], part["y"]).statistic
        assert got.loc[g, "spearman_r"] == pytest.approx(ref, abs=1e-12)
        assert got.loc[g, "n_pairs"] == len(part)


def test_spearman_constant_marks_is_nan():
    frame = pd.DataFrame({"g": ["a"] * 4, "x": [4.0] * 4, "y": [1.0, 2, 3, 4]})
    assert math.isnan(
        obj.spearman_by_group(frame, "x", "y", "g").loc["a", "spearman_r"]
    )


def test_iqr_bounds_by_hand():
    # 1..8: Q1 = 1 + 0.25*7 = 2.75, Q3 = 1 + 0.75*7 = 6.25, IQR = 3.5;
    # low = 2.75 - 3*3.5 = -7.75, high = 6.25 + 3*3.5 = 16.75.
    assert obj.iqr_bounds(range(1, 9)) == (-7.75, 16.75)
    # factor 1.5: 2.75 - 5.25 = -2.5, 6.25 + 5.25 = 11.5
    assert obj.iqr_bounds([1, 2, 3, 4, 5, 6, 7, 8, np.nan], factor=1.5) == (-2.5, 11.5)


def _region(con, school_scores, *, year=2021, subject="ma", grade=5, journal=None):
    schools = {
        s: ("m1" if i % 2 else "m2", 0.0, True) for i, s in enumerate(school_scores)
    }
    add_schools(con, schools)
    rows = []
    for s, scores in school_scores.items():
        marks = journal.get(s) if journal else None
        for i, x in enumerate(scores):
            jm = marks[i] if marks else None
            rows.append((year, subject, grade, s, x, mark_of(x), jm))
    add_results(con, rows)


def test_inflated_mean_by_hand(con):
    scores = {
        "s1": [18, 19, 20, 19, 18],
        "s2": [8, 9, 10, 11, 12],
        "s3": [5, 6, 7, 8, 9],
        "s4": [10, 12, 14, 9, 11],
    }
    _region(con, scores)
    detail = obj.objectivity_signs(con, year=2021).set_index("school_id")

    # Reference: the 2019 methodology's intervals with the statistics module.
    everyone = [x for v in scores.values() for x in v]
    z = 1.959963984540054
    r_high = statistics.mean(everyone) + z * statistics.stdev(everyone) / math.sqrt(20)
    for s, v in scores.items():
        low = statistics.mean(v) - z * statistics.stdev(v) / math.sqrt(len(v))
        assert detail.loc[s, "ci_low"] == pytest.approx(low)
        assert detail.loc[s, "region_ci_high"] == pytest.approx(r_high)
        assert detail.loc[s, "inflated_mean"] == (low > r_high)
    # s1: mean 18.8, s = sqrt(0.7), low = 18.8 - 1.96*0.8367/2.236 = 18.07 > 13.9
    assert detail.loc["s1", "inflated_mean"]
    assert detail["inflated_mean"].sum() == 1


def test_contradicts_marks(con):
    # s1: marks fall as scores rise, over 12 pairs; s3: the same over 6 pairs,
    # under spearman_min_pairs (10) of params/objectivity.yaml.
    base, falling = [3, 6, 9, 12, 15, 18], [5, 5, 4, 4, 3, 2]
    scores = {"s1": base * 2, "s2": base * 2, "s3": base}
    journal = {"s1": falling * 2, "s2": [2, 3, 3, 4, 5, 5] * 2, "s3": falling}
    _region(con, scores, journal=journal)
    detail = obj.objectivity_signs(con, year=2021).set_index("school_id")
    ref = stats.spearmanr(journal["s1"], scores["s1"]).statistic
    assert detail.loc["s1", "spearman_r"] == pytest.approx(ref)
    assert detail.loc["s1", "contradicts_marks"]
    assert not detail.loc["s2", "contradicts_marks"]
    assert detail.loc["s3", "spearman_r"] < 0
    assert not detail.loc["s3", "contradicts_marks"]


def test_cohort_change_by_hand(con):
    # Ten students per school (cohort_min_participants) with equal scores.
    s4 = {"s1": 10, "s2": 10, "s3": 10, "s4": 10, "s5": 10, "s6": 18}
    s5 = {"s1": 10, "s2": 11, "s3": 9, "s4": 10, "s5": 10.5, "s6": 6}
    add_schools(con, {s: ("m1", 0.0, True) for s in s4})
    rows = [(2020, "ma", 4, s, x, 3, None) for s, x in s4.items() for _ in range(10)]
    rows += [(2021, "ma", 5, s, x, 3, None) for s, x in s5.items() for _ in range(10)]
    add_results(con, rows)
    detail = obj.objectivity_signs(con, year=2021).set_index("school_id")

    # K = S4/S5 on the same 20-point scale: 1, 10/11, 10/9, 1, 10/10.5, 3.
    # Sorted: 0.9091, 0.9524, 1, 1, 1.1111, 3; Q1 at position 1.25 and Q3 at
    # 3.75 (0-based, linear): Q1 = 0.9524 + 0.25*(1 - 0.9524) = 0.96429,
    # Q3 = 1 + 0.75*(1.1111 - 1) = 1.08333; IQR = 0.11905.
    q1, q3 = 10 / 10.5 + 0.25 * (1 - 10 / 10.5), 1 + 0.75 * (10 / 9 - 1)
    assert detail.loc["s6", "k_ratio"] == pytest.approx(3.0)
    assert detail.loc["s6", "k_high"] == pytest.approx(q3 + 3 * (q3 - q1))
    assert detail.loc["s6", "k_low"] == pytest.approx(q1 - 3 * (q3 - q1))
    assert detail.loc["s6", "cohort_fall"] and detail.loc["s6", "cohort_change"]
    assert detail["cohort_change"].sum() == 1
    # Grade-4 results of 2020 are not part of the 2021 list.
    assert set(detail["grade"]) == {5}


def test_boundary_peaks_and_mark_differences(con):
    # Maths grade 5 thresholds 7, 11, 15: s1 has everyone at 7/11/15, the
    # others spread evenly; s2's journal marks differ by two from the work.
    spread = [6, 7, 10, 11, 14, 15, 5, 9, 13, 17] * 2
    scores = {
        "s1": [7, 11, 15, 7, 11, 15, 7, 11, 15, 7, 11, 15, 8, 12],
        "s2": spread,
        "s3": spread,
        "s4": spread,
    }
    journal = {s: [mark_of(x) for x in v] for s, v in scores.items()}
    journal["s2"] = [5 if mark_of(x) <= 3 else mark_of(x) for x in spread]
    _region(con, scores, journal=journal)
    detail = obj.objectivity_signs(con, year=2021).set_index("school_id")

    # Reference by hand: s1 has all 12 of its participants at t or t - 1 at a
    # boundary t (8 and 12 are neither); each other school 6 of 12; the region
    # 30 of 48 = 0.625; P(Bin(12, 0.625) >= 12) = 0.625**12 = 0.0036 < 0.01.
    assert detail.loc["s1", "boundary_n"] == 12
    assert detail.loc["s1", "region_boundary_share"] == pytest.approx(30 / 48)
    assert detail.loc["s1", "boundary_p"] == pytest.approx(0.625**12)
    assert detail.loc["s1", "boundary_peaks"]
    assert not detail.loc["s3", "boundary_peaks"]

    # s2: marks 2 and 3 (scores 6, 5, 9, 10, 7) with journal 5 differ by >= 2:
    # scores 6, 5 (mark 2) and 7, 9, 10 (mark 3) -> 5 of 10, twice over = 10/20.
    assert detail.loc["s2", "diff2_count"] == 10
    assert detail.loc["s2", "diff2_share"] == pytest.approx(0.5)
    assert detail.loc["s2", "marks_differ_2"]
    assert not detail.loc["s3", "marks_differ_2"]


def test_list_layout_and_index(con):
    scores = {
        "s1": [18, 19, 20, 19, 18],
        "s2": [8, 9, 10, 11, 12],
        "s3": [5, 6, 7, 8, 9],
        "s4": [10, 12, 14, 9, 11],
    }
    _region(con, scores)
    detail = obj.objectivity_signs(con, year=2021)
    listing = obj.objectivity_list(detail, con)
    assert list(listing.columns[:9]) == [
        "Год",
        "Логин",
        "Муниципалитет",
        "ОО",
        "4 РУ",
        "4 МА",
        "5 РУ",
        "5 МА",
        "Количество маркеров",
    ]
    assert list(listing.columns[9:]) == list(obj.SIGNS.values())
    assert listing.to_dict("records")[0] == {
        "Год": 2021,
        "Логин": "s1",
        "Муниципалитет": "Район m2",
        "ОО": "Школа s1",
        "4 РУ": 0,
        "4 МА": 0,
        "5 РУ": 0,
        "5 МА": 1,
        "Количество маркеров": 1,
        "Завышенный средний балл": 1,
        "Несоответствие школьным отметкам": 0,
        "Резкое изменение результатов параллели 4→5": 0,
        "Пики на границах отметок": 0,
        "Расхождение с отметкой по журналу на 2 и более": 0,
    }
    # Index by hand: m2 holds s1 and s3 (one marked): 100 - 50 = 50;
    # m1 holds s2 and s4 (none): 100; the region: 100 - 25 = 75.
    idx = obj.objectivity_index(detail).set_index("unit_id")["index"]
    assert idx.to_dict() == {"m1": 100.0, "m2": 50.0}
    region = obj.objectivity_index(detail, level="region")
    assert region["index"].tolist() == [75.0]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError) as err:
        obj.objectivity_index(pd.DataFrame(), level="class")
    assert str(err.value) == (
        "Уровень индекса объективности «class» не поддерживается: "
        "допустимы municipality, region"
    )
    with pytest.raises(ValueError) as err:
        obj._params({"alpha": 1})
    assert str(err.value).startswith("Неизвестный параметр объективности «alpha»")


def test_oge_means_are_examined_where_present(con):
    scores = {
        "s1": [18, 19, 20, 19, 18],
        "s2": [8, 9, 10, 11, 12],
        "s3": [5, 6, 7, 8, 9],
        "s4": [10, 12, 14, 9, 11],
    }
    _region(con, scores, grade=9)
    con.execute("UPDATE forms SET study_id = 'oge'")
    detail = obj.objectivity_signs(con, year=2021)
    assert set(detail["study"]) == {"oge"}
    listing = obj.objectivity_list(detail, con)
    # The same table as the grade-5 test: s1 alone has an inflated mean.
    assert listing["Логин"].tolist() == ["s1"]
    assert listing.columns[8] == "ОГЭ МА"
    assert listing.loc[0, "ОГЭ МА"] == 1 and listing.loc[0, "Количество маркеров"] == 1


def test_strict_inflated_mean_against_a_plain_model(con):
    # Thirty schools whose means rise with their social index, and s05, of an
    # average context, with every score lifted by 9 points.
    rng = np.random.default_rng(5)
    schools = {f"s{i:02d}": (f"m{i % 3}", i / 3, True) for i in range(30)}
    add_schools(con, schools)
    rows = []
    for i, s in enumerate(schools):
        for _ in range(20):
            x = 4 + 0.4 * i + rng.normal(0, 2) + (9 if s == "s05" else 0)
            x = float(np.clip(round(x), 0, 20))
            rows.append((2021, "ma", 5, s, x, mark_of(x), None))
    add_results(con, rows)
    federal = obj.objectivity_signs(con, year=2021).set_index("school_id")
    strict = obj.objectivity_signs(
        con, year=2021, params={"inflated_mean_rule": "context"}
    ).set_index("school_id")

    # Reference: least squares of % of the maximum on the social index at
    # student level with numpy; VA the school's mean residual, SE = σ/√n,
    # τ² = max(0, (Σ VA²/SE² − k) / Σ 1/SE²), z = VA / √(τ² + SE²).
    frame = pd.DataFrame(rows, columns=["y", "subj", "g", "school", "x", "m", "j"])
    pct = frame["x"].to_numpy() / 20 * 100
    social = frame["school"].map(lambda s: schools[s][1]).to_numpy()
    design = np.column_stack([np.ones(len(pct)), social])
    beta = np.linalg.lstsq(design, pct, rcond=None)[0]
    resid = pct - design @ beta
    sigma = math.sqrt((resid**2).sum() / (len(pct) - 2))
    va = pd.Series(resid).groupby(frame["school"]).mean()
    se = sigma / math.sqrt(20)
    tau2 = max(0.0, ((va / se) ** 2).sum() - 30) / (30 / se**2)
    z = va / math.sqrt(tau2 + se**2)
    assert strict["va_z"].to_numpy() == pytest.approx(z[strict.index].to_numpy())
    assert strict["va_tau"].iloc[0] == pytest.approx(math.sqrt(tau2))
    assert list(z[z > stats.norm.ppf(0.999)].index) == ["s05"]

    # The federal sign marks the strong schools of rich contexts as well; the
    # strict one keeps only the school its context does not explain.
    marked = set(federal.index[federal["inflated_mean"]])
    assert "s05" in marked and len(marked) >= 5
    assert set(strict.index[strict["inflated_mean"]]) == {"s05"}
    assert (strict["inflated_mean_federal"] == federal["inflated_mean"]).all()
    assert (strict["above_context"] == (z[strict.index] > 3.090232306167813)).all()


def test_unknown_inflated_mean_rule_is_named():
    with pytest.raises(ValueError) as err:
        obj._params({"inflated_mean_rule": "strict"})
    assert str(err.value) == (
        "Правило признака «завышенный средний балл» «strict» не поддерживается: "
        "допустимы federal, context (params/objectivity.yaml, inflated_mean_rule)"
    )
