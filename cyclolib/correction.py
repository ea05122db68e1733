"""Stage 8: correcting the course of the next cycle.

Three questions: which kinds of use of the results were realised this year and
which were not; how every indicator moved over all years in the database (a
trend with its significance, per unit); and what to change next cycle
(indicators to revise, measures to continue or stop), in the report and as an
XLSX workbook.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

from .analysis.export import readable
from .config import load_params, settings, study_name, subject_name
from .decisions import direction, indicator_name, use_kinds
from .effectiveness import VERDICTS

log = logging.getLogger(__name__)

#: The level of the units a unit is made of, whose trends stage 8 shows too.
MEMBER_LEVELS = {"region": "municipality", "municipality": "school"}

#: Indicators whose trends are shown per municipality or school.
MAIN_INDICATORS = ["mean_score_pct", "success_pct", "quality_pct", "mark_2_pct"]

TREND_NAMES = {
    "up": "значимый рост",
    "down": "значимое снижение",
    "flat": "без значимых изменений",
    "short": "мало лет для оценки",
}

# Russian headers of the output frames, for reports and workbooks.
LABELS = {
    "number": "№",
    "code": "код",
    "name": "вид использования",
    "decisions": "решений",
    "done": "выполнено",
    "not_done": "не выполнено",
    "planned": "запланировано",
    "realised": "реализовано",
    "state": "состояние",
    "unit_id": "единица",
    "indicator": "показатель",
    "study": "исследование",
    "subject": "предмет",
    "grade": "класс",
    "n_years": "лет",
    "first_year": "с года",
    "last_year": "по год",
    "first_value": "значение в начале",
    "last_value": "значение в конце",
    "slope": "изменение за год",
    "slope_low": "нижняя граница",
    "slope_high": "верхняя граница",
    "p_value": "p",
    "trend": "динамика",
    "series": "рядов",
    "up": "значимый рост",
    "down": "значимое снижение",
    "flat": "без значимых изменений",
    "short": "мало лет",
    "unit_name": "название",
    "object": "объект",
    "item": "что",
    "proposal": "предложение",
    "reason": "основание",
    # stage 7: effects of the measures and their summaries
    "decision_id": "номер решения",
    "use_kind": "вид использования",
    "body": "орган",
    "level": "уровень",
    "status": "статус",
    "first_post_year": "первый год после меры",
    "pre_years": "годы до меры",
    "post_years": "годы после меры",
    "n_treated": "целевых школ",
    "n_controls": "школ сравнения",
    "treated_pre": "целевые: до",
    "treated_post": "целевые: после",
    "control_pre": "сравнение: до",
    "control_post": "сравнение: после",
    "effect": "эффект",
    "se": "ст. ошибка",
    "ci_low": "95 % ДИ: от",
    "ci_high": "95 % ДИ: до",
    "verdict": "вывод",
    "target_value": "целевое значение",
    "target_year": "год проверки цели",
    "achieved": "достигнутое значение",
    "target_reached": "цель достигнута",
    "share_units_reached": "доля школ, достигших цели",
    "note": "примечание",
    "measures": "мер",
    "evaluated": "оценено",
    "better": "улучшение",
    "worse": "ухудшение",
    "no_effect": "эффект не выявлен",
    "mean_effect": "средний эффект",
    "targets_set": "целей проверено",
    "targets_reached": "целей достигнуто",
    "share_reached": "доля достигнутых целей",
}


def _options() -> dict:
    return dict(load_params("decisions")["correction"])


# --- realised and unrealised uses ----------------------------------------------


def realised_uses(decisions: pd.DataFrame) -> pd.DataFrame:
    """Which kinds of use of the results were realised, by the register.

    Parameters
    ----------
    decisions : DataFrame
        The register of one unit and year (``read_decisions``), with ``use_kind``
        and ``status``.

    Returns
    -------
    DataFrame
        Every kind of use (params/uses.yaml) in order: ``number, code, name,
        decisions, done, not_done, planned, realised`` and ``state``:
        «реализовано» (at least one decision done), «запланировано» (decisions
        only planned), «не выполнено» (decisions, none done, some not done) or
        «не использовалось» (no decision).
    """
    kinds = use_kinds()
    counts = (
        decisions.groupby(["use_kind", "status"]).size().unstack(fill_value=0)
        if not decisions.empty
        else pd.DataFrame()
    )
    counts = counts.reindex(
        index=kinds["code"], columns=["done", "not_done", "planned"], fill_value=0
    )
    out = kinds.set_index("code").join(counts).reset_index()
    out = out[["number", "code", "name", "done", "not_done", "planned"]]
    out.insert(3, "decisions", out[["done", "not_done", "planned"]].sum(axis=1))
    out["realised"] = out["done"] > 0
    out["state"] = np.select(
        [out["done"] > 0, out["not_done"] > 0, out["planned"] > 0],
        ["реализовано", "не выполнено", "запланировано"],
        default="не использовалось",
    )
    return out


# --- dynamics ------------------------------------------------------------------


def unit_values(
    con: duckdb.DuckDBPyConnection,
    *,
    level: str,
    unit_id: str,
    indicators: list[str] | None = None,
) -> pd.DataFrame:
    """Values of every indicator of one unit over all years (whole forms only).

    Returns
    -------
    DataFrame
        ``indicator, study, subject, grade, year, value, n, ci_low, ci_high``.
    """
    sql = (
        "SELECT indicator, study, subject, grade, year, value, n, ci_low, ci_high "
        "FROM indicator_values WHERE level = ? AND unit_id = ? "
        "AND coalesce(task, '') = '' AND value IS NOT NULL"
    )
    params: list = [level, unit_id]
    if indicators:
        sql += " AND indicator IN (SELECT unnest(?::TEXT[]))"
        params.append(indicators)
    return con.execute(sql + " ORDER BY ALL", params).df()


def trends(
    values: pd.DataFrame,
    *,
    by: list[str] | None = None,
    min_years: int | None = None,
    alpha: float | None = None,
) -> pd.DataFrame:
    """Linear trend of each indicator over the years, with its significance.

    Parameters
    ----------
    values : DataFrame
        ``year, value`` and the grouping columns.
    by : list of str, optional
        Columns that identify a series; by default those of ``indicator, study,
        subject, grade, unit_id`` present in ``values``.
    min_years : int, optional
        Fewer years give no slope test (params/decisions.yaml, default 3).
    alpha : float, optional
        Significance level of the slope (default 0.05).

    Returns
    -------
    DataFrame
        One row per series: the ``by`` columns, ``n_years, first_year,
        last_year, first_value, last_value, slope, slope_low, slope_high,
        p_value`` and ``trend`` (Russian: significant rise or fall, no
        significant change, too few years). For indicators where lower is
        better the words still describe the value, not its quality.

    Notes
    -----
    Ordinary least squares of the value on the year,
    :math:`y_t = a + b t + e_t`, with
    :math:`\\hat b = \\sum (t-\\bar t)(y_t-\\bar y) / \\sum (t-\\bar t)^2`,
    :math:`s^2 = \\sum \\hat e_t^2 / (m - 2)` over :math:`m` years,
    :math:`SE(\\hat b) = s / \\sqrt{\\sum (t-\\bar t)^2}`, a two-sided
    :math:`t` test with :math:`m - 2` degrees of freedom and the interval
    :math:`\\hat b \\pm t_{m-2,\\,1-\\alpha/2} SE`. Years without a value are
    skipped; a series of constant values has slope 0 and no p-value.
    """
    opts = _options()
    min_years = int(min_years or opts["min_years"])
    alpha = float(alpha or opts["alpha"])
    if min_years < 3:
        raise ValueError(
            f"min_years должно быть не меньше 3 (нужна оценка остатков), "
            f"получено {min_years}"
        )
    by = by or [
        c
        for c in ("indicator", "study", "subject", "grade", "unit_id")
        if c in values.columns
    ]
    rows = []
    clean = values.dropna(subset=["year", "value"])
    for key, g in clean.groupby(by, dropna=False, sort=True):
        g = g.groupby("year", as_index=False)["value"].mean().sort_values("year")
        t = g["year"].to_numpy(float)
        y = g["value"].to_numpy(float)
        row = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        row.update(
            n_years=len(g),
            first_year=int(t[0]),
            last_year=int(t[-1]),
            first_value=y[0],
            last_value=y[-1],
            slope=np.nan,
            slope_low=np.nan,
            slope_high=np.nan,
            p_value=np.nan,
            trend=TREND_NAMES["short"],
        )
        if len(g) >= min_years:
            row.update(_slope(t, y, alpha))
        rows.append(row)
    columns = by + [
        "n_years",
        "first_year",
        "last_year",
        "first_value",
        "last_value",
        "slope",
        "slope_low",
        "slope_high",
        "p_value",
        "trend",
    ]
    return pd.DataFrame(rows, columns=columns)


def member_values(
    con: duckdb.DuckDBPyConnection,
    *,
    level: str,
    unit_id: str,
    indicators: list[str] | None = None,
    min_participants: int | None = None,
) -> pd.DataFrame:
    """Values of the units one level below a unit over all years (whole forms).

    The municipalities of a region (those whose parent is the region, or every
    municipality when none names a parent) and the schools of a municipality;
    a school has no such units (its classes change every year).

    Parameters
    ----------
    level, unit_id
        The unit.
    indicators : list of str, optional
        Indicators to read (default :data:`MAIN_INDICATORS`).
    min_participants : int, optional
        Values of fewer participants are left out (default ``min_group_size``
        of params/settings.yaml): a trend of a handful of students says
        nothing, and small groups are not published.

    Returns
    -------
    DataFrame
        ``unit_id, indicator, study, subject, grade, year, value, n, ci_low,
        ci_high`` (empty for a school).
    """
    columns = [
        "unit_id",
        "indicator",
        "study",
        "subject",
        "grade",
        "year",
        "value",
        "n",
        "ci_low",
        "ci_high",
    ]
    below = MEMBER_LEVELS.get(level)
    if below is None:
        return pd.DataFrame(columns=columns)
    if below == "municipality":
        members = (
            "SELECT territory_id FROM territories "
            "WHERE level = 'municipality' AND coalesce(parent_id, $unit) = $unit"
        )
    else:
        members = "SELECT school_id FROM schools WHERE municipality_id = $unit"
    least = (
        settings()["min_group_size"] if min_participants is None else min_participants
    )
    sql = (
        f"SELECT {', '.join(columns)} FROM indicator_values "
        f"WHERE level = $below AND unit_id IN ({members}) "
        "AND coalesce(task, '') = '' AND value IS NOT NULL "
        "AND coalesce(n, 0) >= $least AND indicator IN (SELECT unnest($wanted)) "
        "ORDER BY ALL"
    )
    wanted = list(indicators or MAIN_INDICATORS)
    args = {"below": below, "unit": unit_id, "least": least, "wanted": wanted}
    return con.execute(sql, args).df()


def trend_summary(trend_table: pd.DataFrame, *, by: str = "unit_id") -> pd.DataFrame:
    """How many series of each unit rise, fall, stay or are too short.

    Returns
    -------
    DataFrame
        ``by, series, up, down, flat, short``: counts of the rows of
        :func:`trends` by their ``trend`` word, units in their order of
        appearance.
    """
    words = {v: k for k, v in TREND_NAMES.items()}
    codes = trend_table["trend"].map(words)
    counts = pd.crosstab(trend_table[by], codes).reindex(
        columns=list(TREND_NAMES), fill_value=0
    )
    counts.columns.name = None
    counts.insert(0, "series", counts.sum(axis=1))
    return counts.reset_index()


def _slope(t: np.ndarray, y: np.ndarray, alpha: float) -> dict:
    """OLS slope of y on t with its interval, p-value and trend word."""
    m = len(t)
    tc = t - t.mean()
    sxx = float((tc**2).sum())
    b = float((tc * (y - y.mean())).sum() / sxx)
    resid = y - y.mean() - b * tc
    s2 = float((resid**2).sum() / (m - 2))
    se = np.sqrt(s2 / sxx)
    if se == 0:
        word = "flat" if b == 0 else ("up" if b > 0 else "down")
        return {
            "slope": b,
            "slope_low": b,
            "slope_high": b,
            "p_value": np.nan,
            "trend": TREND_NAMES[word],
        }
    q = stats.t.ppf(1 - alpha / 2, m - 2)
    p = float(2 * stats.t.sf(abs(b) / se, m - 2))
    word = "flat" if p >= alpha else ("up" if b > 0 else "down")
    return {
        "slope": b,
        "slope_low": b - q * se,
        "slope_high": b + q * se,
        "p_value": p,
        "trend": TREND_NAMES[word],
    }


# --- proposals -----------------------------------------------------------------


def proposals(
    *,
    effects: pd.DataFrame | None = None,
    trend_table: pd.DataFrame | None = None,
    uses: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Proposals for the next cycle from the analyses of stages 7 and 8.

    Parameters
    ----------
    effects : DataFrame, optional
        :func:`cyclolib.effectiveness.evaluate_measures`.
    trend_table : DataFrame, optional
        :func:`trends` of the unit's indicators.
    uses : DataFrame, optional
        :func:`realised_uses`.

    Returns
    -------
    DataFrame
        ``object`` (мера, показатель, вид использования), ``item`` (its code),
        ``proposal`` and ``reason``, in Russian.

    Notes
    -----
    The rules, each a default a region may change by editing the proposals:

    * a measure whose effect is an improvement (the interval above zero):
      continue it and spread it to similar units;
    * a measure with a worsening: stop it;
    * a measure with no effect found: revise its content or its indicator;
    * a measure not done: do it or drop it from the plan; one only planned:
      do it and judge it next cycle;
    * an indicator whose trend is significantly unfavourable: plan measures;
    * an indicator whose value never changed over the years: revise it (it does
      not tell units or years apart);
    * a kind of use with no decision in the year: consider it next cycle;
      one with decisions not done: find out why.
    """
    rows: list[dict] = []
    if effects is not None and not effects.empty:
        for rec in effects.to_dict("records"):
            rows.append(_measure_proposal(rec))
    if trend_table is not None and not trend_table.empty:
        rows.extend(_indicator_proposals(trend_table))
    if uses is not None and not uses.empty:
        for rec in uses.to_dict("records"):
            if rec["state"] == "не использовалось":
                rows.append(
                    {
                        "object": "вид использования",
                        "item": rec["name"],
                        "proposal": "рассмотреть в следующем цикле",
                        "reason": "решений этого вида в году не было",
                    }
                )
            elif rec["state"] == "не выполнено":
                rows.append(
                    {
                        "object": "вид использования",
                        "item": rec["name"],
                        "proposal": "выяснить причины невыполнения",
                        "reason": f"не выполнено решений: {rec['not_done']}",
                    }
                )
    return pd.DataFrame(rows, columns=["object", "item", "proposal", "reason"])


