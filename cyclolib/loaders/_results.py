"""Validation and storage of results: the part every result layout shares.

A layout reader turns its table into a :class:`ResultBatch` (canonical columns
plus the positions of the task columns); :func:`validate` checks every row with
whole-column operations and splits the batch into accepted rows and rejects;
:func:`store` writes the accepted rows. Nothing here loops over rows, except to
word the messages of the rows that are rejected.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from ._forms import STUDY_NAMES, FormKey, known_tasks, marks_from_scale, scale
from ._read import Table, as_text, cell_text, map_unique

log = logging.getLogger(__name__)

# Cells that mean "the task was not done": 0 points.
NOT_DONE = frozenset({"", "x", "х", "не пройд."})
# Journal-mark cells kept as "no journal mark" (NULL) with the row accepted.
NO_JOURNAL_MARK = frozenset({"", "нет отметки"})
# Journal-mark cells that show the row is shifted by one column.
SHIFTED_JOURNAL = frozenset({"м", "ж"})
# Class-letter cells that mean "the school has one class": no letter.
NO_LETTER = frozenset({"", "нет", "-"})

CANONICAL = [
    "school_raw", "school_id", "code", "letter", "gender", "variant", "absent",
    "journal", "total", "mark", "test_score", "teacher",
]  # fmt: skip


@dataclass
class ResultBatch:
    """The rows of one form read from one table, in canonical columns.

    ``data`` holds :data:`CANONICAL` columns as text (``absent`` as bool) and is
    aligned with ``table.frame``; ``task_cols`` are the positions of the task
    columns of the form in ``table.frame``, ``extra_cols`` those beyond the
    form's length (which must be empty); ``columns`` names, for each canonical
    column, the header of the source column (for messages).
    """

    table: Table
    key: FormKey
    data: pd.DataFrame
    task_cols: list[int]
    task_labels: list[str]
    columns: dict[str, str]
    header_max: list[float | None] | None = None
    extra_cols: list[int] = field(default_factory=list)
    items: pd.DataFrame | None = None  # tasks given by the file itself (exchange)
    # 2022: a total of 0 beside non-zero task points is a formula never computed.
    zero_total_is_missing: bool = False


@dataclass
class Checked:
    """A validated batch: the accepted rows, their task scores and the rejects."""

    batch: ResultBatch
    accepted: pd.DataFrame
    scores: np.ndarray  # accepted rows x tasks, NaN for absent participants
    rejects: pd.DataFrame
    reasons: Counter
    maxima: list[float | None]
    max_source: str
    warnings: list[str]


# -- task maxima -------------------------------------------------------------


def task_maxima(
    con: duckdb.DuckDBPyConnection, batch: ResultBatch
) -> tuple[list[float | None], list[str], str]:
    """Maxima and labels of the batch's tasks, and where they came from.

    Loaded КИМ items win, then items given by the file, then
    ``params/forms.yaml``, then the maxima written in the header (2022).
    """
    n = len(batch.task_cols)
    rows = con.execute(
        "SELECT task, max_score FROM items WHERE form_id = ? ORDER BY position",
        [batch.key.form_id],
    ).fetchall()
    if rows and len(rows) == n:
        return (
            [r[1] for r in rows],
            [r[0] for r in rows],
            "описание заданий в базе (КИМ или таблица items)",
        )
    if batch.items is not None and len(batch.items) == n:
        return (
            list(batch.items["max_score"]),
            list(batch.items["task"]),
            "таблица items файла",
        )
    tasks = known_tasks(batch.key)
    if tasks is not None and len(tasks) == n:
        return (
            [t["max"] for t in tasks],
            [t["task"] for t in tasks],
            "params/forms.yaml",
        )
    if batch.header_max is not None:
        return list(batch.header_max), list(batch.task_labels), "заголовок файла"
    return [None] * n, list(batch.task_labels), "нет"


# -- validation --------------------------------------------------------------


def _parse(values: pd.Series, *, not_done: frozenset = frozenset()):
    """Numbers of raw cells, parsed once per distinct value.

    Returns the numbers (NaN for empty cells) and a mask of cells that are not
    numbers; cells in ``not_done`` (compared in lower case) give 0.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    text = [cell_text(v).lower().replace(",", ".") for v in uniques]
    num = np.array(
        pd.to_numeric(pd.Series(text, dtype=object), errors="coerce"), dtype=float
    )
    zero = np.array([t in not_done for t in text], dtype=bool)
    num[zero] = 0.0
    bad = np.isnan(num) & np.array([t != "" for t in text], dtype=bool) & ~zero
    if not len(codes):
        return np.zeros(0), np.zeros(0, dtype=bool)
    return num[codes], bad[codes]


