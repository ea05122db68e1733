"""Russian headings of the tables a user saves and their formatted XLSX files.

One mapping serves the exploration panel's tables and the database's tables
that ``cyclo table`` writes: :data:`LABELS` gives a column its heading, and
:data:`TABLE_LABELS` the few database columns whose name means something else
in their table (``level`` of a territory, ``position`` of a responsible).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ..config import load_params
from ..xlsx import write_tables

log = logging.getLogger(__name__)

#: English column → the heading a methodologist reads.
LABELS = {
    "unit_id": "Код",
    "unit": "Единица",
    "name": "Единица",
    "group_name": "Группа",
    "participants": "Участников",
    "mean_score": "Средний первичный балл",
    "mark2_pct": "«2», %",
    "mark3_pct": "«3», %",
    "mark4_pct": "«4», %",
    "mark5_pct": "«5», %",
    "pass_pct": "Успеваемость, %",
    "quality_pct": "Качество знаний, %",
    "sou_pct": "СОУ, %",
    "mean_test_score": "Средний тестовый балл",
    "position": "№",
    "task": "Задание",
    "level": "Уровень сложности",
    "max_score": "Максимальный балл",
    "completion_pct": "Выполнение, %",
    "full_pct": "Полный балл, %",
    "partial_pct": "Частично, %",
    "zero_pct": "0 баллов, %",
    "status": "Достижение",
    "score": "Первичный балл",
    "count": "Участников с баллом",
    "pct": "Доля участников, %",
    "mark": "Отметка",
    "unit_pct": "Единица, %",
    "parent_pct": "Вышестоящая единица, %",
    "similar_pct": "Похожие единицы, %",
    "region_pct": "Регион, %",
    "diff_parent_pp": "Разница с вышестоящей, п. п.",
    # Columns of the database tables (see cyclolib.db.SCHEMA)
    "key": "Ключ",
    "value": "Значение",
    "territory_id": "Код территории",
    "parent_id": "Код вышестоящей территории",
    "school_id": "Логин ОО",
    "municipality_id": "Код муниципалитета",
    "region_id": "Код региона",
    "urban": "Городская местность",
    "locality": "Тип населённого пункта",
    "enrolment": "Обучающихся в ОО",
    "social_index": "Социальный индекс",
    "year": "Год",
    "field": "Вопрос анкеты",
    "teacher_id": "Код учителя",
    "class_id": "Код класса",
    "grade": "Класс (параллель)",
    "letter": "Литера класса",
    "student_id": "Код участника",
    "code": "Код",
    "study_id": "Код исследования",
    "study": "Исследование",
    "form_id": "Код формы",
    "subject": "Предмет",
    "n_tasks": "Заданий",
    "skill": "Проверяемое умение",
    "kind": "Вид кода (КЭС, КТ)",
    "result_id": "Номер результата",
    "variant": "Вариант",
    "gender": "Пол",
    "absent": "Отсутствовал",
    "primary_score": "Первичный балл",
    "journal_mark": "Отметка по журналу",
    "test_score": "Тестовый балл",
    "load_id": "Номер загрузки",
    "path": "Файл",
    "sha256": "Контрольная сумма SHA-256",
    "layout": "Формат выгрузки",
    "loaded_at": "Загружено",
    "rows_read": "Строк прочитано",
    "rows_accepted": "Строк принято",
    "rows_rejected": "Строк отклонено",
    "file": "Файл",
    "sheet": "Лист",
    "row": "Строка",
    "column": "Столбец",
    "reason": "Причина",
    "record": "Исходная строка",
    "unit_name": "Единица",
    "indicator": "Показатель",
    "n": "Участников",
    "ci_low": "Нижняя граница интервала",
    "ci_high": "Верхняя граница интервала",
    "small_group": "Малая группа",
    "params_version": "Версия параметров",
    "computed_at": "Рассчитано",
    "role": "Роль",
    "person": "Ответственный",
    "contact": "Контакты",
    "decision_id": "Номер решения",
    "date": "Дата",
    "body": "Орган",
    "use_kind": "Вид использования",
    "title": "Название решения",
    "target_value": "Целевое значение",
    "target_date": "Срок достижения",
    "note": "Примечание",
}

#: Database table → its columns whose heading differs from :data:`LABELS`.
TABLE_LABELS = {
    "territories": {"name": "Название", "level": "Уровень территории"},
    "schools": {"name": "Название ОО"},
    "studies": {"name": "Название"},
    "forms": {"study_id": "Исследование", "max_score": "Максимальный первичный балл"},
    "items": {"position": "№ задания"},
    "item_codes": {"position": "№ задания"},
    "code_names": {"name": "Название элемента"},
    "task_scores": {"position": "№ задания", "score": "Балл за задание"},
    "indicator_values": {
        "level": "Уровень",
        "unit_id": "Код единицы",
        "task": "Задание, код, уровень или балл",
        "n": "Численность группы",
    },
    "responsibles": {
        "level": "Уровень",
        "unit_id": "Код единицы",
        "position": "Должность",
    },
    "decisions": {"level": "Уровень", "unit_id": "Код единицы", "status": "Статус"},
    "decision_targets": {"unit_id": "Код единицы"},
}

#: Database table → the name of its sheet.
TABLE_NAMES = {
    "meta": "Служебные сведения",
    "territories": "Территории",
    "schools": "Школы",
    "school_context": "Контекст школ",
    "teachers": "Учителя",
    "classes": "Классы",
    "students": "Участники",
    "studies": "Исследования",
    "forms": "Формы",
    "items": "Задания форм",
    "item_codes": "Коды заданий",
    "code_names": "Названия кодов",
    "results": "Результаты",
    "task_scores": "Баллы за задания",
    "loads": "Загрузки",
    "rejects": "Отклонённые строки",
    "indicator_values": "Значения показателей",
    "responsibles": "Ответственные",
    "decisions": "Решения",
    "decision_targets": "Единицы решений",
}

#: Database tables with percents in some rows: table → the column naming the
#: indicator, and the columns that hold its values.
PERCENT_ROWS = {
    "indicator_values": ("indicator", ("value", "ci_low", "ci_high")),
    "decisions": ("indicator", ("target_value",)),
}

#: Columns kept for programs, not shown to people.
HIDDEN = ("group", "small_group")


def percent_columns(frame: pd.DataFrame) -> list:
    """Columns holding percentages (0–100): ``*_pct`` and ``attrs["percent"]``."""
    marked = set(frame.attrs.get("percent", []))
    return [c for c in frame.columns if c in marked or str(c).endswith("_pct")]


def visible(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without the columns kept for programs (``group``, the unit's
    ``level`` outside task tables, ``small_group``); attrs are kept."""
    drop = [c for c in HIDDEN if c in frame.columns]
    if "level" in frame.columns and "task" not in frame.columns:
        drop.append("level")
    shown = frame.drop(columns=drop)
    shown.attrs = dict(frame.attrs)
    return shown


