"""``cyclo flags`` and ``cyclo rating`` on a small hand-made database."""

from __future__ import annotations

import numpy as np
import pandas as pd
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
    assert printed[0] == "Признаки необъективности результатов, 2021 год"
    assert printed[-1] == f"Список записан: {out}"
    sheets = pd.read_excel(out, sheet_name=None, engine="calamine")
    assert list(sheets) == [
        "Список",
        "Показатели признаков",
        "Индекс муниципалитетов",
        "Индекс региона",
    ]
    listing = sheets["Список"]
    assert list(listing.columns[:9]) == [
        "Год",
        "Логин",
        "Муниципалитет",
        "ОО",
        "4 РУ",
        "4 МА",
        "5 РУ",
        "5 МА",
        "Количество маркеров",
    ]
    # s1's grade-5 scores are lifted by 8 points: its mean is inflated.
    assert "s1" in set(listing["Логин"])
    assert "Коэффициент Спирмена" in sheets["Показатели признаков"].columns


def test_flags_low_results_and_rating(tmp_path, capsys):
    path = tmp_path / "t.duckdb"
    _database(path)
    out = tmp_path / "low.xlsx"
    assert cli.main(["flags", "low-results", "--db", str(path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "Школы с низкими результатами, 2021 год"
    assert list(pd.read_excel(out, sheet_name=None, engine="calamine")) == [
        "Список ШНОР",
        "Все школы",
    ]

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
