"""The widget panel driven from code: values set, outputs checked by hand figures."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import pytest

from cyclolib.explore import ExploreError, Panel


@pytest.fixture
def panel(explorer, tmp_path):
    # No front end here: the output area keeps what it would display
    return Panel(explorer.con, explorer=explorer, out_dir=tmp_path)


def test_starts_on_the_region(panel):
    assert (panel.selection.level, panel.selection.unit_id) == ("region", "r1")
    assert panel.region_w.value == "r1"
    assert panel.municipality_w.options == (
        ("— все —", ""),
        ("Город Первый", "m1"),
        ("Район Второй", "m2"),
    )
    assert panel.school_w.disabled and panel.class_w.disabled
    assert panel.tables["Единицы"]["participants"].tolist() == [9, 3]


def test_cascade_region_municipality_school_class(panel):
    panel.municipality_w.value = "m2"
    assert (panel.selection.level, panel.selection.unit_id) == ("municipality", "m2")
    # m2 has one school, s3: marks 2, 5, 4 → «5» 1 of 3
    units = panel.tables["Единицы"]
    assert units["unit_id"].tolist() == ["s3"]
    assert units.loc[0, "mark5_pct"] == pytest.approx(100 / 3)
    assert panel.school_w.options == (("— все —", ""), ("Сельская школа", "s3"))

    panel.school_w.value = "s3"
    assert panel.tables["Единицы"]["unit"].tolist() == ["4а"]
    panel.class_w.value = "s3/2024/4/а"
    assert panel.selection.level == "class"
    assert panel.tables["Итоги"].loc[0, "mean_score"] == pytest.approx(28 / 3)

    # Clearing the school goes back to the municipality
    panel.school_w.value = ""
    assert (panel.selection.level, panel.selection.unit_id) == ("municipality", "m2")
    assert panel.class_w.disabled


def test_views_change_the_tables(panel):
    panel.municipality_w.value = "m1"
    panel.view_w.value = "tasks"
    # m1 task 2: (8 + 4 + 2 + 6 + 5 + 3 + 8 + 2 + 4) of 9 · 8
    assert panel.tables["Задания"].loc[1, "completion_pct"] == pytest.approx(4200 / 72)
    panel.view_w.value = "heatmap"
    assert panel.tables["Карта заданий"]["unit"].tolist() == [
        "Школа № 1",
        "Школа № 2",
        "Итого: Город Первый",
    ]
    panel.view_w.value = "distribution"
    dist = panel.tables["Распределение баллов"].set_index("score")
    assert dist.loc[11, "count"] == 2
    panel.view_w.value = "compare"
    assert panel.tables["Сравнение"]["group"].tolist() == ["unit", "similar", "region"]


def test_drill_down_and_up(panel):
    assert [v for _label, v in panel.drill_w.options] == ["", "m1", "m2"]
    panel.drill_w.value = "m1"
    assert panel.selection.unit_id == "m1"
    assert panel.municipality_w.value == "m1"
    panel.drill_w.value = "s1"
    assert (panel.selection.level, panel.school_w.value) == ("school", "s1")
    panel.go_up()
    assert panel.selection.unit_id == "m1"
    assert panel.school_w.value == ""


def test_form_widgets_switch_the_form(panel):
    panel.municipality_w.value = "m2"
    assert panel.subject_w.options == (("Математика", "ma"), ("Русский язык", "ru"))
    # Only s1 (in m1) wrote Russian: the selection falls back to the region
    panel.subject_w.value = "ru"
    assert panel.selection.form_id == "vpr-2024-ru-4"
    assert (panel.selection.level, panel.selection.unit_id) == ("region", "r1")
    assert panel.tables["Итоги"].loc[0, "participants"] == 2
    assert panel.municipality_w.options == (("— все —", ""), ("Город Первый", "m1"))


def test_html_output_is_escaped_and_has_the_figures(panel):
    png, page = panel.render()
    assert png is None  # every chart of the panel is HTML
    assert "<h3>Регион: Тестовая область (r1)</h3>" in page
    assert "Город Первый" in page and "<script" not in page


def test_save_xlsx_writes_the_tables_shown(panel, tmp_path):
    import openpyxl

    panel.municipality_w.value = "m1"
    panel.view_w.value = "tasks"
    path = panel.save_xlsx()
    assert path == tmp_path / "m1-vpr-2024-ma-4-tasks.xlsx"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Итоги", "Задания"]
    sheet = book["Задания"]
    header = [c.value for c in sheet[1]]
    assert header[:6] == [
        "№",
        "Задание",
        "Уровень сложности",
        "Максимальный балл",
        "Участников",
        "Выполнение, %",
    ]
    assert sheet.cell(3, 6).value == pytest.approx(4200 / 72)
    assert "%" in sheet.cell(3, 6).number_format


def test_public_mode_hides_small_groups(explorer, tmp_path):
    public = Panel(explorer.con, explorer=explorer, public=True)
    # Every municipality has fewer than 10 participants
    assert public.tables["Единицы"].empty
    assert public.tables["Итоги"].loc[0, "participants"] == 12


def test_year_change_keeps_the_deepest_unit_that_exists(tiny_con):
    import pandas as pd

    from cyclolib import db

    # 2023: the same form for s1 only, one participant without a class
    db.append(
        tiny_con,
        "forms",
        pd.DataFrame(
            {
                "form_id": ["vpr-2023-ma-4"],
                "study_id": "vpr",
                "year": 2023,
                "subject": "ma",
                "grade": 4,
                "max_score": 20.0,
                "n_tasks": 3,
            }
        ),
    )
    db.append(
        tiny_con,
        "results",
        pd.DataFrame(
            {
                "result_id": [100],
                "form_id": "vpr-2023-ma-4",
                "school_id": "s1",
                "student_id": "s1/old",
                "absent": False,
                "primary_score": 12.0,
                "mark": 4,
                "load_id": 2,
            }
        ),
    )
    p = Panel(tiny_con, level="class", unit_id="s1/2024/4/а")
    assert p.year_w.options == (2024, 2023)
    p.year_w.value = 2023
    # The class of 2024 is not in 2023: its school is shown
    assert (p.selection.level, p.selection.unit_id) == ("school", "s1")
    assert p.selection.form_id == "vpr-2023-ma-4"
    assert p.tables["Итоги"].loc[0, "mean_score"] == 12.0
    assert p.class_w.options == (("— все —", ""), ("без класса", "s1/-"))


def test_default_save_folder_is_private_and_outside_the_published_tree():
    from cyclolib import config
    from cyclolib.explore.panel import save_folder

    folder = save_folder()
    assert folder == config.PRIVATE_REPORTS_DIR / "explore"
    assert not folder.resolve().is_relative_to(config.REPORTS_DIR.resolve())
    ignored = (config.ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "reports-private/" in ignored


def test_save_without_a_folder_goes_to_the_private_reports(
    explorer, tmp_path, monkeypatch
):
    from cyclolib import config

    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    monkeypatch.setattr(config, "PRIVATE_REPORTS_DIR", tmp_path / "reports-private")
    p = Panel(explorer.con, explorer=explorer)
    assert not p.public
    path = p.save_xlsx()
    assert path == tmp_path / "reports-private/explore/r1-vpr-2024-ma-4-drilldown.xlsx"
    assert path.exists() and not (tmp_path / "reports").exists()


def test_small_groups_are_not_saved_into_the_published_reports(
    explorer, tmp_path, monkeypatch
):
    from cyclolib import config

    published = tmp_path / "reports"
    monkeypatch.setattr(config, "REPORTS_DIR", published)
    monkeypatch.setattr(config, "PRIVATE_REPORTS_DIR", tmp_path / "private")
    p = Panel(explorer.con, explorer=explorer, out_dir=published / "x")
    message = (
        f"Файл {published / 'x/r1-vpr-2024-ma-4-drilldown.xlsx'}: таблицы с "
        f"группами меньше 10 участников нельзя сохранять в публикуемый каталог "
        f"{published.resolve()}; сохраните их в {tmp_path / 'private/explore'} "
        "или включите публичный режим"
    )
    with pytest.raises(ExploreError) as err:
        p.save_xlsx()
    assert str(err.value) == message
    # The button shows the same message and writes nothing
    p.save_w.click()
    assert p.status_w.value == f"<b>{html.escape(message)}</b>"
    assert not published.exists()

    # Public tables (small groups hidden) may go there
    public = Panel(
        explorer.con, explorer=explorer, public=True, out_dir=published / "x"
    )
    assert public.save_xlsx().parent == published / "x"


def test_views_argument_limits_the_panel(explorer):
    from cyclolib.explore import panel as make_panel

    # Notebook 04: the units only, no view buttons
    one = make_panel(explorer, interactive=True, views=["drilldown"])
    assert isinstance(one, Panel)
    assert one.view_w.options == (("Единицы", "drilldown"),)
    assert one.view_w.layout.display == "none"
    assert list(one.tables) == ["Итоги", "Единицы"]

    # Notebook 05: three views; the default view is not among them
    views = ["heatmap", "distribution", "compare"]
    three = make_panel(explorer, interactive=True, views=views)
    assert [key for _label, key in three.view_w.options] == views
    assert three.view_w.value == "heatmap"
    assert three.view_w.layout.display != "none"
    assert list(three.tables) == ["Карта заданий"]
    three.view_w.value = "compare"
    assert list(three.tables) == ["Сравнение", "Сравнение по заданиям"]
    with pytest.raises(ExploreError) as err:
        three.set(view="tasks")
    assert str(err.value) == (
        "Вид «tasks» не показывается этой панелью: допустимы heatmap, "
        "distribution, compare"
    )


def test_unknown_view_in_views(explorer):
    with pytest.raises(ExploreError) as err:
        Panel(explorer.con, explorer=explorer, views=["map"])
    assert str(err.value) == (
        "Неизвестный вид «map»: допустимы drilldown, tasks, heatmap, "
        "distribution, compare"
    )


# The output area, read back as a user sees it


class _Page(HTMLParser):
    """What the output area shows: headings, tables and the charts' labels.

    ``tables`` maps the caption above each table (an ``<h4>``) to its rows of
    cell texts; a cell of bars reads as the titles of its bars
    (``«5»: 22.2 %``). ``svg`` holds the texts and titles of an SVG chart.
    """

    def __init__(self, page: str):
        super().__init__()
        self.headings: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.svg: list[str] = []
        self._text: list[str] | None = None
        self._cell: list[str] | None = None
        self._caption = ""
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("h3", "h4", "text", "title"):
            self._text = []
        elif tag == "table":
            self.tables[self._caption] = []
        elif tag == "tr":
            self.tables[self._caption].append([])
        elif tag in ("th", "td"):
            self._cell = []
        if self._cell is not None and attrs.get("title") and tag == "span":
            self._cell.append(attrs["title"])

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)
        if self._cell is not None and data.strip():
            self._cell.append(data.strip())

    def handle_endtag(self, tag):
        if tag in ("h3", "h4") and self._text is not None:
            self.headings.append("".join(self._text))
            self._caption = self.headings[-1] if tag == "h4" else self._caption
            self._text = None
        elif tag in ("text", "title") and self._text is not None:
            self.svg.append("".join(self._text))
            self._text = None
        elif tag in ("th", "td"):
            self.tables[self._caption][-1].append(" | ".join(self._cell))
            self._cell = None


def shown(panel) -> _Page:
    """The output area of the panel: exactly one HTML output, parsed."""
    outputs = panel.output.outputs
    assert [o["output_type"] for o in outputs] == ["display_data"]
    return _Page(outputs[0]["data"]["text/html"])


def rows_of(page: _Page, caption: str) -> dict[str, dict[str, str]]:
    """A table of the page: the first cell of each row → heading → cell."""
    head, *body = page.tables[caption]
    key = 1 if head[0] == "Код" else 0
    return {row[key]: dict(zip(head, row, strict=True)) for row in body}


FORM = "ВПР, Математика, 4 класс, 2024"


def by_sql(con, sql: str, *args) -> list[tuple]:
    return con.execute(sql, list(args)).fetchall()


def test_output_area_follows_the_unit_drop_downs(panel, capsys):
    con = panel.con
    page = shown(panel)
    assert page.headings[:2] == [
        "Регион: Тестовая область (r1)",
        f"Тестовая область: отметки ({FORM})",
    ]

    panel.municipality_w.value = "m1"
    page = shown(panel)
    assert page.headings[:2] == [
        "Муниципалитет: Город Первый (m1)",
        f"Город Первый: отметки ({FORM})",
    ]

    # The schools of m1 straight from the results: marks, participants, scores
    expected = by_sql(
        con,
        "SELECT s.name, count(*), avg(r.primary_score), "
        "100 * avg(CAST(r.mark = 2 AS INT)), 100 * avg(CAST(r.mark = 3 AS INT)), "
        "100 * avg(CAST(r.mark = 4 AS INT)), 100 * avg(CAST(r.mark = 5 AS INT)), "
        "100 * avg(CAST(r.mark >= 4 AS INT)) "
        "FROM results r JOIN schools s USING (school_id) "
        "WHERE s.municipality_id = ? AND r.form_id = ? AND NOT r.absent "
        "GROUP BY s.name ORDER BY s.name",
        "m1",
        "vpr-2024-ma-4",
    )
    assert [row[0] for row in expected] == ["Школа № 1", "Школа № 2"]
    bars = {row[0]: row[1] for row in page.tables[f"Город Первый: отметки ({FORM})"]}
    units = rows_of(page, "Единицы")
    assert list(units) == ["Школа № 1", "Школа № 2"]
    for name, n, mean, m2, m3, m4, m5, quality in expected:
        assert bars[name] == (
            f"«2»: {m2:.1f} % | «3»: {m3:.1f} % | «4»: {m4:.1f} % | «5»: {m5:.1f} %"
        )
        assert units[name]["Участников"] == str(n)
        assert units[name]["Средний первичный балл"] == f"{mean:.1f}"
        assert units[name]["Качество знаний, %"] == f"{quality:.1f}"

    # A school: its classes, the school without classes in one row
    panel.school_w.value = "s1"
    page = shown(panel)
    assert page.headings[0] == "Школа: Школа № 1 (s1)"
    classes = by_sql(
        con,
        "SELECT c.grade || c.letter, count(*) FROM results r JOIN classes c "
        "USING (class_id) WHERE r.school_id = 's1' AND r.form_id = ? "
        "GROUP BY 1 ORDER BY 1",
        "vpr-2024-ma-4",
    )
    units = rows_of(page, "Единицы")
    assert {k: v["Участников"] for k, v in units.items()} == {
        name: str(n) for name, n in classes
    }
    # Everything went to the output area, nothing to the kernel's stdout
    assert capsys.readouterr().out == ""


def test_output_area_follows_the_view_and_form(panel):
    con = panel.con
    before = panel.output.outputs

    # Tasks: completion = points / (participants · max) · 100, and the level
    # reached by the reference levels of params/settings.yaml, read by hand
    reference = {"Б": (60, 57), "П": (30, 28.5)}

    def completion(where: str) -> list[tuple]:
        return by_sql(
            con,
            "SELECT i.task, i.level, count(*), "
            "100 * sum(t.score) / (count(*) * i.max_score) "
            "FROM results r JOIN schools s USING (school_id) "
            "JOIN task_scores t USING (result_id) "
            "JOIN items i ON i.form_id = r.form_id AND i.position = t.position "
            f"WHERE {where} AND r.form_id = ? AND NOT r.absent "
            "GROUP BY i.task, i.level, i.max_score ORDER BY i.task",
            "vpr-2024-ma-4",
        )

    def status(level: str, n: int, pct: float) -> str:
        sufficient, insufficient = reference[level]
        if n < 10:  # min_group_size
            return "мало участников"
        if pct >= sufficient:
            return "достаточный"
        return "недостаточный" if pct < insufficient else "неопределённый"

    statuses = []
    for unit, where, name in (
        ("Регион: Тестовая область (r1)", "s.region_id = 'r1'", "Тестовая область"),
        ("Муниципалитет: Город Первый (m1)", "s.municipality_id = 'm1'", None),
    ):
        if name is None:
            panel.municipality_w.value = "m1"
            name = "Город Первый"
        else:
            panel.view_w.value = "tasks"
        assert panel.output.outputs != before
        before = panel.output.outputs
        page = shown(panel)
        caption = f"{name}: выполнение заданий ({FORM})"
        assert page.headings[:2] == [unit, caption]
        chart = {row[0]: row[1:] for row in page.tables[caption][1:]}
        tasks = rows_of(page, "Задания")
        for task, level, n, pct in completion(where):
            assert chart[task] == [level, f"{pct:.1f}", status(level, n, pct)]
            assert tasks[task]["Выполнение, %"] == f"{pct:.1f}"
        statuses.append([s for *_, s in chart.values()])
    # Region: 30 of 48 points (62.5 %, Б), 55 of 96 (57.3 %, Б), 31 of 96
    # (32.3 %, П); m1 has 9 participants only
    assert statuses == [
        ["достаточный", "неопределённый", "достаточный"],
        ["мало участников"] * 3,
    ]

    # Heat map of the schools of s2's municipality, in whole percent
    panel.view_w.value = "heatmap"
    panel.school_w.value = "s2"
    page = shown(panel)
    heat = page.tables[f"Школа № 2: выполнение заданий, % ({FORM})"]
    assert heat[0] == ["Единица", "Участников", "1", "2", "3"]
    cells = by_sql(
        con,
        "SELECT 100 * sum(t.score) / (count(*) * i.max_score) "
        "FROM results r JOIN task_scores t USING (result_id) "
        "JOIN items i ON i.form_id = r.form_id AND i.position = t.position "
        "WHERE r.school_id = 's2' AND r.form_id = ? GROUP BY i.position, "
        "i.max_score ORDER BY i.position",
        "vpr-2024-ma-4",
    )
    whole = [f"{v:.0f}" for (v,) in cells]
    assert heat[1:] == [["без класса", "3", *whole], ["Итого: Школа № 2", "3", *whole]]

    # Distribution: the share of participants at each score, boundaries drawn
    panel.view_w.value = "distribution"
    page = shown(panel)
    assert page.svg[0] == f"Школа № 2: первичные баллы ({FORM})"
    counts = dict(
        by_sql(
            con,
            "SELECT CAST(primary_score AS INT), count(*) FROM results "
            "WHERE school_id = 's2' AND form_id = ? GROUP BY 1",
            "vpr-2024-ma-4",
        )
    )
    total = sum(counts.values())
    for score in range(21):
        share = 100 * counts.get(score, 0) / total
        assert f"{score} б.: {share:.1f} %" in page.svg
    assert {"«3» от 6", "«4» от 10", "«5» от 15"} <= set(page.svg)

    # Another subject: s2 has none, s1 of the same municipality has two results
    panel.subject_w.value = "ru"
    page = shown(panel)
    assert page.headings[0] == "Муниципалитет: Город Первый (m1)"
    assert page.svg[0] == (
        "Город Первый: первичные баллы (ВПР, Русский язык, 4 класс, 2024)"
    )
    assert {"1 б.: 50.0 %", "2 б.: 50.0 %"} <= set(page.svg)
