"""Schools with low educational results (ШНОР) and the profile of each.

The criteria and cut-offs are a regional decision and live in
``params/low_results.yaml``; :func:`low_results` applies them, and
:func:`low_results_profiles` says for each listed school which indicators,
tasks and skills are low and which context risks it carries.
"""

from __future__ import annotations

import logging
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ..config import params_with
from ._data import student_results
from .development import skill_deficits, task_results
from .export import form_label

log = logging.getLogger(__name__)

__all__ = ["CRITERIA", "context_clusters", "low_results", "low_results_profiles"]

#: Criterion -> (Russian name, True when a higher value is worse).
CRITERIA: dict[str, tuple[str, bool]] = {
    "low_quartile_share": ("доля участников в нижней четверти региона, %", True),
    "mean_pct": ("средний процент выполнения", False),
    "fail_share": ("доля отметок «2», %", True),
}

_GROUP_NAMES = {
    2: ["ниже медианы", "выше медианы"],
    3: ["низкий", "средний", "высокий"],
}


def _params(overrides: dict[str, Any] | None) -> dict[str, Any]:
    params = params_with("low_results", overrides, what="отбора ШНОР")
    if params["criterion"] not in CRITERIA:
        raise ValueError(
            f"Критерий ШНОР «{params['criterion']}» не известен: допустимы "
            f"{', '.join(CRITERIA)}"
        )
    return params


def context_clusters(
    con: duckdb.DuckDBPyConnection, *, social_groups: int = 3, split_urban: bool = True
) -> pd.DataFrame:
    """Clusters of schools of similar context.

    Returns
    -------
    DataFrame
        ``school_id, social_index, urban, enrolment, social_group, cluster``:
        ``social_group`` is 1 (least favourable) to ``social_groups``, by equal
        shares of the region's schools ranked by ``social_index``; ``cluster`` a
        Russian label such as «город, социальный индекс: низкий». Schools
        without a social index form the group 0 («нет данных»).
    """
    if social_groups < 1:
        raise ValueError(
            "Число групп по социальному индексу должно быть не меньше 1, "
            f"получено {social_groups}"
        )
    schools = con.execute(
        "SELECT school_id, social_index, urban, enrolment FROM schools"
    ).df()
    known = schools["social_index"].notna()
    ranks = schools.loc[known, "social_index"].rank(method="first", pct=True)
    groups = np.ceil(ranks * social_groups).clip(1, social_groups).astype(int)
    schools["social_group"] = 0
    schools.loc[known, "social_group"] = groups
    names = _GROUP_NAMES.get(
        social_groups,
        [f"группа {i} из {social_groups}" for i in range(1, social_groups + 1)],
    )
    label = schools["social_group"].map(
        lambda g: "нет данных" if g == 0 else names[g - 1]
    )
    cluster = "социальный индекс: " + label
    if split_urban:
        place = (
            schools["urban"]
            .map({True: "город", False: "село"})
            .fillna("тип поселения неизвестен")
        )
        cluster = place + ", " + cluster
    schools["cluster"] = cluster
    return schools


def _criterion_values(data: pd.DataFrame, criterion: str) -> pd.DataFrame:
    data = data.copy()
    if criterion == "low_quartile_share":
        q1 = data.groupby(["form_id", "region_id"])["primary_score"].transform(
            lambda s: np.percentile(s, 25)
        )
        data["x"] = (data["primary_score"] <= q1) * 100.0
    elif criterion == "fail_share":
        data["x"] = (data["mark"] == 2) * 100.0
        data.loc[data["mark"].isna(), "x"] = np.nan
    else:
        data["x"] = data["pct"]
    return (
        data.groupby(["school_id", "year"])
        .agg(
            participants=("x", "count"),
            value=("x", "mean"),
            mean_pct=("pct", "mean"),
            fail_share=("mark", lambda m: (m == 2).mean() * 100),
        )
        .reset_index()
    )


