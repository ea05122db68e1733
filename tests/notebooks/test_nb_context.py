"""The notebook context and the catalogue helpers, on hand-made inputs."""

from __future__ import annotations

import pandas as pd
import pytest

from cyclolib import nb
from cyclolib.reports import cycle, html


@pytest.fixture
def school(nb_db):
    ctx = nb.setup(
        level="school", unit_id="sch000202", db=str(nb_db), show_header=False
    )
    yield ctx
    ctx.close()


def test_setup_resolves_each_level(nb_db):
    # Reference: the hand-made region of tests/reports/report_db.py
    region = nb.setup(db=str(nb_db), show_header=False)
    assert (region.unit_id, region.unit_name, region.parent_id) == (
        "r22",
        "Алтайская область",
        None,
    )
    assert len(region.school_ids) == 5 and region.year == 2024
    muni = nb.setup(level="municipality", unit_id="m02", db=str(nb_db))
    assert muni.school_ids == ("sch000201", "sch000202")
    assert (muni.parent_id, muni.parent_name) == ("r22", "Алтайская область")
    first = nb.setup(level="school", db=str(nb_db))
    assert (first.unit_id, first.parent_name) == ("sch000101", "г. Первомайск")
    for ctx in (region, muni, first):
        ctx.close()


def test_setup_errors_say_what_to_do(nb_db):
    with pytest.raises(ValueError) as err:
        nb.setup(level="class", db=str(nb_db))
    assert str(err.value) == (
        "Недопустимый уровень 'class': ожидалось region, municipality или school"
    )
    with pytest.raises(ValueError) as err:
        nb.setup(level="school", unit_id="sch1", db=str(nb_db))
    assert str(err.value) == (
        f"Единица 'sch1' уровня «школа» не найдена в базе данных {nb_db}: "
        "проверьте unit_id (cyclo search подскажет код)"
    )
    with pytest.raises(ValueError) as err:
        nb.setup(year=2019, db=str(nb_db))
    assert str(err.value) == (
        f"В базе данных {nb_db} нет результатов 2019 года: есть годы 2024"
    )


def test_queries_stay_within_the_unit(school):
    # Six students of sch000202 (one absent), two forms: 12 results by hand
    results = school.results()
    assert len(results) == 12
    assert set(results["school_id"]) == {"sch000202"}
    # The whole table: (24 + 18 + 15 + 12 + 6) students × 2 forms
    assert school.count("results") == 150


def test_a_count_leaves_the_connection_free_for_the_next_query(school):
    school.count("results")
    table = school.con.sql("SELECT count(*) AS n FROM schools").to_arrow_table()
    assert table.to_pydict() == {"n": [5]}


def test_public_view_hides_small_groups_and_student_codes(school):
    frame = pd.DataFrame(
        {
            "student_id": ["a", "b", "c"],
            "group": ["А", "Б", "В"],
            "participants": [9, 10, 25],
        }
    )
    shown, hidden = school.public_view(frame)
    # By hand: 9 < min_group_size = 10 is hidden, 10 is shown
    assert list(shown.columns) == ["group", "participants"]
    assert shown["group"].tolist() == ["Б", "В"] and hidden == 1
    school.public = False
    shown, hidden = school.public_view(frame)
    assert shown.equals(frame) and hidden == 0


def test_tables_escape_every_name(school):
    page = school.table_html(
        pd.DataFrame({"name": ["<b>x</b>"], "n": [12]}), caption="<i>подпись</i>"
    )
    assert "<b>" not in page and "<i>" not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "&lt;i&gt;подпись&lt;/i&gt;" in page


def test_counts_in_a_column_of_values_print_without_decimals(school):
    # A value column mixes counts (participants) and percents
    page = school.table_html(
        pd.DataFrame({"value": [4058.0, 63.44, 100.0, float("nan")], "n": [20] * 4})
    )
    cells = [c.split("</td>")[0] for c in page.split("<td>")[1::2]]
    assert cells == ["4058", "63.4", "100", "—"]


def test_missing_values_of_nullable_columns_print_as_a_dash(school):
    frame = pd.DataFrame(
        {
            "share": pd.array([52.5, None], dtype="Float64"),
            "count": pd.array([12, None], dtype="Int64"),
            # numbers with pd.NA in an object column, as a frame of records
            "mixed": pd.Series([51.25, pd.NA], dtype=object),
            "n": [20, 20],
        }
    )
    page = school.table_html(frame)
    assert "&lt;NA&gt;" not in page
    cells = [c.split("</td>")[0] for c in page.split("<td>")[1:]]
    assert cells == ["52.5", "12", "51.2", "20", "—", "—", "—", "20"]


