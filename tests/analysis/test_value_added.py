"""Value added, bands, funnel limits and resilient schools against references."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from tinyregion import add_results, add_schools, mark_of

from cyclolib.analysis import value_added as va

Z95 = 1.959963984540054


def _region(con, *, prior: bool = False, seed: int = 5):
    rng = np.random.default_rng(seed)
    social = {f"s{i}": float(i) for i in range(1, 7)}
    add_schools(con, {s: ("m1", x, True) for s, x in social.items()})
    rows = []
    for s, x in social.items():
        for _ in range(12):
            score = float(np.clip(round(6 + x + rng.normal(0, 3)), 0, 20))
            rows.append((2021, "ma", 5, s, score, mark_of(score), None))
        if prior:
            for _ in range(12):
                score = float(np.clip(round(4 + 2 * x + rng.normal(0, 3)), 0, 20))
                rows.append((2020, "ma", 4, s, score, mark_of(score), None))
    add_results(con, rows)
    return social


def test_value_added_matches_polyfit(con):
    social = _region(con)
    got = va.value_added(con, year=2021).set_index("school_id")

    # Reference: np.polyfit of student % on the school's social index
    # (urban and enrolment are constant here and drop out of the model).
    rows = con.execute(
        "SELECT school_id, primary_score / 20 * 100 AS pct FROM results"
    ).df()
    x = rows["school_id"].map(social).to_numpy()
    slope, icpt = np.polyfit(x, rows["pct"], 1)
    rows["fit"] = icpt + slope * x
    sigma = math.sqrt(((rows["pct"] - rows["fit"]) ** 2).sum() / (len(rows) - 2))
    for s, part in rows.groupby("school_id"):
        vadd = part["pct"].mean() - part["fit"].mean()
        assert got.loc[s, "expected"] == pytest.approx(part["fit"].mean())
        assert got.loc[s, "value_added"] == pytest.approx(vadd, abs=1e-9)
        assert got.loc[s, "va_low"] == pytest.approx(vadd - Z95 * sigma / math.sqrt(12))
    assert set(got["model"]) == {"context"}


def test_value_added_with_prior_matches_normal_equations(con):
    social = _region(con, prior=True)
    got = va.value_added(con, year=2021).set_index("school_id")
    assert set(got["model"]) == {"context+prior"}

    # Reference: (X'X)^-1 X'y with X = [1, social, school mean % in grade 4, 2020].
    rows = con.execute(
        "SELECT r.school_id, f.year, r.primary_score / 20 * 100 AS pct "
        "FROM results r JOIN forms f USING (form_id)"
    ).df()
    prior = rows[rows["year"] == 2020].groupby("school_id")["pct"].mean()
    now = rows[rows["year"] == 2021]
    x = np.column_stack(
        [np.ones(len(now)), now["school_id"].map(social), now["school_id"].map(prior)]
    )
    beta = np.linalg.solve(x.T @ x, x.T @ now["pct"].to_numpy())
    fit = pd.Series(x @ beta, index=now.index)
    for s, part in now.groupby("school_id"):
        assert got.loc[s, "expected"] == pytest.approx(fit[part.index].mean())


def test_bands_by_hand():
    got = va.value_added_bands(
        [8, 2, 0.5, -2, -9, 6],
        [1, 0.5, -1, -3, -12, -1],
        [15, 3.5, 2, -0.5, -6, 13],
        well_margin=5,
    )
    assert got.tolist() == [
        "well_above",
        "above",
        "as_expected",
        "below",
        "well_below",
        "as_expected",
    ]


def test_funnel_limits_by_hand():
    lim = va.funnel_limits([25, 100], mean=50, sd=20)
    # 95 %: 50 ± 1.96 * 20 / 5 = 50 ± 7.84; n = 100: 50 ± 3.92
    assert lim["high_0.95"].tolist() == pytest.approx([50 + Z95 * 4, 50 + Z95 * 2])
    # 99.8 %: z = 3.0902
    assert lim["low_0.998"][0] == pytest.approx(50 - 3.090232306 * 4)


def test_combine_forms_by_hand():
    forms = pd.DataFrame(
        {
            "school_id": ["a", "a"],
            "municipality_id": ["m", "m"],
            "participants": [10, 30],
            "observed": [60.0, 40.0],
            "expected": [50.0, 40.0],
            "value_added": [10.0, 0.0],
            "va_low": [6.0, -2.0],
            "va_high": [14.0, 2.0],
            "social_index": [0.1, 0.1],
        }
    )
    got = va.combine_forms(forms, well_margin=5).iloc[0]
    # VA = (10*10 + 30*0) / 40 = 2.5; half = sqrt((10*4)^2 + (30*2)^2) / 40
    # = sqrt(1600 + 3600) / 40 = 1.8028; low = 0.697 > 0: "above".
    assert got["value_added"] == pytest.approx(2.5)
    assert got["va_low"] == pytest.approx(2.5 - math.sqrt(5200) / 40)
    assert got["observed"] == pytest.approx(45.0)
    assert got["band"] == "above"


def test_resilient_by_hand():
    schools = pd.DataFrame(
        {
            "school_id": list("abcde"),
            "social_index": [1.0, 2.0, 3.0, 4.0, None],
            "observed": [80.0, 30.0, 50.0, 90.0, 99.0],
        }
    )
    got = va.resilient_schools(schools, hard_context=0.25, good_results=0.25)
    # Social cut: 25th percentile of 1..4 = 1.75 -> a; result cut: 75th
    # percentile of 30, 50, 80, 90, 99 = 90 -> d, e; a (80) is not resilient.
    assert got["resilient"].tolist() == [False, False, False, False, False]
    got = va.resilient_schools(schools, hard_context=0.25, good_results=0.5)
    # Result cut: the median 80 -> a is resilient.
    assert got["resilient"].tolist() == [True, False, False, False, False]


def test_residual_sd_by_hand():
    forms = pd.DataFrame(
        {"participants": [25, 100], "va_low": [-7.84, -1.96], "va_high": [7.84, 1.96]}
    )
    # σ_1 = 15.68 / (2 * 1.96) * 5 = 20, σ_2 = 3.92 / 3.92 * 10 = 10;
    # pooled √((25 * 400 + 100 * 100) / 125) = √160
    assert va.residual_sd(forms) == pytest.approx(math.sqrt(160), rel=1e-4)
    assert math.isnan(va.residual_sd(forms.iloc[:0]))


def test_funnel_plot_of_value_added():
    groups = pd.DataFrame(
        {
            "school_id": ["a", "b", "c"],
            "participants": [10, 40, 25],
            "value_added": [-3.0, 6.0, 0.5],
        }
    )
    fig = va.funnel_plot(groups, sd=20, highlight=["a"], title="Воронка")
    import matplotlib.pyplot as plt  # after the library chose its backend

    ax = fig.axes[0]
    assert ax.get_xlabel() == "Число участников"
    assert ax.get_ylabel() == "Добавленная ценность, п. п."
    # The points are the values added; the limits surround zero
    points = ax.collections[0].get_offsets()
    assert points[:, 1].tolist() == [-3.0, 6.0, 0.5]
    assert ax.collections[1].get_offsets()[:, 1].tolist() == [-3.0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    upper95 = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"][1]
    n, high = upper95.get_xdata(), upper95.get_ydata()
    assert high == pytest.approx(Z95 * 20 / np.sqrt(n))
    assert {"школы", "выбранная единица", "границы 95 %", "границы 99,8 %"} <= set(
        lines
    ) | {c.get_label() for c in ax.collections}
    plt.close(fig)

    # Raw means around the region's mean, as before
    groups = groups.assign(observed=[50.0, 60.0, 55.0])
    fig = va.funnel_plot(groups, mean=55, sd=20, value="observed")
    assert fig.axes[0].get_ylabel() == "Средний процент выполнения"
    plt.close(fig)
    with pytest.raises(ValueError) as err:
        va.funnel_plot(groups, sd=20, value="expected")
    assert str(err.value) == (
        "Воронка строится для value_added или observed, получено «expected»"
    )


def test_bad_confidence():
    with pytest.raises(ValueError) as err:
        va.funnel_limits([10], mean=0, sd=1, levels=(95,))
    assert str(err.value) == "Уровень доверия должен быть между 0 и 1, получено 95"


def test_schools_without_prior_use_the_context_model_of_all(con):
    social = _region(con, prior=True)
    con.execute(
        "DELETE FROM results WHERE school_id = 's6' AND form_id = 'vpr-2020-ma-4'"
    )
    got = va.value_added(con, year=2021).set_index("school_id")
    assert got.loc["s6", "model"] == "context"
    assert (got.drop(index="s6")["model"] == "context+prior").all()

    # Reference: np.polyfit over the 2021 students of all six schools.
    rows = con.execute(
        "SELECT school_id, primary_score / 20 * 100 AS pct FROM results "
        "WHERE form_id = 'vpr-2021-ma-5'"
    ).df()
    slope, icpt = np.polyfit(rows["school_id"].map(social), rows["pct"], 1)
    assert got.loc["s6", "expected"] == pytest.approx(icpt + slope * social["s6"])
