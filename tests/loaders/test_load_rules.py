"""Validation rules, atomic and idempotent loads, on small hand-made files.

References: each file is written here with a known fault in a known row; the
expected message, row (as Excel numbers it) and value are stated by hand.
"""

from __future__ import annotations

import json

import pytest
from loader_files import (
    HEADER_2021,
    NAME_2021,
    header_2020,
    row_2020,
    row_2021,
    tasks,
    write_2021,
    write_schools,
    write_xlsx,
)

from cyclolib import loaders
from cyclolib.loaders import load_paths


@pytest.fixture
def school_con(con, tmp_path):
    report = load_paths(con, [write_schools(tmp_path)])
    assert report.files[0].status == "loaded", report.files[0].messages
    return con


def load_one(con, tmp_path, bad_row, name=NAME_2021):
    """Load a 2021 file with a valid row 2 and ``bad_row`` as row 3."""
    path = write_2021(tmp_path, [row_2021("40001"), bad_row], name=name)
    report = load_paths(con, [path])
    (f,) = report.files
    assert f.status == "loaded", f.messages
    return f


def rejects(con):
    return con.execute(
        'SELECT file, sheet, "row", "column", reason, value, record FROM rejects '
        'ORDER BY "row"'
    ).fetchall()


CASES = [
    (
        tasks(t1="2") | {"всего_баллов": "16"},
        "балл за 1",
        "балл за задание 1 больше максимального: найдено 2, максимум 1",
        "2",
    ),
    (
        tasks(t2="abc"),
        "балл за 2",
        "нечисловое значение в столбце «балл за 2»: ожидался балл (число, X или "
        "пусто), найдено «abc»",
        "abc",
    ),
    (
        tasks(t3="-1") | {"всего_баллов": "13"},
        "балл за 3",
        "отрицательный балл в столбце «балл за 3»: найдено -1",
        "-1",
    ),
    (
        {"всего_баллов": "двадцать"},
        "всего баллов",
        "нечисловое значение в столбце «всего баллов»: ожидался первичный балл, "
        "найдено «двадцать»",
        "двадцать",
    ),
    (
        {"всего_баллов": "25"},
        "всего баллов",
        "первичный балл больше максимума работы: найдено 25, максимум 20",
        "25",
    ),
    (
        {"всего_баллов": "14"},
        "всего баллов",
        "первичный балл 14 не равен сумме баллов за задания 15",
        "14",
    ),
    (
        {"логин_школы": "sch229999"},
        "логин школы",
        "неизвестная школа «sch229999»: её нет в списке школ базы; загрузите список "
        "школ (schools.xlsx или таблицу schools), затем этот файл заново: "
        "cyclo load ФАЙЛ --replace",
        "sch229999",
    ),
    (
        {"отметка_за_предыдущую_четверть/триместр": "7"},
        "отметка за предыдущую четверть/триместр",
        "отметка по журналу вне диапазона 2–5: найдено «7» в столбце «отметка за "
        "предыдущую четверть/триместр»",
        "7",
    ),
    (
        {"отметка_за_предыдущую_четверть/триместр": "м"},
        "отметка за предыдущую четверть/триместр",
        "строка сдвинута: в столбце «отметка за предыдущую четверть/триместр» стоит "
        "«м» (пол) вместо отметки по журналу; проверьте строку в исходной выгрузке",
        "м",
    ),
    (
        {"код_обучающегося": ""},
        "код обучающегося",
        "нет кода участника в столбце «код обучающегося»",
        "",
    ),
]


@pytest.mark.parametrize(("cells", "column", "reason", "value"), CASES)
def test_each_reason_is_stored_with_its_row(
    school_con, tmp_path, cells, column, reason, value
):
    code = "40002" if "код_обучающегося" not in cells else ""
    report = load_one(school_con, tmp_path, row_2021(code, **cells))
    assert (report.rows_read, report.accepted, report.rejected) == (2, 1, 1)
    ((file, sheet, row, col, why, val, record),) = rejects(school_con)
    assert (file, sheet, row, col, why, val) == (
        NAME_2021,
        "Sheet",
        3,
        column,
        reason,
        value,
    )
    assert json.loads(record)["код обучающегося"] == code
    assert sum(report.reasons.values()) == 1