def test_studies_are_selected_with_reasons():
    chosen = cycle.select_studies("school", 2024).set_index("id")
    # Reference: params/studies.yaml — PISA is held in 2022 and 2025
    assert chosen.loc["pisa", "reason"] == "в 2024 году не проводится"
    assert chosen.loc["niko", "reason"] == "результаты доходят только до уровня школы"
    assert chosen.loc["vpr", "selected"]
    assert not chosen.loc["timss", "selected"]
    assert cycle.select_studies("school", 2024, present={"timss"}).set_index("id").loc[
        "timss", "reason"
    ] == ("результаты этого года есть в базе данных")


def test_month_spans_cross_the_new_year():
    assert cycle.month_span([8, 9]) == "август–сентябрь"
    assert cycle.month_span([12, 1]) == "декабрь–январь"
    assert cycle.month_span([10, 12, 2, 3, 4]) == "октябрь, декабрь, февраль–апрель"
    assert cycle.month_span(range(1, 13)) == "весь год"
    months = cycle.stage_months(cycle.select_studies("region", 2024))
    assert months[1] == [4, 5] and months[8] == [8, 9]


def test_contents_are_built_from_the_headings():
    page = (
        "<main><!-- cyclo:toc --><div><h1>Отчёт</h1></div><h2 id=x>Первый"
        '<a class="anchor-link" href="#x">¶</a></h2><h3>Второй</h3></main>'
    )
    out = html.add_toc(page)
    assert '<li class="toc-h2"><a href="#sec-1">Первый</a></li>' in out
    assert '<li class="toc-h3"><a href="#sec-2">Второй</a></li>' in out
    assert '<h2 id="sec-1">Первый</h2>' in out and "anchor-link" not in out


def test_outside_references_are_found():
    page = (
        '<script src="https://cdn.example/require.js"></script>'
        '<link href="//fonts.example/css" rel="stylesheet">'
        '<img src="data:image/png;base64,AAAA"><a href="https://example.org">x</a>'
    )
    assert len(html.external_references(page)) == 2


def test_stage_states_read_the_database_and_the_catalogue(school):
    import yaml

    from cyclolib.config import PARAMS_DIR

    states = cycle.stage_states(school).set_index("number")
    assert states.loc[3, "evidence"] == "школ с результатами: 1 из 1"
    assert states.loc[3, "state"] == "выполнено"
    assert states.loc[4, "state"] == "не начато"
    # Reference: the approved indicators of the school level, counted in the YAML
    with open(PARAMS_DIR / "indicators.yaml", encoding="utf-8") as fh:
        entries = yaml.safe_load(fh)["indicators"]
    at_school = [e for e in entries if "school" in e["levels"]]
    approved = sum(e["status"] == "approved" for e in at_school)
    assert states.loc[2, "evidence"] == (
        f"утверждено показателей: {approved} из {len(at_school)}"
    )


# --- the state of stages 5 to 8 ------------------------------------------------


def _later_stages(states) -> dict[int, tuple[str, str]]:
    frame = states.set_index("number")
    return {n: (frame.loc[n, "state"], frame.loc[n, "evidence"]) for n in (5, 6, 7, 8)}


@pytest.fixture
def cycled(tmp_path):
    """The small database with what stages 5 to 8 leave behind.

    Results of 2024 copied into 2023 (two years for the dynamics); school values
    of ``mean_score_pct`` in both years; a measure done in June 2023 for two
    schools (its effect shows in 2024) and a decision of the school year
    2023/2024 for sch000101.
    """
    import report_db

    from cyclolib import db

    path = report_db.build(tmp_path / "cycled.duckdb")
    con = db.connect(path)
    con.execute(
        "INSERT INTO forms SELECT replace(form_id, '2024', '2023'), study_id, 2023, "
        "subject, grade, max_score, n_tasks FROM forms"
    )
    con.execute(
        "INSERT INTO results SELECT result_id + 100000, replace(form_id, '2024', "
        "'2023'), school_id, class_id, student_id, teacher_id, variant, gender, "
        "absent, primary_score, mark, journal_mark, test_score, load_id FROM results"
    )
    # Treated schools gain 8 points, the others 1: the effect is about 7
    base = {"sch000101": 50, "sch000102": 55, "sch000103": 52}
    base |= {"sch000201": 48, "sch000202": 53}
    values = [
        (year, "school", school, "mean_score_pct", value + gain, 20)
        for school, value in base.items()
        for year, gain in (
            (2023, 0),
            (2024, 8 if school in {"sch000101", "sch000102"} else 1),
        )
    ]
    db.append(
        con,
        "indicator_values",
        pd.DataFrame(
            values, columns=["year", "level", "unit_id", "indicator", "value", "n"]
        ),
    )
    decisions = pd.DataFrame(
        {
            "decision_id": ["Р-1", "Р-2"],
            "date": pd.to_datetime(["2023-06-01", "2023-10-02"]),
            "level": ["region", "school"],
            "unit_id": ["r22", "sch000101"],
            "body": ["министерство", "педсовет"],
            "use_kind": ["programmes", "method_associations"],
            "indicator": ["mean_score_pct", None],
            "status": ["done", "planned"],
        }
    )
    db.append(con, "decisions", decisions)
    db.append(
        con,
        "decision_targets",
        pd.DataFrame(
            {"decision_id": ["Р-1", "Р-1"], "unit_id": ["sch000101", "sch000102"]}
        ),
    )
    con.close()
    return path


