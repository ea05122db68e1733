"""Budget allocation by need and results, against a hand computation."""

from __future__ import annotations

import pytest
from tinyregion import add_results, add_schools

from cyclolib.analysis import allocation as al

PARAMS = {
    "total": 1000,
    "round_to": 1,
    "components": {"participants": 0.3, "need": 0.5, "results": 0.2},
}


def test_allocation_by_hand(con):
    add_schools(
        con, {"a": ("m1", 0.0, True), "b": ("m2", 0.0, True), "c": ("m3", 0.0, True)}
    )
    # m1: 10 results, four «2», two «4»; m2: 20, two «2», ten «5»;
    # m3: 10, no «2», five «4».
    rows = [(2021, "ma", 5, "a", 3.0, 2, None)] * 4 + [
        (2021, "ma", 5, "a", 8.0, 3, None)
    ] * 4
    rows += [(2021, "ma", 5, "a", 12.0, 4, None)] * 2
    rows += [(2021, "ma", 5, "b", 3.0, 2, None)] * 2 + [
        (2021, "ma", 5, "b", 8.0, 3, None)
    ] * 8
    rows += [(2021, "ma", 5, "b", 16.0, 5, None)] * 10
    rows += [(2021, "ma", 5, "c", 8.0, 3, None)] * 5 + [
        (2021, "ma", 5, "c", 12.0, 4, None)
    ] * 5
    add_results(con, rows)
    got = al.allocate(con, year=2021, params=PARAMS).set_index("unit_id")

    # A = 1000 (0.3 n/40 + 0.5 n2/6 + 0.2 n45/17):
    # m1 = 75 + 333.33 + 23.53 = 431.86 -> 431; m2 = 150 + 166.67 + 117.65
    # = 434.31 -> 434; m3 = 75 + 0 + 58.82 = 133.82 -> 133; the remainder 2
    # goes to m1, the largest need.
    assert got["amount"].to_dict() == {"m1": 433.0, "m2": 434.0, "m3": 133.0}
    assert got["need"].to_dict() == {"m1": 4, "m2": 2, "m3": 0}
    assert got["share"].sum() == pytest.approx(100.0)


def test_rule_text_and_bad_component():
    assert al.allocation_rule(PARAMS) == (
        "Бюджет 1 000 руб. распределяется между муниципалитетами: 30 % — "
        "пропорционально показателю «число участников»; 50 % — пропорционально "
        "показателю «число результатов «2»»; 20 % — пропорционально показателю "
        "«число результатов «4» и «5»». Суммы округляются вниз до 1 руб., остаток "
        "передаётся единице с наибольшим числом результатов «2»."
    )
    with pytest.raises(ValueError) as err:
        al.allocate(None, year=2021, params={"components": {"size": 1}})
    assert str(err.value) == (
        "Компонент распределения «size» не известен (params/budget.yaml): "
        "допустимы participants, need, results"
    )
