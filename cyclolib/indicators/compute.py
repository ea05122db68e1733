"""Stage 4: the values of every indicator for every unit, in one run.

The database does all the work in SQL. First the sums of each class
(students' results joined to their schools and forms: participants, the
number of each mark, sums and sums of squares of the scores, points of each
task...). Then one ``GROUPING SETS`` query per kind of sums rolls them up to
schools, municipalities and regions: sums add up, so a municipality's value
comes from its students, never from its schools' values. The values and their
intervals are derived from the sums by the SQL of
:mod:`cyclolib.indicators.sqlvalues`, the same formulas as the pandas
functions of :mod:`cyclolib.indicators.formulas` (the tests hold both to
hand-worked numbers); the dynamics and the equity indicators, which concern
few units, are derived by those pandas functions.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from .. import db
from ..config import PARAMS_DIR, settings
from . import formulas as fm
from . import sqlvalues as sv
from .catalogue import Catalogue, load_catalogue

log = logging.getLogger(__name__)

LEVELS = ("region", "municipality", "school", "class")
KEYS = ["year", "study", "subject", "grade", "level", "unit_id"]
EXPORT_COLUMNS = [
    "year",
    "study",
    "subject",
    "grade",
    "level",
    "unit_id",
    "unit_name",
    "indicator",
    "task",
    "value",
    "n",
    "ci_low",
    "ci_high",
    "small_group",
]
FORM = ["form_id", "year", "study", "subject", "grade"]

# Sums of the whole form: SQL expressions over results r joined to the form.
_FORM_SUMS = {
    "listed": "count(*)",
    "absent": "count(*) FILTER (r.absent)",
    "n": "count(*) FILTER (NOT r.absent)",
    "s_score": "coalesce(sum(r.primary_score) FILTER (NOT r.absent), 0)",
    "ss_score": "coalesce(sum(r.primary_score ^ 2) FILTER (NOT r.absent), 0)",
    "n_pct": "count(r.primary_score / f.fmax) FILTER (NOT r.absent)",
    "s_pct": "coalesce(sum(100 * r.primary_score / f.fmax) FILTER (NOT r.absent), 0)",
    "ss_pct": "coalesce(sum((100 * r.primary_score / f.fmax) ^ 2)"
    " FILTER (NOT r.absent), 0)",
    "n_mark": "count(*) FILTER (NOT r.absent AND r.mark BETWEEN 2 AND 5)",
    "n2": "count(*) FILTER (NOT r.absent AND r.mark = 2)",
    "n3": "count(*) FILTER (NOT r.absent AND r.mark = 3)",
    "n4": "count(*) FILTER (NOT r.absent AND r.mark = 4)",
    "n5": "count(*) FILTER (NOT r.absent AND r.mark = 5)",
    "n_journal": "count(*) FILTER (NOT r.absent AND r.mark BETWEEN 2 AND 5"
    " AND r.journal_mark BETWEEN 2 AND 5)",
    "j_lower": "count(*) FILTER (NOT r.absent AND r.mark BETWEEN 2 AND 5"
    " AND r.journal_mark BETWEEN 2 AND 5 AND r.mark < r.journal_mark)",
    "j_same": "count(*) FILTER (NOT r.absent AND r.mark BETWEEN 2 AND 5"
    " AND r.journal_mark BETWEEN 2 AND 5 AND r.mark = r.journal_mark)",
    "j_higher": "count(*) FILTER (NOT r.absent AND r.mark BETWEEN 2 AND 5"
    " AND r.journal_mark BETWEEN 2 AND 5 AND r.mark > r.journal_mark)",
    "j_diff2": "count(*) FILTER (NOT r.absent AND r.mark BETWEEN 2 AND 5"
    " AND r.journal_mark BETWEEN 2 AND 5 AND abs(r.mark - r.journal_mark) >= 2)",
    "n_test": "count(r.test_score) FILTER (NOT r.absent)",
    "s_test": "coalesce(sum(r.test_score) FILTER (NOT r.absent), 0)",
    "ss_test": "coalesce(sum(r.test_score ^ 2) FILTER (NOT r.absent), 0)",
    "n_min": "count(r.test_score) FILTER (NOT r.absent AND m.min_score IS NOT NULL)",
    "n_below": "count(*) FILTER (NOT r.absent AND r.test_score < m.min_score)",
    "n_81": "count(*) FILTER (NOT r.absent AND r.test_score >= 81)",
    "n_100": "count(*) FILTER (NOT r.absent AND r.test_score >= 100)",
}
_TASK_SUMS = ["n", "s_points", "ss_frac", "n_full", "n_zero"]
_CODE_SUMS = ["n", "s_frac", "ss_frac"]


def _fetch(con, sql: str, params=None) -> pd.DataFrame:
    """A query's rows as a frame, through Arrow (faster for text columns)."""
    return con.sql(sql, params=params).to_arrow_table().to_pandas()


