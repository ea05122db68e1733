"""A synthetic region loaded into a database, with its planted ground truth."""

from __future__ import annotations

import json
from pathlib import Path

from cyclolib import db


def load_synthetic(
    folder: Path, *, seed: int, schools: int, years: list[int], subjects=("ma", "ru")
):
    """Write a synthetic region (CSV), load its ВПР files; return (con, planted)."""
    from cyclolib.loaders import load_paths
    from cyclolib.synth import make_region

    out = make_region(
        seed=seed,
        schools=schools,
        municipalities=max(2, schools // 25),
        years=years,
        out_dir=folder / f"synth{seed}",
        fmt="csv",
    )
    paths = [out / "schools.csv", out / "items.csv"]
    paths += sorted(p for s in subjects for p in out.rglob(f"vpr-*-{s}-*.csv"))
    con = db.connect(folder / f"synth{seed}.duckdb")
    load_paths(con, paths)
    truth = json.loads((out / "ground_truth.json").read_text(encoding="utf-8"))
    return con, truth["planted"]


def detection(flagged: set[str], planted: set[str]) -> tuple[int, int, int]:
    """True positives, flagged and planted counts."""
    return len(flagged & planted), len(flagged), len(planted)
