"""Intervals and tests of cyclolib.indicators.stats against other computations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cyclolib.indicators.stats import (
    mean_interval,
    two_proportion_z,
    welch_t,
    wilson_interval,
)


def test_wilson_matches_newcombe_1998():
    # Reference: Newcombe (1998), Statistics in Medicine 17:857, table I:
    # 81/263 gives 0.2553–0.3662 and 15/148 gives 0.0624–0.1605 (Wilson).
    value, low, high = wilson_interval([81, 15], [263, 148])
    assert value == pytest.approx([100 * 81 / 263, 100 * 15 / 148])
    assert low == pytest.approx([25.53, 6.24], abs=0.01)
    assert high == pytest.approx([36.62, 16.05], abs=0.01)


def test_wilson_edges():
    # Reference: by hand, 0/10 has lower bound 0 and upper z²/(n+z²).
    value, low, high = wilson_interval([0, 0], [10, 0])
    z = stats.norm.ppf(0.975)
    assert value[0] == 0 and low[0] == 0
    assert high[0] == pytest.approx(100 * z * z / (10 + z * z))
    assert np.isnan(value[1]) and np.isnan(low[1]) and np.isnan(high[1])


def test_bad_confidence_message():
    with pytest.raises(ValueError) as err:
        wilson_interval([1], [2], confidence=95)
    assert (
        str(err.value) == "Уровень доверия должен быть строго между 0 и 1, получено 95"
    )


def test_mean_interval_matches_scipy_on_raw_values():
    # Reference: scipy.stats.t.interval with the sample's standard error.
    x = np.array([3.0, 7.0, 7.0, 19.0, 4.5, 11.0])
    mean, low, high = mean_interval([x.sum(), 5.0], [(x**2).sum(), 25.0], [6, 1])
    ref = stats.t.interval(0.95, 5, loc=x.mean(), scale=stats.sem(x))
    assert mean[0] == pytest.approx(x.mean())
    assert (low[0], high[0]) == pytest.approx(ref)
    assert mean[1] == 5.0 and np.isnan(low[1]) and np.isnan(high[1])


def test_welch_matches_scipy_ttest():
    # Reference: scipy.stats.ttest_ind(equal_var=False) on the raw values.
    rng = np.random.default_rng(7)
    a, b = rng.normal(60, 15, 40), rng.normal(52, 22, 25)
    diff, low, high, p = welch_t(a.sum(), (a**2).sum(), 40, b.sum(), (b**2).sum(), 25)
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert diff == pytest.approx(a.mean() - b.mean())
    assert p == pytest.approx(ref.pvalue)
    ci = ref.confidence_interval(0.95)
    assert (low, high) == pytest.approx((ci.low, ci.high))


def test_two_proportion_z_by_hand():
    # Reference: by hand, 45/100 against 30/100: pooled p = 0.375,
    # z = 0.15 / sqrt(0.375·0.625·0.02) = 2.1909, p = 2·(1 − Φ(2.1909)).
    diff, low, high, p = two_proportion_z(45, 100, 30, 100)
    assert diff == pytest.approx(15.0)
    z = 0.15 / np.sqrt(0.375 * 0.625 * 0.02)
    assert z == pytest.approx(2.19089, abs=1e-5)
    assert p == pytest.approx(2 * stats.norm.sf(z))
    se = np.sqrt(0.45 * 0.55 / 100 + 0.3 * 0.7 / 100)
    assert low == pytest.approx(100 * (0.15 - 1.959964 * se), abs=1e-4)
    assert high == pytest.approx(100 * (0.15 + 1.959964 * se), abs=1e-4)