def test_a_student_twice_in_one_file(school_con, tmp_path):
    report = load_one(school_con, tmp_path, row_2021("40001"))
    assert report.rejected == 1
    ((_, _, row, col, reason, value, _),) = rejects(school_con)
    assert (row, col, value) == (3, "код обучающегося", "40001")
    assert (
        reason
        == "участник с кодом 40001 школы sch220001 уже есть в этой работе (строка 2)"
    )


def test_a_student_already_in_the_database(school_con, tmp_path):
    first = write_2021(tmp_path, [row_2021("40001")])
    second_dir = tmp_path / "второй"
    second_dir.mkdir()
    load_paths(school_con, [first])
    # The second file differs (another hash) but repeats student 40001.
    second_rows = [row_2021("40001", **(tasks(t1="0") | {"всего_баллов": "14"}))]
    second = write_2021(second_dir, [*second_rows, row_2021("40002")])
    report = load_paths(school_con, [second]).files[0]
    assert (report.accepted, report.rejected) == (1, 1)
    ((_, _, row, _, reason, _, _),) = rejects(school_con)
    assert row == 2
    assert reason == (
        "участник с кодом 40001 школы sch220001 уже загружен в базу "
        "по работе vpr-2021-ma-4"
    )


def test_not_done_cells_letters_and_absence(school_con, tmp_path):
    rows = [
        row_2021(
            "40001", **(tasks(t1="X", t2="", t3="не пройд.") | {"всего_баллов": "12"})
        ),
        row_2021("40002", класс="нет"),
        row_2021("40003", вариант="отсутствовал", всего_баллов="", пол="", класс=""),
        # (the real exports leave the journal mark of absent participants empty)
        row_2021("40004", **{"отметка_за_предыдущую_четверть/триместр": "нет отметки"}),
    ]
    rows[2][9:24] = [""] * 15
    rows[2][4] = ""
    load_paths(school_con, [write_2021(tmp_path, rows)])
    got = school_con.execute(
        "SELECT code, absent, primary_score, mark, journal_mark, letter "
        "FROM results JOIN students USING (student_id) "
        "LEFT JOIN classes USING (class_id) "
        "ORDER BY code"
    ).fetchall()
    # 12 points: «4» (10..14 on the scale 6/10/15); 15 points: «5».
    assert got == [
        ("40001", False, 12, 4, 4, "А"),
        ("40002", False, 15, 5, 4, None),
        ("40003", True, None, None, None, None),
        ("40004", False, 15, 5, None, "А"),
    ]
    first = school_con.execute(
        "SELECT list(score ORDER BY position) FROM task_scores JOIN results USING "
        "(result_id) WHERE student_id = 'sch220001/40001'"
    ).fetchone()[0]
    assert first[:4] == [0, 0, 0, 1] and len(first) == 15


def test_loading_twice_adds_nothing(school_con, tmp_path):
    path = write_2021(tmp_path, [row_2021("40001"), row_2021("40002")])
    load_paths(school_con, [path])
    before = school_con.execute("SELECT count(*) FROM results").fetchone()
    report = load_paths(school_con, [path])
    (f,) = report.files
    assert f.status == "skipped"
    assert f.messages[0].startswith("файл уже загружен (")
    assert f.messages[0].endswith(
        "загрузка №2): ничего не добавлено (загрузить заново: --replace)"
    )
    assert school_con.execute("SELECT count(*) FROM results").fetchone() == before
    assert school_con.execute("SELECT count(*) FROM loads").fetchone() == (2,)
    assert report.exit_status == 0


def test_a_file_loaded_before_its_school_list_is_replaced(con, tmp_path):
    """Rows rejected for an unknown school come in once the list is loaded."""
    path = write_2021(tmp_path, [row_2021("40001"), row_2021("40002")])
    (first,) = load_paths(con, [path]).files
    assert (first.accepted, first.rejected) == (0, 2)
    assert "cyclo load ФАЙЛ --replace" in rejects(con)[0][4]
    load_paths(con, [write_schools(tmp_path)])
    (again,) = load_paths(con, [path]).files
    assert again.status == "skipped"

    (f,) = load_paths(con, [path], replace=True).files
    assert f.status == "loaded" and (f.accepted, f.rejected) == (2, 0)
    assert f.messages[0] == (
        f"файл загружен заново: данные прежней загрузки №{first.load_id} заменены"
    )
    assert rejects(con) == []
    assert con.execute("SELECT count(*) FROM results").fetchone() == (2,)
    assert con.execute("SELECT count(*) FROM task_scores").fetchone() == (30,)
    assert con.execute(
        "SELECT count(*) FROM loads WHERE path = ?", [str(path)]
    ).fetchone() == (1,)


