"""Every stage's report on a region with values, decisions, rejects, responsibles.

One run of ``stage_reports`` (see conftest) serves every test here: escaping of
a planted school name, private reports holding their own unit only, the same
HTML from two runs, and nothing written outside the batch's folder.
"""

from __future__ import annotations

import pytest
from planted import REJECTED_SCHOOLS, SCRIPT_NAME, SCRIPT_SCHOOL

from cyclolib import db
from cyclolib.nb import iter_notebooks

STAGES = [p.stem for p in iter_notebooks() if int(p.stem[:2]) <= 8]


def _read(path) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def _pages(batch, unit_id: str) -> dict[str, str]:
    return {o.stage: _read(o.html) for o in batch.outcomes if o.unit_id == unit_id}


@pytest.fixture(scope="module")
def region(planted_db):
    """Schools with their municipalities and the codes of their students."""
    con = db.connect(planted_db, read_only=True)
    try:
        schools = dict(
            con.execute("SELECT school_id, municipality_id FROM schools").fetchall()
        )
        names = dict(con.execute("SELECT school_id, name FROM schools").fetchall())
        codes = con.execute("SELECT school_id, code FROM students").fetchall()
        tested = con.execute(
            "SELECT DISTINCT s.school_id, s.code FROM results r "
            "JOIN students s USING (student_id) JOIN forms f USING (form_id) "
            "WHERE f.year = 2024"
        ).fetchall()
    finally:
        con.close()
    by_school = {s: [c for k, c in codes if k == s] for s in schools}
    return schools, names, by_school, tested


def test_every_stage_report_is_done(stage_reports):
    for name in ("public", "private", "again"):
        batch = stage_reports[name]
        failed = [
            (o.unit_id, o.stage, o.error) for o in batch.outcomes if o.status != "done"
        ]
        assert failed == []
    # Every notebook for three units, stages 00-08 for two, 00-08 once more
    assert len(stage_reports["public"].outcomes) == 3 * len(list(iter_notebooks()))
    assert len(stage_reports["private"].outcomes) == 2 * len(STAGES)
    assert sorted(o.stage for o in stage_reports["again"].outcomes) == STAGES


def test_a_batch_writes_nothing_outside_its_folder(stage_reports):
    assert stage_reports["written"] == []
    # The tables of stage 2 go beside each unit's report instead
    for name in ("public", "private"):
        for outcome in stage_reports[name].outcomes:
            if outcome.stage == "02-indicators":
                book = outcome.html.rsplit("/", 1)[0] + "/02-indicators.xlsx"
                assert open(book, "rb").read(2) == b"PK"
                assert "Таблицы раздела сохранены в 02-indicators.xlsx" in _read(
                    outcome.html
                )


def test_a_planted_script_name_is_escaped_in_every_stage(stage_reports):
    from cyclolib.reports import index

    pages = [_read(o.html) for o in stage_reports["public"].outcomes]
    pages.append(_read(index.write_index(stage_reports["out"] / "public")))
    for page in pages:
        assert SCRIPT_NAME not in page
        assert "<script" not in page
    # The planted school's own reports name it, escaped, in every stage
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    own = _pages(stage_reports["public"], SCRIPT_SCHOOL)
    assert sorted(s for s, page in own.items() if escaped in page) == sorted(own)
    # And so do its municipality's reports of the data and the values
    municipality = _pages(stage_reports["public"], stage_reports["municipality"])
    assert escaped in municipality["03-data"]
    assert escaped in municipality["04-values"]


def test_a_private_school_report_holds_its_own_students_only(stage_reports, region):
    schools, _, codes, tested = region
    school = stage_reports["school"]
    pages = _pages(stage_reports["private"], school)
    assert sorted(pages) == STAGES
    # Its own participants of the year are listed by code in stage 3
    own = {c for s, c in tested if s == school}
    assert len(own) > 100
    assert sorted(c for c in own if c not in pages["03-data"]) == []
    # No other school's student code appears in any stage
    others = [c for s, cs in codes.items() if s != school for c in cs]
    leaks = {st: [c for c in others if c in page] for st, page in pages.items()}
    assert leaks == {st: [] for st in STAGES}
    # Its rejected rows, not the other municipality's school's
    assert school in REJECTED_SCHOOLS
    assert "Отклонено строк: 2" in pages["03-data"]


#: Stages whose municipality report names other schools.
# TODO: notebook 06 lists every target school of a regional decision in the
# register (column «Целевые единицы»); remove once it keeps the unit's own.
KNOWN_LEAKS = ("06-uses",)


def _municipality_leaks(stage_reports, region) -> dict[str, list[str]]:
    """Other schools' codes, names and students found in each private page."""
    schools, names, codes, _ = region
    municipality = stage_reports["municipality"]
    pages = _pages(stage_reports["private"], municipality)
    others = sorted(s for s, m in schools.items() if m != municipality)
    assert len(others) == 5
    return {
        stage: [s for s in others if s in page or names[s] in page]
        + [c for s in others for c in codes[s] if c in page]
        for stage, page in pages.items()
    }


def test_a_private_municipality_report_holds_its_own_schools_only(
    stage_reports, region
):
    schools, _, _, _ = region
    municipality = stage_reports["municipality"]
    pages = _pages(stage_reports["private"], municipality)
    assert sorted(pages) == STAGES
    mine = sorted(s for s, m in schools.items() if m == municipality)
    assert len(mine) == 3
    # Its own schools are there; no other school by code, name or students
    assert all(s in pages["03-data"] for s in mine)
    leaks = _municipality_leaks(stage_reports, region)
    checked = [s for s in STAGES if s not in KNOWN_LEAKS]
    assert {s: leaks[s] for s in checked} == {s: [] for s in checked}
    # Two rejected rows of its own school, none of the other municipality's
    assert "Отклонено строк: 2" in pages["03-data"]


def test_the_register_of_a_municipality_names_its_own_schools_only(
    stage_reports, region
):
    leaks = _municipality_leaks(stage_reports, region)
    assert {s: leaks[s] for s in KNOWN_LEAKS} == {s: [] for s in KNOWN_LEAKS}


def test_two_runs_give_the_same_html_in_every_stage(stage_reports):
    first = _pages(stage_reports["public"], SCRIPT_SCHOOL)
    second = _pages(stage_reports["again"], SCRIPT_SCHOOL)
    assert sorted(second) == STAGES
    assert [s for s in STAGES if second[s] != first[s]] == []


def test_a_public_report_names_the_responsibles_without_their_contacts(
    stage_reports, planted_db
):
    con = db.connect(planted_db, read_only=True)
    try:
        people = con.execute(
            "SELECT unit_id, person, contact FROM responsibles "
            "WHERE contact IS NOT NULL AND contact <> ''"
        ).fetchall()
    finally:
        con.close()
    municipality = stage_reports["municipality"]
    public = _pages(stage_reports["public"], municipality)["03-data"]
    private = _pages(stage_reports["private"], municipality)["03-data"]
    mine = [(p, c) for u, p, c in people if u == municipality]
    assert mine, "the planted region has a responsible of the municipality"
    for person, contact in mine:
        assert person in public and person in private
        assert contact not in public and contact in private