def params_version(
    params_dir: str | Path | None = None,
    *,
    catalogue: Catalogue | None = None,
    approved_only: bool = True,
) -> str:
    """A short hash of every ``params/*.yaml``: the version of the values.

    A catalogue read from elsewhere than ``params/`` adds its file to the
    hash, and values of every status (``approved_only=False``) carry the
    suffix ``-all``, so that values computed another way never share the
    version of the approved ones.
    """
    digest = hashlib.sha256()
    files = sorted(Path(params_dir or PARAMS_DIR).glob("*.yaml"))
    if catalogue is not None and Path(catalogue.path).resolve() not in {
        f.resolve() for f in files
    }:
        files.append(Path(catalogue.path))
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12] + ("" if approved_only else "-all")


def _rollup_sql(
    table: str,
    extra: Sequence[str],
    sums: Sequence[str],
    levels: Sequence[str],
    agg: str = "sum",
) -> str:
    """SELECT rolling the sums of ``table`` up to the wanted levels."""
    cols = {
        "region": "region_id",
        "municipality": "municipality_id",
        "school": "school_id",
        "class": "class_id",
    }
    keys = ", ".join([*FORM, *extra])
    sets = ", ".join(f"({keys}, {cols[lv]})" for lv in levels)
    level_case = " ".join(f"WHEN grouping({cols[lv]}) = 0 THEN '{lv}'" for lv in levels)
    unit = (
        "CASE "
        + " ".join(f"WHEN grouping({cols[lv]}) = 0 THEN {cols[lv]}" for lv in levels)
        + " END"
    )
    aggs = ", ".join(f"{agg}({c}) AS {c}" for c in sums)
    return (
        f"SELECT {keys}, CASE {level_case} END AS level, {unit} AS unit_id, {aggs} "
        f"FROM {table} GROUP BY GROUPING SETS ({sets})"
    )


def _forms_sql(year) -> str:
    where = "" if year is None else f"WHERE f.year = {int(year)}"
    return f"""
        SELECT f.form_id, f.year, f.study_id AS study, f.subject, f.grade,
               coalesce(f.max_score, i.fmax) AS fmax
        FROM forms f
        LEFT JOIN (SELECT form_id, sum(max_score) AS fmax FROM items GROUP BY 1) i
          USING (form_id)
        {where}"""


