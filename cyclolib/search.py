"""Search the database: territories, schools, classes and student codes.

:func:`search` finds units by a fragment of their name or id; :func:`results_for`
lists what results a unit has. ``cyclo search`` and notebook 03 call both.
"""

from __future__ import annotations

import logging

import duckdb
import pandas as pd

log = logging.getLogger(__name__)

KINDS = ("region", "municipality", "school", "class", "student")
SEARCH_COLUMNS = ["kind", "id", "name", "parent"]
RESULTS_COLUMNS = ["study", "year", "subject", "grade", "participants"]


def _norm(sql: str) -> str:
    return f"replace(lower({sql}), 'ё', 'е')"


_QUERY = f"""
WITH found AS (
    SELECT t.level AS kind, t.territory_id AS id, t.name, p.name AS parent
    FROM territories t LEFT JOIN territories p ON p.territory_id = t.parent_id
    WHERE t.level IN ('region', 'municipality')
      AND (strpos({_norm("t.name")}, $q) > 0
           OR strpos({_norm("t.territory_id")}, $q) > 0)
    UNION ALL
    SELECT 'school', s.school_id, s.name, m.name
    FROM schools s LEFT JOIN territories m ON m.territory_id = s.municipality_id
    WHERE strpos({_norm("s.name")}, $q) > 0 OR strpos({_norm("s.school_id")}, $q) > 0
    UNION ALL
    SELECT 'class', c.class_id,
           c.grade || coalesce(c.letter, '') || ' (' || c.year || ')', s.name
    FROM classes c LEFT JOIN schools s ON s.school_id = c.school_id
    WHERE strpos({_norm("c.class_id")}, $q) > 0
    UNION ALL
    SELECT 'student', st.student_id, st.code, s.name
    FROM students st LEFT JOIN schools s ON s.school_id = st.school_id
    WHERE strpos({_norm("st.student_id")}, $q) > 0
)
SELECT kind, id, name, parent FROM found
ORDER BY
    CASE kind WHEN 'region' THEN 0 WHEN 'municipality' THEN 1 WHEN 'school' THEN 2
              WHEN 'class' THEN 3 ELSE 4 END,
    CASE WHEN starts_with({_norm("name")}, $q) OR starts_with({_norm("id")}, $q)
         THEN 0 ELSE 1 END,
    name, id
LIMIT $limit
"""


def search(
    con: duckdb.DuckDBPyConnection, text: str, *, limit: int = 50
) -> pd.DataFrame:
    """Find regions, municipalities, schools, classes and students by a fragment.

    The fragment is matched anywhere in the name or the id, without regard to
    case, with ``ё`` read as ``е``. Students are found by their id
    (``school/code``) or code only: the database holds no names of people.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The database.
    text : str
        A fragment: ``алейск``, ``sch2202``, ``40015``, ``/2021/4/а``.
    limit : int
        At most this many rows, best matches first (territories, then schools,
        classes and students; within a kind, names that start with the fragment).

    Returns
    -------
    pandas.DataFrame
        Columns ``kind`` (``region``, ``municipality``, ``school``, ``class``,
        ``student``), ``id``, ``name`` and ``parent`` (the name of the unit
        above: region, municipality or school). Empty when nothing matches.
    """
    fragment = str(text or "").strip().lower().replace("ё", "е")
    if not fragment:
        raise ValueError("Пустой запрос: введите часть названия, логина или кода")
    if int(limit) < 1:
        raise ValueError(f"limit должен быть положительным числом, получено {limit}")
    frame = con.execute(_QUERY, {"q": fragment, "limit": int(limit)}).df()
    log.debug("search %r: %d rows", fragment, len(frame))
    return frame[SEARCH_COLUMNS]


_FILTERS = {
    "region": "r.school_id IN (SELECT school_id FROM schools WHERE region_id = $id)",
    "municipality": "r.school_id IN "
    "(SELECT school_id FROM schools WHERE municipality_id = $id)",
    "school": "r.school_id = $id",
    "class": "r.class_id = $id",
    "student": "r.student_id = $id",
}


def results_for(con: duckdb.DuckDBPyConnection, kind: str, id: str) -> pd.DataFrame:
    """What results a unit has: one row per form with its number of participants.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The database.
    kind : str
        ``region``, ``municipality``, ``school``, ``class`` or ``student``
        (the ``kind`` column of :func:`search`).
    id : str
        The unit's id (the ``id`` column of :func:`search`).

    Returns
    -------
    pandas.DataFrame
        Columns ``study, year, subject, grade, participants``, where
        ``participants`` counts the results of participants who were present
        (absent ones are not counted). Sorted by year, study, subject and grade.
    """
    if kind not in _FILTERS:
        raise ValueError(
            f"Неизвестный вид единицы «{kind}»; допустимы: {', '.join(KINDS)}"
        )
    query = f"""
        SELECT f.study_id AS study, f.year, f.subject, f.grade,
               count(*) FILTER (WHERE NOT r.absent) AS participants
        FROM results r JOIN forms f ON f.form_id = r.form_id
        WHERE {_FILTERS[kind]}
        GROUP BY ALL
        ORDER BY f.year, f.study_id, f.subject, f.grade
    """
    return con.execute(query, {"id": str(id)}).df()[RESULTS_COLUMNS]
