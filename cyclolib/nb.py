"""What every stage notebook needs: the unit, the year, the database, display helpers.

A notebook's first code cell after ``parameters`` is::

    ctx = cyclolib.nb.setup(level=level, unit_id=unit_id, year=year, db=db,
                            public=public)

``setup`` opens the database read-only, resolves the unit of management (its
name, parent territory and the schools inside it) and the year, and returns a
:class:`Context` whose helpers render tables and figures the same way in
JupyterLab, under papermill and in the batch reports: every name from the data
is escaped, and in public mode student codes are removed and groups below the
minimum size are hidden.

The same helpers scope every query to the unit: a school's context sees its own
students only and a municipality's context its own schools only.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from . import db as dbmod
from .config import LEVEL_NAMES, settings, study_name, subject_name

log = logging.getLogger(__name__)

LEVELS = ("region", "municipality", "school")

#: Columns that identify a student: never shown in public mode.
STUDENT_COLUMNS = frozenset({"student_id", "code", "student_code", "result_id"})

#: Columns that count the members of a group, in the order they are looked for.
COUNT_COLUMNS = ("participants", "n", "students")

#: Outputs of this type carry a report's one-line summary.
SUMMARY_MIME = "application/vnd.cyclo.summary+json"

#: Set by the batch runner: widgets are never rendered, only static views.
BATCH_ENV = "CYCLO_BATCH"

# Stable PNG bytes: no software tag, no timestamp.
_PNG_METADATA = {"Software": None}

#: Resolution of report figures: 80 dots per inch keeps 8-point text legible.
FIGURE_DPI = 80

#: Colours of a report figure's palette: charts of flat colours on white need
#: few, and a palette PNG is about a third of a full-colour one.
FIGURE_COLOURS = 64


@dataclass
class Context:
    """The unit of management a notebook describes, and how to show things.

    Attributes
    ----------
    con : duckdb.DuckDBPyConnection
        A read-only connection to the database.
    level : str
        ``region``, ``municipality`` or ``school``.
    unit_id, unit_name : str
        The unit's code and name (the name as stored: escape it before use in
        HTML; :meth:`show`, :meth:`text` and :meth:`heading` do).
    parent_id, parent_name : str or None
        The territory above the unit (the region of a municipality, the
        municipality of a school); None for a region.
    region_id : str or None
        The region the unit belongs to.
    year : int
        The school year (the calendar year of the spring session); 0 when the
        database holds no results at all.
    school_ids : tuple of str
        The schools inside the unit, sorted.
    public : bool
        Public mode: aggregates only, small groups hidden, no student codes.
    min_group_size : int
        Groups with fewer members are hidden in public mode.
    report_date : str
        The date printed on the report (ISO ``YYYY-MM-DD``).
    db_path : str
        The database file.
    """

    con: duckdb.DuckDBPyConnection
    level: str
    unit_id: str
    unit_name: str
    parent_id: str | None
    parent_name: str | None
    region_id: str | None
    year: int
    school_ids: tuple[str, ...]
    public: bool
    min_group_size: int
    report_date: str
    db_path: str
    _tables: frozenset[str] = field(default=frozenset(), repr=False)

    # Queries ----------------------------------------------------------------

    def has_table(self, name: str) -> bool:
        """Whether the database has table ``name`` (it may still be empty)."""
        return name in self._tables

    def count(self, table: str) -> int:
        """Rows of a table; 0 when the table is absent."""
        if not self.has_table(table):
            return 0
        rows = self.con.execute(f'SELECT count(*) FROM "{table}"').fetchall()
        return int(rows[0][0])

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run SQL on the database and return a frame.

        The unit's schools are available to the query as the table
        ``unit_schools(school_id)``; join on it to stay within the unit.
        """
        return self.con.execute(sql, list(params or [])).df()

    def results(self, *, year: int | None = None, study: str | None = None):
        """Results of the unit's students, joined with their forms.

        Parameters
        ----------
        year : int, optional
            The year of the forms; by default the context's year. ``-1`` gives
            every year.
        study : str, optional
            Keep one study (``vpr``, ``oge``...).

        Returns
        -------
        pandas.DataFrame
            The columns of ``results`` plus ``study_id``, ``year``, ``subject``,
            ``grade``, ``form_max`` (the form's maximum) and ``municipality_id``.
        """
        year = self.year if year is None else year
        where = ["1 = 1"]
        params: list[Any] = []
        if year != -1:
            where.append("f.year = ?")
            params.append(year)
        if study is not None:
            where.append("f.study_id = ?")
            params.append(study)
        sql = (
            "SELECT r.*, f.study_id, f.year, f.subject, f.grade, "
            "f.max_score AS form_max, s.municipality_id "
            "FROM results r JOIN unit_schools u USING (school_id) "
            "JOIN forms f USING (form_id) "
            "LEFT JOIN schools s USING (school_id) "
            f"WHERE {' AND '.join(where)} ORDER BY r.result_id"
        )
        return self.query(sql, params)

    def schools(self) -> pd.DataFrame:
        """The unit's schools with their municipality names, sorted by id."""
        return self.query(
            "SELECT s.school_id, s.name, s.municipality_id, "
            "t.name AS municipality FROM schools s "
            "JOIN unit_schools USING (school_id) "
            "LEFT JOIN territories t ON t.territory_id = s.municipality_id "
            "ORDER BY s.school_id"
        )

    # Display ----------------------------------------------------------------

    @property
    def interactive(self) -> bool:
        """Whether widgets may be shown: a kernel started by a Jupyter server.

        False under the batch runner (``$CYCLO_BATCH``), under papermill or
        nbconvert run by hand, and outside a kernel; see
        :func:`cyclolib.explore.is_interactive`.
        """
        # Imported here: the exploration package draws with matplotlib
        from .explore import is_interactive

        return is_interactive()

    def public_view(self, df: pd.DataFrame, *, count: str | None = None):
        """The frame as public mode shows it, and the number of hidden rows.

        Student-identifying columns are dropped; rows whose count column
        (``count``, or the first of ``participants``, ``n``, ``students``
        present) is below ``min_group_size`` are removed. Outside public mode
        the frame is returned unchanged.
        """
        if not self.public:
            return df, 0
        df = df.drop(columns=[c for c in df.columns if c in STUDENT_COLUMNS])
        count = count or next((c for c in COUNT_COLUMNS if c in df.columns), None)
        if count is None or count not in df.columns:
            return df, 0
        small = pd.to_numeric(df[count], errors="coerce") < self.min_group_size
        return df.loc[~small.fillna(False)], int(small.sum())

    def table_html(
        self,
        df: pd.DataFrame,
        *,
        caption: str | None = None,
        count: str | None = None,
        columns: dict[str, str] | None = None,
        digits: int = 1,
    ) -> str:
        """The HTML :meth:`show` displays (everything escaped)."""
        df, hidden = self.public_view(df, count=count)
        if columns:
            df = df.rename(columns=columns)
        parts = []
        if caption:
            parts.append(f'<p class="cyclo-caption">{html.escape(caption)}</p>')
        if df.empty:
            parts.append('<p class="cyclo-note">Нет строк для показа.</p>')
        else:
            markup = _plain_dtypes(df).to_html(
                index=False,
                escape=True,
                border=0,
                na_rep="—",
                classes="cyclo-table",
                float_format=lambda v: _number(v, digits),
            )
            # pandas indents every cell; a report has thousands of them
            parts.append(re.sub(r"\n\s+", "\n", markup))
        if hidden:
            parts.append(
                f'<p class="cyclo-note">Скрыто строк: {hidden} (группы меньше '
                f"{self.min_group_size} участников не публикуются).</p>"
            )
        return "\n".join(parts)

    def show(self, df: pd.DataFrame, *, caption: str | None = None, **kws) -> None:
        """Display a frame as an escaped HTML table (public rules applied).

        Options ``count``, ``columns`` (a renaming to Russian headers) and
        ``digits`` are those of :meth:`table_html`.
        """
        _display_html(self.table_html(df, caption=caption, **kws))

    def figure(self, fig, *, alt: str = "", dpi: int = FIGURE_DPI) -> None:
        """Display a matplotlib figure as an embedded PNG and close it.

        ``alt`` is the text read in place of the image; by default the
        figure's or its first axes' title (centred, else left-aligned). The
        PNG is reduced to a palette of :data:`FIGURE_COLOURS` colours (see
        :func:`figure_png`).
        """
        import matplotlib.pyplot as plt

        if not alt:
            titles = [fig._suptitle.get_text()] if fig._suptitle else []
            titles += [
                ax.get_title(loc) for ax in fig.axes for loc in ("center", "left")
            ]
            alt = next((t for t in titles if t), "рисунок")
        data = figure_png(fig, dpi=dpi)
        plt.close(fig)
        _display(
            {"image/png": data, "text/plain": f"<рисунок: {alt}>"},
            metadata={"image/png": {"alt": alt}},
        )

    def text(self, message: str, *, kind: str = "note") -> None:
        """Display one escaped paragraph; ``kind`` is ``note`` or ``missing``."""
        _display_html(f'<p class="cyclo-{kind}">{html.escape(message)}</p>')

    def missing(self, message: str) -> None:
        """Say, in the report, which data are missing and what to do."""
        self.text(message, kind="missing")

    def heading(self, title: str, *, level: int = 3) -> None:
        """A heading computed from the data (escaped)."""
        if level not in (2, 3, 4):
            raise ValueError(f"Уровень заголовка {level}: ожидалось 2, 3 или 4")
        _display_html(f"<h{level}>{html.escape(title)}</h{level}>")

    def summary(self, text: str) -> None:
        """Give the report's one-line summary, listed in ``reports/index.html``.

        It is not shown in the report itself (plain text in JupyterLab).
        """
        _display({SUMMARY_MIME: {"text": str(text)}, "text/plain": str(text)})

    def header_html(self) -> str:
        """The block that opens a report: unit, parent, year, date, mode."""
        rows = [
            ("Уровень", LEVEL_NAMES[self.level]),
            ("Единица", f"{self.unit_name} ({self.unit_id})"),
        ]
        if self.parent_name:
            rows.append(("Входит в", f"{self.parent_name} ({self.parent_id})"))
        rows += [
            ("Учебный год", _school_year(self.year)),
            ("Школ в единице", str(len(self.school_ids))),
            ("Режим", "публичный" if self.public else "служебный"),
            ("Дата отчёта", self.report_date),
        ]
        cells = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        return f'<table class="cyclo-header">{cells}</table>'

    def close(self) -> None:
        self.con.close()


