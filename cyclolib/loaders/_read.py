"""Reading spreadsheets and CSV files into tables of raw cell values."""

from __future__ import annotations

import codecs
import csv
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import CalamineWorkbook

log = logging.getLogger(__name__)

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
CSV_SUFFIXES = {".csv", ".txt"}


class UnreadableFileError(Exception):
    """A file that cannot be read or whose layout is not known: nothing is loaded."""


@dataclass
class Table:
    """One sheet (or one CSV file): its header and its data rows as raw values.

    ``frame`` has one column per header cell (by position, ``0..n-1``) and keeps
    the cells as the reader returned them; ``rows`` holds the 1-based row number
    of each data row as the user sees it in Excel (the header is row 1).
    """

    path: Path
    sheet: str | None
    header: list[str]
    frame: pd.DataFrame
    rows: np.ndarray = field(repr=False)
    # Every cell is already stripped text ("" when empty): CSV tables.
    text: bool = False

    @property
    def label(self) -> str:
        return (
            self.path.name if self.sheet is None else f"{self.path.name}:{self.sheet}"
        )


def cell_text(value) -> str:
    """A cell as text: integral floats lose their ``.0``, None becomes empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def as_text(values: pd.Series) -> pd.Series:
    """Cells as stripped text, computed once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    texts = np.array([cell_text(v) for v in uniques], dtype=object)
    return pd.Series(
        texts[codes] if len(codes) else [], index=values.index, dtype=object
    )


def map_unique(values: pd.Series, func) -> pd.Series:
    """``values.map(func)``, calling ``func`` once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    mapped = np.array([func(v) for v in uniques] + [None], dtype=object)[:-1]
    return pd.Series(
        mapped[codes] if len(codes) else [], index=values.index, dtype=object
    )


def _table(
    path: Path, sheet: str | None, rows: list[list], *, text: bool = False
) -> Table | None:
    """A table from raw rows: the first row is the header; empty rows are dropped."""
    if not rows:
        return None
    header = [cell_text(v) for v in rows[0]]
    width = len(header)
    body = rows[1:]
    if any(len(r) != width for r in body):
        body = [r[:width] + [""] * (width - len(r)) for r in body]
    frame = pd.DataFrame(body, columns=range(width), dtype=object)
    numbers = np.arange(2, len(body) + 2)
    if len(frame):
        # A row is empty when every cell is blank; test the first column on every
        # row, the other columns only on the rows still in doubt.
        doubt = np.flatnonzero(_blank(frame[0]))
        for col in frame.columns[1:]:
            if not len(doubt):
                break
            doubt = doubt[_blank(frame[col].iloc[doubt])]
        if len(doubt):
            keep = np.ones(len(frame), dtype=bool)
            keep[doubt] = False
            frame = frame.loc[keep].reset_index(drop=True)
            numbers = numbers[keep]
    return Table(
        path=path, sheet=sheet, header=header, frame=frame, rows=numbers, text=text
    )


def _blank(values: pd.Series) -> np.ndarray:
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    blank = np.array([cell_text(v) == "" for v in uniques], dtype=bool)
    return blank[codes] if len(codes) else np.zeros(0, dtype=bool)


def read_tables(path: str | Path) -> list[Table]:
    """Every non-empty sheet of a workbook, or the single table of a CSV file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return [t for t in [read_csv_table(path)] if t is not None]
    if suffix not in EXCEL_SUFFIXES:
        raise UnreadableFileError(
            f"{path.name}: неизвестный тип файла «{path.suffix}»; "
            "ожидались XLSX или CSV"
        )
    try:
        book = CalamineWorkbook.from_path(str(path))
        tables = []
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python()
            table = _table(path, name, rows)
            if table is not None:
                tables.append(table)
    except Exception as exc:  # calamine raises several kinds for broken files
        raise UnreadableFileError(
            f"{path.name}: файл не читается как таблица Excel ({exc})"
        ) from exc
    return tables


