"""Objectivity signs on the real ВПР exports of Altai Krai (../shared/data).

The 2020 grade-4 files and the 2021 grade-5 files are one cohort. References:
(1) a plain per-school loop over the loaded results with ``statistics`` and
``scipy.stats.spearmanr``; (2) the raw export files read with pandas, without
the loaders, for the cohort ratio K and Spearman's r_s.
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

FILES = [
    "schools.xlsx",
    "2020/Математика 4.xlsx",
    "2021/Проведение работы по математике, 5 класс. ВПР 2021.xlsx",
    "2021/Проведение работы по русскому языку, 5 класс. ВПР 2021.xlsx",
]


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


def test_every_sign_against_a_plain_loop(real):
    con, detail = real
    rows = con.execute(
        "SELECT r.school_id, f.subject, f.grade, r.primary_score, r.journal_mark "
        "FROM results r JOIN forms f USING (form_id) "
        "WHERE f.year = 2021 AND NOT r.absent AND r.primary_score IS NOT NULL"
    ).df()
    z = 1.959963984540054
    checked = 0
    for (subject, grade), form in rows.groupby(["subject", "grade"]):
        scores = form["primary_score"].tolist()
        r_high = statistics.mean(scores) + z * statistics.stdev(scores) / math.sqrt(
            len(scores)
        )
        got = detail[(detail["subject"] == subject) & (detail["grade"] == grade)]
        got = got.set_index("school_id")
        for school, part in list(form.groupby("school_id"))[::3]:
            x = part["primary_score"].tolist()
            row = got.loc[school]
            if len(x) >= 5:
                low = statistics.mean(x) - z * statistics.stdev(x) / math.sqrt(len(x))
                assert row["inflated_mean"] == (low > r_high)
                assert row["ci_low"] == pytest.approx(low)
            pairs = part.dropna(subset=["journal_mark"])
            if len(pairs) >= 10 and pairs["journal_mark"].nunique() > 1:
                ref = stats.spearmanr(pairs["journal_mark"], pairs["primary_score"])
                assert row["spearman_r"] == pytest.approx(ref.statistic, abs=1e-9)
                assert row["contradicts_marks"] == (ref.statistic < 0)
            checked += 1
    assert checked > 300


def _raw(shared_data, name, school, score, mark=None):
    frame = pd.read_excel(shared_data / "vpr-altai" / name, engine="calamine")
    frame = frame.rename(columns={school: "school_id", score: "score"})
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce")
    if mark:
        frame["journal"] = pd.to_numeric(frame[mark], errors="coerce")
        frame.loc[~frame["journal"].isin([2, 3, 4, 5]), "journal"] = np.nan
    return frame[frame["score"].between(0, 20)]


def test_cohort_ratio_against_raw_files(real, shared_data):
    con, detail = real
    g4 = _raw(shared_data, "2020/Математика 4.xlsx", "user", "sum")
    g5 = _raw(
        shared_data,
        "2021/Проведение работы по математике, 5 класс. ВПР 2021.xlsx",
        "логин школы",
        "всего баллов",
        "отметка за предыдущую четверть/триместр",
    )
    # K = S(4, 2020) / S(5, 2021), both forms out of 20 points.
    s4 = g4.groupby("school_id")["score"].agg(["mean", "count"])
    s5 = g5.groupby("school_id")["score"].agg(["mean", "count"])
    both = s4[s4["count"] >= 10].join(
        s5[s5["count"] >= 10].add_suffix("5"), how="inner"
    )
    k = both["mean"] / both["mean5"]
    q1, q3 = np.percentile(k, [25, 75])
    fall = set(k[k > q3 + 3 * (q3 - q1)].index)
    rise = set(k[k < q1 - 3 * (q3 - q1)].index)

    got = detail[(detail["subject"] == "ma") & (detail["grade"] == 5)]
    got = got.set_index("school_id")
    assert got["k_ratio"].notna().sum() >= 0.95 * len(k)
    # The loaders reject faulty rows (non-numeric task cells and the like):
    # compare the schools whose participants were all accepted.
    n4 = (
        con.execute(
            "SELECT school_id, count(*) FROM results JOIN forms USING (form_id) "
            "WHERE form_id = 'vpr-2020-ma-4' AND NOT absent "
            "AND primary_score IS NOT NULL GROUP BY school_id"
        )
        .df()
        .set_index("school_id")
        .iloc[:, 0]
    )
    n5 = got["n"].reindex(k.index)
    same = k.index[
        (n5.to_numpy() == both["count5"].to_numpy())
        & (n4.reindex(k.index).to_numpy() == both["count"].to_numpy())
    ]
    assert len(same) > 0.9 * len(k)
    assert got.loc[same, "k_ratio"].to_numpy() == pytest.approx(k[same].to_numpy())
    flagged = set(got.index[got["cohort_change"]])
    assert flagged - set(k.index).difference(same) == (fall | rise) & set(same)

    # Spearman's r_s of journal marks and scores, from the raw 2021 file.
    ref = {
        s: stats.spearmanr(p["journal"], p["score"]).statistic
        for s, p in g5.dropna(subset=["journal"]).groupby("school_id")
        if len(p) >= 5 and p["journal"].nunique() > 1
    }
    mine = detail[(detail["subject"] == "ma") & (detail["grade"] == 5)]
    mine = mine.set_index("school_id")["spearman_r"]
    diff = pd.Series({s: abs(mine.get(s, np.nan) - r) for s, r in ref.items()})
    assert (diff < 1e-9).mean() > 0.9


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
