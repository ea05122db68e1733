"""Russian headings of the Explorer's tables and their formatted XLSX files."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd

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
_LEVEL_VALUES = {"Б": "базовый", "П": "повышенный", "В": "высокий"}
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def percent_columns(frame: pd.DataFrame) -> list:
    """Columns holding percentages (0–100): ``*_pct`` and ``attrs["percent"]``."""
    marked = set(frame.attrs.get("percent", []))
    return [c for c in frame.columns if c in marked or str(c).endswith("_pct")]


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as shown: hidden columns dropped, Russian headings.

    A frame with a ``level`` column of the drill-down (region …) keeps it out;
    in task tables the difficulty codes stay as they are (Б, П, В). The list
    of percent columns follows the renaming in ``attrs["percent"]``.
    """
    percent = percent_columns(frame)
    drop = [c for c in HIDDEN if c in frame.columns]
    if "level" in frame.columns and "task" not in frame.columns:
        drop.append("level")
    shown = frame.drop(columns=drop).rename(columns=LABELS)
    shown.attrs = dict(frame.attrs)
    shown.attrs["percent"] = [LABELS.get(c, c) for c in percent if c not in drop]
    return shown


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _BAD_SHEET.sub("_", name)[:31] or "Лист"
    sheet, i = base, 1
    while sheet in taken:
        i += 1
        sheet = f"{base[:28]}_{i}"
    taken.add(sheet)
    return sheet


def save_tables(path: str | Path, tables: dict[str, pd.DataFrame]) -> Path:
    """Write tables to one workbook, a sheet each, formatted for reading.

    Headings are Russian and bold on a tinted row that stays in view; columns
    are as wide as their contents (up to 60 characters); percentages (0–100 in
    the frames) are stored as fractions with the ``0.0%`` format so that Excel
    computes with them; other decimals show one digit; the sheets have filters.

    Parameters
    ----------
    path : str or Path
        The file to write (its folder is created).
    tables : dict of DataFrame
        Sheet name → frame of the Explorer (or any frame: ``*_pct`` columns
        and ``attrs["percent"]`` are taken as percentages).

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
    path.parent.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        book = writer.book
        head = book.add_format(
            {
                "bold": True,
                "bg_color": "#E5E7EB",
                "text_wrap": True,
                "valign": "top",
                "border": 1,
            }
        )
        pct = book.add_format({"num_format": "0.0%"})
        dec = book.add_format({"num_format": "0.0"})
        for name, frame in tables.items():
            shown = labelled(frame)
            percent = set(shown.attrs.get("percent", []))
            data = shown.copy()
            for col in percent:
                data[col] = pd.to_numeric(data[col], errors="coerce") / 100
            sheet_name = _sheet_name(name, taken)
            data.to_excel(writer, sheet_name=sheet_name, index=False)
            sheet = writer.sheets[sheet_name]
            for j, col in enumerate(data.columns):
                sheet.write(0, j, str(col), head)
                values = data[col].head(500)
                if col in percent:
                    fmt, width = pct, 8
                elif pd.api.types.is_float_dtype(data[col]):
                    fmt, width = dec, 8
                else:
                    fmt = None
                    width = max((len(str(v)) for v in values), default=4)
                width = max(width, min(len(str(col)), 24)) + 2
                sheet.set_column(j, j, min(width, 60), fmt)
            sheet.set_row(0, 32)
            sheet.freeze_panes(1, 0)
            if len(data.columns):
                sheet.autofilter(0, 0, max(len(data), 1), len(data.columns) - 1)
    log.info("written %s", path)
    return path
