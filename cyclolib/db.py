"""The results database: one embedded DuckDB file, its schema and access helpers.

The data model is documented in ``docs/data-model.md``; the DDL below is its
single source. Every table is created on first use, so a new file is a valid,
empty database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from .config import default_db_path

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT
);

-- Territories: the country, regions and municipalities, as one hierarchy.
CREATE TABLE IF NOT EXISTS territories (
    territory_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level TEXT NOT NULL,            -- country | region | municipality
    parent_id TEXT
);

-- Schools (ОО), keyed by their login in the federal system.
CREATE TABLE IF NOT EXISTS schools (
    school_id TEXT PRIMARY KEY,     -- e.g. sch220206
    name TEXT,
    municipality_id TEXT,
    region_id TEXT,
    urban BOOLEAN,                  -- NULL where the context is unknown
    locality TEXT,                  -- kind of settlement, from the context form
    enrolment INTEGER,              -- students of the school, from the context form
    social_index DOUBLE             -- higher is a more favourable context
);

-- The school context form in long shape: one row per school, year and question.
CREATE TABLE IF NOT EXISTS school_context (
    school_id TEXT NOT NULL,
    year INTEGER,
    field TEXT NOT NULL,
    value TEXT
);

CREATE TABLE IF NOT EXISTS teachers (
    teacher_id TEXT PRIMARY KEY,    -- a code, never a name
    school_id TEXT
);

CREATE TABLE IF NOT EXISTS classes (
    class_id TEXT PRIMARY KEY,      -- school_id/year/grade/letter
    school_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    grade INTEGER NOT NULL,
    letter TEXT,                    -- NULL when the school has one class
    teacher_id TEXT
);

CREATE TABLE IF NOT EXISTS students (
    student_id TEXT PRIMARY KEY,    -- school_id/code: codes only, never names
    school_id TEXT NOT NULL,
    code TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS studies (
    study_id TEXT PRIMARY KEY,      -- vpr | oge | ege | niko | regional ...
    name TEXT NOT NULL
);

-- A form (КИМ) of one study, year, subject and grade.
CREATE TABLE IF NOT EXISTS forms (
    form_id TEXT PRIMARY KEY,       -- e.g. vpr-2021-ma-4
    study_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    subject TEXT NOT NULL,          -- code from params/subjects.yaml
    grade INTEGER,
    max_score DOUBLE,
    n_tasks INTEGER
);

-- Tasks of a form, in the order of the export's columns.
CREATE TABLE IF NOT EXISTS items (
    form_id TEXT NOT NULL,
    position INTEGER NOT NULL,      -- 1-based column order in the export
    task TEXT NOT NULL,             -- the task's label: 1, 5(1), 1К1 ...
    max_score DOUBLE,
    level TEXT,                     -- Б | П | В
    skill TEXT,                     -- the skill or activity checked
    PRIMARY KEY (form_id, position)
);

-- КЭС and КТ codes of a task (a task may check several).
CREATE TABLE IF NOT EXISTS item_codes (
    form_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,             -- kes | kt
    code TEXT NOT NULL
);

-- Names of КЭС and КТ codes of a form.
CREATE TABLE IF NOT EXISTS code_names (
    form_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT
);

-- One result per student per form.
CREATE TABLE IF NOT EXISTS results (
    result_id BIGINT NOT NULL,
    form_id TEXT NOT NULL,
    school_id TEXT NOT NULL,
    class_id TEXT,
    student_id TEXT NOT NULL,
    teacher_id TEXT,
    variant TEXT,
    gender TEXT,
    absent BOOLEAN NOT NULL,
    primary_score DOUBLE,
    mark SMALLINT,                  -- 2..5, from the export or the scale
    journal_mark SMALLINT,          -- 2..5, the school's mark for the last term
    test_score DOUBLE,              -- ЕГЭ test score 0..100 where it exists
    load_id INTEGER NOT NULL
);

-- Points of each task of each result.
CREATE TABLE IF NOT EXISTS task_scores (
    result_id BIGINT NOT NULL,
    position SMALLINT NOT NULL,
    score FLOAT
);

-- Every file loaded, with its hash: the same file is never loaded twice.
CREATE TABLE IF NOT EXISTS loads (
    load_id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    layout TEXT,
    loaded_at TIMESTAMP,
    rows_read INTEGER,
    rows_accepted INTEGER,
    rows_rejected INTEGER
);

-- Rows that were not accepted, each with its reason: nothing is lost.
CREATE TABLE IF NOT EXISTS rejects (
    load_id INTEGER NOT NULL,
    file TEXT NOT NULL,
    sheet TEXT,
    row INTEGER,                    -- 1-based row of the file, header included
    "column" TEXT,
    reason TEXT NOT NULL,
    value TEXT,
    record TEXT                     -- the whole raw row as JSON
);

-- Indicator values of every unit, as `cyclo compute` stores them (stage 4).
CREATE TABLE IF NOT EXISTS indicator_values (
    year INTEGER,
    study TEXT,
    subject TEXT,
    grade INTEGER,
    level TEXT NOT NULL,            -- region | municipality | school | class
    unit_id TEXT NOT NULL,          -- territory id, school login or class id
    unit_name TEXT,
    indicator TEXT NOT NULL,        -- id of params/indicators.yaml
    task TEXT,                      -- task, code, level or score; '' for the form
    value DOUBLE,
    n INTEGER,                      -- participants (or schools) behind the value
    ci_low DOUBLE,
    ci_high DOUBLE,
    small_group BOOLEAN,            -- n under settings.yaml min_group_size
    params_version TEXT,            -- hash of params/*.yaml used
    computed_at TIMESTAMP
);

-- Who collects and who checks the data of each territory and school.
CREATE TABLE IF NOT EXISTS responsibles (
    level TEXT NOT NULL,            -- region | municipality | school
    unit_id TEXT NOT NULL,
    role TEXT NOT NULL,             -- collect | check
    person TEXT,
    position TEXT,
    contact TEXT
);

-- The register of management decisions and measures (stages 6 to 8).
CREATE TABLE IF NOT EXISTS decisions (
    decision_id TEXT PRIMARY KEY,
    date DATE NOT NULL,
    level TEXT NOT NULL,            -- region | municipality | school
    unit_id TEXT,                   -- the unit whose body decided
    body TEXT NOT NULL,             -- the body that decided
    use_kind TEXT NOT NULL,         -- code of params/uses.yaml
    title TEXT,
    indicator TEXT,                 -- the indicator aimed at
    target_value DOUBLE,
    target_date DATE,
    status TEXT NOT NULL,           -- planned | done | not_done
    note TEXT,
    load_id INTEGER
);

-- Units (schools, municipalities) a decision targets.
CREATE TABLE IF NOT EXISTS decision_targets (
    decision_id TEXT NOT NULL,
    unit_id TEXT NOT NULL
);
"""


