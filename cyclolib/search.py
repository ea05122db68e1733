"""Search the database: territories, schools, classes and student codes.

:func:`search` finds units by a fragment of their name or id; :func:`results_for`
lists what results a unit has. ``cyclo search`` and notebook 03 call both.
"""

from __future__ import annotations

import logging
import re

import duckdb
import pandas as pd

from .nb import readable

log = logging.getLogger(__name__)

KINDS = ("region", "municipality", "school", "class", "student")
SEARCH_COLUMNS = ["kind", "id", "name", "parent"]
RESULTS_COLUMNS = ["study", "year", "subject", "grade", "participants"]
#: Added by ``results_for(..., names=True)`` after :data:`RESULTS_COLUMNS`.
RESULTS_NAME_COLUMNS = ["study_name", "subject_name"]


#: Words of one query at most: each adds a condition to every unit's match.
MAX_WORDS = 8

# A class as people write it: «4а», «4 А», «4-а», «11 «б»» -> «4а», «11б».
# The letter must stand alone, so «№ 4 г. Алейска» keeps «4» and «г.» apart.
_CLASS_WORD = re.compile(r"(?<![\w/.])(\d{1,2})\s*[-–]?\s*([а-я])(?![\w.])")
_QUOTES = re.compile(r"[\"«»“”„]")


def _norm(sql: str) -> str:
    """SQL for a text as the search compares it: lower case, ``ё`` as ``е``."""
    return f"replace(lower({sql}), 'ё', 'е')"


def _norm_name(sql: str) -> str:
    """A name as the search compares it: also without quotes; NULL as ''."""
    return f"""coalesce(regexp_replace({_norm(sql)}, '["«»“”„]', '', 'g'), '')"""


def query_words(text: str) -> list[str]:
    """The words of a query as the search matches them.

    Lower case, ``ё`` read as ``е``, quotes dropped; a grade and the class
    letter written apart are joined (``4 А``, ``4-а`` and ``4 «а»`` are
    ``4а``).

    Examples
    --------
    >>> query_words("Алейск 4 «А»")
    ['алейск', '4а']
    """
    text = _QUOTES.sub(" ", str(text or "").lower().replace("ё", "е"))
    return _CLASS_WORD.sub(r"\1\2", text).split()


# Every unit with the texts a word may match: its own (name, id; for a class
# also its label «4а» and its grade «4») and those of the units above it.
_UNITS = f"""
    SELECT t.level AS kind, t.territory_id AS id, t.name, p.name AS parent,
           {_norm_name("t.name")} || chr(31) || {_norm("t.territory_id")} AS own,
           NULL AS label, NULL AS grade, {_norm_name("p.name")} AS up
    FROM territories t LEFT JOIN territories p ON p.territory_id = t.parent_id
    WHERE t.level IN ('region', 'municipality')
    UNION ALL
    SELECT 'school', s.school_id, s.name, m.name,
           {_norm_name("s.name")} || chr(31) || {_norm("s.school_id")},
           NULL, NULL, {_norm_name("m.name")}
    FROM schools s LEFT JOIN territories m ON m.territory_id = s.municipality_id
    UNION ALL
    SELECT 'class', c.class_id,
           c.grade || coalesce(c.letter, '') || ' (' || c.year || ')', s.name,
           {_norm("c.class_id")},
           {_norm("c.grade || coalesce(c.letter, '')")}, CAST(c.grade AS TEXT),
           {_norm_name("s.name")} || chr(31) || {_norm("c.school_id")}
               || chr(31) || {_norm_name("m.name")}
    FROM classes c LEFT JOIN schools s ON s.school_id = c.school_id
    LEFT JOIN territories m ON m.territory_id = s.municipality_id
    UNION ALL
    SELECT 'student', st.student_id, st.code, s.name,
           {_norm("st.student_id")}, NULL, NULL,
           {_norm_name("s.name")} || chr(31) || {_norm("st.school_id")}
               || chr(31) || {_norm_name("m.name")}
    FROM students st LEFT JOIN schools s ON s.school_id = st.school_id
    LEFT JOIN territories m ON m.territory_id = s.municipality_id
"""

_ORDER = f"""
ORDER BY
    CASE kind WHEN 'region' THEN 0 WHEN 'municipality' THEN 1 WHEN 'school' THEN 2
              WHEN 'class' THEN 3 ELSE 4 END,
    CASE WHEN starts_with({_norm_name("name")}, $q) OR starts_with({_norm("id")}, $q)
         THEN 0 ELSE 1 END,
    name, id
LIMIT $limit
"""


