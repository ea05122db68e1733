"""Indicator formulas on small hand-made tables, each worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cyclolib.indicators import formulas as fm


def _value(frame, indicator, task=""):
    row = frame[(frame["indicator"] == indicator) & (frame["task"] == task)]
    assert len(row) == 1, (indicator, task, len(row))
    return row.iloc[0]


@pytest.fixture
def results():
    # Ten listed students of two schools, one absent; form maximum 20.
    return pd.DataFrame(
        {
            "school_id": ["s1"] * 6 + ["s2"] * 4,
            "absent": [False] * 5 + [True] + [False] * 4,
            "primary_score": [20, 15, 12, 8, 3, np.nan, 10, 10, 6, 2],
            "max_score": 20.0,
            "mark": [5, 5, 4, 3, 2, np.nan, 4, 4, 3, 2],
            "journal_mark": [5, 4, 5, 3, np.nan, 4, 2, 4, 5, 3],
            "enrolment": [8] * 6 + [np.nan] * 4,
        }
    )


def test_marks_by_hand(results):
    # By hand: marks 5,5,4,3,2,4,4,3,2 → n5=2, n4=3, n3=2, n2=2, N=9.
    out = fm.marks(results, min_group_size=10)
    assert _value(out, "mark_5_pct")["value"] == pytest.approx(100 * 2 / 9)
    assert _value(out, "mark_2_pct")["value"] == pytest.approx(100 * 2 / 9)
    assert _value(out, "success_pct")["value"] == pytest.approx(100 * 7 / 9)
    assert _value(out, "quality_pct")["value"] == pytest.approx(100 * 5 / 9)
    # СОУ = (1·2 + 0.64·3 + 0.36·2 + 0.16·2) / 9 · 100 = 4.96 / 9 · 100
    assert _value(out, "sou_pct")["value"] == pytest.approx(496 / 9)
    assert _value(out, "mean_mark")["value"] == pytest.approx(32 / 9)
    row = _value(out, "quality_pct")
    assert row["n"] == 9 and bool(row["small_group"]) is True
    assert row["ci_low"] < row["value"] < row["ci_high"]


def test_scores_and_participation_by_hand(results):
    out = fm.scores(results)
    # By hand: (20+15+12+8+3+10+10+6+2) / 9 = 86 / 9
    assert _value(out, "mean_primary_score")["value"] == pytest.approx(86 / 9)
    assert _value(out, "mean_score_pct")["value"] == pytest.approx(86 / 9 * 5)
    part = fm.participation(results)
    assert _value(part, "participants")["value"] == 9
    assert _value(part, "absent_pct")["value"] == pytest.approx(10.0)
    # Coverage over s1 only (enrolment 8): 5 participants of 8.
    cov = _value(part, "coverage_pct")
    assert cov["value"] == pytest.approx(62.5) and cov["n"] == 8


def test_journal_agreement_by_hand(results):
    # Pairs with both marks: (5,5) (5,4) (4,5) (3,3) (4,2) (4,4) (3,5) (2,3):
    # lower 3, same 3, higher 2; |diff| ≥ 2: (4,2) and (3,5).
    out = fm.journal_agreement(results, by="school_id")
    s1 = out[out["school_id"] == "s1"]
    assert _value(s1, "journal_lower_pct")["value"] == pytest.approx(25.0)
    whole = fm.journal_agreement(results)
    assert _value(whole, "journal_lower_pct")["value"] == pytest.approx(37.5)
    assert _value(whole, "journal_same_pct")["value"] == pytest.approx(37.5)
    assert _value(whole, "journal_higher_pct")["value"] == pytest.approx(25.0)
    assert _value(whole, "journal_diff2_pct")["value"] == pytest.approx(25.0)
    assert _value(whole, "journal_same_pct")["n"] == 8


def test_region_value_comes_from_students_not_school_means(results):
    # s1 success 4/5 = 80 %, s2 3/4 = 75 %: the mean of schools would be
    # 77.5 %, the students' value is 7/9 = 77.78 %.
    by_school = fm.marks(results, by="school_id")
    whole = fm.marks(results)
    succ = by_school[by_school["indicator"] == "success_pct"]["value"]
    assert list(succ) == pytest.approx([80.0, 75.0])
    assert _value(whole, "success_pct")["value"] == pytest.approx(700 / 9)


def test_empty_group_gives_nan_not_error():
    frame = pd.DataFrame(
        {
            "g": ["a", "a"],
            "absent": [True, True],
            "primary_score": [np.nan, np.nan],
            "max_score": 10.0,
            "mark": [np.nan, np.nan],
        }
    )
    out = fm.marks(frame, by="g")
    row = _value(out, "quality_pct")
    assert np.isnan(row["value"]) and row["n"] == 0 and bool(row["small_group"])


@pytest.fixture
def task_scores():
    # Four participants, tasks "1" (max 1, Б) and "2" (max 2, П).
    return pd.DataFrame(
        {
            "student": [1, 1, 2, 2, 3, 3, 4, 4],
            "task": ["1", "2"] * 4,
            "score": [1, 2, 0, 1, 1, np.nan, 1, 0],
            "max_score": [1.0, 2.0] * 4,
            "level": ["Б", "П"] * 4,
        }
    )


def test_task_completion_by_hand(task_scores):
    out = fm.task_completion(task_scores)
    # Task 1: 3 points / (4 × 1) = 75 %; task 2: 3 / (4 × 2) = 37.5 %.
    assert _value(out, "task_completion_pct", "1")["value"] == pytest.approx(75.0)
    assert _value(out, "task_completion_pct", "2")["value"] == pytest.approx(37.5)
    # Task 2: full 1 (2 points), partial 1 (1 point), zero 2 (0 and not done).
    assert _value(out, "task_full_pct", "2")["value"] == pytest.approx(25.0)
    assert _value(out, "task_partial_pct", "2")["value"] == pytest.approx(25.0)
    assert _value(out, "task_zero_pct", "2")["value"] == pytest.approx(50.0)


def test_code_completion_by_hand(task_scores):
    codes = pd.DataFrame(
        {
            "task": ["1", "2", "2"],
            "kind": ["kes", "kes", "kt"],
            "code": ["1.1", "1.1", "7"],
        }
    )
    out = fm.code_completion(task_scores, codes, student="student")
    # КЭС 1.1 covers both tasks: 6 points / (4 × 3) = 50 %.
    assert _value(out, "kes_completion_pct", "1.1")["value"] == pytest.approx(50.0)
    assert _value(out, "kt_completion_pct", "7")["value"] == pytest.approx(37.5)
    assert _value(out, "level_completion_pct", "Б")["value"] == pytest.approx(75.0)
    assert _value(out, "level_completion_pct", "П")["n"] == 4
    # КЭС 1.1, fractions 1, 1/3, 1/3, 1/3: s = 1/3, t(3) = 3.1824, so
    # 50 ± 53.04 % is cut to 0–100.
    kes = _value(out, "kes_completion_pct", "1.1")
    assert (kes["ci_low"], kes["ci_high"]) == (0.0, 100.0)


def test_code_completion_interval_against_a_plain_loop():
    # Reference: each student's fraction of the code's maximum summed in a
    # plain loop, and scipy's t interval over those fractions.
    from scipy import stats

    rng = np.random.default_rng(7)
    n = 40
    task_scores = pd.DataFrame(
        {
            "result_id": np.repeat(np.arange(n), 3),
            "task": ["1", "2", "3"] * n,
            "max_score": [1.0, 2.0, 3.0] * n,
            "level": ["Б", "Б", "П"] * n,
        }
    )
    task_scores["score"] = np.floor(
        rng.uniform(0, 1, 3 * n) * (task_scores["max_score"] + 1)
    )
    codes = pd.DataFrame(
        {"task": ["1", "3", "2"], "kind": ["kes", "kes", "kt"], "code": ["2.1"] * 3}
    )
    out = fm.code_completion(task_scores, codes)

    fractions = []
    for _, rows in task_scores.groupby("result_id"):
        mine = rows[rows["task"].isin(["1", "3"])]
        fractions.append(mine["score"].sum() / mine["max_score"].sum())
    fractions = np.array(fractions)
    lo, hi = stats.t.interval(
        0.95, n - 1, loc=fractions.mean(), scale=stats.sem(fractions)
    )
    row = _value(out, "kes_completion_pct", "2.1")
    assert row["n"] == n
    assert row["value"] == pytest.approx(100 * fractions.mean())
    assert row["ci_low"] == pytest.approx(100 * max(lo, 0))
    assert row["ci_high"] == pytest.approx(100 * min(hi, 1))
    assert 0 < row["ci_low"] < row["value"] < row["ci_high"] < 100


def test_task_status_reference_levels():
    # DOMAIN.md: basic sufficient ≥ 60, insufficient < 57; advanced 30 / 28.5.
    got = fm.task_status(
        [60, 59.9, 56.99, 30, 29, 28.4, np.nan, 70],
        ["Б", "Б", "Б", "П", "В", "П", "Б", None],
    )
    assert list(got[:6]) == [
        "sufficient",
        "uncertain",
        "insufficient",
        "sufficient",
        "uncertain",
        "insufficient",
    ]
    assert pd.isna(got[6]) and pd.isna(got[7])
    with pytest.raises(ValueError) as err:
        fm.task_status([50], ["X"])
    assert str(err.value) == (
        "Уровень сложности задания должен быть Б, П или В, получено X"
    )


def test_score_distribution_by_hand(results):
    out = fm.score_distribution(results)
    assert _value(out, "score_distribution_pct", "10")["value"] == pytest.approx(
        200 / 9
    )
    assert out["value"].sum() == pytest.approx(100.0)


def test_ege_by_hand():
    frame = pd.DataFrame(
        {
            "absent": False,
            "primary_score": 0.0,
            "mark": np.nan,
            "test_score": [100, 85, 50, 30, 20],
            "min_score": 27.0,
        }
    )
    out = fm.ege_results(frame)
    assert _value(out, "ege_mean_test_score")["value"] == pytest.approx(57.0)
    assert _value(out, "ege_below_min_pct")["value"] == pytest.approx(20.0)
    assert _value(out, "ege_81_100_pct")["value"] == pytest.approx(40.0)
    assert _value(out, "ege_100_count")["value"] == 1


def test_dynamics_against_scipy():
    # Reference: scipy's Welch test on the students' percents of the maximum.
    from scipy import stats

    now = pd.DataFrame(
        {
            "absent": False,
            "primary_score": [10, 12, 14, 18, 20.0],
            "max_score": 20.0,
            "mark": [3, 4, 4, 5, 5],
        }
    )
    before = pd.DataFrame(
        {
            "absent": False,
            "primary_score": [4, 8, 10, 12.0],
            "max_score": 20.0,
            "mark": [2, 3, 3, 4],
        }
    )
    out = fm.dynamics(now, before)
    ref = stats.ttest_ind(
        now["primary_score"] * 5, before["primary_score"] * 5, equal_var=False
    )
    assert _value(out, "mean_score_pct_change")["value"] == pytest.approx(74 - 42.5)
    assert _value(out, "mean_score_pct_change_p")["value"] == pytest.approx(ref.pvalue)
    # Quality 4/5 against 1/4: +55 percentage points.
    assert _value(out, "quality_pct_change")["value"] == pytest.approx(55.0)
    # «2»: 0/5 against 1/4; pooled z test by hand, p̂ = 1/9.
    pooled = 1 / 9
    z = (0 - 0.25) / np.sqrt(pooled * (1 - pooled) * (1 / 5 + 1 / 4))
    assert _value(out, "mark_2_pct_change")["value"] == pytest.approx(-25.0)
    assert _value(out, "mark_2_pct_change_p")["value"] == pytest.approx(
        2 * stats.norm.sf(abs(z))
    )


def test_icc1_matches_shrout_fleiss():
    # Reference: Shrout & Fleiss (1979), table 2 data (6 targets × 4 judges):
    # ICC(1,1) = 0.17.
    data = np.array(
        [
            [9, 2, 5, 8],
            [6, 1, 3, 2],
            [8, 4, 6, 8],
            [7, 1, 2, 6],
            [10, 5, 6, 9],
            [6, 2, 4, 7],
        ],
        dtype=float,
    )
    icc, low, high = fm.icc1_from_sums(np.full(6, 4), data.sum(1), (data**2).sum(1))
    assert icc == pytest.approx(0.17, abs=0.005)
    assert low < icc < high


def test_equity_gaps_by_hand():
    # Ten schools of two students each: school k scores 10k and 10k+10 % of 100.
    rows = []
    for k in range(10):
        for score in (10 * k, 10 * k + 10):
            rows.append(
                {
                    "school_id": f"s{k}",
                    "absent": False,
                    "primary_score": float(score),
                    "max_score": 100.0,
                    "mark": 3,
                    "urban": k >= 5,
                }
            )
    frame = pd.DataFrame(rows)
    out = fm.equity(frame, min_group_size=2)
    # Top school s9 mean 95, bottom s0 mean 5: gap 90.
    assert _value(out, "school_gap_top_bottom")["value"] == pytest.approx(90.0)
    # Urban s5..s9 mean 75, rural s0..s4 mean 25.
    assert _value(out, "urban_rural_gap")["value"] == pytest.approx(50.0)
    # ANOVA by hand: MSW = 50, MSB = 2·Σ(mean_k − 50)²/9 = 2·8250/9.
    msb, msw = 2 * 8250 / 9, 50.0
    icc = (msb - msw) / (msb + msw)
    assert _value(out, "between_school_pct")["value"] == pytest.approx(100 * icc)


def test_missing_columns_message():
    with pytest.raises(ValueError) as err:
        fm.marks(pd.DataFrame({"absent": [False]}))
    assert str(err.value) == (
        "Результаты: нет столбцов primary_score, mark; ожидались absent, "
        "primary_score, mark, есть absent"
    )


def _code_frames():
    # Hand-made unit: five tasks read against the 2026 reference levels.
    tasks = pd.DataFrame(
        {
            "task": ["1", "2", "3", "4", "5"],
            "task_level": ["Б", "Б", "Б", "П", "П"],
            # sufficient, uncertain, insufficient, insufficient, sufficient
            "value": [70.0, 58.0, 40.0, 20.0, 35.0],
        }
    )
    codes = pd.DataFrame(
        {
            "task": ["1", "2", "3", "4", "5", "1", "3", "5"],
            "kind": ["kes"] * 5 + ["kt"] * 3,
            "code": ["1.1", "1.1", "1.2", "1.2", "1.2", "A", "B", "B"],
        }
    )
    return tasks, codes


def test_code_status_by_hand():
    # Reference, by hand: КЭС 1.1 = tasks 1 (sufficient), 2 (uncertain): no
    # majority → uncertain; КЭС 1.2 = tasks 3, 4 insufficient, 5 sufficient:
    # 2 of 3 insufficient → deficit; КТ A = task 1 → sufficient; КТ B = tasks
    # 3, 5 → one each → uncertain. Levels by their own reference: Б at 56 %
    # is below 57 → insufficient; П at 29 % lies in 28.5–30 → uncertain;
    # В at 30 % → sufficient (no task of level В in the unit: tasks = 0).
    tasks, codes = _code_frames()
    values = pd.DataFrame(
        {
            "indicator": ["kes_completion_pct"] * 3
            + ["kt_completion_pct"] * 2
            + ["level_completion_pct"] * 3
            + ["task_completion_pct"],
            "task": ["1.1", "1.2", "9.9", "A", "B", "Б", "П", "В", "1"],
            "value": [64.0, 31.7, 50.0, 70.0, 37.5, 56.0, 29.0, 30.0, 70.0],
        }
    )
    out = fm.code_status(values, tasks, codes)
    keys = zip(out["indicator"], out["task"], strict=True)
    got = dict(zip(keys, out["status"], strict=True))
    assert got[("kes_completion_pct", "1.1")] == "uncertain"
    assert got[("kes_completion_pct", "1.2")] == "insufficient"
    assert got[("kt_completion_pct", "A")] == "sufficient"
    assert got[("kt_completion_pct", "B")] == "uncertain"
    assert got[("level_completion_pct", "Б")] == "insufficient"
    assert got[("level_completion_pct", "П")] == "uncertain"
    # A code without tasks in the map, and other indicators: no status
    assert pd.isna(got[("kes_completion_pct", "9.9")])
    assert pd.isna(got[("task_completion_pct", "1")])
    assert list(out["tasks"]) == [2, 3, 0, 1, 2, 3, 2, 0, 0]
    assert list(out["insufficient_tasks"]) == [0, 2, 0, 0, 1, 1, 1, 0, 0]
    # A level with no task of its own has no tasks to read
    assert pd.isna(got[("level_completion_pct", "В")])


def test_code_status_small_groups_and_forms():
    # Two forms of one unit told apart by `subject`; the same code means
    # different tasks in each. A small group gets no status.
    tasks, codes = _code_frames()
    two = pd.concat(
        [tasks.assign(subject="ma"), tasks.assign(subject="ru", value=80.0)]
    )
    codes2 = pd.concat([codes.assign(subject="ma"), codes.assign(subject="ru")])
    values = pd.DataFrame(
        {
            "subject": ["ma", "ru", "ru"],
            "indicator": ["kes_completion_pct"] * 2 + ["kt_completion_pct"],
            "task": ["1.2", "1.2", "B"],
            "value": [31.7, 80.0, 80.0],
            "small_group": [False, False, True],
        }
    )
    out = fm.code_status(values, two, codes2, by="subject")
    assert list(out["status"].fillna("—")) == ["insufficient", "sufficient", "—"]
    assert list(out["tasks"]) == [3, 3, 2]
    with pytest.raises(ValueError) as err:
        fm.code_status(values, tasks.drop(columns="task_level"), codes)
    assert str(err.value) == (
        "Выполнение заданий: нет столбцов task_level; ожидались task, value, "
        "task_level, есть task, value"
    )
