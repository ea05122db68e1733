"""The generative model of the synthetic region: territories, schools, students,
abilities, task scores, journal marks, and what is planted in them.

Everything here is vectorised numpy over whole populations; one
``numpy.random.Generator`` seeded once drives every draw, in a fixed order, so a
seed and a set of sizes give one region. The model is described in
``docs/synthetic-region.md``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from ..config import load_params
from ..loaders.schools import municipality_id, region_id
from . import codifier
from .xlsx import int_text

log = logging.getLogger(__name__)

VPR_GRADES = (4, 5)
SUBJECTS = ("ma", "ru")


@dataclass
class Form:
    """One test form: its tasks, their maxima, the item parameters and the
    codifier (``codifier.attach``: skill, level and КЭС/КТ codes of each task)."""

    study: str
    subject: str
    grade: int
    labels: list[str]
    maxima: np.ndarray
    completion: np.ndarray
    thresholds: list[int] | None = None
    test_scale: list[list[int]] | None = None
    discrimination: np.ndarray = field(default_factory=lambda: np.zeros(0))
    difficulty: np.ndarray = field(default_factory=lambda: np.zeros(0))
    levels: list[str | None] | None = None
    skills: list[str] = field(default_factory=list)
    kes: list[list[str]] = field(default_factory=list)
    kt: list[list[str]] = field(default_factory=list)
    code_names: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.study}-{self.subject}-{self.grade}"

    @property
    def max_score(self) -> int:
        return int(self.maxima.sum())


@dataclass
class Block:
    """Results of one form in one year: a row per participant, tasks as a matrix.

    ``rows`` holds school_id, student_code, number, class, gender, variant,
    absent, primary_score, mark, journal_mark, test_score (text cells of the
    files are made from it) and the hidden columns ``ability`` (the true latent
    ability, measures included, inflation excluded) and ``expected`` (expected
    points under honest scoring). ``scores`` has -1 for absent participants.
    """

    form: Form
    year: int
    rows: pd.DataFrame
    scores: np.ndarray
    overrides: dict[tuple[int, str], str] = field(default_factory=dict)


@dataclass
class Region:
    """Everything generated: the units, the results and the ground truth."""

    seed: int
    municipalities: pd.DataFrame
    schools: pd.DataFrame
    blocks: list[Block]
    measures: pd.DataFrame
    responsibles: pd.DataFrame
    planted: list[dict]
    quirks: list[dict]


# ---------------------------------------------------------------- forms


def _expand_tasks(spec: dict[str, int]) -> tuple[list[str], list[int]]:
    """``{"1-3": 1, "4": 2}`` -> labels 1, 2, 3, 4 with maxima 1, 1, 1, 2."""
    labels, maxima = [], []
    for key, top in spec.items():
        if "-" in key and key.replace("-", "").isdigit():
            first, last = (int(x) for x in key.split("-"))
            for i in range(first, last + 1):
                labels.append(str(i))
                maxima.append(int(top))
        else:
            labels.append(str(key))
            maxima.append(int(top))
    return labels, maxima


def build_forms(params: dict) -> dict[str, Form]:
    """The eight forms of the region: ВПР 4/5 ma/ru, ОГЭ ma/ru, ЕГЭ ma/ru."""
    forms_yaml = load_params("forms")
    scales = load_params("scales")
    forms: dict[str, Form] = {}
    for entry in forms_yaml:
        if entry["study"] != "vpr" or entry["grade"] not in VPR_GRADES:
            continue
        if entry["subject"] not in SUBJECTS:
            continue
        code = f"{entry['subject']}{entry['grade']}"
        scale = next(
            s
            for s in scales
            if (s["study"], s["subject"], s["grade"])
            == ("vpr", entry["subject"], entry["grade"])
        )
        form = Form(
            study="vpr",
            subject=entry["subject"],
            grade=entry["grade"],
            labels=[str(t["task"]) for t in entry["tasks"]],
            maxima=np.array([t["max"] for t in entry["tasks"]], dtype=np.int64),
            completion=np.array(params["vpr_completion"][code], dtype=float),
            thresholds=list(scale["thresholds"]),
            levels=[t.get("level") for t in entry["tasks"]],
        )
        forms[form.key] = form
    for entry in params["exams"]:
        labels, maxima = _expand_tasks(entry["tasks"])
        first, last = entry["completion"]
        form = Form(
            study=entry["study"],
            subject=entry["subject"],
            grade=entry["grade"],
            labels=labels,
            maxima=np.array(maxima, dtype=np.int64),
            completion=np.linspace(first, last, len(labels)),
            thresholds=entry.get("thresholds"),
            test_scale=entry.get("test_scale"),
        )
        forms[form.key] = form
    return forms


def calibrate_items(forms: dict[str, Form], rng: np.random.Generator, params: dict):
    """Draw discriminations and set difficulties to reach each task's completion.

    For ability ~ N(0, s²) the mean of expit(a(θ − b)) is close to
    expit(−a·b / sqrt(1 + π·a²·s²/8)) (the probit approximation of the
    logistic-normal integral), which is solved for b.
    """
    low, high = params["items"]["discrimination"]
    st, sch = params["student"], params["school"]
    social_sd = math.sqrt(
        sch["social_sd"] ** 2 + ((sch["social_urban"] - sch["social_rural"]) / 2) ** 2
    )
    sd = math.sqrt(
        st["ability_sd"] ** 2
        + st["subject_sd"] ** 2
        + st["occasion_sd"] ** 2
        + sch["school_effect_sd"] ** 2
        + sch["class_effect_sd"] ** 2
        + (st["social_weight"] * social_sd) ** 2
    )
    for form in forms.values():
        a = rng.uniform(low, high, len(form.labels))
        p = np.clip(form.completion, 0.02, 0.98)
        form.discrimination = a
        form.difficulty = -logit(p) * np.sqrt(1 + np.pi * a**2 * sd**2 / 8) / a


# ---------------------------------------------------------------- names


def _person(rng: np.random.Generator, names: dict) -> str:
    """An invented full name: surname, first name, patronymic."""
    female = rng.random() < 0.75
    surname = names["surnames"][rng.integers(len(names["surnames"]))]
    stem = names["patronymic_stems"][rng.integers(len(names["patronymic_stems"]))]
    if female:
        first = names["first_female"][rng.integers(len(names["first_female"]))]
        surname = surname + "а"
        patronymic = stem + "на"
    else:
        first = names["first_male"][rng.integers(len(names["first_male"]))]
        patronymic = stem + "ич"
    return f"{surname} {first} {patronymic}"


def _municipality_names(k: int, n_towns: int, names: dict) -> list[str]:
    towns, districts = names["towns"], names["districts"]
    out = []
    for i in range(n_towns):
        stem = towns[i % len(towns)]
        suffix = f" {i // len(towns) + 1}" if i >= len(towns) else ""
        out.append(f"г. {stem}{suffix}")
    for i in range(k - n_towns):
        stem = districts[i % len(districts)]
        suffix = f"-{i // len(districts) + 1}" if i >= len(districts) else ""
        out.append(f"{stem}{suffix} район")
    return out


# ---------------------------------------------------------------- units


def make_units(
    rng: np.random.Generator, params: dict, *, schools: int, municipalities: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Municipalities and schools with their context and random effects."""
    reg, mun, sch, names = (
        params["region"],
        params["municipality"],
        params["school"],
        params["names"],
    )

    # Municipalities: towns first, then districts, each with an urban share
    n_towns = max(1, round(municipalities * reg["town_share"]))
    n_towns = min(n_towns, municipalities)
    is_town = np.arange(municipalities) < n_towns
    urban_share = np.where(
        is_town,
        rng.uniform(*mun["urban_share_town"], municipalities),
        rng.uniform(*mun["urban_share_district"], municipalities),
    )
    # Names as the school list spells them; ids as the loaders derive them
    mun_names = _municipality_names(municipalities, n_towns, names)
    muni = pd.DataFrame(
        {
            "municipality_id": [municipality_id(reg["code"], m) for m in mun_names],
            "municipality_name": mun_names,
            "town": is_town,
            "urban_share": urban_share.round(3),
        }
    )

    # Schools: towns get more schools (weight 3), every municipality at least one
    weights = np.where(is_town, 3.0, 1.0)
    m_of = np.concatenate(
        [
            np.arange(municipalities),
            rng.choice(
                municipalities,
                size=max(0, schools - municipalities),
                p=weights / weights.sum(),
            ),
        ]
    )[:schools]
    m_of = np.sort(m_of)
    urban = rng.random(schools) < urban_share[m_of]
    enrol_u, enrol_r = sch["enrolment_urban"], sch["enrolment_rural"]
    enrolment = np.where(
        urban,
        enrol_u["median"] * np.exp(rng.normal(0, enrol_u["sigma"], schools)),
        enrol_r["median"] * np.exp(rng.normal(0, enrol_r["sigma"], schools)),
    )
    enrolment = np.maximum(enrolment.round(), 22).astype(np.int64)
    social = np.where(urban, sch["social_urban"], sch["social_rural"]) + rng.normal(
        0, sch["social_sd"], schools
    )
    frame = pd.DataFrame(
        {
            "school_id": [f"sch{reg['code']}{i + 1:04d}" for i in range(schools)],
            "municipality_id": muni["municipality_id"].to_numpy()[m_of],
            "municipality_name": muni["municipality_name"].to_numpy()[m_of],
            "region_id": region_id(reg["code"]),
            "region_name": reg["name"],
            "urban": urban,
            "enrolment": enrolment,
            "social_index": social.round(3),
            "school_effect": rng.normal(0, sch["school_effect_sd"], schools),
            "leniency": rng.normal(0, sch["leniency_sd"], schools),
        }
    )
    frame["name"] = _school_names(rng, frame, names)
    return muni, frame


