"""The three ВПР export layouts: the 2020 raw export, 2021 «Проведение работы»
and the 2022 «Протокол» upload form.

Each reader turns a table into a :class:`~._results.ResultBatch` and says how
the form (year, subject, grade) was determined, in this order:

1. the file's content: 2020 — the year from the ``vpr2020.*`` tags of
   ``groups``; 2021 — the grade from the range of student codes (``40001`` is
   grade 4); 2022 — subject and grade from the textbook code (``ma4.8``) of the
   sheet ``Классы`` and the year from ``Дата загрузки``;
2. the file name (``… по математике, 4 класс. ВПР 2021.xlsx``);
3. the options ``year``, ``subject``, ``grade`` of the load;
4. for the subject and grade only: the number of task columns when exactly one
   form of ``params/forms.yaml`` has that many tasks.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from ._forms import (
    FormKey,
    normalise_task,
    subject_from_text,
    subjects,
    task_count_signatures,
)
from ._read import Table, UnreadableFileError, as_text, cell_text, map_unique
from ._results import NO_LETTER, ResultBatch

SOURCE_CONTENT = "из содержимого файла"
SOURCE_NAME = "из имени файла"
SOURCE_OPTION = "из параметров загрузки"
SOURCE_TASKS = "по числу заданий"


@dataclass
class Hints:
    """What is known of the form so far, with where each part came from."""

    year: int | None = None
    subject: str | None = None
    grade: int | None = None
    sources: dict | None = None

    # Sources asked after the file's content: the file name, then the options.
    later: Callable[[Hints], None] | None = None

    def __post_init__(self):
        self.sources = dict(self.sources or {})

    def offer(self, field: str, value, source: str) -> None:
        if value is not None and getattr(self, field) is None:
            setattr(self, field, value)
            self.sources[field] = source


def name_hints(hints: Hints, name: str) -> None:
    """Year, subject and grade read from a file name."""
    year = re.search(r"(?<!\d)(20\d\d)(?!\d)", name)
    hints.offer("year", int(year[1]) if year else None, SOURCE_NAME)
    hints.offer("subject", subject_from_text(name), SOURCE_NAME)
    grade = re.search(r"(?<!\d)(\d{1,2})\s*(?:класс|кл)", name.lower())
    if grade is None:
        grade = re.search(
            r"(?<![\d.])(1[01]|[1-9])(?![\d])(?!\s*\d)", re.sub(r"20\d\d", "", name)
        )
    hints.offer("grade", int(grade[1]) if grade else None, SOURCE_NAME)


def option_hints(hints: Hints, year, subject, grade) -> None:
    hints.offer("year", year, SOURCE_OPTION)
    hints.offer("subject", subject, SOURCE_OPTION)
    hints.offer("grade", grade, SOURCE_OPTION)


def finish_form(
    hints: Hints, table: Table, n_tasks: int, *, study: str = "vpr"
) -> FormKey:
    """The form, once every source has been asked; a clear error if still unknown."""
    if hints.later is not None:
        hints.later(hints)
    if hints.year is not None and (hints.subject is None or hints.grade is None):
        fitting = task_count_signatures(hints.year, hints.grade).get(n_tasks, [])
        if hints.subject is not None:
            fitting = [k for k in fitting if k.subject == hints.subject]
        if len(fitting) == 1:
            hints.offer("subject", fitting[0].subject, SOURCE_TASKS)
            hints.offer("grade", fitting[0].grade, SOURCE_TASKS)
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
            f"{table.path.name}: не удалось определить {', '.join(missing)} "
            "работы ни по "
            "содержимому, ни по имени файла; укажите их параметрами "
            "--year, --subject, --grade"
        )
    if hints.subject not in subjects():
        raise UnreadableFileError(
            f"{table.path.name}: неизвестный код предмета «{hints.subject}»; "
            f"допустимы: {', '.join(subjects())}"
        )
    return FormKey(study, int(hints.year), hints.subject, int(hints.grade))


def texts(values: pd.Series) -> pd.Series:
    """Cells as stripped text (a pass over Python objects only where needed)."""
    return as_text(values)


def _letters(values: pd.Series, grade: int | None) -> pd.Series:
    """Class letters in upper case; ``нет``, empty or the bare grade: no letter."""

    def letter(cell) -> str | None:
        text = cell_text(cell).upper()
        if grade is not None:
            text = re.sub(rf"^{grade}\s*", "", text)
        return None if text.lower() in NO_LETTER else text

    return map_unique(values, letter)


def _genders(values: pd.Series) -> pd.Series:
    """``м`` or ``ж`` (case ignored); anything else is unknown (empty)."""

    def gender(cell) -> str:
        text = cell_text(cell).lower()
        return text if text in ("м", "ж") else ""

    return map_unique(values, gender)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text.lower())


def _col(header: list[str], *names: str) -> int:
    """Position of a column by its name (case and spaces ignored)."""
    low = [_squash(h) for h in header]
    for name in names:
        if _squash(name) in low:
            return low.index(_squash(name))
    for name in names:
        for i, h in enumerate(low):
            if h.startswith(_squash(name)):
                return i
    raise UnreadableFileError(f"нет столбца «{names[0]}»")


# -- 2020: the raw system export ----------------------------------------------


def read_2020(table: Table, hints: Hints) -> ResultBatch:
    """The 2020 raw export (``groups, user, id, code, otc, gender, klass, …``)."""
    h, f = table.header, table.frame
    tags = texts(f[_col(h, "groups")].head(200))
    years = Counter(int(y) for t in tags for y in re.findall(r"vpr(20\d\d)\.", t))
    hints.offer("year", max(years) if years else None, SOURCE_CONTENT)

    # Task columns: a-N-grade up to the first non-task column ("Учебник").
    task_cols = []
    for i, name in enumerate(h):
        if re.fullmatch(r"a-\d+-grade", name):
            task_cols.append(i)
        elif task_cols:
            break
    extra = [i for i, name in enumerate(h) if i > (task_cols[-1] if task_cols else 0)]
    extra = [i for i in extra if re.fullmatch(r"a-\d+-grade", h[i]) or h[i] == ""]
    key = finish_form(hints, table, len(task_cols))
    var1, var2 = texts(f[_col(h, "var-1")]), texts(f[_col(h, "var-2")])
    absent1 = var1.eq("отсутствовал") | var1.eq("")
    absent2 = var2.eq("отсутствовал") | var2.eq("")
    absent = (absent1 & absent2).to_numpy() & (
        var1.eq("отсутствовал") | var2.eq("отсутствовал")
    ).to_numpy()
    data = pd.DataFrame(
        {
            "school_raw": texts(f[_col(h, "user")]),
            "code": texts(f[_col(h, "code")]),
            "letter": _letters(f[_col(h, "klass")], None),
            "gender": _genders(f[_col(h, "gender")]),
            "variant": var1.where(~absent1, var2.where(~absent2, "")),
            "absent": absent,
            "journal": texts(f[_col(h, "otc")]),
            "total": texts(f[_col(h, "sum")]),
        }
    )
    data["school_id"] = data["school_raw"]
    for name in ("mark", "test_score", "teacher"):
        data[name] = ""
    return ResultBatch(
        table=table,
        key=key,
        data=data,
        task_cols=task_cols,
        task_labels=[re.findall(r"\d+", h[i])[0] for i in task_cols],
        columns={"code": "code", "journal": "otc", "school": "user", "total": "sum"},
        extra_cols=extra,
    )


def trim_to_form(batch: ResultBatch) -> ResultBatch:
    """Keep the form's known number of task columns; the rest must be empty."""
    from ._forms import known_tasks

    tasks = known_tasks(batch.key)
    if tasks is not None and len(batch.task_cols) > len(tasks):
        n = len(tasks)
        batch.extra_cols = batch.task_cols[n:] + batch.extra_cols
        batch.task_cols = batch.task_cols[:n]
        batch.task_labels = [t["task"] for t in tasks]
        if batch.header_max is not None:
            batch.header_max = batch.header_max[:n]
    return batch


