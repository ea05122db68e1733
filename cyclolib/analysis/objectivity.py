"""Signs of non-objective results and the objectivity index.

The signs follow the federal methodology of 2019 «Уровень объективности оценки
образовательных результатов в субъекте Российской Федерации» and the later
recommendations; the cut-offs live in ``params/objectivity.yaml``. Every sign is
computed from the results table at student level, per school and form.

The federal inflated mean marks every school reliably above the region's mean,
honest strong schools too; ``inflated_mean_rule: context`` in the parameters
gives a stricter, documented variant (see :func:`objectivity_signs`).
"""

from __future__ import annotations

import logging
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

from ..config import load_params, params_with, study_name
from ._data import form_thresholds, observed_thresholds, student_results
from .value_added import value_added

log = logging.getLogger(__name__)

__all__ = [
    "SIGNS",
    "INFLATED_MEAN_RULES",
    "spearman_by_group",
    "iqr_bounds",
    "objectivity_signs",
    "objectivity_list",
    "objectivity_index",
]

#: Sign code -> its Russian name, in the order of the published list.
SIGNS: dict[str, str] = {
    "inflated_mean": "Завышенный средний балл",
    "contradicts_marks": "Несоответствие школьным отметкам",
    "cohort_change": "Резкое изменение результатов параллели 4→5",
    "boundary_peaks": "Пики на границах отметок",
    "marks_differ_2": "Расхождение с отметкой по журналу на 2 и более",
}

#: Rule of the inflated-mean sign -> its Russian description.
INFLATED_MEAN_RULES: dict[str, str] = {
    "federal": "нижняя граница 95 % интервала среднего балла школы выше верхней "
    "границы интервала среднего балла региона (методика 2019 года)",
    "context": "то же, и школа выше ожидаемого по её контексту больше, чем "
    "различаются между собой школы в сходных условиях (строгий вариант)",
}

_KEYS = ["study", "year", "subject", "grade", "form_id", "school_id"]


def _params(overrides: dict[str, Any] | None) -> dict[str, Any]:
    params = params_with("objectivity", overrides, what="объективности")
    rule = params.get("inflated_mean_rule", "federal")
    if rule not in INFLATED_MEAN_RULES:
        raise ValueError(
            f"Правило признака «завышенный средний балл» «{rule}» не поддерживается: "
            f"допустимы {', '.join(INFLATED_MEAN_RULES)} "
            "(params/objectivity.yaml, inflated_mean_rule)"
        )
    params["inflated_mean_rule"] = rule
    return params


def spearman_by_group(
    frame: pd.DataFrame, x: str, y: str, by: str | list[str]
) -> pd.DataFrame:
    """Spearman's rank correlation of two columns within every group at once.

    Parameters
    ----------
    frame : DataFrame
        One row per observation; rows with a missing ``x`` or ``y`` are dropped.
    x, y : str
        The two columns (here the journal mark and the primary score).
    by : str or list of str
        The grouping columns (here the school and the form).

    Returns
    -------
    DataFrame
        Indexed by the groups, with columns ``n_pairs`` (observations with both
        values) and ``spearman_r`` (NaN when either column is constant within
        the group or it has fewer than 2 pairs).

    Notes
    -----
    Ties get the mean of their ranks and r_s is Pearson's r of the ranks:

    .. math:: r_s = \\frac{\\sum (R_i - \\bar R)(Q_i - \\bar Q)}
              {\\sqrt{\\sum (R_i - \\bar R)^2 \\sum (Q_i - \\bar Q)^2}}

    This equals 1 − 6 Σ d² / (n (n² − 1)) of the 2019 methodology when there are
    no ties; journal marks take four values, so ties are the rule and the
    tie-corrected form above is the one that stays within [−1, 1] and matches
    ``scipy.stats.spearmanr``.
    """
    by = [by] if isinstance(by, str) else list(by)
    data = frame.dropna(subset=[x, y])[[*by, x, y]].copy()
    groups = data.groupby(by, sort=False)

    # Rank within groups, then centre the ranks
    rx = groups[x].rank(method="average")
    ry = groups[y].rank(method="average")
    data["dx"] = rx - rx.groupby([data[c] for c in by]).transform("mean")
    data["dy"] = ry - ry.groupby([data[c] for c in by]).transform("mean")
    data["sxy"] = data["dx"] * data["dy"]
    data["sxx"] = data["dx"] ** 2
    data["syy"] = data["dy"] ** 2

    # Pearson's r of the ranks from the group sums
    sums = data.groupby(by)[["sxy", "sxx", "syy"]].sum()
    denom = np.sqrt(sums["sxx"] * sums["syy"])
    out = pd.DataFrame(index=sums.index)
    out["n_pairs"] = data.groupby(by).size()
    out["spearman_r"] = (sums["sxy"] / denom.where(denom > 1e-12)).clip(-1, 1)
    return out


