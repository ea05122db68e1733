"""``cyclo flags`` and ``cyclo rating`` on a small hand-made database."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tinyregion import add_results, add_schools, mark_of

from cyclolib import cli, db


def _database(path):
    con = db.connect(path)
    rng = np.random.default_rng(11)
    schools = {f"s{i}": (f"m{i % 3}", float(i), i % 2 == 0) for i in range(12)}
    add_schools(con, schools)
    rows = []
    for year in (2020, 2021):
        for grade in (4, 5):
            for s in schools:
                lift = 8 if (s == "s1" and grade == 5) else 0
                for _ in range(15):
                    x = float(np.clip(round(rng.normal(10 + lift, 3)), 0, 20))
                    rows.append((year, "ma", grade, s, x, mark_of(x), mark_of(x)))
    add_results(con, rows)
    con.close()


def test_flags_objectivity(tmp_path, capsys):
    path = tmp_path / "t.duckdb"
    _database(path)
    out = tmp_path / "list.xlsx"
    code = cli.main(["flags", "objectivity", "--db", str(path), "--out", str(out)])
    printed = capsys.readouterr().out.splitlines()
    assert code == 0

    # The planted truth of _database: s1's grade-5 scores are lifted by 8
    # points in both years, its grade 4 of 2020 is not. In 2021 its grade-5
    # mean is inflated and its cohort rose sharply from grade 4 (K = S4 / S5
    # far below the others'); no journal mark differs from the work's mark.
    assert printed == [
        "Признаки необъективности результатов, 2021 год",
        "  школ с результатами: 12; отмечено хотя бы по одному признаку: 1",
        "  Завышенный средний балл: 1",
        "  Несоответствие школьным отметкам: 0",
        "  Резкое изменение результатов параллели 4→5: 1",
        "  Пики на границах отметок: 0",
        "  Расхождение с отметкой по журналу на 2 и более: 0",
        "  индекс объективности (Тестовая область): 91.7",
        f"Список записан: {out}",
    ]
    sheets = pd.read_excel(out, sheet_name=None, engine="calamine")
    assert list(sheets) == [
        "Список",
        "Показатели признаков",
        "Индекс муниципалитетов",
        "Индекс региона",
    ]

    # The published layout: one row per marked school, a 0/1 column per form
    # (no ОГЭ columns without ОГЭ results), the number of marked forms, then
    # a 0/1 column per sign
    listing = sheets["Список"]
    assert listing.to_dict("records") == [
        {
            "Год": 2021,
            "Логин": "s1",
            "Муниципалитет": "Район m1",
            "ОО": "Школа s1",
            "4 РУ": 0,
            "4 МА": 0,
            "5 РУ": 0,
            "5 МА": 1,
            "Количество маркеров": 1,
            "Завышенный средний балл": 1,
            "Несоответствие школьным отметкам": 0,
            "Резкое изменение результатов параллели 4→5": 1,
            "Пики на границах отметок": 0,
            "Расхождение с отметкой по журналу на 2 и более": 0,
        }
    ]

    # The details: every school and form of 2021, the forms in words
    detail = sheets["Показатели признаков"].set_index(["Логин", "Класс"])
    assert len(detail) == 24
    assert set(detail["Форма"]) == {
        "ВПР, Математика, 4 класс, 2021",
        "ВПР, Математика, 5 класс, 2021",
    }
    assert detail["Количество признаков"].sum() == 2
    assert detail.loc[("s1", 5), "Количество признаков"] == 2
    k = detail.xs(5, level="Класс")["Коэффициент K"]
    low = detail["Нижнее критическое значение K"].dropna().iloc[0]
    assert k["s1"] < low <= k.drop("s1").min()

    # Index = 100 - % of marked schools: s1 is one of m1's four, of twelve
    munis = sheets["Индекс муниципалитетов"].set_index("Код единицы")
    assert munis["Индекс объективности"].to_dict() == {"m0": 100, "m1": 75, "m2": 100}
    region = sheets["Индекс региона"].iloc[0]
    assert (region["Школ"], region["Отмечено школ"]) == (12, 1)
    assert region["Индекс объективности"] == pytest.approx(100 - 100 / 12)


def test_flags_low_results_and_rating(tmp_path, capsys):
    path = tmp_path / "t.duckdb"
    _database(path)
    out = tmp_path / "low.xlsx"
    assert cli.main(["flags", "low-results", "--db", str(path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "Школы с низкими результатами, 2021 год"
    sheets = pd.read_excel(out, sheet_name=None, engine="calamine")
    assert list(sheets) == ["Список ШНОР", "Все школы"]
    # Both name the school and its municipality
    for sheet in sheets.values():
        assert list(sheet.columns[:4]) == [
            "Логин",
            "ОО",
            "Код муниципалитета",
            "Муниципалитет",
        ]
    assert set(sheets["Все школы"]["Муниципалитет"]) == {
        "Район m0",
        "Район m1",
        "Район m2",
    }

    out = tmp_path / "rating.xlsx"
    code = cli.main(
        ["rating", "--level", "school", "--db", str(path), "--out", str(out)]
    )
    printed = capsys.readouterr().out.splitlines()
    assert code == 0
    assert printed[:2] == [
        "Рейтинг, 2021 год",
        "Рейтинг: школы; результаты ВПР по предметам: Русский язык, Математика.",
    ]
    table = pd.read_excel(out, sheet_name="Рейтинг", engine="calamine")
    assert {"Место", "Место: лучшее в 95 %", "Место: худшее в 95 %"} <= set(
        table.columns
    )
    assert table["Код единицы"].iloc[0] == "s1"


def test_missing_database_is_named(tmp_path, capsys):
    path = tmp_path / "none.duckdb"
    assert cli.main(["rating", "--db", str(path)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"База данных {path} не найдена: сначала загрузите данные "
        "(cyclo load или cyclo demo)"
    )


def test_flags_tables(tmp_path, capsys):
    path = tmp_path / "t.duckdb"
    _database(path)
    sheets = {
        "value-added": ["Школы", "По работам"],
        "allocation": ["Предложение", "Правило"],
    }
    for kind, names in sheets.items():
        out = tmp_path / f"{kind}.xlsx"
        assert cli.main(["flags", kind, "--db", str(path), "--out", str(out)]) == 0
        assert list(pd.read_excel(out, sheet_name=None, engine="calamine")) == names
    printed = capsys.readouterr().out.splitlines()
    assert printed[-2] == "Предложение распределения бюджета, 2021 год: строк 3"

    # Forms and models in words, no codes
    forms = pd.read_excel(
        tmp_path / "value-added.xlsx", sheet_name="По работам", engine="calamine"
    )
    assert set(forms["Форма"]) == {f"ВПР, Математика, {g} класс, 2021" for g in (4, 5)}
    assert set(forms["Исследование"]) == {"ВПР"}
    assert set(forms["Предмет"]) == {"Математика"}
    assert set(forms["Модель ожидаемого результата"]) <= {
        "по контексту школы",
        "по контексту и результату параллели годом ранее",
    }
    assert forms["ОО"].str.startswith("Школа s").all()


def _teachers_database(path, *, with_teachers: bool = True):
    # Two schools, three teachers of ten students each, two one-point basic
    # tasks: t1's students (s1) all miss task 1, everyone else gets both.
    con = db.connect(path)
    add_schools(con, {"s1": ("m1", 0.0, True), "s2": ("m2", 0.0, True)})
    scores = [[0, 1]] * 10 + [[1, 1]] * 20
    schools = ["s1"] * 20 + ["s2"] * 10
    rows = [
        (2021, "ma", 5, s, float(sum(x)), 2, None)
        for s, x in zip(schools, scores, strict=True)
    ]
    add_results(con, rows, task_scores=scores)
    db.append(
        con,
        "items",
        pd.DataFrame(
            {
                "form_id": "vpr-2021-ma-5",
                "position": [1, 2],
                "task": ["1", "2"],
                "max_score": 1.0,
                "level": "Б",
                "skill": ["умение 1", "умение 2"],
            }
        ),
    )
    if with_teachers:
        # t1 and t2 on the results of s1; t3 only as the teacher of s2's class
        con.execute(
            "UPDATE results SET teacher_id = CASE WHEN result_id < "
            "(SELECT min(result_id) + 10 FROM results) THEN 't1' ELSE 't2' END "
            "WHERE school_id = 's1'"
        )
        db.append(
            con,
            "classes",
            pd.DataFrame(
                {
                    "class_id": ["s2/2021/5/а"],
                    "school_id": ["s2"],
                    "year": [2021],
                    "grade": [5],
                    "teacher_id": ["t3"],
                }
            ),
        )
    con.close()


def test_flags_development_per_teacher(tmp_path, capsys):
    path = tmp_path / "t.duckdb"
    _teachers_database(path)
    out = tmp_path / "development.xlsx"
    assert cli.main(["flags", "development", "--db", str(path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    sheets = pd.read_excel(out, sheet_name=None, engine="calamine")
    assert list(sheets) == [
        "Темы КПК",
        "Дефициты (муниципалитеты)",
        "Темы МО",
        "Дефициты (школы)",
        "Темы по учителям",
        "Дефициты (учителя)",
    ]
    # Reference by hand: task 1 is done by 0 of t1's 10 students (0 % < 57 %,
    # insufficient), by all of t2's and t3's; s1 as a whole: 10 of 20 = 50 %,
    # insufficient too, s2: 100 %. Task 2: 100 % everywhere.
    topic = "Математика, 5 класс: задание 1 (умение 1)"
    teachers = sheets["Темы по учителям"]
    assert teachers[["Тема", "Единицы с дефицитом"]].values.tolist() == [[topic, "t1"]]
    per_teacher = sheets["Дефициты (учителя)"]
    assert per_teacher[["Код учителя", "Логин", "Выполнение, %"]].values.tolist() == [
        ["t1", "s1", 0.0]
    ]
    assert sheets["Темы МО"]["Единицы с дефицитом"].tolist() == ["s1"]
    assert printed[-3:] == [
        "Темы повышения квалификации, 2021 год: строк 1",
        "  по учителям: с результатами 3, с дефицитами 1, тем 1",
        f"Таблица записана: {out}",
    ]


def test_flags_development_without_teacher_codes(tmp_path, capsys):
    path = tmp_path / "t.duckdb"
    _teachers_database(path, with_teachers=False)
    out = tmp_path / "development.xlsx"
    assert cli.main(["flags", "development", "--db", str(path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert list(pd.read_excel(out, sheet_name=None, engine="calamine")) == [
        "Темы КПК",
        "Дефициты (муниципалитеты)",
        "Темы МО",
        "Дефициты (школы)",
    ]
    assert printed[-2] == (
        "  кодов учителей в результатах 2021 года нет: листов по учителям нет"
    )
