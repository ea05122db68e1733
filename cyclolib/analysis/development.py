"""Professional development needs: skills with insufficient completion.

The completion of every task and every КЭС/КТ code is read per school,
municipality or teacher against the reference levels of ``settings.yaml``; the
codes whose tasks are mostly insufficient become topics of qualification
programmes (municipality, region) and of methodical associations (school).
"""

from __future__ import annotations

import logging

import duckdb
import numpy as np
import pandas as pd

from ..config import load_params, settings

log = logging.getLogger(__name__)

__all__ = ["UNIT_COLUMNS", "task_results", "skill_deficits", "development_topics"]

#: Level of analysis -> the column that identifies the unit.
UNIT_COLUMNS = {
    "region": "region_id",
    "municipality": "municipality_id",
    "school": "school_id",
    "teacher": "teacher_id",
}

_TASKS_SQL = """
WITH scored AS (
    SELECT f.study_id AS study, f.year, f.subject, f.grade, r.form_id,
           ts.position, i.task, i.level, i.max_score, r.school_id,
           coalesce(s.municipality_id, '') AS municipality_id,
           coalesce(s.region_id, t.parent_id, '') AS region_id,
           coalesce(r.teacher_id, c.teacher_id) AS teacher_id,
           coalesce(ts.score, 0) AS score
    FROM task_scores ts
    JOIN results r USING (result_id)
    JOIN forms f ON f.form_id = r.form_id
    JOIN items i ON i.form_id = r.form_id AND i.position = ts.position
    LEFT JOIN schools s ON s.school_id = r.school_id
    LEFT JOIN territories t ON t.territory_id = s.municipality_id
    LEFT JOIN classes c ON c.class_id = r.class_id
    WHERE NOT r.absent AND f.year = ?
)
SELECT {unit} AS unit_id, study, year, subject, grade, form_id, position, task,
       level, max_score, sum(score) AS points, count(*) AS participants
FROM scored
WHERE {unit} IS NOT NULL
GROUP BY ALL
"""


def _status(completion: pd.Series, level: pd.Series) -> pd.Series:
    levels = settings()["task_levels"]
    advanced = level.isin(["П", "В"])
    suff = np.where(
        advanced, levels["advanced"]["sufficient"], levels["basic"]["sufficient"]
    )
    insuff = np.where(
        advanced, levels["advanced"]["insufficient"], levels["basic"]["insufficient"]
    )
    status = np.where(
        completion >= suff,
        "sufficient",
        np.where(completion < insuff, "insufficient", "uncertain"),
    )
    return pd.Series(status, index=completion.index).where(completion.notna())


def task_results(
    con: duckdb.DuckDBPyConnection, *, year: int, level: str = "school"
) -> pd.DataFrame:
    """Completion of every task per unit, read against the reference levels.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The results database (``task_scores`` and ``items`` are needed).
    year : int
        The year of the session.
    level : {"region", "municipality", "school", "teacher"}
        The units to compute for; ``teacher`` uses the teacher codes of results
        or classes and leaves out results without one.

    Returns
    -------
    DataFrame
        ``unit_id, study, year, subject, grade, form_id, position, task, level,
        participants, completion, status`` with ``completion`` =
        Σ points / (participants · task maximum) · 100 and ``status``
        ``sufficient`` / ``uncertain`` / ``insufficient`` / ``small``.

    Notes
    -----
    Reference levels (``settings.yaml`` ``task_levels``; 2026 recommendations):
    basic tasks are sufficient at ≥ 60 % and insufficient below 57 %, advanced
    and high tasks at ≥ 30 % and below 28.5 %. A task whose level is unknown is
    read as basic. A cell left empty or marked ``X`` counts as 0 points. Units
    with fewer participants than ``min_group_size`` get status ``small``: no
    conclusion is drawn from them.
    """
    column = UNIT_COLUMNS.get(level)
    if column is None:
        raise ValueError(
            f"Уровень «{level}» не поддерживается: допустимы {', '.join(UNIT_COLUMNS)}"
        )
    # Sum the points in the database: task scores are the largest table
    out = con.execute(_TASKS_SQL.format(unit=column), [year]).df()
    out["completion"] = out["points"] / (out["participants"] * out["max_score"]) * 100
    out["status"] = _status(out["completion"], out["level"])
    small = out["participants"] < settings()["min_group_size"]
    out.loc[small, "status"] = "small"
    out = out.drop(columns=["points", "max_score"])
    return out.sort_values(["unit_id", "form_id", "position"]).reset_index(drop=True)


