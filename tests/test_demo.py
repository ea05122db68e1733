"""``cyclo demo``, ``cyclo decisions`` and ``cyclo cycle`` from the command line.

References: the synthetic region's own files (its register has one row per
measure of ground_truth.json, its codifier and planted skills are in
ground_truth.json) and the hand-made database of the refusal test.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from cyclolib import db
from cyclolib.cli import main

SMALL = ["--schools", "30", "--municipalities", "3"]
KINDS = ("kes", "kt")
CODE_KEYS = ["study", "subject", "grade"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A small demo database built by the command, without reports."""
    folder = tmp_path_factory.mktemp("demo")
    args = ["demo", "--seed", "5", "--no-reports", *SMALL]
    args += ["--db", str(folder / "demo.duckdb"), "--data", str(folder / "synth")]
    status = main(args)
    return folder, status


def test_demo_builds_the_database_step_by_step(demo, capsys):
    folder, status = demo
    assert status == 0
    con = db.connect(folder / "demo.duckdb", read_only=True)
    try:
        seed = con.execute("SELECT value FROM meta WHERE key = 'demo_seed'").fetchone()
        (decisions,) = con.execute("SELECT count(*) FROM decisions").fetchone()
        (values,) = con.execute("SELECT count(*) FROM indicator_values").fetchone()
        (schools,) = con.execute("SELECT count(*) FROM schools").fetchone()
    finally:
        con.close()
    truth = json.loads((folder / "synth" / "ground_truth.json").read_text("utf-8"))
    measures = [p["measure_id"] for p in truth["planted"] if p["category"] == "measure"]
    register = pd.read_csv(folder / "synth" / "decisions.csv", dtype=str)
    assert seed == ("5",)
    # Every row of the register; the measures done are the planted ones
    assert decisions == len(register)
    done = register.loc[register["status"] == "done", "id"]
    assert sorted(done) == sorted(measures) and len(measures) == 2
    assert schools == 30
    assert values > 0


def test_demo_refuses_a_database_it_did_not_build(tmp_path, capsys):
    path = tmp_path / "real.duckdb"
    con = db.connect(path)
    con.execute(
        "INSERT INTO results (result_id, form_id, school_id, student_id, absent, "
        "load_id) VALUES (1, 'f', 's', 's/1', false, 1)"
    )
    con.close()
    status = main(["demo", "--no-reports", "--db", str(path)])
    assert status == 2
    assert capsys.readouterr().err == (
        f"Ошибка: в базе данных {path} уже есть результаты, загруженные не "
        "демонстрацией: демонстрация её не перезапишет; укажите другой файл (--db) "
        "или удалите этот\n"
    )
    assert path.exists()


def test_decisions_list_and_workbook(demo, tmp_path, capsys):
    folder, _ = demo
    capsys.readouterr()
    status = main(["decisions", "--list", "--db", str(folder / "demo.duckdb")])
    lines = capsys.readouterr().out.splitlines()
    register = pd.read_csv(folder / "synth" / "decisions.csv", dtype=str)
    assert status == 0
    assert len(lines) == len(register)
    # Each decision with its status in Russian, as the register gives it
    words = {
        "done": "выполнено",
        "not_done": "не выполнено",
        "planned": "запланировано",
    }
    status = r"(\S+)\s+\S+ \S+\s+(не выполнено|выполнено|запланировано) "
    listed = dict(re.match(status, line).groups() for line in lines)
    assert listed == dict(
        zip(register["id"], register["status"].map(words), strict=True)
    )

    book = tmp_path / "stage8.xlsx"
    main(["decisions", "--xlsx", str(book), "--db", str(folder / "demo.duckdb")])
    sheets = pd.read_excel(book, sheet_name=None, engine="calamine")
    assert list(sheets) == [
        "Реестр решений",
        "Эффективность мер",
        "По видам использования",
        "По органам",
        "Виды использования",
        "Динамика",
        "Динамика по муниципалитетам",
        "Предложения",
    ]
    assert len(sheets["Реестр решений"]) == len(register)
    assert len(sheets["Эффективность мер"]) == len(register)


