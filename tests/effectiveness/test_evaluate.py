"""Measures of a register evaluated from the database.

Reference: the clustered example of test_did.py worked by hand (effect 2,
standard error 1), now reached through the register, the schools table and
``indicator_values``.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from cyclolib import db
from cyclolib.effectiveness import VERDICTS, evaluate_measures

VALUES = {  # school: (municipality, value 2022, value 2023)
    "T1": ("mA", 50, 56), "T2": ("mA", 60, 63),
    "T3": ("mB", 69, 72), "T4": ("mB", 41, 43),
    "C1": ("mC", 49, 50), "C2": ("mC", 61, 63), "C3": ("mC", 70, 69),
    "C4": ("mC", 40, 44), "C5": ("mC", 41.5, 45.5),
}  # fmt: skip


@pytest.fixture
def register_db(con):
    db.append(con, "schools", pd.DataFrame({
        "school_id": list(VALUES), "municipality_id": [v[0] for v in VALUES.values()],
    }))  # fmt: skip
    rows = [
        {"year": year, "study": "vpr", "subject": "ma", "grade": 4,
         "level": "school", "unit_id": school, "indicator": "mean_score_pct",
         "task": "", "value": value, "n": 20}
        for school, (_m, v22, v23) in VALUES.items()
        for year, value in ((2022, v22), (2023, v23))
    ]  # fmt: skip
    db.append(con, "indicator_values", pd.DataFrame(rows))
    decisions = pd.DataFrame({
        "decision_id": ["D1", "D2", "D3"],
        "date": [date(2022, 9, 1)] * 3,
        "level": "region", "body": "Министерство", "use_kind": "pd_need",
        "indicator": "mean_score_pct",
        "target_value": [60.0, None, None],
        "target_date": [date(2023, 5, 31), None, None],
        "status": ["done", "not_done", "done"],
    })  # fmt: skip
    db.append(con, "decisions", decisions)
    targets = [("D1", "mA"), ("D1", "mB"), ("D2", "C1"), ("D3", "C4")]
    frame = pd.DataFrame(targets, columns=["decision_id", "unit_id"])
    db.append(con, "decision_targets", frame)
    return con


def test_register_measures_by_hand(register_db):
    out = evaluate_measures(register_db, n_neighbors=1).set_index("decision_id")

    # D1 targets two municipalities: their four schools, clustered. C4 is the
    # target of D3, done on the same indicator, so T4 takes C5 (d = 4) instead;
    # C1, the target of D2 that was not done, stays a control.
    d1 = out.loc["D1"]
    assert d1["effect"] == pytest.approx(2.0)
    assert d1["se"] == pytest.approx(1.0)
    assert (d1["n_treated"], d1["n_controls"]) == (4, 4)
    assert (d1["pre_years"], d1["post_years"], d1["first_post_year"]) == (
        "2022",
        "2023",
        2023,
    )
    assert d1["verdict"] == VERDICTS["none"]
    # Target 60 in 2023: mean of 56, 63, 72, 43 is 58.5; two schools of four
    # reached it.
    assert (d1["target_year"], d1["achieved"]) == (2023, 58.5)
    assert not d1["target_reached"]
    assert d1["share_units_reached"] == 0.5

    assert out.loc["D2", "note"] == "мера не выполнена: эффект не оценивается"
    assert out.loc["D2", "verdict"] == VERDICTS["not_evaluated"]
    assert (
        out.loc["D3", "note"] == "меньше двух целевых единиц со значениями до и после"
    )


def test_register_sheet_of_the_stage_workbook(register_db):
    from cyclolib.correction import stage_tables

    tables = stage_tables(register_db, level="region", unit_id="r", year=2023)
    assert list(tables)[:2] == ["Реестр решений", "Эффективность мер"]
    register = tables["Реестр решений"]
    assert list(register.columns) == [
        "Номер",
        "Дата",
        "Учебный год",
        "Уровень",
        "Код единицы",
        "Орган",
        "Вид использования",
        "Мера",
        "Целевые единицы",
        "Показатель",
        "Целевое значение",
        "Срок",
        "Статус",
        "Примечание",
    ]
    # Read off the fixture: three decisions of 1 September 2022 (academic
    # year 2022/2023), kind 25 of params/uses.yaml, D2 not done
    first = register.iloc[0]
    assert first["Номер"] == "D1"
    assert first["Учебный год"] == "2022/2023"
    assert first["Уровень"] == "регион"
    assert first["Вид использования"] == (
        "Определение необходимости повышения квалификации"
    )
    assert first["Целевые единицы"] == "mA; mB"
    assert first["Показатель"] == "Средний процент выполнения работы"
    assert register["Статус"].tolist() == ["выполнено", "не выполнено", "выполнено"]
