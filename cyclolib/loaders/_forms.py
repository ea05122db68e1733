"""What a form is: its key, the parameters of known forms and the mark scale."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..config import load_params

STUDY_NAMES = {
    "vpr": "Всероссийские проверочные работы (ВПР)",
    "oge": "Основной государственный экзамен (ОГЭ)",
    "ege": "Единый государственный экзамен (ЕГЭ)",
    "niko": "Национальные исследования качества образования (НИКО)",
    "regional": "Региональная диагностика",
}


@dataclass(frozen=True)
class FormKey:
    """A form: one study, year, subject and grade."""

    study: str
    year: int
    subject: str
    grade: int | None

    @property
    def form_id(self) -> str:
        grade = "" if self.grade is None else f"-{self.grade}"
        return f"{self.study}-{self.year}-{self.subject}{grade}"


def normalise_task(label) -> str:
    """One spelling of a task label.

    ``5.1`` -> ``5(1)``, ``1K1`` (Latin K) -> ``1К1``, ``1.0`` -> ``1``.
    """
    text = str(label).strip().replace(" ", "")
    text = re.sub(r"[KkКк]", "К", text)
    if re.fullmatch(r"\d+\.0", text):
        return text[:-2]
    match = re.fullmatch(r"(\d+)\.(\d+)", text)
    if match:
        return f"{match[1]}({match[2]})"
    return text


def _latest(entries, study: str, subject: str, grade: int | None, year: int):
    fitting = [
        e
        for e in entries
        if e.get("study") == study
        and e.get("subject") == subject
        and e.get("grade") == grade
        and int(e.get("valid_from", 0)) <= year
    ]
    return max(fitting, key=lambda e: int(e.get("valid_from", 0)), default=None)


def known_tasks(key: FormKey) -> list[dict] | None:
    """Tasks of a form from ``params/forms.yaml`` (label, max, level), if known."""
    entry = _latest(
        load_params("forms") or [], key.study, key.subject, key.grade, key.year
    )
    if entry is None:
        return None
    return [
        {
            "task": normalise_task(t["task"]),
            "max": t.get("max"),
            "level": t.get("level"),
        }
        for t in entry["tasks"]
    ]


def scale(key: FormKey) -> dict | None:
    """The mark scale of a form from ``params/scales.yaml``, if known."""
    return _latest(
        load_params("scales") or [], key.study, key.subject, key.grade, key.year
    )


def marks_from_scale(scores: np.ndarray, thresholds: list[float]) -> np.ndarray:
    """Marks 2..5: 2 plus the number of thresholds (for 3, 4, 5) the score reaches."""
    edges = np.asarray(thresholds, dtype=float)
    marks = 2 + (scores[:, None] >= edges[None, :]).sum(axis=1)
    return marks.astype(float)


def task_count_signatures(
    year: int, grade: int | None = None
) -> dict[int, list[FormKey]]:
    """Forms of ``params/forms.yaml`` by their number of tasks (for guessing a form)."""
    out: dict[int, list[FormKey]] = {}
    seen = set()
    for entry in load_params("forms") or []:
        if grade is not None and entry.get("grade") != grade:
            continue
        key = FormKey(entry["study"], year, entry["subject"], entry.get("grade"))
        if key in seen or known_tasks(key) is None:
            continue
        seen.add(key)
        out.setdefault(len(known_tasks(key)), []).append(key)
    return out


def subjects() -> dict[str, str]:
    """Subject codes and their Russian names (``params/subjects.yaml``)."""
    return dict(load_params("subjects"))


def subject_from_text(text: str) -> str | None:
    """The subject code whose name (its stem) occurs in a text such as a file name."""
    low = text.lower().replace("ё", "е")
    found = []
    for code, name in subjects().items():
        word = name.lower().replace("ё", "е").split()[0]
        stem = word[: max(5, len(word) - 3)] if len(word) > 6 else word[:-1]
        if stem and stem in low:
            found.append(code)
    return found[0] if len(found) == 1 else None
