"""Small files in the real layouts, written for the loader tests."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

HEADER_2021 = [
    "логин школы", "регион", "номер обучающегося", "код обучающегося",
    "отметка за предыдущую четверть/триместр", "пол", "класс", "вариант",
    "всего баллов",
] + [f"балл за {i}" for i in range(1, 16)] + ["Учебник"]  # fmt: skip
# Maxima of the 15 tasks of ВПР maths grade 4 (params/forms.yaml): they sum to 20.
MAX_MA4 = [1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 2, 2]
NAME_2021 = "Проведение работы по математике, 4 класс. ВПР 2021.xlsx"

SCHOOLS_CSV = (
    "school_id,name,municipality_id,municipality_name,region_id,region_name\n"
    "sch220001,МБОУ СОШ №1,RU-22-g-testovsk,г. Тестовск,RU-22,Алтайский край\n"
    "sch220002,МКОУ Семёновская СОШ,RU-22-testovskii-raion,Тестовский район,"
    "RU-22,Алтайский край\n"
)


def row_2021(code="40001", school="sch220001", **cells) -> list[str]:
    """A valid row: every task 1 point, total 15, journal 4, class «а»."""
    row = {
        "логин школы": school,
        "регион": "город Тестовск",
        "номер обучающегося": code[-2:],
        "код обучающегося": code,
        "отметка за предыдущую четверть/триместр": "4",
        "пол": "м",
        "класс": "а",
        "вариант": "1",
        "всего баллов": "15",
    }
    for i in range(1, 16):
        row[f"балл за {i}"] = "1"
    row["Учебник"] = "Моро М.И."
    for key, value in cells.items():
        row[key.replace("_", " ")] = value
    return [row[h] for h in HEADER_2021]


def tasks(**scores) -> dict:
    """Cells of task columns: ``tasks(t1="2")`` -> ``{"балл за 1": "2"}``."""
    return {f"балл_за_{k[1:]}": v for k, v in scores.items()}


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A workbook whose cells are written as text, like the real exports."""
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write_string(r, c, str(value))
    book.close()
    return path


def write_2021(folder: Path, rows: list[list[str]], name: str = NAME_2021) -> Path:
    return write_xlsx(folder / name, {"Sheet": [HEADER_2021, *rows]})


def write_schools(folder: Path) -> Path:
    path = folder / "школы.csv"
    path.write_text(SCHOOLS_CSV, encoding="utf-8")
    return path