def iqr_bounds(values, *, factor: float = 3.0) -> tuple[float, float]:
    """Critical values Q1 − factor·IQR and Q3 + factor·IQR of a sample.

    Quartiles are the linear-interpolation percentiles 25 and 75 (numpy's
    default); NaN values are ignored. Returns ``(nan, nan)`` for an empty sample.
    """
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return float("nan"), float("nan")
    q1, q3 = np.percentile(arr, [25, 75])
    iqr = q3 - q1
    return float(q1 - factor * iqr), float(q3 + factor * iqr)


def _inflated_mean(data: pd.DataFrame, z: float, min_n: int) -> pd.DataFrame:
    # School intervals
    school = data.groupby(_KEYS + ["region_id"])["primary_score"].agg(
        n="count", mean="mean", sd="std"
    )
    half = z * school["sd"] / np.sqrt(school["n"])
    school["ci_low"] = school["mean"] - half
    school["ci_high"] = school["mean"] + half

    # Region intervals, per form
    region = data.groupby(["form_id", "region_id"])["primary_score"].agg(
        rn="count", rmean="mean", rsd="std"
    )
    region["region_mean"] = region["rmean"]
    region["region_ci_high"] = region["rmean"] + z * region["rsd"] / np.sqrt(
        region["rn"]
    )
    school = school.reset_index().merge(
        region[["region_mean", "region_ci_high"]].reset_index(),
        on=["form_id", "region_id"],
        how="left",
    )
    school["inflated_mean"] = (school["n"] >= min_n) & (
        school["ci_low"] > school["region_ci_high"]
    )
    return school


def _beyond_context(
    con: duckdb.DuckDBPyConnection,
    year: int,
    data: pd.DataFrame,
    params: dict[str, Any],
) -> pd.DataFrame:
    """Each school's value added and how far it lies beyond honest variation.

    Returns ``form_id, school_id, value_added, va_se, va_tau, va_z`` for the
    schools and forms with a value added (see :func:`objectivity_signs`).
    """
    columns = ["form_id", "school_id", "value_added", "va_se", "va_tau", "va_z"]
    z95 = float(stats.norm.ppf(0.975))
    parts = []
    for study, grades in data.groupby("study")["grade"].unique().items():
        subjects = sorted(data.loc[data["study"] == study, "subject"].unique())
        va = value_added(
            con,
            year=year,
            params={
                "study": study,
                "subjects": subjects,
                "grades": sorted(int(g) for g in grades),
                "min_participants": int(params["min_participants"]),
            },
        )
        parts.append(va)
    va = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if va.empty:
        return pd.DataFrame(columns=columns)

    # Standard error of each value added from its 95 % interval
    va["va_se"] = (va["va_high"] - va["va_low"]) / (2 * z95)
    va = va[va["va_se"] > 0].copy()

    # Between-school variance of the value added within each form, by moments
    va["w"] = 1 / va["va_se"] ** 2
    va["wq"] = va["w"] * va["value_added"] ** 2
    sums = va.groupby("form_id").agg(k=("w", "size"), w=("w", "sum"), q=("wq", "sum"))
    tau2 = ((sums["q"] - sums["k"]) / sums["w"]).clip(lower=0)
    va["va_tau"] = va["form_id"].map(np.sqrt(tau2))
    va["va_z"] = va["value_added"] / np.sqrt(va["va_tau"] ** 2 + va["va_se"] ** 2)
    return va[columns]


