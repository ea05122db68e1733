"""Writers of the synthetic region: the real ВПР 2021 layout, the real school
list, the real КИМ descriptions, and the exchange format of
``docs/exchange-format.md``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import codifier
from .model import Block, Form
from .xlsx import int_text, write_text_sheet

# The header of the 2021 «Проведение работы» export, before and after the tasks.
VPR_HEAD = [
    "логин школы",
    "регион",
    "номер обучающегося",
    "код обучающегося",
    "отметка за предыдущую четверть/триместр",
    "пол",
    "класс",
    "вариант",
    "всего баллов",
]
VPR_TAIL = ["Учебник", "Др.уч. автор", "Др.уч. название"]
VPR_ABSENT = "отсутствовал"
SCHOOL_LIST_HEADER = ["логин", "имя", "регион"]

# The column of each quirk kind, in the ВПР layout and in the exchange format.
QUIRK_COLUMNS = {
    "total_mismatch": ("всего баллов", "primary_score"),
    "journal_mark_zh": ("отметка за предыдущую четверть/триместр", "journal_mark"),
    "duplicate_student": ("код обучающегося", "student_code"),
    "unknown_school": ("логин школы", "school_id"),
}

SUBJECT_DATIVE = {"ma": "математике", "ru": "русскому языку"}
TEXTBOOKS = {
    "ma": ["Математика. {g} класс. В 2 частях", "Математика. {g} класс"],
    "ru": ["Русский язык. {g} класс. В 2 частях", "Русский язык. {g} класс"],
}


def vpr_file_name(subject: str, grade: int, year: int) -> str:
    """The export's file name, e.g. «Проведение работы по математике, 4 класс. ВПР
    2023.xlsx»."""
    dative = SUBJECT_DATIVE[subject]
    return f"Проведение работы по {dative}, {grade} класс. ВПР {year}.xlsx"


def exchange_file_name(block: Block) -> str:
    f = block.form
    return f"{f.study}-{block.year}-{f.subject}-{f.grade}.csv"


def _text(values: np.ndarray) -> np.ndarray:
    """Numbers as the exports write them: integers without a decimal point, NaN
    as an empty cell."""
    out = np.full(len(values), "", dtype=object)
    ok = ~np.isnan(values) & (values >= 0)
    out[ok] = int_text(values[ok])
    negative = values < 0
    out[negative] = values[negative].astype(np.int64).astype(str)
    return out


def _score_text(scores: np.ndarray, absent: np.ndarray) -> np.ndarray:
    """The task-score matrix as text; absent participants' cells empty."""
    out = int_text(scores.clip(0).ravel()).reshape(scores.shape)
    out[absent] = ""
    return out


def _journal_text(rows: pd.DataFrame) -> np.ndarray:
    text = _text(rows["journal_mark"].to_numpy(dtype=float))
    bad = (rows["quirk"] == "journal_mark_zh").to_numpy()
    text[bad] = rows["quirk_value"].to_numpy()[bad]
    return text


def _quirk_records(block: Block, file: str, sheet: str | None, xlsx: bool) -> list:
    """Where each spoiled row of a block ended up: file, row, column, value."""
    rows = block.rows
    out = []
    for i in np.flatnonzero((rows["quirk"] != "").to_numpy()):
        kind = rows.at[i, "quirk"]
        if kind == "task_above_max":
            j = int(rows.at[i, "quirk_task"])
            column = f"балл за {j + 1}" if xlsx else f"task_{block.form.labels[j]}"
        else:
            column = QUIRK_COLUMNS[kind][0 if xlsx else 1]
        out.append(
            {
                "kind": kind,
                "file": file,
                "sheet": sheet,
                "row": int(i) + 2,
                "column": column,
                "value": str(rows.at[i, "quirk_value"]),
                "school_id": str(rows.at[i, "school_id"]),
                "student_code": str(rows.at[i, "student_code"]),
                "study": block.form.study,
                "year": block.year,
                "subject": block.form.subject,
                "grade": block.form.grade,
            }
        )
    return out


def vpr_columns(
    block: Block, municipality_of: dict[str, str], seed: int
) -> tuple[list[str], list[np.ndarray]]:
    """The header and the text columns of one ВПР block in the 2021 layout."""
    form, rows = block.form, block.rows
    n = len(rows)
    absent = rows["absent"].to_numpy()
    k = len(form.labels)

    # Text cells, column by column, as the federal export writes them
    cols: list[np.ndarray] = [
        rows["school_id"].to_numpy(dtype=object),
        np.array([municipality_of.get(s, "") for s in rows["school_id"]], dtype=object),
        int_text(rows["number"].to_numpy()),
        rows["student_code"].to_numpy(dtype=object),
        _journal_text(rows),
        np.where(absent, "", rows["gender"].to_numpy(dtype=object)),
        np.where(absent, "", rows["class"].to_numpy(dtype=object)),
        np.where(absent, VPR_ABSENT, rows["variant"].to_numpy(dtype=object)),
        _text(rows["primary_score"].to_numpy(dtype=float)),
    ]
    scores = _score_text(block.scores, absent)
    cols.extend(scores[:, j] for j in range(k))
    school_hash = pd.util.hash_array(rows["school_id"].to_numpy(dtype=object)) + seed
    books = [b.format(g=form.grade) for b in TEXTBOOKS[form.subject]]
    cols.append(np.where(absent, "", np.asarray(books, dtype=object)[school_hash % 2]))
    cols.extend([np.full(n, "", dtype=object)] * 2)
    header = VPR_HEAD + [f"балл за {j + 1}" for j in range(k)] + VPR_TAIL
    return header, cols