def test_decisions_load_reports_rejected_rows(demo, tmp_path, capsys):
    folder, _ = demo
    path = tmp_path / "bad.csv"
    path.write_text(
        "номер,дата,уровень,орган,вид использования,статус\n"
        "X1,01.09.2024,регион,Министерство,25,потом\n",
        encoding="utf-8",
    )
    status = main(["decisions", str(path), "--db", str(folder / "demo.duckdb")])
    assert status == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{path}: строк 1, принято решений 0, отклонено 1",
        "  строка 2, столбец «status»: статус «потом» не распознан: ожидалось "
        "planned, done или not_done (запланировано, выполнено, не выполнено)",
    ]


def test_cycle_needs_a_level_and_a_unit(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["cycle", "--year", "2024"])
    assert stop.value.code == 2
    assert (
        capsys.readouterr()
        .err.splitlines()[-1]
        .endswith(
            "cyclo cycle: ошибка: не заданы обязательные аргументы: --level, --unit"
        )
    )


def test_cycle_runs_the_stage_notebooks_for_a_school(demo, tmp_path, capsys):
    folder, _ = demo
    con = db.connect(folder / "demo.duckdb", read_only=True)
    try:
        (school,) = con.execute("SELECT min(unit_id) FROM decision_targets").fetchone()
        (year,) = con.execute("SELECT max(year) FROM forms").fetchone()
    finally:
        con.close()
    out = tmp_path / "reports"
    args = ["cycle", "--level", "school", "--unit", school, "--year", str(year)]
    status = main([*args, "--db", str(folder / "demo.duckdb"), "--out", str(out)])
    printed = capsys.readouterr()
    assert status == 0, printed.err
    assert printed.out == f"Оглавление отчётов: {out / 'index.html'}\n"
    unit_dir = out / str(year) / "school" / school
    stems = sorted(p.stem for p in unit_dir.glob("*.html"))
    assert stems[0].startswith("00-") and stems[-1] == "08-correction"
    assert not any(s.startswith("09-") for s in stems)

    # The stage 8 workbook beside the reports: the school's one measure.
    effects = pd.read_excel(
        unit_dir / "08-correction.xlsx",
        sheet_name="Эффективность мер",
        engine="calamine",
    )
    register = pd.read_csv(folder / "synth" / "decisions.csv", dtype=str)
    mine = register[register["target_units"].str.contains(school)]
    assert effects["номер решения"].tolist() == mine["id"].tolist()
    record = json.loads((unit_dir / "07-effectiveness.json").read_text("utf-8"))
    assert record["status"] == "done"


def test_notebooks_of_stages_7_and_8_report_the_measures(demo, tmp_path):
    from cyclolib.effectiveness import VERDICTS, evaluate_measures
    from cyclolib.reports import runner

    folder, _ = demo
    path = folder / "demo.duckdb"
    con = db.connect(path, read_only=True)
    try:
        (region,) = con.execute(
            "SELECT territory_id FROM territories WHERE level = 'region'"
        ).fetchone()
        effects = evaluate_measures(con)
    finally:
        con.close()
    batch = runner.plan(db=path, unit_ids=[region], stages=["06", "07", "08"],
                        out=tmp_path)  # fmt: skip
    runner.run(batch)
    done = {o.stage: o for o in batch.outcomes}
    assert {s: o.status for s, o in done.items()} == {
        "06-uses": "done", "07-effectiveness": "done", "08-correction": "done"
    }  # fmt: skip

    # Reference: the same register evaluated by the library directly.
    better = int((effects["verdict"] == VERDICTS["better"]).sum())
    evaluated = int(effects["effect"].notna().sum())
    assert done["07-effectiveness"].summary == (
        f"мер оценено: {evaluated}, с улучшением: {better}"
    )
    page = (tmp_path / done["07-effectiveness"].html).read_text("utf-8")
    for ident in effects["decision_id"]:
        assert f"<td>{ident}</td>" in page
    register = (tmp_path / done["06-uses"].html).read_text("utf-8")
    assert "Реестр решений: цели, сроки и исполнение" in register
    for ident in effects["decision_id"]:
        assert f"<td>{ident}</td>" in register


