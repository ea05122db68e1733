"""Completeness of the data: which schools sent results for each form.

:func:`by_school` lists, for every form of a year and every school of a unit,
whether the school sent results and how many of its listed participants wrote
the work; :func:`by_form` sums that table per form (and, optionally, per
municipality). Notebook 03 shows both.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

FORM_COLUMNS = ["form_id", "study", "year", "subject", "grade"]
SCHOOL_COLUMNS = [
    *FORM_COLUMNS,
    "school_id",
    "school_name",
    "municipality_id",
    "municipality",
    "sent",
    "grade_sent",
    "listed",
    "participants",
    "absent",
    "participation_pct",
]
SUMMARY_COLUMNS = [
    "schools",
    "schools_sent",
    "schools_missing",
    "listed",
    "participants",
    "absent",
    "participation_pct",
]

_QUERY = """
WITH unit AS (
    SELECT DISTINCT s.school_id, s.name AS school_name, s.municipality_id,
           t.name AS municipality
    FROM schools s LEFT JOIN territories t ON t.territory_id = s.municipality_id
    WHERE $all_schools OR list_contains($ids, s.school_id)
),
expected AS (
    SELECT DISTINCT f.form_id, f.study_id AS study, f.year, f.subject, f.grade
    FROM forms f
    WHERE ($year IS NULL OR f.year = $year)
      AND EXISTS (SELECT 1 FROM results r WHERE r.form_id = f.form_id)
),
counts AS (
    SELECT r.form_id, r.school_id, count(*) AS listed,
           count(*) FILTER (WHERE NOT r.absent) AS participants,
           count(*) FILTER (WHERE r.absent) AS absent
    FROM results r JOIN unit USING (school_id)
    WHERE r.form_id IN (SELECT form_id FROM expected)
    GROUP BY ALL
)
SELECT e.form_id, e.study, e.year, e.subject, e.grade,
       u.school_id, u.school_name, u.municipality_id, u.municipality,
       c.listed IS NOT NULL AS sent,
       bool_or(c.listed IS NOT NULL)
           OVER (PARTITION BY u.school_id, e.study, e.year, e.grade) AS grade_sent,
       coalesce(c.listed, 0) AS listed,
       coalesce(c.participants, 0) AS participants,
       coalesce(c.absent, 0) AS absent
FROM expected e CROSS JOIN unit u
LEFT JOIN counts c ON c.form_id = e.form_id AND c.school_id = u.school_id
ORDER BY e.year, e.study, e.subject, e.grade, u.school_id
"""


def by_school(
    con: duckdb.DuckDBPyConnection,
    school_ids: Sequence[str] | None = None,
    *,
    year: int | None = None,
) -> pd.DataFrame:
    """Whether each school of a unit sent results for each form, and how many wrote.

    The forms expected are those of ``year`` that have results of any school in
    the database (the session as the database knows it); every school of the
    unit is expected to send each of them. A school that sent nothing for a form
    has a row with ``sent`` false and zero counts, so a school missing one form
    is named even when it sent the others.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The database.
    school_ids : sequence of str, optional
        The unit's schools (logins); every school of the database by default.
        Logins absent from ``schools`` are ignored.
    year : int, optional
        The year of the forms; every year by default.

    Returns
    -------
    pandas.DataFrame
        One row per form and school, sorted by year, study, subject, grade and
        school, with the columns

        - ``form_id, study, year, subject, grade``: the form;
        - ``school_id, school_name, municipality_id, municipality``;
        - ``sent``: the school has at least one result of the form (present or
          absent participant);
        - ``grade_sent``: the school sent some form of the same study, year and
          grade (false: the school may have no class of that grade);
        - ``listed``: participants listed in the school's results;
        - ``participants``: those who wrote the work (not absent);
        - ``absent``: those marked absent;
        - ``participation_pct``: 100 · participants / listed, NaN when nothing
          was sent.

        Empty (with these columns) when the unit has no schools or the year no
        results.
    """
    ids = [] if school_ids is None else [str(s) for s in school_ids]
    frame = con.execute(
        _QUERY, {"ids": ids, "all_schools": school_ids is None, "year": year}
    ).df()
    listed = frame["listed"].astype(float)
    frame["participation_pct"] = (100 * frame["participants"] / listed).where(
        listed > 0
    )
    frame["sent"] = frame["sent"].astype(bool)
    frame["grade_sent"] = frame["grade_sent"].astype(bool)
    for column in ("listed", "participants", "absent"):
        frame[column] = frame[column].astype(int)
    return frame[SCHOOL_COLUMNS]


def by_form(detail: pd.DataFrame, *, by: Sequence[str] = ()) -> pd.DataFrame:
    """Sum the table of :func:`by_school` per form (and per ``by`` columns).

    Parameters
    ----------
    detail : pandas.DataFrame
        The frame returned by :func:`by_school`.
    by : sequence of str
        More grouping columns after the form, e.g.
        ``["municipality_id", "municipality"]`` for one row per form and
        municipality.

    Returns
    -------
    pandas.DataFrame
        The form columns, the ``by`` columns, then ``schools`` (schools
        expected), ``schools_sent``, ``schools_missing``, ``listed``,
        ``participants``, ``absent`` and ``participation_pct``
        (100 · participants / listed over the schools that sent, NaN when none
        did).
    """
    missing = [c for c in [*FORM_COLUMNS, *by] if c not in detail.columns]
    if missing:
        raise ValueError(
            f"Нет столбцов {', '.join(missing)}: ожидалась таблица "
            "completeness.by_school"
        )
    keys = [*FORM_COLUMNS, *by]
    out = (
        detail.groupby(keys, dropna=False, sort=False)
        .agg(
            schools=("school_id", "count"),
            schools_sent=("sent", "sum"),
            listed=("listed", "sum"),
            participants=("participants", "sum"),
            absent=("absent", "sum"),
        )
        .reset_index()
        .sort_values(["year", "study", "subject", "grade", *by], ignore_index=True)
    )
    out["schools_missing"] = out["schools"] - out["schools_sent"]
    listed = out["listed"].astype(float)
    out["participation_pct"] = (100 * out["participants"] / listed).where(listed > 0)
    return out[[*keys, *SUMMARY_COLUMNS]]