def setup(
    *,
    level: str = "region",
    unit_id: str = "",
    year: int = 0,
    db: str = "",
    public: bool = True,
    report_date: str = "",
    show_header: bool = True,
) -> Context:
    """Open the database and resolve the unit a notebook describes.

    Parameters
    ----------
    level : {"region", "municipality", "school"}
        The level of management.
    unit_id : str
        The unit's code; empty gives the first unit of that level (by code),
        so that the defaults run on the demo database.
    year : int
        The school year; 0 gives the latest year with results.
    db : str
        The database file; empty gives ``$CYCLO_DB`` or ``data/cyclo.duckdb``.
    public : bool
        Public mode (see :class:`Context`).
    report_date : str
        The date printed on the report; empty gives today.
    show_header : bool
        Display the header block when running in IPython.

    Returns
    -------
    Context

    Raises
    ------
    ValueError
        For an unknown level, unit or a year without results.
    FileNotFoundError
        When the database file does not exist.
    """
    if level not in LEVELS:
        raise ValueError(
            f"Недопустимый уровень {level!r}: ожидалось region, municipality или school"
        )
    path = str(db or dbmod.default_db_path())
    con = dbmod.connect(path, read_only=True)
    try:
        ctx = _resolve(con, path, level, str(unit_id or ""), int(year or 0))
    except Exception:
        con.close()
        raise
    ctx.public = bool(public)
    ctx.report_date = report_date or dt.date.today().isoformat()
    if show_header and _ipython() is not None:
        _display_html(ctx.header_html())
    log.debug("контекст тетради: %s %s %s", level, ctx.unit_id, ctx.year)
    return ctx


