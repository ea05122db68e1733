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


# The 2020 raw system export: task columns up to «Учебник», empty ones after it.
HEAD_2020 = ["groups", "user", "id", "code", "otc", "gender", "klass", "var-1",
             "var-2", "sum"]  # fmt: skip
# A tag list as in the real file: every form of the school, not only this one.
GROUPS_2020 = "22-RU-ALT,VPR_22,vpr2019.math5,active_reg22,vpr2020.ma5,vpr2020.okr4"


def header_2020(n_tasks: int, trailing: int = 3) -> list[str]:
    """``groups … sum, a-1-grade … a-N-grade, Учебник`` and trailing task columns."""
    tasks = [f"a-{i}-grade" for i in range(1, n_tasks + 1)]
    after = [f"a-{i}-grade" for i in range(n_tasks + 2, n_tasks + 2 + trailing)]
    return HEAD_2020 + tasks + ["Учебник"] + after


def row_2020(
    code, scores, *, total=None, school="sch220001", otc="4", var1="1", trailing=3
) -> list[str]:
    """A 2020 row; ``total`` defaults to the sum of the numeric scores."""
    if total is None:
        total = sum(int(s) for s in scores if str(s).isdigit())
    head = [GROUPS_2020, school, code[-2:], code, otc, "м", "а", var1, "",
            str(total)]  # fmt: skip
    return head + [str(s) for s in scores] + ["Моро М.И."] + [""] * trailing