def _numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numeric values of raw cells and a mask of cells that are not numbers.

    Empty cells give NaN and are not flagged; a decimal comma is accepted.
    """
    return _parse(values)


def _task_scores(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Points of one task column: ``X``, ``не пройд.`` and empty cells give 0."""
    return _parse(values, not_done=NOT_DONE)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


class _Rejects:
    """Collects the first problem of each row: reason, column and value."""

    def __init__(self, n: int):
        self.open = np.ones(n, dtype=bool)  # rows without a problem so far
        self.kind = np.full(n, None, dtype=object)
        self.reason = np.full(n, None, dtype=object)
        self.column = np.full(n, None, dtype=object)
        self.value = np.full(n, None, dtype=object)

    def flag(self, mask, kind: str, column: str, values, message) -> None:
        """Mark rows of ``mask`` not yet rejected; ``message(value, i)`` words each."""
        idx = np.flatnonzero(np.asarray(mask) & self.open)
        if not len(idx):
            return
        vals = np.asarray(values, dtype=object)[idx]
        self.open[idx] = False
        self.kind[idx] = kind
        self.column[idx] = column
        self.value[idx] = [cell_text(v) for v in vals]
        self.reason[idx] = [
            message(cell_text(v), i) for v, i in zip(vals, idx, strict=True)
        ]