def _boundary_peaks(data: pd.DataFrame, alpha: float, min_pairs: int) -> pd.DataFrame:
    rows = []
    for (study, year, subject, grade), form in data.groupby(
        ["study", "year", "subject", "grade"]
    ):
        bounds = form_thresholds(study, subject, int(grade), int(year))
        bounds = bounds or observed_thresholds(form)
        if not bounds:
            continue
        score = form["primary_score"]
        at = score.isin(bounds)
        below = score.isin([b - 1 for b in bounds])
        part = form.loc[at | below, ["form_id", "school_id", "region_id"]].copy()
        part["at"] = at[at | below].astype(int)
        rows.append(part)
    columns = [
        "form_id",
        "school_id",
        "boundary_n",
        "boundary_share",
        "region_boundary_share",
        "boundary_p",
        "boundary_peaks",
    ]
    if not rows:
        return pd.DataFrame(columns=columns)
    part = pd.concat(rows)

    # Region's share at the boundary among participants at t or t - 1
    reg = part.groupby(["form_id", "region_id"])["at"].mean()
    reg = reg.rename("region_boundary_share")
    sch = part.groupby(["form_id", "school_id", "region_id"])["at"].agg(
        boundary_n="count", k="sum"
    )
    sch = sch.reset_index().merge(reg.reset_index(), on=["form_id", "region_id"])
    sch["boundary_share"] = sch["k"] / sch["boundary_n"]

    # One-sided binomial test: P(X >= k) with X ~ Bin(m, p0)
    sch["boundary_p"] = stats.binom.sf(
        sch["k"] - 1, sch["boundary_n"], sch["region_boundary_share"]
    )
    sch["boundary_peaks"] = (
        (sch["boundary_n"] >= min_pairs)
        & (sch["boundary_share"] > sch["region_boundary_share"])
        & (sch["boundary_p"] < alpha)
    )
    return sch[columns]


def _marks_differ(data: pd.DataFrame, share: float, min_count: int) -> pd.DataFrame:
    pairs = data.dropna(subset=["mark", "journal_mark"]).copy()
    pairs["d2"] = (pairs["mark"] - pairs["journal_mark"]).abs() >= 2
    out = pairs.groupby(["form_id", "school_id"])["d2"].agg(
        diff2_count="sum", diff2_pairs="count"
    )
    out["diff2_share"] = out["diff2_count"] / out["diff2_pairs"]
    out["marks_differ_2"] = (out["diff2_count"] >= min_count) & (
        out["diff2_share"] >= share
    )
    return out.reset_index()


def _cohort_change(
    con: duckdb.DuckDBPyConnection, year: int, params: dict[str, Any]
) -> pd.DataFrame:
    data = student_results(
        con,
        years=[year - 1, year],
        studies=[params["study"]],
        subjects=params["subjects"],
        grades=[4, 5],
    )
    min_n = params["cohort_min_participants"]
    s = data.groupby(["school_id", "region_id", "subject", "grade", "year"])["pct"].agg(
        ["mean", "count"]
    )
    s = s[s["count"] >= min_n]["mean"].unstack(["grade", "year"])
    columns = [
        "school_id",
        "subject",
        "grade",
        "year",
        "s4_prev",
        "s5",
        "k_ratio",
        "k_low",
        "k_high",
        "cohort_fall",
        "cohort_rise",
    ]
    if (4, year - 1) not in s.columns or (5, year) not in s.columns:
        return pd.DataFrame(columns=columns)
    out = pd.DataFrame({"s4_prev": s[(4, year - 1)], "s5": s[(5, year)]}).dropna()
    out = out[out["s5"] > 0].reset_index()
    out["k_ratio"] = out["s4_prev"] / out["s5"]

    # Critical values over the region's schools, per subject
    parts = []
    for _, grp in out.groupby(["region_id", "subject"]):
        low, high = iqr_bounds(grp["k_ratio"], factor=params["iqr_factor"])
        parts.append(grp.assign(k_low=low, k_high=high))
    out = pd.concat(parts) if parts else out.assign(k_low=np.nan, k_high=np.nan)
    out["cohort_fall"] = out["k_ratio"] > out["k_high"]
    out["cohort_rise"] = out["k_ratio"] < out["k_low"]
    out["grade"] = 5
    out["year"] = year
    return out[columns]


