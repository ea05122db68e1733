"""XLSX export of the analysis tables with Russian headings."""

from __future__ import annotations

import pandas as pd

from cyclolib.analysis import export
from cyclolib.config import PRIVATE_REPORTS_DIR


def test_headings_are_russian_and_sheets_kept(tmp_path):
    frame = pd.DataFrame({"school_id": ["a"], "value_added": [1.5], "extra": [2]})
    long = "Показатели признаков необъективности"
    path = export.write_xlsx(tmp_path / "t.xlsx", {"Лист": frame, long: frame})
    back = pd.read_excel(path, sheet_name=None, engine="calamine")
    # Excel's limit: 31 characters of a sheet name
    assert list(back) == ["Лист", long[:31]]
    assert list(back["Лист"].columns) == ["Логин", "Добавленная ценность", "extra"]
    assert back["Лист"].iloc[0].tolist() == ["a", 1.5, 2]


def test_unit_workbooks_are_kept_beside_the_reports(tmp_path):
    # The runner's report folder when given (xlsx_dir), else the private one
    path = export.unit_workbook(
        "05-analysis", level="school", unit_id="s1", year=2024, folder=tmp_path
    )
    assert path == tmp_path / "05-analysis.xlsx"
    by_hand = export.unit_workbook(
        "06-uses", level="region", unit_id="RU-99", year=2024, folder=""
    )
    assert by_hand == PRIVATE_REPORTS_DIR / "2024" / "region" / "RU-99" / "06-uses.xlsx"


def test_codes_become_words():
    frame = pd.DataFrame(
        {
            "study": ["vpr", "oge", "zz"],
            "year": [2021, 2021, 2022],
            "subject": ["ma", "ru", "xx"],
            "grade": [5, 9, None],
            "form_id": ["vpr-2021-ma-5", "oge-2021-ru-9", "zz-2022"],
            "model": ["context", "context+prior", None],
            "kind": ["kes", "task", "kt"],
        }
    )
    got = export.readable(frame)
    # Reference: the names of params/studies.yaml and params/subjects.yaml;
    # unknown codes stay
    assert got["form_id"].tolist() == [
        "ВПР, Математика, 5 класс, 2021",
        "ОГЭ, Русский язык, 9 класс, 2021",
        "zz, xx, 2022",
    ]
    assert got["study"].tolist() == ["ВПР", "ОГЭ", "zz"]
    assert got["subject"].tolist() == ["Математика", "Русский язык", "xx"]
    assert got["model"].tolist()[:2] == [
        "по контексту школы",
        "по контексту и результату параллели годом ранее",
    ]
    assert got["kind"].tolist() == ["КЭС", "задание", "КТ"]
    assert frame["study"].tolist() == ["vpr", "oge", "zz"]  # a copy