def _measure_proposal(rec: dict) -> dict:
    ident = rec["decision_id"]
    v = rec.get("verdict")
    indicator = rec.get("indicator")
    named = indicator_name(indicator) if isinstance(indicator, str) else indicator
    if v == VERDICTS["better"]:
        text = "продолжить и распространить на сходные единицы"
        why = (
            f"эффект {rec['effect']:+.1f} (95 % интервал {rec['ci_low']:+.1f}…"
            f"{rec['ci_high']:+.1f}) по показателю «{named}»"
        )
    elif v == VERDICTS["worse"]:
        text = "прекратить"
        why = (
            f"ухудшение {rec['effect']:+.1f} (95 % интервал {rec['ci_low']:+.1f}…"
            f"{rec['ci_high']:+.1f}) по показателю «{named}»"
        )
    elif v == VERDICTS["none"]:
        text = "пересмотреть содержание меры или её показатель"
        why = (
            f"эффект не выявлен: 95 % интервал {rec['ci_low']:+.1f}…"
            f"{rec['ci_high']:+.1f} включает ноль"
        )
    elif rec.get("status") == "planned":
        text = "выполнить и оценить в следующем цикле"
        why = "мера запланирована, ещё не выполнена"
    elif rec.get("status") != "done":
        text = "выполнить или исключить из плана"
        why = "мера не выполнена"
    else:
        text = "обеспечить данные для оценки"
        why = rec.get("note") or "эффект не оценён"
    if rec.get("target_reached") is True:
        why += "; целевое значение достигнуто"
    elif rec.get("target_reached") is False:
        why += "; целевое значение не достигнуто"
    return {"object": "мера", "item": ident, "proposal": text, "reason": why}


def _series_label(rec: dict) -> str:
    """A trend's series as a reader names it: «Доля «2» (ВПР, Математика, 5 класс)»."""
    name = indicator_name(str(rec.get("indicator", "")))
    parts = []
    if isinstance(rec.get("study"), str):
        parts.append(study_name(rec["study"]))
    if isinstance(rec.get("subject"), str):
        parts.append(subject_name(rec["subject"]))
    if pd.notna(rec.get("grade")):
        parts.append(f"{int(rec['grade'])} класс")
    return f"{name} ({', '.join(parts)})" if parts else name


def _indicator_proposals(trend_table: pd.DataFrame) -> list[dict]:
    rows = []
    for rec in trend_table.to_dict("records"):
        label = _series_label(rec)
        way = direction(str(rec.get("indicator", "")))
        bad = TREND_NAMES["up"] if way == "lower" else TREND_NAMES["down"]
        if way != "none" and rec["trend"] == bad:
            rows.append(
                {
                    "object": "показатель",
                    "item": label,
                    "proposal": "запланировать меры по показателю",
                    "reason": f"{rec['trend']}: {rec['slope']:+.2f} в год"
                    + (
                        f" (p = {rec['p_value']:.3f})"
                        if pd.notna(rec["p_value"])
                        else " (все годы точно на прямой)"
                    ),
                }
            )
        elif (
            rec["n_years"] >= 3
            and rec["slope"] == 0
            and rec["first_value"] == rec["last_value"]
        ):
            rows.append(
                {
                    "object": "показатель",
                    "item": label,
                    "proposal": "пересмотреть показатель",
                    "reason": "значение не менялось по годам: показатель "
                    "не различает ситуации",
                }
            )
    return rows