def objectivity_signs(
    con: duckdb.DuckDBPyConnection,
    *,
    year: int,
    params: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Every sign of non-objective results, per school and form, with its figures.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The results database.
    year : int
        The year of the session examined.
    params : dict, optional
        Overrides of ``params/objectivity.yaml`` (same keys).

    Returns
    -------
    DataFrame
        One row per school and form of the year (forms of the study, subjects
        and grades of the parameters, and the ОГЭ forms of ``oge_subjects``
        where present), with columns:

        - ``study, year, subject, grade, form_id, school_id, municipality_id``;
        - ``n, mean, sd, ci_low, ci_high``: participants and the 95 % interval of
          the school's mean primary score; ``region_mean, region_ci_high``: the
          same for all participants of the region; ``inflated_mean_federal``
          (the sign of the 2019 methodology);
        - ``value_added, va_se, va_tau, va_z, above_context``: the school's
          difference from the result expected from its context
          (:func:`cyclolib.analysis.value_added.value_added`), its standard
          error, the between-school spread of the form's values added, the
          standardised distance and whether it passes the strict limit;
          ``inflated_mean``: the sign by the rule in force
          (``inflated_mean_rule``);
        - ``n_pairs, spearman_r, contradicts_marks``: Spearman's r_s between
          journal mark and primary score;
        - ``s4_prev, s5, k_ratio, k_low, k_high, cohort_fall, cohort_rise,
          cohort_change`` (grade 5 only): the school's mean % of the maximum in
          grade 4 of the previous year and in grade 5 of this year, their ratio
          K and the region's critical values;
        - ``boundary_n, boundary_share, region_boundary_share, boundary_p,
          boundary_peaks``: participants at a mark boundary t or at t − 1, the
          share at t, the region's share and the binomial p-value;
        - ``diff2_pairs, diff2_count, diff2_share, marks_differ_2``: participants
          with both marks and those whose marks differ by two or more;
        - ``n_signs``: the number of signs met by this school and form.

    Notes
    -----
    With z the normal quantile of the confidence level (1.96 for 95 %):

    - inflated mean: x̄ ± z·s/√m for the school's m participants and for the
      region's n participants; marked when the school's lower bound exceeds the
      region's upper bound (``inflated_mean_rule: federal``, the default);
    - the strict variant (``inflated_mean_rule: context``) marks the inflated
      mean only when the school is also above the result expected from its
      context by more than honest schools are. With VA the value added, SE its
      standard error (half its 95 % interval / 1.96) and, over the k schools of
      the form, w = 1/SE², τ² = max(0, (Σ w·VA² − k) / Σ w) (the moment
      estimate of the between-school variance about the expected 0),
      z = VA / √(τ² + SE²); marked when z exceeds the two-sided normal quantile
      of ``context_confidence`` (3.09 for 0.998: the upper control limit of a
      funnel plot that allows for over-dispersion). A strong school whose
      context explains its results, or whose lead is within the spread of
      honest schools, is no longer marked; a school without a value added is
      not marked;
    - contradiction with school marks: marked when r_s < 0 (see
      :func:`spearman_by_group`) over at least ``spearman_min_pairs``
      participants with a journal mark;
    - sharp change of a cohort: K = S(4, Y−1) / S(5, Y), S the school's mean of
      primary score / form maximum × 100; a fall when K > Q3 + 3·IQR, a rise when
      K < Q1 − 3·IQR (quartiles of K over the region's schools, per subject).
      The sign is shown on the grade-5 form of year Y, when the change becomes
      visible; schools without both years, or with fewer than
      ``cohort_min_participants`` in either, are not examined;
    - peaks at the mark boundaries: t runs over the least primary scores of «3»,
      «4» and «5» (params/scales.yaml, else the least score of each mark in the
      data); k participants at some t among m at some t or t − 1; marked when
      k/m exceeds the region's share p₀ and P(Bin(m, p₀) ≥ k) < ``peak_alpha``;
    - differences of two marks: |mark − journal mark| ≥ 2; marked when their
      share is at least ``diff2_share`` and their number at least
      ``diff2_min_count``.

    Edge cases: forms of a school with fewer than ``min_participants`` are not
    marked by the first three signs; r_s is NaN when journal marks or scores are
    constant within the school (not marked); results without a journal mark are
    left out of the second and fifth signs only.

    References
    ----------
    Рособрнадзор, «Методика расчета показателя „Уровень объективности оценки
    образовательных результатов в субъекте Российской Федерации“», 2019.

    D. J. Spiegelhalter, «Handling over-dispersion of performance indicators»,
    Quality and Safety in Health Care 14 (2005) 347–351 (the additive
    random-effects funnel of the strict variant).
    """
    p = _params(params)
    data = student_results(
        con,
        years=[year],
        studies=[p["study"]],
        subjects=p["subjects"],
        grades=p["grades"],
    )
    if p.get("oge_subjects"):
        oge = student_results(
            con, years=[year], studies=["oge"], subjects=p["oge_subjects"], grades=[9]
        )
        data = pd.concat([data, oge], ignore_index=True) if len(oge) else data
    if data.empty:
        log.warning("нет результатов %s за %s год", study_name(p["study"]), year)
    z = float(stats.norm.ppf(0.5 + p["confidence"] / 2))
    min_n = int(p["min_participants"])

    detail = _inflated_mean(data, z, min_n)

    # The school against the result expected from its context
    detail = detail.rename(columns={"inflated_mean": "inflated_mean_federal"})
    beyond = _beyond_context(con, year, data, p)
    detail = detail.merge(beyond, on=["form_id", "school_id"], how="left")
    limit = float(stats.norm.ppf(0.5 + p["context_confidence"] / 2))
    detail["above_context"] = (detail["va_z"] > limit).fillna(False).astype(bool)
    detail["inflated_mean"] = detail["inflated_mean_federal"]
    if p["inflated_mean_rule"] == "context":
        detail["inflated_mean"] &= detail["above_context"]

    # Results against journal marks
    rs = spearman_by_group(
        data, "journal_mark", "primary_score", ["form_id", "school_id"]
    )
    detail = detail.merge(rs.reset_index(), on=["form_id", "school_id"], how="left")
    detail["n_pairs"] = detail["n_pairs"].fillna(0).astype(int)
    detail["contradicts_marks"] = (detail["n_pairs"] >= p["spearman_min_pairs"]) & (
        detail["spearman_r"] < p["spearman_below"]
    )

    # Cohort from grade 4 to grade 5
    cohort = _cohort_change(con, year, p)
    detail = detail.merge(
        cohort, on=["school_id", "subject", "grade", "year"], how="left"
    )
    for col in ("cohort_fall", "cohort_rise"):
        detail[col] = detail[col].astype("boolean").fillna(False).astype(bool)
    detail["cohort_change"] = detail["cohort_fall"] | detail["cohort_rise"]

    # Score distribution and mark differences
    peaks = _boundary_peaks(data, p["peak_alpha"], p["peak_min_pairs"])
    detail = detail.merge(peaks, on=["form_id", "school_id"], how="left")
    diff = _marks_differ(data, p["diff2_share"], p["diff2_min_count"])
    detail = detail.merge(diff, on=["form_id", "school_id"], how="left")
    for col in ("boundary_peaks", "marks_differ_2"):
        detail[col] = detail[col].astype("boolean").fillna(False).astype(bool)

    munis = data.drop_duplicates("school_id").set_index("school_id")
    detail["municipality_id"] = detail["school_id"].map(munis["municipality_id"])
    detail["n_signs"] = detail[list(SIGNS)].sum(axis=1).astype(int)
    front = [
        "study",
        "year",
        "subject",
        "grade",
        "form_id",
        "school_id",
        "municipality_id",
        "region_id",
    ]
    rest = [c for c in detail.columns if c not in front]
    detail = detail[front + rest].sort_values(["school_id", "subject", "grade"])
    return detail.reset_index(drop=True)


def objectivity_list(
    detail: pd.DataFrame,
    con: duckdb.DuckDBPyConnection | None = None,
    *,
    only_marked: bool = True,
) -> pd.DataFrame:
    """The list of schools in the published layout: one row per school and year.

    Parameters
    ----------
    detail : DataFrame
        The output of :func:`objectivity_signs`.
    con : duckdb.DuckDBPyConnection, optional
        Where to read the names of schools and municipalities (codes otherwise).
    only_marked : bool
        Keep only schools marked by at least one sign (as lists are published).

    Returns
    -------
    DataFrame
        Columns ``Год, Логин, Муниципалитет, ОО``, one 0/1 column per examined
        form (``4 РУ, 4 МА, 5 РУ, 5 МА``, then ``ОГЭ РУ, ОГЭ МА`` when ОГЭ
        results were examined: 1 when any sign marks the school on that form),
        ``Количество маркеров`` (the number of marked forms), then a
        0/1 column per sign (named as in :data:`SIGNS`: 1 when the sign marks the
        school on any form).
    """
    p = load_params("objectivity")
    labels = p.get("subject_labels", {})
    forms = [(g, s) for g in p["grades"] for s in p["subjects"]]
    form_cols = [f"{g} {labels.get(s, s.upper())}" for g, s in forms]

    # ОГЭ columns only where ОГЭ results were examined
    d = detail.copy()
    oge = d["study"] == "oge"
    for s in p.get("oge_subjects") or []:
        if (oge & (d["subject"] == s)).any():
            form_cols.append(f"ОГЭ {labels.get(s, s.upper())}")
    d["form_col"] = np.where(oge, "ОГЭ", d["grade"].astype(str)) + (
        " " + d["subject"].map(lambda s: labels.get(s, s.upper()))
    )
    d["marked"] = (d["n_signs"] > 0).astype(int)
    by_form = d.pivot_table(
        index=["year", "school_id"], columns="form_col", values="marked", aggfunc="max"
    ).reindex(columns=form_cols)
    by_form = by_form.fillna(0).astype(int)
    by_sign = d.groupby(["year", "school_id"])[list(SIGNS)].max().astype(int)
    by_sign.columns = [SIGNS[c] for c in by_sign.columns]

    out = by_form.copy()
    out["Количество маркеров"] = by_form.sum(axis=1)
    out = out.join(by_sign).reset_index()
    if only_marked:
        out = out[out["Количество маркеров"] > 0]

    # Names of schools and municipalities
    muni = d.drop_duplicates("school_id").set_index("school_id")["municipality_id"]
    names: dict[str, str] = {}
    if con is not None:
        from ._data import unit_names

        names = unit_names(con)
    out.insert(
        2, "Муниципалитет", out["school_id"].map(muni).map(lambda m: names.get(m, m))
    )
    out.insert(3, "ОО", out["school_id"].map(lambda s: names.get(s, s)))
    out = out.rename(columns={"year": "Год", "school_id": "Логин"})
    out.columns.name = None
    return out.sort_values(["Муниципалитет", "Логин"]).reset_index(drop=True)


def objectivity_index(
    detail: pd.DataFrame, *, level: str = "municipality"
) -> pd.DataFrame:
    """The objectivity index of each municipality or of the region.

    Parameters
    ----------
    detail : DataFrame
        The output of :func:`objectivity_signs`.
    level : {"municipality", "region"}
        The territories to aggregate to.

    Returns
    -------
    DataFrame
        Columns ``unit_id, schools, marked, marked_pct, index``.

    Notes
    -----
    index = 100 − 100 · (schools marked by at least one sign) / (schools with
    results on the examined forms). A territory without schools gets NaN.
    """
    column = {"municipality": "municipality_id", "region": "region_id"}.get(level)
    if column is None:
        raise ValueError(
            f"Уровень индекса объективности «{level}» не поддерживается: "
            "допустимы municipality, region"
        )
    per_school = detail.groupby([column, "school_id"])["n_signs"].max() > 0
    out = per_school.groupby(level=0).agg(schools="size", marked="sum")
    out["marked_pct"] = out["marked"] / out["schools"] * 100
    out["index"] = 100 - out["marked_pct"]
    out.index.name = "unit_id"
    return out.reset_index()
