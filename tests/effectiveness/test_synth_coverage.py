"""Stage 7 on synthetic regions: the intervals against the planted effects.

Reference: the ground truth of cyclolib.synth (``true_effect_pct`` of each
measure: the expected gain of the treated schools' ВПР % of the maximum that
the generator put in). Three small regions (30 schools, ВПР only) here;
bench/bench_effectiveness.py runs twenty full-size ones for the coverage figure.
"""

from __future__ import annotations

import pandas as pd
import pytest
from synth_region import load_region

from cyclolib.effectiveness import coverage, evaluate_measures

SEEDS = (1, 2, 3)


def evaluate_region(folder, seed: int) -> tuple[pd.DataFrame, dict]:
    con, truth = load_region(folder, seed, folder / "region.duckdb")
    try:
        effects = evaluate_measures(con)
    finally:
        con.close()
    planted = {
        p["measure_id"]: p["true_effect_pct"]
        for p in truth["planted"]
        if p["category"] == "measure"
    }
    return effects.assign(seed=seed), planted


@pytest.mark.slow
def test_intervals_cover_planted_effects_on_three_regions(tmp_path):
    frames, truth = [], {}
    for seed in SEEDS:
        effects, planted = evaluate_region(tmp_path / str(seed), seed)
        key = {d: f"{seed}/{d}" for d in planted}
        frames.append(effects.assign(decision_id=effects["decision_id"].map(key)))
        truth |= {key[d]: v for d, v in planted.items()}
    effects = pd.concat(frames, ignore_index=True)

    # Every measure done was evaluated: two per region of 30 schools; the
    # register's measures not done or only planned are not.
    done = effects[effects["status"] == "done"]
    assert len(done) == len(truth) == 6
    assert done["effect"].notna().all(), done["note"].tolist()
    assert effects.loc[effects["status"] != "done", "effect"].isna().all()
    effects = done
    assert (effects["n_controls"] >= 3).all()
    # Six 95 % intervals: all six cover with probability 0.74, at least five
    # with 0.97; fewer than five would point at a biased or too narrow interval.
    result = coverage(effects, truth)
    assert result["intervals"] == 6
    assert result["covered"] >= 5, effects[["decision_id", "effect", "ci_low"]]
