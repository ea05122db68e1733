"""The batch of reports: layout, index, failures, cache, determinism, isolation."""

from __future__ import annotations

import json
import re
import shutil

import nbformat
import pytest
import report_db

from cyclolib.cli import main
from cyclolib.nb import iter_notebooks
from cyclolib.reports import index, runner


@pytest.fixture
def fixed_code(monkeypatch):
    """Freeze the code fingerprint: files edited elsewhere must not redo reports."""
    monkeypatch.setattr(runner, "code_fingerprint", lambda: "code")


def _page(path) -> str:
    return open(path, encoding="utf-8").read()


def _notebook_dir(tmp_path, source: str):
    """A notebooks folder with one stage notebook whose last cell is ``source``."""
    folder = tmp_path / "notebooks"
    folder.mkdir(parents=True)
    nb = nbformat.read(str(iter_notebooks()[0]), as_version=4)
    nb.cells = nb.cells[:3] + [nbformat.v4.new_markdown_cell("## Проверка")]
    nb.cells.append(nbformat.v4.new_code_cell(source))
    nbformat.write(nb, str(folder / "00-probe.ipynb"))
    return folder


@pytest.fixture(scope="module")
def published(small_db, tmp_path_factory):
    """Public reports of stages 00 and 03 for a region, a municipality, two schools."""
    out = tmp_path_factory.mktemp("published") / "reports"
    batch = runner.plan(
        db=small_db,
        unit_ids=["r22", "m01", "sch000101", "sch000103"],
        stages=["0", "3"],
        out=out,
        report_date="2024-06-01",
    )
    runner.run(batch)
    return batch, out


def test_units_of_a_level_within_a_territory_go_to_their_folders(small_db, tmp_path):
    batch = runner.plan(
        db=small_db, levels=["school"], within="m01", stages=["0"], out=tmp_path
    )
    assert [j.unit["unit_id"] for j in batch.jobs] == [
        "sch000101",
        "sch000102",
        "sch000103",
    ]
    for job in batch.jobs:
        assert job.out_dir == str(tmp_path / "2024" / "school" / job.unit["unit_id"])
    batch = runner.plan(
        db=small_db, levels=["region", "municipality"], within="r22", out=tmp_path
    )
    assert sorted({(j.unit["level"], j.unit["unit_id"]) for j in batch.jobs}) == [
        ("municipality", "m01"),
        ("municipality", "m02"),
        ("region", "r22"),
    ]


def test_the_html_is_offline_titled_contented_and_small(published):
    batch, _ = published
    assert [o.status for o in batch.outcomes] == ["done"] * 8
    for outcome in batch.outcomes:
        assert outcome.html.endswith(
            f"2024/{outcome.level}/{outcome.unit_id}/{outcome.stage}.html"
        )
        page = _page(outcome.html)
        # No code, no scripts, nothing fetched from a server
        assert "<script" not in page
        assert "import cyclolib" not in page
        assert "In&nbsp;[" not in page
        assert not re.search(r"(src|href)=[\"']?(https?:)?//", page)
        # The unit and the date in the title; Russian headings in a contents box
        title = re.search(r"<title>(.*)</title>", page).group(1)
        assert title.endswith(" — 2024-06-01")
        assert '<nav class="toc"><p>Содержание</p>' in page
        # A typical school report stays under 150 KB
        assert outcome.size < 150_000
    school = next(o for o in batch.outcomes if o.unit_id == "sch000101")
    page = _page(school.html)
    assert "<title>Циклограмма управления качеством образования — Школа № 1 — " in page
    figures = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,', page)
    assert figures == ["Стадии цикла на месяцах учебного года"]


def test_index_links_every_report_with_a_summary_per_unit(published):
    batch, out = published
    page = _page(index.write_index(out))
    for outcome in batch.outcomes:
        href = f"2024/{outcome.level}/{outcome.unit_id}/{outcome.stage}.html"
        assert f'href="{href}"' in page
    # The summary of notebook 00 (the first stage that gives one), once per unit
    summary = r"стадий выполнено: \d из 8; школ с результатами: 1 из 1"
    assert len(re.findall(summary, page)) == 2
    assert page.count("<tr><td>") == 4