def read_headers(path: str | Path) -> dict[str | None, list[str]]:
    """The header row of every sheet (or of the CSV file), without the data."""
    path = Path(path)
    if path.suffix.lower() in CSV_SUFFIXES:
        return {None: _csv_header(path)}
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        try:
            return _xml_headers(path)
        except Exception:  # an unusual workbook: openpyxl reads it
            log.debug("первые строки %s читает openpyxl", path)
        try:
            return _openpyxl_headers(path)
        except Exception:  # fall back to the full reader, which words the error
            log.debug("openpyxl не прочитал заголовок %s", path)
    try:
        book = CalamineWorkbook.from_path(str(path))
        headers = {}
        for name in book.sheet_names:
            first = next(iter(book.get_sheet_by_name(name).iter_rows()), [])
            headers[name] = [cell_text(v) for v in first]
    except Exception as exc:
        raise UnreadableFileError(
            f"{path.name}: файл не читается как таблица Excel ({exc})"
        ) from exc
    return headers


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class _Unusual(Exception):
    """A workbook feature the quick header reader leaves to openpyxl."""


def _xml_headers(path: Path) -> dict[str | None, list[str]]:
    """First rows of every worksheet, read from the XML parts of the workbook.

    Reads as much as openpyxl in read-only mode gives (the first row padded
    to the width of the sheet's dimension), but stops at the end of the first
    row of each sheet and at the last shared string the headers use. Anything
    unusual (no dimension, a first row other than row 1, styled numbers that
    may be dates) raises, and openpyxl reads the workbook instead.
    """
    import posixpath
    import zipfile
    from xml.etree.ElementTree import fromstring

    with zipfile.ZipFile(path) as z:
        book = fromstring(z.read("xl/workbook.xml"))
        rels = fromstring(z.read("xl/_rels/workbook.xml.rels"))
        target = {
            r.get("Id"): r.get("Target") for r in rels.iter(_PKG_REL + "Relationship")
        }
        sheets = []
        for sheet in book.iter(_MAIN + "sheet"):
            part = target[sheet.get(_REL + "id")]
            part = (
                part[1:] if part.startswith("/") else posixpath.normpath("xl/" + part)
            )
            if part.startswith("xl/worksheets/"):
                sheets.append((sheet.get("name"), part))
        firsts = {name: _first_row(z, part) for name, part in sheets}
        wanted = [v for cells in firsts.values() for t, v in cells if t == "s"]
        strings = _shared_strings(z, max(map(int, wanted))) if wanted else []
    headers = {}
    for name, cells in firsts.items():
        values = []
        for kind, value in cells:
            if kind == "s":
                value = strings[int(value)]
            elif kind == "n":
                value = float(value) if any(c in value for c in ".eE") else int(value)
            elif kind == "b":
                value = value == "1"
            values.append(cell_text(value))
        headers[name] = values
    return headers


def _column_index(ref: str) -> int:
    """0-based column of a cell reference such as ``AB1``."""
    n = 0
    for ch in ref:
        if not ch.isalpha():
            break
        n = n * 26 + ord(ch.upper()) - 64
    return n - 1


def _first_row(z, part: str) -> list[tuple[str, str | None]]:
    """Cells of row 1 of a worksheet part as ``(kind, raw value)``, padded."""
    from xml.etree.ElementTree import iterparse

    width = None
    with z.open(part) as stream:
        for _, el in iterparse(stream, events=("end",)):
            if el.tag == _MAIN + "dimension":
                ref = el.get("ref", "").split(":")[-1]
                width = _column_index(ref) + 1
            elif el.tag == _MAIN + "row":
                if width is None or el.get("r") != "1":
                    raise _Unusual(part)
                return _row_cells(el, width)
            elif el.tag == _MAIN + "sheetData":
                if width is None:
                    raise _Unusual(part)
                return []  # an empty sheet
    raise _Unusual(part)