def write_vpr_xlsx(
    path: Path, block: Block, municipality_of: dict[str, str], seed: int
) -> list:
    """One ВПР form and year in the 2021 layout; returns the quirk records."""
    header, cols = vpr_columns(block, municipality_of, seed)
    write_text_sheet(path, "Sheet", header, cols)
    return _quirk_records(block, path.name, "Sheet", xlsx=True)


def exchange_columns(block: Block) -> dict[str, np.ndarray]:
    """A block as the text columns of the exchange format's `results` table."""
    form, rows = block.form, block.rows
    absent = rows["absent"].to_numpy()
    n = len(rows)
    frame = {
        "study": np.full(n, form.study, dtype=object),
        "year": np.full(n, str(block.year), dtype=object),
        "subject": np.full(n, form.subject, dtype=object),
        "grade": np.full(n, str(form.grade), dtype=object),
        "school_id": rows["school_id"].to_numpy(dtype=object),
        "student_code": rows["student_code"].to_numpy(dtype=object),
        "class": rows["class"].to_numpy(dtype=object),
        "teacher_id": rows["teacher_id"].to_numpy(dtype=object),
        "variant": rows["variant"].to_numpy(dtype=object),
        "gender": rows["gender"].to_numpy(dtype=object),
        "absent": np.where(absent, "1", "0").astype(object),
        "primary_score": _text(rows["primary_score"].to_numpy(dtype=float)),
        "mark": _text(rows["mark"].to_numpy(dtype=float)),
        "journal_mark": _journal_text(rows),
        "test_score": _text(rows["test_score"].to_numpy(dtype=float)),
    }
    scores = _score_text(block.scores, absent)
    for j, label in enumerate(form.labels):
        frame[f"task_{label}"] = scores[:, j]
    return frame


def write_exchange_csv(path: Path, block: Block) -> list:
    """One form and year in the exchange format (UTF-8, comma, no index)."""
    _write_csv(path, exchange_columns(block))
    return _quirk_records(block, path.name, None, xlsx=False)


def _csv_field(values: np.ndarray) -> np.ndarray:
    """Quote the values of a text column that hold a comma, a quote or a newline."""
    distinct = set(values.tolist())
    special = {
        v: '"' + v.replace('"', '""') + '"'
        for v in distinct
        if "," in v or '"' in v or "\n" in v
    }
    if not special:
        return values
    return np.array([special.get(v, v) for v in values], dtype=object)


def _write_csv(path: Path, columns: dict[str, np.ndarray]) -> None:
    """Text cells joined by commas, one line per row, ``\\n`` line ends."""
    cols = [_csv_field(np.asarray(c, dtype=object)) for c in columns.values()]
    lines = [",".join(columns)]
    lines.extend(",".join(row) for row in zip(*cols, strict=True))
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(lines))
        fh.write("\n")


def write_table_csv(path: Path, frame: pd.DataFrame) -> None:
    """A small table (schools, responsibles, register) as UTF-8 CSV."""
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def write_school_list(path: Path, schools: pd.DataFrame) -> None:
    """The school list in the real layout: логин, имя, регион (the municipality)."""
    cols = [
        schools[c].to_numpy(dtype=object).astype(str).astype(object)
        for c in ("school_id", "name", "municipality_name")
    ]
    write_text_sheet(path, "Лист1", SCHOOL_LIST_HEADER, cols)


def kim_folder(year: int, form: Form, subject_name: str) -> Path:
    """``kim/<year>/<grade>/<subject name>``: the real ``kim/<grade>/<subject>``
    under the year, from which the loader reads the year, the grade and the
    subject."""
    return Path("kim") / str(year) / str(form.grade) / subject_name


def write_kim(folder: Path, form: Form, year: int) -> dict[str, tuple[Path, int]]:
    """The КИМ description of a form: ALL.xlsx (tasks with their skill, level,
    КЭС and КТ codes and maximum), KS.xlsx and KT.xlsx (names of the codes),
    as the real descriptions lay them out. Returns the path and the number of
    rows (without the header) of each file, by layout.

    The files of each year are dated 1 September of the year before, when
    such descriptions are published.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "kim": folder / "ALL.xlsx",
        "kim_kes": folder / "KS.xlsx",
        "kim_kt": folder / "KT.xlsx",
    }
    sheets = {
        "kim": (codifier.KIM_HEADER, codifier.kim_rows(form)),
        "kim_kes": (codifier.KES_HEADER, codifier.name_rows(form, "kes")),
        "kim_kt": (codifier.KT_HEADER, codifier.name_rows(form, "kt")),
    }
    for layout, (header, rows) in sheets.items():
        columns = [np.array(col, dtype=object) for col in zip(*rows, strict=True)]
        write_text_sheet(
            paths[layout], "Лист1", header, columns, date=(year - 1, 9, 1, 0, 0, 0)
        )
    return {layout: (paths[layout], len(sheets[layout][1])) for layout in paths}
