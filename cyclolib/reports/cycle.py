"""The cyclogram and the catalogue of studies, as notebooks 00 and 01 show them.

``params/cyclogram.yaml`` lists the eight stages and their months;
``params/studies.yaml`` the studies a region may use. This module selects the
studies for a level and a year, derives the state of each stage of a unit from
the database, and draws both on the months of the school year.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from ..config import load_params
from ..nb import MONTHS, Context

log = logging.getLogger(__name__)

#: Months of the school year in chart order: September ... August.
SCHOOL_MONTHS = (9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8)

STATES = {
    "done": "выполнено",
    "partial": "частично",
    "todo": "не начато",
    "absent": "инструмент ещё не подключён",
}

# Tables whose rows show each stage's work; the first that exists is read.
EVIDENCE_TABLES = {
    "analysis": ("conclusions", "analysis_conclusions"),
    "decisions": ("decisions",),
    "effectiveness": ("effects", "effectiveness"),
    "correction": ("corrections",),
}


def stages() -> list[dict[str, Any]]:
    """The eight stages of ``params/cyclogram.yaml``, each a dict."""
    return [dict(s) for s in load_params("cyclogram")["stages"]]


def catalogue() -> pd.DataFrame:
    """The studies of ``params/studies.yaml`` as a frame, one row per study.

    Columns: ``id, name, full_name, operator, kind, grades, subjects, months,
    years, results, detail, sample, levels``.
    """
    return pd.DataFrame(load_params("studies")["studies"])


def held_in(study: dict[str, Any], year: int) -> bool:
    """Whether a study is held in ``year`` (``years: every`` or a list)."""
    years = study.get("years", "every")
    return years == "every" or int(year) in {int(y) for y in years}


def select_studies(
    level: str, year: int, *, present: set[str] | frozenset[str] = frozenset()
) -> pd.DataFrame:
    """Which studies a unit of ``level`` uses in ``year``, and why.

    A study is selected when it is held that year and its results reach the
    level (``levels`` of the catalogue names it). A study with results in the
    database for the year is selected whatever the catalogue says, since the
    data are there to be used.

    Parameters
    ----------
    level : {"region", "municipality", "school"}
    year : int
    present : set of str
        Ids of studies with results in the database for the unit and year.

    Returns
    -------
    pandas.DataFrame
        ``id, name, selected, reason, months, detail``, in catalogue order.
    """
    rows = []
    for study in load_params("studies")["studies"]:
        levels = study.get("levels") or {}
        held = held_in(study, year)
        if study["id"] in present:
            selected, reason = True, "результаты этого года есть в базе данных"
        elif not held:
            selected, reason = False, f"в {year} году не проводится"
        elif level not in levels:
            detail = {"country": "страны", "region": "региона", "school": "школы"}
            selected = False
            reason = "результаты доходят только до уровня " + detail.get(
                study.get("detail"), "выше"
            )
        else:
            selected, reason = True, levels[level]
        rows.append(
            {
                "id": study["id"],
                "name": study["name"],
                "selected": selected,
                "reason": reason,
                "months": list(study.get("months") or []),
                "detail": study.get("detail"),
            }
        )
    return pd.DataFrame(rows)


def stage_months(selected: pd.DataFrame) -> dict[int, list[int]]:
    """The months of each stage, those «with the studies» resolved.

    ``months: studies`` takes the months of the selected studies;
    ``studies+1`` the same months each shifted by one (values follow data).
    """
    study_months = sorted(
        {m for ms in selected.loc[selected["selected"], "months"] for m in ms}
    )
    out = {}
    for stage in stages():
        months = stage["months"]
        if months == "studies":
            months = study_months
        elif months == "studies+1":
            months = sorted({m % 12 + 1 for m in study_months})
        out[int(stage["number"])] = [int(m) for m in months]
    return out


def month_span(months: list[int]) -> str:
    """Months as printed: «апрель–май», «август–сентябрь», «весь год».

    Runs of consecutive months (December to January included) are joined by a
    dash, separate runs by commas, starting from the school year's first run.
    """
    wanted = {int(m) for m in months}
    if not wanted:
        return "—"
    if len(wanted) == 12:
        return "весь год"
    # A run starts at a month whose previous month is not wanted
    starts = sorted(
        (m for m in wanted if (m - 2) % 12 + 1 not in wanted), key=SCHOOL_MONTHS.index
    )
    runs = []
    for start in starts:
        end = start
        while end % 12 + 1 in wanted:
            end = end % 12 + 1
        runs.append(
            _month_name(start) + ("" if end == start else f"–{_month_name(end)}")
        )
    return ", ".join(runs)


def _month_name(month: int) -> str:
    return MONTHS[SCHOOL_MONTHS.index(month)]


def _unit_rows(ctx: Context, table: str) -> int | None:
    """Rows of ``table`` that concern the unit; None when the table is absent."""
    if not ctx.has_table(table):
        return None
    cols = set(ctx.query(f'SELECT * FROM "{table}" LIMIT 0').columns)
    ids = [ctx.unit_id, *ctx.school_ids]
    marks = ", ".join("?" for _ in ids)
    if "unit_id" in cols:
        sql = f'SELECT count(*) AS n FROM "{table}" WHERE unit_id IN ({marks})'
        return int(ctx.query(sql, ids)["n"].iloc[0])
    if "school_id" in cols:
        sql = f'SELECT count(*) AS n FROM "{table}" WHERE school_id IN ({marks})'
        return int(ctx.query(sql, ids)["n"].iloc[0])
    return ctx.count(table)


def stage_states(ctx: Context) -> pd.DataFrame:
    """The state of each stage for the context's unit, read from the database.

    Returns
    -------
    pandas.DataFrame
        ``number, stage, months, state, evidence``: ``state`` is one of
        «выполнено», «частично», «не начато», «инструмент ещё не подключён»;
        ``evidence`` says in Russian what was found.
    """
    results = ctx.query(
        "SELECT f.study_id, count(*) AS n, count(DISTINCT r.school_id) AS schools "
        "FROM results r JOIN unit_schools USING (school_id) "
        "JOIN forms f USING (form_id) WHERE f.year = ? AND NOT r.absent "
        "GROUP BY 1 ORDER BY 1",
        [ctx.year],
    )
    selected = select_studies(ctx.level, ctx.year, present=set(results["study_id"]))
    months = stage_months(selected)
    rows = []
    for stage in stages():
        kind = stage["evidence"]
        state, evidence = _evidence(ctx, kind, results, selected)
        rows.append(
            {
                "number": int(stage["number"]),
                "stage": stage["title"],
                "months": month_span(months[int(stage["number"])]),
                "state": STATES[state],
                "evidence": evidence,
            }
        )
    return pd.DataFrame(rows)


def _evidence(ctx, kind, results, selected) -> tuple[str, str]:
    if kind == "studies":
        names = ", ".join(selected.loc[selected["selected"], "name"])
        return ("done", f"выбраны: {names}") if names else ("todo", "нет")
    if kind == "data":
        with_results = int(results["schools"].max()) if len(results) else 0
        total = len(ctx.school_ids)
        text = f"школ с результатами: {with_results} из {total}"
        if total and with_results >= total:
            return "done", text
        return ("partial" if with_results else "todo"), text
    if kind == "indicators":
        return _approved(ctx.level)
    if kind == "values":
        n = _unit_rows(ctx, "indicator_values")
        if n is None:
            return "absent", "нет таблицы indicator_values"
        return ("done", f"значений: {n}") if n else ("todo", "значения не рассчитаны")
    for table in EVIDENCE_TABLES[kind]:
        n = _unit_rows(ctx, table)
        if n is not None:
            return ("done", f"записей: {n}") if n else ("todo", "записей нет")
    return "absent", "данные этой стадии пока не ведутся в базе"


def _approved(level: str) -> tuple[str, str]:
    """Stage 2 from the catalogue: approved indicators among those of the level."""
    try:
        entries = load_params("indicators").get("indicators") or []
    except FileNotFoundError:
        return "absent", "нет каталога показателей params/indicators.yaml"
    at_level = [e for e in entries if level in (e.get("levels") or [])]
    approved = [e for e in at_level if e.get("status") == "approved"]
    text = f"утверждено показателей: {len(approved)} из {len(at_level)}"
    if at_level and len(approved) == len(at_level):
        return "done", text
    return ("partial" if approved else "todo"), text


def cyclogram_figure(
    months: dict[int, list[int]],
    titles: dict[int, str],
    *,
    states: dict[int, str] | None = None,
    studies: pd.DataFrame | None = None,
):
    """Draw the stages (and optionally the studies) on the school year's months.

    Parameters
    ----------
    months : dict
        Stage number → months (1–12).
    titles : dict
        Stage number → title.
    states : dict, optional
        Stage number → state in Russian, which colours the bars.
    studies : pandas.DataFrame, optional
        Selected studies (``name``, ``months``), drawn as extra rows.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    colours = {
        STATES["done"]: "#2e7d32",
        STATES["partial"]: "#f9a825",
        STATES["todo"]: "#9e9e9e",
        STATES["absent"]: "#cfd8dc",
    }
    labels = [f"{n}. {titles[n]}" for n in sorted(titles)]
    spans = [months[n] for n in sorted(titles)]
    colour = [colours.get((states or {}).get(n), "#1565c0") for n in sorted(titles)]
    if studies is not None:
        for _, st in studies.iterrows():
            labels.append(f"ИССЛ. {st['name']}")
            spans.append(list(st["months"]))
            colour.append("#6a1b9a")

    # Fixed margins: tight_layout would draw the figure once more
    height = 0.32 * len(labels) + 1.0
    fig = Figure(figsize=(8, height))
    fig.subplots_adjust(
        left=0.36, right=0.98, top=1 - 0.15 / height, bottom=0.7 / height
    )
    ax = fig.subplots()
    for row, (span, col) in enumerate(zip(spans, colour, strict=True)):
        boxes = [(SCHOOL_MONTHS.index(m) + 0.05, 0.9) for m in span]
        ax.broken_barh(boxes, (row - 0.4, 0.8), facecolors=col)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xticks([i + 0.5 for i in range(12)], [m[:3] for m in MONTHS], fontsize=8)
    ax.set_xlim(0, 12)
    ax.set_xlabel("месяцы учебного года")
    ax.grid(axis="x", color="#eeeeee")
    return fig