def _row_cells(row, width: int) -> list[tuple[str, str | None]]:
    cells: list[tuple[str, str | None]] = [("", None)] * width
    for c in row.iter(_MAIN + "c"):
        ref = c.get("r")
        if ref is None:
            raise _Unusual("cell without reference")
        i = _column_index(ref)
        kind = c.get("t", "n")
        if kind == "inlineStr":
            node = c.find(_MAIN + "is")
            cells[i] = ("str", _si_text(node) if node is not None else "")
            continue
        v = c.find(_MAIN + "v")
        if v is None or v.text is None:
            continue
        if kind == "n" and c.get("s", "0") != "0":
            raise _Unusual("styled number")  # may be a date
        if kind not in ("n", "s", "str", "b", "e"):
            raise _Unusual(kind)
        cells[i] = (kind, v.text)
    return cells


def _si_text(node) -> str:
    """Text of a string item: its plain part and its runs, without phonetics."""
    parts = []
    plain = node.find(_MAIN + "t")
    if plain is not None and plain.text is not None:
        parts.append(plain.text)
    for run in node.findall(_MAIN + "r"):
        t = run.find(_MAIN + "t")
        if t is not None and t.text is not None:
            parts.append(t.text)
    return "".join(parts)


def _shared_strings(z, last: int) -> list[str]:
    """The shared strings up to index ``last``."""
    from xml.etree.ElementTree import iterparse

    strings = []
    with z.open("xl/sharedStrings.xml") as stream:
        for _, el in iterparse(stream, events=("end",)):
            if el.tag == _MAIN + "si":
                strings.append(_si_text(el).replace("x005F_", ""))
                el.clear()
                if len(strings) > last:
                    break
    if len(strings) <= last:
        raise _Unusual("shared strings")
    return strings


def _openpyxl_headers(path: Path) -> dict[str | None, list[str]]:
    """First rows of every sheet, streamed: no need to parse the whole sheet."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        headers = {}
        for sheet in book.worksheets:
            first = next(sheet.iter_rows(max_row=1, values_only=True), ())
            headers[sheet.title] = [cell_text(v) for v in first]
        return headers
    finally:
        book.close()


SNIFF_BYTES = 64 * 1024


def decode(raw: bytes) -> str:
    """Text of a CSV file: UTF-8 (with or without BOM), else Windows-1251."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1251")