def _school_names(rng: np.random.Generator, frame: pd.DataFrame, names: dict):
    """Russian-looking names: numbered town schools, village schools by place."""
    villages = names["villages"]
    out, used = [], set()
    counter: dict[str, int] = {}
    for muni, urban, enrol in zip(
        frame["municipality_id"], frame["urban"], frame["enrolment"], strict=True
    ):
        if urban:
            counter[muni] = counter.get(muni, 0) + 1
            number = counter[muni]
            kind = rng.choice(["СОШ", "СОШ", "СОШ", "Гимназия", "Лицей"])
            name = f"МБОУ {kind} №{number}"
        else:
            stem = villages[rng.integers(len(villages))]
            kind = "ООШ" if enrol < 90 else "СОШ"
            owner = "МКОУ" if rng.random() < 0.4 else "МБОУ"
            name = f"{owner} {stem} {kind}"
        while (muni, name) in used:
            name = name + " №2" if "№" not in name else name + "а"
        used.add((muni, name))
        out.append(name)
    return out


# ---------------------------------------------------------------- students


def make_students(
    rng: np.random.Generator, params: dict, schools: pd.DataFrame, entries: list[int]
) -> pd.DataFrame:
    """Every student of every needed cohort, with a persistent latent ability.

    A cohort is the set of students of one school who were in grade 0 in year
    ``entry`` (so grade g in year Y is the cohort ``Y − g``). Its size is
    Poisson around enrolment / grades; it is split into classes.
    """
    sch, st = params["school"], params["student"]
    n_s, n_e = len(schools), len(entries)
    lam = np.repeat(schools["enrolment"].to_numpy() / sch["grades"], n_e)
    sizes = np.maximum(rng.poisson(lam), 1)
    school_idx = np.repeat(np.repeat(np.arange(n_s), n_e), sizes)
    entry = np.repeat(np.tile(np.asarray(entries), n_s), sizes)
    group = np.repeat(np.arange(n_s * n_e), sizes)
    starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
    number = np.arange(len(group)) - starts + 1

    # Classes: contiguous blocks of a random order, ceil(n / class_size) of them
    n_classes = np.ceil(sizes / sch["class_size"]).astype(np.int64)
    order = np.lexsort((rng.random(len(group)), group))
    rank = np.empty(len(group), dtype=np.int64)
    rank[order] = np.arange(len(group)) - starts[order]
    class_no = rank * np.repeat(n_classes, sizes) // np.repeat(sizes, sizes)
    class_offset = np.cumsum(n_classes) - n_classes
    class_key = np.repeat(class_offset, sizes) + class_no
    class_effect = rng.normal(0, sch["class_effect_sd"], int(n_classes.sum()))

    # Ability: school effect + class effect + social index + the student's own
    social = schools["social_index"].to_numpy()[school_idx]
    base = (
        schools["school_effect"].to_numpy()[school_idx]
        + class_effect[class_key]
        + st["social_weight"] * social
        + rng.normal(0, st["ability_sd"], len(group))
    )
    return pd.DataFrame(
        {
            "school_idx": school_idx,
            "entry": entry,
            "number": number,
            "class_no": class_no,
            "single_class": np.repeat(n_classes, sizes) == 1,
            "gender": np.where(rng.random(len(group)) < 0.5, "м", "ж"),
            "ability_ma": base + rng.normal(0, st["subject_sd"], len(group)),
            "ability_ru": base + rng.normal(0, st["subject_sd"], len(group)),
            "stay": rng.random(len(group)),
            "profile": rng.random(len(group)),
        }
    )