@pytest.mark.slow
def test_the_defaults_of_a_notebook_run_the_demo(demo, tmp_path, monkeypatch):
    """Papermill with no parameters: the demo database from $CYCLO_DB, its region."""
    import contextlib
    import io

    import nbformat
    import papermill

    from cyclolib.config import NOTEBOOKS_DIR

    folder, _ = demo
    path = folder / "demo.duckdb"
    con = db.connect(path, read_only=True)
    try:
        ((region, name),) = con.execute(
            "SELECT territory_id, name FROM territories WHERE level = 'region'"
        ).fetchall()
        (year,) = con.execute("SELECT max(year) FROM forms").fetchone()
    finally:
        con.close()
    monkeypatch.setenv("CYCLO_DB", str(path))
    monkeypatch.delenv("CYCLO_BATCH", raising=False)
    out = tmp_path / "00.ipynb"
    notebook = NOTEBOOKS_DIR / "00-cyclogram.ipynb"
    with contextlib.redirect_stderr(io.StringIO()):
        papermill.execute_notebook(
            str(notebook), str(out), cwd=str(NOTEBOOKS_DIR), progress_bar=False
        )
    executed = nbformat.read(str(out), as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.tags]
    assert injected == []
    outputs = [o for c in executed.cells for o in c.get("outputs", [])]
    assert [o for o in outputs if o.get("output_type") == "error"] == []
    # The header names the demo region and its latest year
    header = next(
        o.data["text/html"] for o in outputs if "text/html" in o.get("data", {})
    )
    assert "<th>Уровень</th><td>регион</td>" in header
    assert f"<th>Единица</th><td>{name} ({region})</td>" in header
    assert f"<th>Учебный год</th><td>{year - 1}/{year}</td>" in header
    assert "Школ в единице</th><td>30</td>" in header


def _truth(folder):
    return json.loads((folder / "synth" / "ground_truth.json").read_text("utf-8"))


def test_demo_loads_the_codes_of_every_form(demo):
    # Reference: the forms of the region's manifest (ВПР from the КИМ files,
    # ОГЭ and ЕГЭ from items.csv)
    folder, _ = demo
    manifest = json.loads((folder / "synth" / "manifest.json").read_text("utf-8"))
    forms = {
        f"{f['study']}-{f['year']}-{f['subject']}-{f['grade']}"
        for f in manifest["files"]
        if f["kind"] == "results"
    }
    con = db.connect(folder / "demo.duckdb", read_only=True)
    try:
        coded = con.execute(
            "SELECT form_id, kind, count(DISTINCT position) FROM item_codes "
            "GROUP BY ALL"
        ).fetchall()
        tasks = dict(
            con.execute("SELECT form_id, count(*) FROM items GROUP BY 1").fetchall()
        )
        (unskilled,) = con.execute(
            "SELECT count(*) FROM items WHERE skill IS NULL OR level IS NULL"
        ).fetchone()
        valued = con.execute(
            "SELECT DISTINCT study || '-' || year || '-' || subject || '-' || grade "
            "FROM indicator_values WHERE indicator = 'kes_completion_pct' "
            "AND level = 'region' AND value IS NOT NULL"
        ).fetchall()
    finally:
        con.close()
    assert len(forms) == 24
    # Every task of every form has a КЭС and a КТ code, a skill and a level
    assert {(f, k) for f, k, _ in coded} == {(f, k) for f in forms for k in KINDS}
    assert all(n == tasks[f] for f, _, n in coded)
    assert unskilled == 0
    # Completion per КЭС computed for every form at the region level
    assert {v for (v,) in valued} == forms


