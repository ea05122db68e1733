"""Ratings of municipalities and schools with a rank interval for every unit.

A league table that prints a single rank misleads; here every unit gets the
interval of its rank from a bootstrap of its students, and a tier that says
whether its score is reliably above or below the average unit. The indicators,
weights and the bootstrap settings are in ``params/weights.yaml``. A rating
is meant to use approved indicators of the catalogue (params/indicators.yaml):
any other is marked in the method and logged as a warning.
"""

from __future__ import annotations

import logging
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ..config import load_params, params_with
from ._data import student_results

log = logging.getLogger(__name__)

__all__ = ["INDICATORS", "TIERS", "rating", "rating_method", "unapproved"]

#: Indicators a rating can use: id -> Russian name (ids of params/indicators.yaml).
INDICATORS: dict[str, str] = {
    "mean_score_pct": "средний процент выполнения",
    "quality_pct": "качество знаний (доля «4» и «5»), %",
    "success_pct": "успеваемость (доля «3»–«5»), %",
    "sou_pct": "степень обученности (СОУ), %",
    "mark_2_pct": "доля отметок «2», %",
    "journal_diff2_pct": "доля расхождений с отметкой по журналу на 2 и более, %",
}

#: Tier code -> Russian name.
TIERS: dict[str, str] = {
    "top": "выше среднего",
    "middle": "не отличается от среднего",
    "bottom": "ниже среднего",
    "unranked": "мало участников: без места",
}

_LEVELS = {"municipality": "municipality_id", "school": "school_id"}
_SOU = {5: 1.00, 4: 0.64, 3: 0.36, 2: 0.16}


def _params(overrides: dict[str, Any] | None) -> dict[str, Any]:
    params = params_with("weights", overrides, what="рейтинга")
    unknown = [k for k in params["indicators"] if k not in INDICATORS]
    if unknown:
        raise ValueError(
            f"Показатель рейтинга «{unknown[0]}» не поддерживается "
            f"(params/weights.yaml): допустимы {', '.join(INDICATORS)}"
        )
    for key, spec in params["indicators"].items():
        if spec.get("better") not in ("higher", "lower"):
            raise ValueError(
                f"Показатель рейтинга «{key}»: better должно быть higher или lower, "
                f"получено {spec.get('better')!r}"
            )
    return params


def unapproved(keys) -> dict[str, str]:
    """Indicators of ``keys`` not approved in the catalogue: id -> Russian status.

    The status is that of params/indicators.yaml (``load_catalogue``): «проект»,
    «на экспертизе», or «нет в каталоге» for an id the catalogue lacks. When the
    catalogue cannot be read, a warning says so and nothing is returned.
    """
    from ..indicators.catalogue import STATUSES, CatalogueError, load_catalogue

    try:
        catalogue = {i.id: i.status for i in load_catalogue()}
    except CatalogueError as exc:
        log.warning("статус показателей рейтинга не проверен: %s", exc)
        return {}
    out = {}
    for key in keys:
        status = catalogue.get(key)
        if status != "approved":
            out[key] = STATUSES.get(status, "нет в каталоге")
    return out


def _student_values(data: pd.DataFrame) -> pd.DataFrame:
    mark = data["mark"]
    known = mark.notna()
    both = known & data["journal_mark"].notna()
    values = pd.DataFrame(index=data.index)
    values["mean_score_pct"] = data["pct"]
    values["quality_pct"] = ((mark >= 4) * 100.0).where(known)
    values["success_pct"] = ((mark >= 3) * 100.0).where(known)
    values["mark_2_pct"] = ((mark == 2) * 100.0).where(known)
    values["sou_pct"] = mark.map(_SOU) * 100.0
    diff = (mark - data["journal_mark"]).abs() >= 2
    values["journal_diff2_pct"] = (diff * 100.0).where(both)
    return values