def _resolve(con, path: str, level: str, unit_id: str, year: int) -> Context:
    tables = frozenset(
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables"
        ).fetchall()
    )
    if level == "school":
        row = _first(
            con,
            "SELECT school_id, coalesce(name, school_id), municipality_id, region_id "
            "FROM schools",
            "school_id",
            unit_id,
        )
        if row is None:
            raise _unit_error(level, unit_id, path)
        uid, name, parent, region = row
        school_ids: tuple[str, ...] = (uid,)
        if region is None and parent is not None:
            region = _scalar(
                con, "SELECT parent_id FROM territories WHERE territory_id = ?", parent
            )
    else:
        row = _first(
            con,
            "SELECT territory_id, name, parent_id, NULL FROM territories "
            f"WHERE level = '{level}'",
            "territory_id",
            unit_id,
        )
        if row is None:
            raise _unit_error(level, unit_id, path)
        uid, name, parent, _ = row
        region = uid if level == "region" else parent
        column = "region_id" if level == "region" else "municipality_id"
        sql = f"SELECT school_id FROM schools WHERE {column} = ?"
        if level == "region":
            sql += (
                " OR municipality_id IN (SELECT territory_id FROM territories "
                "WHERE parent_id = ?)"
            )
        ids = [r[0] for r in con.execute(sql, [uid] * sql.count("?")).fetchall()]
        school_ids = tuple(sorted(ids))
    parent_name = None
    if parent is not None:
        parent_name = _scalar(
            con, "SELECT name FROM territories WHERE territory_id = ?", parent
        )

    # Scope every later query to the unit's schools
    con.execute("CREATE TEMP TABLE unit_schools (school_id TEXT)")
    if school_ids:
        con.executemany(
            "INSERT INTO unit_schools VALUES (?)", [[s] for s in school_ids]
        )

    year = _resolve_year(con, year, path)
    return Context(
        con=con,
        level=level,
        unit_id=uid,
        unit_name=name,
        parent_id=parent,
        parent_name=parent_name,
        region_id=region,
        year=year,
        school_ids=school_ids,
        public=True,
        min_group_size=int(settings().get("min_group_size", 10)),
        report_date="",
        db_path=path,
        _tables=tables,
    )


