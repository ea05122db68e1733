"""What the ground truth says was planted is really in the files.

Every check recomputes its statistic from the written files (ВПР marks from
params/scales.yaml, means from the task scores) and compares planted schools
with the rest; latent.csv gives the expected result under honest scoring.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from cyclolib.config import load_params
from cyclolib.synth import generate

from .conftest import YEARS
from .helpers import form_maxima, thresholds, truth


def _planted(folder, kind):
    return [p for p in truth(folder)["planted"] if p["kind"] == kind]


def _inflated(folder):
    return {
        p["school_id"] for p in truth(folder)["planted"] if p["category"] == "inflated"
    }


def _present(vpr_rows):
    return vpr_rows[~vpr_rows["absent"]]


def test_every_kind_is_planted(region_xlsx):
    kinds = {p["kind"] for p in truth(region_xlsx)["planted"]}
    assert kinds == {
        "journal_marks",
        "boundary_scores",
        "cohort_jump",
        "low_school_effect",
        "measure_effect",
        "weak_skill",
        "skill_deficit",
    }


def test_inflated_journal_marks(region_xlsx, vpr_rows):
    # Reference: the share of students whose journal mark is above their ВПР
    # mark, and Spearman's r_s of journal mark and primary score in the school
    p = _present(vpr_rows)
    higher = p.groupby("school_id").apply(
        lambda x: (x["journal"] > x["mark"]).mean(), include_groups=False
    )
    forms = p.groupby(["school_id", "year", "subject", "grade"])
    r_s = (
        p[
            (forms["total"].transform("nunique").to_numpy() >= 3)
            & (forms["journal"].transform("nunique").to_numpy() >= 2)
        ]
        .groupby(["school_id", "year", "subject", "grade"])
        .apply(
            lambda x: x["journal"].corr(x["total"], method="spearman"),
            include_groups=False,
        )
        .groupby("school_id")
        .mean()
    )
    inflated = _inflated(region_xlsx)
    planted = [p["school_id"] for p in _planted(region_xlsx, "journal_marks")]
    honest = higher.drop(list(inflated))
    assert planted
    for school in planted:
        assert higher[school] > honest.quantile(0.9)
        assert r_s[school] < 0.3
    assert r_s.drop(list(inflated)).median() > 0.5


def test_inflated_scores_above_latent_ability(region_xlsx, vpr_rows):
    # Reference: the school's observed mean % of the maximum against the mean
    # expected from its students' latent abilities (latent.csv), as a z-score
    p = _present(vpr_rows)
    latent = pd.read_csv(region_xlsx / "latent.csv")
    observed = (
        p.groupby(["school_id", "year", "subject", "grade"])["pct"].mean().rename("obs")
    )
    m = observed.reset_index().merge(
        latent[latent["study"] == "vpr"], on=["school_id", "year", "subject", "grade"]
    )
    m["z"] = (m["obs"] - m["expected_pct"]) / (20 / np.sqrt(m["participants"]))
    z = m.groupby("school_id")["z"].mean()
    planted = [p["school_id"] for p in _planted(region_xlsx, "boundary_scores")]
    inflated = _inflated(region_xlsx)
    honest = z.drop(list(inflated))
    assert planted
    assert abs(honest.mean()) < 0.2
    for school in planted:
        assert z[school] > 2.5
        assert z[school] > honest.max()


def test_inflated_scores_peak_at_mark_boundaries(region_xlsx, vpr_rows):
    # Reference: the share of primary scores that sit exactly on a boundary
    p = _present(vpr_rows).copy()
    cuts = {
        (s, g): set(thresholds(s, g)) for s in ("ma", "ru") for g in (4, 5)
    }  # fmt: skip
    p["on_boundary"] = [
        t in cuts[(s, g)]
        for t, s, g in zip(p["total"], p["subject"], p["grade"], strict=True)
    ]
    share = p.groupby("school_id")["on_boundary"].mean()
    planted = [p["school_id"] for p in _planted(region_xlsx, "boundary_scores")]
    inflated = _inflated(region_xlsx)
    for school in planted:
        assert share[school] > 1.5 * share.drop(list(inflated)).mean()


def test_cohort_jump_is_a_sharp_fall(region_xlsx, vpr_rows):
    # Reference: the federal sign K = S(4, Y) / S(5, Y + 1) > Q3 + 3·IQR
    p = _present(vpr_rows)
    s = p.groupby(["school_id", "grade", "year"])["pct"].mean()
    planted = _planted(region_xlsx, "cohort_jump")
    assert planted
    for plant in planted:
        y = plant["inflated_year"]
        k = (s.xs((4, y), level=(1, 2)) / s.xs((5, y + 1), level=(1, 2))).dropna()
        q1, q3 = k.quantile([0.25, 0.75])
        assert k[plant["school_id"]] > q3 + 3 * (q3 - q1)


def test_low_results_in_a_hard_context(region_xlsx, vpr_rows):
    # Reference: the school's yearly mean % of the maximum against the region's
    # lower quartile of school means; the context from schools.csv
    p = _present(vpr_rows)
    means = p.groupby(["year", "school_id"])["pct"].mean()
    schools = pd.read_csv(region_xlsx / "schools.csv").set_index("school_id")
    planted = _planted(region_xlsx, "low_school_effect")
    assert planted
    for plant in planted:
        school = plant["school_id"]
        assert schools.at[school, "urban"] == 0
        assert schools.at[school, "social_index"] <= schools["social_index"].quantile(
            1 / 3
        )
        for year in plant["years"]:
            assert means[year][school] < means[year].quantile(0.25)


def test_measures_have_their_true_effect():
    # Reference: the same students before (grade 4, year of the measure) and
    # after (grade 5, next year): their latent ability differs by the effect
    region = generate(seed=7, schools=60, municipalities=5, years=[2022, 2023, 2024])
    ids = region.schools["school_id"].to_numpy()
    planted = [p for p in region.planted if p["kind"] == "measure_effect"]
    assert {p["true_effect_logit"] for p in planted} == {0.0, 0.35}
    blocks = {(b.form.key, b.year): b.rows for b in region.blocks}
    for plant in planted:
        year = plant["measure_year"]
        if year + 1 not in (2022, 2023, 2024):
            continue
        before = blocks[("vpr-ma-4", year)]
        after = blocks[("vpr-ma-5", year + 1)]
        treated = np.isin(before["school_id"], plant["school_ids"])
        joined = before[treated].merge(after, on=["school_id", "number"])
        gain = joined["ability_y"] - joined["ability_x"]
        assert len(joined) > 20
        assert gain.to_numpy() == pytest.approx(plant["true_effect_logit"])
        assert (plant["true_effect_pct"] > 2) == (plant["true_effect_logit"] > 0)
    assert set(ids[region.measures["units"].explode().astype(int)]) == {
        s for p in planted for s in p["school_ids"]
    }


def _labels(subject, grade):
    entry = next(
        f
        for f in load_params("forms")
        if (f["study"], f["subject"], f["grade"]) == ("vpr", subject, grade)
    )
    return [str(t["task"]) for t in entry["tasks"]]


def _completion(rows, tasks):
    """% of the maximum of each task in ``tasks`` (positions) over ``rows``."""
    scores = np.vstack(rows["tasks"].to_numpy())[:, tasks]
    top = np.asarray(form_maxima(rows["subject"].iat[0], rows["grade"].iat[0]))
    return scores.sum(axis=0) / (len(rows) * top[tasks]) * 100


def _form_rows(vpr_rows, plant, year):
    p = _present(vpr_rows)
    return p[
        (p["year"] == year)
        & (p["subject"] == plant["subject"])
        & (p["grade"] == plant["grade"])
    ]


def test_weak_skills_are_weak_in_the_whole_region(region_xlsx, vpr_rows):
    # Reference: completion of each task of the weak code recomputed from the
    # workbooks against the basic tasks' insufficient level (57 %), and the same
    # region drawn without weak skills
    weak = _planted(region_xlsx, "weak_skill")
    assert [(w["form"], w["code"]) for w in weak] == [
        ("vpr-ma-4", "3.1"),
        ("vpr-ru-4", "4.1"),
    ]
    params = copy.deepcopy(load_params("synth"))
    params["skills"]["weak"] = []
    plain = generate(seed=7, schools=60, municipalities=5, years=YEARS, params=params)
    for w in weak:
        tasks = [_labels(w["subject"], w["grade"]).index(t) for t in w["tasks"]]
        assert len(tasks) == 3
        for year in YEARS:
            rows = _form_rows(vpr_rows, w, year)
            assert (_completion(rows, tasks) < 57).all(), (w["form"], year)

            # Without the plant most of the code's tasks are sufficient (60 %),
            # and the form's mean moves by less than a point and a half
            block = next(
                b for b in plain.blocks if (b.form.key, b.year) == (w["form"], year)
            )
            present = ~block.rows["absent"].to_numpy()
            scores = block.scores[present]
            before = scores[:, tasks].mean(axis=0) / block.form.maxima[tasks] * 100
            assert (before >= 60).sum() >= 2, (w["form"], year, before)
            mean_before = scores.sum(axis=1).mean() / block.form.max_score * 100
            assert abs(rows["pct"].mean() - mean_before) < 1.5
            # ... and the spread of primary scores by less than 5 %
            sd_ratio = rows["total"].std() / scores.sum(axis=1).std()
            assert abs(sd_ratio - 1) < 0.05, (w["form"], year, sd_ratio)


def test_schools_skill_deficits(region_xlsx, vpr_rows):
    # Reference: the school's completion of the code's tasks and of the form's
    # other tasks, recomputed from the workbooks, against the other schools'
    planted = _planted(region_xlsx, "skill_deficit")
    assert len(planted) == 2  # 2.5 % of 60 schools
    assert {p["form"] for p in planted} == {"vpr-ma-5", "vpr-ru-5"}
    # No other plant in these schools: each signal stays apart
    other = [p for p in truth(region_xlsx)["planted"] if p["category"] != "skill"]
    busy = {p["school_id"] for p in other if "school_id" in p}
    busy |= {s for p in other for s in p.get("school_ids", [])}
    for plant in planted:
        school = plant["school_id"]
        assert school not in busy
        labels = _labels(plant["subject"], plant["grade"])
        tasks = [labels.index(t) for t in plant["tasks"]]
        rest = [j for j in range(len(labels)) if j not in tasks]
        for year in plant["years"]:
            rows = _form_rows(vpr_rows, plant, year)
            mine = rows[rows["school_id"] == school]
            them = rows[rows["school_id"] != school]
            assert len(mine) >= 15
            code = _completion(mine, tasks)
            assert (code < 57).sum() > len(tasks) / 2, (school, year, code)
            gap_code = _completion(them, tasks).mean() - code.mean()
            gap_rest = (_completion(them, rest) - _completion(mine, rest)).mean()
            assert gap_code - gap_rest > 25, (school, year, gap_code, gap_rest)


def test_skill_plants_in_the_flat_ground_truth(region_xlsx):
    flat = pd.read_csv(region_xlsx / "ground_truth.csv", dtype=str).fillna("")
    skills = flat[flat["category"] == "skill"]
    weak = skills[skills["kind"] == "weak_skill"]
    # One row per weak code and year, with no school
    assert len(weak) == 2 * len(YEARS)
    assert (weak["school_id"] == "").all()
    assert set(zip(weak["form"], weak["code_kind"], weak["code"], strict=True)) == {
        ("vpr-ma-4", "kes", "3.1"),
        ("vpr-ru-4", "kes", "4.1"),
    }
    deficits = skills[skills["kind"] == "skill_deficit"]
    assert len(deficits) == 2 * len(YEARS)
    assert deficits["school_id"].str.fullmatch(r"sch99\d{4}").all()
    others = flat[flat["category"] != "skill"]
    assert (others[["form", "code_kind", "code"]] == "").all().all()
