"""The register of decisions of the synthetic region: done, not done, planned.

References: the measures handed to the generator (their schools, years and
statuses are read off the frames below) and the academic-year rule of
cyclolib.decisions (a decision of September to August belongs to the year
that ends in that August).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synth_region import load_region

from cyclolib.correction import proposals, realised_uses
from cyclolib.decisions import read_decisions
from cyclolib.effectiveness import VERDICTS, evaluate_measures
from cyclolib.synth.registers import NOT_DONE, PLANNED, make_decisions

REGION = {"code": "99", "name": "Синтетическая область"}


def _schools(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "school_id": [f"sch99{i:04d}" for i in range(n)],
            "municipality_id": ["m1"] * n,
            "municipality_name": ["Район"] * n,
        }
    )


def test_measures_not_done_and_planned_are_added():
    schools = _schools(20)
    measures = pd.DataFrame(
        {
            "measure": [1, 2],
            "year": [2022, 2023],
            "units": [[0, 1, 2], [3, 4]],
            "effect": [0.35, 0.0],
            "support": [False, False],
        }
    )
    baseline = pd.Series(np.linspace(40, 60, 20))
    register = make_decisions(
        np.random.default_rng(1),
        REGION,
        measures,
        schools,
        baseline,
        years=[2022, 2023, 2024],
    )
    by_id = register.set_index("id")
    assert by_id["status"].to_dict() == {
        "M001": "done",
        "M002": "done",
        "M003": "not_done",
        "M004": "planned",
    }
    assert by_id.loc["M003", "use_kind"] == NOT_DONE[0]
    assert by_id.loc["M004", "use_kind"] == PLANNED[0]
    # Both fall in the academic year 2024: October 2023 and June 2024
    assert by_id.loc["M003", "date"].startswith("2023-10-")
    assert by_id.loc["M004", "date"].startswith("2024-06-")
    assert by_id.loc["M004", "target_date"] == "2025-05-31"
    # In the order of dates, and on schools no planted measure targets
    assert register["date"].tolist() == sorted(register["date"])
    planted = set(schools["school_id"][[0, 1, 2, 3, 4]])
    for ident in ("M003", "M004"):
        targets = by_id.loc[ident, "target_units"].split(";")
        assert len(targets) == 3 and not set(targets) & planted
    assert not set(by_id.loc["M003", "target_units"].split(";")) & set(
        by_id.loc["M004", "target_units"].split(";")
    )

    # Without the years, the last is the year after the latest measure
    again = make_decisions(
        np.random.default_rng(1), REGION, measures, schools, baseline
    )
    assert again.equals(register)
    # A region of one year has no measures, and so no register
    none = make_decisions(
        np.random.default_rng(1), REGION, measures.iloc[:0], schools, baseline
    )
    assert none.empty


@pytest.mark.slow
def test_stage_8_finds_uses_not_realised_on_the_synthetic_region(tmp_path):
    con, truth = load_region(tmp_path / "synth", 2, tmp_path / "synth.duckdb")
    try:
        register = read_decisions(con)
        effects = evaluate_measures(con, decisions=register)
    finally:
        con.close()
    planted = {p["measure_id"] for p in truth["planted"] if p["category"] == "measure"}

    # The planted measures are done; two more are not done and planned
    statuses = register.set_index("decision_id")["status"]
    assert set(statuses[statuses == "done"].index) == planted
    assert sorted(statuses[statuses != "done"]) == ["not_done", "planned"]
    undone = effects[effects["status"] != "done"].set_index("status")
    assert (undone["verdict"] == VERDICTS["not_evaluated"]).all()
    assert undone["note"].to_dict() == {
        "not_done": "мера не выполнена: эффект не оценивается",
        "planned": "мера запланирована: эффект не оценивается",
    }

    # Stage 8 of 2024: one kind of use not done, one only planned
    uses = realised_uses(register[register["year"] == 2024]).set_index("code")
    assert uses.loc[NOT_DONE[0], "state"] == "не выполнено"
    assert uses.loc[PLANNED[0], "state"] == "запланировано"
    ideas = proposals(effects=effects, uses=uses.reset_index())
    kinds = ideas[ideas["object"] == "вид использования"].set_index("item")
    assert kinds.loc[uses.loc[NOT_DONE[0], "name"], "proposal"] == (
        "выяснить причины невыполнения"
    )
    proposed = ideas[ideas["object"] == "мера"].set_index("item")["proposal"]
    undone = statuses[statuses != "done"]
    assert {status: proposed[i] for i, status in undone.items()} == {
        "not_done": "выполнить или исключить из плана",
        "planned": "выполнить и оценить в следующем цикле",
    }
