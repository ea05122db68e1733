"""КИМ descriptions: ALL.xlsx (tasks), KS.xlsx (КЭС names), KT.xlsx (КТ names).

The files say nothing of the form they describe; it comes from the path
``kim/<grade>/<subject name>/`` and the year from a number in the path or in
the name of a description document beside them (``VPR_MA-4_Opisanie_2021.pdf``),
else from the options of the load.

Quirks handled here: labels ``5.1`` (the export writes ``5(1)``), ``1K1`` with a
Latin K, ``1.0`` for task 1, one row per pair of КЭС and КТ codes (a task checks
several), and a second, empty block of the same columns to the right (ru-5).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ._forms import FormKey, normalise_task, subject_from_text
from ._read import Table, UnreadableFileError, cell_text
from .vpr import SOURCE_NAME, Hints

COLUMNS = {
    "label": re.compile(r"^№\s*(по\s*)?ким", re.IGNORECASE),
    "position": re.compile(r"^№$"),
    "skill": re.compile(r"^умения", re.IGNORECASE),
    "level": re.compile(r"^уровень", re.IGNORECASE),
    "kes": re.compile(r"^код кэс", re.IGNORECASE),
    "kt": re.compile(r"^код кт", re.IGNORECASE),
    "max": re.compile(r"^максимальный балл", re.IGNORECASE),
}


def code_text(value) -> str:
    """A КЭС/КТ code as text: ``1.0`` -> ``1``, ``2.1`` stays."""
    return cell_text(value)


def kim_hints(path: Path, hints: Hints) -> None:
    """Year, subject and grade of a КИМ file from its folder and neighbours."""
    parts = [p for p in path.parts[-4:-1]]
    for part in reversed(parts):
        if re.fullmatch(r"\d{1,2}", part):
            hints.offer("grade", int(part), SOURCE_NAME)
        hints.offer("subject", subject_from_text(part), SOURCE_NAME)
    text = " ".join(parts) + " " + " ".join(p.name for p in path.parent.glob("*"))
    year = re.search(r"(?<!\d)(20\d\d)(?!\d)", text)
    hints.offer("year", int(year[1]) if year else None, SOURCE_NAME)


def require_form(hints: Hints, path: Path) -> FormKey:
    missing = [
        label
        for label, field in [
            ("год", "year"),
            ("предмет", "subject"),
            ("класс", "grade"),
        ]
        if getattr(hints, field) is None
    ]
    if missing:
        raise UnreadableFileError(
            f"{path.name}: не удалось определить {', '.join(missing)} описания КИМ по "
            "пути kim/<класс>/<предмет>/; укажите их параметрами "
            "--year, --subject, --grade"
        )
    return FormKey("vpr", int(hints.year), hints.subject, int(hints.grade))


def _blocks(table: Table) -> list[pd.DataFrame]:
    """The column blocks of the sheet that start with a task label column."""
    starts = [i for i, h in enumerate(table.header) if COLUMNS["label"].match(h)]
    blocks = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(table.header)
        cols = {}
        for i in range(start, end):
            for name, pattern in COLUMNS.items():
                if name not in cols and pattern.match(table.header[i]):
                    cols[name] = i
        if "label" not in cols or "max" not in cols:
            continue
        block = pd.DataFrame(
            {name: table.frame[i].map(cell_text) for name, i in cols.items()}
        )
        block["row"] = table.rows
        blocks.append(block[block["label"] != ""])
    return blocks


def read_items(table: Table, key: FormKey) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tasks (items) and their КЭС/КТ codes (item_codes) from ALL.xlsx."""
    blocks = _blocks(table)
    if not blocks:
        raise UnreadableFileError(
            f"{table.label}: нет столбцов «№ КИМ» и «Максимальный балл»"
        )
    rows = pd.concat(blocks, ignore_index=True)
    rows["task"] = rows["label"].map(normalise_task)
    order = list(dict.fromkeys(rows["task"]))
    first = rows.drop_duplicates("task").set_index("task").loc[order]
    items = pd.DataFrame(
        {
            "form_id": key.form_id,
            "position": range(1, len(order) + 1),
            "task": order,
            "max_score": pd.to_numeric(first["max"], errors="coerce").to_numpy(),
            "level": first.get("level", pd.Series(index=first.index, dtype=object))
            .replace("", None)
            .to_numpy(),
            "skill": first.get("skill", pd.Series(index=first.index, dtype=object))
            .str.replace("\x02", "", regex=False)
            .str.replace(r"\s+", " ", regex=True)
            .to_numpy(),
        }
    )
    position = dict(zip(order, items["position"], strict=False))
    codes = []
    for kind in ("kes", "kt"):
        if kind in rows:
            part = rows[["task", kind]].rename(columns={kind: "code"})
            part = part[part["code"] != ""]
            codes.append(part.assign(kind=kind))
    item_codes = pd.concat(codes, ignore_index=True).drop_duplicates()
    item_codes["code"] = item_codes["code"].map(_tidy_code)
    item_codes = item_codes.drop_duplicates()
    item_codes.insert(0, "form_id", key.form_id)
    item_codes.insert(1, "position", item_codes.pop("task").map(position))
    return items, item_codes[["form_id", "position", "kind", "code"]]


def _tidy_code(code: str) -> str:
    return code[:-2] if re.fullmatch(r"\d+\.0", code) else code


def read_code_names(table: Table, key: FormKey, kind: str) -> pd.DataFrame:
    """``Код`` and the name of each КЭС (KS.xlsx) or КТ (KT.xlsx) code."""
    codes = table.frame[0].map(cell_text).map(_tidy_code)
    names = table.frame[1].map(cell_text).str.replace(r"\s+", " ", regex=True)
    frame = pd.DataFrame(
        {"form_id": key.form_id, "kind": kind, "code": codes, "name": names}
    )
    return frame[frame["code"] != ""].drop_duplicates(["code"])