def test_later_stages_are_not_done_without_their_traces(nb_db, tmp_path, monkeypatch):
    from cyclolib.analysis import objectivity

    # The small database: one year, no register, no conclusions
    monkeypatch.setenv("CYCLO_CONCLUSIONS", str(tmp_path / "none"))
    ctx = nb.setup(level="municipality", unit_id="m02", db=str(nb_db))
    try:
        got = _later_stages(cycle.stage_states(ctx))
        signs = objectivity.objectivity_signs(ctx.con, year=2024)
    finally:
        ctx.close()
    # m02 has two schools, both examined for objectivity; the value added
    # needs 10 participants (params/value_added.yaml) and sch000202 has 5
    marked = signs[signs["school_id"].isin(["sch000201", "sch000202"])]
    marked = int((marked.groupby("school_id")["n_signs"].max() > 0).sum())
    assert got[5] == (
        "частично",
        "выводов эксперта за 2024 год нет; рассчитано: признаки необъективности "
        f"— школ 2, отмечено {marked}; добавленная ценность — школ 1",
    )
    assert got[6] == (
        "не начато",
        "решений единицы за 2023/2024 учебный год в реестре нет",
    )
    assert got[7] == (
        "не начато",
        "выполненных мер с показателем и целевыми единицами, действие которых "
        "видно по результатам 2024 года, в реестре нет",
    )
    assert got[8] == (
        "не начато",
        "результаты только за 2024 год: для динамики нужны два года и больше",
    )


def test_later_stages_are_done_when_their_traces_exist(cycled, tmp_path, monkeypatch):
    folder = tmp_path / "conclusions"
    monkeypatch.setenv("CYCLO_CONCLUSIONS", str(folder))
    (folder / "2024").mkdir(parents=True)
    (folder / "2024" / "sch000101.yaml").write_text(
        "summary: Результаты устойчивы.\nobjectivity: Признаков нет.\n",
        encoding="utf-8",
    )
    ctx = nb.setup(level="school", unit_id="sch000101", db=str(cycled))
    try:
        got = _later_stages(cycle.stage_states(ctx))
    finally:
        ctx.close()
    # Reference: the fixture by hand. Two sections of six written.
    assert got[5][0] == "выполнено"
    assert got[5][1].startswith("выводы эксперта записаны (разделов: 2 из 6); ")
    # Р-2 (2 October 2023) falls in the school year 2023/2024; Р-1 (June 2023)
    # in 2022/2023, but it targets sch000101 and acts on the 2024 results
    assert got[6] == (
        "выполнено",
        "решений за 2023/2024 учебный год: 1 (запланировано — 1)",
    )
    assert got[7] == (
        "выполнено",
        "выполненных мер с целевыми единицами: 1; со значениями показателя до и "
        "после меры: 1; эффект оценён: 1",
    )
    assert got[8] == (
        "выполнено",
        "лет с результатами: 2 (2023–2024); лет со значениями показателей единицы: 2",
    )


def test_a_measure_without_values_before_it_is_not_evaluated(cycled, monkeypatch):
    from cyclolib import db

    con = db.connect(cycled)
    con.execute("DELETE FROM indicator_values WHERE year = 2023")
    con.close()
    ctx = nb.setup(level="region", db=str(cycled))
    try:
        got = _later_stages(cycle.stage_states(ctx))
    finally:
        ctx.close()
    # Reference: no 2023 value of mean_score_pct is left, so no targeted
    # school has a value before the measure; the region's own values cover
    # no year, so the dynamics lack the computed values
    assert got[7] == (
        "не начато",
        "выполненных мер с целевыми единицами: 1; со значениями показателя до и "
        "после меры: 0; эффект оценён: 0",
    )
    assert got[8] == (
        "частично",
        "лет с результатами: 2 (2023–2024); лет со значениями показателей единицы: 0",
    )


def test_a_faulty_conclusions_file_is_named(nb_db, tmp_path, monkeypatch):
    monkeypatch.setenv("CYCLO_CONCLUSIONS", str(tmp_path))
    path = tmp_path / "2024" / "sch000101.yaml"
    path.parent.mkdir()
    path.write_text("итог: текст\n", encoding="utf-8")
    ctx = nb.setup(level="school", unit_id="sch000101", db=str(nb_db))
    try:
        got = _later_stages(cycle.stage_states(ctx))
    finally:
        ctx.close()
    assert got[5][0] == "частично"
    assert got[5][1].startswith(
        f"файл выводов эксперта не прочитан: {path}: неизвестный раздел выводов "
        "«итог»; допустимы comparisons, "
    )
