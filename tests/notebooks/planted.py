"""What the report tests plant in the synthetic region, and how they find it."""

from __future__ import annotations

#: Names planted in ``planted_db`` for the tests of published reports.
SCRIPT_NAME = "<script>alert(1)</script>"
SCRIPT_SCHOOL = "sch990007"
#: Schools with rejected rows (two each), one in each municipality.
REJECTED_SCHOOLS = ("sch990001", "sch990006")


def typical_school(path) -> tuple[str, int]:
    """The school whose results of the latest year are nearest to 420."""
    from cyclolib import db

    con = db.connect(path, read_only=True)
    try:
        rows = con.execute(
            "SELECT r.school_id, count(*) AS n FROM results r "
            "JOIN forms f USING (form_id) "
            "WHERE f.year = (SELECT max(year) FROM forms) GROUP BY 1 "
            "ORDER BY abs(count(*) - 420), 1 LIMIT 1"
        ).fetchall()
    finally:
        con.close()
    return rows[0]
