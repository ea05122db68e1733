"""Coverage of the effect intervals of stage 7 on synthetic regions.

For each seed a synthetic region (params/synth.yaml sizes) is written, loaded
and its register evaluated; each measure's 95 % interval is compared with its
true effect from the region's ground truth (``true_effect_pct``). Printed side
by side: the matched difference-in-differences of the suite and the plain way,
a difference of mean changes of the treated schools against all other schools
with Welch's interval. Also the seconds of one evaluation.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

SEEDS = int(os.environ.get("CYCLO_BENCH_SEEDS", "20"))


def plain_did(panel: pd.DataFrame, treated: set[str], first_post: int) -> dict:
    """Treated against every other school, Welch's t interval: the plain way."""
    period = np.where(panel["year"] < first_post, "pre", "post")
    means = panel.assign(period=period).groupby(["unit_id", "period"])["value"]
    wide = means.mean().unstack().dropna()
    d = wide["post"] - wide["pre"]
    t, c = d[d.index.isin(treated)], d[~d.index.isin(treated)]
    effect = t.mean() - c.mean()
    vt, vc = t.var(ddof=1) / len(t), c.var(ddof=1) / len(c)
    df = (vt + vc) ** 2 / (vt**2 / (len(t) - 1) + vc**2 / (len(c) - 1))
    half = stats.t.ppf(0.975, df) * np.sqrt(vt + vc)
    return {"effect": effect, "ci_low": effect - half, "ci_high": effect + half}


def one_seed(seed: int) -> pd.DataFrame:
    from cyclolib import db
    from cyclolib.decisions import load_register
    from cyclolib.effectiveness import evaluate_measures, school_panel
    from cyclolib.loaders import load_paths
    from cyclolib.synth import make_region

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "synth"
        defaults = __import__("cyclolib.config").config.load_params("synth")["defaults"]
        make_region(
            seed=seed,
            schools=defaults["schools"],
            municipalities=defaults["municipalities"],
            years=list(defaults["years"]),
            out_dir=folder,
            fmt="csv",
        )
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        files = [
            folder / f["path"]
            for f in manifest["files"]
            if f["kind"] in ("schools", "items", "results")
        ]
        truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
        con = db.connect(Path(tmp) / "bench.duckdb")
        load_paths(con, files)
        load_register(con, folder / "decisions.csv")
        started = time.perf_counter()
        effects = evaluate_measures(con)
        seconds = time.perf_counter() - started
        panel = school_panel(con, "vpr_mean_pct")
        con.close()

    planted = {
        p["measure_id"]: p for p in truth["planted"] if p["category"] == "measure"
    }
    rows = []
    for rec in effects.to_dict("records"):
        # Measures not done or only planned have no planted effect to cover
        if rec["decision_id"] not in planted:
            continue
        p = planted[rec["decision_id"]]
        plain = plain_did(panel, set(p["school_ids"]), rec["first_post_year"])
        rows.append(
            {
                "seed": seed,
                "decision_id": rec["decision_id"],
                "truth": p["true_effect_pct"],
                "effect": rec["effect"],
                "ci_low": rec["ci_low"],
                "ci_high": rec["ci_high"],
                "plain_effect": plain["effect"],
                "plain_low": plain["ci_low"],
                "plain_high": plain["ci_high"],
                "seconds": seconds,
            }
        )
    return pd.DataFrame(rows)


def summary(frame: pd.DataFrame, low: str, high: str, effect: str) -> str:
    hit = (frame[low] <= frame["truth"]) & (frame["truth"] <= frame[high])
    n, k = len(frame), int(hit.sum())
    ci = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
    bias = (frame[effect] - frame["truth"]).mean()
    width = (frame[high] - frame[low]).mean()
    return (
        f"покрытие {k}/{n} = {k / n:.1%} (95 % ДИ {ci.low:.1%}–{ci.high:.1%}), "
        f"средняя ошибка {bias:+.2f} п.п., средняя ширина {width:.1f} п.п."
    )


def main() -> None:
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2) as pool:
        frames = list(pool.map(one_seed, range(1, SEEDS + 1)))
    frame = pd.concat(frames, ignore_index=True).dropna(subset=["ci_low"])
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    frame.to_csv(out / "effectiveness_coverage.csv", index=False)
    print(
        f"  синтетических регионов: {SEEDS}, мер с интервалом: {len(frame)}, "
        f"из них с нулевым истинным эффектом: {(frame['truth'] == 0).sum()}"
    )
    print(
        "  сопоставленная РвР (cyclo):   "
        + summary(frame, "ci_low", "ci_high", "effect")
    )
    print(
        "  простая РвР со всеми школами: "
        + summary(frame, "plain_low", "plain_high", "plain_effect")
    )
    first = frame["decision_id"] == "M001"
    err = frame["effect"] - frame["truth"]
    plain_err = frame["plain_effect"] - frame["truth"]
    print(
        "  средняя ошибка по первой мере (школы с низкими результатами): "
        f"{err[first].mean():+.2f} п.п. у cyclo, {plain_err[first].mean():+.2f} "
        f"у простой; по остальным мерам: {err[~first].mean():+.2f} и "
        f"{plain_err[~first].mean():+.2f}"
    )
    print(f"  оценка всех мер одного региона: {frame['seconds'].mean():.2f} с")
    print(
        f"  всего: {time.perf_counter() - started:.0f} с; таблица: "
        f"{out / 'effectiveness_coverage.csv'}"
    )


if __name__ == "__main__":
    sys.exit(main())
