"""The codifier of the synthetic forms: skills, КЭС and КТ codes of every task,
and the skills planted weak in the region and in a few schools.

The texts and codes are in ``params/synth.yaml`` (``codifier``); what is made
weak is in its ``skills`` section. ``docs/synthetic-region.md`` describes both.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

KINDS = ("kes", "kt")
LEVELS = ("Б", "П", "В")


class CodifierError(ValueError):
    """A codifier of ``params/synth.yaml`` that does not fit its form."""


def _labels(spec: list) -> list[str]:
    """``["1-3", "5(1)"]`` -> ``["1", "2", "3", "5(1)"]``."""
    out = []
    for item in spec:
        item = str(item)
        span = re.fullmatch(r"(\d+)-(\d+)", item)
        if span:
            out.extend(str(i) for i in range(int(span[1]), int(span[2]) + 1))
        else:
            out.append(item)
    return out


def _codes(text) -> list[str]:
    return [c.strip() for c in str(text or "").split(";") if c.strip()]


def attach(forms: dict, params: dict) -> None:
    """Give every form its tasks' skills, levels and codes (in place).

    Sets ``skills``, ``kes``, ``kt`` (a list of codes per task), ``levels``
    (params/forms.yaml's level, else the codifier's) and ``code_names``
    (``{"kes": {code: name}, "kt": {...}}``) of each form.

    Raises
    ------
    CodifierError
        A form without a codifier, a task described twice or not at all, a
        code without a name, or a level other than Б, П, В.
    """
    book = params.get("codifier") or {}
    for key, form in forms.items():
        where = f"params/synth.yaml, codifier, {key}"
        entry = book.get(key)
        if entry is None:
            raise CodifierError(f"{where}: нет кодификатора работы")
        names = {
            kind: {str(c): str(n) for c, n in entry[kind].items()} for kind in KINDS
        }
        found: dict[str, dict] = {}
        for group in entry["tasks"]:
            for label in _labels(group["tasks"]):
                if label in found:
                    raise CodifierError(f"{where}: задание {label} описано дважды")
                found[label] = group
        unknown = sorted(set(found) - set(form.labels))
        missing = [t for t in form.labels if t not in found]
        if unknown or missing:
            raise CodifierError(
                f"{where}: задания не совпадают с работой; лишние: "
                f"{', '.join(unknown) or 'нет'}; не описаны: "
                f"{', '.join(missing) or 'нет'}"
            )
        form.skills = [str(found[t]["skill"]) for t in form.labels]
        for kind in KINDS:
            codes = [_codes(found[t][kind]) for t in form.labels]
            for label, task_codes in zip(form.labels, codes, strict=True):
                if not task_codes:
                    raise CodifierError(f"{where}: у задания {label} нет кода {kind}")
                for code in task_codes:
                    if code not in names[kind]:
                        raise CodifierError(
                            f"{where}: код {kind} {code} задания {label} не назван "
                            f"в списке {kind}"
                        )
            setattr(form, kind, codes)
        given = form.levels or [None] * len(form.labels)
        levels = [
            level or found[t].get("level")
            for t, level in zip(form.labels, given, strict=True)
        ]
        bad = [
            f"{t}: {v!r}"
            for t, v in zip(form.labels, levels, strict=True)
            if v not in LEVELS
        ]
        if bad:
            raise CodifierError(
                f"{where}: уровень сложности должен быть Б, П или В; получено "
                + "; ".join(bad)
            )
        form.levels = levels
        form.code_names = names


def tasks_of(form, kind: str, code: str) -> np.ndarray:
    """Positions (from 0) of the tasks of a form that check a code."""
    return np.array(
        [j for j, codes in enumerate(getattr(form, kind)) if code in codes],
        dtype=np.int64,
    )


def weaken(forms: dict, params: dict) -> list[dict]:
    """Lower the completion of the weak codes' tasks, region-wide (in place).

    Each weak code's tasks lose ``weak_drop`` of their completion; the form's
    other tasks gain the lost points back, each closing the same share of its
    distance to full completion (p + c·(1 − p), with c such that the points
    add up), so the expected mean score of the form stays the same and its
    spread nearly so (equal shares would push easy tasks to the ceiling).
    Runs before the item difficulties are calibrated. Returns one ground-truth
    record per code.
    """
    sk = params["skills"]
    drop = float(sk["weak_drop"])
    out = []
    for spec in sk.get("weak") or []:
        form = forms[spec["form"]]
        weak = tasks_of(form, "kes", str(spec["kes"]))
        if not len(weak):
            raise CodifierError(
                f"params/synth.yaml, skills, weak: у работы {spec['form']} нет "
                f"заданий с кодом КЭС {spec['kes']}"
            )
        rest = np.setdiff1d(np.arange(len(form.labels)), weak)
        before = form.completion.copy()
        lost = drop * form.maxima[weak].sum()
        form.completion[weak] = np.clip(before[weak] - drop, 0.02, 0.98)
        if len(rest):
            room = 1 - before[rest]
            share = lost / (form.maxima[rest] * room).sum()
            form.completion[rest] = np.clip(before[rest] + share * room, 0.02, 0.98)
        out.append(
            {
                "category": "skill",
                "kind": "weak_skill",
                "form": form.key,
                "study": form.study,
                "subject": form.subject,
                "grade": form.grade,
                "code_kind": "kes",
                "code": str(spec["kes"]),
                "name": form.code_names["kes"][str(spec["kes"])],
                "tasks": [form.labels[j] for j in weak],
                "completion_drop": drop,
                "target_completion": [
                    round(float(p), 3) for p in form.completion[weak]
                ],
                "description": "умение слабое во всём регионе: выполнение заданий "
                "кода снижено",
            }
        )
    return out


def plan_deficits(
    rng: np.random.Generator, params: dict, schools: pd.DataFrame, plans: dict, forms
) -> list[dict]:
    """Choose the schools with a skill deficit of their own and their codes.

    Schools with inflated or low results and those of a measure are left out,
    so that each planted signal stays apart; so are schools whose cohorts are
    under ``deficit_cohort`` students. Returns one record per school:
    ``school_idx``, ``form``, ``code`` and ``positions`` (tasks from 0).
    """
    sk = params["skills"]
    n = len(schools)
    specs = sk.get("deficit_codes") or []
    if not specs or n < 3:
        return []
    cohort = schools["enrolment"].to_numpy() / params["school"]["grades"]
    busy = set(plans["inflated"]) | set(plans["low"])
    for units in plans["measures"]["units"]:
        busy |= set(units)
    pool = [s for s in np.flatnonzero(cohort >= sk["deficit_cohort"]) if s not in busy]
    k = min(len(pool), max(1, round(sk["deficit_share"] * n)))
    chosen = sorted(int(s) for s in rng.choice(pool, size=k, replace=False))
    out = []
    for i, s in enumerate(chosen):
        spec = specs[i % len(specs)]
        form = forms[spec["form"]]
        positions = tasks_of(form, "kes", str(spec["kes"]))
        out.append(
            {
                "school_idx": s,
                "form": form.key,
                "code": str(spec["kes"]),
                "positions": positions,
            }
        )
    return out


def offsets(form, deficits: list[dict], n_schools: int, logit: float) -> np.ndarray:
    """The (schools × tasks) logits subtracted from the success of each school's
    students on each task of a form: ``logit`` on the tasks of a deficit."""
    out = np.zeros((n_schools, len(form.labels)))
    for d in deficits:
        if d["form"] == form.key:
            out[d["school_idx"], d["positions"]] = logit
    return out


def deficit_records(deficits, forms, schools, years, logit) -> list[dict]:
    """Ground-truth records of the schools' skill deficits."""
    ids = schools["school_id"].to_numpy()
    out = []
    for d in deficits:
        form = forms[d["form"]]
        out.append(
            {
                "category": "skill",
                "kind": "skill_deficit",
                "school_id": ids[d["school_idx"]],
                "years": list(years),
                "form": form.key,
                "study": form.study,
                "subject": form.subject,
                "grade": form.grade,
                "code_kind": "kes",
                "code": d["code"],
                "name": form.code_names["kes"][d["code"]],
                "tasks": [form.labels[j] for j in d["positions"]],
                "deficit_logit": float(logit),
                "description": "дефицит умения в школе: задания кода решаются хуже, "
                "чем по способностям учеников",
            }
        )
    return out


