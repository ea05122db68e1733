"""The exploration panel: widgets over an :class:`Explorer`, or its static view.

In JupyterLab the panel is a row of drop-downs (year; study, subject and grade;
region → municipality → school → class; the view) above one output area that is
redrawn in place whenever a value changes. In a batch (papermill, the report
runner) no widget is created: the same tables and figures are displayed once, as
plain HTML and PNG, for the parameters of the notebook.
"""

from __future__ import annotations

import base64
import html
import logging
import os
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from .. import config
from ..config import load_params
from ..nb import BATCH_ENV
from . import figures
from .core import LEVEL_NAMES, LEVELS, ExploreError, Explorer, Selection
from .tables import LABELS, labelled, save_tables, visible

log = logging.getLogger(__name__)

#: ``1`` forces the widgets (a front end the detection does not know), ``0`` the
#: static view.
INTERACTIVE_ENV = "CYCLO_INTERACTIVE"

VIEWS = {
    "drilldown": "Единицы",
    "tasks": "Задания",
    "heatmap": "Карта заданий",
    "distribution": "Распределение баллов",
    "compare": "Сравнение",
}
ALL = "— все —"
_SERVERS = (
    "jupyter-lab",
    "jupyter-notebook",
    "jupyter-server",
    "jupyterhub-singleuser",
    "voila",
    "jupyter-nbclassic",
)


def _parent_is_jupyter_server() -> bool:
    """Whether this process was started by a Jupyter server (Linux /proc only)."""
    try:
        raw = Path(f"/proc/{os.getppid()}/cmdline").read_bytes()
    except OSError:
        return False
    args = [Path(a).name for a in raw.decode(errors="replace").split("\0") if a]
    if any(a in _SERVERS for a in args):
        return True
    for first, second in zip(args, args[1:], strict=False):
        if first == "jupyter" and second in ("lab", "notebook", "server"):
            return True
        if first == "-m" and second in ("jupyterlab", "notebook", "jupyter_server"):
            return True
    return False


def is_interactive() -> bool:
    """Whether widgets can be shown: a live kernel behind a Jupyter front end.

    False when ``$CYCLO_BATCH`` is set (the report runner sets it), outside an
    IPython kernel, and in a kernel not started by a Jupyter server (papermill,
    nbconvert): there the static view is shown. ``$CYCLO_INTERACTIVE`` set to
    ``1`` or ``0`` overrides the detection, except under ``$CYCLO_BATCH``.
    """
    if os.environ.get(BATCH_ENV):
        return False
    forced = os.environ.get(INTERACTIVE_ENV, "").strip().lower()
    if forced:
        return forced not in ("0", "false", "no", "нет")
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    return _parent_is_jupyter_server()


def view_tables(ex: Explorer, sel: Selection, view: str) -> dict[str, pd.DataFrame]:
    """The tables of one view of the panel, by their Russian sheet names."""
    if view not in VIEWS:
        raise ExploreError(f"Неизвестный вид «{view}»: допустимы {', '.join(VIEWS)}")
    if view == "drilldown":
        return {"Итоги": ex.summary(sel), "Единицы": ex.drilldown(sel)}
    if view == "tasks":
        return {"Итоги": ex.summary(sel), "Задания": ex.tasks(sel)}
    if view == "heatmap":
        return {"Карта заданий": ex.heatmap(sel)}
    if view == "distribution":
        return {"Итоги": ex.summary(sel), "Распределение баллов": ex.distribution(sel)}
    return {
        "Сравнение": ex.compare(sel),
        "Сравнение по заданиям": ex.compare_tasks(sel),
    }


