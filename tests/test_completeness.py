"""Completeness of the data per form and school, and its section in notebook 03.

Reference: the small database of tests/reports/report_db.py, whose sizes are
written in its ``SIZES`` (the last student of each school is absent), with the
results of one school removed and one form of another: every expected number
below is counted by hand from those sizes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cyclolib import completeness, db

sys.path.insert(0, str(Path(__file__).parent / "reports"))
import report_db  # noqa: E402

SCHOOLS = list(report_db.SCHOOLS)


@pytest.fixture(scope="module")
def gappy_db(tmp_path_factory) -> Path:
    """report_db without sch000103's results and without sch000202's Russian."""
    path = report_db.build(tmp_path_factory.mktemp("gaps") / "gaps.duckdb")
    con = db.connect(path)
    con.execute("DELETE FROM results WHERE school_id = 'sch000103'")
    con.execute(
        "DELETE FROM results WHERE school_id = 'sch000202' "
        "AND form_id = 'vpr-2024-ru-4'"
    )
    con.close()
    return path


@pytest.fixture
def gappy(gappy_db):
    con = db.connect(gappy_db, read_only=True)
    yield con
    con.close()


def test_every_school_and_form_has_a_row(gappy):
    detail = completeness.by_school(gappy, SCHOOLS, year=2024)
    assert list(detail.columns) == completeness.SCHOOL_COLUMNS
    assert len(detail) == 2 * 5  # two forms × five schools
    got = detail.set_index(["form_id", "school_id"])
    # Sizes 24, 18, 12, 6 with one absent each; sch000103 sent nothing.
    ma = got.loc["vpr-2024-ma-4"]
    assert ma["sent"].to_dict() == {
        "sch000101": True,
        "sch000102": True,
        "sch000103": False,
        "sch000201": True,
        "sch000202": True,
    }
    assert ma["listed"].tolist() == [24, 18, 0, 12, 6]
    assert ma["participants"].tolist() == [23, 17, 0, 11, 5]
    assert ma["absent"].tolist() == [1, 1, 0, 1, 1]
    assert ma.loc["sch000202", "participation_pct"] == pytest.approx(500 / 6)
    assert np.isnan(ma.loc["sch000103", "participation_pct"])
    # The school that missed Russian only is named, and it did send its grade.
    ru = got.loc["vpr-2024-ru-4"]
    missing = ru[~ru["sent"]]
    assert missing[["school_name", "grade_sent"]].to_dict("index") == {
        "sch000103": {"school_name": "<script>alert(1)</script>", "grade_sent": False},
        "sch000202": {"school_name": "Малая школа", "grade_sent": True},
    }
    assert ru.loc["sch000202", "municipality"] == "Заречный район"


def test_form_summary_by_hand(gappy):
    detail = completeness.by_school(gappy, SCHOOLS, year=2024)
    per_form = completeness.by_form(detail)
    assert list(per_form.columns) == (
        completeness.FORM_COLUMNS + completeness.SUMMARY_COLUMNS
    )
    rows = per_form.drop(columns=["participation_pct"]).to_dict("records")
    form = {"study": "vpr", "year": 2024, "grade": 4}
    assert rows == [
        # Maths: 24 + 18 + 12 + 6 = 60 listed, 4 absent.
        form | {"form_id": "vpr-2024-ma-4", "subject": "ma", "schools": 5,
                "schools_sent": 4, "schools_missing": 1, "listed": 60,
                "participants": 56, "absent": 4},
        # Russian: 24 + 18 + 12 = 54 listed, 3 absent.
        form | {"form_id": "vpr-2024-ru-4", "subject": "ru", "schools": 5,
                "schools_sent": 3, "schools_missing": 2, "listed": 54,
                "participants": 51, "absent": 3},
    ]  # fmt: skip
    assert per_form["participation_pct"].tolist() == pytest.approx(
        [100 * 56 / 60, 100 * 51 / 54]
    )
    by_place = completeness.by_form(detail, by=["municipality_id"])
    ru = by_place[by_place["subject"] == "ru"].set_index("municipality_id")
    # m01: sch000101 and sch000102 sent 24 + 18, sch000103 did not.
    assert ru.loc["m01", ["schools", "schools_sent", "listed"]].tolist() == [3, 2, 42]
    assert ru.loc["m02", ["schools", "schools_sent", "listed"]].tolist() == [2, 1, 12]


def test_unit_year_and_bad_input(gappy):
    one = completeness.by_school(gappy, ["sch000202", "sch999999"], year=2024)
    assert one[["form_id", "sent"]].values.tolist() == [
        ["vpr-2024-ma-4", True],
        ["vpr-2024-ru-4", False],
    ]
    # Every school by default; a year without results gives an empty table.
    assert len(completeness.by_school(gappy)) == 10
    empty = completeness.by_school(gappy, SCHOOLS, year=2023)
    assert empty.empty and list(empty.columns) == completeness.SCHOOL_COLUMNS
    assert completeness.by_form(empty).empty
    with pytest.raises(ValueError) as err:
        completeness.by_form(pd.DataFrame({"school_id": ["x"]}))
    assert str(err.value) == (
        "Нет столбцов form_id, study, year, subject, grade: ожидалась таблица "
        "completeness.by_school"
    )


def test_real_files_against_a_count_of_schools(shared_data, tmp_path):
    # Reference: an independent count of the schools that have results of each
    # form, straight from the results table of the real 2021 files.
    sys.path.insert(0, str(Path(__file__).parent))
    from realdb import build_real_db

    build_real_db(tmp_path / "real.duckdb")
    con = db.connect(tmp_path / "real.duckdb", read_only=True)
    try:
        detail = completeness.by_school(con, year=2021)
        schools = con.execute("SELECT count(*) FROM schools").fetchone()[0]
        counted = dict(
            con.execute(
                "SELECT r.form_id, count(DISTINCT r.school_id) FROM results r "
                "JOIN forms f USING (form_id) WHERE f.year = 2021 GROUP BY 1"
            ).fetchall()
        )
        listed = dict(
            con.execute(
                "SELECT r.form_id, count(*) FROM results r "
                "JOIN forms f USING (form_id) WHERE f.year = 2021 GROUP BY 1"
            ).fetchall()
        )
    finally:
        con.close()
    per_form = completeness.by_form(detail).set_index("form_id")
    assert set(per_form.index) == set(counted) and len(counted) == 4
    assert (per_form["schools"] == schools).all()
    assert per_form["schools_sent"].to_dict() == counted
    assert per_form["listed"].to_dict() == listed
    assert (per_form["schools_missing"] == schools - per_form["schools_sent"]).all()


def _report_text(path: Path) -> str:
    import html
    import re

    page = Path(path).read_text(encoding="utf-8")
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_notebook_03_names_the_missing_schools(gappy_db, tmp_path):
    from cyclolib.reports import runner

    pages = {}
    for public in (True, False):
        batch = runner.plan(
            db=gappy_db,
            unit_ids=["m02"],
            stages=["03"],
            public=public,
            out=tmp_path / str(public),
            report_date="2024-06-01",
        )
        runner.run(batch)
        (outcome,) = batch.outcomes
        assert outcome.status == "done", outcome.error
        pages[public] = _report_text(outcome.html)
    public, private = pages[True], pages[False]

    # The form summary of m02: 2 schools, both sent maths, one sent Russian.
    assert (
        "ВПР Математика 4 2 2 0 18 16 2 88.9 ВПР Русский язык 4 2 1 1 12 11 1 91.7"
    ) in public
    assert (
        "Не прислали результаты: школ — 1, пропущенных работ — 1 "
        "Исследование Предмет Класс Логин Школа Муниципалитет Прислала другие "
        "работы этой параллели ВПР Русский язык 4 sch000202 Малая школа "
        "Заречный район да"
    ) in public
    # Participation per school: sch000202's 6 listed are hidden in public mode.
    row_202 = "ВПР Математика 4 sch000202 Малая школа 6 5 1 83.3"
    assert row_202 in private and row_202 not in public
    assert "Скрыто строк: 1 (группы меньше 10 участников не публикуются)" in public
    # No student code reaches the public report.
    codes = [
        report_db.student_code(school, i)
        for school, size in report_db.SIZES.items()
        for i in range(size)
    ]
    assert not [c for c in codes if c in public]