LETTERS = "АБВГДЕЖИКЛМН"


def class_letters(class_no: np.ndarray, single: np.ndarray) -> np.ndarray:
    """«НЕТ» where the cohort has one class, else А, Б, В ..."""
    letters = np.array(list(LETTERS) + [f"{LETTERS[-1]}{i}" for i in range(2, 40)])
    out = letters[np.minimum(class_no, len(letters) - 1)].astype(object)
    out[single] = "НЕТ"
    return out


# ---------------------------------------------------------------- planting


def plan_plants(
    rng: np.random.Generator, params: dict, schools: pd.DataFrame, years: list[int]
) -> dict:
    """Choose the inflated and low-result schools and the measures.

    Returns ``{"inflated": {school_idx: kind}, "cohort_year": {school_idx: Y},
    "low": [school_idx], "measures": DataFrame, "delta": (schools × years)}``.
    """
    pl = params["plant"]
    n = len(schools)
    cohort_sizes = schools["enrolment"].to_numpy() / params["school"]["grades"]

    # Inflated schools: among those with cohorts big enough to be seen
    n_inf = max(1, round(pl["inflated_share"] * n)) if n >= 3 else 0
    big = np.flatnonzero(cohort_sizes >= 15)
    pool = big if len(big) >= n_inf else np.arange(n)
    chosen = rng.choice(pool, size=min(n_inf, len(pool)), replace=False)
    kinds = ["journal_marks", "boundary_scores"]
    if len(years) >= 2 and any(y + 1 in years for y in years):
        kinds.append("cohort_jump")
    inflated = {int(s): kinds[i % len(kinds)] for i, s in enumerate(sorted(chosen))}
    first_pairs = [y for y in years if y + 1 in years]
    cohort_year = {
        s: int(rng.choice(first_pairs))
        for s, kind in inflated.items()
        if kind == "cohort_jump"
    }

    # Low results: rural schools of the lowest social third, not inflated
    social = schools["social_index"].to_numpy()
    hard = np.flatnonzero(
        (~schools["urban"].to_numpy()) & (social <= np.quantile(social, 1 / 3))
    )
    hard = np.array([s for s in hard if s not in inflated], dtype=np.int64)
    n_low = min(len(hard), max(1, round(pl["low_share"] * n)))
    low = sorted(int(s) for s in rng.choice(hard, size=n_low, replace=False))

    # Measures: each on a few schools, with a true effect from the next year
    delta = np.zeros((n, len(years)))
    rows = []
    n_meas = max(2, n // pl["measures_per_schools"]) if len(years) >= 2 else 0
    free = [s for s in range(n) if s not in inflated]
    free = list(rng.permutation(free))
    # The first measure supports low-result schools, as regions do
    free = [s for s in low] + [s for s in free if s not in low]
    for m in range(n_meas):
        k = int(rng.integers(pl["measure_units"][0], pl["measure_units"][1] + 1))
        units = sorted(int(s) for s in free[:k])
        free = free[k:]
        if not units:
            break
        year = int(rng.choice(years[:-1]))
        # The last measure is a placebo: taken, but with no true effect
        effect = 0.0 if m == n_meas - 1 else float(pl["measure_effect"])
        for s in units:
            delta[s, [i for i, y in enumerate(years) if y > year]] += effect
        support = set(units) <= set(low)
        rows.append(
            {
                "measure": m + 1,
                "year": year,
                "units": units,
                "effect": effect,
                "support": support,
            }
        )
    measures = pd.DataFrame(
        rows, columns=["measure", "year", "units", "effect", "support"]
    )
    return {
        "inflated": inflated,
        "cohort_year": cohort_year,
        "low": low,
        "measures": measures,
        "delta": delta,
    }


# ---------------------------------------------------------------- results


def _cohort(students: pd.DataFrame, form: Form, year: int, params: dict):
    """Rows of ``students`` who sit ``form`` in ``year``."""
    st = params["student"]
    sel = students[students["entry"] == year - form.grade]
    if form.study != "ege":
        return sel
    # ЕГЭ: the stronger part of the cohort stays for grades 10-11
    mean_ability = (sel["ability_ma"] + sel["ability_ru"]) / 2
    drive = mean_ability + 0.6 * logit(sel["stay"].clip(1e-6, 1 - 1e-6))
    sel = sel[drive > np.quantile(drive, 1 - st["ege_share"])] if len(sel) else sel
    if form.subject == "ma" and len(sel):
        drive = sel["ability_ma"] + 0.6 * logit(sel["profile"].clip(1e-6, 1 - 1e-6))
        sel = sel[drive > np.quantile(drive, 1 - st["ege_profile_share"])]
    return sel


def _text(values) -> pd.Series:
    """A text column kept as Python objects (no conversion to Arrow strings)."""
    return pd.Series(np.asarray(values, dtype=object), dtype=object)


def _marks(primary: np.ndarray, thresholds: list[int]) -> np.ndarray:
    return 2 + (primary[:, None] >= np.asarray(thresholds)[None, :]).sum(axis=1)


def make_block(
    rng: np.random.Generator,
    params: dict,
    form: Form,
    year: int,
    students: pd.DataFrame,
    schools: pd.DataFrame,
    plans: dict,
    year_index: int,
) -> Block:
    """Simulate one form in one year: sessions, task scores, marks."""
    st, pl = params["student"], params["plant"]
    sel = _cohort(students, form, year, params)
    n = len(sel)
    s_idx = sel["school_idx"].to_numpy()
    vpr = form.study == "vpr"

    # True ability (measures included) and the session's ability
    ability = (
        sel[f"ability_{form.subject}"].to_numpy() + plans["delta"][s_idx, year_index]
    )
    honest = ability + rng.normal(0, st["occasion_sd"], n)
    session = honest.copy()
    n_schools = len(schools)
    school_kind = np.full(n_schools, "", dtype=object)
    for s, k in plans["inflated"].items():
        school_kind[s] = k
    kind = school_kind[s_idx]
    if vpr:
        session[kind == "boundary_scores"] += pl["score_lift"]
        if form.grade == 4:
            jumps = np.zeros(n_schools, dtype=bool)
            for s, y in plans["cohort_year"].items():
                jumps[s] = y == year
            session[jumps[s_idx]] += pl["cohort_lift"]
    share = st["absent_share"] if vpr else st["absent_share"] / 10
    absent = rng.random(n) < share

    # Task scores: binomial over 0..max with an item-response probability,
    # less the logits of the school's skill deficit on the tasks of its code
    a, b, top = form.discrimination, form.difficulty, form.maxima
    deficit = codifier.offsets(
        form, plans.get("deficits", []), n_schools, plans.get("deficit_logit", 0.0)
    )[s_idx]
    prob = expit(a[None, :] * (session[:, None] - b[None, :]) - deficit)
    scores = rng.binomial(top[None, :], prob).astype(np.int16)
    expected = (
        top[None, :] * expit(a[None, :] * (honest[:, None] - b[None, :]) - deficit)
    ).sum(axis=1)

    # Inflated scores: totals just below a mark boundary are raised to it
    if vpr and form.thresholds:
        _raise_to_boundaries(rng, scores, top, form.thresholds, kind, pl)

    scores[absent] = -1
    primary = np.where(absent, np.nan, scores.clip(0).sum(axis=1).astype(float))
    mark = np.full(n, np.nan)
    if form.thresholds:
        mark = np.where(absent, np.nan, _marks(np.nan_to_num(primary), form.thresholds))
    test_score = np.full(n, np.nan)
    if form.test_scale:
        pts = np.asarray(form.test_scale, dtype=float)
        test_score = np.where(
            absent, np.nan, np.round(np.interp(primary, pts[:, 0], pts[:, 1]))
        )

    # Journal marks (ВПР only): ability plus noise plus the school's leniency
    journal = np.full(n, np.nan)
    if vpr:
        lenient = schools["leniency"].to_numpy()[s_idx]
        latent = ability + rng.normal(0, st["journal_sd"], n) + lenient
        fair = kind != "journal_marks"
        cuts = np.quantile(latent[fair], np.cumsum(st["journal_shares"])[:3])
        spread = latent[fair].std()
        free = latent.mean() + pl["journal_lift"] * spread + rng.normal(0, spread, n)
        latent = np.where(fair, latent, free)
        journal = 2.0 + (latent[:, None] > cuts[None, :]).sum(axis=1)
        journal[absent] = np.nan

    rows = pd.DataFrame(
        {
            "school_idx": s_idx,
            "school_id": _text(schools["school_id"].to_numpy()[s_idx]),
            "number": sel["number"].to_numpy(),
            "student_code": _text(
                int_text(form.grade * 10000 + sel["number"].to_numpy())
            ),
            "class": _text(
                class_letters(
                    sel["class_no"].to_numpy(), sel["single_class"].to_numpy()
                )
            ),
            "gender": _text(sel["gender"].to_numpy()),
            "variant": _text(int_text(rng.integers(1, 3, n))),
            "absent": absent,
            "primary_score": primary,
            "mark": mark,
            "journal_mark": journal,
            "test_score": test_score,
            "ability": ability,
            "honest": honest,
            "expected": expected,
            "quirk": _text(np.full(n, "", dtype=object)),
            "quirk_value": _text(np.full(n, "", dtype=object)),
            "quirk_task": -1,
        }
    )
    class_no = sel["class_no"].to_numpy()
    if form.study == "ege":
        # Grades 10-11 are new classes: regroup the stayers
        size = params["school"]["class_size"]
        pos = rows.groupby("school_idx").cumcount().to_numpy()
        count = rows.groupby("school_idx")["number"].transform("size").to_numpy()
        n_cls = np.ceil(count / size).astype(np.int64)
        class_no = pos * n_cls // count
        rows["class"] = _text(class_letters(class_no, n_cls == 1))
    rows["teacher_id"] = _teachers(form, year, rows["school_id"], class_no, schools)
    order = np.lexsort((rows["number"].to_numpy(), s_idx))
    rows = rows.iloc[order].reset_index(drop=True)
    return Block(form=form, year=year, rows=rows, scores=scores[order])


def _teachers(form: Form, year: int, school_id, class_no, schools) -> pd.Series:
    """Teacher codes (never names) of the classes.

    A primary teacher keeps a class for grades 1-4, so cohorts four years apart
    share one (``sch990001-nk13``); a subject teacher (one per 150 students of
    the school) takes the classes in turn (``sch990001-ma3``).
    """
    entry = year - form.grade
    school_id = np.asarray(school_id, dtype=object)
    if form.grade <= 4:
        number = (entry % 4) * 10 + class_no
        codes = school_id + "-nk" + int_text(number)
    else:
        size = dict(zip(schools["school_id"], schools["enrolment"], strict=True))
        staff = np.array([max(1, size.get(s, 0) // 150) for s in school_id])
        number = (entry * 3 + class_no) % np.maximum(staff, 1) + 1
        codes = school_id + f"-{form.subject}" + int_text(number)
    return _text(codes)


def _raise_to_boundaries(rng, scores, top, thresholds, kind, pl) -> None:
    """Raise totals 1..gap points below a boundary to it, task by task (in place)."""
    total = scores.sum(axis=1)
    gap = np.full(len(total), 10**6)
    for t in thresholds:
        d = t - total
        gap = np.where((d > 0) & (d < gap), d, gap)
    lift = (
        (kind == "boundary_scores")
        & (gap <= pl["boundary_gap"])
        & (rng.random(len(total)) < pl["boundary_prob"])
    )
    rows = np.flatnonzero(lift)
    need = gap[rows].copy()
    while len(rows):
        spare = scores[rows] < top[None, :]
        pick = np.argmax(rng.random(spare.shape) * spare, axis=1)
        ok = spare[np.arange(len(rows)), pick]
        scores[rows[ok], pick[ok]] += 1
        need[ok] -= 1
        keep = (need > 0) & spare.any(axis=1)
        rows, need = rows[keep], need[keep]


# ---------------------------------------------------------------- quirks

QUIRK_KINDS = (
    "task_above_max",
    "total_mismatch",
    "journal_mark_zh",
    "duplicate_student",
    "unknown_school",
)


def plant_quirks(
    rng: np.random.Generator, blocks: list[Block], region_code: str, per_kind: int
) -> None:
    """Spoil a few ВПР rows of each kind of SOURCE.md (in place).

    Each spoiled row gets ``quirk`` (its kind) and ``quirk_value`` (the bad
    cell as written); the writers turn them into file, row and column.
    """
    vpr = [i for i, bl in enumerate(blocks) if bl.form.study == "vpr"]
    taken: set[tuple[int, int]] = set()
    duplicates: dict[int, list[int]] = {}
    for kind in QUIRK_KINDS:
        for _ in range(per_kind):
            bi = int(rng.choice(vpr))
            bl = blocks[bi]
            present = np.flatnonzero(~bl.rows["absent"].to_numpy())
            present = [r for r in present if (bi, r) not in taken]
            r = int(rng.choice(present))
            taken.add((bi, r))
            rows = bl.rows
            if kind == "task_above_max":
                j = int(rng.integers(len(bl.form.labels)))
                bl.scores[r, j] = bl.form.maxima[j] + 1
                rows.loc[r, "primary_score"] = float(bl.scores[r].sum())
                rows.loc[r, "quirk_task"] = j
                value = str(int(bl.scores[r, j]))
            elif kind == "total_mismatch":
                total = rows.loc[r, "primary_score"]
                wrong = total + 1 if total < bl.form.max_score else total - 1
                rows.loc[r, "primary_score"] = wrong
                value = str(int(wrong))
            elif kind == "journal_mark_zh":
                value = "ж"
            elif kind == "unknown_school":
                value = f"sch{region_code}0000"
                rows.loc[r, "school_id"] = value
            else:
                value = rows.loc[r, "student_code"]
                duplicates.setdefault(bi, []).append(r)
            rows.loc[r, "quirk"] = kind
            rows.loc[r, "quirk_value"] = value
    # A duplicate is a copy of the row right after it; the copy is the bad row
    for bi, marked in duplicates.items():
        bl = blocks[bi]
        order = np.arange(len(bl.rows))
        order = np.sort(np.concatenate([order, np.asarray(marked)]), kind="stable")
        rows = bl.rows.iloc[order].reset_index(drop=True)
        is_copy = np.zeros(len(rows), dtype=bool)
        is_copy[1:] = order[1:] == order[:-1]
        orig = np.flatnonzero(np.isin(order, marked) & ~is_copy)
        rows.loc[orig, ["quirk", "quirk_value"]] = ""
        bl.rows = rows
        bl.scores = bl.scores[order]
