"""The cyclogram and the catalogue of studies, as notebooks 00 and 01 show them.

``params/cyclogram.yaml`` lists the eight stages and their months;
``params/studies.yaml`` the studies a region may use. This module selects the
studies for a level and a year, derives the state of each stage of a unit from
the database (and from the expert's conclusions kept beside it), and draws both
on the months of the school year.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from ..config import load_params
from ..nb import MONTHS, Context, school_year

log = logging.getLogger(__name__)

#: Months of the school year in chart order: September ... August.
SCHOOL_MONTHS = (9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8)

STATES = {
    "done": "выполнено",
    "partial": "частично",
    "todo": "не начато",
    "absent": "инструмент ещё не подключён",
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

    Notes
    -----
    The evidence of each stage (``evidence`` of params/cyclogram.yaml):

    1. studies selected for the level and year, or with results in the base;
    2. approved indicators of the level in params/indicators.yaml;
    3. schools of the unit with results of the year;
    4. rows of ``indicator_values`` for the unit or its schools;
    5. the expert's conclusions (``data/conclusions/<year>/<unit_id>.yaml``):
       done when written, partial when only the objectivity signs or the
       value added of the unit's schools can be computed;
    6. decisions of the register for the unit in the school year;
    7. measures done with target units whose indicator has values before and
       after: done when an effect is estimated, partial when none could be;
    8. results in two years or more up to the year: done when the unit's
       indicator values cover two years too, partial otherwise.
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
    if kind == "analysis":
        return _analysis(ctx, has_results=len(results) > 0)
    if kind in ("decisions", "effectiveness") and not ctx.year:
        return "todo", "в базе нет результатов: учебный год не определён"
    if kind == "decisions":
        return _decisions(ctx)
    if kind == "effectiveness":
        return _effectiveness(ctx)
    if kind == "correction":
        return _correction(ctx)
    raise ValueError(
        f"Неизвестный вид свидетельства стадии «{kind}» (params/cyclogram.yaml): "
        "допустимы studies, indicators, data, values, analysis, decisions, "
        "effectiveness, correction"
    )


def _analysis(ctx: Context, *, has_results: bool) -> tuple[str, str]:
    """Stage 5: the expert's conclusions and the analyses the suite computes.

    Done when the expert's conclusions for the unit and year are written
    (``data/conclusions/<year>/<unit_id>.yaml``); partial when only the
    computed analyses exist (objectivity signs, value added of the unit's
    schools), which the expert has still to read.
    """
    from ..analysis import cache, objectivity, value_added
    from ..analysis.conclusions import SECTIONS, load_conclusions

    # The expert's part
    try:
        written = load_conclusions(ctx.year, ctx.unit_id)
        expert = (
            f"выводы эксперта записаны (разделов: {len(written)} из {len(SECTIONS)})"
            if written
            else f"выводов эксперта за {ctx.year} год нет"
        )
    except ValueError as exc:
        written, expert = {}, f"файл выводов эксперта не прочитан: {exc}"

    # The suite's part, shared with notebook 05 through the cache
    computed = []
    if has_results:
        mine = set(ctx.school_ids)
        signs = cache.cached(
            ctx.con,
            "objectivity",
            {"year": ctx.year},
            lambda: objectivity.objectivity_signs(ctx.con, year=ctx.year),
        )
        signs = signs[signs["school_id"].isin(mine)]
        if len(signs):
            marked = signs.groupby("school_id")["n_signs"].max()
            computed.append(
                f"признаки необъективности — школ {len(marked)}, отмечено "
                f"{int((marked > 0).sum())}"
            )
        va = cache.cached(
            ctx.con,
            "value_added",
            {"year": ctx.year},
            lambda: value_added.value_added(ctx.con, year=ctx.year),
        )
        if len(va):
            schools = va.loc[va["school_id"].isin(mine), "school_id"].nunique()
            if schools:
                computed.append(f"добавленная ценность — школ {schools}")
    analysis = (
        "рассчитано: " + "; ".join(computed)
        if computed
        else "признаки необъективности и добавленная ценность не рассчитываются: "
        "нет данных"
    )
    if written:
        return "done", f"{expert}; {analysis}"
    return ("partial" if computed else "todo"), f"{expert}; {analysis}"


def _decisions(ctx: Context) -> tuple[str, str]:
    """Stage 6: decisions of the unit in the register for the school year."""
    from ..decisions import read_decisions, status_names

    register = read_decisions(ctx.con, level=ctx.level, unit_id=ctx.unit_id)
    this_year = register[register["year"] == ctx.year]
    when = f"{school_year(ctx.year)} учебный год"
    if this_year.empty:
        other = f"; за другие годы: {len(register)}" if len(register) else ""
        return "todo", f"решений единицы за {when} в реестре нет{other}"
    counts = this_year["status"].value_counts()
    parts = [
        f"{name} — {int(counts[code])}"
        for code, name in status_names().items()
        if code in counts
    ]
    return "done", f"решений за {when}: {len(this_year)} ({', '.join(parts)})"


def _effectiveness(ctx: Context) -> tuple[str, str]:
    """Stage 7: measures done whose indicator has values before and after.

    The measures are the unit's decisions of the register with the status
    ``done``, an indicator and target units, taken early enough to act on the
    year's results; :func:`cyclolib.effectiveness.evaluate_measures` judges
    them. Done when at least one effect is estimated.
    """
    from ..decisions import read_decisions
    from ..effectiveness import evaluate_measures, first_post_year

    register = read_decisions(ctx.con, level=ctx.level, unit_id=ctx.unit_id)
    measures = register[
        (register["status"] == "done")
        & register["indicator"].notna()
        & (register["targets"] != "")
    ]
    start = [first_post_year(pd.Timestamp(d).date()) for d in measures["date"]]
    measures = measures[[y <= ctx.year for y in start]]
    if measures.empty:
        return "todo", (
            "выполненных мер с показателем и целевыми единицами, действие которых "
            f"видно по результатам {ctx.year} года, в реестре нет"
        )
    effects = evaluate_measures(ctx.con, decisions=measures)
    with_values = int((effects["n_treated"].fillna(0) > 0).sum())
    estimated = int(effects["effect"].notna().sum())
    text = (
        f"выполненных мер с целевыми единицами: {len(measures)}; со значениями "
        f"показателя до и после меры: {with_values}; эффект оценён: {estimated}"
    )
    if estimated:
        return "done", text
    return ("partial" if with_values else "todo"), text


def _correction(ctx: Context) -> tuple[str, str]:
    """Stage 8: results, and the unit's indicator values, in two years or more."""
    years = ctx.query(
        "SELECT DISTINCT f.year FROM results r JOIN unit_schools USING (school_id) "
        "JOIN forms f USING (form_id) WHERE NOT r.absent AND f.year <= ? ORDER BY 1",
        [ctx.year],
    )["year"].tolist()
    if len(years) < 2:
        only = f"результаты только за {years[0]} год" if years else "результатов нет"
        return "todo", f"{only}: для динамики нужны два года и больше"
    valued = ctx.query(
        "SELECT count(DISTINCT year) AS n FROM indicator_values "
        "WHERE level = ? AND unit_id = ? AND year <= ? AND value IS NOT NULL",
        [ctx.level, ctx.unit_id, ctx.year],
    )["n"].iloc[0]
    text = (
        f"лет с результатами: {len(years)} ({years[0]}–{years[-1]}); "
        f"лет со значениями показателей единицы: {int(valued)}"
    )
    return ("done" if valued >= 2 else "partial"), text


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
