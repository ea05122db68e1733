"""Intervals and tests shared by the indicator formulas.

Every function works on whole arrays (one element per group) so that the
values of thousands of units are computed at once.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = [
    "wilson_interval",
    "mean_interval",
    "two_proportion_z",
    "welch_t",
]


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(
            f"Уровень доверия должен быть строго между 0 и 1, получено {confidence}"
        )
    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson_interval(k, n, *, confidence: float = 0.95):
    """Wilson score interval of a share, in percent.

    Parameters
    ----------
    k, n : array_like
        Number of successes and of trials in each group.
    confidence : float
        Confidence level, 0.95 by default.

    Returns
    -------
    value, low, high : ndarray
        The share ``100·k/n`` and its interval; NaN where ``n == 0``.

    Notes
    -----
    With :math:`\\hat p = k/n` and :math:`z` the normal quantile,

    .. math:: \\frac{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n
              + z^2/4n^2}}{1 + z^2/n}

    (Wilson, 1927). Unlike the normal approximation it stays inside
    [0, 100] and is usable for shares of 0 % and 100 % in small groups.
    """
    z = _z(confidence)
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, k / n, np.nan)
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = np.clip(centre - half, 0, 1)
    high = np.clip(centre + half, 0, 1)
    return 100 * p, 100 * low, 100 * high


def mean_interval(s, ss, n, *, confidence: float = 0.95):
    """Mean and its Student t interval from sums.

    Parameters
    ----------
    s, ss, n : array_like
        Sum of the values, sum of their squares and their number per group.
    confidence : float
        Confidence level, 0.95 by default.

    Returns
    -------
    mean, low, high : ndarray
        ``s/n`` and ``mean ± t(n-1)·sd/√n``; the mean is NaN where ``n == 0``
        and the interval NaN where ``n < 2``.

    Notes
    -----
    The sample variance is :math:`(ss - s^2/n)/(n-1)`, clipped at zero
    against rounding.
    """
    _z(confidence)
    s = np.asarray(s, dtype=float)
    ss = np.asarray(ss, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, s / n, np.nan)
        var = np.clip((ss - s * s / n) / (n - 1), 0, None)
        dof = np.where(n >= 2, n - 1, np.nan)
        t = stats.t.ppf(0.5 + confidence / 2, dof)
        half = t * np.sqrt(var / n)
    half = np.where(n >= 2, half, np.nan)
    return mean, mean - half, mean + half


def two_proportion_z(k1, n1, k0, n0, *, confidence: float = 0.95):
    """Change of a share between two independent groups, with a z test.

    Parameters
    ----------
    k1, n1 : array_like
        Successes and size of the current group.
    k0, n0 : array_like
        Successes and size of the previous group.
    confidence : float
        Confidence level of the interval of the difference.

    Returns
    -------
    diff, low, high, p : ndarray
        ``100·(k1/n1 − k0/n0)`` in percentage points, its Wald interval and the
        two-sided p-value of the pooled z test; NaN where a group is empty.

    Notes
    -----
    :math:`z = (\\hat p_1-\\hat p_0)/\\sqrt{\\bar p(1-\\bar p)(1/n_1+1/n_0)}`
    with the pooled share :math:`\\bar p=(k_1+k_0)/(n_1+n_0)`; the interval
    uses the unpooled standard error. When both shares are 0 or both are 1 the
    difference is 0 and p = 1.
    """
    z = _z(confidence)
    k1, n1, k0, n0 = (np.asarray(a, dtype=float) for a in (k1, n1, k0, n0))
    with np.errstate(invalid="ignore", divide="ignore"):
        p1 = np.where(n1 > 0, k1 / n1, np.nan)
        p0 = np.where(n0 > 0, k0 / n0, np.nan)
        diff = p1 - p0
        pooled = (k1 + k0) / (n1 + n0)
        se0 = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
        stat = np.where(se0 > 0, diff / se0, 0.0)
        p = np.where(np.isnan(diff), np.nan, 2 * stats.norm.sf(np.abs(stat)))
        se = np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    return 100 * diff, 100 * (diff - z * se), 100 * (diff + z * se), p


def welch_t(s1, ss1, n1, s0, ss0, n0, *, confidence: float = 0.95):
    """Difference of two means from sums, with Welch's t test.

    Parameters
    ----------
    s1, ss1, n1 : array_like
        Sum, sum of squares and number of the values of the current group.
    s0, ss0, n0 : array_like
        The same for the previous (or comparison) group.
    confidence : float
        Confidence level of the interval of the difference.

    Returns
    -------
    diff, low, high, p : ndarray
        ``mean1 − mean0``, its interval and the two-sided p-value; NaN where a
        group has fewer than two values.

    Notes
    -----
    :math:`t = (\\bar x_1-\\bar x_0)/\\sqrt{s_1^2/n_1+s_0^2/n_0}` with the
    Welch–Satterthwaite degrees of freedom
    :math:`(v_1+v_0)^2/(v_1^2/(n_1-1)+v_0^2/(n_0-1))`, :math:`v_i=s_i^2/n_i`.
    """
    _z(confidence)
    s1, ss1, n1, s0, ss0, n0 = (
        np.asarray(a, dtype=float) for a in (s1, ss1, n1, s0, ss0, n0)
    )
    ok = (n1 >= 2) & (n0 >= 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        m1, m0 = s1 / n1, s0 / n0
        v1 = np.clip((ss1 - s1 * m1) / (n1 - 1), 0, None) / n1
        v0 = np.clip((ss0 - s0 * m0) / (n0 - 1), 0, None) / n0
        se = np.sqrt(v1 + v0)
        dof = (v1 + v0) ** 2 / (v1**2 / (n1 - 1) + v0**2 / (n0 - 1))
        diff = m1 - m0
        stat = diff / se
        p = 2 * stats.t.sf(np.abs(stat), dof)
        half = stats.t.ppf(0.5 + confidence / 2, dof) * se
    nan = np.full(np.shape(diff), np.nan)
    return (
        np.where(ok, diff, nan),
        np.where(ok, diff - half, nan),
        np.where(ok, diff + half, nan),
        np.where(ok, p, nan),
    )
