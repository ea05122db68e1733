"""Student-level results joined with their form, school and territory."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import duckdb
import pandas as pd

from ..config import load_params

log = logging.getLogger(__name__)

_RESULTS_SQL = """
SELECT r.result_id, r.form_id, f.study_id AS study, f.year, f.subject, f.grade,
       f.max_score AS form_max, r.school_id, s.name AS school_name,
       s.municipality_id, t.name AS municipality_name,
       coalesce(s.region_id, t.parent_id, '') AS region_id,
       r.class_id, coalesce(r.teacher_id, c.teacher_id) AS teacher_id,
       r.primary_score, r.mark, r.journal_mark
FROM results r
JOIN forms f USING (form_id)
LEFT JOIN schools s USING (school_id)
LEFT JOIN territories t ON t.territory_id = s.municipality_id
LEFT JOIN classes c ON c.class_id = r.class_id
WHERE NOT r.absent AND r.primary_score IS NOT NULL
"""


def student_results(
    con: duckdb.DuckDBPyConnection,
    *,
    years: Sequence[int] | None = None,
    studies: Sequence[str] | None = None,
    subjects: Sequence[str] | None = None,
    grades: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Results of participants who wrote the work, one row per student and form.

    Absent participants and rows without a primary score are left out. The
    column ``pct`` is the primary score as a percentage of the form's maximum
    (NaN where the maximum is unknown).
    """
    sql = _RESULTS_SQL
    args: list = []
    for column, values in (
        ("f.year", years),
        ("f.study_id", studies),
        ("f.subject", subjects),
        ("f.grade", grades),
    ):
        if values is not None:
            values = list(values)
            if not values:
                sql += " AND FALSE"
                continue
            sql += f" AND {column} IN ({', '.join('?' * len(values))})"
            args.extend(values)
    frame = con.execute(sql, args).df()
    frame["municipality_id"] = frame["municipality_id"].fillna("")
    frame["pct"] = (
        frame["primary_score"] / frame["form_max"].where(frame["form_max"] > 0) * 100
    )
    log.debug("прочитано результатов: %d", len(frame))
    return frame


def form_thresholds(
    study: str, subject: str, grade: int, year: int
) -> list[float] | None:
    """Minimum primary scores of «3», «4», «5» from params/scales.yaml, or None."""
    best = None
    for entry in load_params("scales"):
        if (
            entry.get("study") == study
            and entry.get("subject") == subject
            and entry.get("grade") == grade
            and entry.get("valid_from", 0) <= year
            and (best is None or entry["valid_from"] > best["valid_from"])
        ):
            best = entry
    return None if best is None else [float(t) for t in best["thresholds"]]


def observed_thresholds(frame: pd.DataFrame) -> list[float] | None:
    """Mark boundaries read from the data: the least primary score of each mark."""
    marks = frame.dropna(subset=["mark"])
    if marks.empty:
        return None
    lows = marks.groupby("mark")["primary_score"].min()
    found = [float(lows[m]) for m in (3, 4, 5) if m in lows.index]
    return found or None


def unit_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Names of territories and schools by their code."""
    names = dict(con.execute("SELECT territory_id, name FROM territories").fetchall())
    names.update(
        con.execute(
            "SELECT school_id, coalesce(name, school_id) FROM schools"
        ).fetchall()
    )
    return names


def latest_year(con: duckdb.DuckDBPyConnection) -> int | None:
    """The latest year with results in the database, or None when it is empty."""
    (year,) = con.execute(
        "SELECT max(f.year) FROM results r JOIN forms f USING (form_id)"
    ).fetchone()
    return None if year is None else int(year)
