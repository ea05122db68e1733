"""The codifier of the synthetic forms: skills, levels, КЭС and КТ codes of
every task, and the КИМ descriptions made of them.

The texts and codes are in ``params/synth.yaml`` (``codifier``);
``docs/synthetic-region.md`` describes them.
"""

from __future__ import annotations

import re

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