def _first(con, sql: str, key: str, unit_id: str):
    if unit_id:
        rows = con.execute(f"{sql} {_and(sql)} {key} = ?", [unit_id]).fetchall()
    else:
        rows = con.execute(f"{sql} ORDER BY {key} LIMIT 1").fetchall()
    # Fetch whole results: a half-read result blocks the connection
    return rows[0] if rows else None


def _and(sql: str) -> str:
    return "AND" if " WHERE " in sql else "WHERE"


def _scalar(con, sql: str, *params):
    rows = con.execute(sql, list(params)).fetchall()
    return rows[0][0] if rows else None


def _unit_error(level: str, unit_id: str, path: str) -> ValueError:
    if unit_id:
        return ValueError(
            f"Единица {unit_id!r} уровня «{LEVEL_NAMES[level]}» не найдена в базе "
            f"данных {path}: проверьте unit_id (cyclo search подскажет код)"
        )
    return ValueError(
        f"В базе данных {path} нет ни одной единицы уровня «{LEVEL_NAMES[level]}»: "
        "сначала загрузите данные (cyclo load или cyclo demo)"
    )


def _resolve_year(con, year: int, path: str) -> int:
    years = [
        int(r[0])
        for r in con.execute(
            "SELECT DISTINCT f.year FROM forms f JOIN results r USING (form_id) "
            "ORDER BY 1"
        ).fetchall()
    ]
    if year == 0:
        return years[-1] if years else 0
    if years and year not in years:
        listed = ", ".join(str(y) for y in years)
        raise ValueError(
            f"В базе данных {path} нет результатов {year} года: есть годы {listed}"
        )
    return year


def _school_year(year: int) -> str:
    return f"{year - 1}/{year}" if year else "нет данных"