def view_figure(
    ex: Explorer,
    sel: Selection,
    view: str,
    tables: dict[str, pd.DataFrame],
    *,
    as_html: bool = False,
):
    """The figure of one view: a matplotlib figure, or HTML with ``as_html``.

    With ``as_html`` every chart is HTML (the distribution inline SVG), built
    in milliseconds whatever the number of units or tasks and drawn by the
    browser; matplotlib figures are for the static view and the reports.
    """
    name = ex.unit_name(sel.level, sel.unit_id)
    form = ex.forms.loc[sel.form_id]
    subject = (load_params("subjects") or {}).get(form["subject"], form["subject"])
    what = f"{form['study_name']}, {subject}, {form['grade']} класс, {ex.year}"
    if view == "drilldown":
        units = tables["Единицы"]
        frame = units if len(units) else tables["Итоги"]
        title = f"{name}: отметки ({what})"
        if as_html:
            return figures.marks_html(frame, title=title)
        return figures.marks_figure(frame, title=title)
    if view == "heatmap":
        title = f"{name}: выполнение заданий, % ({what})"
        heat = tables["Карта заданий"]
        if as_html:
            return figures.heatmap_html(heat, min_group=ex.min_group, title=title)
        return figures.heatmap_figure(heat, min_group=ex.min_group, title=title)
    if view == "tasks":
        title = f"{name}: выполнение заданий ({what})"
        if as_html:
            return figures.tasks_html(tables["Задания"], title=title)
        return figures.tasks_figure(tables["Задания"], title=title)
    if view == "distribution":
        title = f"{name}: первичные баллы ({what})"
        if as_html:
            return figures.distribution_svg(tables["Распределение баллов"], title=title)
        return figures.distribution_figure(tables["Распределение баллов"], title=title)
    if view == "compare":
        title = f"{name}: сравнение ({what})"
        if as_html:
            return figures.compare_html(tables["Сравнение по заданиям"], title=title)
        return figures.compare_figure(tables["Сравнение по заданиям"], title=title)
    raise ExploreError(f"Неизвестный вид «{view}»")


def check_views(views, view: str | None = None) -> tuple[list[str], str]:
    """The views asked for, checked, and the one to show first.

    ``view`` is shown first when it is among ``views``, else the first of them.
    """
    views = list(views)
    for name in views:
        if name not in VIEWS:
            raise ExploreError(
                f"Неизвестный вид «{name}»: допустимы {', '.join(VIEWS)}"
            )
    if not views:
        raise ExploreError(f"Не задан ни один вид: допустимы {', '.join(VIEWS)}")
    return views, view if view in views else views[0]


def _display_data(data: dict[str, str], text: str) -> dict[str, Any]:
    """One output of an output area, in the notebook's format."""
    return {
        "output_type": "display_data",
        "data": {**data, "text/plain": text},
        "metadata": {},
    }


def save_folder() -> Path:
    """Where the panel saves tables: ``reports-private/explore``.

    Outside ``reports/``, which is published, and ignored by git: a table
    saved from the panel may hold groups too small to publish.
    """
    return config.reports_root(public=False) / "explore"


def _put(widget, options: list, value) -> None:
    """Set a drop-down's options (only when they changed) and its value."""
    options = tuple(options)
    if tuple(widget.options) != options:
        widget.options = options
    if widget.value != value:
        widget.value = value


def public_rows(frame: pd.DataFrame, min_group: int) -> tuple[pd.DataFrame, int]:
    """Rows a public report may show: groups under ``min_group`` removed.

    A frame whose rows are not groups (a score distribution) is shown whole or,
    when its unit has fewer participants (``attrs["participants"]``), not at all.
    """
    sizes = frame.attrs.get("participants", min_group)
    if isinstance(sizes, dict):
        # Columns of groups (a comparison): blank those of small groups
        small = [c for c, n in sizes.items() if n < min_group]
        kept = frame.copy()
        kept[small] = np.nan
        if "diff_parent_pp" in kept.columns and small:
            kept["diff_parent_pp"] = kept["unit_pct"] - kept["parent_pct"]
        kept.attrs.update(frame.attrs)
        return kept, 0
    if "participants" not in frame.columns:
        if sizes < min_group:
            kept = frame.iloc[:0]
            kept.attrs.update(frame.attrs)
            return kept, len(frame)
        return frame, 0
    small = frame["participants"] < min_group
    kept = frame.loc[~small]
    kept.attrs.update(frame.attrs)
    return kept, int(small.sum())


