"""The widget panel driven from code: values set, outputs checked by hand figures."""

from __future__ import annotations

import contextlib
import html
import io

import pytest

from cyclolib.explore import ExploreError, Panel


@pytest.fixture
def panel(explorer, tmp_path):
    # No front end here: what the output area would display goes to a buffer
    with contextlib.redirect_stdout(io.StringIO()):
        yield Panel(explorer.con, explorer=explorer, out_dir=tmp_path)


def quiet(fn, *args):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args)


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
    quiet(panel.go_up)
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
    png, page = quiet(panel.render)
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
    with contextlib.redirect_stdout(io.StringIO()):
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
    with contextlib.redirect_stdout(io.StringIO()):
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
    p = quiet(lambda: Panel(explorer.con, explorer=explorer))
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
    p = quiet(lambda: Panel(explorer.con, explorer=explorer, out_dir=published / "x"))
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
    public = quiet(
        lambda: Panel(
            explorer.con, explorer=explorer, public=True, out_dir=published / "x"
        )
    )
    assert public.save_xlsx().parent == published / "x"


def test_views_argument_limits_the_panel(explorer):
    from cyclolib.explore import panel as make_panel

    # Notebook 04: the units only, no view buttons
    one = quiet(lambda: make_panel(explorer, interactive=True, views=["drilldown"]))
    assert isinstance(one, Panel)
    assert one.view_w.options == (("Единицы", "drilldown"),)
    assert one.view_w.layout.display == "none"
    assert list(one.tables) == ["Итоги", "Единицы"]

    # Notebook 05: three views; the default view is not among them
    views = ["heatmap", "distribution", "compare"]
    three = quiet(lambda: make_panel(explorer, interactive=True, views=views))
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
        quiet(lambda: Panel(explorer.con, explorer=explorer, views=["map"]))
    assert str(err.value) == (
        "Неизвестный вид «map»: допустимы drilldown, tasks, heatmap, "
        "distribution, compare"
    )