def test_a_failed_replacement_keeps_the_earlier_load(school_con, tmp_path, monkeypatch):
    path = write_2021(tmp_path, [row_2021("40001")])
    load_paths(school_con, [path])
    before = snapshot(school_con)

    def fail(con, load_id, checked):
        raise OSError("диск переполнен")

    monkeypatch.setattr(loaders, "store", fail)
    (f,) = load_paths(school_con, [path], replace=True).files
    assert f.status == "failed"
    assert snapshot(school_con) == before


def snapshot(con):
    tables = [r[0] for r in con.execute("SHOW TABLES").fetchall()]
    return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_a_corrupt_file_changes_nothing(school_con, tmp_path):
    bad = tmp_path / "испорчен.xlsx"
    bad.write_bytes(b"this is not a workbook")
    before = snapshot(school_con)
    report = load_paths(school_con, [bad])
    (f,) = report.files
    assert f.status == "failed" and report.exit_status == 2
    assert f.messages[0].startswith("испорчен.xlsx: файл не читается как таблица Excel")
    assert snapshot(school_con) == before


def test_an_unknown_layout_changes_nothing(school_con, tmp_path):
    odd = tmp_path / "что-то.csv"
    odd.write_text("a;b;c\n1;2;3\n", encoding="utf-8")
    before = snapshot(school_con)
    (f,) = load_paths(school_con, [odd]).files
    assert f.status == "failed"
    assert f.messages == [
        "что-то.csv: неизвестный формат файла; заголовок: a, b, c. Ожидались выгрузки "
        "ВПР 2020–2022, список школ, контекстные данные ОО, описание КИМ или формат "
        "обмена (docs/exchange-format.md)"
    ]
    assert snapshot(school_con) == before


def test_a_failure_while_writing_rolls_back(school_con, tmp_path, monkeypatch):
    original = loaders.store

    def store_then_fail(con, load_id, checked):
        original(con, load_id, checked)
        raise OSError("диск переполнен")

    monkeypatch.setattr(loaders, "store", store_then_fail)
    before = snapshot(school_con)
    path = write_2021(tmp_path, [row_2021("40001")])
    (f,) = load_paths(school_con, [path]).files
    assert f.status == "failed"
    assert f.messages == [
        f"{NAME_2021}: файл не загружен из-за ошибки: диск переполнен"
    ]
    assert snapshot(school_con) == before


def test_form_from_options_when_the_name_says_nothing(school_con, tmp_path):
    rows = [row_2021("40001")]
    path = write_2021(tmp_path, rows, name="выгрузка.xlsx")
    (f,) = load_paths(school_con, [path]).files
    assert f.status == "failed"
    assert f.messages == [
        "выгрузка.xlsx: не удалось определить год, предмет работы ни по содержимому, "
        "ни по имени файла; укажите их параметрами --year, --subject, --grade"
    ]
    (f,) = load_paths(school_con, [path], year=2021).files
    assert f.status == "loaded"
    # Grade from the codes (4xxxx), subject from the 15 task columns.
    assert f.messages[0] == (
        "работа vpr-2021-ma-4: год 2021 (из параметров загрузки), предмет ma "
        "(по числу заданий), класс 4 (из содержимого файла)"
    )


def test_detect_layout_reads_the_shape_not_the_name(tmp_path):
    path = write_2021(tmp_path, [row_2021("40001")], name="schools.xlsx")
    assert loaders.detect_layout(path) == "vpr2021"
    assert HEADER_2021[0] == "логин школы"