def connect(
    path: str | Path | None = None, *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open the database, creating the file and its schema on first use.

    Parameters
    ----------
    path : str or Path, optional
        The database file; by default ``$CYCLO_DB`` or ``data/cyclo.duckdb``.
        ``":memory:"`` gives a private in-memory database.
    read_only : bool
        Open without write access, so that many processes can read at once.
    """
    path = str(path or default_db_path())
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if read_only and not Path(path).exists():
            raise FileNotFoundError(
                f"База данных {path} не найдена: сначала загрузите данные "
                "(cyclo load или cyclo demo)"
            )
    con = duckdb.connect(path, read_only=read_only)
    if not read_only:
        init_schema(con)
    return con


def init_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table that is missing and record the schema version."""
    con.execute(SCHEMA)
    con.execute(
        "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
        [str(SCHEMA_VERSION)],
    )


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run a block atomically: on any error nothing of it stays in the database."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")


def append(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> int:
    """Append a frame to a table by column name; returns the number of rows.

    Columns of the table missing from the frame are stored as NULL.
    """
    if frame.empty:
        return 0
    cols = [c for c in table_columns(con, table) if c in frame.columns]
    quoted = ", ".join(f'"{c}"' for c in cols)
    view = f"_append_{table}"
    con.register(view, frame[cols])
    try:
        con.execute(f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM {view}")
    finally:
        con.unregister(view)
    return len(frame)


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Column names of a table, in order."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


def next_id(con: duckdb.DuckDBPyConnection, table: str, column: str) -> int:
    """The next free integer id of a table (1 for an empty table)."""
    ((value,),) = con.execute(
        f"SELECT coalesce(max({column}), 0) + 1 FROM {table}"
    ).fetchall()
    return int(value)
