"""Schools with low results and skill deficits on hand-made tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tinyregion import add_results, add_schools, mark_of

from cyclolib import db
from cyclolib.analysis import development as dev
from cyclolib.analysis import low_results as lr


def _items(con, form_id, tasks):
    db.append(
        con,
        "items",
        pd.DataFrame(
            [
                (form_id, i + 1, t, m, lv, f"умение {t}")
                for i, (t, m, lv) in enumerate(tasks)
            ],
            columns=["form_id", "position", "task", "max_score", "level", "skill"],
        ),
    )


def test_task_completion_and_deficits_by_hand(con):
    add_schools(con, {"s1": ("m1", 0.0, True)})
    # Ten students; task maxima 1, 2, 2 (levels Б, Б, П).
    scores = [[1, 1, 1]] * 8 + [[0, 2, 1], [0, 1, 1]]
    scores = [list(s) for s in scores]
    for s in scores[:6]:
        s[2] = 0  # task 3: 4 students with 1 point -> 4 / 20
    rows = [(2021, "ma", 5, "s1", float(sum(s)), mark_of(sum(s)), None) for s in scores]
    add_results(con, rows, task_scores=scores)
    _items(con, "vpr-2021-ma-5", [("1", 1, "Б"), ("2", 2, "Б"), ("3", 2, "П")])
    db.append(
        con,
        "item_codes",
        pd.DataFrame(
            [
                ("vpr-2021-ma-5", 1, "kes", "1.1"),
                ("vpr-2021-ma-5", 2, "kes", "1.1"),
                ("vpr-2021-ma-5", 2, "kes", "3.1"),
                ("vpr-2021-ma-5", 3, "kes", "2.1"),
            ],
            columns=["form_id", "position", "kind", "code"],
        ),
    )
    tasks = dev.task_results(con, year=2021).set_index("task")
    # Reference by hand: task 1: 8 of 10 points = 80 % (basic, sufficient);
    # task 2: 8 + 2 + 1 = 11 of 20 = 55 % (basic, below 57: insufficient);
    # task 3: six students with 0, four with 1 = 4 of 20 = 20 % (advanced,
    # below 28.5: insufficient).
    assert tasks["completion"].to_dict() == pytest.approx(
        {"1": 80.0, "2": 55.0, "3": 20.0}
    )
    assert tasks["status"].tolist() == ["sufficient", "insufficient", "insufficient"]

    deficits = dev.skill_deficits(con, year=2021).set_index("code")
    # 1.1: tasks 1 and 2, one insufficient of two -> not "mostly": no deficit.
    assert not deficits.loc["1.1", "deficit"]
    assert deficits.loc["1.1", "completion"] == pytest.approx(67.5)
    assert deficits.loc["3.1", "deficit"] and deficits.loc["2.1", "deficit"]
    topics = dev.development_topics(deficits.reset_index())
    # Codes without a name in code_names are named by the code alone.
    assert set(topics["topic"]) == {
        "Математика, 5 класс: 3.1",
        "Математика, 5 класс: 2.1",
    }
    assert topics["units"].tolist() == [1, 1]


def test_forms_without_codes_name_their_tasks(con):
    add_schools(con, {"s1": ("m1", 0.0, True)})
    add_results(
        con, [(2021, "ma", 5, "s1", 0.0, 2, None)] * 10, task_scores=[[0, 1]] * 10
    )
    _items(con, "vpr-2021-ma-5", [("1", 1, "Б"), ("2", 1, "Б")])
    topics = dev.development_topics(dev.skill_deficits(con, year=2021))
    # Task 1: 0 of 10 points (insufficient); task 2: 10 of 10 (sufficient).
    assert topics["topic"].tolist() == ["Математика, 5 класс: задание 1 (умение 1)"]


def test_small_groups_are_not_judged(con):
    add_schools(con, {"s1": ("m1", 0.0, True)})
    add_results(con, [(2021, "ma", 5, "s1", 0.0, 2, None)] * 3, task_scores=[[0]] * 3)
    _items(con, "vpr-2021-ma-5", [("1", 1, "Б")])
    assert dev.task_results(con, year=2021)["status"].tolist() == ["small"]
    with pytest.raises(ValueError) as err:
        dev.task_results(con, year=2021, level="class")
    assert str(err.value) == (
        "Уровень «class» не поддерживается: допустимы region, municipality, "
        "school, teacher"
    )


def _two_years(con, *, tasks: bool = False):
    # Eight schools of one context; ten students each with equal scores, so a
    # school's mean % of the maximum is score / 20 * 100. With ``tasks``, two
    # one-point tasks: s1's students miss task 1, everyone else gets both.
    means = {
        2020: [4, 12, 8, 10, 11, 13, 14, 15],
        2021: [5, 6, 9, 10, 11, 13, 14, 15],
    }
    schools = [f"s{i}" for i in range(1, 9)]
    add_schools(con, {s: ("m1", None, True) for s in schools})
    rows = [
        (year, "ma", 5, s, float(x), mark_of(x), None)
        for year, xs in means.items()
        for s, x in zip(schools, xs, strict=True)
        for _ in range(10)
    ]
    scores = [[0, 1] if row[3] == "s1" else [1, 1] for row in rows]
    add_results(con, rows, task_scores=scores if tasks else None)
    if tasks:
        _items(con, "vpr-2021-ma-5", [("1", 1, "Б"), ("2", 1, "Б")])
    return means


def test_low_results_two_years_by_hand(con):
    means = _two_years(con)
    table = lr.low_results(con, year=2021, params={"criterion": "mean_pct"})
    table = table.set_index("school_id")
    # Cut-off 2021: the 25th percentile of 25, 30, 45, 50, 55, 65, 70, 75 % at
    # position 1.75: 30 + 0.75 * 15 = 41.25; s1 (25) and s2 (30) are low.
    pct = np.array(means[2021]) / 20 * 100
    assert table["cut_off"].iloc[0] == pytest.approx(30 + 0.75 * 15)
    assert table["cut_off"].iloc[0] == pytest.approx(np.percentile(pct, 25))
    assert table.loc[["s1", "s2", "s3"], "low"].tolist() == [True, True, False]
    # 2020: 20, 60, 40, 50, 55, 65, 70, 75 %: the 25th percentile at position
    # 1.75 of the sorted values is 40 + 0.75 * 10 = 47.5: s1 (20) and s3 (40)
    # are low, s2 (60) is not; only s1 is low both years.
    assert table.loc["s1", "years_low"] == 2 and table.loc["s1", "listed"]
    assert table.loc["s2", "years_low"] == 1 and not table.loc["s2", "listed"]
    assert table["listed"].sum() == 1
    assert table.loc["s1", "cluster"] == "город, социальный индекс: нет данных"


def test_low_quartile_share_by_hand(con):
    _two_years(con)
    table = lr.low_results(con, year=2021).set_index("school_id")
    # Region Q1 of the 80 scores of 2021 (ten each of 5, 6, 9, 10, 11, 13, 14,
    # 15) at position 19.75 lies between the 20th (6) and 21st (9): 6 + 0.75*3
    # = 8.25; s1 and s2 have all their students at or below it: 100 %.
    assert table.loc["s1", "value"] == 100.0 and table.loc["s3", "value"] == 0.0
    assert table.loc["s1", "listed"]


def test_profiles_and_bad_criterion(con):
    _two_years(con)
    table = lr.low_results(con, year=2021, params={"criterion": "mean_pct"})
    prof = lr.low_results_profiles(
        con, table, year=2021, params={"criterion": "mean_pct"}
    )
    assert prof["school_id"].tolist() == ["s1"]
    assert prof["indicators"][0] == (
        "средний процент выполнения: 25.0 (порог кластера 41.2); средний процент "
        "выполнения 25.0; доля «2» 100.0 %"
    )
    assert prof["tasks"][0] == "нет данных по заданиям"
    with pytest.raises(ValueError) as err:
        lr.low_results(con, year=2021, params={"criterion": "median"})
    assert str(err.value) == (
        "Критерий ШНОР «median» не известен: допустимы low_quartile_share, "
        "mean_pct, fail_share"
    )


def test_profile_names_the_forms_of_its_tasks(con):
    _two_years(con, tasks=True)
    params = {"criterion": "mean_pct"}
    table = lr.low_results(con, year=2021, params=params)
    prof = lr.low_results_profiles(con, table, year=2021, params=params)
    # s1's students all miss task 1 (0 %, insufficient); task 2 is done by all
    assert prof["tasks"].tolist() == ["ВПР, Математика, 5 класс: 1"]
    # The list names the school and its municipality (tinyregion's names)
    assert list(prof.columns[:4]) == [
        "school_id",
        "school_name",
        "municipality_id",
        "municipality_name",
    ]
    assert prof.iloc[0, :4].tolist() == ["s1", "Школа s1", "m1", "Район m1"]


def test_deficits_per_teacher(con):
    add_schools(con, {"s1": ("m1", 0.0, True)})
    # Two teachers of ten students each: t1's students score 0 on task 1,
    # t2's all get it right; task 2 is right for everyone.
    scores = [[0, 1]] * 10 + [[1, 1]] * 10
    rows = [(2021, "ma", 5, "s1", float(sum(s)), 2, None) for s in scores]
    add_results(con, rows, task_scores=scores)
    _items(con, "vpr-2021-ma-5", [("1", 1, "Б"), ("2", 1, "Б")])
    con.execute(
        "UPDATE results SET teacher_id = CASE WHEN result_id <= 10 THEN 't1' "
        "ELSE 't2' END"
    )
    tasks = dev.task_results(con, year=2021, level="teacher")
    got = tasks.set_index(["unit_id", "task"])["completion"].to_dict()
    assert got == {
        ("t1", "1"): 0.0,
        ("t1", "2"): 100.0,
        ("t2", "1"): 100.0,
        ("t2", "2"): 100.0,
    }
    topics = dev.development_topics(dev.skill_deficits(con, year=2021, level="teacher"))
    assert topics[["topic", "unit_list"]].values.tolist() == [
        ["Математика, 5 класс: задание 1 (умение 1)", "t1"]
    ]