def test_any_subject_and_grade_in_the_2021_layout(school_con, tmp_path):
    # History, grade 5: no task structure and no scale in params. The 10 tasks
    # are loaded without a maximum check and marks stay empty, with warnings.
    header = HEADER_2021[:9] + [f"балл за {i}" for i in range(1, 11)]
    row = ["sch220001", "город Тестовск", "1", "50001", "4", "ж", "а", "1", "12"]
    row += ["2", "1", "1", "1", "1", "1", "1", "1", "2", "1"]
    name = "Проведение работы по истории, 5 класс. ВПР 2021.xlsx"
    path = write_xlsx(tmp_path / name, {"Sheet": [header, row]})
    (f,) = load_paths(school_con, [path]).files
    assert f.status == "loaded" and f.accepted == 1, f.messages
    assert f.messages == [
        "работа vpr-2021-hi-5: год 2021 (из имени файла), предмет hi (из имени файла), "
        "класс 5 (из содержимого файла)",
        "максимальные баллы заданий: нет",
        "нет шкалы перевода в отметки для формы vpr-2021-hi-5 (params/scales.yaml): "
        "отметки не вычислены",
    ]
    assert school_con.execute("SELECT primary_score, mark FROM results").fetchall() == [
        (12.0, None)
    ]
    assert school_con.execute("SELECT n_tasks FROM forms").fetchone() == (10,)


# Maxima of the 16 tasks of ВПР maths grade 5 (params/forms.yaml): they sum to 20.
MAX_MA5 = [1, 1, 1, 1, 1, 2, 1, 1, 2, 2, 1, 1, 1, 1, 1, 2]


def test_a_known_form_of_another_grade_in_the_2020_layout(school_con, tmp_path):
    # Maths grade 5 in the raw 2020 layout: 16 tasks, «Учебник», three empty
    # task columns after it. The form is in params/forms.yaml and its scale
    # (7, 11, 15 of 20) in params/scales.yaml.
    assert sum(MAX_MA5) == 20
    scores = [1, 1, "X", 1, 0, 2, 1, 1, 1, 2, 1, 0, 1, 1, "X", 0]  # 13 points
    too_much = [1] * 5 + [3] + [1] * 10  # task 6 has 3 of 2 points
    shifted = row_2020("60004", [0] * 16)
    shifted[-2] = "1"  # a value in a-19-grade, beyond the 16 tasks
    rows = [
        row_2020("60001", scores),
        row_2020("60002", too_much),
        row_2020("60003", [""] * 16, total="", var1="отсутствовал"),
        shifted,
    ]
    path = write_xlsx(
        tmp_path / "Математика 5.xlsx", {"Sheet": [header_2020(16), *rows]}
    )
    (f,) = load_paths(school_con, [path]).files
    assert f.layout == "vpr2020" and (f.accepted, f.rejected) == (2, 2), f.messages
    assert f.messages == [
        "работа vpr-2020-ma-5: год 2020 (из содержимого файла), предмет ma "
        "(из имени файла), класс 5 (из имени файла)",
        "максимальные баллы заданий: params/forms.yaml",
    ]
    got = rejects(school_con)
    assert [r[:6] for r in got] == [
        (path.name, "Sheet", 3, "a-6-grade",
         "балл за задание 6 больше максимального: найдено 3, максимум 2", "3"),
        (path.name, "Sheet", 5, "a-19-grade",
         "значение «1» в столбце «a-19-grade» за пределами заданий работы (в ней "
         "16 заданий): строка, вероятно, сдвинута", "1"),
    ]  # fmt: skip
    assert [json.loads(r[6])["code"] for r in got] == ["60002", "60004"]
    assert school_con.execute(
        "SELECT form_id, max_score, n_tasks FROM forms"
    ).fetchall() == [("vpr-2020-ma-5", 20.0, 16)]
    # 13 points: «4» by the grade-5 scale (11 ≤ 13 < 15); the absent has none.
    assert school_con.execute(
        "SELECT student_id, class_id, absent, primary_score, mark, journal_mark "
        "FROM results ORDER BY student_id"
    ).fetchall() == [
        ("sch220001/60001", "sch220001/2020/5/А", False, 13.0, 4, 4),
        ("sch220001/60003", "sch220001/2020/5/А", True, None, None, 4),
    ]
    assert school_con.execute(
        "SELECT list(score ORDER BY position) FROM task_scores"
    ).fetchone() == ([1, 1, 0, 1, 0, 2, 1, 1, 1, 2, 1, 0, 1, 1, 0, 0],)
    assert school_con.execute(
        "SELECT list(task ORDER BY position), sum(max_score) FROM items"
    ).fetchone() == (
        [str(i) for i in range(1, 11)]
        + ["11(1)", "11(2)", "12(1)", "12(2)", "13", "14"],
        20.0,
    )