# -- 2021: «Проведение работы» --------------------------------------------------


def read_2021(table: Table, hints: Hints) -> ResultBatch:
    """The 2021 layout (``логин школы, регион, номер обучающегося, …, балл за N``)."""
    h, f = table.header, table.frame
    code = texts(f[_col(h, "код обучающегося")])
    firsts = {c[0] for c in code.unique() if len(c) == 5 and c.isdigit()}
    if len(firsts) == 1:
        hints.offer("grade", int(firsts.pop()), SOURCE_CONTENT)
    task_cols = [
        i for i, name in enumerate(h) if re.fullmatch(r"балл за \S+", name.lower())
    ]
    key = finish_form(hints, table, len(task_cols))
    variant = texts(f[_col(h, "вариант")])
    absent = variant.eq("отсутствовал").to_numpy()
    data = pd.DataFrame(
        {
            "school_raw": texts(f[_col(h, "логин школы")]),
            "code": code,
            "letter": _letters(f[_col(h, "класс")], None),
            "gender": _genders(f[_col(h, "пол")]),
            "variant": variant.where(~absent, ""),
            "absent": absent,
            "journal": texts(f[_col(h, "отметка за предыдущую четверть/триместр")]),
            "total": texts(f[_col(h, "всего баллов")]),
        }
    )
    data["school_id"] = data["school_raw"]
    for name in ("mark", "test_score", "teacher"):
        data[name] = ""
    return ResultBatch(
        table=table,
        key=key,
        data=data,
        task_cols=task_cols,
        task_labels=[normalise_task(h[i].split()[-1]) for i in task_cols],
        columns={
            "code": "код обучающегося",
            "journal": "отметка за предыдущую четверть/триместр",
            "school": "логин школы",
            "total": "всего баллов",
        },
    )


