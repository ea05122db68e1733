"""What the expert reads about one unit: comparisons and the evidence of flags.

These helpers turn the region-wide analyses into the tables of notebooks 05 and
06 for one unit (a region, a municipality or a school): the unit against its
parent territory, similar units, the region and its own previous year.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import duckdb
import numpy as np
import pandas as pd

from ._data import student_results

log = logging.getLogger(__name__)

__all__ = ["form_summary", "comparison", "similar_schools"]


def form_summary(
    data: pd.DataFrame, school_ids: Iterable[str] | None = None
) -> pd.DataFrame:
    """Participants, mean % of the maximum, success and quality per form.

    Parameters
    ----------
    data : DataFrame
        Student results (``cyclolib.analysis._data.student_results``).
    school_ids : iterable of str, optional
        Keep these schools only (all when None).

    Returns
    -------
    DataFrame
        ``study, subject, grade, participants, mean_pct, success_pct,
        quality_pct`` per form: the mean of primary score / maximum · 100, and
        100 · #(mark ≥ 3) / N and 100 · #(mark ≥ 4) / N over participants with
        a mark. Figures of a territory are computed over its students (weighted
        by participants), never as a mean of school figures.
    """
    if school_ids is not None:
        data = data[data["school_id"].isin(set(school_ids))]
    marked = data["mark"].notna()
    work = data.assign(
        ok=(data["mark"] >= 3).where(marked) * 100.0,
        good=(data["mark"] >= 4).where(marked) * 100.0,
    )
    out = work.groupby(["study", "subject", "grade"]).agg(
        participants=("pct", "size"),
        mean_pct=("pct", "mean"),
        success_pct=("ok", "mean"),
        quality_pct=("good", "mean"),
    )
    return out.reset_index()


def similar_schools(
    con: duckdb.DuckDBPyConnection,
    *,
    level: str,
    unit_id: str,
    school_ids: Iterable[str],
) -> tuple[list[str], str]:
    """Schools of the units similar to the given one, and how they were chosen.

    A school: the other schools of its context cluster (social index group and
    urban or rural, :func:`.low_results.context_clusters`). A municipality: the
    schools of the other municipalities whose share of rural schools differs
    from its own by at most 15 points. A region: none (an empty list).
    """
    from .low_results import context_clusters

    mine = set(school_ids)
    if level == "school":
        ctx = context_clusters(con)
        cluster = ctx.loc[ctx["school_id"] == unit_id, "cluster"]
        if cluster.empty:
            return [], "контекст школы неизвестен"
        same = ctx[(ctx["cluster"] == cluster.iloc[0]) & ~ctx["school_id"].isin(mine)]
        return same["school_id"].tolist(), f"школы того же кластера: {cluster.iloc[0]}"
    if level == "municipality":
        schools = con.execute(
            "SELECT school_id, municipality_id, CAST(urban AS DOUBLE) AS urban "
            "FROM schools"
        ).df()
        share = (1 - schools["urban"]).groupby(schools["municipality_id"]).mean() * 100
        share = share.dropna()
        if unit_id not in share.index:
            return [], "тип поселения школ муниципалитета неизвестен"
        close = share[(share - share[unit_id]).abs() <= 15].index
        close = close.difference([unit_id])
        chosen = schools[schools["municipality_id"].isin(close)]
        return chosen["school_id"].tolist(), (
            "муниципалитеты с долей сельских школ, отличающейся не более чем на "
            f"15 пунктов ({share[unit_id]:.0f} %): {len(close)}"
        )
    return [], "для региона похожие единицы не выбираются"


def comparison(
    con: duckdb.DuckDBPyConnection,
    *,
    year: int,
    level: str,
    unit_id: str,
    school_ids: Iterable[str],
    parent_school_ids: Iterable[str] | None = None,
) -> tuple[pd.DataFrame, str]:
    """The unit against its parent, similar units, the region and last year.

    Returns
    -------
    DataFrame, str
        Rows ``group`` (Russian label of the comparison group), ``subject,
        grade, participants, mean_pct, success_pct, quality_pct`` and the
        difference ``diff_mean_pct`` of the unit's mean from the group's; and
        the text saying how similar units were chosen.
    """
    school_ids = list(school_ids)
    data = student_results(con, years=[year - 1, year])
    now, before = data[data["year"] == year], data[data["year"] == year - 1]
    similar, how = similar_schools(
        con, level=level, unit_id=unit_id, school_ids=school_ids
    )
    groups = [("Единица", now, school_ids)]
    if parent_school_ids is not None:
        groups.append(("Вышестоящая территория", now, list(parent_school_ids)))
    if similar:
        groups.append(("Похожие единицы", now, similar))
    if level != "region":
        groups.append(("Регион", now, None))
    groups.append(("Единица, прошлый год", before, school_ids))
    parts = [
        form_summary(frame, ids).assign(group=label) for label, frame, ids in groups
    ]
    out = pd.concat(parts, ignore_index=True)
    if out.empty:
        return out, how
    mine = out[out["group"] == "Единица"].set_index(["study", "subject", "grade"])
    key = pd.MultiIndex.from_frame(out[["study", "subject", "grade"]])
    out["diff_mean_pct"] = mine["mean_pct"].reindex(key).to_numpy() - out["mean_pct"]
    out.loc[out["group"] == "Единица", "diff_mean_pct"] = np.nan
    cols = [
        "group",
        "study",
        "subject",
        "grade",
        "participants",
        "mean_pct",
        "success_pct",
        "quality_pct",
        "diff_mean_pct",
    ]
    return out[cols].reset_index(drop=True), how