def test_a_planted_script_name_is_escaped_everywhere(published):
    batch, out = published
    pages = [_page(o.html) for o in batch.outcomes]
    pages.append(_page(index.write_index(out)))
    for page in pages:
        assert "<script>alert(1)</script>" not in page
        assert "<script" not in page
    school = _page(next(o.html for o in batch.outcomes if o.unit_id == "sch000103"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in school


def test_private_reports_hold_their_own_unit_only(make_reports):
    public = make_reports(unit_ids=["sch000101"], stages=["3"])
    batch = make_reports(unit_ids=["sch000101", "m02"], stages=["3"], public=False)
    # Given one folder, private files never replace the public ones
    assert [o.html.rsplit("/", 1)[1] for o in batch.outcomes] == [
        "03-data.private.html",
        "03-data.private.html",
    ]
    assert report_db.student_code("sch000101", 0) not in _page(public.outcomes[0].html)
    pages = {o.unit_id: _page(o.html) for o in batch.outcomes}
    own = {
        school: [report_db.student_code(school, i) for i in range(size)]
        for school, size in report_db.SIZES.items()
    }
    # A school's private report lists its own students' codes, no one else's
    assert all(code in pages["sch000101"] for code in own["sch000101"])
    for school, codes in own.items():
        if school != "sch000101":
            assert not any(code in pages["sch000101"] for code in codes)
            assert school not in pages["sch000101"]
    # A municipality's private report names only its own schools
    for school in report_db.SCHOOLS:
        assert (school in pages["m02"]) == school.startswith("sch0002")
        assert not any(code in pages["m02"] for code in own.get(school, []))


def test_private_reports_default_to_their_own_folder(small_db, tmp_path):
    from cyclolib.config import PRIVATE_REPORTS_DIR, REPORTS_DIR

    kws = {"db": small_db, "unit_ids": ["sch000101"], "stages": ["3"]}
    public = runner.plan(**kws)
    private = runner.plan(public=False, **kws)
    assert public.jobs[0].out_dir.startswith(str(REPORTS_DIR.resolve()) + "/")
    assert private.jobs[0].out_dir.startswith(str(PRIVATE_REPORTS_DIR.resolve()) + "/")
    assert not private.jobs[0].out_dir.startswith(str(REPORTS_DIR.resolve()) + "/")


def test_an_index_of_private_reports_warns_against_publishing(make_reports, tmp_path):
    warning = "Служебные отчёты: содержат малые группы и коды участников."
    make_reports(unit_ids=["sch000101"], stages=["0"], out=tmp_path / "pub")
    assert warning not in _page(index.write_index(tmp_path / "pub"))
    make_reports(
        unit_ids=["sch000101"], stages=["0"], out=tmp_path / "priv", public=False
    )
    assert warning in _page(index.write_index(tmp_path / "priv"))


def test_public_reports_hide_student_codes_and_small_groups(make_reports):
    batch = make_reports(unit_ids=["sch000202"], stages=["3", "8"])
    page = "".join(_page(o.html) for o in batch.outcomes)
    assert report_db.student_code("sch000202", 0) not in page
    # Five participants per form: under the minimum of 10, the rows are hidden
    assert "Скрыто строк: 2 (группы меньше 10 участников не публикуются)." in page


def test_rerun_skips_unchanged_reports_and_force_redoes_them(make_reports, fixed_code):
    first = make_reports(unit_ids=["sch000101"], stages=["0", "5"])
    assert [o.status for o in first.outcomes] == ["done", "done"]
    again = make_reports(unit_ids=["sch000101"], stages=["0", "5"])
    assert [o.status for o in again.outcomes] == ["skipped", "skipped"]
    assert again.jobs == []
    # Another report date changes no content: still skipped
    later = make_reports(unit_ids=["sch000101"], stages=["0"], report_date="2024-07-01")
    assert [o.status for o in later.outcomes] == ["skipped"]
    forced = make_reports(unit_ids=["sch000101"], stages=["0", "5"], force=True)
    assert [o.status for o in forced.outcomes] == ["done", "done"]
    # Other parameters are another report
    private = make_reports(unit_ids=["sch000101"], stages=["0"], public=False)
    assert [o.status for o in private.outcomes] == ["done"]


def test_a_changed_notebook_or_database_redoes_the_report(
    make_reports, fixed_code, tmp_path, small_db
):
    folder = _notebook_dir(tmp_path, 'ctx.text("один")')
    make_reports(unit_ids=["m01"], notebooks=folder)
    assert make_reports(unit_ids=["m01"], notebooks=folder).jobs == []
    _notebook_dir(tmp_path / "b", 'ctx.text("два")')
    shutil.copy(tmp_path / "b/notebooks/00-probe.ipynb", folder / "00-probe.ipynb")
    assert len(make_reports(unit_ids=["m01"], notebooks=folder).jobs) == 1
    # Same tables and sizes, other scores: the content checksums differ
    other_db = report_db.build(tmp_path / "other.duckdb", seed=8)
    assert len(make_reports(unit_ids=["m01"], notebooks=folder, db=other_db).jobs) == 1


def test_each_report_is_isolated_from_the_previous_one(make_reports, tmp_path):
    # A notebook that would count its runs if state leaked between reports
    folder = _notebook_dir(
        tmp_path,
        "import cyclolib\n"
        "cyclolib.runs = getattr(cyclolib, 'runs', 0) + 1\n"
        'ctx.text(f"запусков в процессе: {cyclolib.runs}; {ctx.unit_name}")',
    )
    pages = []
    for unit in ["sch000101", "sch000102", "sch000101"]:
        batch = make_reports(unit_ids=[unit], notebooks=folder, force=True)
        pages.append(_page(batch.outcomes[0].html))
    assert pages[0] == pages[2]
    assert "запусков в процессе: 1; Школа № 1" in pages[0]
    assert "запусков в процессе: 1; Гимназия № 2" in pages[1]


def test_a_failing_unit_is_reported_and_the_batch_goes_on(small_db, tmp_path, capsys):
    folder = _notebook_dir(
        tmp_path,
        'if ctx.unit_id == "sch000102":\n'
        '    raise ValueError("в школе нет журнала отметок")\n'
        'ctx.text("готово")',
    )
    out = tmp_path / "reports"
    status = main(
        [
            "reports",
            "--db",
            str(small_db),
            "--out",
            str(out),
            "--level",
            "school",
            "--within",
            "m01",
            "--notebooks",
            str(folder),
            "--date",
            "2024-06-01",
        ]
    )
    assert status == 1
    err = capsys.readouterr().err
    assert (
        "Готово: 2, пропущено без изменений: 0, с ошибкой: 1. "
        f"Оглавление: {out / 'index.html'}"
    ) in err
    assert (
        "  Гимназия № 2 (sch000102), 00-probe: ValueError: в школе нет журнала "
        "отметок (ячейка 6)"
    ) in err
    # The executed notebook is kept with the error; no HTML for the failed unit
    failed = out / "2024/school/sch000102"
    kept = nbformat.read(str(failed / "00-probe.ipynb"), as_version=4)
    assert kept.cells[5].outputs[-1]["ename"] == "ValueError"
    assert not (failed / "00-probe.html").exists()
    record = json.loads((failed / "00-probe.json").read_text(encoding="utf-8"))
    assert record["status"] == "failed"
    assert (out / "2024/school/sch000103/00-probe.html").exists()
    page = _page(out / "index.html")
    assert 'class="failed"' in page


def test_bad_arguments_get_russian_messages(small_db, tmp_path):
    with pytest.raises(ValueError) as err:
        runner.plan(db=small_db, out=tmp_path, stages=["42"])
    assert str(err.value).startswith("Нет тетради стадии '42': есть 00-cyclogram, ")
    with pytest.raises(ValueError) as err:
        runner.plan(db=small_db, out=tmp_path, unit_ids=["sch999"])
    assert str(err.value) == "Единицы не найдены в базе данных: sch999"
    with pytest.raises(ValueError) as err:
        runner.plan(db=small_db, out=tmp_path, engine="kernel")
    assert str(err.value) == (
        "Недопустимый способ выполнения 'kernel': ожидалось fork или papermill"
    )


def test_a_failing_unit_keeps_its_notebook_under_the_papermill_engine(
    small_db, tmp_path
):
    folder = _notebook_dir(tmp_path, 'raise ValueError("в школе нет журнала отметок")')
    batch = runner.plan(
        db=small_db,
        unit_ids=["sch000102"],
        notebooks=folder,
        out=tmp_path / "reports",
        report_date="2024-06-01",
        engine="papermill",
    )
    runner.run(batch)
    (outcome,) = batch.outcomes
    assert outcome.status == "failed"
    # The same cell number as the fork engine gives (its place in the notebook)
    assert outcome.error == "ValueError: в школе нет журнала отметок (ячейка 6)"
    unit = tmp_path / "reports/2024/school/sch000102"
    assert outcome.ipynb == str(unit / "00-probe.ipynb")
    record = json.loads((unit / "00-probe.json").read_text(encoding="utf-8"))
    assert record["ipynb"] == outcome.ipynb
    assert not (unit / "00-probe.html").exists()
    # The kept notebook is the executed one, the failure marked by papermill
    kept = nbformat.read(outcome.ipynb, as_version=4)
    marks = [c for c in kept.cells if "papermill-error-cell-tag" in c.metadata.tags]
    assert len(marks) == 2 and kept.cells[0] is marks[0]
    errors = [o for c in kept.cells for o in c.get("outputs", []) if "ename" in o]
    assert [(o.ename, o.evalue) for o in errors] == [
        ("ValueError", "в школе нет журнала отметок")
    ]
    # The cells before the failure ran: the header block of the unit is there
    assert any(
        "Гимназия № 2" in o.get("data", {}).get("text/html", "")
        for c in kept.cells
        for o in c.get("outputs", [])
    )


def test_edited_conclusions_redo_the_reports_of_their_unit_only(
    make_reports, fixed_code, tmp_path, monkeypatch
):
    folder = tmp_path / "conclusions"
    monkeypatch.setenv("CYCLO_CONCLUSIONS", str(folder))
    kws = {"unit_ids": ["sch000101", "sch000102"], "stages": ["0", "5"]}
    assert len(make_reports(**kws).jobs) == 4
    assert make_reports(**kws).jobs == []
    # The expert writes the conclusions of one school, then edits them
    path = folder / "2024" / "sch000101.yaml"
    path.parent.mkdir(parents=True)
    for text in ("Результаты ниже региона.", "Результаты на уровне региона."):
        path.write_text(f"summary: {text}\n", encoding="utf-8")
        batch = make_reports(**kws)
        assert [(j.unit["unit_id"], j.stage) for j in batch.jobs] == [
            ("sch000101", "00-cyclogram"),
            ("sch000101", "05-analysis"),
        ]
        assert sorted((o.unit_id, o.status) for o in batch.skipped) == [
            ("sch000102", "skipped"),
            ("sch000102", "skipped"),
        ]
        (analysis,) = [
            o.html
            for o in batch.outcomes
            if (o.unit_id, o.stage) == ("sch000101", "05-analysis")
        ]
        assert text in _page(analysis)
    assert make_reports(**kws).jobs == []
    # Removed conclusions are a change too
    path.unlink()
    assert len(make_reports(**kws).jobs) == 2


def test_every_file_under_params_is_in_the_code_fingerprint(tmp_path, monkeypatch):
    params = tmp_path / "params"
    shutil.copytree(runner.PARAMS_DIR, params)
    monkeypatch.setattr(runner, "PARAMS_DIR", params)
    before = runner.code_fingerprint()
    assert runner.code_fingerprint() == before
    # An expert's rating form, a new file in a sub-folder, a YAML file
    form = next((params / "experts").glob("*.csv"))
    form.write_text(form.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    after_form = runner.code_fingerprint()
    (params / "experts" / "round2").mkdir()
    (params / "experts" / "round2" / "ratings.csv").write_text("эксперт\n")
    after_new = runner.code_fingerprint()
    (params / "settings.yaml").write_text(
        (params / "settings.yaml").read_text(encoding="utf-8") + "# note\n",
        encoding="utf-8",
    )
    after_yaml = runner.code_fingerprint()
    assert len({before, after_form, after_new, after_yaml}) == 4


def test_a_batch_writes_its_tables_beside_the_reports_only(
    make_reports, tmp_path, monkeypatch
):
    from cyclolib import config

    # The repository's report folders, as the notebooks would find them
    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "repository" / "reports")
    monkeypatch.setattr(config, "PRIVATE_REPORTS_DIR", tmp_path / "repository" / "rp")
    batch = make_reports(unit_ids=["m01"], stages=["0", "2"])
    assert [o.status for o in batch.outcomes] == ["done", "done"]
    unit = tmp_path / "reports/2024/municipality/m01"
    # Only the notebook that declares the folder of its tables is given it
    assert [j.parameters.get("xlsx_dir") for j in batch.jobs] == [None, str(unit)]
    written = sorted(
        str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()
    )
    assert written == [
        f"reports/2024/municipality/m01/{stage}.{ext}"
        for stage, exts in [
            ("00-cyclogram", ["html", "ipynb", "json"]),
            ("02-indicators", ["html", "ipynb", "json", "xlsx"]),
        ]
        for ext in exts
    ]


def test_notebook_parameters_are_read_from_the_tagged_cell(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("ignored = 1"),
        nbformat.v4.new_code_cell(
            'level: str = "region"  # уровень\n# comment\nyear = 0\n'
            'xlsx_dir: str = ""  # папка',
            metadata={"tags": ["parameters"]},
        ),
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, str(path))
    assert runner.notebook_parameters(path) == ["level", "year", "xlsx_dir"]
    declared = {p.stem: runner.notebook_parameters(p) for p in iter_notebooks()}
    assert [s for s, names in declared.items() if "xlsx_dir" in names] == [
        "02-indicators",
        "05-analysis",
        "06-uses",
    ]


def test_the_note_of_the_progress_bar_names_the_units_in_work():
    from types import SimpleNamespace

    from cyclolib.commands.reports import in_work

    jobs = [
        SimpleNamespace(unit={"name": f"Школа № {i}"}, stage="03-data")
        for i in range(1, 6)
    ]
    assert in_work([]) == ""
    assert in_work(jobs[:2]) == "в работе: Школа № 1 · 03-data, Школа № 2 · 03-data"
    assert in_work(jobs) == (
        "в работе: Школа № 1 · 03-data, Школа № 2 · 03-data, Школа № 3 · 03-data "
        "и ещё 2"
    )


def test_the_progress_bar_of_a_pool_shows_the_units_in_work(small_db, tmp_path, capsys):
    folder = _notebook_dir(tmp_path, 'ctx.text("готово")')
    args = ["reports", "--db", str(small_db), "--out", str(tmp_path / "out")]
    args += ["--level", "school", "--within", "m01", "--notebooks", str(folder)]
    assert main([*args, "--jobs", "2"]) == 0
    # Each state the bar drew: reports done, and its note
    states = re.findall(
        r"\| (\d)/3 \[[^\]]*?(?:, (в работе: [^\]]*))?\]", capsys.readouterr().err
    )
    notes = [(int(n), note) for n, note in states]
    names = ["Школа № 1", "Гимназия № 2", "<script>alert(1)</script>"]
    first_two = f"в работе: {names[0]} · 00-probe, {names[1]} · 00-probe"
    # Two workers: the first two schools begin at once, not the last one done
    assert (0, first_two) in notes
    # One done: the other one of the two and the third school, which began
    after_one = [note for n, note in notes if n == 1]
    assert after_one[-1].count(" · 00-probe") == 2
    assert after_one[-1].endswith(f", {names[2]} · 00-probe")
    assert notes[-1] == (3, "")
