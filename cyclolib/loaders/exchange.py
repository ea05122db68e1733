"""The exchange format of ``docs/exchange-format.md``: tables recognised by header.

Each CSV file, or each sheet of an XLSX workbook, is one table: ``results``,
``items``, ``schools`` or ``responsibles``. Column names are matched without
regard to case; the Russian names of the results columns are accepted too.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ._forms import FormKey, normalise_task, subjects
from ._read import Table, as_text, map_unique
from ._results import ResultBatch

RESULT_ALIASES = {
    "study": ["исследование"],
    "year": ["год"],
    "subject": ["предмет"],
    "grade": ["класс"],
    "school_id": ["логин"],
    "student_code": ["код"],
    "class": ["буква"],
    "teacher_id": ["учитель"],
    "variant": ["вариант"],
    "gender": ["пол"],
    "absent": ["отсутствовал"],
    "primary_score": ["первичный балл"],
    "mark": ["отметка"],
    "journal_mark": ["отметка по журналу"],
    "test_score": ["тестовый балл"],
}
KEY = ["study", "year", "subject", "grade"]
REQUIRED = {
    "results": {"study", "year", "subject", "grade", "school_id", "student_code"},
    "items": {"study", "year", "subject", "grade", "task", "max_score"},
    "schools": {"school_id", "name"},
    "responsibles": {"level", "unit_id", "role"},
}
YES = frozenset({"1", "да", "true", "yes", "+", "д"})


def canonical_header(header: list[str]) -> list[str]:
    """English column names for a header written in English or Russian."""
    lookup = {}
    for name, aliases in RESULT_ALIASES.items():
        lookup[name] = name
        for alias in aliases:
            lookup[alias] = name
    out = []
    for h in header:
        low = re.sub(r"\s+", " ", h.strip().lower())
        out.append(low if low.startswith("task_") else lookup.get(low, low))
    return out


def table_kind(header: list[str]) -> str | None:
    """Which exchange table a header belongs to, if any."""
    cols = set(canonical_header(header))
    for kind in ("results", "items", "schools", "responsibles"):
        if REQUIRED[kind] <= cols and not (
            kind != "results" and "student_code" in cols
        ):
            return kind
    return None


def columns(table: Table) -> dict[str, int]:
    return {name: i for i, name in enumerate(canonical_header(table.header))}


def text_column(table: Table, cols: dict[str, int], name: str) -> pd.Series:
    if name not in cols:
        return pd.Series([""] * len(table.frame), dtype=object)
    values = table.frame[cols[name]]
    if table.text:
        return values.astype(object)
    return as_text(values)


def _filled(table: Table, i: int) -> bool:
    """Whether column ``i`` of a table has any non-empty cell."""
    values = table.frame[i]
    if table.text:
        return bool((values != "").any())
    return bool((as_text(values) != "").any())


def subtable(table: Table, mask: np.ndarray) -> Table:
    if mask.all():
        return table
    return Table(
        path=table.path,
        sheet=table.sheet,
        header=table.header,
        frame=table.frame.loc[mask].reset_index(drop=True),
        rows=table.rows[mask],
        text=table.text,
    )


def form_keys(table: Table) -> tuple[pd.DataFrame, pd.Series]:
    """The form columns of each row, parsed, and the message of rows where they fail."""
    cols = columns(table)
    key = pd.DataFrame({name: text_column(table, cols, name) for name in KEY})
    key["study"] = key["study"].str.lower()
    key["subject"] = key["subject"].str.lower()
    year = pd.to_numeric(key["year"], errors="coerce")
    grade = pd.to_numeric(key["grade"], errors="coerce")
    problem = pd.Series([None] * len(key), dtype=object)
    problem[year.isna() | (year < 1990) | (year > 2100)] = "год работы не распознан"
    problem[problem.isna() & (grade.isna() | (grade < 1) | (grade > 11))] = (
        "класс работы должен быть числом от 1 до 11"
    )
    problem[problem.isna() & ~key["subject"].isin(list(subjects()))] = (
        "неизвестный код предмета (допустимы коды params/subjects.yaml)"
    )
    problem[problem.isna() & (key["study"] == "")] = "не указано исследование"
    key["year"] = year.astype("Int64")
    key["grade"] = grade.astype("Int64")
    return key, problem


def form_groups(table: Table) -> tuple[dict[FormKey, np.ndarray], pd.Series]:
    """The rows of each form of a table, and the message of rows where it fails.

    The form columns are parsed once per distinct combination of their raw
    cells (by :func:`form_keys`), then spread back to the rows.
    """
    cols = columns(table)
    n = len(table.frame)
    combined = np.zeros(n, dtype=np.int64)
    for name in KEY:
        if name in cols:
            codes, uniques = pd.factorize(
                table.frame[cols[name]], use_na_sentinel=False
            )
            combined = combined * max(len(uniques), 1) + codes
            combined = pd.factorize(combined)[0].astype(np.int64)
    _, first = np.unique(combined, return_index=True)
    distinct = Table(
        path=table.path,
        sheet=table.sheet,
        header=table.header,
        frame=table.frame.iloc[first].reset_index(drop=True),
        rows=table.rows[first],
        text=table.text,
    )
    key, problem = form_keys(distinct)
    problem_of = problem.to_numpy(dtype=object)
    group_of = np.full(len(first), -1, dtype=np.int64)
    forms: dict[FormKey, int] = {}
    for k, (study, year, subject, grade) in enumerate(
        zip(*(key[c] for c in KEY), strict=True)
    ):
        if problem_of[k] is None:
            form = FormKey(study, int(year), subject, int(grade))
            group_of[k] = forms.setdefault(form, len(forms))
    row_group = group_of[combined]
    order = np.argsort(row_group, kind="stable")
    bounds = np.searchsorted(row_group[order], np.arange(len(forms) + 1))
    rows = {form: order[bounds[g] : bounds[g + 1]] for form, g in forms.items()}
    return rows, pd.Series(problem_of[combined], dtype=object)


def read_items(table: Table) -> tuple[dict[FormKey, pd.DataFrame], pd.DataFrame]:
    """Items per form, and their КЭС/КТ codes (``;``-separated lists)."""
    cols = columns(table)
    key, problem = form_keys(table)
    ok = problem.isna().to_numpy()
    frame = pd.DataFrame(
        {
            "task": text_column(table, cols, "task").map(normalise_task),
            "max_score": pd.to_numeric(
                text_column(table, cols, "max_score").str.replace(",", "."),
                errors="coerce",
            ),
            "level": text_column(table, cols, "level").replace("", None),
            "skill": text_column(table, cols, "skill").replace("", None),
            "kes": text_column(table, cols, "kes"),
            "kt": text_column(table, cols, "kt"),
        }
    )
    out = {}
    for values, part in frame[ok].groupby([key[c][ok] for c in KEY], sort=False):
        study, year, subject, grade = values
        out[FormKey(study, int(year), subject, int(grade))] = part.reset_index(
            drop=True
        )
    return out, problem


def item_codes(form_id: str, items: pd.DataFrame) -> pd.DataFrame:
    rows = []
    pairs = zip(items["kes"], items["kt"], strict=True)
    for pos, (kes, kt) in enumerate(pairs, start=1):
        for kind, text in (("kes", kes), ("kt", kt)):
            for code in filter(None, (c.strip() for c in str(text).split(";"))):
                rows.append((form_id, pos, kind, code))
    return pd.DataFrame(rows, columns=["form_id", "position", "kind", "code"])


def read_results(
    table: Table, items: dict[FormKey, pd.DataFrame]
) -> tuple[list[ResultBatch], pd.Series]:
    """One batch per form of a results table, and the rows whose form is unreadable."""
    cols = columns(table)
    groups, problem = form_groups(table)
    task_cols = [
        i
        for i, name in enumerate(canonical_header(table.header))
        if name.startswith("task_")
    ]
    labels = [normalise_task(table.header[i].strip()[5:]) for i in task_cols]
    batches = []
    for form, index in groups.items():
        mask = np.zeros(len(table.frame), dtype=bool)
        mask[index] = True
        sub = subtable(table, mask)
        text = {name: text_column(sub, cols, name) for name in RESULT_ALIASES}
        absent = map_unique(text["absent"], lambda v: v.lower() in YES)
        data = pd.DataFrame(
            {
                "school_raw": text["school_id"],
                "school_id": text["school_id"],
                "code": text["student_code"],
                "letter": map_unique(text["class"], _letter),
                "gender": map_unique(text["gender"], _gender),
                "variant": text["variant"],
                "absent": absent.to_numpy(dtype=bool),
                "journal": text["journal_mark"],
                "total": text["primary_score"],
                "mark": text["mark"],
                "test_score": text["test_score"],
                "teacher": text["teacher_id"],
            }
        )
        given = items.get(form)
        # Drop task columns that are empty for the whole form (rows of other forms).
        used = [
            (i, label)
            for i, label in zip(task_cols, labels, strict=False)
            if given is not None or _filled(sub, i)
        ]
        if given is not None:
            used = used[: len(given)]
        header = {name: table.header[i] for name, i in cols.items()}
        batches.append(
            ResultBatch(
                table=sub,
                key=form,
                data=data,
                task_cols=[i for i, _ in used],
                task_labels=[label for _, label in used],
                columns={
                    "code": header.get("student_code", "student_code"),
                    "journal": header.get("journal_mark", "journal_mark"),
                    "school": header.get("school_id", "school_id"),
                    "total": header.get("primary_score", "primary_score"),
                    "mark": header.get("mark", "mark"),
                    "test_score": header.get("test_score", "test_score"),
                },
                items=given,
            )
        )
    return batches, problem


def _letter(value: str) -> str | None:
    upper = value.upper()
    return None if upper.lower() in ("", "нет") else upper


def _gender(value: str) -> str:
    low = value.lower()
    return low if low in ("м", "ж") else ""


def read_schools(table: Table) -> pd.DataFrame:
    cols = columns(table)
    names = [
        "school_id", "name", "municipality_id", "municipality_name", "region_id",
        "region_name", "urban", "locality", "enrolment", "social_index",
    ]  # fmt: skip
    frame = pd.DataFrame({n: text_column(table, cols, n) for n in names})
    frame = frame[frame["school_id"] != ""]
    urban = frame["urban"].str.lower()
    frame["urban"] = urban.map(lambda v: True if v in YES else (False if v else None))
    for name in ("enrolment", "social_index"):
        frame[name] = pd.to_numeric(frame[name].str.replace(",", "."), errors="coerce")
    frame["enrolment"] = frame["enrolment"].round().astype("Int64")
    return frame.replace("", None)


def read_responsibles(table: Table) -> pd.DataFrame:
    cols = columns(table)
    names = ["level", "unit_id", "role", "person", "position", "contact"]
    frame = pd.DataFrame({n: text_column(table, cols, n) for n in names})
    frame["role"] = (
        frame["role"].str.lower().replace({"собирает": "collect", "проверяет": "check"})
    )
    return frame[frame["unit_id"] != ""].replace("", None)