def class_sums(con: duckdb.DuckDBPyConnection, cat: Catalogue, *, year=None) -> None:
    """Create the temporary tables of the sums of every class."""
    minima = pd.DataFrame(
        list(cat.ege_minimum.items()), columns=["subject", "min_score"]
    )
    con.register("_ege_minimum", minima)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _forms AS {_forms_sql(year)}")
    sums = ",\n".join(f"{expr} AS {name}" for name, expr in _FORM_SUMS.items())
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _form_cls AS
        SELECT {", ".join("f." + c for c in FORM)}, s.region_id, s.municipality_id,
               r.school_id, r.class_id, {sums}
        FROM results r
        JOIN _forms f USING (form_id)
        LEFT JOIN schools s USING (school_id)
        LEFT JOIN _ege_minimum m ON f.study = 'ege' AND m.subject = f.subject
        GROUP BY ALL""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _task_cls AS
        SELECT {", ".join("f." + c for c in FORM)}, s.region_id, s.municipality_id,
               r.school_id, r.class_id, t.position,
               count(*) AS n,
               sum(coalesce(t.score, 0)) AS s_points,
               sum((coalesce(t.score, 0) / i.max_score) ^ 2) AS ss_frac,
               count(*) FILTER (t.score >= i.max_score) AS n_full,
               count(*) FILTER (coalesce(t.score, 0) <= 0) AS n_zero
        FROM task_scores t
        JOIN results r USING (result_id)
        JOIN _forms f ON f.form_id = r.form_id
        JOIN items i ON i.form_id = r.form_id AND i.position = t.position
        LEFT JOIN schools s ON s.school_id = r.school_id
        WHERE NOT r.absent
        GROUP BY ALL""")
    _code_class_sums(con)
    con.unregister("_ege_minimum")


def _code_class_sums(con: duckdb.DuckDBPyConnection) -> None:
    """``_code_cls``: per class, kind (``kes``, ``kt``, ``level``) and code, the
    participants and the sum and sum of squares of each participant's fraction
    of the code's maximum (the sums of
    :func:`~cyclolib.indicators.formulas.code_completion`)."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _code_map AS
        SELECT i.form_id, i.position, i.max_score, c.kind, c.code
        FROM items i
        JOIN (SELECT DISTINCT form_id, position, kind, code FROM item_codes) c
          USING (form_id, position)
        WHERE i.max_score IS NOT NULL
        UNION ALL
        SELECT form_id, position, max_score, 'level', level FROM items
        WHERE level IS NOT NULL AND max_score IS NOT NULL""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _code_cls AS
        WITH frac AS (
            SELECT t.result_id, m.kind, m.code,
                   sum(coalesce(t.score, 0)) / nullif(sum(m.max_score), 0) AS f
            FROM task_scores t
            JOIN results r USING (result_id)
            JOIN _code_map m ON m.form_id = r.form_id AND m.position = t.position
            WHERE NOT r.absent
            GROUP BY ALL)
        SELECT {", ".join("f." + c for c in FORM)}, s.region_id, s.municipality_id,
               r.school_id, r.class_id, q.kind, q.code,
               count(*) AS n, sum(q.f) AS s_frac, sum(q.f ^ 2) AS ss_frac
        FROM frac q
        JOIN results r USING (result_id)
        JOIN _forms f ON f.form_id = r.form_id
        LEFT JOIN schools s ON s.school_id = r.school_id
        WHERE q.f IS NOT NULL
        GROUP BY ALL""")


_UNIT_NAMES_SQL = """
    SELECT 'region' AS level, territory_id AS unit_id, name AS unit_name
      FROM territories WHERE level = 'region'
    UNION ALL
    SELECT 'municipality', territory_id, name FROM territories
      WHERE level = 'municipality'
    UNION ALL
    SELECT 'school', school_id, coalesce(name, school_id) FROM schools
    UNION ALL
    SELECT 'class', c.class_id,
           coalesce(s.name, c.school_id) || ', ' || c.grade::TEXT
           || coalesce(c.letter, '')
      FROM classes c LEFT JOIN schools s USING (school_id)"""


def _enrolment_schools(con, cat: Catalogue) -> None:
    """``_enrol_sch``: grade enrolment of each school where the context gives it,
    with the school's participants."""
    field = cat.enrolment_field.replace("{grade}", "' || f.grade::TEXT || '")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _enrol_sch AS
        SELECT f.form_id, f.year, f.study, f.subject, f.grade, s.region_id,
               s.municipality_id, s.school_id, NULL::TEXT AS class_id,
               e.enrol, f.n AS enrol_part
        FROM (SELECT {", ".join(FORM)}, school_id, sum(n) AS n
              FROM _form_cls GROUP BY ALL) f
        JOIN schools s USING (school_id)
        JOIN (SELECT school_id, year, field, max(TRY_CAST(value AS DOUBLE)) AS enrol
              FROM school_context GROUP BY ALL) e
          ON e.school_id = f.school_id
         AND (e.year IS NULL OR e.year = f.year)
         AND e.field = '{field}'
        WHERE e.enrol IS NOT NULL""")


def _equity_frame(con, form: pd.DataFrame, levels, *, confidence, min_group_size):
    parents = [lv for lv in levels if lv in ("region", "municipality")]
    if not parents:
        return pd.DataFrame()
    schools = form[form["level"] == "school"].merge(
        _fetch(
            con,
            "SELECT school_id AS unit_id, region_id, municipality_id, urban "
            "FROM schools",
        ),
        on="unit_id",
    )
    out = []
    for lv in parents:
        col = f"{lv}_id"
        part = schools.dropna(subset=[col]).rename(columns={col: "unit_id_p"})
        part = part.drop(columns=["unit_id", "level"])
        by = ["year", "study", "subject", "grade", "unit_id_p"]
        eq = fm.equity_from_school_sums(
            part, by, confidence=confidence, min_group_size=min_group_size
        )
        out.append(eq.rename(columns={"unit_id_p": "unit_id"}).assign(level=lv))
    return pd.concat(out, ignore_index=True)


def _dynamics_frame(form: pd.DataFrame, *, confidence, min_group_size):
    units = form[form["level"] != "class"]
    by = ["study", "subject", "grade", "level", "unit_id", "year"]
    before = units.assign(year=units["year"] + 1)
    out = fm.dynamics_from_sums(
        units, before, by, confidence=confidence, min_group_size=min_group_size
    )
    return out


def _compute_table(con, *, year, levels, catalogue, approved_only, stamp=None) -> None:
    """Compute the values into the temporary table ``_values``, or straight
    into ``indicator_values`` when ``stamp`` (version, time) is given."""
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad or not levels:
        raise ValueError(
            f"Неизвестный уровень {', '.join(bad) or '(пусто)'}: "
            f"допустимы {', '.join(LEVELS)}"
        )
    cat = catalogue or load_catalogue()
    con.execute("SET enable_progress_bar = false")
    conf = float(settings().get("confidence", 0.95))
    size = int(settings().get("min_group_size", 10))
    opts = {"confidence": conf, "min_group_size": size}
    levels = [lv for lv in LEVELS if lv in levels]
    allowed = cat.levels_frame(approved_only=approved_only)
    allowed = allowed[allowed["level"].isin(levels)]
    wanted = allowed.groupby("indicator")["level"].agg(list).to_dict()
    where = "" if year is None else f"AND year = {int(year)}"

    try:
        # Sums of each class, then of each unit
        class_sums(con, cat, year=None)
        if year is not None:
            con.execute(f"DELETE FROM _form_cls WHERE year NOT IN ({year - 1}, {year})")
            con.execute(f"DELETE FROM _task_cls WHERE year != {int(year)}")
            con.execute(f"DELETE FROM _code_cls WHERE year != {int(year)}")
        # Equity of a territory is read from its schools' sums, even when the
        # schools' own values are not asked for
        form_levels = levels
        if set(wanted) & set(fm.PRODUCES["equity"]) and "school" not in levels:
            form_levels = [lv for lv in LEVELS if lv in {*levels, "school"}]
        _unit_tables(con, cat, levels, form_levels=form_levels)

        # Values derived in SQL, one indicator at a time
        sv.install_macros(con, confidence=conf)
        counts = _fetch(
            con,
            """
            SELECT DISTINCT n AS c FROM _form_units UNION
            SELECT DISTINCT n_pct FROM _form_units UNION
            SELECT DISTINCT n_mark FROM _form_units UNION
            SELECT DISTINCT n_test FROM _form_units UNION
            SELECT DISTINCT n FROM _task_units UNION
            SELECT DISTINCT n FROM _code_units""",
        )["c"]
        sv.t_table(con, counts, confidence=conf)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _names AS {_UNIT_NAMES_SQL}")
        if stamp is None:
            con.execute(f"CREATE OR REPLACE TEMP TABLE _values ({_VALUES_DDL})")
        selects = [
            *sv.form_selects("_form_units", wanted, where=where, size=size),
            *sv.task_selects("_task_units", wanted, where=where, size=size),
            *sv.code_selects("_code_units", wanted, where=where, size=size),
            *sv.distribution_selects("_dist_units", wanted, where=where, size=size),
        ]
        if selects:
            _insert(con, " UNION ALL ".join(f"({sql})" for sql in selects), stamp)

        # Dynamics and equity: few units, derived in pandas
        blocks = []
        need_dyn = set(wanted) & set(fm.PRODUCES["dynamics"])
        need_eq = set(wanted) & set(fm.PRODUCES["equity"])
        if need_dyn or need_eq:
            form = _fetch(con, "SELECT * FROM _form_units WHERE level != 'class'")
            current = form if year is None else form[form["year"] == year]
            if need_dyn:
                dyn = _dynamics_frame(form, **opts)
                blocks.append(dyn if year is None else dyn[dyn["year"] == year])
            if need_eq:
                blocks.append(_equity_frame(con, current, levels, **opts))
        con.register("_allowed", allowed)
        try:
            for block in blocks:
                if not len(block):
                    continue
                con.register("_block", block)
                try:
                    _insert(
                        con,
                        f"""
                        SELECT {sv.COLUMNS} FROM _block
                        SEMI JOIN _allowed USING (indicator, level)""",
                        stamp,
                    )
                finally:
                    con.unregister("_block")
        finally:
            con.unregister("_allowed")
    finally:
        for table in _TEMP_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {table}")


_VALUES_DDL = """
    year INTEGER, study TEXT, subject TEXT, grade INTEGER, level TEXT,
    unit_id TEXT, unit_name TEXT, indicator TEXT, task TEXT, value DOUBLE,
    n BIGINT, ci_low DOUBLE, ci_high DOUBLE, small_group BOOLEAN"""


def _insert(con, sql: str, stamp=None) -> None:
    """Append the rows of a SELECT of :data:`sqlvalues.COLUMNS` to ``_values``
    (or, with ``stamp``, to ``indicator_values`` with the version and time)."""
    target, extra, args = "_values", "", []
    if stamp is not None:
        target, extra, args = "indicator_values", ", ?, ?", list(stamp)
    con.execute(
        f"""
        INSERT INTO {target}
        SELECT v.year, v.study, v.subject, v.grade, v.level, v.unit_id,
               coalesce(nm.unit_name, v.unit_id), v.indicator,
               coalesce(v.task, ''), v.value, v.n, v.ci_low, v.ci_high,
               v.small_group{extra}
        FROM ({sql}) v ({sv.COLUMNS})
        LEFT JOIN _names nm ON nm.level = v.level AND nm.unit_id = v.unit_id""",
        args,
    )


def _unit_tables(con, cat, levels, *, form_levels=None) -> None:
    """Roll the class sums up into ``_form_units`` (of ``form_levels``, by
    default ``levels``), ``_task_units``, ``_code_units`` and ``_dist_units``."""
    form_levels = form_levels or levels
    form = _rollup_sql("_form_cls", [], list(_FORM_SUMS), form_levels)
    enrol_levels = [lv for lv in form_levels if lv != "class"]
    if enrol_levels:
        _enrolment_schools(con, cat)
        enrol = _rollup_sql("_enrol_sch", [], ["enrol", "enrol_part"], enrol_levels)
        enrol_join = f"""LEFT JOIN (SELECT * FROM ({enrol}) WHERE unit_id IS NOT NULL)
            e USING (form_id, year, study, subject, grade, level, unit_id)"""
        enrol_cols = "e.enrol, e.enrol_part"
    else:
        enrol_join, enrol_cols = "", "NULL::DOUBLE AS enrol, NULL::DOUBLE AS enrol_part"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _form_units AS
        SELECT u.*, {enrol_cols}
        FROM (SELECT * FROM ({form}) WHERE unit_id IS NOT NULL) u {enrol_join}""")
    tasks = _rollup_sql("_task_cls", ["position"], _TASK_SUMS, levels)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _task_units AS
        SELECT u.*, i.task, i.max_score, i.level AS task_level
        FROM ({tasks}) u JOIN items i USING (form_id, position)
        WHERE u.unit_id IS NOT NULL""")
    codes = _rollup_sql("_code_cls", ["kind", "code"], _CODE_SUMS, levels)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _code_units AS
        SELECT * FROM ({codes}) WHERE unit_id IS NOT NULL""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _dist_cls AS
        SELECT f.form_id, f.year, f.study, f.subject, f.grade, s.region_id,
               s.municipality_id, r.school_id, r.class_id,
               r.primary_score AS score, count(*) AS count
        FROM results r JOIN _forms f USING (form_id)
        LEFT JOIN schools s USING (school_id)
        WHERE NOT r.absent AND r.primary_score IS NOT NULL
        GROUP BY ALL""")
    dist = _rollup_sql("_dist_cls", ["score"], ["count"], levels)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _dist_units AS
        SELECT *, sum(count) OVER (PARTITION BY form_id, level, unit_id) AS n
        FROM ({dist}) WHERE unit_id IS NOT NULL""")


_TEMP_TABLES = (
    "_form_cls",
    "_task_cls",
    "_task_units",
    "_code_map",
    "_code_cls",
    "_dist_cls",
    "_enrol_sch",
    "_form_units",
    "_code_units",
    "_dist_units",
    "_tq",
    "_names",
)
_ORDER = "year, study, subject, grade, level, unit_id, indicator, task"


def compute_values(
    con: duckdb.DuckDBPyConnection,
    *,
    year: int | None = None,
    levels: Sequence[str] = LEVELS,
    catalogue: Catalogue | None = None,
    approved_only: bool = True,
) -> pd.DataFrame:
    """Compute the indicators for every unit, study, year, subject and grade.

    Parameters
    ----------
    con : duckdb connection
        The results database.
    year : int, optional
        Compute only this year (the previous year is still read for the
        dynamics); every year when omitted.
    levels : sequence of str
        Levels of units: any of ``region, municipality, school, class``.
    catalogue : Catalogue, optional
        The indicator catalogue; ``params/indicators.yaml`` by default.
    approved_only : bool
        Compute only indicators whose status is ``approved`` (the default);
        ``False`` computes every indicator of the catalogue.

    Returns
    -------
    DataFrame
        The columns of :data:`EXPORT_COLUMNS`, sorted by year, study,
        subject, grade, level, unit, indicator and task; each indicator only
        at the levels its catalogue entry names. Nothing is stored: see
        :func:`compute`.
    """
    _compute_table(
        con, year=year, levels=levels, catalogue=catalogue, approved_only=approved_only
    )
    try:
        values = _fetch(con, f"SELECT * FROM _values ORDER BY {_ORDER}")
    finally:
        con.execute("DROP TABLE IF EXISTS _values")
    values["small_group"] = values["small_group"].astype(bool)
    return values


def store_values(
    con: duckdb.DuckDBPyConnection,
    values: pd.DataFrame,
    *,
    year: int | None = None,
    version: str | None = None,
) -> int:
    """Replace the stored values (of one year, or all) by a frame of values."""
    con.register("_values_frame", values[EXPORT_COLUMNS])
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _values AS FROM _values_frame")
    finally:
        con.unregister("_values_frame")
    return _store(con, year=year, version=version)["rows"]


_SUMMARY = """
    SELECT count(*) AS rows, count(DISTINCT indicator) AS indicators,
           count(DISTINCT unit_id) FILTER (level = 'region') AS region,
           count(DISTINCT unit_id) FILTER (level = 'municipality') AS municipality,
           count(DISTINCT unit_id) FILTER (level = 'school') AS school,
           count(DISTINCT unit_id) FILTER (level = 'class') AS class
    FROM indicator_values WHERE params_version = ? AND computed_at = ?"""


def _summary(con, version, stamp, year=None, levels=None) -> dict:
    """Count what one computation stored; two runs within one second share
    a stamp, so a run counts its own year and levels only."""
    sql, args = _SUMMARY, [version, stamp]
    if year is not None:
        sql, args = sql + " AND year = ?", [*args, int(year)]
    if levels is not None:
        sql += f" AND level IN ({', '.join('?' * len(levels))})"
        args = [*args, *levels]
    row = _fetch(con, sql, args).iloc[0]
    out = {k: int(v) for k, v in row.items()}
    out["version"] = version
    return out


def _delete(con, year, levels=None) -> None:
    """Delete the stored values of ``year`` (all years when None) and of
    ``levels`` (all levels when None): the values about to be replaced."""
    where, args = [], []
    if year is not None:
        where.append("year = ?")
        args.append(int(year))
    if levels is not None:
        where.append(f"level IN ({', '.join('?' * len(levels))})")
        args.extend(levels)
    sql = "DELETE FROM indicator_values"
    if where:
        sql += " WHERE " + " AND ".join(where)
    con.execute(sql, args or None)


def _store(con, *, year, version) -> dict:
    """Move ``_values`` into ``indicator_values``, replacing the old values."""
    stamp = (version or params_version(), datetime.now().replace(microsecond=0))
    try:
        with db.transaction(con):
            _delete(con, year)
            con.execute(
                "INSERT INTO indicator_values SELECT *, ?, ? FROM _values", list(stamp)
            )
    finally:
        con.execute("DROP TABLE IF EXISTS _values")
    return _summary(con, *stamp, year=year)


def compute(
    con: duckdb.DuckDBPyConnection,
    *,
    year: int | None = None,
    levels: Sequence[str] = LEVELS,
    catalogue: Catalogue | None = None,
    approved_only: bool = True,
    version: str | None = None,
) -> dict:
    """Compute every approved indicator for every unit and store the values.

    The stored values of ``year`` (of every year, without ``year``) and of
    ``levels`` are replaced in one transaction, with the parameters' version
    (:func:`params_version`) and the time of computation; the other levels
    keep theirs. Parameters as in :func:`compute_values`.

    Returns
    -------
    dict
        ``rows``, ``indicators``, the number of units of each level
        (``region``, ``municipality``, ``school``, ``class``) and ``version``.
    """
    version = version or params_version(
        catalogue=catalogue, approved_only=approved_only
    )
    stamp = (version, datetime.now().replace(microsecond=0))
    with db.transaction(con):
        _delete(con, year, list(levels))
        _compute_table(
            con,
            year=year,
            levels=levels,
            catalogue=catalogue,
            approved_only=approved_only,
            stamp=stamp,
        )
    return _summary(con, *stamp, year=year, levels=list(levels))


def values(
    con: duckdb.DuckDBPyConnection,
    *,
    level: str | None = None,
    unit_id: str | Sequence[str] | None = None,
    year: int | None = None,
    study: str | None = None,
    subject: str | None = None,
    grade: int | None = None,
    indicator: str | Sequence[str] | None = None,
    task: str | None = None,
) -> pd.DataFrame:
    """Stored indicator values, filtered; the columns of :data:`EXPORT_COLUMNS`.

    Every filter is optional; ``unit_id`` and ``indicator`` take one value or
    a list. ``task=""`` keeps only whole-form values. The result is sorted by
    year, study, subject, grade, level, unit and indicator; an empty frame
    (with the columns) when nothing matches or nothing was computed yet.
    """
    where, args = [], []
    for col, val in (
        ("level", level),
        ("year", year),
        ("study", study),
        ("subject", subject),
        ("grade", grade),
        ("task", task),
    ):
        if val is not None:
            where.append(f"{col} = ?")
            args.append(val)
    for col, val in (("unit_id", unit_id), ("indicator", indicator)):
        if val is None:
            continue
        vals = [val] if isinstance(val, str) else list(val)
        where.append(f"{col} IN ({', '.join('?' * len(vals))})")
        args.extend(vals)
    sql = f"SELECT {', '.join(EXPORT_COLUMNS)} FROM indicator_values"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY year, study, subject, grade, level, unit_id, indicator, task"
    out = _fetch(con, sql, args or None)
    out["small_group"] = out["small_group"].astype(bool)
    return out


__all__ = [
    "compute",
    "compute_values",
    "store_values",
    "values",
    "params_version",
    "LEVELS",
    "EXPORT_COLUMNS",
]