def validate(
    con: duckdb.DuckDBPyConnection,
    batch: ResultBatch,
    *,
    known_schools: set[str],
) -> Checked:
    """Check every row of a batch; split it into accepted rows and rejects."""
    data, table, cols = batch.data, batch.table, batch.columns
    n = len(data)
    rej = _Rejects(n)
    warnings: list[str] = []
    absent = data["absent"].to_numpy(dtype=bool)
    present = ~absent
    maxima, labels, max_source = task_maxima(con, batch)

    # Identity of the participant
    code = data["code"].to_numpy(dtype=object)
    rej.flag(
        code == "", "нет кода участника", cols["code"], code,
        lambda v, i: f"нет кода участника в столбце «{cols['code']}»",
    )  # fmt: skip
    journal = map_unique(data["journal"], lambda v: str(v).lower())
    rej.flag(
        journal.isin(SHIFTED_JOURNAL).to_numpy(), "строка сдвинута", cols["journal"],
        data["journal"],
        lambda v, i: f"строка сдвинута: в столбце «{cols['journal']}» стоит «{v}» "
        "(пол) вместо отметки по журналу; проверьте строку в исходной выгрузке",
    )  # fmt: skip
    school = data["school_id"].to_numpy(dtype=object)
    rej.flag(
        ~data["school_id"].isin(known_schools).to_numpy(), "неизвестная школа",
        cols["school"],
        data["school_raw"],
        lambda v, i: f"неизвестная школа «{v}»: её нет в списке школ базы; "
        "загрузите список школ (schools.xlsx или таблицу schools), затем этот "
        "файл заново: cyclo load ФАЙЛ --replace",
    )  # fmt: skip

    # Task scores: numbers within 0..max
    n_tasks = len(batch.task_cols)
    scores = np.zeros((n, n_tasks), dtype=float)
    for j, col in enumerate(batch.task_cols):
        values = table.frame[col]
        num, bad = _task_scores(values)
        header = table.header[col]
        rej.flag(
            bad & present, "нечисловой балл за задание", header, values,
            lambda v, i, h=header: f"нечисловое значение в столбце «{h}»: ожидался "
            f"балл (число, X или пусто), найдено «{v}»",
        )  # fmt: skip
        rej.flag(
            (num < 0) & present, "отрицательный балл за задание", header, values,
            lambda v, i, h=header: f"отрицательный балл в столбце «{h}»: найдено {v}",
        )  # fmt: skip
        top = maxima[j]
        if top is not None and not pd.isna(top):
            rej.flag(
                (num > top) & present, "балл за задание больше максимального", header,
                values,
                lambda v, i, t=labels[j], m=top: f"балл за задание {t} больше "
                f"максимального: найдено {v}, максимум {_fmt(m)}",
            )  # fmt: skip
        scores[:, j] = num
    for col in batch.extra_cols:
        text = as_text(table.frame[col])
        filled = (text != "").to_numpy()
        header = table.header[col] or f"столбец {col + 1}"
        rej.flag(
            filled & present, "значение за пределами работы", header, text,
            lambda v, i, h=header: f"значение «{v}» в столбце «{h}» за пределами "
            f"заданий работы (в ней {n_tasks} заданий): строка, вероятно, сдвинута",
        )  # fmt: skip

    # The primary score: a number, within the form's maximum, equal to the sum
    task_sum = scores.sum(axis=1)
    total, total_bad = _numbers(data["total"])
    if batch.zero_total_is_missing:
        stale = (total == 0) & (task_sum > 0) & present
        if stale.any():
            total[stale] = np.nan
            warnings.append(
                f"в {int(stale.sum())} строках «{cols['total']}» = 0 "
                "при ненулевых баллах "
                "за задания (формула формы не пересчитана): первичный балл вычислен "
                "по заданиям"
            )
    rej.flag(
        total_bad & present, "нечисловой первичный балл", cols["total"], data["total"],
        lambda v, i: f"нечисловое значение в столбце «{cols['total']}»: ожидался "
        f"первичный балл, найдено «{v}»",
    )  # fmt: skip
    form_max = _form_max(batch.key, maxima)
    if form_max is not None:
        rej.flag(
            (total > form_max) & present, "первичный балл больше максимума работы",
            cols["total"], data["total"],
            lambda v, i: f"первичный балл больше максимума работы: найдено {v}, "
            f"максимум {_fmt(form_max)}",
        )  # fmt: skip
    if n_tasks:
        differs = ~np.isnan(total) & (np.abs(total - task_sum) > 1e-9) & present
        rej.flag(
            differs, "первичный балл не равен сумме баллов за задания", cols["total"],
            data["total"],
            lambda v, i: f"первичный балл {v} не равен сумме баллов за задания "
            f"{_fmt(task_sum[i])}",
        )  # fmt: skip
    primary = np.where(np.isnan(total), task_sum if n_tasks else np.nan, total)
    primary[absent] = np.nan

    # Journal mark: 2..5, or none
    jnum, _ = _numbers(data["journal"])
    no_mark = journal.isin(NO_JOURNAL_MARK).to_numpy()
    wrong = ~no_mark & ~np.isin(jnum, [2, 3, 4, 5])
    rej.flag(
        wrong, "отметка по журналу вне диапазона 2–5", cols["journal"], data["journal"],
        lambda v, i: f"отметка по журналу вне диапазона 2–5: найдено «{v}» "
        f"в столбце «{cols['journal']}»",
    )  # fmt: skip
    jnum[no_mark] = np.nan

    # Mark and test score given by the file
    mark, _ = _numbers(data["mark"])
    given = data["mark"].to_numpy(dtype=object) != ""
    rej.flag(
        given & ~np.isin(mark, [2, 3, 4, 5]) & present, "отметка вне диапазона 2–5",
        cols.get("mark", "mark"), data["mark"],
        lambda v, i: f"отметка вне диапазона 2–5: найдено «{v}»",
    )  # fmt: skip
    test, test_bad = _numbers(data["test_score"])
    rej.flag(
        (test_bad | (test < 0) | (test > 100)) & present, "тестовый балл вне 0–100",
        cols.get("test_score", "test_score"), data["test_score"],
        lambda v, i: f"тестовый балл должен быть числом от 0 до 100, найдено «{v}»",
    )  # fmt: skip
    sc = scale(batch.key)
    if sc is not None:
        computed = marks_from_scale(np.nan_to_num(primary), sc["thresholds"])
        mark = np.where(given, mark, computed)
    elif not given.all():
        warnings.append(
            f"нет шкалы перевода в отметки для формы {batch.key.form_id} "
            "(params/scales.yaml): отметки не вычислены"
        )
    mark = np.where(np.isnan(primary), np.nan, mark)

    # The same participant twice: in this file, or already in the database
    pair = pd.Series(school, dtype=object) + "/" + pd.Series(code, dtype=object)
    ok = rej.open
    twice = (pair.duplicated() & ok).to_numpy()
    first_rows = {}
    if twice.any():
        # The first accepted row of each repeated participant, for the message.
        sel = ok & pair.isin(set(pair[twice])).to_numpy()
        first_rows = dict(
            zip(pair[sel].to_numpy()[::-1], table.rows[sel][::-1], strict=True)
        )
    rej.flag(
        twice, "участник дважды в работе", cols["code"], code,
        lambda v, i: f"участник с кодом {v} школы {school[i]} уже есть в этой работе "
        f"(строка {first_rows.get(pair.iat[i])})",
    )  # fmt: skip
    stored = con.execute(
        "SELECT student_id FROM results WHERE form_id = ?", [batch.key.form_id]
    ).df()["student_id"]
    rej.flag(
        pair.isin(stored).to_numpy(), "участник уже загружен", cols["code"], code,
        lambda v, i: f"участник с кодом {v} школы {school[i]} уже загружен в базу "
        f"по работе {batch.key.form_id}",
    )  # fmt: skip

    # Split
    ok = rej.open
    accepted = pd.DataFrame(
        {
            "school_id": school[ok],
            "code": code[ok],
            "letter": data["letter"].to_numpy(dtype=object)[ok],
            "gender": data["gender"].to_numpy(dtype=object)[ok],
            "variant": data["variant"].to_numpy(dtype=object)[ok],
            "teacher_id": data["teacher"].to_numpy(dtype=object)[ok],
            "absent": absent[ok],
            "primary_score": primary[ok],
            "mark": mark[ok],
            "journal_mark": jnum[ok],
            "test_score": test[ok],
        }
    )
    kept = scores[ok]
    kept[absent[ok]] = np.nan
    bad = ~ok
    rejects = pd.DataFrame(
        {
            "file": table.path.name,
            "sheet": table.sheet,
            "row": table.rows[bad],
            "column": rej.column[bad],
            "reason": rej.reason[bad],
            "value": rej.value[bad],
            "record": _records(table, np.flatnonzero(bad)),
        }
    )
    return Checked(
        batch=batch,
        accepted=accepted,
        scores=kept,
        rejects=rejects,
        reasons=Counter(rej.kind[bad]),
        maxima=maxima,
        max_source=max_source,
        warnings=warnings,
    )


