"""A small synthetic region (30 schools, ВПР only) with its register loaded."""

from __future__ import annotations

import json
from pathlib import Path

from cyclolib import db
from cyclolib.decisions import load_register
from cyclolib.loaders import load_paths
from cyclolib.synth import make_region


def load_region(folder: Path, seed: int, db_path: Path):
    """Write the region into ``folder``, load its schools, ВПР results and
    register into ``db_path``; return the open connection and the ground truth."""
    make_region(
        seed=seed,
        schools=30,
        municipalities=3,
        years=[2022, 2023, 2024],
        out_dir=folder,
        fmt="csv",
    )
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    files = [
        folder / f["path"]
        for f in manifest["files"]
        if f["kind"] == "schools" or (f["kind"] == "results" and f["study"] == "vpr")
    ]
    con = db.connect(db_path)
    try:
        load_paths(con, files)
        loaded = load_register(con, folder / "decisions.csv")
        if not loaded.valid:
            raise AssertionError(f"register rejected: {loaded.rejects}")
    except BaseException:
        con.close()
        raise
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    return con, truth