# -- 2022: the «Протокол» upload form ----------------------------------------

TASK_HEADER_2022 = re.compile(r"^(.+?)\s*\((\d+(?:[.,]\d+)?)\s*б\)$")


def school_login_2022(values: pd.Series) -> pd.Series:
    """``edu223379`` (the 2022 user login) -> ``sch223379`` (the school's login)."""
    return values.str.replace(r"^edu(\d+)$", r"sch\1", regex=True)


def read_2022(protocol: Table, classes: Table | None, hints: Hints) -> ResultBatch:
    """The 2022 upload form: sheet ``Протокол`` (and ``Классы`` for the textbook)."""
    h, f = protocol.header, protocol.frame
    if classes is not None and len(classes.frame):
        book = [
            i
            for i, name in enumerate(classes.header)
            if name.lower().startswith("основной учебник")
        ]
        if book:
            codes = texts(classes.frame[book[0]]).str.extract(r"^([a-z]{2})(\d{1,2})\.")
            pairs = set(map(tuple, codes.dropna().to_numpy()))
            if len(pairs) == 1:
                subj, grade = pairs.pop()
                hints.offer("subject", subj, SOURCE_CONTENT)
                hints.offer("grade", int(grade), SOURCE_CONTENT)
    dates = texts(f[_col(h, "дата загрузки")]).str.extract(r"(20\d\d)")[0].dropna()
    if dates.nunique() == 1:
        hints.offer("year", int(dates.iloc[0]), SOURCE_CONTENT)

    matches = [(i, TASK_HEADER_2022.match(name)) for i, name in enumerate(h)]
    task_cols = [i for i, m in matches if m]
    labels = [normalise_task(m[1]) for _, m in matches if m]
    maxima = [float(m[2].replace(",", ".")) for _, m in matches if m]
    key = finish_form(hints, protocol, len(task_cols))
    variant = texts(f[_col(h, "вариант")])
    absent = variant.eq("отсутствовал").to_numpy()
    login = texts(f[_col(h, "школа")]).str.split("|").str[0].str.strip()
    data = pd.DataFrame(
        {
            "school_raw": login,
            "school_id": school_login_2022(login),
            "code": texts(f[_col(h, "код")]),
            "letter": _letters(f[_col(h, "наименование класса")], key.grade),
            "gender": _genders(f[_col(h, "пол")]),
            "variant": variant.where(~absent, ""),
            "absent": absent,
            "journal": texts(f[_col(h, "отметка за предыдущ")]),
            "total": texts(f[_col(h, "итого баллов")]),
        }
    )
    for name in ("mark", "test_score", "teacher"):
        data[name] = ""
    return ResultBatch(
        table=protocol,
        key=key,
        data=data,
        task_cols=task_cols,
        task_labels=labels,
        columns={
            "code": "Код",
            "journal": protocol.header[_col(h, "отметка за предыдущ")],
            "school": "Школа",
            "total": "Итого баллов",
        },
        header_max=maxima,
        zero_total_is_missing=True,
    )