def headings(table: str | None = None) -> dict[str, str]:
    """Column → Russian heading, for the panel's tables or a database table."""
    if table is None:
        return LABELS
    return {**LABELS, **TABLE_LABELS.get(table, {})}


def from_database(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Mark a frame read from a database table, for :func:`labelled`.

    The table's headings apply and no column is hidden; in the rows of
    indicators measured in percent (``unit: "%"`` in params/indicators.yaml)
    the value columns of :data:`PERCENT_ROWS` are shown as percents.
    """
    frame.attrs["table"] = table
    frame.attrs["percent"] = []
    if table in PERCENT_ROWS and not frame.empty:
        key, columns = PERCENT_ROWS[table]
        catalogue = (load_params("indicators") or {}).get("indicators", [])
        percent = {i["id"] for i in catalogue if i.get("unit") == "%"}
        mask = frame[key].isin(percent).to_numpy()
        frame.attrs["percent_rows"] = ([c for c in columns if c in frame], mask)
    return frame


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as shown: :func:`visible` columns with Russian headings.

    In task tables the difficulty codes stay as they are (Б, П, В). The list
    of percent columns follows the renaming in ``attrs["percent"]``, and so do
    the columns of ``attrs["percent_rows"]``. A frame of a database table
    (see :func:`from_database`) keeps every column, with that table's headings;
    a column without a heading keeps its name and is logged.
    """
    table = frame.attrs.get("table")
    names = headings(table)
    shown = frame if table else visible(frame)
    percent = percent_columns(shown)
    missing = [c for c in shown.columns if c not in names]
    if table and missing:
        log.warning(
            "таблица %s: нет русских заголовков для столбцов %s",
            table,
            ", ".join(map(str, missing)),
        )
    shown = shown.rename(columns=names)
    shown.attrs = dict(frame.attrs)
    shown.attrs["percent"] = [names.get(c, c) for c in percent]
    if "percent_rows" in frame.attrs:
        columns, mask = frame.attrs["percent_rows"]
        shown.attrs["percent_rows"] = ([names.get(c, c) for c in columns], mask)
    return shown


def save_tables(path: str | Path, tables: dict[str, pd.DataFrame]) -> Path:
    """Write tables to one formatted workbook, a sheet each, Russian headings.

    The suite's writer (:func:`cyclolib.xlsx.write_tables`) does the
    formatting: a bold header row that stays in view with a filter, fitted
    column widths, percentages with a percent sign. Percent columns are those
    of :func:`percent_columns` of each frame (for the heat map, every task);
    a database table's percent rows are those of :func:`from_database`.

    Parameters
    ----------
    path : str or Path
        The file to write, ``.xlsx`` (its folder is created).
    tables : dict of DataFrame
        Sheet name → frame of the Explorer or of :func:`from_database`.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(
            f"Файл {path}: ожидалось расширение .xlsx, получено «{path.suffix}»"
        )
    sheets, percent, rows = {}, [], {}
    for name, frame in tables.items():
        shown = labelled(frame)
        sheets[name] = shown
        percent += [c for c in shown.attrs["percent"] if c not in percent]
        if "percent_rows" in shown.attrs:
            rows[name] = shown.attrs["percent_rows"]
    write_tables(path, sheets, percent_columns=percent, percent_rows=rows)
    log.debug("записан файл %s", path)
    return path
