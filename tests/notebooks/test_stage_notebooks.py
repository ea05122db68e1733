"""The stage notebooks: their parameters, stored form, and runs at every level."""

from __future__ import annotations

import json

import papermill
import pytest

from cyclolib.nb import iter_notebooks
from cyclolib.reports import runner

# The cyclogram and the eight stages; other notebooks have their own tests
NOTEBOOKS = [p for p in iter_notebooks() if int(p.stem[:2]) <= 8]
# 02 and 04 (indicators and values) are run by the tests of the indicators
MINE = [p for p in NOTEBOOKS if p.stem[:2] not in {"02", "04"}]
CONVENTION = {
    "level": ("str", '"region"', "уровень: region, municipality или school"),
    "unit_id": (
        "str",
        '""',
        "код единицы; пусто — первый по коду регион, муниципалитет или школа",
    ),
    "year": ("int", "0", "учебный год; 0 — последний год в базе"),
    "db": ("str", '""', "файл базы данных; пусто — $CYCLO_DB или data/cyclo.duckdb"),
    "public": (
        "bool",
        "True",
        "публичный режим: только агрегаты, малые группы скрыты",
    ),
}


def test_the_stage_notebooks_are_there():
    stems = [p.stem for p in NOTEBOOKS]
    for stem in [
        "00-cyclogram",
        "01-studies",
        "03-data",
        "05-analysis",
        "06-uses",
        "07-effectiveness",
        "08-correction",
    ]:
        assert stem in stems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_are_described_by_papermill(path):
    # Reference: the parameter convention of the project, read back by papermill
    described = papermill.inspect_notebook(str(path))
    for name, (kind, default, help_text) in CONVENTION.items():
        assert described[name]["inferred_type_name"] == kind
        assert described[name]["default"] == default
        assert described[name]["help"] == help_text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_stored_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["cells"][0]["cell_type"] == "markdown"
    assert nb["cells"][0]["source"][0].startswith("# ")
    tagged = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == []
            assert cell["execution_count"] is None


def test_every_notebook_runs_for_region_municipality_and_school(synth_db, tmp_path):
    # The synthetic region as the loaders store it: its region, first
    # municipality and first school
    from cyclolib import db

    con = db.connect(synth_db, read_only=True)
    units = [
        con.execute(
            "SELECT min(territory_id) FROM territories WHERE level = 'region'"
        ).fetchall()[0][0],
        con.execute(
            "SELECT min(territory_id) FROM territories WHERE level = 'municipality'"
        ).fetchall()[0][0],
        con.execute("SELECT min(school_id) FROM schools").fetchall()[0][0],
    ]
    con.close()
    batch = runner.plan(
        db=synth_db,
        unit_ids=units,
        stages=[p.stem for p in NOTEBOOKS],
        out=tmp_path,
        report_date="2024-06-01",
    )
    runner.run(batch)
    failed = [
        (o.unit_id, o.stage, o.error) for o in batch.outcomes if o.status != "done"
    ]
    assert failed == []
    assert len(batch.outcomes) == 3 * len(NOTEBOOKS)


def test_papermill_kernel_gives_the_same_report_as_the_fast_engine(nb_db, tmp_path):
    # Reference: the same notebook executed by a real Jupyter kernel (papermill)
    pages = {}
    for engine in ("papermill", "fork"):
        batch = runner.plan(
            db=nb_db,
            unit_ids=["sch000101"],
            stages=["0"],
            out=tmp_path / engine,
            report_date="2024-06-01",
            engine=engine,
        )
        runner.run(batch)
        (outcome,) = batch.outcomes
        assert outcome.status == "done", outcome.error
        pages[engine] = open(outcome.html, encoding="utf-8").read()
    assert pages["papermill"] == pages["fork"]
