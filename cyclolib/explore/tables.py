"""Russian headings of the Explorer's tables and their formatted XLSX files."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

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


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as shown: :func:`visible` columns with Russian headings.

    In task tables the difficulty codes stay as they are (Б, П, В). The list
    of percent columns follows the renaming in ``attrs["percent"]``.
    """
    shown = visible(frame)
    percent = percent_columns(shown)
    shown = shown.rename(columns=LABELS)
    shown.attrs = dict(frame.attrs)
    shown.attrs["percent"] = [LABELS.get(c, c) for c in percent]
    return shown


def save_tables(path: str | Path, tables: dict[str, pd.DataFrame]) -> Path:
    """Write tables to one formatted workbook, a sheet each, Russian headings.

    The suite's writer (:func:`cyclolib.xlsx.write_tables`) does the
    formatting: a bold header row that stays in view with a filter, fitted
    column widths, percentages with a percent sign. Percent columns are those
    of :func:`percent_columns` of each frame (for the heat map, every task).

    Parameters
    ----------
    path : str or Path
        The file to write, ``.xlsx`` (its folder is created).
    tables : dict of DataFrame
        Sheet name → frame of the Explorer.

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
    sheets, percent = {}, []
    for name, frame in tables.items():
        shown = labelled(frame)
        sheets[name] = shown
        percent += [c for c in shown.attrs["percent"] if c not in percent]
    write_tables(path, sheets, percent_columns=percent)
    log.debug("written %s", path)
    return path
