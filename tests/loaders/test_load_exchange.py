"""The exchange format in its encodings, separators, decimal marks and as XLSX.

Reference: one small table written by hand (three ЕГЭ results with test scores
and teacher codes, one absent participant); every variant must load to the
same rows, and the scores below are summed by hand.
"""

from __future__ import annotations

import pytest
from loader_files import SCHOOLS_CSV, write_xlsx

from cyclolib.cli import main
from cyclolib.loaders import load_paths

HEADER = [
    "study", "year", "subject", "grade", "school_id", "student_code", "class",
    "teacher_id", "variant", "gender", "absent", "primary_score", "mark",
    "journal_mark", "test_score", "task_1", "task_2", "task_3",
]  # fmt: skip
ROWS = [
    ["ege", "2024", "ma", "11", "sch220001", "1001", "а", "t-17", "301", "ж", "",
     "7", "", "5", "72.5", "2", "2", "3"],
    ["ege", "2024", "ma", "11", "sch220001", "1002", "а", "t-17", "302", "м", "",
     "4", "", "4", "40", "1", "0", "3"],
    ["ege", "2024", "ma", "11", "sch220002", "1001", "нет", "", "301", "ж", "да",
     "", "", "", "", "", "", ""],
]  # fmt: skip
ITEMS = [
    ["study", "year", "subject", "grade", "task", "max_score", "level", "kes", "kt"],
    ["ege", "2024", "ma", "11", "1", "2", "Б", "1.1;1.2", "2"],
    ["ege", "2024", "ma", "11", "2", "2", "Б", "2.1", "3"],
    ["ege", "2024", "ma", "11", "3", "3", "П", "3.1", "4;5"],
]
SCHOOLS = [line.split(",") for line in SCHOOLS_CSV.strip().split("\n")]
EXPECTED = [
    # (student_id, absent, primary_score, test_score, teacher_id, class letter)
    ("sch220001/1001", False, 7.0, 72.5, "t-17", "А"),
    ("sch220001/1002", False, 4.0, 40.0, "t-17", "А"),
    ("sch220002/1001", True, None, None, None, None),
]


def csv_text(rows, sep, decimal):
    lines = []
    for row in rows:
        cells = [c.replace(".", decimal) if c[:1].isdigit() else c for c in row]
        cells = [f'"{c}"' if sep in c else c for c in cells]
        lines.append(sep.join(cells))
    return "\n".join(lines) + "\n"


def stored(con):
    return con.execute(
        "SELECT student_id, absent, primary_score, test_score, r.teacher_id, letter "
        "FROM results r LEFT JOIN classes USING (class_id) ORDER BY student_id"
    ).fetchall()


@pytest.mark.parametrize(
    ("encoding", "sep", "decimal"),
    [
        ("utf-8", ",", "."),
        ("utf-8-sig", ";", ","),
        ("cp1251", ";", ","),
        ("cp1251", ",", ","),
    ],
)
def test_csv_variants_load_the_same_rows(con, tmp_path, encoding, sep, decimal):
    (tmp_path / "schools.csv").write_text(SCHOOLS_CSV, encoding=encoding)
    (tmp_path / "items.csv").write_text(csv_text(ITEMS, sep, "."), encoding=encoding)
    (tmp_path / "results.csv").write_text(
        csv_text([HEADER, *ROWS], sep, decimal), encoding=encoding
    )
    report = load_paths(con, [tmp_path])
    assert [f.status for f in report.files] == ["loaded"] * 3
    assert report.exit_status == 0
    assert stored(con) == EXPECTED
    # Task points 2+2+3 = 7 and 1+0+3 = 4, as the primary scores say.
    assert con.execute(
        "SELECT sum(score) FROM task_scores JOIN results USING (result_id)"
    ).fetchone() == (11.0,)
    assert con.execute(
        "SELECT list(code ORDER BY code) FROM item_codes WHERE position = 1"
    ).fetchone() == (["1.1", "1.2", "2"],)
    assert con.execute("SELECT teacher_id, school_id FROM teachers").fetchall() == [
        ("t-17", "sch220001")
    ]