def skill_deficits(
    con: duckdb.DuckDBPyConnection,
    *,
    year: int,
    level: str = "school",
    tasks: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """КЭС and КТ codes of each unit, with the share of insufficient tasks.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The results database (``item_codes``; names from ``code_names``).
    year : int
        The year of the session.
    level : str
        As in :func:`task_results`.
    tasks : DataFrame, optional
        The output of :func:`task_results` when already computed.

    Returns
    -------
    DataFrame
        ``unit_id, study, year, subject, grade, form_id, kind, code, name,
        n_tasks, insufficient, completion, deficit, task_list``, one row per unit
        and code: ``completion`` is the mean completion of the code's tasks,
        ``insufficient`` the number of its tasks read as insufficient, and
        ``deficit`` is True when more than half of them are (DOMAIN.md: a skill
        whose tasks are mostly insufficient is a deficit).

    Notes
    -----
    Units of status ``small`` are left out. Forms without КЭС/КТ codes fall back
    to the task itself (``kind`` = ``task``, the code is the task's label and the
    name is the skill of ``items``), so that a deficit is still named.
    """
    tasks = task_results(con, year=year, level=level) if tasks is None else tasks
    tasks = tasks[tasks["status"] != "small"]
    codes = con.execute(
        "SELECT ic.form_id, ic.position, ic.kind, ic.code, cn.name "
        "FROM item_codes ic LEFT JOIN code_names cn "
        "ON cn.form_id = ic.form_id AND cn.kind = ic.kind AND cn.code = ic.code"
    ).df()
    skills = con.execute("SELECT form_id, position, skill FROM items").df()

    # Tasks of forms without codes stand for themselves
    coded = set(codes["form_id"])
    bare = tasks[~tasks["form_id"].isin(coded)].merge(
        skills, on=["form_id", "position"], how="left"
    )
    bare = bare.assign(kind="task", code=bare["task"], name=bare["skill"]).drop(
        columns="skill"
    )
    linked = tasks.merge(codes, on=["form_id", "position"])
    work = pd.concat([linked, bare], ignore_index=True)

    keys = ["unit_id", "study", "year", "subject", "grade", "form_id", "kind", "code"]
    work["bad"] = work["status"] == "insufficient"
    out = work.groupby(keys, dropna=False).agg(
        name=("name", "first"),
        n_tasks=("position", "nunique"),
        insufficient=("bad", "sum"),
        completion=("completion", "mean"),
        task_list=("task", lambda s: ", ".join(dict.fromkeys(map(str, s)))),
    )
    out["deficit"] = out["insufficient"] > out["n_tasks"] / 2
    out = out.reset_index()
    return out[
        keys[:7]
        + [
            "code",
            "name",
            "n_tasks",
            "insufficient",
            "completion",
            "deficit",
            "task_list",
        ]
    ]


def _label(kind: str, code: str, name) -> str:
    named = isinstance(name, str) and bool(name)
    if kind == "task":
        return f"задание {code}" + (f" ({name})" if named else "")
    return f"{name} ({code})" if named else str(code)


def development_topics(deficits: pd.DataFrame) -> pd.DataFrame:
    """Topics for qualification programmes and methodical associations.

    Parameters
    ----------
    deficits : DataFrame
        The output of :func:`skill_deficits` for any level.

    Returns
    -------
    DataFrame
        ``subject, grade, kind, code, topic, units, unit_list, completion``: one
        row per code that is a deficit somewhere, with the number of units that
        have it, the units, and their mean completion; most frequent first. The
        ``topic`` reads «Математика, 5 класс: <name of the code> (<code>)», or
        «…: задание <label> (<skill>)» for forms without codes.
    """
    subjects = load_params("subjects")
    d = deficits[deficits["deficit"]]
    out = (
        d.groupby(["subject", "grade", "kind", "code"], dropna=False)
        .agg(
            name=("name", "first"),
            units=("unit_id", "nunique"),
            unit_list=("unit_id", lambda s: ", ".join(sorted(set(map(str, s))))),
            completion=("completion", "mean"),
        )
        .reset_index()
    )
    out["topic"] = [
        f"{subjects.get(s, s)}, {g} класс: {_label(k, c, n)}"
        for s, g, k, c, n in zip(
            out["subject"],
            out["grade"],
            out["kind"],
            out["code"],
            out["name"],
            strict=True,
        )
    ]
    out = out.sort_values(["units", "completion"], ascending=[False, True])
    cols = [
        "subject",
        "grade",
        "kind",
        "code",
        "topic",
        "units",
        "unit_list",
        "completion",
    ]
    return out[cols].reset_index(drop=True)
