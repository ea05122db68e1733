"""The notebook tests share the small database of tests/reports."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "reports"))
sys.path.insert(0, str(Path(__file__).parent))

import report_db  # noqa: E402
from planted import (  # noqa: E402
    REJECTED_SCHOOLS,
    SCRIPT_NAME,
    SCRIPT_SCHOOL,
    typical_school,
)

from cyclolib.nb import iter_notebooks  # noqa: E402


@pytest.fixture(scope="session")
def nb_db(tmp_path_factory) -> Path:
    """A small database (see tests/reports/report_db.py)."""
    return report_db.build(tmp_path_factory.mktemp("nbdb") / "small.duckdb")


@pytest.fixture(scope="session")
def synth_db(tmp_path_factory) -> Path:
    """A small synthetic region (two years, eight schools) loaded by the loaders."""
    from cyclolib import db
    from cyclolib.loaders import load_paths
    from cyclolib.synth import make_region

    folder = tmp_path_factory.mktemp("synth")
    files = make_region(
        seed=1,
        schools=8,
        municipalities=2,
        years=[2023, 2024],
        out_dir=folder / "files",
        fmt="csv",
    )
    path = folder / "synth.duckdb"
    con = db.connect(path)
    try:
        load_paths(con, [files])
    finally:
        con.close()
    return path


@pytest.fixture(scope="session")
def cycled_synth_db(synth_db, tmp_path_factory) -> Path:
    """The synthetic region with its register of decisions and indicator values.

    A copy of ``synth_db`` taken through the cycle as ``cyclo demo`` does, so
    that every stage notebook has something to show.
    """
    import shutil

    from cyclolib import db
    from cyclolib.decisions import load_register
    from cyclolib.indicators import compute

    path = tmp_path_factory.mktemp("cycled") / "synth.duckdb"
    shutil.copy(synth_db, path)
    con = db.connect(path)
    try:
        load_register(con, synth_db.parent / "files" / "decisions.csv")
        compute(con)
    finally:
        con.close()
    return path


@pytest.fixture(scope="session")
def planted_db(cycled_synth_db, synth_db, tmp_path_factory) -> Path:
    """The cycled synthetic region with what the report tests look for.

    One school is named ``<script>alert(1)</script>``; student codes are made
    unique over the region and easy to find (``У<school>-<code>``); a late
    file of two schools in two municipalities has its four rows rejected by
    the loader (a mark of 9).
    """
    import csv
    import shutil

    from cyclolib import db
    from cyclolib.loaders import load_paths

    folder = tmp_path_factory.mktemp("planted")
    path = folder / "planted.duckdb"
    shutil.copy(cycled_synth_db, path)

    # A late file whose rows all carry a mark outside the scale
    source = synth_db.parent / "files" / "results" / "vpr-2024-ma-4.csv"
    with open(source, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, late = rows[0], [rows[0]]
    for row in rows[1:]:
        school = row[header.index("school_id")]
        if school in REJECTED_SCHOOLS and sum(r[4] == school for r in late) < 2:
            row[header.index("mark")] = "9"
            late.append(row)
    bad = folder / "vpr-2024-ma-4-late.csv"
    with open(bad, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(late)

    con = db.connect(path)
    try:
        report = load_paths(con, [bad])
        assert [f.rejected for f in report.files] == [4]
        con.execute(
            "UPDATE students SET code = 'У' || right(school_id, 4) || '-' || code"
        )
        con.execute(
            "UPDATE schools SET name = ? WHERE school_id = ?",
            [SCRIPT_NAME, SCRIPT_SCHOOL],
        )
    finally:
        con.close()
    return path


@pytest.fixture(scope="session")
def stage_reports(planted_db, tmp_path_factory):
    """Reports of every stage on ``planted_db``, run once for several tests.

    Returns a dict: ``public`` — every notebook for a municipality (the one
    of the planted school), the typical school and the planted school;
    ``private`` — stages 00–08 for the typical school and that municipality;
    ``again`` — stages 00–08 of the planted school once more, on two worker
    processes, into another folder; ``written`` — files the batches wrote
    into the reports folders of the configuration (patched to empty folders)
    and into the repository's ``reports/`` and ``reports-private/``.
    """
    import time

    from cyclolib import config
    from cyclolib.reports import runner

    root = tmp_path_factory.mktemp("stages")
    school, _ = typical_school(planted_db)
    municipality = _municipality_of(planted_db, SCRIPT_SCHOOL)
    stages = [p.stem for p in iter_notebooks() if int(p.stem[:2]) <= 8]
    kws = {"db": planted_db, "report_date": "2024-06-01"}
    repository = [config.ROOT / "reports", config.ROOT / "reports-private"]
    started = time.time() - 1
    with pytest.MonkeyPatch.context() as mp:
        # Anything written to the configured folders lands here
        mp.setattr(config, "REPORTS_DIR", root / "configured" / "reports")
        mp.setattr(config, "PRIVATE_REPORTS_DIR", root / "configured" / "private")
        public = runner.run(
            runner.plan(
                unit_ids=[municipality, school, SCRIPT_SCHOOL],
                out=root / "public",
                **kws,
            )
        )
        private = runner.run(
            runner.plan(
                unit_ids=[municipality, school],
                stages=stages,
                public=False,
                out=root / "private",
                **kws,
            )
        )
        again = runner.run(
            runner.plan(
                unit_ids=[SCRIPT_SCHOOL], stages=stages, out=root / "again", **kws
            ),
            workers=2,
        )
    written = sorted(str(p) for p in (root / "configured").rglob("*") if p.is_file())
    # In the repository: files of this region's units changed since the start
    ids = ("RU-99", "sch99")
    written += sorted(
        str(p)
        for folder in repository
        if folder.is_dir()
        for p in folder.rglob("*")
        if p.is_file()
        and p.stat().st_mtime >= started
        and any(i in str(p) for i in ids)
    )
    return {
        "public": public,
        "private": private,
        "again": again,
        "written": written,
        "school": school,
        "municipality": municipality,
        "out": root,
    }


def _municipality_of(path, school_id: str) -> str:
    from cyclolib import db

    con = db.connect(path, read_only=True)
    try:
        (row,) = con.execute(
            "SELECT municipality_id FROM schools WHERE school_id = ?", [school_id]
        ).fetchall()
    finally:
        con.close()
    return row[0]
