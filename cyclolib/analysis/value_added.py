"""Expected results from context, value added with its interval, bands, funnels.

Comparing raw means punishes schools that work in hard conditions. Here each
school's expected result comes from its context (and from the same cohort's
earlier result where it can be followed); the value added is the difference of
the observed result from the expected one, with a 95 % interval, and the bands
respect that interval. Parameters are in ``params/value_added.yaml``.
"""

from __future__ import annotations

import logging
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

from ..config import params_with
from ._data import student_results

log = logging.getLogger(__name__)

__all__ = [
    "BANDS",
    "value_added",
    "value_added_bands",
    "combine_forms",
    "resilient_schools",
    "funnel_limits",
    "residual_sd",
    "funnel_plot",
]

#: Band code -> Russian name, from the best to the worst.
BANDS: dict[str, str] = {
    "well_above": "значительно выше ожидаемого",
    "above": "выше ожидаемого",
    "as_expected": "на ожидаемом уровне",
    "below": "ниже ожидаемого",
    "well_below": "значительно ниже ожидаемого",
}


def _params(overrides: dict[str, Any] | None) -> dict[str, Any]:
    params = params_with("value_added", overrides, what="добавленной ценности")
    return params


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(
            f"Уровень доверия должен быть между 0 и 1, получено {confidence}"
        )
    return float(stats.norm.ppf(0.5 + confidence / 2))


def value_added_bands(va, low, high, *, well_margin: float = 5.0) -> pd.Series:
    """Band of each value added, respecting its interval.

    Parameters
    ----------
    va, low, high : array_like
        The value added and the bounds of its interval.
    well_margin : float
        The least |value added| of the "well" bands.

    Returns
    -------
    Series of str
        Codes of :data:`BANDS`: ``well_above`` when low > 0 and va ≥ margin,
        ``above`` when low > 0, ``well_below`` when high < 0 and va ≤ −margin,
        ``below`` when high < 0, else ``as_expected`` (the interval holds 0, or
        the value is missing).
    """
    va, low, high = (np.asarray(a, dtype=float) for a in (va, low, high))
    band = np.select(
        [
            (low > 0) & (va >= well_margin),
            low > 0,
            (high < 0) & (va <= -well_margin),
            high < 0,
        ],
        ["well_above", "above", "well_below", "below"],
        default="as_expected",
    )
    return pd.Series(band, dtype=object)


def _design(frame: pd.DataFrame, with_prior: bool) -> np.ndarray:
    cols = [np.ones(len(frame))]
    for name in ("social_index", "urban", "log_enrolment"):
        x = frame[name].astype(float)
        if x.notna().any() and x.nunique() > 1:
            cols.append(x.fillna(x.mean()).to_numpy())
            if x.isna().any():
                cols.append(x.isna().to_numpy(dtype=float))
    if with_prior:
        cols.append(frame["prior"].to_numpy(dtype=float))
    return np.column_stack(cols)


def _fit(frame: pd.DataFrame, with_prior: bool) -> tuple[np.ndarray, float]:
    x = _design(frame, with_prior)
    y = frame["pct"].to_numpy(dtype=float)
    beta, _, rank, _ = np.linalg.lstsq(x, y, rcond=None)
    fitted = x @ beta
    dof = max(len(y) - rank, 1)
    sigma = float(np.sqrt(((y - fitted) ** 2).sum() / dof))
    return fitted, sigma