def _bootstrap_means(arr: np.ndarray, b: int, rng: np.random.Generator) -> np.ndarray:
    """Column means (NaN left out) of b resamples of the rows, with replacement.

    Per-student values repeat (a score, a 0/100 flag), so a resample is drawn
    as multinomial counts over the distinct rows: the same distribution as
    drawing rows one by one, at the cost of the distinct rows only.
    """
    filled = np.where(np.isnan(arr), -1e300, arr)
    rows, inverse = np.unique(filled, axis=0, return_inverse=True)
    counts = np.bincount(inverse.ravel(), minlength=len(rows))
    known = rows > -1e300
    values = np.where(known, rows, 0.0)
    draws = rng.multinomial(len(arr), counts / counts.sum(), size=b)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (draws @ values) / (draws @ known)


def rating(
    con: duckdb.DuckDBPyConnection,
    *,
    year: int,
    level: str = "municipality",
    params: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Rate the units of one level by the weighted indicators of params/weights.yaml.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The results database.
    year : int
        The year of the session.
    level : {"municipality", "school"}
        The units rated.
    params : dict, optional
        Overrides of ``params/weights.yaml`` (same keys).

    Returns
    -------
    DataFrame
        One row per unit, best first: ``unit_id, participants``, one column per
        indicator (its value), ``score, score_low, score_high, rank, rank_low,
        rank_high, tier``. Units under ``min_participants`` come last with no
        rank and tier ``unranked``.

    Notes
    -----
    For indicator k with value x_uk of unit u (a mean over the unit's
    participants of a per-student value: % of the maximum, 100·[mark ≥ 4],
    100·[mark ≥ 3], 100·[mark = 2], 100·СОУ weight, 100·[|mark − journal| ≥ 2];
    missing values are left out), the standard score is
    z_uk = s_k (x_uk − m_k) / d_k with m_k, d_k the mean and standard deviation
    over the rated units and s_k = +1 when higher is better, −1 otherwise. The
    score is S_u = Σ_k w_k z_uk / Σ_k w_k; the rank is 1 for the highest S.

    Uncertainty: in each of B bootstrap replicates the participants of every
    unit are drawn with replacement, the x_uk recomputed and standardised with
    the same m_k, d_k, and all units ranked again. The rank interval and the
    score interval are the (1 − c)/2 and (1 + c)/2 quantiles over the
    replicates. Tier ``top`` when the score interval lies above 0 (the average
    unit), ``bottom`` when below, ``middle`` otherwise. An indicator constant
    over the units is left out (d_k = 0).

    References
    ----------
    Goldstein H., Spiegelhalter D. J. (1996). League tables and their
    limitations: statistical issues in comparisons of institutional
    performance. J. R. Statist. Soc. A 159, 385–443.
    """
    p = _params(params)
    column = _LEVELS.get(level)
    if column is None:
        raise ValueError(
            f"Уровень рейтинга «{level}» не поддерживается: допустимы "
            f"{', '.join(_LEVELS)}"
        )
    for key, status in unapproved(p["indicators"]).items():
        log.warning(
            "Показатель рейтинга «%s» не утверждён в каталоге показателей "
            "(статус: %s): рейтинг строится не только по утверждённым показателям",
            key,
            status,
        )
    data = student_results(
        con,
        years=[year],
        studies=[p["study"]],
        subjects=p["subjects"],
        grades=p["grades"],
    )
    keys = list(p["indicators"])
    values = _student_values(data)[keys]
    values["unit_id"] = data[column].to_numpy()
    values = values[values["unit_id"].notna() & (values["unit_id"] != "")]

    # Observed values and the standardisation
    observed = values.groupby("unit_id")[keys].mean()
    observed.insert(0, "participants", values.groupby("unit_id").size())
    rated = observed[observed["participants"] >= p["min_participants"]]
    m = rated[keys].mean()
    d = rated[keys].std(ddof=0)
    used = [k for k in keys if d[k] > 0 and np.isfinite(d[k])]
    w = pd.Series({k: float(p["indicators"][k]["weight"]) for k in used})
    s = pd.Series(
        {k: 1.0 if p["indicators"][k]["better"] == "higher" else -1.0 for k in used}
    )

    def score(x: pd.DataFrame) -> np.ndarray:
        z = (x[used] - m[used]) / d[used] * s
        return (z.fillna(0) * w).sum(axis=1).to_numpy() / w.sum()

    out = observed.copy()
    out["score"] = np.nan
    if used and not rated.empty:
        out.loc[rated.index, "score"] = score(rated)

        # Bootstrap: students resampled within each rated unit
        rng = np.random.default_rng(p["seed"])
        b = int(p["bootstrap"])
        reps = np.empty((b, len(rated), len(used)))
        codes, units = pd.factorize(values["unit_id"])
        order = np.argsort(codes, kind="stable")
        arr = values[used].to_numpy(dtype=float)[order]
        bounds = np.searchsorted(codes[order], np.arange(len(units) + 1))
        where = {u: i for i, u in enumerate(units)}
        for j, unit in enumerate(rated.index):
            i = where[unit]
            reps[:, j, :] = _bootstrap_means(arr[bounds[i] : bounds[i + 1]], b, rng)
        z = (reps - m[used].to_numpy()) / d[used].to_numpy() * s.to_numpy()
        scores = (np.nan_to_num(z) * w.to_numpy()).sum(axis=2) / w.sum()
        ranks = (-scores).argsort(axis=1).argsort(axis=1) + 1
        lo, hi = (1 - p["confidence"]) / 2 * 100, (1 + p["confidence"]) / 2 * 100
        out.loc[rated.index, "score_low"] = np.percentile(scores, lo, axis=0)
        out.loc[rated.index, "score_high"] = np.percentile(scores, hi, axis=0)
        out.loc[rated.index, "rank_low"] = np.floor(np.percentile(ranks, lo, axis=0))
        out.loc[rated.index, "rank_high"] = np.ceil(np.percentile(ranks, hi, axis=0))
    for col in ("score_low", "score_high", "rank_low", "rank_high"):
        if col not in out:
            out[col] = np.nan

    out["rank"] = out["score"].rank(ascending=False, method="min")
    out["tier"] = np.select(
        [out["score"].isna(), out["score_low"] > 0, out["score_high"] < 0],
        ["unranked", "top", "bottom"],
        default="middle",
    )
    out = out.reset_index().sort_values(["rank", "unit_id"], na_position="last")
    for col in ("rank", "rank_low", "rank_high"):
        out[col] = out[col].astype("Int64")
    return out.reset_index(drop=True)


def rating_method(
    params: dict[str, Any] | None = None, *, level: str = "municipality"
) -> str:
    """The method of the rating in Russian, to print with it.

    Returns
    -------
    str
        Several lines: the units, the indicators with their weights and
        direction (an indicator not approved in the catalogue is marked
        «(не утверждён: <status>)»), the standardisation, the bootstrap and the
        tiers.
    """
    p = _params(params)
    pending = unapproved(p["indicators"])
    total = sum(float(v["weight"]) for v in p["indicators"].values())
    units = {"municipality": "муниципалитеты", "school": "школы"}.get(level, level)
    studies = {"vpr": "ВПР", "oge": "ОГЭ", "ege": "ЕГЭ"}
    names = load_params("subjects")
    subjects = ", ".join(names.get(x, x) for x in p["subjects"])
    lines = [
        f"Рейтинг: {units}; результаты {studies.get(p['study'], p['study'])} "
        f"по предметам: {subjects}.",
        "Показатели и веса:",
    ]
    for key, spec in p["indicators"].items():
        better = "больше — лучше" if spec["better"] == "higher" else "меньше — лучше"
        mark = f" (не утверждён: {pending[key]})" if key in pending else ""
        lines.append(
            f"  - {INDICATORS[key]}: вес {float(spec['weight']) / total:.2f} "
            f"({better}){mark}"
        )
    conf = int(round(p["confidence"] * 100))
    lines += [
        "Каждый показатель переводится в z-оценку по единицам рейтинга (среднее 0, "
        "стандартное отклонение 1); рейтинговый балл — взвешенная сумма z-оценок.",
        f"Интервал места и балла — {conf} % по {p['bootstrap']} бутстреп-повторам "
        "(участники единицы выбираются с возвращением).",
        "Группы: «выше среднего» — интервал балла целиком выше 0; «ниже среднего» "
        "— целиком ниже 0; иначе «не отличается от среднего».",
        f"Единицы с числом участников меньше {p['min_participants']} места "
        "не получают.",
    ]
    return "\n".join(lines)
