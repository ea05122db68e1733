"""Search by fragment and the list of results of a unit.

Reference: a tiny region loaded from hand-written exchange files; the expected
rows are read off those files by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cyclolib.loaders import load_paths
from cyclolib.search import (
    RESULTS_COLUMNS,
    RESULTS_NAME_COLUMNS,
    query_words,
    results_for,
    search,
)

sys.path.insert(0, str(Path(__file__).parent / "loaders"))
from loader_files import SCHOOLS_CSV  # noqa: E402

RESULTS_CSV = (
    "study,year,subject,grade,school_id,student_code,class,absent,primary_score\n"
    "vpr,2021,ma,4,sch220001,40001,а,,12\n"
    "vpr,2021,ma,4,sch220001,40002,б,,9\n"
    "vpr,2021,ma,4,sch220002,40001,нет,да,\n"
)


@pytest.fixture
def tiny(con, tmp_path):
    (tmp_path / "schools.csv").write_text(SCHOOLS_CSV, encoding="utf-8")
    (tmp_path / "results.csv").write_text(RESULTS_CSV, encoding="utf-8")
    report = load_paths(con, [tmp_path])
    assert report.exit_status == 0, [f.messages for f in report.files]
    return con


def test_search_ignores_case_and_yo(tiny):
    found = search(tiny, "СЕМЕНОВСКАЯ")
    assert found.to_dict("records") == [
        {
            "kind": "school",
            "id": "sch220002",
            "name": "МКОУ Семёновская СОШ",
            "parent": "Тестовский район",
        }
    ]


def test_search_orders_territories_before_schools(tiny):
    found = search(tiny, "тестовск")
    assert list(found["kind"]) == ["municipality", "municipality"]
    # «Тестовский район» starts with the fragment, «г. Тестовск» only contains it.
    assert list(found["id"]) == ["RU-22-testovskii-raion", "RU-22-g-testovsk"]
    assert set(found["parent"]) == {"Алтайский край"}


def test_search_finds_classes_and_student_codes(tiny):
    classes = search(tiny, "sch220001/2021/4/")
    assert list(classes["id"]) == ["sch220001/2021/4/А", "sch220001/2021/4/Б"]
    assert list(classes["name"]) == ["4А (2021)", "4Б (2021)"]
    students = search(tiny, "40001")
    assert list(students["id"]) == ["sch220001/40001", "sch220002/40001"]
    assert list(students["kind"]) == ["student", "student"]
    assert len(search(tiny, "sch", limit=2)) == 2


CLASS_4A = {
    "kind": "class",
    "id": "sch220001/2021/4/А",
    "name": "4А (2021)",
    "parent": "МБОУ СОШ №1",
}


@pytest.mark.parametrize("text", ["4а", "4А", "4 А", "4-а", "4 «а»", '4 "А"'])
def test_a_class_is_found_as_people_write_it(tiny, text):
    # Reference: the fixture has classes 4А and 4Б of sch220001 and the class
    # without a letter of sch220002; only 4А is «4а» however it is written.
    assert search(tiny, text).to_dict("records") == [CLASS_4A]


def test_words_narrow_the_search_to_a_school_or_a_municipality(tiny):
    # «тестовск» is in the municipality «г. Тестовск» of sch220001: its 4Б.
    assert search(tiny, "тестовск 4б").to_dict("records") == [
        CLASS_4A | {"id": "sch220001/2021/4/Б", "name": "4Б (2021)"}
    ]
    assert search(tiny, "СОШ №1 4а").to_dict("records") == [CLASS_4A]
    # The bare grade finds the class without a letter of Семёновская СОШ, and
    # the digit also occurs in the id of its student sch220002/40001.
    assert search(tiny, "семёновская 4").to_dict("records") == [
        {
            "kind": "class",
            "id": "sch220002/2021/4",
            "name": "4 (2021)",
            "parent": "МКОУ Семёновская СОШ",
        },
        {
            "kind": "student",
            "id": "sch220002/40001",
            "name": "40001",
            "parent": "МКОУ Семёновская СОШ",
        },
    ]
    # A student code within a municipality: only one of the two 40001.
    assert search(tiny, "тестовский район 40001")["id"].tolist() == ["sch220002/40001"]
    # Every word must match: no class 4В, and the municipality alone does not
    # match «4а».
    assert search(tiny, "тестовск 4в").empty
    # Words of a name in another order, with quotes: still the school.
    assert search(tiny, '"сош" семеновская')["id"].tolist() == ["sch220002"]


def test_a_class_word_matches_the_whole_grade(tiny, tmp_path):
    # An 11А beside the 4А: «1а» is neither of them, «11 а» is 11А only.
    (tmp_path / "eleven.csv").write_text(
        "study,year,subject,grade,school_id,student_code,class,primary_score\n"
        "vpr,2021,ma,11,sch220001,11001,а,12\n",
        encoding="utf-8",
    )
    assert load_paths(tiny, [tmp_path / "eleven.csv"]).exit_status == 0
    assert search(tiny, "1а").empty
    assert search(tiny, "11 а")["id"].tolist() == ["sch220001/2021/11/А"]
    assert search(tiny, "сош 11")["id"].tolist() == [
        "sch220001/2021/11/А",
        "sch220001/11001",
    ]


def test_query_words():
    assert query_words("  Алейск 4 «А» ") == ["алейск", "4а"]
    assert query_words("Семёновская 11-б") == ["семеновская", "11б"]
    # «г.» after a school number is a town, not a class letter.
    assert query_words("СОШ № 4 г. Алейска") == ["сош", "№", "4", "г.", "алейска"]
    assert query_words("sch220001/2021/4/А") == ["sch220001/2021/4/а"]


def test_results_for_counts_present_participants(tiny):
    expected = {"study": "vpr", "year": 2021, "subject": "ma", "grade": 4}
    got = results_for(tiny, "school", "sch220001").to_dict("records")
    assert got == [expected | {"participants": 2}]
    # The only participant of sch220002 was absent.
    assert results_for(tiny, "school", "sch220002")["participants"].tolist() == [0]
    assert results_for(tiny, "region", "RU-22")["participants"].tolist() == [2]
    assert results_for(tiny, "municipality", "RU-22-g-testovsk")[
        "participants"
    ].tolist() == [2]
    assert results_for(tiny, "class", "sch220001/2021/4/Б")[
        "participants"
    ].tolist() == [1]
    assert results_for(tiny, "student", "sch220001/40001")["participants"].tolist() == [
        1
    ]
    assert results_for(tiny, "school", "sch229999").empty


def test_results_for_adds_russian_names_without_renaming(tiny, tmp_path):
    # Reference: params/studies.yaml names vpr «ВПР», params/subjects.yaml
    # names ma «Математика» and ru «Русский язык»; «diag» is in neither.
    (tmp_path / "more.csv").write_text(
        "study,year,subject,grade,school_id,student_code,primary_score\n"
        "diag,2021,ru,4,sch220001,40001,7\n",
        encoding="utf-8",
    )
    assert load_paths(tiny, [tmp_path / "more.csv"]).exit_status == 0
    plain = results_for(tiny, "school", "sch220001")
    assert list(plain.columns) == RESULTS_COLUMNS
    named = results_for(tiny, "school", "sch220001", names=True)
    assert list(named.columns) == RESULTS_COLUMNS + RESULTS_NAME_COLUMNS
    assert named.to_dict("records") == [
        {
            "study": "diag",
            "year": 2021,
            "subject": "ru",
            "grade": 4,
            "participants": 1,
            "study_name": "diag",
            "subject_name": "Русский язык",
        },
        {
            "study": "vpr",
            "year": 2021,
            "subject": "ma",
            "grade": 4,
            "participants": 2,
            "study_name": "ВПР",
            "subject_name": "Математика",
        },
    ]
    assert results_for(tiny, "school", "sch229999", names=True).empty


def test_bad_arguments_are_explained(tiny):
    with pytest.raises(ValueError) as err:
        results_for(tiny, "город", "x")
    assert str(err.value) == (
        "Неизвестный вид единицы «город»; допустимы: region, municipality, school, "
        "class, student"
    )
    with pytest.raises(ValueError) as err:
        search(tiny, "  ")
    assert str(err.value) == "Пустой запрос: введите часть названия, логина или кода"
    with pytest.raises(ValueError) as err:
        search(tiny, "а б в г д е ж з и")
    assert str(err.value) == ("Слишком много слов в запросе: 9, допустимо не больше 8")


def test_cyclo_search_prints_both_tables(tiny, tmp_path, capsys):
    from cyclolib.cli import main

    path = tiny.execute(
        "SELECT path FROM duckdb_databases() WHERE NOT internal"
    ).fetchone()
    tiny.close()
    assert main(["search", "семёновская", "--db", path[0]]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Найдено по запросу «семёновская»: 1\n")
    # The results table names the study and the subject in Russian, not by code.
    assert out.endswith(
        "\nРезультаты: школа sch220002 «МКОУ Семёновская СОШ»\n"
        "исследование  год    предмет  класс  участников\n"
        "         ВПР 2021 Математика      4           0\n"
    )
    assert "vpr" not in out and " ma " not in out
    assert main(["search", "нет-такого", "--db", path[0]]) == 1
    assert "По запросу «нет-такого» ничего не найдено." in capsys.readouterr().out
    # Several words without quotes in the shell: one query.
    assert main(["search", "тестовск", "4", "Б", "--db", path[0]]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Найдено по запросу «тестовск 4 Б»: 1\n")
    assert "Результаты: класс sch220001/2021/4/Б «4Б (2021)»" in out