def value_added(
    con: duckdb.DuckDBPyConnection,
    *,
    year: int,
    confidence: float = 0.95,
    params: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Expected result, value added and its band for each school and form.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The results database (results and the school context of ``schools``).
    year : int
        The year of the session.
    confidence : float
        Level of the intervals, 0.95 by default.
    params : dict, optional
        Overrides of ``params/value_added.yaml``.

    Returns
    -------
    DataFrame
        One row per school and form with at least ``min_participants``:
        ``school_id, municipality_id, study, year, subject, grade, form_id,
        participants, observed, expected, value_added, va_low, va_high, band,
        model, social_index`` (``observed`` and ``expected`` in % of the
        maximum; ``model`` is ``context`` or ``context+prior``).

    Notes
    -----
    For each form, an ordinary least-squares model at student level,

    .. math:: y_{ij} = \\beta_0 + \\beta_1 \\,\\text{social}_j +
              \\beta_2 \\,\\text{urban}_j + \\beta_3 \\ln(1 + \\text{enrolment}_j)
              \\;[+ \\beta_4 \\,\\text{prior}_j] + \\varepsilon_{ij},

    with y the student's primary score as % of the maximum and prior the
    school's mean % of the same subject one grade lower a year earlier (the
    same cohort). Schools with a prior get the model with it, fitted on those
    schools (when at least three have one); the others get the model without
    it, fitted on every school of the form. A context variable that
    is constant is left out; a missing value is replaced by the mean and
    flagged by an indicator column. For school j with n_j participants:

    - expected = mean of the fitted values, value added VA = observed − expected
      (the mean residual);
    - interval VA ± z·σ/√n_j, σ the residual standard deviation of the model
      (√(RSS/(N − rank))), z = 1.96 for 95 %;
    - bands by :func:`value_added_bands`.

    The interval covers sampling noise of the school's students only, as in the
    English progress measures; it does not cover the model's own uncertainty.
    """
    p = _params(params)
    z = _z(confidence)
    data = student_results(
        con,
        years=[year - 1, year],
        studies=[p["study"]],
        subjects=p["subjects"],
        grades=p["grades"],
    )
    ctx = con.execute(
        "SELECT school_id, social_index, CAST(urban AS DOUBLE) AS urban, "
        "ln(1 + enrolment) AS log_enrolment FROM schools"
    ).df()

    # Prior result of the same cohort: grade - 1 a year earlier
    before = data[data["year"] == year - 1]
    prior = (
        before.groupby(["school_id", "subject", "grade"])["pct"].mean().rename("prior")
    )
    prior = prior.reset_index().assign(grade=lambda d: d["grade"] + 1)
    now = data[data["year"] == year].merge(ctx, on="school_id", how="left")
    if p["use_prior"]:
        now = now.merge(prior, on=["school_id", "subject", "grade"], how="left")
    else:
        now["prior"] = np.nan
    now = now.dropna(subset=["pct"])

    parts = []
    for _, form in now.groupby("form_id"):
        # A prior is used only when at least three schools have one
        has_prior = form["prior"].notna()
        if form.loc[has_prior, "school_id"].nunique() < 3:
            has_prior[:] = False

        # Context only, fitted on every school of the form: for those without
        # a prior
        part = form[~has_prior].copy()
        if not part.empty:
            fitted, sigma = _fit(form, False)
            part["fitted"] = fitted[~has_prior.to_numpy()]
            part["sigma"] = sigma
            part["model"] = "context"
            parts.append(part)

        # Context and prior, fitted on the schools that have a prior
        part = form[has_prior].copy()
        if not part.empty:
            fitted, sigma = _fit(part, True)
            part["fitted"] = fitted
            part["sigma"] = sigma
            part["model"] = "context+prior"
            parts.append(part)
    columns = [
        "school_id",
        "municipality_id",
        "study",
        "year",
        "subject",
        "grade",
        "form_id",
        "participants",
        "observed",
        "expected",
        "value_added",
        "va_low",
        "va_high",
        "band",
        "model",
        "social_index",
    ]
    if not parts:
        return pd.DataFrame(columns=columns)
    fitted = pd.concat(parts)

    keys = [
        "school_id",
        "municipality_id",
        "study",
        "year",
        "subject",
        "grade",
        "form_id",
        "model",
    ]
    out = (
        fitted.groupby(keys)
        .agg(
            participants=("pct", "count"),
            observed=("pct", "mean"),
            expected=("fitted", "mean"),
            sigma=("sigma", "first"),
            social_index=("social_index", "first"),
        )
        .reset_index()
    )
    out = out[out["participants"] >= p["min_participants"]]
    out["value_added"] = out["observed"] - out["expected"]
    half = z * out["sigma"] / np.sqrt(out["participants"])
    out["va_low"] = out["value_added"] - half
    out["va_high"] = out["value_added"] + half
    out["band"] = value_added_bands(
        out["value_added"], out["va_low"], out["va_high"], well_margin=p["well_margin"]
    ).to_numpy()
    return out[columns].sort_values(["form_id", "school_id"]).reset_index(drop=True)


def combine_forms(
    va: pd.DataFrame, *, well_margin: float | None = None
) -> pd.DataFrame:
    """One value added per school over its forms.

    Notes
    -----
    VA = Σ n_f VA_f / Σ n_f over the school's forms f; the half-width of the
    interval is √(Σ (n_f h_f)²) / Σ n_f with h_f the half-width of form f
    (the forms are taken as independent). Bands as in
    :func:`value_added_bands`. Columns as :func:`value_added` without the form
    columns.
    """
    margin = _params(None)["well_margin"] if well_margin is None else well_margin
    d = va.assign(
        w_obs=va["observed"] * va["participants"],
        w_exp=va["expected"] * va["participants"],
        w_va=va["value_added"] * va["participants"],
        w_h2=((va["va_high"] - va["va_low"]) / 2 * va["participants"]) ** 2,
    )
    g = d.groupby(["school_id", "municipality_id"]).agg(
        participants=("participants", "sum"),
        w_obs=("w_obs", "sum"),
        w_exp=("w_exp", "sum"),
        w_va=("w_va", "sum"),
        w_h2=("w_h2", "sum"),
        social_index=("social_index", "first"),
    )
    n = g["participants"]
    out = pd.DataFrame(
        {
            "participants": n,
            "observed": g["w_obs"] / n,
            "expected": g["w_exp"] / n,
            "value_added": g["w_va"] / n,
        }
    )
    half = np.sqrt(g["w_h2"]) / n
    out["va_low"] = out["value_added"] - half
    out["va_high"] = out["value_added"] + half
    out["band"] = value_added_bands(
        out["value_added"], out["va_low"], out["va_high"], well_margin=margin
    ).to_numpy()
    out["social_index"] = g["social_index"]
    return out.reset_index()


def resilient_schools(
    schools: pd.DataFrame,
    *,
    hard_context: float | None = None,
    good_results: float | None = None,
) -> pd.DataFrame:
    """Schools with a hard context and good results.

    Parameters
    ----------
    schools : DataFrame
        ``school_id, social_index, observed`` (e.g. :func:`combine_forms`).
    hard_context, good_results : float, optional
        Fractions of ``params/value_added.yaml``.

    Returns
    -------
    DataFrame
        The input with ``resilient``: social index at or below its
        ``hard_context`` quantile and observed result at or above its
        1 − ``good_results`` quantile (quantiles over the schools given; schools
        without a social index are never resilient).
    """
    p = _params(None)
    hard = p["hard_context"] if hard_context is None else hard_context
    good = p["good_results"] if good_results is None else good_results
    out = schools.copy()
    known = out["social_index"].notna()
    if not known.any():
        out["resilient"] = False
        return out
    social_cut = np.percentile(out.loc[known, "social_index"], hard * 100)
    result_cut = np.percentile(out["observed"], (1 - good) * 100)
    out["resilient"] = (
        known & (out["social_index"] <= social_cut) & (out["observed"] >= result_cut)
    )
    return out


def funnel_limits(n, *, mean: float, sd: float, levels=(0.95, 0.998)) -> pd.DataFrame:
    """Control limits of a funnel plot of group means against group size.

    Returns
    -------
    DataFrame
        ``n`` and for each level L the columns ``low_L`` and ``high_L`` =
        mean ∓ z_L · sd / √n (z the two-sided normal quantile).
    """
    n = np.asarray(n, dtype=float)
    out = pd.DataFrame({"n": n})
    for level in levels:
        h = _z(level) * sd / np.sqrt(n)
        out[f"low_{level:g}"] = mean - h
        out[f"high_{level:g}"] = mean + h
    return out


def residual_sd(va: pd.DataFrame, *, confidence: float = 0.95) -> float:
    """The students' residual standard deviation behind the values added.

    Parameters
    ----------
    va : DataFrame
        The output of :func:`value_added` (``participants, va_low, va_high``).
    confidence : float
        The level its intervals were computed at.

    Returns
    -------
    float
        σ = √(Σ n_i σ_i² / Σ n_i) over the rows, with σ_i = (va_high − va_low)
        / (2z) · √n_i the residual standard deviation of the row's model; NaN
        for an empty frame. The funnel of :func:`funnel_plot` uses it for the
        limits around the expected result.
    """
    if va.empty:
        return float("nan")
    n = va["participants"].astype(float)
    sigma = (va["va_high"] - va["va_low"]) / (2 * _z(confidence)) * np.sqrt(n)
    return float(np.sqrt((n * sigma**2).sum() / n.sum()))


def funnel_plot(
    groups: pd.DataFrame,
    *,
    sd: float,
    mean: float = 0.0,
    value: str = "value_added",
    highlight=None,
    title: str = "",
):
    """A funnel plot: each school's value (by default its value added) against
    its participants, with the 95 % and 99.8 % control limits.

    Parameters
    ----------
    groups : DataFrame
        ``participants`` and the ``value`` column per school.
    sd : float
        Standard deviation of one student's result about the target: for the
        value added the residual SD of :func:`residual_sd`, for raw means the
        SD of the students' results.
    mean : float
        The target the limits surround: 0 for the value added (the school
        does as its context predicts), the region's mean for raw means.
    value : str
        ``value_added`` (difference from the expected result, percentage
        points of the maximum) or ``observed`` (mean % of the maximum).
    highlight : iterable of str, optional
        School ids to draw in a contrasting colour (``school_id`` column needed).
    title : str
        The title of the figure (Russian).

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Limits mean ± z·sd/√n for z of 95 % and 99.8 % (:func:`funnel_limits`).
    For the value added they are the intervals of :func:`value_added` drawn
    around zero: a school outside the 95 % funnel is in a band above or below
    the expected result. For a school's value added over several forms
    (:func:`combine_forms`) the limits with the pooled residual SD are close
    to, not exactly, its interval.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    labels = {
        "value_added": "Добавленная ценность, п. п.",
        "observed": "Средний процент выполнения",
    }
    if value not in labels:
        raise ValueError(
            f"Воронка строится для value_added или observed, получено «{value}»"
        )
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter(
        groups["participants"],
        groups[value],
        s=12,
        alpha=0.6,
        color="tab:blue",
        label="школы",
    )
    if highlight is not None and "school_id" in groups:
        mine = groups[groups["school_id"].isin(list(highlight))]
        ax.scatter(
            mine["participants"],
            mine[value],
            s=40,
            color="tab:red",
            label="выбранная единица",
        )
    top = max(float(groups["participants"].max()) if len(groups) else 10, 10)
    lim = funnel_limits(np.linspace(3, top, 200), mean=mean, sd=sd)
    ax.axhline(mean, color="grey", lw=1)
    for level, style in (("0.95", "--"), ("0.998", ":")):
        ax.plot(
            lim["n"],
            lim[f"low_{level}"],
            "k" + style,
            lw=1,
            label=f"границы {float(level) * 100:g} %".replace(".", ","),
        )
        ax.plot(lim["n"], lim[f"high_{level}"], "k" + style, lw=1)
    ax.set_xlabel("Число участников")
    ax.set_ylabel(labels[value])
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig
