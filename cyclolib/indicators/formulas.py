"""Indicator formulas: from students' results to the values of a group.

Every formula is computed in two steps. First the *sums* of a group are
taken (participants, the number of each mark, the sum and the sum of squares
of the scores...). Sums add up, so the database computes them once per class
and rolls them up to schools, municipalities and the region
(:mod:`cyclolib.indicators.compute`). Then the values and their intervals are
derived from the sums by the ``*_from_sums`` functions below. The public
functions (:func:`marks`, :func:`task_completion`...) take a frame of
students' results, compute the sums with pandas and call the same derivation,
so a notebook and ``cyclo compute`` give the same numbers.

Every output is a long frame with the columns of :data:`VALUE_COLUMNS`:
the grouping columns, then ``indicator, task, value, n, ci_low, ci_high,
small_group``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..config import settings
from .stats import mean_interval, two_proportion_z, welch_t, wilson_interval

log = logging.getLogger(__name__)

VALUE_COLUMNS = ["indicator", "task", "value", "n", "ci_low", "ci_high", "small_group"]

# Weights of the marks «5», «4», «3», «2» in the СОУ.
SOU_WEIGHTS = {5: 1.00, 4: 0.64, 3: 0.36, 2: 0.16}

# Indicators produced by each formula, by id: the catalogue names a formula
# and an id, and the id must be one the formula produces.
PRODUCES: dict[str, tuple[str, ...]] = {
    "participation": ("participants", "absent_pct", "coverage_pct"),
    "scores": ("mean_primary_score", "mean_score_pct"),
    "marks": (
        "mean_mark",
        "mark_2_pct",
        "mark_3_pct",
        "mark_4_pct",
        "mark_5_pct",
        "success_pct",
        "quality_pct",
        "sou_pct",
    ),
    "journal_agreement": (
        "journal_lower_pct",
        "journal_same_pct",
        "journal_higher_pct",
        "journal_diff2_pct",
    ),
    "score_distribution": ("score_distribution_pct",),
    "task_completion": (
        "task_completion_pct",
        "task_full_pct",
        "task_partial_pct",
        "task_zero_pct",
    ),
    "code_completion": (
        "kes_completion_pct",
        "kt_completion_pct",
        "level_completion_pct",
    ),
    "ege_results": (
        "ege_mean_test_score",
        "ege_below_min_pct",
        "ege_81_100_pct",
        "ege_100_count",
    ),
    "dynamics": (
        "mean_score_pct_change",
        "mean_score_pct_change_p",
        "success_pct_change",
        "success_pct_change_p",
        "quality_pct_change",
        "quality_pct_change_p",
        "mark_2_pct_change",
        "mark_2_pct_change_p",
    ),
    "equity": ("between_school_pct", "school_gap_top_bottom", "urban_rural_gap"),
}


# ---------------------------------------------------------------- helpers


def _options(confidence, min_group_size):
    conf = settings().get("confidence", 0.95) if confidence is None else confidence
    size = (
        settings().get("min_group_size", 10)
        if min_group_size is None
        else min_group_size
    )
    if not isinstance(size, int | np.integer) or size < 0:
        raise ValueError(
            f"min_group_size должен быть целым числом не меньше 0, получено {size!r}"
        )
    return float(conf), int(size)


def _block(
    keys: pd.DataFrame,
    indicator: str,
    value,
    n,
    low=np.nan,
    high=np.nan,
    *,
    task="",
    min_group_size: int,
) -> pd.DataFrame:
    """One indicator's rows: the group keys followed by the value columns."""
    out = keys.reset_index(drop=True).copy()
    size = len(out)
    # Plain object columns: building text columns row by row is the slow part
    out["indicator"] = pd.Series(np.full(size, indicator, dtype=object), dtype=object)
    tasks = np.full(size, task, dtype=object) if np.isscalar(task) else task
    out["task"] = pd.Series(np.asarray(tasks, dtype=object), dtype=object)
    out["value"] = np.asarray(value, dtype=float)
    n = np.asarray(n, dtype=float)
    out["n"] = np.nan_to_num(n).astype("int64")
    out["ci_low"] = np.broadcast_to(np.asarray(low, dtype=float), len(out))
    out["ci_high"] = np.broadcast_to(np.asarray(high, dtype=float), len(out))
    out["small_group"] = out["n"] < min_group_size
    return out


def _concat(blocks: Sequence[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    blocks = [b for b in blocks if len(b)]
    if not blocks:
        return pd.DataFrame(columns=[*keys, *VALUE_COLUMNS])
    return pd.concat(blocks, ignore_index=True)


def _by_list(by) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{what}: нет столбцов {', '.join(missing)}; "
            f"ожидались {', '.join(columns)}, есть {', '.join(map(str, frame.columns))}"
        )


def _grouped(frame: pd.DataFrame, by: list[str]):
    if by:
        return frame.groupby(by, sort=True, dropna=False)
    return frame.assign(_all=0).groupby("_all")


def _keys(sums: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return sums[by] if by else pd.DataFrame(index=range(len(sums)))


# ------------------------------------------------------ whole-form sums


def form_sums(results: pd.DataFrame, *, by=None) -> pd.DataFrame:
    """Sums of the whole-form indicators per group of students' results.

    Parameters
    ----------
    results : DataFrame
        One row per student and form with ``absent`` and, for participants,
        ``primary_score``, ``max_score`` (the form's maximum), ``mark``; optional
        ``journal_mark``, ``test_score``, ``min_score`` (the ЕГЭ minimum of the
        subject), ``enrolment`` (students of the grade in the school, the same
        on every row of that school; NaN where unknown) and ``school_id``.
    by : str or list of str, optional
        Grouping columns; the whole frame is one group when omitted.

    Returns
    -------
    DataFrame
        The grouping columns and the sums named as in
        :func:`form_indicators_from_sums`.
    """
    by = _by_list(by)
    _require(results, ["absent", "primary_score", "mark"], "Результаты")
    df = results.copy()
    # Plain floats: nullable integer columns (as read from the database) would
    # turn comparisons with missing marks into NA
    for col in (
        "primary_score",
        "max_score",
        "mark",
        "journal_mark",
        "test_score",
        "min_score",
        "enrolment",
    ):
        if col in df:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    part = ~df["absent"].astype(bool)
    pct = 100 * df["primary_score"] / df.get("max_score", np.nan)
    mark = df["mark"].where(part)
    jm = (
        df["journal_mark"].where(part)
        if "journal_mark" in df
        else pd.Series(np.nan, df.index)
    )
    both = mark.notna() & jm.notna()
    d = mark - jm
    test = (
        df["test_score"].where(part)
        if "test_score" in df
        else pd.Series(np.nan, df.index)
    )
    minimum = df["min_score"] if "min_score" in df else pd.Series(np.nan, df.index)
    cols = {
        "listed": 1,
        "absent": (~part).astype(int),
        "n": part.astype(int),
        "s_score": df["primary_score"].where(part).fillna(0),
        "ss_score": (df["primary_score"].where(part) ** 2).fillna(0),
        "n_pct": (part & pct.notna()).astype(int),
        "s_pct": pct.where(part).fillna(0),
        "ss_pct": (pct.where(part) ** 2).fillna(0),
        "n_mark": mark.notna().astype(int),
        **{f"n{m}": (mark == m).astype(int) for m in (2, 3, 4, 5)},
        "n_journal": both.astype(int),
        "j_lower": (both & (d < 0)).astype(int),
        "j_same": (both & (d == 0)).astype(int),
        "j_higher": (both & (d > 0)).astype(int),
        "j_diff2": (both & (d.abs() >= 2)).astype(int),
        "n_test": test.notna().astype(int),
        "s_test": test.fillna(0),
        "ss_test": (test**2).fillna(0),
        "n_min": (test.notna() & minimum.notna()).astype(int),
        "n_below": (test < minimum).astype(int),
        "n_81": (test >= 81).astype(int),
        "n_100": (test >= 100).astype(int),
    }
    work = pd.DataFrame(cols, index=df.index)
    for c in by:
        work[c] = df[c]
    sums = _grouped(work, by)[list(cols)].sum().reset_index()
    sums = sums.drop(columns=["_all"], errors="ignore")

    # Enrolment: once per school, over schools where it is known
    if "enrolment" in df and "school_id" in df:
        per_school = (
            df.assign(_part=part.astype(int))
            .groupby(list(dict.fromkeys([*by, "school_id"])), dropna=False)
            .agg(enrol=("enrolment", "first"), part=("_part", "sum"))
            .reset_index()
        )
        known = per_school[per_school["enrol"].notna()]
        enr = (
            _grouped(known, by)[["enrol", "part"]]
            .sum()
            .reset_index()
            .drop(columns=["_all"], errors="ignore")
            .rename(columns={"part": "enrol_part"})
        )
        sums = (
            sums.merge(enr, on=by, how="left")
            if by
            else sums.assign(
                enrol=enr["enrol"].sum(), enrol_part=enr["enrol_part"].sum()
            )
        )
    else:
        sums["enrol"] = np.nan
        sums["enrol_part"] = np.nan
    return sums


def form_indicators_from_sums(
    sums: pd.DataFrame,
    by: list[str],
    *,
    confidence: float,
    min_group_size: int,
    ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Whole-form indicators of each group from the sums of :func:`form_sums`.

    ``ids`` restricts the output to these indicators. See :func:`participation`,
    :func:`scores`, :func:`marks`, :func:`journal_agreement` and
    :func:`ege_results` for the formulas.
    """
    k = _keys(sums, by)
    g = {c: sums[c].to_numpy(dtype=float) for c in sums.columns if c not in by}
    n, conf, mg = g["n"], confidence, min_group_size
    blocks: list[pd.DataFrame] = []

    def add(ind, value, count, low=np.nan, high=np.nan):
        if ids is None or ind in ids:
            blocks.append(_block(k, ind, value, count, low, high, min_group_size=mg))

    def share(ind, hits, total):
        if ids is None or ind in ids:
            add(ind, *_reorder(wilson_interval(hits, total, confidence=conf), total))

    # Participation
    add("participants", n, n)
    share("absent_pct", g["absent"], g["listed"])
    if "coverage_pct" in (ids or ["coverage_pct"]):
        enrol = np.nan_to_num(g.get("enrol", np.full_like(n, np.nan)))
        part = np.nan_to_num(g.get("enrol_part", np.full_like(n, np.nan)))
        hits = np.minimum(part, enrol)
        v, lo, hi = wilson_interval(hits, enrol, confidence=conf)
        with np.errstate(invalid="ignore", divide="ignore"):
            v = np.where(enrol > 0, 100 * part / enrol, np.nan)
        add("coverage_pct", v, enrol, lo, hi)

    # Scores
    add(
        "mean_primary_score",
        *_reorder(mean_interval(g["s_score"], g["ss_score"], n, confidence=conf), n),
    )
    add(
        "mean_score_pct",
        *_reorder(
            mean_interval(g["s_pct"], g["ss_pct"], g["n_pct"], confidence=conf),
            g["n_pct"],
        ),
    )

    # Marks
    nm = g["n_mark"]
    counts = {m: g[f"n{m}"] for m in (2, 3, 4, 5)}
    s_mark = sum(m * c for m, c in counts.items())
    ss_mark = sum(m * m * c for m, c in counts.items())
    mean, lo, hi = mean_interval(s_mark, ss_mark, nm, confidence=conf)
    add("mean_mark", mean, nm, *_clip(lo, hi, 2, 5))
    for m in (2, 3, 4, 5):
        share(f"mark_{m}_pct", counts[m], nm)
    share("success_pct", counts[3] + counts[4] + counts[5], nm)
    share("quality_pct", counts[4] + counts[5], nm)
    s_sou = sum(SOU_WEIGHTS[m] * c for m, c in counts.items())
    ss_sou = sum(SOU_WEIGHTS[m] ** 2 * c for m, c in counts.items())
    mean, lo, hi = mean_interval(s_sou, ss_sou, nm, confidence=conf)
    add("sou_pct", 100 * mean, nm, *_clip(100 * lo, 100 * hi, 0, 100))

    # Agreement with journal marks
    nj = g["n_journal"]
    share("journal_lower_pct", g["j_lower"], nj)
    share("journal_same_pct", g["j_same"], nj)
    share("journal_higher_pct", g["j_higher"], nj)
    share("journal_diff2_pct", g["j_diff2"], nj)

    # ЕГЭ: only groups with test scores
    has = g["n_test"] > 0
    if has.any():
        sub = {c: v[has] for c, v in g.items()}
        kk = k[has].reset_index(drop=True)
        nt = sub["n_test"]

        def add_e(ind, value, count, low=np.nan, high=np.nan):
            if ids is None or ind in ids:
                blocks.append(
                    _block(kk, ind, value, count, low, high, min_group_size=mg)
                )

        add_e(
            "ege_mean_test_score",
            *_reorder(
                mean_interval(sub["s_test"], sub["ss_test"], nt, confidence=conf), nt
            ),
        )
        add_e(
            "ege_below_min_pct",
            *_reorder(
                wilson_interval(sub["n_below"], sub["n_min"], confidence=conf),
                sub["n_min"],
            ),
        )
        add_e(
            "ege_81_100_pct",
            *_reorder(wilson_interval(sub["n_81"], nt, confidence=conf), nt),
        )
        add_e("ege_100_count", sub["n_100"], nt)
    return _concat(blocks, by)


def _clip(low, high, lowest, highest):
    """An interval kept within the possible values of the indicator."""
    return np.clip(low, lowest, highest), np.clip(high, lowest, highest)


def _reorder(triple, n):
    value, low, high = triple
    return value, n, low, high


def participation(results, *, by=None, confidence=None, min_group_size=None):
    """Participants, absent share and coverage of each group.

    Parameters
    ----------
    results : DataFrame
        One row per listed student: ``absent`` (bool), ``primary_score``,
        ``mark``; for coverage ``school_id`` and ``enrolment`` (students of the
        grade in the school, from the school context form; NaN where unknown).
    by : str or list of str, optional
        Grouping columns (e.g. ``"school_id"``); one group when omitted.
    confidence : float, optional
        Level of the intervals; ``settings.yaml`` ``confidence`` by default.
    min_group_size : int, optional
        Groups with fewer participants are flagged ``small_group``;
        ``settings.yaml`` ``min_group_size`` by default.

    Returns
    -------
    DataFrame
        Grouping columns, then ``indicator, task, value, n, ci_low, ci_high,
        small_group`` with the indicators

        * ``participants`` — students who wrote the work (not absent); n is the
          same number, no interval;
        * ``absent_pct`` — 100 · absent / listed, n = listed;
        * ``coverage_pct`` — 100 · participants / enrolment, over the schools of
          the group whose enrolment is known; n = that enrolment.

    Notes
    -----
    Shares carry the Wilson interval. Edge cases: a group with nobody listed
    has NaN shares; a school whose listed students were all absent counts
    with its enrolment (its coverage is 0); where no school's enrolment is
    known coverage is NaN with n = 0 (it is never guessed); more participants
    than enrolled (a late transfer, an outdated context form) gives a value
    above 100 that is kept, while the interval is computed on the value
    capped at 100.

    Source: the participation statistics of ФИС ОКО reports on ВПР.
    """
    return _form_public(results, by, confidence, min_group_size, "participation")


def scores(results, *, by=None, confidence=None, min_group_size=None):
    """Mean primary score and mean percent of the maximum.

    Parameters
    ----------
    results : DataFrame
        ``absent``, ``primary_score``, ``mark`` and ``max_score`` (the form's
        maximum primary score) per student.
    by, confidence, min_group_size
        As in :func:`participation`.

    Returns
    -------
    DataFrame
        ``mean_primary_score`` (:math:`\\bar x = \\sum x_i / N`) and
        ``mean_score_pct`` (:math:`\\sum 100\\,x_i/\\max / N`) with Student t
        intervals :math:`\\bar x \\pm t_{N-1}\\,s/\\sqrt N`; n = participants.

    Notes
    -----
    Absent students are left out. A group of one participant has a value
    and no interval; an empty group has NaN. A score above the maximum (seen
    in real exports) is kept as it is: the loaders report it.

    Source: the mean primary score and the mean percent of completion of the
    ФИС ОКО statistical reports on ВПР, as used by the methodology of the
    joint order of Рособрнадзор and Минпросвещения of 06.05.2019
    № 590/219 (оценка качества общего образования).
    """
    return _form_public(results, by, confidence, min_group_size, "scores")


def marks(results, *, by=None, confidence=None, min_group_size=None):
    """Mark distribution, success, quality, СОУ and mean mark.

    Parameters
    ----------
    results : DataFrame
        ``absent``, ``primary_score`` and ``mark`` (2–5) per student.
    by, confidence, min_group_size
        As in :func:`participation`.

    Returns
    -------
    DataFrame
        With :math:`n_m` the number of participants with mark *m* and
        :math:`N = n_2+n_3+n_4+n_5`:

        * ``mark_2_pct`` … ``mark_5_pct`` — :math:`100\\,n_m/N`;
        * ``success_pct`` (успеваемость) — :math:`100\\,(n_3+n_4+n_5)/N`;
        * ``quality_pct`` (качество знаний) — :math:`100\\,(n_4+n_5)/N`;
        * ``sou_pct`` (степень обученности) —
          :math:`(1.00 n_5 + 0.64 n_4 + 0.36 n_3 + 0.16 n_2)/N \\cdot 100`;
        * ``mean_mark`` — :math:`\\sum m\\,n_m / N`.

    Notes
    -----
    Shares carry Wilson intervals. The СОУ is the mean of a weight per
    student (1.00, 0.64, 0.36, 0.16), so its interval is the t interval of
    that mean, as is the mean mark's; both intervals are cut to the
    possible values (0–100 %, marks 2–5). Participants without a mark are left
    out of N. A municipality's or region's value is computed over its
    students, never as a mean of its schools' values (ФИС ОКО; the СОУ
    after В. П. Симонов).
    """
    return _form_public(results, by, confidence, min_group_size, "marks")


def journal_agreement(results, *, by=None, confidence=None, min_group_size=None):
    """Agreement of the work's marks with the journal marks.

    Parameters
    ----------
    results : DataFrame
        ``absent``, ``primary_score``, ``mark`` and ``journal_mark`` (the
        school's mark for the previous term, 2–5 or NaN).
    by, confidence, min_group_size
        As in :func:`participation`.

    Returns
    -------
    DataFrame
        Over the :math:`N_j` participants who have both marks:

        * ``journal_lower_pct`` («понизили») — 100 · #(mark < journal) / N_j;
        * ``journal_same_pct`` («подтвердили») — 100 · #(mark = journal) / N_j;
        * ``journal_higher_pct`` («повысили») — 100 · #(mark > journal) / N_j;
        * ``journal_diff2_pct`` — 100 · #(|mark − journal| ≥ 2) / N_j.

        n = N_j; Wilson intervals.

    Notes
    -----
    Students without a journal mark (missing, «нет отметки», invalid) are
    left out; when nobody has both marks the values are NaN with n = 0.
    Source: the «Сравнение отметок с отметками по журналу» table of ФИС ОКО
    and the 2022 recommendations on signs of non-objective results.
    """
    return _form_public(results, by, confidence, min_group_size, "journal_agreement")


def ege_results(results, *, by=None, confidence=None, min_group_size=None):
    """ЕГЭ: mean test score, share below the minimum, 81–100 and 100s.

    Parameters
    ----------
    results : DataFrame
        ``absent``, ``primary_score``, ``mark``, ``test_score`` (0–100) and
        ``min_score`` (the subject's minimum, see ``params/indicators.yaml``
        ``ege_minimum``).
    by, confidence, min_group_size
        As in :func:`participation`.

    Returns
    -------
    DataFrame
        * ``ege_mean_test_score`` — mean test score, t interval;
        * ``ege_below_min_pct`` — 100 · #(test score < minimum) / N, over
          participants whose subject has a minimum;
        * ``ege_81_100_pct`` — 100 · #(81 ≤ score) / N;
        * ``ege_100_count`` — the number of 100-point results.

    Notes
    -----
    Groups without test scores give no rows. Minima of 2026 (Рособрнадзор):
    Russian 24 (36 for university admission), profile maths 27, physics,
    chemistry, biology 36, informatics 40, history 32, geography 37, social
    studies 42, literature 32, foreign languages 22.
    """
    return _form_public(results, by, confidence, min_group_size, "ege_results")


def _form_public(results, by, confidence, min_group_size, formula):
    conf, size = _options(confidence, min_group_size)
    by = _by_list(by)
    sums = form_sums(results, by=by)
    return form_indicators_from_sums(
        sums, by, confidence=conf, min_group_size=size, ids=PRODUCES[formula]
    )


# ---------------------------------------------------- score distribution


def score_distribution_from_counts(counts, by, *, confidence, min_group_size):
    """Rows of ``score_distribution_pct`` from ``by + [score, count, n]``."""
    v, lo, hi = wilson_interval(counts["count"], counts["n"], confidence=confidence)
    score = counts["score"].to_numpy(dtype=float)
    labels = np.where(
        score == np.round(score),
        np.round(score).astype("int64").astype(str),
        score.astype(str),
    )
    return _block(
        _keys(counts, by),
        "score_distribution_pct",
        v,
        counts["n"],
        lo,
        hi,
        task=labels,
        min_group_size=min_group_size,
    )


def score_distribution(results, *, by=None, confidence=None, min_group_size=None):
    """Percent of participants at each primary score.

    Parameters
    ----------
    results : DataFrame
        ``absent`` and ``primary_score`` per student.
    by, confidence, min_group_size
        As in :func:`participation`.

    Returns
    -------
    DataFrame
        ``score_distribution_pct`` with the score in ``task`` (as text, ``"7"``)
        and value :math:`100\\,n_x/N`, Wilson interval; scores nobody got are
        absent from the output.

    Notes
    -----
    Peaks just above the minimum score of a mark hint at lenient marking
    (recommendations of 2022 on signs of non-objective results). A
    distribution needs about 50 participants (``settings.yaml``
    ``min_distribution_size``): smaller groups are still computed and
    flagged ``small_group`` by ``min_group_size``.
    """
    conf, size = _options(confidence, min_group_size)
    by = _by_list(by)
    part = results[~results["absent"].astype(bool) & results["primary_score"].notna()]
    counts = (
        part.groupby([*by, "primary_score"], dropna=False)
        .size()
        .rename("count")
        .reset_index()
        .rename(columns={"primary_score": "score"})
    )
    totals = (
        counts.groupby(by)["count"].transform("sum") if by else counts["count"].sum()
    )
    counts["n"] = totals
    return score_distribution_from_counts(
        counts, by, confidence=conf, min_group_size=size
    )


# ------------------------------------------------------------------ tasks


def task_indicators_from_sums(sums, by, *, confidence, min_group_size):
    """Task rows from ``by + [task, max_score, n, s_points, ss_frac, n_full,
    n_zero]`` (see :func:`task_completion`)."""
    k = _keys(sums, by)
    n = sums["n"].to_numpy(dtype=float)
    mx = sums["max_score"].to_numpy(dtype=float)
    task = sums["task"].astype(str).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        mean, lo, hi = mean_interval(
            sums["s_points"].to_numpy(dtype=float) / mx,
            sums["ss_frac"],
            n,
            confidence=confidence,
        )
    full, zero = (
        sums["n_full"].to_numpy(dtype=float),
        sums["n_zero"].to_numpy(dtype=float),
    )
    blocks = [
        _block(
            k,
            "task_completion_pct",
            100 * mean,
            n,
            *_clip(100 * lo, 100 * hi, 0, 100),
            task=task,
            min_group_size=min_group_size,
        )
    ]
    for ind, hits in (
        ("task_full_pct", full),
        ("task_partial_pct", n - full - zero),
        ("task_zero_pct", zero),
    ):
        v, lo, hi = wilson_interval(hits, n, confidence=confidence)
        blocks.append(
            _block(k, ind, v, n, lo, hi, task=task, min_group_size=min_group_size)
        )
    return _concat(blocks, by)


def task_completion(task_scores, *, by=None, confidence=None, min_group_size=None):
    """Completion of each task, and the shares with full, partial, zero credit.

    Parameters
    ----------
    task_scores : DataFrame
        One row per participant (not absent) and task: ``task`` (label),
        ``score`` (points; NaN means not done and counts as 0) and
        ``max_score`` (the task's maximum).
    by, confidence, min_group_size
        As in :func:`participation`.

    Returns
    -------
    DataFrame
        With :math:`N` participants and :math:`x_i` the points of participant
        *i*, per task (label in ``task``):

        * ``task_completion_pct`` — :math:`\\sum x_i / (N \\cdot \\max) \\cdot 100`,
          t interval of the mean of :math:`x_i/\\max`;
        * ``task_full_pct`` — 100 · #(x = max) / N;
        * ``task_partial_pct`` — 100 · #(0 < x < max) / N;
        * ``task_zero_pct`` — 100 · #(x = 0) / N, Wilson intervals.

    Notes
    -----
    The completion interval is cut to 0–100 %. Source: the
    task-completion tables of ФИС ОКО. A task with no maximum
    (unknown form) gives NaN completion. Points above the maximum count as
    full credit and are kept in the sum (the loaders reject such rows).
    Use :func:`task_status` to read a completion against the reference
    levels.
    """
    conf, size = _options(confidence, min_group_size)
    by = _by_list(by)
    _require(task_scores, ["task", "score", "max_score"], "Баллы за задания")
    df = task_scores.assign(score=task_scores["score"].fillna(0))
    frac = df["score"] / df["max_score"]
    work = df.assign(
        n=1,
        s_points=df["score"],
        ss_frac=frac**2,
        n_full=(df["score"] >= df["max_score"]).astype(int),
        n_zero=(df["score"] <= 0).astype(int),
    )
    sums = (
        work.groupby([*by, "task", "max_score"], sort=False, dropna=False)[
            ["n", "s_points", "ss_frac", "n_full", "n_zero"]
        ]
        .sum()
        .reset_index()
    )
    return task_indicators_from_sums(sums, by, confidence=conf, min_group_size=size)


def code_indicators_from_sums(sums, by, *, confidence, min_group_size):
    """Rows of ``kes/kt/level_completion_pct`` from ``by + [kind, code, n,
    s_frac, ss_frac]``: the number of participants, the sum and the sum of
    squares of their fractions of the code's maximum (see
    :func:`code_completion`)."""
    blocks = []
    for kind in ("kes", "kt", "level"):
        part = sums[sums["kind"] == kind]
        if part.empty:
            continue
        n = part["n"].to_numpy(dtype=float)
        mean, lo, hi = mean_interval(
            part["s_frac"], part["ss_frac"], n, confidence=confidence
        )
        blocks.append(
            _block(
                _keys(part, by),
                f"{kind}_completion_pct",
                100 * mean,
                n,
                *_clip(100 * lo, 100 * hi, 0, 100),
                task=part["code"].astype(str).to_numpy(),
                min_group_size=min_group_size,
            )
        )
    return _concat(blocks, by)


def code_completion(
    task_scores,
    codes,
    *,
    by=None,
    student="result_id",
    confidence=None,
    min_group_size=None,
):
    """Completion per КЭС code, per КТ code and per difficulty level.

    Parameters
    ----------
    task_scores : DataFrame
        As for :func:`task_completion`, plus the ``student`` column (who wrote
        the row) and ``level`` (Б, П, В or NaN).
    codes : DataFrame
        ``task``, ``kind`` (``kes`` or ``kt``) and ``code``: the codes each
        task checks (a task may check several).
    by : str or list of str, optional
        As in :func:`participation`.
    student : str
        The column naming the participant of each row (``result_id`` in the
        database: one student and form).
    confidence, min_group_size
        As in :func:`participation`.

    Returns
    -------
    DataFrame
        ``kes_completion_pct``, ``kt_completion_pct``, ``level_completion_pct``
        with the code (or level letter) in ``task``. With :math:`x_{it}` the
        points of participant *i* for task *t* and :math:`T` the tasks of the
        code, each participant's fraction of the code's maximum is
        :math:`f_i = \\sum_{t \\in T} x_{it} / \\sum_{t \\in T} \\max_t`, and

        .. math:: \\text{value} = 100\\,\\bar f = \\frac{100}{N}\\sum_i f_i,

        the Student t interval :math:`100\\,(\\bar f \\pm t_{N-1}\\,s_f/\\sqrt N)`
        cut to 0–100; n = N, the participants with a fraction.

    Notes
    -----
    Every participant of one form has the same tasks, so :math:`\\bar f`
    equals the pooled :math:`\\sum_{i,t} x_{it} / (N \\sum_{t} \\max_t)` of the
    ФИС ОКО task tables. The tasks of one code are answered by the same
    students, so their points are not independent; the fractions
    :math:`f_i` of different students are, which is why the interval is taken
    over students. Edge cases: a task not done (NaN points) counts 0; a row
    without a maximum is left out of both sums; a participant without any
    row of the code (or with a zero maximum) has no fraction and is not
    counted; a group of one participant has a value and no interval; tasks
    without a level are left out of ``level_completion_pct``.

    Source: the codes and levels of the КИМ description (кодификатор КЭС and
    КТ of each ВПР form), the completion formula of the ФИС ОКО task tables,
    read against the reference levels of the 2026 recommendations on using
    ВПР results (see :func:`task_status`).
    """
    conf, size = _options(confidence, min_group_size)
    by = _by_list(by)
    needed = ["task", "score", "max_score", student, "level"]
    _require(task_scores, needed, "Баллы за задания")
    _require(codes, ["task", "kind", "code"], "Коды заданий")

    # Each row once per code of its task, and once for its level
    df = task_scores[task_scores["max_score"].notna()]
    df = df.assign(score=df["score"].fillna(0))
    keyed = pd.concat(
        [
            df.merge(codes[["task", "kind", "code"]].drop_duplicates(), on="task"),
            df[df["level"].notna()].assign(kind="level", code=df["level"]),
        ],
        ignore_index=True,
    )

    # Each participant's fraction of the code's maximum
    per = (
        keyed.groupby([*by, student, "kind", "code"], sort=False, dropna=False)
        .agg(points=("score", "sum"), top=("max_score", "sum"))
        .reset_index()
    )
    per["frac"] = per["points"] / per["top"].where(per["top"] > 0)
    per = per[per["frac"].notna()]
    per = per.assign(n=1, sq=per["frac"] ** 2)

    # Sums of the fractions per group and code
    sums = (
        per.groupby([*by, "kind", "code"], sort=True, dropna=False)
        .agg(n=("n", "sum"), s_frac=("frac", "sum"), ss_frac=("sq", "sum"))
        .reset_index()
    )
    return code_indicators_from_sums(sums, by, confidence=conf, min_group_size=size)


#: The statuses of :func:`task_status` and :func:`code_status` in words.
STATUS_NAMES = {
    "sufficient": "достаточно",
    "uncertain": "неопределённо",
    "insufficient": "недостаточно",
}


def task_status(completion, level, *, levels=None) -> pd.Series:
    """Read a task's completion against the reference levels.

    Parameters
    ----------
    completion : array_like
        Completion in percent.
    level : array_like
        The task's difficulty level: ``Б`` (basic), ``П`` or ``В``.
    levels : dict, optional
        ``{"basic": {"sufficient", "insufficient"}, "advanced": {...}}``;
        ``settings.yaml`` ``task_levels`` by default.

    Returns
    -------
    Series of str
        ``sufficient`` when completion ≥ the sufficient level,
        ``insufficient`` below the insufficient level, ``uncertain`` in
        between; NaN where completion or level is unknown.

    Notes
    -----
    2026 recommendations: basic tasks sufficient at ≥ 60 %, insufficient
    below 57 %; advanced and high tasks sufficient at ≥ 30 %, insufficient
    below 28.5 %.
    """
    levels = levels or settings()["task_levels"]
    comp = pd.Series(np.asarray(completion, dtype=float))
    lev = pd.Series(np.asarray(level, dtype=object))
    unknown = set(lev.dropna()) - {"Б", "П", "В"}
    if unknown:
        raise ValueError(
            f"Уровень сложности задания должен быть Б, П или В, получено "
            f"{', '.join(sorted(map(str, unknown)))}"
        )
    kind = lev.map({"Б": "basic", "П": "advanced", "В": "advanced"})
    suff = kind.map(lambda k: levels[k]["sufficient"] if isinstance(k, str) else np.nan)
    insuff = kind.map(
        lambda k: levels[k]["insufficient"] if isinstance(k, str) else np.nan
    )
    out = pd.Series(
        np.where(
            comp >= suff,
            "sufficient",
            np.where(comp < insuff, "insufficient", "uncertain"),
        ),
        dtype=object,
    )
    return out.where(comp.notna() & kind.notna())


CODE_INDICATORS = {
    "kes_completion_pct": "kes",
    "kt_completion_pct": "kt",
    "level_completion_pct": "level",
}


def code_status(code_values, task_values, codes, *, by=None, levels=None):
    """Read the completion of each КЭС, КТ code and level as sufficient or not.

    Parameters
    ----------
    code_values : DataFrame
        Rows of ``kes_completion_pct``, ``kt_completion_pct`` and
        ``level_completion_pct`` (as :func:`code_completion` or the stored
        values give them): the ``by`` columns, ``indicator``, ``task`` (the
        code, or the level letter), ``value`` and optionally
        ``small_group``. Rows of other indicators are kept without a status.
    task_values : DataFrame
        The same groups' ``task_completion_pct``: the ``by`` columns,
        ``task``, ``value`` (percent) and ``task_level`` (the task's
        difficulty level Б, П, В or NaN; not ``level``, which names the
        level of the unit in stored values).
    codes : DataFrame
        ``task``, ``kind`` (``kes`` or ``kt``) and ``code``: the codes each
        task checks, with those ``by`` columns that tell the forms apart
        (``study, subject, grade``...) where several forms are read at once.
    by : str or list of str, optional
        The columns naming a group (a form of a unit); one group when omitted.
    levels : dict, optional
        Reference levels as for :func:`task_status`.

    Returns
    -------
    DataFrame
        ``code_values`` with three columns added:

        * ``tasks`` — the tasks of the code (of the level) with a status;
        * ``insufficient_tasks`` — how many of them are insufficient;
        * ``status`` — ``sufficient``, ``uncertain`` or ``insufficient``:

          - a level is read against its own reference level, as a task of
            that level: :func:`task_status` of the level's completion;
          - a КЭС or КТ code is a deficit (``insufficient``) when more than
            half of its tasks are insufficient, ``sufficient`` when more
            than half are sufficient, ``uncertain`` otherwise.

        NaN status where no task of the code has a status, and for rows
        flagged ``small_group``.

    Notes
    -----
    A code checked by tasks of different levels mixes reference levels
    (60 % for basic tasks, 30 % for advanced ones), so its own completion
    has no single reference level: it is read through its tasks. Groups
    under the minimum size get no status: DOMAIN's groups under 10
    participants are too small for conclusions on skills.

    Source: the reference levels of the 2026 recommendations on using ВПР
    results (basic tasks sufficient at ≥ 60 %, insufficient below 57 %;
    advanced and high at 30 % and 28.5 %) and their rule that a skill whose
    tasks are mostly insufficient is a deficit; the codes of the КИМ
    description (кодификатор КЭС and КТ).
    """
    by = _by_list(by)
    _require(code_values, [*by, "indicator", "task", "value"], "Значения по кодам")
    needed = [*by, "task", "value", "task_level"]
    _require(task_values, needed, "Выполнение заданий")
    _require(codes, ["task", "kind", "code"], "Коды заданий")
    out = code_values.copy()
    kind = out["indicator"].map(CODE_INDICATORS)

    # Each task's status in its group, and its codes (and its level)
    tasks = task_values[needed].copy()
    known = tasks["task_level"].where(tasks["task_level"].isin(["Б", "П", "В"]))
    tasks["status"] = task_status(tasks["value"], known, levels=levels).to_numpy()
    tasks = tasks[tasks["status"].notna()]
    on = ["task", *[c for c in by if c in codes.columns]]
    keyed = pd.concat(
        [
            tasks.merge(codes[[*on, "kind", "code"]].drop_duplicates(), on=on),
            tasks.assign(kind="level", code=tasks["task_level"]),
        ],
        ignore_index=True,
    )

    # Counts of the tasks of each code by status
    counts = (
        keyed.assign(
            insufficient=keyed["status"].eq("insufficient").astype(int),
            sufficient=keyed["status"].eq("sufficient").astype(int),
        )
        .groupby([*by, "kind", "code"], dropna=False)[["insufficient", "sufficient"]]
        .agg(["size", "sum"])
    )
    counts.columns = ["tasks", "insufficient_tasks", "_", "sufficient_tasks"]
    counts = counts.drop(columns="_").reset_index()
    merged = out.assign(kind=kind, code=out["task"].astype(str)).merge(
        counts, on=[*by, "kind", "code"], how="left"
    )
    total = merged["tasks"]
    by_tasks = np.where(
        merged["insufficient_tasks"] > total / 2,
        "insufficient",
        np.where(merged["sufficient_tasks"] > total / 2, "sufficient", "uncertain"),
    )
    by_level = task_status(
        merged["value"],
        merged["code"].where(
            merged["kind"].eq("level") & merged["code"].isin(["Б", "П", "В"])
        ),
        levels=levels,
    )
    status = pd.Series(
        np.where(merged["kind"].eq("level"), by_level, by_tasks), dtype=object
    )
    # No status without tasks, for an unknown level letter, for small groups
    level = merged["kind"].eq("level")
    keep = merged["kind"].notna() & (total > 0) & (~level | by_level.notna())
    if "small_group" in merged:
        keep &= ~merged["small_group"].astype(bool)
    out["tasks"] = total.fillna(0).astype(int).to_numpy()
    out["insufficient_tasks"] = (
        merged["insufficient_tasks"].fillna(0).astype(int).to_numpy()
    )
    out["status"] = status.where(keep.to_numpy()).to_numpy()
    return out


# --------------------------------------------------------------- dynamics


def dynamics_from_sums(now, before, by, *, confidence, min_group_size):
    """Change rows from the whole-form sums of two years, matched on ``by``."""
    m = now.merge(before, on=by, suffixes=("", "_0"))
    k = _keys(m, by)
    n1, n0 = m["n_mark"], m["n_mark_0"]
    blocks = []
    d, lo, hi, p = welch_t(
        m["s_pct"],
        m["ss_pct"],
        m["n_pct"],
        m["s_pct_0"],
        m["ss_pct_0"],
        m["n_pct_0"],
        confidence=confidence,
    )
    blocks += [
        _block(
            k,
            "mean_score_pct_change",
            d,
            m["n_pct"],
            lo,
            hi,
            min_group_size=min_group_size,
        ),
        _block(
            k, "mean_score_pct_change_p", p, m["n_pct"], min_group_size=min_group_size
        ),
    ]
    for ind, cols in (
        ("success_pct", ("n3", "n4", "n5")),
        ("quality_pct", ("n4", "n5")),
        ("mark_2_pct", ("n2",)),
    ):
        k1 = sum(m[c] for c in cols)
        k0 = sum(m[f"{c}_0"] for c in cols)
        d, lo, hi, p = two_proportion_z(k1, n1, k0, n0, confidence=confidence)
        blocks += [
            _block(k, f"{ind}_change", d, n1, lo, hi, min_group_size=min_group_size),
            _block(k, f"{ind}_change_p", p, n1, min_group_size=min_group_size),
        ]
    return _concat(blocks, by)


def dynamics(now, before, *, by=None, confidence=None, min_group_size=None):
    """Change of mean % of maximum, success, quality and «2» from the previous year.

    Parameters
    ----------
    now, before : DataFrame
        Students' results of the current and of the previous year (columns as
        for :func:`scores` and :func:`marks`), for the same study, subject
        and grade.
    by, confidence, min_group_size
        As in :func:`participation`; groups present in both years are
        compared.

    Returns
    -------
    DataFrame
        * ``mean_score_pct_change`` — :math:`\\bar x_1 - \\bar x_0` in points
          of percent, Welch's interval; ``mean_score_pct_change_p`` — the
          two-sided p-value of Welch's t test;
        * ``success_pct_change``, ``quality_pct_change``,
          ``mark_2_pct_change`` (the share of «2») —
          :math:`100(\\hat p_1-\\hat p_0)`, Wald interval;
          ``*_change_p`` — p of the pooled two-proportion z test.

        n is the current year's participants.

    Notes
    -----
    The two years' students are treated as independent samples (they are
    different cohorts of the same grade). A p-value is NaN when a group has
    fewer than two participants in either year.

    Source: «анализ динамики результатов оценки учебных достижений» of
    stage 8 of the cyclogram (the methodology the suite implements), with the
    regional statute on the education-quality assessment system as the
    catalogue's normative document. The tests: Welch's t test for two
    means with unequal variances (Welch, 1947, *Biometrika* 34, 28–35) and
    the pooled two-proportion z test (Agresti, *Categorical Data Analysis*,
    3rd ed., 2013, §3.1).
    """
    conf, size = _options(confidence, min_group_size)
    by = _by_list(by)
    a, b = form_sums(now, by=by), form_sums(before, by=by)
    if not by:
        a, b = a.assign(_all=0), b.assign(_all=0)
        out = dynamics_from_sums(a, b, ["_all"], confidence=conf, min_group_size=size)
        return out.drop(columns="_all")
    return dynamics_from_sums(a, b, by, confidence=conf, min_group_size=size)


# ----------------------------------------------------------------- equity


def icc1_from_sums(n, s, ss, *, confidence=0.95):
    """ICC(1) of a one-way ANOVA from the groups' sizes, sums and squares.

    Returns ``(icc, low, high)`` as fractions; NaN with fewer than two groups
    or no within-group variance. See :func:`equity` for the formula.
    """
    n, s, ss = (np.asarray(a, dtype=float) for a in (n, s, ss))
    keep = n > 0
    n, s, ss = n[keep], s[keep], ss[keep]
    k, total = len(n), n.sum()
    if k < 2 or total - k < 1:
        return np.nan, np.nan, np.nan
    ssw = np.sum(ss - s * s / n)
    ssb = np.sum(s * s / n) - s.sum() ** 2 / total
    msb, msw = ssb / (k - 1), ssw / (total - k)
    if msw <= 0:
        return np.nan, np.nan, np.nan
    n0 = (total - np.sum(n * n) / total) / (k - 1)
    icc = (msb - msw) / (msb + (n0 - 1) * msw)
    f = msb / msw
    alpha = 1 - confidence
    f_low = f / sps.f.ppf(1 - alpha / 2, k - 1, total - k)
    f_high = f * sps.f.ppf(1 - alpha / 2, total - k, k - 1)
    low = (f_low - 1) / (f_low + n0 - 1)
    high = (f_high - 1) / (f_high + n0 - 1)
    return icc, *_clip(low, high, -1, 1)


def equity_from_school_sums(schools, by, *, confidence, min_group_size):
    """Equity rows of each group ``by`` from per-school ``n_pct, s_pct,
    ss_pct`` and ``urban`` (see :func:`equity`); vectorised over groups."""
    by = list(by)
    sch = schools[schools["n_pct"] > 0].copy()
    if not by:
        sch["_all"] = 0
    keys = by or ["_all"]
    sch["n_pct"] = sch["n_pct"].astype(float)
    sch["s2n"] = sch["s_pct"] ** 2 / sch["n_pct"]
    sch["n2"] = sch["n_pct"] ** 2
    sch["k"] = 1
    g = sch.groupby(keys, sort=True)
    agg = g[["k", "n_pct", "s_pct", "ss_pct", "s2n", "n2"]].sum().reset_index()
    blocks = []

    # Share of variance between schools: ICC(1) of a one-way ANOVA
    k, total = agg["k"].to_numpy(float), agg["n_pct"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ssw = agg["ss_pct"] - agg["s2n"]
        ssb = agg["s2n"] - agg["s_pct"] ** 2 / total
        msb, msw = ssb / (k - 1), ssw / (total - k)
        ok = (k >= 2) & (total - k >= 1) & (msw > 0)
        n0 = (total - agg["n2"] / total) / (k - 1)
        icc = (msb - msw) / (msb + (n0 - 1) * msw)
        f = msb / msw
        alpha = 1 - confidence
        dfb = np.where(ok, k - 1, np.nan)
        dfw = np.where(ok, total - k, np.nan)
        f_low = f / sps.f.ppf(1 - alpha / 2, dfb, dfw)
        f_high = f * sps.f.ppf(1 - alpha / 2, dfw, dfb)
        low, high = _clip(
            (f_low - 1) / (f_low + n0 - 1), (f_high - 1) / (f_high + n0 - 1), -1, 1
        )
    nan = np.nan
    blocks.append(
        _block(
            agg[keys],
            "between_school_pct",
            np.where(ok, 100 * icc, nan),
            total,
            np.where(ok, 100 * low, nan),
            np.where(ok, 100 * high, nan),
            min_group_size=min_group_size,
        )
    )

    # Top against bottom tenth of schools (schools large enough to rank)
    big = sch[sch["n_pct"] >= max(min_group_size, 1)].copy()
    if len(big):
        big["mean"] = big["s_pct"] / big["n_pct"]
        gb = big.groupby(keys, sort=False)
        big["rank"] = gb["mean"].rank(method="first")
        big["size"] = gb["mean"].transform("size")
        big["m"] = big["size"] // 10
        big["side"] = np.where(
            big["rank"] <= big["m"],
            "bottom",
            np.where(big["rank"] > big["size"] - big["m"], "top", ""),
        )
        sides = (
            big[(big["m"] >= 1) & (big["side"] != "")]
            .groupby([*keys, "side"])[["n_pct", "s_pct", "ss_pct"]]
            .sum()
            .unstack("side")
        )
        if len(sides):
            d, lo, hi, _ = welch_t(
                sides[("s_pct", "top")],
                sides[("ss_pct", "top")],
                sides[("n_pct", "top")],
                sides[("s_pct", "bottom")],
                sides[("ss_pct", "bottom")],
                sides[("n_pct", "bottom")],
                confidence=confidence,
            )
            n = sides[("n_pct", "top")] + sides[("n_pct", "bottom")]
            kk = sides.index.to_frame(index=False)
            blocks.append(
                _block(
                    kk,
                    "school_gap_top_bottom",
                    d,
                    n,
                    lo,
                    hi,
                    min_group_size=min_group_size,
                )
            )

    # Urban against rural schools, where the context says which
    if "urban" in sch:
        known = sch[sch["urban"].notna()].copy()
        known["kind"] = np.where(known["urban"].astype(bool), "urban", "rural")
        kinds = (
            known.groupby([*keys, "kind"])[["n_pct", "s_pct", "ss_pct"]]
            .sum()
            .unstack("kind")
        )
        if len(kinds) and {"urban", "rural"} <= set(kinds.columns.get_level_values(1)):
            kinds = kinds.dropna()
            d, lo, hi, _ = welch_t(
                kinds[("s_pct", "urban")],
                kinds[("ss_pct", "urban")],
                kinds[("n_pct", "urban")],
                kinds[("s_pct", "rural")],
                kinds[("ss_pct", "rural")],
                kinds[("n_pct", "rural")],
                confidence=confidence,
            )
            n = kinds[("n_pct", "urban")] + kinds[("n_pct", "rural")]
            kk = kinds.index.to_frame(index=False)
            blocks.append(
                _block(
                    kk, "urban_rural_gap", d, n, lo, hi, min_group_size=min_group_size
                )
            )
    out = _concat(blocks, keys)
    return out.drop(columns="_all") if not by else out


def equity(
    results, *, by=None, school="school_id", confidence=None, min_group_size=None
):
    """Differences between schools: variance share, top–bottom and urban–rural gaps.

    Parameters
    ----------
    results : DataFrame
        Students' results with ``absent``, ``primary_score``, ``max_score``,
        ``mark``, the school column and optionally ``urban`` (bool per school;
        NaN where the context form is silent).
    by : str or list of str, optional
        The territories to compare within (e.g. ``"municipality_id"``).
    school : str
        The school column.
    confidence, min_group_size
        As in :func:`participation`.

    Returns
    -------
    DataFrame
        On the students' percent of the maximum score:

        * ``between_school_pct`` — ICC(1) × 100, the share of the variance of
          scores that lies between schools, from a one-way ANOVA:
          :math:`(MS_B - MS_W)/(MS_B + (n_0-1)MS_W)` with
          :math:`n_0 = (N - \\sum n_j^2/N)/(k-1)`; the interval is the F-based
          one of Shrout & Fleiss (1979). n = participants.
        * ``school_gap_top_bottom`` — mean of the students of the top tenth of
          schools minus that of the bottom tenth (schools ranked by their mean,
          only schools with at least ``min_group_size`` participants; at least
          ten such schools needed), Welch interval.
        * ``urban_rural_gap`` — mean of urban schools' students minus rural,
          where the context says which; Welch interval.

    Notes
    -----
    Means are over students, not over school means. ICC(1) can be negative
    when schools differ less than chance would make them; it is reported as
    it is.

    Source: local indicators of the catalogue (approved by the region's
    act). The share of variance between schools is the between-school
    variation of the OECD PISA reports on equity (PISA 2018 Results,
    Volume II, ch. 4), computed as the ICC(1) of Shrout & Fleiss (1979,
    *Psychological Bulletin* 86, 420–428); the gaps follow the comparisons
    of groups of schools of the ФИС ОКО reports, on students' scores.
    """
    conf, size = _options(confidence, min_group_size)
    by = _by_list(by)
    sums = form_sums(results, by=[*by, school])
    if "urban" in results:
        urban = results.groupby(school)["urban"].first()
        sums["urban"] = sums[school].map(urban)
    return equity_from_school_sums(sums, by, confidence=conf, min_group_size=size)