def test_an_unknown_form_in_the_2020_layout(school_con, tmp_path):
    # «Окружающий мир», grade 4: neither its tasks nor its scale are in
    # params. As in the 2021 layout it is loaded without the per-task maximum
    # check and without marks, saying so; columns after «Учебник» must still
    # be empty.
    shifted = row_2020("40002", [0] * 10)
    shifted[-1] = "2"
    rows = [row_2020("40001", [1, 2, 0, "X", 1, 3, 2, 1, 0, 1]), shifted]
    path = write_xlsx(
        tmp_path / "Окружающий мир 4.xlsx", {"Sheet": [header_2020(10), *rows]}
    )
    (f,) = load_paths(school_con, [path]).files
    assert f.layout == "vpr2020" and (f.accepted, f.rejected) == (1, 1), f.messages
    assert f.messages == [
        "работа vpr-2020-ok-4: год 2020 (из содержимого файла), предмет ok "
        "(из имени файла), класс 4 (из имени файла)",
        "максимальные баллы заданий: нет",
        "нет шкалы перевода в отметки для формы vpr-2020-ok-4 (params/scales.yaml): "
        "отметки не вычислены",
    ]
    assert [r[2:5] for r in rejects(school_con)] == [
        (3, "a-14-grade",
         "значение «2» в столбце «a-14-grade» за пределами заданий работы (в ней "
         "10 заданий): строка, вероятно, сдвинута"),
    ]  # fmt: skip
    assert school_con.execute("SELECT form_id, n_tasks FROM forms").fetchall() == [
        ("vpr-2020-ok-4", 10)
    ]
    assert school_con.execute("SELECT primary_score, mark FROM results").fetchall() == [
        (11.0, None)
    ]


def test_the_2022_header_gives_the_maxima_of_an_unknown_form(school_con, tmp_path):
    head = ["Пользователь", "Код региона", "Регион", "Муниципалитет", "Школа",
            "Дата загрузки"]  # fmt: skip
    place = ["edu220001", "22", "reg220000 | Алтайский край", "reg22_m001 | Тестовск",
             "edu220001 | МБОУ СОШ №1", "15.04.2022 10:00:00"]  # fmt: skip
    classes = [
        head + ["Буква (цифра) класса", "Основной учебник по предмету"],
        place + ["А", "hi5.1 | 1.2.3 | Вигасин А.А."],
    ]
    protocol = [
        head + ["Код", "Вариант", "1 (2б)", "2.1 (1б)", "2.2 (1б)",
                "Наименование класса", "Пол",
                "Отметка за предыдущий триместр/ четверть", "Итого баллов"],
        place + ["50001", "1", "2", "1", "0", "5А", "м", "4", "3"],
        place + ["50002", "2", "3", "1", "1", "5А", "ж", "5", "5"],
    ]  # fmt: skip
    path = write_xlsx(
        tmp_path / "протокол.xlsx", {"Классы": classes, "Протокол": protocol}
    )
    (f,) = load_paths(school_con, [path]).files
    assert f.layout == "vpr2022" and (f.accepted, f.rejected) == (1, 1), f.messages
    assert f.messages[:2] == [
        "работа vpr-2022-hi-5: год 2022 (из содержимого файла), предмет hi "
        "(из содержимого файла), класс 5 (из содержимого файла)",
        "максимальные баллы заданий: заголовок файла",
    ]
    ((row, column, reason),) = school_con.execute(
        'SELECT "row", "column", reason FROM rejects'
    ).fetchall()
    assert (row, column) == (3, "1 (2б)")
    assert reason == "балл за задание 1 больше максимального: найдено 3, максимум 2"
    assert school_con.execute(
        "SELECT list(task ORDER BY position), sum(max_score) FROM items"
    ).fetchone() == (["1", "2(1)", "2(2)"], 4.0)