def _form_max(key: FormKey, maxima: list[float | None]) -> float | None:
    if maxima and all(m is not None and not pd.isna(m) for m in maxima):
        return float(sum(maxima))
    sc = scale(key)
    return float(sc["max"]) if sc is not None and sc.get("max") is not None else None


def _records(table: Table, idx: np.ndarray) -> list[str]:
    """The raw rows as JSON objects keyed by the header (only rejected rows)."""
    header = [h or f"столбец {i + 1}" for i, h in enumerate(table.header)]
    rows = table.frame.iloc[idx].to_numpy(dtype=object) if len(idx) else []
    return [
        json.dumps(
            dict(zip(header, (cell_text(v) for v in row), strict=True)),
            ensure_ascii=False,
        )
        for row in rows
    ]


# -- storage -----------------------------------------------------------------


def next_id(con: duckdb.DuckDBPyConnection, table: str, column: str) -> int:
    """The next free integer id of a table (1 for an empty table)."""
    ((value,),) = con.execute(
        f"SELECT coalesce(max({column}), 0) + 1 FROM {table}"
    ).fetchall()
    return int(value)


def append(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Append a frame by column name, handed to DuckDB as an Arrow table (fast)."""
    if frame.empty:
        return
    cols = ", ".join(f'"{c}"' for c in frame.columns)
    con.register("_rows", _arrow(frame))
    try:
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _rows")
    finally:
        con.unregister("_rows")


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """Object columns of text become Arrow strings (None stays NULL)."""
    arrays = {}
    for name in frame.columns:
        col = frame[name]
        if col.dtype == object:
            arrays[name] = pa.array(col.to_numpy(), type=pa.string(), from_pandas=True)
        else:
            arrays[name] = pa.Array.from_pandas(col)
    return pa.table(arrays)


def insert_new(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Insert rows whose primary key is not in the table yet."""
    if frame.empty:
        return
    cols = ", ".join(f'"{c}"' for c in frame.columns)
    con.register("_new_rows", _arrow(frame))
    try:
        con.execute(
            f"INSERT OR IGNORE INTO {table} ({cols}) SELECT {cols} FROM _new_rows"
        )
    finally:
        con.unregister("_new_rows")


def ensure_form(
    con: duckdb.DuckDBPyConnection,
    key: FormKey,
    labels: list[str],
    maxima: list[float | None],
    levels: list[str | None] | None = None,
) -> None:
    """Create the study, the form and its items where they do not exist yet."""
    insert_new(
        con,
        "studies",
        pd.DataFrame(
            {"study_id": [key.study], "name": [STUDY_NAMES.get(key.study, key.study)]}
        ),
    )
    known = all(m is not None and not pd.isna(m) for m in maxima) and maxima
    sc = scale(key)
    form_max = float(sum(maxima)) if known else (sc or {}).get("max")
    insert_new(
        con,
        "forms",
        pd.DataFrame(
            {
                "form_id": [key.form_id],
                "study_id": [key.study],
                "year": [key.year],
                "subject": [key.subject],
                "grade": [key.grade],
                "max_score": [form_max],
                "n_tasks": [len(labels)],
            }
        ),
    )
    ((have,),) = con.execute(
        "SELECT count(*) FROM items WHERE form_id = ?", [key.form_id]
    ).fetchall()
    if have or not labels:
        return
    if levels is None:
        tasks = known_tasks(key)
        levels = (
            [t["level"] for t in tasks]
            if tasks is not None and len(tasks) == len(labels)
            else [None] * len(labels)
        )
    append(
        con,
        "items",
        pd.DataFrame(
            {
                "form_id": key.form_id,
                "position": np.arange(1, len(labels) + 1),
                "task": labels,
                "max_score": pd.array(maxima, dtype="Float64"),
                "level": levels,
            }
        ),
    )


def store(con: duckdb.DuckDBPyConnection, load_id: int, checked: Checked) -> None:
    """Write the accepted rows of a batch: classes, students, results, task scores."""
    batch, acc = checked.batch, checked.accepted
    key = batch.key
    levels = None
    if batch.items is not None and len(batch.items) == len(batch.task_cols):
        levels = list(batch.items.get("level", [None] * len(batch.items)))
    _, labels, _ = task_maxima(con, batch)
    ensure_form(con, key, labels, checked.maxima, levels)
    if acc.empty:
        return

    # Classes, students and teachers
    letter = acc["letter"].where(acc["letter"].notna(), None)
    suffix = map_unique(letter, lambda s: f"/{s}" if isinstance(s, str) and s else "")
    class_id = acc["school_id"] + f"/{key.year}/{key.grade}" + suffix
    teacher = acc["teacher_id"].replace("", None)
    classes = pd.DataFrame(
        {
            "class_id": class_id,
            "school_id": acc["school_id"],
            "year": key.year,
            "grade": key.grade,
            "letter": letter,
            "teacher_id": teacher,
        }
    ).drop_duplicates("class_id")
    insert_new(con, "classes", classes)
    student_id = acc["school_id"] + "/" + acc["code"]
    insert_new(
        con,
        "students",
        pd.DataFrame(
            {
                "student_id": student_id,
                "school_id": acc["school_id"],
                "code": acc["code"],
            }
        ).drop_duplicates("student_id"),
    )
    if teacher.notna().any():
        teachers = pd.DataFrame({"teacher_id": teacher, "school_id": acc["school_id"]})
        insert_new(con, "teachers", teachers.dropna().drop_duplicates("teacher_id"))

    # Results and task scores
    first = next_id(con, "results", "result_id")
    result_id = np.arange(first, first + len(acc), dtype=np.int64)
    results = pd.DataFrame(
        {
            "result_id": result_id,
            "form_id": key.form_id,
            "school_id": acc["school_id"],
            "class_id": class_id,
            "student_id": student_id,
            "teacher_id": teacher,
            "variant": acc["variant"].replace("", None),
            "gender": acc["gender"].replace("", None),
            "absent": acc["absent"],
            "primary_score": acc["primary_score"],
            "mark": pd.array(acc["mark"], dtype="Float64").astype("Int16"),
            "journal_mark": pd.array(acc["journal_mark"], dtype="Float64").astype(
                "Int16"
            ),
            "test_score": acc["test_score"],
            "load_id": load_id,
        }
    )
    append(con, "results", results)
    scores = checked.scores
    if scores.size:
        n, t = scores.shape
        flat = scores.ravel()
        keep = ~np.isnan(flat)
        append(
            con,
            "task_scores",
            pd.DataFrame(
                {
                    "result_id": np.repeat(result_id, t)[keep],
                    "position": np.tile(np.arange(1, t + 1, dtype=np.int16), n)[keep],
                    "score": flat[keep].astype(np.float32),
                }
            ),
        )
