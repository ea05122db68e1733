"""Objectivity signs on the real ВПР exports of Altai Krai (../shared/data).

The 2020 grade-4 files and the 2021 grade-5 files are one cohort, in maths and
in Russian. References: (1) a plain per-school loop over the loaded results
that computes all five signs with ``statistics``, ``scipy.stats`` and the
scales of ../shared/data/SOURCE.md; (2) the raw export files read with pandas,
without the loaders, for the cohort ratio K and Spearman's r_s, with the
forms' maxima of SOURCE.md.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cyclolib import db
from cyclolib.analysis import objectivity as obj

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

# Subject -> (grade-4 file of 2020, its maximum, grade-5 file of 2021, its
# maximum); the maxima are those of the scales table of SOURCE.md
COHORTS = {
    "ma": (
        "2020/Математика 4.xlsx",
        20,
        "2021/Проведение работы по математике, 5 класс. ВПР 2021.xlsx",
        20,
    ),
    "ru": (
        "2020/Русский язык 4.xlsx",
        38,
        "2021/Проведение работы по русскому языку, 5 класс. ВПР 2021.xlsx",
        45,
    ),
}
FILES = ["schools.xlsx"] + [f for c in COHORTS.values() for f in (c[0], c[2])]


@pytest.fixture(scope="module")
def real(shared_data, tmp_path_factory):
    # Only the files these tests read: the whole set takes a minute to load.
    from cyclolib.loaders import load_paths

    path = tmp_path_factory.mktemp("real") / "real.duckdb"
    con = db.connect(path)
    load_paths(con, [shared_data / "vpr-altai" / f for f in FILES])
    detail = obj.objectivity_signs(con, year=2021)
    yield con, detail
    con.close()


# Least primary scores of «3», «4» and «5» of the 2021 grade-5 forms (the
# scales table of SOURCE.md)
THRESHOLDS = {"ma": (7, 11, 15), "ru": (18, 29, 39)}
# Form maxima of SOURCE.md: (grade 4, grade 5)
MAXIMA = {"ma": (20, 20), "ru": (38, 45)}


def _plain_signs(rows: pd.DataFrame, subject: str) -> pd.DataFrame:
    """All five signs of one 2021 grade-5 form, school by school, plainly.

    ``rows``: the loaded results of the 2020 grade-4 and 2021 grade-5 forms of
    the subject. Each sign is computed with ``statistics``, ``scipy.stats``
    and plain loops from the 2019 methodology and params/objectivity.yaml:
    95 % intervals with at least 5 participants; Spearman's r_s < 0 over at
    least 10 pairs; K = S(4, 2020) / S(5, 2021) outside Q1 − 3 IQR … Q3 + 3 IQR
    with at least 10 participants in each year; a one-sided binomial test of
    the share at the boundaries at 0.005 with at least 10 participants at t or
    t − 1; at least 5 and 20 % of marks differing by two or more.
    """
    z = 1.959963984540054
    now = rows[(rows["year"] == 2021) & (rows["grade"] == 5)]
    before = rows[(rows["year"] == 2020) & (rows["grade"] == 4)]
    top4, top5 = MAXIMA[subject]
    bounds = THRESHOLDS[subject]

    # Region's interval and region's share at the boundaries
    scores = now["primary_score"].tolist()
    r_high = statistics.mean(scores) + z * statistics.stdev(scores) / math.sqrt(
        len(scores)
    )
    at = sum(x in bounds for x in scores)
    below = sum(x + 1 in bounds for x in scores)
    p0 = at / (at + below)

    # Cohort ratios over the schools with both years
    s4 = {
        s: 100 * statistics.mean(p["primary_score"]) / top4
        for s, p in before.groupby("school_id")
        if len(p) >= 10
    }
    s5 = {
        s: 100 * statistics.mean(p["primary_score"]) / top5
        for s, p in now.groupby("school_id")
        if len(p) >= 10
    }
    ratios = {s: s4[s] / s5[s] for s in s4 if s in s5 and s5[s] > 0}
    q1, q3 = np.percentile(list(ratios.values()), [25, 75])
    k_low, k_high = q1 - 3 * (q3 - q1), q3 + 3 * (q3 - q1)

    out = {}
    for school, part in now.groupby("school_id"):
        x = part["primary_score"].tolist()
        row = {}

        # Inflated mean
        low = math.nan
        if len(x) >= 2:
            low = statistics.mean(x) - z * statistics.stdev(x) / math.sqrt(len(x))
        row["ci_low"] = low
        row["inflated_mean"] = len(x) >= 5 and low > r_high

        # Results against journal marks
        pairs = part.dropna(subset=["journal_mark"])
        r = math.nan
        if len(pairs) >= 2 and pairs["journal_mark"].nunique() > 1:
            r = stats.spearmanr(pairs["journal_mark"], pairs["primary_score"])[0]
        row["spearman_r"] = r
        row["contradicts_marks"] = len(pairs) >= 10 and r < 0

        # Cohort from grade 4 to grade 5
        k = ratios.get(school, math.nan)
        row["k_ratio"] = k
        row["cohort_change"] = k > k_high or k < k_low

        # Peaks at the mark boundaries
        k_at = sum(v in bounds for v in x)
        m = k_at + sum(v + 1 in bounds for v in x)
        peak = False
        if m:
            test = stats.binomtest(k_at, m, p0, alternative="greater")
            peak = m >= 10 and k_at / m > p0 and test.pvalue < 0.005
        row["boundary_peaks"] = peak

        # Differences of two marks or more (the mark from the scale)
        differ = [
            abs(2 + sum(v >= t for t in bounds) - j) >= 2
            for v, j in zip(pairs["primary_score"], pairs["journal_mark"], strict=True)
        ]
        row["diff2_count"] = sum(differ)
        row["marks_differ_2"] = sum(differ) >= 5 and sum(differ) >= 0.2 * len(differ)
        out[school] = row
    return pd.DataFrame.from_dict(out, orient="index")


@pytest.mark.parametrize("subject", list(COHORTS))
def test_every_sign_against_a_plain_loop(real, subject):
    con, detail = real
    rows = con.execute(
        "SELECT r.school_id, f.year, f.grade, r.primary_score, r.journal_mark "
        "FROM results r JOIN forms f USING (form_id) WHERE f.subject = ? "
        "AND NOT r.absent AND r.primary_score IS NOT NULL",
        [subject],
    ).df()
    plain = _plain_signs(rows, subject)
    got = detail[(detail["subject"] == subject) & (detail["grade"] == 5)]
    got = got.set_index("school_id").loc[plain.index]
    assert len(plain) > 600

    # Every school, every sign. In maths each sign marks some school (measured:
    # inflated mean 104, Spearman 1, cohort 1, peaks 26, differences 3), so
    # each comparison meets both answers; in Russian Spearman's and the
    # cohort's sign mark none.
    for sign in obj.SIGNS:
        assert got[sign].tolist() == plain[sign].tolist(), sign
    if subject == "ma":
        assert plain[list(obj.SIGNS)].any().all()
    assert (got["n_signs"] == plain[list(obj.SIGNS)].sum(axis=1)).all()

    # and the figures behind them
    for column in ("ci_low", "spearman_r", "k_ratio"):
        assert got[column].to_numpy() == pytest.approx(
            plain[column].to_numpy(), abs=1e-9, nan_ok=True
        ), column
    assert got["diff2_count"].fillna(0).tolist() == plain["diff2_count"].tolist()


def _raw(shared_data, name, school, score, top, mark=None):
    frame = pd.read_excel(shared_data / "vpr-altai" / name, engine="calamine")
    frame = frame.rename(columns={school: "school_id", score: "score"})
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce")
    if mark:
        frame["journal"] = pd.to_numeric(frame[mark], errors="coerce")
        frame.loc[~frame["journal"].isin([2, 3, 4, 5]), "journal"] = np.nan
    return frame[frame["score"].between(0, top)]


def _raw_cohort(shared_data, subject):
    """The cohort of the raw files: grade-5 rows, per-school means and K."""
    file4, top4, file5, top5 = COHORTS[subject]
    g4 = _raw(shared_data, file4, "user", "sum", top4)
    g5 = _raw(
        shared_data,
        file5,
        "логин школы",
        "всего баллов",
        top5,
        "отметка за предыдущую четверть/триместр",
    )
    # K = S(4, 2020) / S(5, 2021), S the school's mean % of the form's maximum
    # (maths: 20 and 20 points; Russian: 38 and 45).
    g4["pct"] = g4["score"] / top4 * 100
    g5["pct"] = g5["score"] / top5 * 100
    s4 = g4.groupby("school_id")["pct"].agg(["mean", "count"])
    s5 = g5.groupby("school_id")["pct"].agg(["mean", "count"])
    both = s4[s4["count"] >= 10].join(
        s5[s5["count"] >= 10].add_suffix("5"), how="inner"
    )
    return g5, both, both["mean"] / both["mean5"]


def _fences(k, factor):
    q1, q3 = np.percentile(k, [25, 75])
    return q1 - factor * (q3 - q1), q3 + factor * (q3 - q1)


def _fully_loaded(con, got, subject, both, k):
    """Schools whose participants were all accepted by the loaders.

    The loaders reject faulty rows (non-numeric task cells, totals above the
    maximum and the like); only these schools have the raw files' K exactly.
    """
    n4 = (
        con.execute(
            "SELECT school_id, count(*) FROM results JOIN forms USING (form_id) "
            "WHERE form_id = ? AND NOT absent "
            "AND primary_score IS NOT NULL GROUP BY school_id",
            [f"vpr-2020-{subject}-4"],
        )
        .df()
        .set_index("school_id")
        .iloc[:, 0]
    )
    n5 = got["n"].reindex(k.index)
    return k.index[
        (n5.to_numpy() == both["count5"].to_numpy())
        & (n4.reindex(k.index).to_numpy() == both["count"].to_numpy())
    ]


@pytest.mark.parametrize("subject", list(COHORTS))
def test_cohort_ratio_against_raw_files(real, shared_data, subject):
    con, detail = real
    g5, both, k = _raw_cohort(shared_data, subject)
    low, high = _fences(k, 3.0)
    fall, rise = set(k[k > high].index), set(k[k < low].index)

    got = detail[(detail["subject"] == subject) & (detail["grade"] == 5)]
    got = got.set_index("school_id")
    assert got["k_ratio"].notna().sum() >= 0.95 * len(k)
    same = _fully_loaded(con, got, subject, both, k)
    assert len(same) > 0.9 * len(k)
    assert got.loc[same, "k_ratio"].to_numpy() == pytest.approx(k[same].to_numpy())
    # The fences Q1 - 3 IQR and Q3 + 3 IQR over the region's schools: the
    # rejected rows move them a little (measured: by at most 0.014)
    assert got["k_low"].dropna().iloc[0] == pytest.approx(low, abs=0.02)
    assert got["k_high"].dropna().iloc[0] == pytest.approx(high, abs=0.02)
    flagged = set(got.index[got["cohort_change"]])
    assert flagged - set(k.index).difference(same) == (fall | rise) & set(same)

    # Spearman's r_s of journal marks and scores, from the raw 2021 file.
    ref = {
        s: stats.spearmanr(p["journal"], p["score"]).statistic
        for s, p in g5.dropna(subset=["journal"]).groupby("school_id")
        if len(p) >= 5 and p["journal"].nunique() > 1
    }
    mine = got["spearman_r"]
    diff = pd.Series({s: abs(mine.get(s, np.nan) - r) for s, r in ref.items()})
    assert (diff < 1e-9).mean() > 0.9


@pytest.mark.parametrize("subject", list(COHORTS))
def test_cohort_sign_with_tukey_fences(real, shared_data, subject):
    # With the default 3 IQR the real region has at most one sharp change per
    # subject (none in Russian); Tukey's 1.5 IQR fences flag several schools
    # in each, so the sign is compared on a non-empty list.
    con, _ = real
    _, both, k = _raw_cohort(shared_data, subject)
    low, high = _fences(k, 1.5)
    detail = obj.objectivity_signs(con, year=2021, params={"iqr_factor": 1.5})
    got = detail[(detail["subject"] == subject) & (detail["grade"] == 5)]
    got = got.set_index("school_id")
    same = set(_fully_loaded(con, got, subject, both, k))

    fall = set(k[k > high].index) & same
    rise = set(k[k < low].index) & same
    assert len(fall | rise) >= 5
    # The rejected rows move the fences a little: a school whose K lies
    # between the raw files' fence and the loaded one may go either way
    own_low = got["k_low"].dropna().iloc[0]
    own_high = got["k_high"].dropna().iloc[0]
    between = set(k[(k - low) * (k - own_low) <= 0].index)
    between |= set(k[(k - high) * (k - own_high) <= 0].index)
    assert len(between & same) <= 2
    assert set(got.index[got["cohort_fall"]]) & (same - between) == fall - between
    assert set(got.index[got["cohort_rise"]]) & (same - between) == rise - between


def test_real_list_and_index(real):
    con, detail = real
    listing = obj.objectivity_list(detail, con)
    assert len(listing) == int((detail.groupby("school_id")["n_signs"].max() > 0).sum())
    assert listing["Количество маркеров"].between(1, 4).all()
    region = obj.objectivity_index(detail, level="region").iloc[0]
    schools = detail["school_id"].nunique()
    assert region["schools"] == schools
    assert region["index"] == pytest.approx(100 - 100 * len(listing) / schools)
    # Municipal indices average to the region's when weighted by schools.
    munis = obj.objectivity_index(detail)
    assert munis["marked"].sum() == region["marked"]
