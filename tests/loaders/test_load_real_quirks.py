"""Quirks of ../shared/data/SOURCE.md, each on the real file.

References: the files read again with python-calamine and parsed here with
plain Python (regular expressions, sets), and params/forms.yaml read as YAML.
"""

from __future__ import annotations

import re

import pytest
import yaml
from python_calamine import CalamineWorkbook

from cyclolib.config import PARAMS_DIR, SHARED_DATA_DIR

pytestmark = pytest.mark.realdata

VPR = SHARED_DATA_DIR / "vpr-altai"
FORMS_2022 = {
    "Математика 4.xlsx": ("ma", 4, "Математика"),
    "Математика 5.xlsx": ("ma", 5, "Математика"),
    "Русский язык 5.xlsx": ("ru", 5, "Русский язык"),
}


def _rows(path, sheet=None) -> list[list]:
    book = CalamineWorkbook.from_path(str(path))
    found = book.get_sheet_by_name(sheet) if sheet else book.get_sheet_by_index(0)
    return found.to_python()


def _kim_maxima(subject_name: str, grade: int) -> list[float]:
    """Maximum of each task position (column «№») of the КИМ description."""
    rows = _rows(VPR / "kim" / str(grade) / subject_name / "ALL.xlsx")
    head = rows[0]
    pos = head.index("№")
    top = head.index("Максимальный балл за выполнение задания")
    maxima = {}
    for row in rows[1:]:
        if str(row[pos]).strip():
            maxima.setdefault(int(float(row[pos])), float(row[top]))
    assert sorted(maxima) == list(range(1, len(maxima) + 1))
    return [maxima[p] for p in sorted(maxima)]


@pytest.mark.parametrize("name", sorted(FORMS_2022))
def test_2022_header_maxima_are_the_maxima_used(real_con, name):
    # Headers such as «3 (2б)»: the task «3» with a maximum of 2 points
    header = _rows(VPR / "2022" / name, "Протокол")[0]
    tasks = [
        (m.group(1), float(m.group(2)))
        for m in (re.fullmatch(r"(\S+) \((\d+)б\)", str(h).strip()) for h in header)
        if m
    ]
    subject, grade, subject_name = FORMS_2022[name]
    from_header = [top for _, top in tasks]
    assert len(tasks) >= 15
    if name == "Математика 4.xlsx":
        assert tasks[2] == ("3", 2.0)  # the header «3 (2б)» of SOURCE.md

    # The maxima the loader stored for the form, in column order
    used = [
        top
        for (top,) in real_con.execute(
            "SELECT max_score FROM items WHERE form_id = ? ORDER BY position",
            [f"vpr-2022-{subject}-{grade}"],
        ).fetchall()
    ]
    assert used == from_header

    # params/forms.yaml and the КИМ description give the same maxima
    with open(PARAMS_DIR / "forms.yaml", encoding="utf-8") as fh:
        (form,) = [
            f
            for f in yaml.safe_load(fh)
            if (f["study"], f["subject"], f["grade"]) == ("vpr", subject, grade)
        ]
    assert [float(t["max"]) for t in form["tasks"]] == from_header
    assert _kim_maxima(subject_name, grade) == from_header
    # The labels agree up to the notation of sub-tasks: «11.1» is «11(1)»
    labels = [re.sub(r"^(\d+)\.(\d+)$", r"\1(\2)", label) for label, _ in tasks]
    assert labels == [t["task"] for t in form["tasks"]]


@pytest.mark.parametrize(
    ("name", "tag"),
    [("Математика 4.xlsx", "vpr2020.ma4"), ("Русский язык 4.xlsx", "vpr2020.ru4")],
)
def test_2020_groups_is_a_tag_list_that_gives_the_year(
    real_con, real_report, name, tag
):
    rows = _rows(VPR / "2020" / name)
    col = rows[0].index("groups")
    lists = [str(r[col]).split(",") for r in rows[1:] if str(r[col]).strip()]
    assert len(lists) == len(rows) - 1
    # Each cell lists dozens of tags of several years, this work's among them
    assert min(len(tags) for tags in lists) >= 10
    assert all(tag in tags for tags in lists)
    years = {
        int(y) for tags in lists[:50] for t in tags for y in re.findall(r"(20\d\d)", t)
    }
    assert {2017, 2019, 2020} <= years and max(years) == 2020

    # The name of the file has no year: the loader took it from the tags
    (report,) = [
        f for f in real_report.files if f.path.name == name and f.layout == "vpr2020"
    ]
    subject = {"Математика 4.xlsx": "ma", "Русский язык 4.xlsx": "ru"}[name]
    assert report.messages[0].startswith(
        f"работа vpr-2020-{subject}-4: год 2020 (из содержимого файла)"
    )
    # No tag leaked into a stored text column
    leaked = real_con.execute(
        "SELECT count(*) FROM results r JOIN students s USING (student_id) "
        "LEFT JOIN classes c USING (class_id) WHERE r.form_id = ? AND "
        "(r.variant LIKE '%vpr%' OR s.code LIKE '%vpr%' "
        "OR coalesce(c.letter, '') LIKE '%VPR%')",
        [f"vpr-2020-{subject}-4"],
    ).fetchone()
    assert leaked == (0,)


def test_2021_files_cover_about_635_schools_in_70_municipalities(real_con):
    # Every school login of the four 2021 files, with its municipality
    # from schools.xlsx (column «регион»)
    listed = {
        str(r[0]).strip(): str(r[2]).strip() for r in _rows(VPR / "schools.xlsx")[1:]
    }
    logins = set()
    for path in sorted((VPR / "2021").glob("*.xlsx")):
        rows = _rows(path)
        col = rows[0].index("логин школы")
        logins |= {str(r[col]).strip() for r in rows[1:] if str(r[col]).strip()}
    assert logins <= set(listed)
    municipalities = {listed[s] for s in logins}
    assert 620 <= len(logins) <= 650
    assert len(municipalities) == 70

    stored = real_con.execute(
        "SELECT count(DISTINCT r.school_id), count(DISTINCT t.name) "
        "FROM results r JOIN forms f USING (form_id) "
        "JOIN schools s USING (school_id) "
        "JOIN territories t ON t.territory_id = s.municipality_id "
        "WHERE f.year = 2021"
    ).fetchone()
    assert stored == (len(logins), len(municipalities))
