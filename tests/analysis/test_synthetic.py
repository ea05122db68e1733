"""Planted inflation and low results of synthetic regions are found again.

Reference: the synthetic regions' ground truth (``ground_truth.json``), which
records every school whose results were inflated (and how) and every school
given a low school effect in a hard context. Inflation is checked over four
seeds of small regions; recall and precision over larger regions are printed
by ``python -m bench analysis``.
"""

from __future__ import annotations

import pytest
from synthregion import detection, load_synthetic

from cyclolib.analysis import low_results as lr
from cyclolib.analysis import objectivity as obj

pytestmark = pytest.mark.slow

YEARS = [2023, 2024]


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth")
    con, planted = load_synthetic(
        folder, seed=3, schools=100, years=YEARS, subjects=("ma",)
    )
    yield con, planted
    con.close()


SEEDS = [1, 2, 3, 4]
# The signs written for each planted kind of inflation
KIND_SIGNS = {
    "journal_marks": ["contradicts_marks", "marks_differ_2"],
    "boundary_scores": ["boundary_peaks"],
    "cohort_jump": ["cohort_change"],
}


@pytest.fixture(scope="module")
def seeds_counts(tmp_path_factory):
    """Detection counts summed over seeds and years.

    Each key maps to ``[found, flagged, planted, right]``: planted schools
    flagged, schools flagged, planted schools, and flagged schools that
    inflate in any way. Keys: ``(rule, "any")`` and ``(rule, sign)`` against
    every inflating school of the year; ``(rule, "any", kind)`` against the
    schools of one kind; ``("kind", kind)`` for the signs written for that
    kind, the cohort jump counted in the year after the inflated grade 4 (when
    the fall shows).
    """
    counts: dict[tuple, list[int]] = {}

    def add(key, flagged, planted, truth):
        c = counts.setdefault(key, [0, 0, 0, 0])
        for i, k in enumerate(
            [len(flagged & planted), len(flagged), len(planted), len(flagged & truth)]
        ):
            c[i] += k

    folder = tmp_path_factory.mktemp("seeds")
    for seed in SEEDS:
        con, planted = load_synthetic(folder, seed=seed, schools=80, years=YEARS)
        inflated = [p for p in planted if p["category"] == "inflated"]
        for year in YEARS:
            truth = {p["school_id"] for p in inflated if year in p["years"]}
            for rule in ("federal", "context"):
                detail = obj.objectivity_signs(
                    con, year=year, params={"inflated_mean_rule": rule}
                )
                marked = set(detail.loc[detail["n_signs"] > 0, "school_id"])
                add((rule, "any"), marked, truth, truth)
                for sign in obj.SIGNS:
                    flagged = set(detail.loc[detail[sign], "school_id"])
                    add((rule, sign), flagged, truth, truth)
                for kind, signs in KIND_SIGNS.items():
                    shows = (
                        (lambda p, y=year: y == p["inflated_year"] + 1)
                        if kind == "cohort_jump"
                        else (lambda p, y=year: y in p["years"])
                    )
                    of_kind = {
                        p["school_id"]
                        for p in inflated
                        if p["kind"] == kind and year in p["years"]
                    }
                    add((rule, "any", kind), marked, of_kind, truth)
                    if rule == "federal":
                        of_kind = {
                            p["school_id"]
                            for p in inflated
                            if p["kind"] == kind and shows(p)
                        }
                        flagged = set(
                            detail.loc[detail[signs].any(axis=1), "school_id"]
                        )
                        add(("kind", kind), flagged, of_kind, truth)
        con.close()
    return counts


def _recall(c):
    return c[0] / c[2]


def _precision(c):
    return c[3] / c[1]


def test_every_planted_kind_is_found_by_its_signs(seeds_counts):
    # Measured over seeds 1-4 (80 schools, 2 years): the journal-marks and
    # boundary kinds are found by their own signs 16 and 15 times out of 16,
    # the cohort jump 4 times of 4; of the schools those signs mark, 88 %,
    # 94 % and 57 % inflate (an honest school's cohort can fall too).
    kinds = {k: seeds_counts[("kind", k)] for k in KIND_SIGNS}
    assert kinds["journal_marks"][2] >= 12 and kinds["cohort_jump"][2] >= 3
    bounds = {"journal_marks": 0.7, "boundary_scores": 0.75, "cohort_jump": 0.4}
    for kind, c in kinds.items():
        assert _recall(c) >= 0.75, (kind, c)
        assert _precision(c) >= bounds[kind], (kind, c)

    # Any sign finds every kind, under both rules of the inflated mean
    for rule in ("federal", "context"):
        for kind in KIND_SIGNS:
            c = seeds_counts[(rule, "any", kind)]
            assert _recall(c) >= 0.85, (rule, kind, c)


def test_federal_and_strict_inflated_mean(seeds_counts):
    # The federal inflated mean marks every school reliably above the region's
    # mean, honest strong ones too: measured recall 0.55, precision 0.12. A
    # precision far above 0.3 would mean it no longer follows the 2019 method.
    federal = seeds_counts[("federal", "inflated_mean")]
    assert _recall(federal) >= 0.4
    assert 0.05 <= _precision(federal) <= 0.3
    everything = seeds_counts[("federal", "any")]
    assert _recall(everything) >= 0.9
    assert 0.1 <= _precision(everything) <= 0.35

    # The strict rule marks a tenth as many schools, nearly all of them
    # inflating; the other signs are the same under both rules.
    strict = seeds_counts[("context", "inflated_mean")]
    assert strict[1] <= federal[1] / 10
    assert strict[0] >= strict[1] - 1
    strict_any = seeds_counts[("context", "any")]
    assert _recall(strict_any) >= 0.85
    assert _precision(strict_any) >= 0.7
    for sign in obj.SIGNS:
        if sign != "inflated_mean":
            assert seeds_counts[("context", sign)] == seeds_counts[("federal", sign)]


def test_planted_low_results_are_found(region):
    con, planted = region
    truth = {p["school_id"] for p in planted if p["category"] == "low_results"}
    table = lr.low_results(con, year=YEARS[-1])
    listed = set(table.loc[table["listed"], "school_id"])
    tp, fl, pl = detection(listed, truth)
    assert pl > 0
    assert tp / pl >= 0.6