def low_results(
    con: duckdb.DuckDBPyConnection,
    *,
    year: int,
    params: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Judge every school of the year by the criterion of ``params/low_results.yaml``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The results database.
    year : int
        The last year of the run of years examined.
    params : dict, optional
        Overrides of ``params/low_results.yaml`` (same keys).

    Returns
    -------
    DataFrame
        One row per school with results in ``year``: ``school_id,
        municipality_id, cluster, participants, value, cut_off, low,
        years_low, listed, mean_pct, fail_share``. ``value`` is the criterion
        (in percent), ``cut_off`` the cluster's boundary of its worst part,
        ``low`` whether the school is in that part this year, ``years_low`` the
        number of consecutive years up to ``year`` it was, and ``listed`` is
        ``years_low >= years_running``.

    Notes
    -----
    Criteria, each over the participants of the study's forms of the year:

    - ``low_quartile_share`` = 100 · #(score ≤ Q1 of the region's scores on the
      same form) / participants (the default, higher is worse);
    - ``mean_pct`` = mean of primary score / form maximum · 100 (lower is worse);
    - ``fail_share`` = 100 · #(mark = 2) / participants (higher is worse).

    A school is low when its value is at or beyond the cluster's quantile
    1 − ``worst_fraction`` (``worst_fraction`` for ``mean_pct``), the quantile
    taken over the cluster's schools of that year with at least
    ``min_participants``. A year without results breaks a run. Source of the
    approach: the regional practices of selecting ШНОР summarised in DOMAIN.md.
    """
    p = _params(params)
    higher_worse = CRITERIA[p["criterion"]][1]
    years = list(range(year - 5, year + 1))
    data = student_results(
        con,
        years=years,
        studies=[p["study"]],
        subjects=p["subjects"],
        grades=p["grades"],
    )
    values = _criterion_values(data, p["criterion"])
    values = values[values["participants"] >= p["min_participants"]]
    clusters = context_clusters(
        con, social_groups=p["social_groups"], split_urban=p["split_urban"]
    )
    values = values.merge(
        clusters[["school_id", "cluster"]], on="school_id", how="left"
    )
    values["cluster"] = values["cluster"].fillna("нет данных")

    # Cut-off of the worst part of each cluster and year
    q = 1 - p["worst_fraction"] if higher_worse else p["worst_fraction"]
    values["cut_off"] = values.groupby(["cluster", "year"])["value"].transform(
        lambda s: np.percentile(s, q * 100)
    )
    if higher_worse:
        values["low"] = values["value"] >= values["cut_off"]
    else:
        values["low"] = values["value"] <= values["cut_off"]

    # Consecutive low years ending at `year`
    low_years = values[values["low"]].groupby("school_id")["year"].apply(set)
    now = values[values["year"] == year].copy()

    def run(school: str) -> int:
        have, n = low_years.get(school, set()), 0
        while year - n in have:
            n += 1
        return n

    now["years_low"] = now["school_id"].map(run)
    now["listed"] = now["years_low"] >= p["years_running"]
    munis = data.drop_duplicates("school_id").set_index("school_id")["municipality_id"]
    now["municipality_id"] = now["school_id"].map(munis)
    cols = [
        "school_id",
        "municipality_id",
        "cluster",
        "participants",
        "value",
        "cut_off",
        "low",
        "years_low",
        "listed",
        "mean_pct",
        "fail_share",
    ]
    return (
        now[cols]
        .sort_values(["listed", "value"], ascending=[False, not higher_worse])
        .reset_index(drop=True)
    )


def low_results_profiles(
    con: duckdb.DuckDBPyConnection,
    table: pd.DataFrame,
    *,
    year: int,
    params: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """The profile of each listed school: indicators, tasks, skills, risks.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The results database.
    table : DataFrame
        The output of :func:`low_results`; only rows with ``listed`` are kept.
    year : int
        The year the profile describes.
    params : dict, optional
        Overrides of ``params/low_results.yaml``.

    Returns
    -------
    DataFrame
        The listed rows with ``school_name`` after ``school_id``,
        ``municipality_name`` after ``municipality_id`` (the code when the
        territory has no name) and four texts in Russian:
        ``indicators`` (the criterion against the cut-off, the mean % of the
        maximum and the share of «2»), ``tasks`` (tasks read as insufficient,
        by form, «ВПР, Математика, 5 класс: 3, 7»), ``skills`` (КЭС/КТ codes
        that are deficits) and ``risks`` (context: the least favourable social
        group, a rural school, a small enrolment).
    """
    p = _params(params)
    listed = table[table["listed"]].copy()
    if listed.empty:
        listed.insert(1, "school_name", [])
        listed.insert(3, "municipality_name", [])
        return listed.assign(indicators=[], tasks=[], skills=[], risks=[])
    name = CRITERIA[p["criterion"]][0]
    tasks = task_results(con, year=year, level="school")
    tasks = tasks[tasks["unit_id"].isin(listed["school_id"])]
    deficits = skill_deficits(con, year=year, level="school", tasks=tasks)
    ctx = context_clusters(
        con, social_groups=p["social_groups"], split_urban=p["split_urban"]
    ).set_index("school_id")
    names = dict(con.execute("SELECT school_id, name FROM schools").fetchall())
    places = dict(con.execute("SELECT territory_id, name FROM territories").fetchall())

    def tasks_text(school: str) -> str:
        bad = tasks[(tasks["unit_id"] == school) & (tasks["status"] == "insufficient")]
        parts = [
            f"{form_label(*form)}: {', '.join(map(str, grp['task']))}"
            for form, grp in bad.groupby(["study", "subject", "grade"])
        ]
        return "; ".join(parts) or "нет данных по заданиям"

    def skills_text(school: str) -> str:
        d = deficits[(deficits["unit_id"] == school) & deficits["deficit"]]
        items = [
            f"{c} {n}" if isinstance(n, str) and n else str(c)
            for c, n in zip(d["code"], d["name"], strict=True)
        ]
        return "; ".join(dict.fromkeys(items)) or "дефицитов не выявлено"

    def risks_text(school: str) -> str:
        risks = []
        if school in ctx.index:
            row = ctx.loc[school]
            if row["social_group"] == 1:
                risks.append("наименее благоприятный социальный контекст")
            if row["urban"] is False or row["urban"] == 0:
                risks.append("сельская школа")
            if (
                pd.notna(row["enrolment"])
                and row["enrolment"] < p["risks"]["small_school"]
            ):
                risks.append(
                    f"малочисленная школа ({int(row['enrolment'])} обучающихся)"
                )
        return "; ".join(risks) or "контекстных рисков не выявлено"

    listed.insert(1, "school_name", listed["school_id"].map(names))
    listed.insert(
        3,
        "municipality_name",
        listed["municipality_id"].map(lambda m: places.get(m, m)),
    )
    listed["indicators"] = [
        f"{name}: {v:.1f} (порог кластера {c:.1f}); средний процент выполнения "
        f"{m:.1f}; доля «2» {f:.1f} %"
        for v, c, m, f in zip(
            listed["value"],
            listed["cut_off"],
            listed["mean_pct"],
            listed["fail_share"],
            strict=True,
        )
    ]
    listed["tasks"] = listed["school_id"].map(tasks_text)
    listed["skills"] = listed["school_id"].map(skills_text)
    listed["risks"] = listed["school_id"].map(risks_text)
    return listed.reset_index(drop=True)