def _region_code_status(con, year):
    """Region's completion per code with its status, as notebook 04 reads it."""
    from cyclolib.indicators import code_status

    values = con.execute(
        "SELECT study, subject, grade, indicator, task, value, small_group "
        "FROM indicator_values WHERE level = 'region' AND year = ? AND indicator "
        "IN ('kes_completion_pct', 'kt_completion_pct', 'task_completion_pct')",
        [year],
    ).df()
    levels = con.execute(
        "SELECT f.study_id AS study, f.subject, f.grade, i.task, "
        "i.level AS task_level FROM items i JOIN forms f USING (form_id) "
        "WHERE f.year = ?",
        [year],
    ).df()
    codes = con.execute(
        "SELECT DISTINCT f.study_id AS study, f.subject, f.grade, i.task, c.kind, "
        "c.code FROM item_codes c JOIN items i USING (form_id, position) "
        "JOIN forms f USING (form_id) WHERE f.year = ?",
        [year],
    ).df()
    tasks = values[values["indicator"] == "task_completion_pct"].merge(
        levels, on=[*CODE_KEYS, "task"]
    )
    out = code_status(
        values[values["indicator"] != "task_completion_pct"],
        tasks,
        codes,
        by=CODE_KEYS,
    )
    return out.set_index([*CODE_KEYS, "indicator", "task"]).sort_index()


def test_planted_weak_skills_are_deficits_of_the_region(demo):
    # Reference: the completion of the weak code recomputed from the task
    # scores as Σ points / (participants · Σ maxima), and the region's other
    # КЭС codes of the same form
    folder, _ = demo
    weak = [p for p in _truth(folder)["planted"] if p["kind"] == "weak_skill"]
    assert len(weak) == 2
    con = db.connect(folder / "demo.duckdb", read_only=True)
    try:
        for year in _truth(folder)["years"]:
            status = _region_code_status(con, year)
            for w in weak:
                key = (w["study"], w["subject"], w["grade"], "kes_completion_pct")
                row = status.loc[(*key, w["code"])]
                assert row["status"] == "insufficient", (year, w["form"])
                assert row["tasks"] == 3 and row["insufficient_tasks"] == 3
                (pooled,) = con.execute(
                    "SELECT 100 * sum(coalesce(t.score, 0)) / sum(i.max_score) "
                    "FROM task_scores t JOIN results r USING (result_id) "
                    "JOIN items i ON i.form_id = r.form_id "
                    "AND i.position = t.position "
                    "WHERE NOT r.absent AND r.form_id = ? AND i.task IN ?",
                    [f"{w['study']}-{year}-{w['subject']}-{w['grade']}", w["tasks"]],
                ).fetchone()
                assert row["value"] == pytest.approx(pooled, abs=1e-9)
                assert pooled < 50
                # The weakest КЭС of its form
                form_kes = status.loc[key]
                assert form_kes["value"].idxmin() == w["code"]
    finally:
        con.close()


def test_planted_skill_deficits_are_found_for_their_schools(demo):
    # Reference: the ground truth's schools with a skill deficit of their own
    from cyclolib.analysis import development

    folder, _ = demo
    truth = _truth(folder)
    planted = [p for p in truth["planted"] if p["kind"] == "skill_deficit"]
    assert len(planted) == 1  # 2.5 % of 30 schools, at least one
    con = db.connect(folder / "demo.duckdb", read_only=True)
    try:
        for year in truth["years"]:
            found = development.skill_deficits(con, year=year, level="school")
            topics = development.development_topics(found)
            for p in planted:
                mine = found[
                    (found["unit_id"] == p["school_id"])
                    & (found["study"] == p["study"])
                    & (found["subject"] == p["subject"])
                    & (found["grade"] == p["grade"])
                    & (found["kind"] == "kes")
                    & (found["code"] == p["code"])
                ]
                assert len(mine) == 1
                assert bool(mine["deficit"].iat[0]), (year, mine)
                assert mine["name"].iat[0] == p["name"]
                assert sorted(mine["task_list"].iat[0].split(", ")) == sorted(
                    p["tasks"]
                )
                # A deficit of the school, not of the region: few others share it
                same = found[
                    (found["study"] == p["study"])
                    & (found["subject"] == p["subject"])
                    & (found["grade"] == p["grade"])
                    & (found["kind"] == "kes")
                    & (found["code"] == p["code"])
                ]
                assert same["deficit"].mean() < 0.3, (year, same["deficit"].sum())
                # And a topic of development naming the school
                topic = topics[
                    (topics["kind"] == "kes")
                    & (topics["code"] == p["code"])
                    & (topics["subject"] == p["subject"])
                    & (topics["grade"] == p["grade"])
                ]
                assert p["school_id"] in topic["unit_list"].iat[0].split(", ")
    finally:
        con.close()