def _sniff(path: Path) -> tuple[str, str]:
    """Encoding and separator of a CSV file, from its first bytes only.

    The encoding is UTF-8 when the first bytes decode as UTF-8 (a character cut
    at the end of the sample is allowed), else Windows-1251; the separator
    (``;``, ``,`` or a tab) is read from the header line.
    """
    try:
        with path.open("rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError as exc:
        raise UnreadableFileError(f"{path.name}: файл не открывается ({exc})") from exc
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        text, encoding = head.decode("cp1251"), "cp1251"
    first = text.split("\n", 1)[0]
    sep = ";" if first.count(";") >= first.count(",") and ";" in first else ","
    if "\t" in first and first.count("\t") > first.count(sep):
        sep = "\t"
    return encoding, sep


def read_csv_table(path: Path) -> Table | None:
    """The table of a CSV file, read by the C parser of pandas as text.

    Cells are stripped with whole-column operations; rows are numbered as the
    records of the file (blank lines included), like the row-by-row reader,
    which is used instead for files whose rows are longer than the header.
    """
    encoding, sep = _sniff(path)
    frame = _arrow_csv(path, encoding, sep)  # stripped already
    stripped = frame is not None
    for enc in dict.fromkeys([encoding, "cp1251"]) if frame is None else []:
        try:
            frame = pd.read_csv(
                path, sep=sep, header=None, dtype=str, keep_default_na=False,
                na_filter=False, skip_blank_lines=False, encoding=enc,
                quotechar='"', doublequote=True, engine="c",
            )  # fmt: skip
            break
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            return None
        except (pd.errors.ParserError, ValueError):
            log.debug("%s: ragged rows, read row by row", path)
            return _table(path, None, read_csv_rows(path), text=True)
    if frame is None:
        return _table(path, None, read_csv_rows(path), text=True)
    if not stripped:
        frame = frame.fillna("")
        for col in frame.columns:
            frame[col] = frame[col].str.strip()
    header = [str(v) for v in frame.iloc[0]] if len(frame) else []
    body = frame.iloc[1:].reset_index(drop=True)
    numbers = np.arange(2, len(body) + 2)
    if len(body) and (body[0] == "").any():
        blank = (body == "").all(axis=1).to_numpy()
        if blank.any():
            body = body.loc[~blank].reset_index(drop=True)
            numbers = numbers[~blank]
    return Table(
        path=path, sheet=None, header=header, frame=body, rows=numbers, text=True
    )


def _arrow_csv(path: Path, encoding: str, sep: str) -> pd.DataFrame | None:
    """The cells of a plain CSV file, read by the multithreaded Arrow parser.

    Only for files without quotes and blank lines, whose lines are then exactly
    its records; ``None`` for any other file (or any error), which the C parser
    of pandas reads instead.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pa_csv

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UnreadableFileError(f"{path.name}: файл не открывается ({exc})") from exc
    body = raw.replace(b"\r\n", b"\n")
    if not raw.strip() or b'"' in raw or b"\n\n" in body.rstrip(b"\n"):
        return None
    if body.startswith(b"\n"):
        return None
    width = len(_first_line(raw, encoding).split(sep))
    names = [f"c{i}" for i in range(width)]
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(raw),
            read_options=pa_csv.ReadOptions(
                column_names=names,
                encoding="utf8" if encoding.startswith("utf-8") else encoding,
            ),
            parse_options=pa_csv.ParseOptions(delimiter=sep, quote_char=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        log.debug("%s: Arrow parser declined (%s)", path, exc)
        return None
    return pd.DataFrame(
        {
            i: pd.Series(
                pc.utf8_trim_whitespace(table.column(name)).to_pandas(
                    types_mapper=pd.ArrowDtype
                ),
                dtype="str",
            )
            for i, name in enumerate(names)
        }
    )


def _first_line(raw: bytes, encoding: str) -> str:
    line = raw.split(b"\n", 1)[0].rstrip(b"\r")
    text = line.decode("cp1251" if encoding == "cp1251" else "utf-8", "replace")
    return text.lstrip("\ufeff")


def _csv_header(path: Path) -> list[str]:
    """The header row of a CSV file, read from its first bytes when it fits."""
    encoding, sep = _sniff(path)
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
    if b"\n" not in head:
        rows = read_csv_rows(path, limit=1)
    else:
        text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        rows = [next(csv.reader(io.StringIO(text), delimiter=sep), [])]
        if text.count('"') % 2 and len(head) == SNIFF_BYTES:
            rows = read_csv_rows(path, limit=1)  # a quoted cell longer than the sample
    return [cell_text(v) for v in rows[0]] if rows else []


def read_csv_rows(path: Path, *, limit: int | None = None) -> list[list[str]]:
    """Rows of a CSV file; the separator (``;`` or ``,``) is read from its header."""
    try:
        text = decode(path.read_bytes())
    except OSError as exc:
        raise UnreadableFileError(f"{path.name}: файл не открывается ({exc})") from exc
    first = text.split("\n", 1)[0]
    sep = ";" if first.count(";") >= first.count(",") and ";" in first else ","
    if "\t" in first and first.count("\t") > first.count(sep):
        sep = "\t"
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    rows = []
    for row in reader:
        rows.append([v.strip() for v in row])
        if limit is not None and len(rows) >= limit:
            break
    return rows