def table_html(
    frame: pd.DataFrame, *, caption: str = "", hidden: int = 0, min_group: int = 10
) -> str:
    """A frame as an escaped HTML table with Russian headers, one decimal."""
    parts = []
    if caption:
        parts.append(f"<h4>{html.escape(caption)}</h4>")
    shown = labelled(frame)
    if shown.empty:
        parts.append("<p>Нет строк для показа.</p>")
    else:
        parts.append(
            shown.to_html(
                index=False,
                escape=True,
                border=0,
                na_rep="—",
                float_format=lambda v: f"{v:.1f}",
                classes="cyclo-table",
            )
        )
    if hidden:
        parts.append(
            f"<p>Скрыто строк: {hidden} (группы меньше {min_group} участников "
            "не публикуются).</p>"
        )
    return "\n".join(parts)


class Panel:
    """Widgets that choose a unit, a form and a view, and redraw one output area.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        An open database.
    level, unit_id : str
        The unit shown first (an empty ``unit_id``: the region).
    year : int
        The year shown first (0: the latest).
    study, subject, grade : str, str, int
        The form shown first (empty: the first form of the year).
    view : str
        One of ``drilldown``, ``tasks``, ``heatmap``, ``distribution``,
        ``compare``: the view shown first.
    views : sequence of str
        The views the panel offers, in order (all by default); when ``view``
        is not among them, the first is shown. With one view the view
        buttons are hidden.
    public : bool
        Hide groups under ``min_group_size`` in the tables.
    out_dir : str or Path
        Where :meth:`save_xlsx` writes; by default :func:`save_folder`
        (``reports-private/explore``, never published).

    Attributes
    ----------
    tables : dict of DataFrame
        The tables of the view shown, as the engine returned them.
    figure : matplotlib.figure.Figure or None
        The figure shown.
    selection : Selection
        What is shown.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        level: str = "region",
        unit_id: str = "",
        year: int = 0,
        study: str = "",
        subject: str = "",
        grade: int = 0,
        view: str = "drilldown",
        views=tuple(VIEWS),
        public: bool = False,
        out_dir: str | Path | None = None,
        explorer: Explorer | None = None,
    ):
        import ipywidgets as w

        self.con = con
        self.public = public
        self.out_dir = Path(out_dir) if out_dir else None
        self._explorers: dict[int, Explorer] = {}
        if explorer is not None:
            self._explorers[explorer.year] = explorer
            year = year or explorer.year
        self.explorer = self._explorer(year)
        self.selection = self.explorer.selection(
            level, unit_id, study=study, subject=subject, grade=grade
        )
        if view not in VIEWS:
            raise ExploreError(
                f"Неизвестный вид «{view}»: допустимы {', '.join(VIEWS)}"
            )
        self.views, view = check_views(views, view)
        self.tables: dict[str, pd.DataFrame] = {}
        self.figure = None
        self._busy = False
        self._year_list: list[int] | None = None

        # Widgets
        layout = w.Layout(width="auto")
        style = {"description_width": "initial"}
        dd = lambda label: w.Dropdown(description=label, layout=layout, style=style)
        self.year_w = dd("Год")
        self.study_w = dd("Исследование")
        self.subject_w = dd("Предмет")
        self.grade_w = dd("Класс (параллель)")
        self.region_w = dd("Регион")
        self.municipality_w = dd("Муниципалитет")
        self.school_w = dd("Школа")
        self.class_w = dd("Класс")
        self.drill_w = dd("Перейти к единице ниже")
        self.up_w = w.Button(description="На уровень выше", icon="arrow-up")
        self.view_w = w.ToggleButtons(
            options=[(VIEWS[key], key) for key in self.views], value=view
        )
        if len(self.views) == 1:
            self.view_w.layout.display = "none"
        self.save_w = w.Button(description="Сохранить XLSX", icon="download")
        self.status_w = w.HTML()
        self.output = w.Output()
        self.widget = w.VBox(
            [
                w.HBox([self.year_w, self.study_w, self.subject_w, self.grade_w]),
                w.HBox(
                    [self.region_w, self.municipality_w, self.school_w, self.class_w]
                ),
                w.HBox([self.drill_w, self.up_w]),
                self.view_w,
                w.HBox([self.save_w, self.status_w]),
                self.output,
            ]
        )

        self._fill_options()
        for widget in (
            self.year_w,
            self.study_w,
            self.subject_w,
            self.grade_w,
            self.region_w,
            self.municipality_w,
            self.school_w,
            self.class_w,
            self.drill_w,
            self.view_w,
        ):
            widget.observe(self._changed, names="value")
        self.up_w.on_click(lambda _b: self.go_up())
        self.save_w.on_click(lambda _b: self._save_clicked())
        self.refresh()

    # State

    def _explorer(self, year: int) -> Explorer:
        if year and year in self._explorers:
            return self._explorers[year]
        ex = Explorer(self.con, year=year)
        self._explorers[ex.year] = ex
        return ex

    def _years(self) -> list[int]:
        if self._year_list is None:
            rows = self.con.execute(
                "SELECT DISTINCT f.year FROM forms f JOIN results r USING (form_id) "
                "ORDER BY 1 DESC"
            ).fetchall()
            self._year_list = [int(r[0]) for r in rows]
        return self._year_list

    def _path(self, sel: Selection) -> dict[str, str]:
        """The unit and its ancestors: level → id."""
        path = {sel.level: sel.unit_id}
        level, unit = sel.level, sel.unit_id
        while (parent := self.explorer.parent(level, unit)) is not None:
            level, unit = parent
            path[level] = unit
        return path

    def _fill_options(self) -> None:
        """Options and values of every drop-down from the current selection."""
        ex, sel = self.explorer, self.selection
        self._busy = True
        try:
            _put(self.year_w, self._years(), ex.year)
            forms = ex.forms
            form = forms.loc[sel.form_id]
            studies = dict(zip(forms["study"], forms["study_name"], strict=True))
            _put(self.study_w, [(n, s) for s, n in studies.items()], form["study"])
            forms = forms[forms["study"] == form["study"]]
            names = load_params("subjects") or {}
            subjects = [(names.get(c, c), c) for c in sorted(set(forms["subject"]))]
            _put(self.subject_w, subjects, form["subject"])
            forms = forms[forms["subject"] == form["subject"]]
            grades = sorted({int(g) for g in forms["grade"]})
            _put(self.grade_w, grades, int(form["grade"]))

            # The unit: each drop-down lists the units of the one above
            path = self._path(sel)
            regions = ex.regions()
            region = path.get("region", regions[0] if regions else None)
            _put(
                self.region_w, [(ex.unit_name("region", r), r) for r in regions], region
            )
            above = ("region", region)
            for level, widget in (
                ("municipality", self.municipality_w),
                ("school", self.school_w),
                ("class", self.class_w),
            ):
                kids = ex.children(*above, sel.form_id) if above else []
                value = path.get(level, "")
                if value not in {i for i, _n in kids}:
                    value = ""
                _put(widget, [(ALL, "")] + [(n, i) for i, n in kids], value)
                widget.disabled = above is None
                above = (level, value) if value else None
            kids = ex.children(sel.level, sel.unit_id, sel.form_id)
            _put(self.drill_w, [("—", "")] + [(n, i) for i, n in kids], "")
            self.drill_w.disabled = not kids
            self.up_w.disabled = sel.level == "region"
        finally:
            self._busy = False

    def _changed(self, change: dict[str, Any]) -> None:
        if self._busy:
            return
        owner = change["owner"]
        try:
            if owner is self.year_w:
                self.set(year=change["new"])
            elif owner in (self.study_w, self.subject_w, self.grade_w):
                self.set(
                    study=self.study_w.value,
                    subject=self.subject_w.value,
                    grade=self.grade_w.value if owner is self.grade_w else 0,
                )
            elif owner is self.drill_w:
                if change["new"]:
                    child = {
                        "region": "municipality",
                        "municipality": "school",
                        "school": "class",
                    }[self.selection.level]
                    self.set(level=child, unit_id=change["new"])
            elif owner is self.view_w:
                self.refresh()
            else:
                self._unit_changed(owner)
        except ExploreError as exc:
            self.status_w.value = f"<b>{html.escape(str(exc))}</b>"

    def _unit_changed(self, owner) -> None:
        chain = [
            ("region", self.region_w),
            ("municipality", self.municipality_w),
            ("school", self.school_w),
            ("class", self.class_w),
        ]
        # A cleared drop-down selects the unit of the one above it
        i = next(k for k, (_lv, wid) in enumerate(chain) if wid is owner)
        while i > 0 and not chain[i][1].value:
            i -= 1
        level, widget = chain[i]
        self.set(level=level, unit_id=widget.value)

    def set(
        self,
        *,
        year: int | None = None,
        level: str | None = None,
        unit_id: str | None = None,
        study: str | None = None,
        subject: str | None = None,
        grade: int | None = None,
        view: str | None = None,
    ) -> None:
        """Change the selection (as the drop-downs do) and redraw.

        A unit missing in another year or form falls back to its parent
        territory, and then to the region.
        """
        old = self.selection
        old_form = self.explorer.forms.loc[old.form_id]
        level = old.level if level is None else level
        unit_id = old.unit_id if unit_id is None else unit_id
        # The unit and its ancestors, known before the year may change
        chain = [(level, unit_id)]
        while (up := self.explorer.parent(*chain[-1])) is not None:
            chain.append(up)
        if year is not None and year != self.explorer.year:
            self.explorer = self._explorer(int(year))
        study = old_form["study"] if study is None else study
        subject = old_form["subject"] if subject is None else subject
        grade = int(old_form["grade"]) if grade is None else grade
        form_id = self._form(study, subject, grade)
        self.selection = self._valid(chain, form_id)
        if view is not None:
            if view not in self.views:
                raise ExploreError(
                    f"Вид «{view}» не показывается этой панелью: допустимы "
                    f"{', '.join(self.views)}"
                )
            self._busy = True
            self.view_w.value = view
            self._busy = False
        self._fill_options()
        self.refresh()

    def _form(self, study: str, subject: str, grade: int) -> str:
        """The form asked for, else the nearest one the year has."""
        ex = self.explorer
        for keys in (
            {"study": study, "subject": subject, "grade": grade},
            {"study": study, "subject": subject},
            {"study": study},
            {},
        ):
            try:
                return ex.find_form(**keys)
            except ExploreError:
                continue
        raise ExploreError(f"Нет результатов за {ex.year} год")

    def _valid(self, chain: list[tuple[str, str]], form_id: str) -> Selection:
        """The deepest unit of the chain with results of the form (else the region)."""
        ex = self.explorer
        for level, unit_id in chain:
            sel = Selection(level, unit_id, form_id)
            if len(ex._rows(sel)):  # noqa: SLF001
                return sel
        form = ex.forms.loc[form_id]
        return ex.selection(
            study=form["study"], subject=form["subject"], grade=int(form["grade"])
        )

    def go_up(self) -> None:
        """Select the parent territory of the unit shown."""
        parent = self.explorer.parent(self.selection.level, self.selection.unit_id)
        if parent is not None:
            self.set(level=parent[0], unit_id=parent[1])

    # Drawing

    def compute(self) -> tuple[dict[str, pd.DataFrame], Any]:
        """The tables and the chart (figure or HTML) of the selection and view."""
        view = self.view_w.value
        tables = view_tables(self.explorer, self.selection, view)
        if self.public:
            tables = {
                k: public_rows(v, self.explorer.min_group)[0] for k, v in tables.items()
            }
        chart = view_figure(self.explorer, self.selection, view, tables, as_html=True)
        return tables, chart

    def render(self) -> tuple[bytes | None, str]:
        """Compute the view: the PNG of its figure (if any) and the HTML below it."""
        self.tables, chart = self.compute()
        self.figure = None if isinstance(chart, str) else chart
        ex, sel = self.explorer, self.selection
        title = (
            f"{LEVEL_NAMES[sel.level].capitalize()}: "
            f"{ex.unit_name(sel.level, sel.unit_id)} ({sel.unit_id})"
        )
        parts = [f"<h3>{html.escape(title)}</h3>"]
        if isinstance(chart, str):
            parts.append(chart)
        for name, frame in self.tables.items():
            if name == "Карта заданий" and isinstance(chart, str):
                continue  # the coloured table is the chart itself
            hidden = 0
            if self.public:
                frame, hidden = public_rows(frame, ex.min_group)
            parts.append(
                table_html(frame, caption=name, hidden=hidden, min_group=ex.min_group)
            )
        png = figures.png(self.figure) if self.figure is not None else None
        return png, "\n".join(parts)

    def refresh(self) -> None:
        """Recompute the view and redraw the output area in place.

        The output area's ``outputs`` are replaced in one assignment (the PNG
        of the figure, if any, then the HTML page): the front end redraws
        without a blank moment, and the outputs can be read back without one.
        """
        png, page = self.render()
        self.status_w.value = ""
        shown = []
        if png is not None:
            data = {"image/png": base64.b64encode(png).decode("ascii")}
            shown.append(_display_data(data, "Диаграмма"))
        shown.append(_display_data({"text/html": page}, "Таблицы"))
        self.output.outputs = tuple(shown)

    # Saving

    def save_xlsx(self, path: str | Path | None = None) -> Path:
        """Write the tables shown to a formatted XLSX; returns the file.

        By default ``<out_dir>/<unit>-<form>-<view>.xlsx``, with ``out_dir``
        :func:`save_folder` unless given.

        Raises
        ------
        ExploreError
            When tables with small groups (not public mode) would be written
            inside the published reports folder ``reports/``.
        """
        if path is None:
            sel = self.selection
            folder = self.out_dir or save_folder()
            safe = sel.unit_id.replace("/", "_")
            path = folder / f"{safe}-{sel.form_id}-{self.view_w.value}.xlsx"
        path = Path(path)
        published = config.REPORTS_DIR.resolve()
        if not self.public and path.resolve().is_relative_to(published):
            raise ExploreError(
                f"Файл {path}: таблицы с группами меньше {self.explorer.min_group} "
                f"участников нельзя сохранять в публикуемый каталог {published}; "
                f"сохраните их в {save_folder()} или включите публичный режим"
            )
        tables = self.tables
        if self.public:
            tables = {
                k: public_rows(v, self.explorer.min_group)[0] for k, v in tables.items()
            }
        return save_tables(path, tables)

    def _save_clicked(self) -> None:
        try:
            path = self.save_xlsx()
        except (ValueError, OSError) as exc:  # ExploreError too
            self.status_w.value = f"<b>{html.escape(str(exc))}</b>"
            return
        self.status_w.value = f"Сохранено: <code>{html.escape(str(path))}</code>"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


class StaticView(dict):
    """The tables of a static view, by sheet name, already displayed.

    As a cell's value it displays nothing more (a plain dict would print the
    frames once again).
    """

    def _ipython_display_(self) -> None:
        return None


def show_static(
    ex: Explorer,
    sel: Selection,
    *,
    ctx: Any = None,
    public: bool = False,
    views=tuple(VIEWS),
) -> StaticView:
    """Display views of a selection once, as HTML tables and PNG figures.

    With a notebook context (``cyclolib.nb.setup``) its ``heading``, ``show``
    and ``figure`` helpers are used, so the report's look and public rules
    apply. In public mode the groups under ``min_group_size`` are left out of
    the figures too. Returns the tables shown, by sheet name.
    """
    from IPython.display import HTML, Image, display

    public = bool(public or getattr(ctx, "public", False))
    shown = StaticView()
    for view in views:
        tables = view_tables(ex, sel, view)
        if public:
            tables = {k: public_rows(v, ex.min_group)[0] for k, v in tables.items()}
        fig = view_figure(ex, sel, view, tables)
        if ctx is not None:
            ctx.heading(VIEWS[view], level=3)
        else:
            display(HTML(f"<h3>{html.escape(VIEWS[view])}</h3>"))
        if ctx is not None:
            ctx.figure(fig)
        else:
            display(Image(figures.png(fig)))
        for name, frame in tables.items():
            if name in shown:
                continue
            shown[name] = frame
            if ctx is not None:
                ctx.show(visible(frame), caption=name, columns=LABELS)
            else:
                display(HTML(table_html(frame, caption=name, min_group=ex.min_group)))
    return shown


def panel(
    source: Any = None,
    *,
    level: str = "region",
    unit_id: str = "",
    year: int = 0,
    study: str = "",
    subject: str = "",
    grade: int = 0,
    view: str = "drilldown",
    public: bool | None = None,
    interactive: bool | None = None,
    views=tuple(VIEWS),
) -> Panel | StaticView:
    """The exploration panel in JupyterLab, its static view in a batch.

    Parameters
    ----------
    source : Context, DuckDBPyConnection or Explorer
        A notebook context of ``cyclolib.nb.setup`` (its connection, unit,
        year and public mode are used unless given here), an open database or
        a ready Explorer.
    level, unit_id, year, study, subject, grade, view
        The selection shown first; see :class:`Panel`.
    public : bool, optional
        Hide small groups; by default the context's mode, else False.
    interactive : bool, optional
        Widgets (True) or the static view (False); by default
        :func:`is_interactive`.
    views : sequence of str
        The views offered, in order: the buttons of the panel, the sections of
        the static view.

    Returns
    -------
    Panel or dict of DataFrame
        The panel (displayed by the notebook as the cell's value), or the tables
        of the static view after displaying them.
    """
    ctx = None
    explorer = None
    if isinstance(source, Explorer):
        explorer, con = source, source.con
    elif isinstance(source, duckdb.DuckDBPyConnection):
        con = source
    elif source is not None and hasattr(source, "con"):
        ctx, con = source, source.con
        if not unit_id and getattr(ctx, "unit_id", ""):
            level, unit_id = ctx.level, ctx.unit_id
        year = year or getattr(ctx, "year", 0)
        public = getattr(ctx, "public", False) if public is None else public
    else:
        raise ExploreError(
            "Панели нужен контекст блокнота (cyclolib.nb.setup), соединение с "
            f"базой данных или Explorer; получено: {type(source).__name__}"
        )
    public = bool(public)
    try:
        return _panel_or_static(
            con,
            ctx,
            explorer,
            level=level,
            unit_id=unit_id,
            year=year,
            study=study,
            subject=subject,
            grade=grade,
            view=view,
            public=public,
            interactive=interactive,
            views=views,
        )
    except ExploreError as exc:
        # Nothing to explore for these parameters: say so, never break a batch
        from IPython.display import HTML, display

        if ctx is not None:
            ctx.missing(str(exc))
        else:
            display(HTML(f"<p>{html.escape(str(exc))}</p>"))
        return StaticView()


def _panel_or_static(
    con,
    ctx,
    explorer,
    *,
    level,
    unit_id,
    year,
    study,
    subject,
    grade,
    view,
    public,
    interactive,
    views,
):
    if level not in LEVELS:
        raise ExploreError(
            f"Неизвестный уровень «{level}»: допустимы {', '.join(LEVELS)}"
        )
    views, view = check_views(views, view)
    if interactive is None:
        interactive = is_interactive()
    if interactive:
        return Panel(
            con,
            level=level,
            unit_id=unit_id,
            year=year,
            study=study,
            subject=subject,
            grade=grade,
            view=view,
            views=views,
            public=public,
            explorer=explorer,
        )
    if explorer is None or (year and explorer.year != year):
        explorer = Explorer(con, year=year)
    sel = explorer.selection(level, unit_id, study=study, subject=subject, grade=grade)
    return show_static(explorer, sel, ctx=ctx, public=public, views=views)
