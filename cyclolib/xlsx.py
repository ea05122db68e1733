"""Formatted XLSX workbooks from data frames: one sheet per table.

Used by every export of the suite, so that the tables a methodologist opens
in a spreadsheet look alike: a bold header row that stays in view, a filter
on it, columns wide enough for their content and percentages shown as such.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

log = logging.getLogger(__name__)

MAX_ROWS = 1_048_575  # Excel's rows, less the header
MAX_WIDTH = 60
PERCENT_FORMAT = '0.0"%"'  # values are percents already (57.8, not 0.578)
NUMBER_FORMAT = "0.00"
DATE_FORMAT = "dd.mm.yyyy"

__all__ = ["write_tables"]


def _sheet_name(name: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of ``[]:*?/\\``, unique."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in str(name))[:31] or "Лист"
    candidate, k = clean, 1
    while candidate.lower() in used:
        k += 1
        candidate = f"{clean[: 31 - len(str(k)) - 1]}_{k}"
    used.add(candidate.lower())
    return candidate


def _cell(value):
    """A value xlsxwriter can write: NaN and NA become empty cells."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def write_tables(
    path: str | Path,
    tables: Mapping[str, pd.DataFrame],
    *,
    percent_columns: Sequence[str] = (),
    percent_rows: Mapping[str, tuple[Sequence[str], Sequence[bool]]] | None = None,
) -> Path:
    """Write data frames to one XLSX workbook, a formatted sheet for each.

    Parameters
    ----------
    path : str or Path
        The workbook to create (its folder is created too); overwritten.
    tables : mapping of str to DataFrame
        Sheet name → table, in the order of the sheets. Names are cut to
        Excel's 31 characters and made unique.
    percent_columns : sequence of str
        Columns shown with a percent sign (values are already in percent,
        0–100); columns whose name ends in ``_pct`` always are.
    percent_rows : mapping, optional
        Sheet name → ``(columns, mask)``: in the rows where ``mask`` is true
        these columns are shown as percents (a long table whose ``value``
        column mixes percents and counts).

    Returns
    -------
    Path
        The workbook written.

    Raises
    ------
    ValueError
        When a table has more rows than an Excel sheet holds.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        if len(frame) > MAX_ROWS:
            raise ValueError(
                f"Таблица «{name}»: {len(frame)} строк, а лист Excel вмещает "
                f"{MAX_ROWS}; сузьте выгрузку фильтрами или выберите формат CSV"
            )
    percent_rows = percent_rows or {}
    book = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True})
    header = book.add_format(
        {
            "bold": True,
            "text_wrap": True,
            "valign": "top",
            "bg_color": "#DCE6F1",
            "border": 1,
        }
    )
    pct = book.add_format({"num_format": PERCENT_FORMAT})
    num = book.add_format({"num_format": NUMBER_FORMAT})
    date = book.add_format({"num_format": DATE_FORMAT})
    used: set[str] = set()
    try:
        for name, frame in tables.items():
            sheet = book.add_worksheet(_sheet_name(name, used))
            _write_sheet(
                sheet,
                frame,
                header=header,
                pct=pct,
                num=num,
                date=date,
                percent_columns=set(percent_columns),
                percent_rows=percent_rows.get(name),
            )
    finally:
        book.close()
    log.debug("XLSX %s: %d листов", path, len(tables))
    return path


def _write_sheet(
    sheet, frame, *, header, pct, num, date, percent_columns, percent_rows
):
    frame = frame.reset_index(drop=True)
    columns = [str(c) for c in frame.columns]
    sheet.write_row(0, 0, columns, header)
    sheet.freeze_panes(1, 0)
    if columns:
        sheet.autofilter(0, 0, max(len(frame), 1), len(columns) - 1)

    # Column formats and widths
    row_cols, mask = set(), None
    if percent_rows is not None:
        row_cols = set(percent_rows[0])
        mask = np.asarray(percent_rows[1], dtype=bool)
    for j, col in enumerate(columns):
        series = frame.iloc[:, j]
        if col.endswith("_pct") or col in percent_columns:
            fmt = pct
        elif pd.api.types.is_float_dtype(series):
            fmt = num
        elif pd.api.types.is_datetime64_any_dtype(series):
            fmt = date
        else:
            fmt = None
        lengths = [
            len(str(_cell(v) if _cell(v) is not None else ""))
            for v in series.head(2000)
        ]
        width = max([len(col) * 0.9, *lengths], default=8)
        sheet.set_column(j, j, min(max(width + 2, 6), MAX_WIDTH), fmt)

    # Cells
    for i, row in enumerate(frame.itertuples(index=False, name=None), start=1):
        for j, value in enumerate(row):
            value = _cell(value)
            if value is None:
                continue
            if mask is not None and mask[i - 1] and columns[j] in row_cols:
                sheet.write(i, j, value, pct)
            elif isinstance(value, str):
                sheet.write_string(i, j, value)
            elif isinstance(value, dt.datetime | dt.date):
                sheet.write_datetime(i, j, value, date)
            else:
                sheet.write(i, j, value)