def _query(n_words: int) -> str:
    """The search SQL for ``n_words`` words ``$w0``, ``$w1`` …"""
    own = [
        f"(strpos(own, $w{i}) > 0 OR label = $w{i} OR grade = $w{i})"
        for i in range(n_words)
    ]
    where = "(" + " OR ".join(own) + ")"
    if n_words > 1:
        where += "".join(
            f" AND ({cond} OR strpos(up, $w{i}) > 0)" for i, cond in enumerate(own)
        )
    return (
        f"WITH units AS ({_UNITS}) SELECT kind, id, name, parent FROM units "
        f"WHERE {where} {_ORDER}"
    )


def search(
    con: duckdb.DuckDBPyConnection, text: str, *, limit: int = 50
) -> pd.DataFrame:
    """Find regions, municipalities, schools, classes and students by a fragment.

    Each word of the query is matched anywhere in a text, without regard to
    case, with ``ё`` read as ``е`` and quotes ignored. A unit is found when
    every word occurs in its own name or id or in the names and ids of the
    units above it (the municipality of a school; the school and the
    municipality of a class or a student), and at least one word in its own:
    ``алейск`` finds the municipality and the schools named after it,
    ``алейск 4а`` the classes 4А of the schools of Алейск.

    A class is also found by its name as people write it: ``4а``, ``4 А``,
    ``4-а`` (the grade and the letter, exactly: ``1а`` does not find 11А), or
    the bare grade ``4`` for every class of that grade. Students are found by
    their id (``school/code``) or code only: the database holds no names of
    people.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The database.
    text : str
        A fragment or a few words: ``алейск``, ``sch2202``, ``40015``,
        ``/2021/4/а``, ``семёновская 4б``.
    limit : int
        At most this many rows, best matches first (territories, then schools,
        classes and students; within a kind, names or ids that start with the
        query).

    Returns
    -------
    pandas.DataFrame
        Columns ``kind`` (``region``, ``municipality``, ``school``, ``class``,
        ``student``), ``id``, ``name`` (a class's is ``4А (2021)``) and
        ``parent`` (the name of the unit above: region, municipality or
        school). Empty when nothing matches.

    Raises
    ------
    ValueError
        An empty query, more than :data:`MAX_WORDS` words, or a ``limit``
        below 1.
    """
    words = query_words(text)
    if not words:
        raise ValueError("Пустой запрос: введите часть названия, логина или кода")
    if len(words) > MAX_WORDS:
        raise ValueError(
            f"Слишком много слов в запросе: {len(words)}, допустимо не больше "
            f"{MAX_WORDS}"
        )
    if int(limit) < 1:
        raise ValueError(f"limit должен быть положительным числом, получено {limit}")
    params = {f"w{i}": w for i, w in enumerate(words)}
    params |= {"q": " ".join(words), "limit": int(limit)}
    frame = con.execute(_query(len(words)), params).df()
    log.debug("поиск %r: строк %d", words, len(frame))
    return frame[SEARCH_COLUMNS]


_FILTERS = {
    "region": "r.school_id IN (SELECT school_id FROM schools WHERE region_id = $id)",
    "municipality": "r.school_id IN "
    "(SELECT school_id FROM schools WHERE municipality_id = $id)",
    "school": "r.school_id = $id",
    "class": "r.class_id = $id",
    "student": "r.student_id = $id",
}


def results_for(
    con: duckdb.DuckDBPyConnection, kind: str, id: str, *, names: bool = False
) -> pd.DataFrame:
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
    names : bool
        Also give the Russian names of the study and the subject.

    Returns
    -------
    pandas.DataFrame
        Columns ``study, year, subject, grade, participants``, where
        ``participants`` counts the results of participants who were present
        (absent ones are not counted). Sorted by year, study, subject and grade.
        With ``names``, then ``study_name`` (the short name of
        ``params/studies.yaml``: ВПР) and ``subject_name`` (the name of
        ``params/subjects.yaml``: Математика); a code without a name is
        repeated as it is.
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
    frame = con.execute(query, {"id": str(id)}).df()[RESULTS_COLUMNS]
    if not names:
        return frame
    named = readable(frame[["study", "subject"]])
    return frame.assign(study_name=named["study"], subject_name=named["subject"])