# ---------------------------------------------------------------- files


def kim_label(label: str) -> str:
    """The label as the КИМ descriptions write it: ``5(1)`` -> ``5.1``."""
    return re.sub(r"^(\d+)\((\d+)\)$", r"\1.\2", label)


KIM_HEADER = [
    "№ КИМ",
    "№",
    "Умения, виды деятельности (в соответствии с ФГОС)",
    "Уровень сложности",
    "Код КЭС",
    "Код КТ",
    "Максимальный балл за выполнение задания",
]
KES_HEADER = ["Код", "Проверяемые элементы содержания"]
KT_HEADER = ["Код", "Проверяемые требования к уровню подготовки"]


def kim_rows(form) -> list[list[str]]:
    """Rows of ALL.xlsx: one per task and pair of its КЭС and КТ codes."""
    rows = []
    for j, label in enumerate(form.labels):
        for kes in form.kes[j]:
            for kt in form.kt[j]:
                rows.append(
                    [
                        kim_label(label),
                        str(j + 1),
                        form.skills[j],
                        form.levels[j] or "",
                        kes,
                        kt,
                        str(int(form.maxima[j])),
                    ]
                )
    return rows


def name_rows(form, kind: str) -> list[list[str]]:
    """Rows of KS.xlsx (``kes``) or KT.xlsx (``kt``): code and name."""
    return [[code, name] for code, name in form.code_names[kind].items()]
