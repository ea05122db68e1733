"""The values of the indicators derived from the sums, in DuckDB SQL.

The same formulas as the ``*_from_sums`` functions of
:mod:`cyclolib.indicators.formulas`, written as SQL so that tens of millions
of values (every task of every class of a country) are derived and stored
without passing through pandas. Tests compare both with hand-worked values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

# Output columns of every SELECT below, in order.
COLUMNS = (
    "year, study, subject, grade, level, unit_id, indicator, task, value, n, "
    "ci_low, ci_high, small_group"
)


def install_macros(con, *, confidence: float) -> None:
    """SQL macros: shares with Wilson bounds, means with t bounds (percent)."""
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    z2 = z * z
    p = "(k::DOUBLE / n)"
    centre = f"({p} + {z2} / (2 * n))"
    half = f"({z} * sqrt(greatest(0, {p} * (1 - {p})) / n + {z2} / (4 * n * n)))"
    con.execute(f"""
        CREATE OR REPLACE TEMP MACRO _share(k, n) AS
            CASE WHEN n > 0 THEN 100 * k::DOUBLE / n END;
        CREATE OR REPLACE TEMP MACRO _wlo(k, n) AS
            CASE WHEN n > 0 THEN
                100 * greatest(0, ({centre} - {half}) / (1 + {z2} / n)) END;
        CREATE OR REPLACE TEMP MACRO _whi(k, n) AS
            CASE WHEN n > 0 THEN
                100 * least(1, ({centre} + {half}) / (1 + {z2} / n)) END;
        CREATE OR REPLACE TEMP MACRO _mean(s, n) AS
            CASE WHEN n > 0 THEN s::DOUBLE / n END;
        CREATE OR REPLACE TEMP MACRO _half(s, ss, n, t) AS
            CASE WHEN n >= 2 THEN
                t * sqrt(greatest(0, (ss - s * s / n) / (n - 1)) / n) END;
    """)


def t_table(con, counts, *, confidence: float) -> None:
    """Temporary table ``_tq(dof, t)`` of Student quantiles for the counts."""
    values = np.unique(np.asarray(counts, dtype=float))
    dof = values[values >= 2] - 1
    frame = pd.DataFrame(
        {
            "dof": dof.astype("int64"),
            "t": stats.t.ppf(0.5 + confidence / 2, dof) if len(dof) else [],
        }
    )
    con.register("_tq_frame", frame)
    con.execute("CREATE OR REPLACE TEMP TABLE _tq AS FROM _tq_frame")
    con.unregister("_tq_frame")


def _select(
    source, indicator, value, n, low, high, *, levels, where, size, task="''", joins=""
):
    lv = ", ".join(f"'{x}'" for x in levels)
    return (
        f"SELECT year, study, subject, grade, level, unit_id, '{indicator}', "
        f"{task}, {value}, {n}, {low}, {high}, coalesce({n}, 0) < {size} "
        f"FROM {source} f {joins} WHERE level IN ({lv}) {where}"
    )


def _share_sql(source, indicator, k, n, **kw):
    return _select(
        source,
        indicator,
        f"_share({k}, {n})",
        n,
        f"_wlo({k}, {n})",
        f"_whi({k}, {n})",
        **kw,
    )


def _mean_sql(source, indicator, s, ss, n, *, scale=1, lo=None, hi=None, **kw):
    join = f"LEFT JOIN _tq t ON t.dof = {n} - 1"
    mean = f"_mean({s}, {n})"
    half = f"_half({s}, {ss}, {n}, t.t)"
    low, high = f"{scale} * ({mean} - {half})", f"{scale} * ({mean} + {half})"
    if lo is not None:
        # greatest/least skip NULLs: a missing bound must stay missing
        low = f"CASE WHEN {half} IS NOT NULL THEN greatest({lo}, {low}) END"
        high = f"CASE WHEN {half} IS NOT NULL THEN least({hi}, {high}) END"
    return _select(
        source, indicator, f"{scale} * {mean}", n, low, high, joins=join, **kw
    )


def form_selects(
    source: str, wanted: dict[str, list[str]], *, where: str, size: int
) -> list[str]:
    """SELECTs of the whole-form indicators from the unit sums ``source``."""
    out = []

    def add(ind, sql_fn, *args, **kw):
        if ind in wanted:
            out.append(
                sql_fn(
                    source, ind, *args, levels=wanted[ind], where=where, size=size, **kw
                )
            )

    add("participants", _select, "n", "n", "NULL", "NULL")
    add("absent_pct", _share_sql, "absent", "listed")
    if "coverage_pct" in wanted:
        enrol = "coalesce(enrol, 0)"
        out.append(
            _select(
                source,
                "coverage_pct",
                f"_share(enrol_part, {enrol})",
                enrol,
                f"_wlo(least(enrol_part, {enrol}), {enrol})",
                f"_whi(least(enrol_part, {enrol}), {enrol})",
                levels=wanted["coverage_pct"],
                where=where,
                size=size,
            )
        )
    add("mean_primary_score", _mean_sql, "s_score", "ss_score", "n")
    add("mean_score_pct", _mean_sql, "s_pct", "ss_pct", "n_pct")
    s_mark = "(2 * n2 + 3 * n3 + 4 * n4 + 5 * n5)"
    ss_mark = "(4 * n2 + 9 * n3 + 16 * n4 + 25 * n5)"
    add("mean_mark", _mean_sql, s_mark, ss_mark, "n_mark", lo=2, hi=5)
    for m in (2, 3, 4, 5):
        add(f"mark_{m}_pct", _share_sql, f"n{m}", "n_mark")
    add("success_pct", _share_sql, "(n3 + n4 + n5)", "n_mark")
    add("quality_pct", _share_sql, "(n4 + n5)", "n_mark")
    s_sou = "(1.0 * n5 + 0.64 * n4 + 0.36 * n3 + 0.16 * n2)"
    ss_sou = "(1.0 * n5 + 0.4096 * n4 + 0.1296 * n3 + 0.0256 * n2)"
    add("sou_pct", _mean_sql, s_sou, ss_sou, "n_mark", scale=100, lo=0, hi=100)
    for ind, col in (
        ("journal_lower_pct", "j_lower"),
        ("journal_same_pct", "j_same"),
        ("journal_higher_pct", "j_higher"),
        ("journal_diff2_pct", "j_diff2"),
    ):
        add(ind, _share_sql, col, "n_journal")
    ege = f"{where} AND n_test > 0"
    for ind, fn, args in (
        ("ege_mean_test_score", _mean_sql, ("s_test", "ss_test", "n_test")),
        ("ege_below_min_pct", _share_sql, ("n_below", "n_min")),
        ("ege_81_100_pct", _share_sql, ("n_81", "n_test")),
    ):
        if ind in wanted:
            out.append(fn(source, ind, *args, levels=wanted[ind], where=ege, size=size))
    if "ege_100_count" in wanted:
        out.append(
            _select(
                source,
                "ege_100_count",
                "n_100",
                "n_test",
                "NULL",
                "NULL",
                levels=wanted["ege_100_count"],
                where=ege,
                size=size,
            )
        )
    return out


def task_selects(
    source: str, wanted: dict[str, list[str]], *, where: str, size: int
) -> list[str]:
    """SELECTs of the task indicators from the unit task sums ``source``."""
    out = []
    kw = {"where": where, "size": size, "task": "task"}
    if "task_completion_pct" in wanted:
        out.append(
            _mean_sql(
                source,
                "task_completion_pct",
                "s_points / max_score",
                "ss_frac",
                "n",
                scale=100,
                lo=0,
                hi=100,
                levels=wanted["task_completion_pct"],
                **kw,
            )
        )
    for ind, k in (
        ("task_full_pct", "n_full"),
        ("task_partial_pct", "(n - n_full - n_zero)"),
        ("task_zero_pct", "n_zero"),
    ):
        if ind in wanted:
            out.append(_share_sql(source, ind, k, "n", levels=wanted[ind], **kw))
    return out


def code_selects(
    source: str, wanted: dict[str, list[str]], *, where: str, size: int
) -> list[str]:
    """SELECTs of the completion per КЭС, КТ and level from ``source``.

    ``source`` holds per unit, kind and code the participants ``n`` and the
    sum ``s_frac`` and sum of squares ``ss_frac`` of their fractions of the
    code's maximum: the value is their mean in percent with the t interval
    cut to 0–100, as :func:`~cyclolib.indicators.formulas.code_completion`.
    """
    out = []
    for kind in ("kes", "kt", "level"):
        ind = f"{kind}_completion_pct"
        if ind in wanted:
            out.append(
                _mean_sql(
                    source,
                    ind,
                    "s_frac",
                    "ss_frac",
                    "n",
                    scale=100,
                    lo=0,
                    hi=100,
                    levels=wanted[ind],
                    where=f"{where} AND kind = '{kind}'",
                    size=size,
                    task="code",
                )
            )
    return out


def distribution_selects(
    source: str, wanted: dict[str, list[str]], *, where: str, size: int
) -> list[str]:
    """SELECT of the primary-score distribution from ``source``."""
    ind = "score_distribution_pct"
    if ind not in wanted:
        return []
    task = (
        "CASE WHEN score = round(score) THEN CAST(CAST(score AS BIGINT) "
        "AS TEXT) ELSE CAST(score AS TEXT) END"
    )
    return [
        _share_sql(
            source,
            ind,
            "count",
            "n",
            levels=wanted[ind],
            where=where,
            size=size,
            task=task,
        )
    ]