def test_xlsx_sheets_and_russian_headers(con, tmp_path):
    russian = [
        "исследование", "год", "предмет", "класс", "логин", "код", "буква",
        "учитель", "вариант", "пол", "отсутствовал", "первичный балл", "отметка",
        "отметка по журналу", "тестовый балл", "task_1", "task_2", "task_3",
    ]  # fmt: skip
    path = write_xlsx(
        tmp_path / "обмен.xlsx",
        {"Школы": SCHOOLS, "Задания": ITEMS, "Результаты": [russian, *ROWS]},
    )
    (f,) = load_paths(con, [path]).files
    assert f.status == "loaded" and f.layout == "exchange", f.messages
    assert stored(con) == EXPECTED
    assert con.execute("SELECT max_score FROM forms").fetchone() == (7.0,)
    assert (
        "работа ege-2024-ma-11: максимальные баллы заданий: описание заданий в базе "
        "(КИМ или таблица items)"
    ) in f.messages


def test_exchange_rejects_and_missing_scale(con, tmp_path):
    rows = [
        HEADER,
        ROWS[0],
        # task 3 above its maximum of 3; a test score of 120
        ["ege", "2024", "ma", "11", "sch220001", "1003", "а", "", "", "", "", "8",
         "", "", "50", "2", "2", "4"],
        ["ege", "2024", "ma", "11", "sch220001", "1004", "а", "", "", "", "", "7",
         "", "", "120", "2", "2", "3"],
        ["ege", "двадцать", "ma", "11", "sch220001", "1005", "а", "", "", "", "",
         "7", "", "", "", "2", "2", "3"],
    ]  # fmt: skip
    (tmp_path / "schools.csv").write_text(SCHOOLS_CSV, encoding="utf-8")
    (tmp_path / "items.csv").write_text(csv_text(ITEMS, ",", "."), encoding="utf-8")
    (tmp_path / "results.csv").write_text(csv_text(rows, ",", "."), encoding="utf-8")
    report = load_paths(con, [tmp_path])
    results = next(f for f in report.files if f.path.name == "results.csv")
    assert (results.rows_read, results.accepted, results.rejected) == (4, 1, 3)
    assert con.execute(
        'SELECT "row", reason FROM rejects ORDER BY "row"'
    ).fetchall() == [
        (3, "балл за задание 3 больше максимального: найдено 4, максимум 3"),
        (4, "тестовый балл должен быть числом от 0 до 100, найдено «120»"),
        (5, "год работы не распознан"),
    ]
    # No scale of ЕГЭ maths in params/scales.yaml: marks stay empty, with a warning.
    assert con.execute("SELECT mark FROM results").fetchall() == [(None,)]
    assert (
        "нет шкалы перевода в отметки для формы ege-2024-ma-11 (params/scales.yaml): "
        "отметки не вычислены"
    ) in results.messages


def test_cli_exit_statuses_and_rejects_export(tmp_path, capsys):
    db_path = str(tmp_path / "cli.duckdb")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "schools.csv").write_text(SCHOOLS_CSV, encoding="utf-8")
    (tmp_path / "a" / "results.csv").write_text(
        csv_text([HEADER, *ROWS], ",", "."), encoding="utf-8"
    )
    assert main(["load", str(tmp_path / "a"), "--db", db_path, "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "Итого: строк 5, принято 5, отклонено 0." in out

    bad_row = ["ege", "2024", "ma", "11", "sch229999", "1", "", "", "", "", "", "1",
               "", "", "", "1", "0", "0"]  # fmt: skip
    (tmp_path / "b.csv").write_text(csv_text([HEADER, bad_row], ",", "."), "utf-8")
    out_file = tmp_path / "отклонённые.csv"
    args = ["load", str(tmp_path / "b.csv"), "--db", db_path, "--no-progress"]
    assert main([*args, "--rejects", str(out_file)]) == 1
    out = capsys.readouterr().out
    assert "Основные причины отклонения строк:\n        1  неизвестная школа" in out
    assert f"Отклонённые строки (1) выгружены в {out_file}." in out
    text = out_file.read_text(encoding="utf-8-sig")
    assert text.startswith("загрузка,файл,лист,строка,столбец,причина,значение,")
    assert "неизвестная школа «sch229999»" in text

    (tmp_path / "c.xlsx").write_bytes(b"broken")
    assert (
        main(["load", str(tmp_path / "c.xlsx"), "--db", db_path, "--no-progress"]) == 2
    )
    assert "c.xlsx: файл не читается как таблица Excel" in capsys.readouterr().out
    # The same file again: skipped, nothing rejected, status 0.
    assert main(["load", str(tmp_path / "a"), "--db", db_path, "--no-progress"]) == 0
    assert "файл уже загружен" in capsys.readouterr().out