# --- the workbook --------------------------------------------------------------


def write_workbook(path: str | Path, sheets: dict[str, pd.DataFrame]) -> Path:
    """Write the tables of stage 8 into an XLSX workbook with Russian headers.

    Parameters
    ----------
    path : str or Path
        The workbook to write (its folder is created).
    sheets : dict
        Sheet name (at most 31 characters) -> table; columns known to
        ``LABELS`` get their Russian header.

    Returns
    -------
    Path
        The path written.
    """
    path = Path(path)
    for name in sheets:
        if len(name) > 31:
            raise ValueError(
                f"имя листа «{name}» длиннее 31 символа: Excel его не примет"
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        for name, frame in sheets.items():
            frame.rename(columns=LABELS).to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            for i, col in enumerate(frame.rename(columns=LABELS).columns):
                width = max([len(str(col))] + [len(str(v)) for v in frame.iloc[:, i]])
                sheet.set_column(i, i, min(max(width + 2, 8), 60))
    log.debug("таблицы стадий 7 и 8 записаны в %s", path)
    return path


# --- everything of stages 7 and 8 for one unit ---------------------------------


def stage_tables(
    con: duckdb.DuckDBPyConnection, *, level: str, unit_id: str, year: int
) -> dict[str, pd.DataFrame]:
    """The tables of stages 7 and 8 for one unit and year, as the workbook holds them.

    Effects are estimated for every measure of the unit's register (any year:
    each uses all the years in the database); realised uses count the decisions
    of the academic year ``year``; trends cover every indicator of the unit.

    Returns
    -------
    dict
        Sheet name -> table: «Реестр решений» (:func:`register_table`),
        «Эффективность мер», «По видам использования», «По органам», «Виды
        использования», «Динамика», for a region or a municipality «Динамика по
        муниципалитетам» or «Динамика по школам» (:func:`member_values`, the
        main indicators), and «Предложения».
    """
    from .config import LEVEL_NAMES
    from .decisions import (
        indicator_name,
        read_decisions,
        register_table,
        status_names,
    )
    from .effectiveness import evaluate_measures, summarise

    register = read_decisions(con, level=level, unit_id=unit_id)
    effects = evaluate_measures(con, decisions=register)
    uses = realised_uses(register[register["year"] == year])
    trend_table = trends(unit_values(con, level=level, unit_id=unit_id))
    ideas = proposals(effects=effects, trend_table=trend_table, uses=uses)

    # Codes become the words a reader of the workbook knows
    kinds = dict(zip(use_kinds()["code"], use_kinds()["name"], strict=True))
    levels = LEVEL_NAMES
    by_use = summarise(effects, by="use_kind")
    by_use["use_kind"] = by_use["use_kind"].map(kinds).fillna(by_use["use_kind"])
    shown = effects.assign(
        use_kind=effects["use_kind"].map(kinds).fillna(effects["use_kind"]),
        status=effects["status"].map(status_names()).fillna(effects["status"]),
        level=effects["level"].map(levels).fillna(effects["level"]),
        indicator=effects["indicator"].map(
            lambda c: indicator_name(c) if isinstance(c, str) else c
        ),
        target_reached=effects["target_reached"].map({True: "да", False: "нет"}),
    )
    trend_table.insert(1, "name", trend_table["indicator"].map(indicator_name))
    members = trends(
        member_values(con, level=level, unit_id=unit_id),
        by=["unit_id", "indicator", "study", "subject", "grade"],
    )
    members.insert(1, "unit_name", members["unit_id"].map(_unit_names(con)))
    members.insert(3, "name", members["indicator"].map(indicator_name))
    below = {"municipality": "муниципалитетам", "school": "школам"}
    member_sheet = {}
    if level in MEMBER_LEVELS:
        member_sheet = {
            f"Динамика по {below[MEMBER_LEVELS[level]]}": readable(members).rename(
                columns={"indicator": "код показателя", "name": "показатель"}
            )
        }
    return {
        "Реестр решений": register_table(register),
        "Эффективность мер": shown,
        "По видам использования": by_use,
        "По органам": summarise(effects, by="body"),
        "Виды использования": uses,
        "Динамика": readable(trend_table).rename(
            columns={"indicator": "код показателя", "name": "показатель"}
        ),
        **member_sheet,
        "Предложения": ideas,
    }


def _unit_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute(
        "SELECT territory_id, name FROM territories "
        "UNION ALL SELECT school_id, coalesce(name, school_id) FROM schools"
    ).fetchall()
    return dict(rows)
