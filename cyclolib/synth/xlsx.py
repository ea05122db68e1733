"""A minimal, fast and reproducible XLSX writer for one sheet of text cells.

The exports the synthetic region imitates hold every cell as text, so one sheet
of inline strings is all that is needed. Rows are built column by column with
numpy, and the ZIP entries carry a fixed date, so the same cells give the same
bytes (xlsxwriter would write each cell through Python and stamp the time).
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
    '.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
    '.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'styles" Target="styles.xml"/></Relationships>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs>'
    '<cellXfs count="1"><xf xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<sheetData>"
)
_SHEET_TAIL = "</sheetData></worksheet>"
_DATE = (2024, 1, 1, 0, 0, 0)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


_TEXT = np.arange(1024).astype(str).astype(object)


def int_text(values: np.ndarray) -> np.ndarray:
    """Non-negative integers as text, through a lookup table that grows as
    needed (exports hold small numbers: this is much faster than ``astype``)."""
    global _TEXT
    values = np.asarray(values, dtype=np.int64)
    if not len(values):
        return np.empty(0, dtype=object)
    top = int(values.max())
    if top >= len(_TEXT):
        size = 1 << top.bit_length()
        _TEXT = np.arange(size).astype(str).astype(object)
    return _TEXT[values]


def _escaped(values: np.ndarray) -> np.ndarray:
    """XML-escape a text column, touching only the values that need it."""
    distinct = set(values.tolist())
    bad = {v: escape(v) for v in distinct if escape(v) != v}
    if not bad:
        return values
    return np.array([bad.get(v, v) for v in values], dtype=object)


def write_text_sheet(
    path: Path,
    sheet: str,
    header: Sequence[str],
    columns: Sequence[np.ndarray],
    *,
    date: tuple[int, ...] = _DATE,
) -> None:
    """Write one sheet: a header row, then ``columns`` (equal-length text arrays).

    Empty strings are written as empty cells. ``date`` stamps the ZIP entries
    (year, month, day, hour, minute, second), so the same cells give the same
    bytes.
    """
    n = len(columns[0]) if columns else 0
    numbers = int_text(np.arange(2, n + 2))

    # Each column's cells, then each row's cells joined
    cells = []
    for j, col in enumerate(columns):
        values = np.asarray(col, dtype=object)
        part = f'<c r="{column_letter(j)}' + numbers + '" t="inlineStr"><is><t>'
        part = part + _escaped(values) + "</t></is></c>"
        part[values == ""] = ""
        cells.append(part)
    rows = [
        f'<row r="{r}">' + "".join(row) + "</row>"
        for r, row in zip(numbers, zip(*cells, strict=True), strict=True)
    ]
    head = "".join(
        f'<c r="{column_letter(j)}1" t="inlineStr"><is><t>{escape(h)}</t></is></c>'
        for j, h in enumerate(header)
        if h != ""
    )
    xml = _SHEET_HEAD + f'<row r="1">{head}</row>' + "".join(rows) + _SHEET_TAIL
    parts = [
        ("[Content_Types].xml", _CONTENT_TYPES),
        ("_rels/.rels", _ROOT_RELS),
        ("xl/workbook.xml", _WORKBOOK.format(name=escape(sheet))),
        ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
        ("xl/styles.xml", _STYLES),
        ("xl/worksheets/sheet1.xml", xml),
    ]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=date)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text.encode("utf-8"), compresslevel=1)