def readable(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with study and subject codes replaced by their Russian names.

    Columns ``study_id`` / ``study`` take the short names of
    ``params/studies.yaml``; ``subject`` the names of ``params/subjects.yaml``.
    Unknown codes are kept as they are.
    """
    out = df.copy()
    for column in ("study_id", "study"):
        if column in out.columns:
            out[column] = out[column].map(study_name)
    if "subject" in out.columns:
        out["subject"] = out["subject"].map(subject_name)
    return out


def school_year(year: int) -> str:
    """The school year as printed: 2024 → «2023/2024»."""
    return _school_year(year)


def figure_png(fig, *, dpi: int = FIGURE_DPI, colours: int = FIGURE_COLOURS) -> bytes:
    """A matplotlib figure as compact PNG bytes, the same for the same figure.

    The figure is drawn at ``dpi``, laid on white and reduced to an adaptive
    palette of ``colours`` colours (median cut, no dithering: flat areas stay
    flat and text keeps its anti-aliased edges), then written with zlib's
    strongest compression. The full-colour drawing is kept when the palette
    form is not smaller. No timestamp or software tag is written.
    """
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata=_PNG_METADATA)
    drawn = buf.getvalue()
    with Image.open(io.BytesIO(drawn)) as image:
        rgba = image.convert("RGBA")
    flat = Image.new("RGBA", rgba.size, "white")
    flat.alpha_composite(rgba)
    palette = flat.convert("RGB").quantize(
        colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    buf = io.BytesIO()
    palette.save(buf, format="png", optimize=True)
    compact = buf.getvalue()
    return compact if len(compact) < len(drawn) else drawn


def _ipython():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    return get_ipython()


def _display(data: dict[str, Any], metadata: dict | None = None) -> None:
    from IPython.display import display

    if _ipython() is None:
        log.debug("вне IPython не показано: %s", list(data))
        return
    display(data, raw=True, metadata=metadata)


def _plain_dtypes(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with nullable numbers, and object columns holding numbers only,
    as NumPy floats: pandas writes a missing value of theirs as «<NA>», not as
    the table's mark of a missing value, and skips the number format."""
    numeric = []
    for c in df.columns:
        dtype = df[c].dtype
        if isinstance(dtype, pd.api.extensions.ExtensionDtype):
            if pd.api.types.is_numeric_dtype(dtype) and not (
                pd.api.types.is_bool_dtype(dtype)
            ):
                numeric.append(c)
        elif pd.api.types.is_object_dtype(dtype):
            known = df[c][df[c].notna()]
            if len(known) and all(
                isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                for v in known
            ):
                numeric.append(c)
    if not numeric:
        return df
    out = df.copy()
    for c in numeric:
        out[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    return out


def interval_column(
    df: pd.DataFrame,
    *,
    low: str = "ci_low",
    high: str = "ci_high",
    name: str = "ci",
    digits: int = 1,
) -> pd.DataFrame:
    """``df`` with the bounds ``low`` and ``high`` joined in one text column
    ``name`` («52.1–63.4»; «—» where a bound is missing), in place of ``low``.

    A table of many rows reads as easily and weighs a column less.
    """
    lo, hi = df[low], df[high]
    text = [
        f"{a:.{digits}f}–{b:.{digits}f}" if pd.notna(a) and pd.notna(b) else "—"
        for a, b in zip(lo, hi, strict=True)
    ]
    out = df.drop(columns=[high]).rename(columns={low: name})
    out[name] = text
    return out


def _number(value: float, digits: int) -> str:
    """A table cell: whole numbers (counts) without a fractional part, the
    rest with ``digits`` decimals."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.{digits}f}"


def _display_html(markup: str) -> None:
    _display({"text/html": markup, "text/plain": _strip_tags(markup)})


def _strip_tags(markup: str) -> str:
    import re

    return html.unescape(re.sub(r"<[^>]+>", " ", markup)).strip()


def month_names() -> list[str]:
    """Months of the school year, September first, in Russian."""
    return list(MONTHS)


MONTHS = (
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
)


def iter_notebooks(folder: Path | None = None) -> Iterable[Path]:
    """The stage notebooks ``NN-slug.ipynb`` of a folder, in order."""
    from .config import NOTEBOOKS_DIR

    folder = Path(folder or NOTEBOOKS_DIR)
    return sorted(p for p in folder.glob("[0-9][0-9]-*.ipynb"))
