"""``cyclo table``: panel and database tables to formatted XLSX files."""

from __future__ import annotations

import openpyxl
import pytest

from cyclolib.cli import main


@pytest.fixture
def db_path(tiny_con):
    path = tiny_con.execute("PRAGMA database_list").fetchall()[0][2]
    tiny_con.close()
    return path


def header(sheet) -> list:
    return [c.value for c in sheet[1]]


def test_tasks_of_a_school(db_path, tmp_path, capsys):
    out = tmp_path / "tasks.xlsx"
    code = main(
        [
            "table",
            "tasks",
            "--db",
            db_path,
            "--level",
            "school",
            "--unit",
            "s1",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    assert capsys.readouterr().out == f"Сохранено: {out} (листов: 1, строк: 3)\n"
    sheet = openpyxl.load_workbook(out)["Задания"]
    assert header(sheet)[:6] == [
        "№",
        "Задание",
        "Уровень сложности",
        "Максимальный балл",
        "Участников",
        "Выполнение, %",
    ]
    # s1 task 1: (4 + 2 + 0 + 3 + 4 + 1) of 6 · 4, stored in percent, shown with «%»
    assert sheet.cell(2, 6).value == pytest.approx(1400 / 24)
    assert "%" in sheet.cell(2, 6).number_format
    assert sheet.cell(1, 1).font.bold
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["F"].width >= len("Выполнение, %")


def test_all_panel_tables_one_sheet_each(db_path, tmp_path):
    out = tmp_path / "all.xlsx"
    assert main(["table", "all", "--db", db_path, "-o", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == [
        "Итоги",
        "Единицы",
        "Задания",
        "Карта заданий",
        "Распределение баллов",
        "Сравнение",
        "Сравнение по заданиям",
    ]
    heat = book["Карта заданий"]
    assert header(heat) == ["Код", "Единица", "Участников", "1", "2", "3"]
    # The region row of the heat map: task 2, 55 of 12 · 8 points, a percent cell
    assert heat.cell(4, 5).value == pytest.approx(5500 / 96)
    assert "%" in heat.cell(4, 5).number_format


def test_heatmap_for_other_subject(db_path, tmp_path):
    out = tmp_path / "ru.xlsx"
    assert (
        main(["table", "heatmap", "--db", db_path, "--subject", "ru", "-o", str(out)])
        == 0
    )
    heat = openpyxl.load_workbook(out)["Карта заданий"]
    # Only m1 wrote Russian: 3 of 2 · 2 points
    assert [heat.cell(r, 2).value for r in (2, 3)] == [
        "Город Первый",
        "Итого: Тестовая область",
    ]
    assert heat.cell(2, 4).value == pytest.approx(75.0)


def test_database_table(db_path, tmp_path):
    out = tmp_path / "schools.xlsx"
    assert main(["table", "schools", "--db", db_path, "-o", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Школы"]
    sheet = book["Школы"]
    assert header(sheet) == [
        "Логин ОО",
        "Название ОО",
        "Код муниципалитета",
        "Код региона",
        "Городская местность",
        "Тип населённого пункта",
        "Обучающихся в ОО",
        "Социальный индекс",
    ]
    assert [sheet.cell(r, 1).value for r in (2, 3, 4)] == ["s1", "s2", "s3"]
    # The social index of s3 as a number with two decimals, not a percent
    assert sheet.cell(4, 8).value == pytest.approx(-0.8)
    assert sheet.cell(4, 8).number_format == "0.00"
    assert sheet.cell(1, 1).font.bold and sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["F"].width >= len("Тип населённого пункта") * 0.9


def test_indicator_values_percent_rows(tiny_con, tmp_path):
    import pandas as pd

    from cyclolib import db

    # A percent indicator (unit «%» in params/indicators.yaml) and a count
    db.append(
        tiny_con,
        "indicator_values",
        pd.DataFrame(
            {
                "year": 2024,
                "study": "vpr",
                "subject": "ma",
                "grade": 4,
                "level": "region",
                "unit_id": "r1",
                "unit_name": "Тестовая область",
                "indicator": ["quality_pct", "participants"],
                "task": "",
                "value": [57.8, 12.0],
                "n": 12,
                "ci_low": [30.1, None],
                "ci_high": [82.0, None],
                "small_group": False,
            }
        ),
    )
    path = tiny_con.execute("PRAGMA database_list").fetchall()[0][2]
    tiny_con.close()
    out = tmp_path / "values.xlsx"
    assert main(["table", "indicator_values", "--db", path, "-o", str(out)]) == 0
    sheet = openpyxl.load_workbook(out)["Значения показателей"]
    head = header(sheet)
    assert head[:10] == [
        "Год",
        "Исследование",
        "Предмет",
        "Класс (параллель)",
        "Уровень",
        "Код единицы",
        "Единица",
        "Показатель",
        "Задание, код, уровень или балл",
        "Значение",
    ]
    value, low = head.index("Значение") + 1, head.index("Нижняя граница интервала") + 1
    assert sheet.cell(2, 8).value == "quality_pct"
    assert sheet.cell(2, value).value == pytest.approx(57.8)
    assert sheet.cell(2, value).number_format == '0.0"%"'
    assert sheet.cell(2, low).number_format == '0.0"%"'
    # The count of participants is no percent
    assert sheet.cell(3, value).value == 12
    assert "%" not in sheet.cell(3, value).number_format


def test_every_database_column_has_a_russian_heading(tmp_path):
    import re

    from cyclolib import db
    from cyclolib.explore.tables import TABLE_NAMES, headings

    con = db.connect(tmp_path / "empty.duckdb")
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables"
        ).fetchall()
    ]
    cyrillic = re.compile("[а-яё]", re.IGNORECASE)
    for table in tables:
        assert cyrillic.search(TABLE_NAMES[table]), table
        names = headings(table)
        for column in db.table_columns(con, table):
            assert cyrillic.search(names.get(column, "")), (table, column)
    con.close()


def test_unknown_table_message(db_path, capsys):
    assert main(["table", "marks", "--db", db_path]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "ошибка: неизвестная таблица «marks»: допустимы таблицы панели (summary, "
        "units, tasks, heatmap, distribution, compare, all) и таблицы базы данных ("
    )
    assert "indicator_values" in err and "schools" in err


def test_unknown_unit_message(db_path, capsys):
    assert (
        main(["table", "units", "--db", db_path, "--level", "school", "--unit", "s9"])
        == 2
    )
    assert capsys.readouterr().err == (
        "ошибка: Нет результатов за 2024 год для единицы «s9» (уровень «школа»)\n"
    )


def test_not_an_xlsx_name(db_path, tmp_path, capsys):
    assert main(["table", "tasks", "--db", db_path, "-o", str(tmp_path / "t.csv")]) == 2
    assert capsys.readouterr().err == (
        f"ошибка: Файл {tmp_path / 't.csv'}: ожидалось расширение .xlsx, "
        "получено «.csv»\n"
    )


def test_help_is_russian(capsys):
    with pytest.raises(SystemExit):
        main(["table", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("использование: cyclo table [-h] [--db ФАЙЛ]")
    assert "сохранить любую таблицу в оформленный XLSX" in out
