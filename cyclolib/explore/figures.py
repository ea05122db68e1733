"""Figures of the exploration panel: pure functions of the Explorer's tables.

Each function takes a frame returned by :class:`~cyclolib.explore.Explorer` and
returns a matplotlib figure with Russian titles and labels; figures are made without
pyplot, so nothing is shown or kept alive behind the caller's back.
"""

from __future__ import annotations

import html
import io

import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from .core import STATUS_NAMES, task_statuses

MARK_COLOURS = {2: "#d7301f", 3: "#fdae61", 4: "#a6d96a", 5: "#1a9641"}
STATUS_ORDER = ("sufficient", "uncertain", "insufficient", "small", "unknown")
STATUS_COLOURS = ("#8fd18b", "#fde68a", "#f4a09a", "#e5e7eb", "#ffffff")
MAX_LABELS = 200  # cells of a heat map above which the figures are not printed


def _fit(
    fig: Figure,
    *,
    labels=(),
    width: float,
    height: float,
    bottom: float = 0.6,
    top: float = 0.5,
    fontsize: float = 8,
) -> None:
    """Fixed margins in inches, the left one as wide as the longest label.

    Cheaper than ``tight_layout``, which draws the figure once more.
    """
    longest = max((len(str(x)) for x in labels), default=3)
    left = min(0.35 + longest * fontsize * 0.55 / 72, width * 0.45)
    fig.subplots_adjust(
        left=left / width,
        right=1 - 0.2 / width,
        bottom=bottom / height,
        top=1 - top / height,
    )


def _empty(title: str) -> Figure:
    """A figure that says there is nothing to draw."""
    fig = Figure(figsize=(8, 1.2))
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(title, fontsize=10)
    ax.text(
        0.5,
        0.3,
        "Нет данных для рисунка (малые группы скрыты или нет результатов)",
        ha="center",
        va="center",
        fontsize=9,
    )
    return fig


def marks_figure(frame: pd.DataFrame, *, title: str = "") -> Figure:
    """Stacked bars of the shares of «2» … «5» of each unit of a drill-down.

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame of :meth:`Explorer.drilldown` or :meth:`Explorer.compare`
        (columns ``unit`` or ``name`` and ``mark2_pct`` … ``mark5_pct``).
    title : str
        The figure's title.
    """
    if frame.empty:
        return _empty(title or "Распределение отметок")
    label_col = "unit" if "unit" in frame.columns else "name"
    labels = frame[label_col].astype(str).tolist()
    height = max(2.0, 0.22 * len(labels) + 1.3)
    fig = Figure(figsize=(8, height))
    ax = fig.add_subplot()
    left = np.zeros(len(frame))
    y = np.arange(len(frame))
    for mark, colour in MARK_COLOURS.items():
        share = frame[f"mark{mark}_pct"].fillna(0).to_numpy(dtype=float)
        ax.barh(y, share, left=left, color=colour, label=f"«{mark}»", height=0.75)
        left += share
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("Доля участников, %")
    ax.set_title(title or "Распределение отметок", pad=18)
    ax.legend(
        ncols=4,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        frameon=False,
        fontsize=8,
    )
    _fit(fig, labels=labels, width=8, height=height, top=0.75)
    return fig


def _status_codes(
    frame: pd.DataFrame, tasks: list, levels: dict, min_group: int
) -> np.ndarray:
    """Index in :data:`STATUS_ORDER` of every cell of a heat map, row by row."""
    n_rows = len(frame)
    status = task_statuses(
        frame[tasks].to_numpy(dtype=float).ravel(),
        np.tile(np.array([levels[t] for t in tasks], dtype=object), n_rows),
        np.repeat(frame["participants"].to_numpy(), len(tasks)),
        min_group=min_group,
    )
    order = {s: i for i, s in enumerate(STATUS_ORDER)}
    return np.array([order[s] for s in status], dtype=int)


def heatmap_figure(
    frame: pd.DataFrame, *, min_group: int = 10, title: str = ""
) -> Figure:
    """Units × tasks coloured by the reference level each completion reaches.

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame of :meth:`Explorer.heatmap`; the task levels are read from
        ``frame.attrs["levels"]``.
    min_group : int
        Rows with fewer participants are grey (too few for a conclusion).
    title : str
        The figure's title.

    Notes
    -----
    Green: sufficient, yellow: uncertain, red: insufficient (the reference
    levels of params/settings.yaml, see :func:`~cyclolib.explore.task_statuses`);
    grey: too few participants; white: a task without a difficulty level.
    """
    if frame.empty:
        return _empty(title or "Выполнение заданий, %")
    levels = frame.attrs.get("levels", {})
    tasks = [c for c in frame.columns if c in levels]
    values = frame[tasks].to_numpy(dtype=float)
    status = _status_codes(frame, tasks, levels, min_group).reshape(values.shape)
    n_rows, n_cols = values.shape
    names = frame["unit"].astype(str).tolist()
    width = min(3.0 + 0.4 * n_cols, 14)
    height = max(2.5, 0.2 * n_rows + 1.9)
    fig = Figure(figsize=(width, height))
    ax = fig.add_subplot()
    cmap = ListedColormap(STATUS_COLOURS)
    ax.imshow(
        status,
        cmap=cmap,
        vmin=-0.5,
        vmax=len(STATUS_ORDER) - 0.5,
        aspect="auto",
        interpolation="nearest",
    )
    if values.size <= MAX_LABELS:
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7)
    ax.set_xticks(np.arange(n_cols), tasks, fontsize=8, rotation=90)
    ax.set_yticks(np.arange(n_rows), names, fontsize=8)
    ax.set_xlabel("Задание")
    ax.set_title(title or "Выполнение заданий, %")
    handles = [
        Patch(facecolor=c, edgecolor="#9ca3af", label=STATUS_NAMES[s])
        for s, c in zip(STATUS_ORDER, STATUS_COLOURS, strict=True)
    ]
    fig.legend(handles=handles, loc="lower center", ncols=5, fontsize=7, frameon=False)
    _fit(fig, labels=names, width=width, height=height, bottom=1.3)
    return fig


def tasks_figure(frame: pd.DataFrame, *, title: str = "") -> Figure:
    """Bars of each task's completion, coloured by the reference level reached.

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame of :meth:`Explorer.tasks` (its ``status`` column gives the
        colour: green sufficient, yellow uncertain, red insufficient, grey too
        few participants, white no difficulty level).
    title : str
        The figure's title.
    """
    if frame.empty:
        return _empty(title or "Выполнение заданий")
    by_name = {
        STATUS_NAMES[s]: c for s, c in zip(STATUS_ORDER, STATUS_COLOURS, strict=True)
    }
    fig = Figure(figsize=(8, 3.4))
    ax = fig.add_subplot()
    x = np.arange(len(frame))
    ax.bar(
        x,
        frame["completion_pct"].fillna(0),
        color=[by_name.get(s, "#ffffff") for s in frame["status"]],
        edgecolor="#6b7280",
        linewidth=0.5,
    )
    ax.set_xticks(
        x,
        [
            f"{t}\n{lv}" if isinstance(lv, str) else str(t)
            for t, lv in zip(frame["task"], frame["level"], strict=True)
        ],
        fontsize=7,
    )
    ax.set_ylim(0, 100)
    ax.set_xlabel("Задание и уровень сложности")
    ax.set_ylabel("Выполнение, %")
    ax.set_title(title or "Выполнение заданий")
    handles = [
        Patch(facecolor=c, edgecolor="#9ca3af", label=STATUS_NAMES[s])
        for s, c in zip(STATUS_ORDER, STATUS_COLOURS, strict=True)
    ]
    ax.legend(handles=handles, fontsize=7, frameon=False, ncols=3, loc="upper right")
    _fit(fig, labels=["100"], width=8, height=3.4, bottom=0.85)
    return fig


def distribution_figure(frame: pd.DataFrame, *, title: str = "") -> Figure:
    """Bars of the share of participants at each primary score, with mark boundaries.

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame of :meth:`Explorer.distribution`; the minimum scores of «3»,
        «4» and «5» are read from ``frame.attrs["thresholds"]`` and drawn as
        dashed lines between the last score of one mark and the first of the
        next.
    title : str
        The figure's title.
    """
    if frame.empty or not frame["pct"].notna().any():
        return _empty(title or "Распределение первичных баллов")
    fig = Figure(figsize=(8, 3.4))
    ax = fig.add_subplot()
    # One collection of bars per mark: far fewer artists to draw than a bar each
    pct = frame["pct"].fillna(0).to_numpy(dtype=float)
    score = frame["score"].to_numpy(dtype=float)
    marks = frame["mark"].fillna(0).to_numpy(dtype=int)
    bar_points = 0.8 * 470 / (len(score) + 2)  # the axes are about 470 pt wide
    for mark in np.unique(marks):
        at = marks == mark
        colour = MARK_COLOURS.get(int(mark), "#6b7280")
        ax.vlines(score[at], 0, pct[at], colors=colour, linewidth=bar_points)
    ax.set_xlim(score.min() - 1, score.max() + 1)
    thresholds = frame.attrs.get("thresholds") or []
    top = float(np.nanmax(frame["pct"].to_numpy(dtype=float), initial=0)) or 1.0
    for mark, t in zip((3, 4, 5), thresholds, strict=False):
        ax.axvline(t - 0.5, color="#111827", linestyle="--", linewidth=1)
        ax.text(t - 0.4, top * 1.02, f"«{mark}» от {t:g}", fontsize=8, va="bottom")
    ax.set_ylim(0, top * 1.15)
    ax.set_xlabel("Первичный балл")
    ax.set_ylabel("Доля участников, %")
    ax.set_title(title or "Распределение первичных баллов")
    _fit(fig, labels=["100"], width=8, height=3.4, bottom=0.75)
    return fig


def compare_figure(frame: pd.DataFrame, *, title: str = "") -> Figure:
    """Completion of each task by the unit, its parent, similar units and region.

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame of :meth:`Explorer.compare_tasks`.
    title : str
        The figure's title.
    """
    names = {
        "unit_pct": "Единица",
        "parent_pct": "Вышестоящая единица",
        "similar_pct": "Похожие единицы",
        "region_pct": "Регион",
    }
    styles = {
        "unit_pct": "-o",
        "parent_pct": "--s",
        "similar_pct": ":^",
        "region_pct": "-.",
    }
    if frame.empty:
        return _empty(title or "Сравнение по заданиям")
    fig = Figure(figsize=(8, 3.4))
    ax = fig.add_subplot()
    x = np.arange(len(frame))
    for col, label in names.items():
        if frame[col].notna().any():
            ax.plot(x, frame[col], styles[col], label=label, markersize=4)
    ax.set_xticks(x, frame["task"].astype(str), fontsize=8, rotation=90)
    ax.set_ylim(0, 100)
    ax.set_xlabel("Задание")
    ax.set_ylabel("Выполнение, %")
    ax.set_title(title or "Сравнение по заданиям")
    ax.legend(fontsize=8, frameon=False, ncols=2)
    _fit(fig, labels=["100"], width=8, height=3.4, bottom=0.75)
    return fig


def png(fig: Figure, *, dpi: int = 80) -> bytes:
    """The figure as PNG bytes, without a timestamp or software tag."""
    buf = io.BytesIO()
    # The lowest compression: a third of the drawing time saved, files larger
    fig.savefig(
        buf,
        format="png",
        dpi=dpi,
        metadata={"Software": None},
        pil_kwargs={"compress_level": 1},
    )
    return buf.getvalue()


# HTML charts: the panel's fast forms of the two figures with one row per unit


def _css(colour: str) -> str:
    return f"background:{colour}"


def heatmap_html(frame: pd.DataFrame, *, min_group: int = 10, title: str = "") -> str:
    """The heat map of :func:`heatmap_figure` as a coloured HTML table.

    Each cell shows the completion in whole percent on the colour of its
    reference level; names are escaped. Drawing it takes milliseconds for any
    number of units, so the panel uses it where a figure with one labelled row
    per unit would be slow.
    """
    levels = frame.attrs.get("levels", {})
    tasks = [c for c in frame.columns if c in levels]
    colours = dict(zip(STATUS_ORDER, STATUS_COLOURS, strict=True))
    head = "".join(
        f"<th title='{html.escape(str(levels[t] or ''))}'>{html.escape(str(t))}</th>"
        for t in tasks
    )
    rows = []
    values = frame[tasks].to_numpy(dtype=float)
    status = _status_codes(frame, tasks, levels, min_group).reshape(values.shape)
    for k, (unit, n) in enumerate(
        zip(frame["unit"], frame["participants"], strict=True)
    ):
        cells = []
        for v, code in zip(values[k], status[k], strict=True):
            text = f"{v:.0f}" if np.isfinite(v) else "—"
            cells.append(f"<td style='{_css(colours[STATUS_ORDER[code]])}'>{text}</td>")
        rows.append(
            f"<tr><th style='text-align:left'>{html.escape(str(unit))}</th>"
            f"<td>{int(n)}</td>{''.join(cells)}</tr>"
        )
    legend = " ".join(
        f"<span style='{_css(c)};padding:0 6px;border:1px solid #9ca3af'>"
        f"{html.escape(STATUS_NAMES[s])}</span>"
        for s, c in zip(STATUS_ORDER, STATUS_COLOURS, strict=True)
    )
    caption = html.escape(title or "Выполнение заданий, %")
    return (
        f"<h4>{caption}</h4><table class='cyclo-heatmap' style='text-align:center'>"
        f"<thead><tr><th>Единица</th><th>Участников</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table><p>{legend}</p>"
    )


def marks_html(frame: pd.DataFrame, *, title: str = "") -> str:
    """The stacked bars of :func:`marks_figure` as HTML: one bar per unit."""
    label_col = "unit" if "unit" in frame.columns else "name"
    rows = []
    shares = frame[[f"mark{m}_pct" for m in MARK_COLOURS]].fillna(0).to_numpy()
    for label, row in zip(frame[label_col], shares, strict=True):
        spans = "".join(
            f"<span title='«{m}»: {v:.1f} %' style='display:inline-block;"
            f"height:12px;width:{v * 3:.0f}px;{_css(c)}'></span>"
            for (m, c), v in zip(MARK_COLOURS.items(), row, strict=True)
        )
        rows.append(
            f"<tr><th style='text-align:left'>{html.escape(str(label))}</th>"
            f"<td style='white-space:nowrap'>{spans}</td></tr>"
        )
    legend = " ".join(
        f"<span style='{_css(c)};padding:0 6px'>«{m}»</span>"
        for m, c in MARK_COLOURS.items()
    )
    caption = html.escape(title or "Распределение отметок")
    return (
        f"<h4>{caption}</h4><table class='cyclo-bars'>{''.join(rows)}</table>"
        f"<p>{legend} — доля участников, %</p>"
    )


def _bar(value: float, colour: str, *, scale: float = 2.0) -> str:
    width = 0 if not np.isfinite(value) else max(value, 0) * scale
    return (
        f"<span style='display:inline-block;height:11px;width:{width:.0f}px;"
        f"{_css(colour)};border:1px solid #9ca3af'></span>"
    )


def tasks_html(frame: pd.DataFrame, *, title: str = "") -> str:
    """The bars of :func:`tasks_figure` as HTML: one row per task."""
    by_name = {
        STATUS_NAMES[s]: c for s, c in zip(STATUS_ORDER, STATUS_COLOURS, strict=True)
    }
    rows = []
    for task, level, pct, status in zip(
        frame["task"],
        frame["level"],
        frame["completion_pct"],
        frame["status"],
        strict=True,
    ):
        text = f"{pct:.1f}" if np.isfinite(pct) else "—"
        rows.append(
            f"<tr><th>{html.escape(str(task))}</th>"
            f"<td>{html.escape(str(level or ''))}</td>"
            f"<td style='white-space:nowrap'>{_bar(pct, by_name.get(status, '#fff'))}"
            f" {text}</td><td>{html.escape(str(status))}</td></tr>"
        )
    caption = html.escape(title or "Выполнение заданий")
    return (
        f"<h4>{caption}</h4><table class='cyclo-bars'><thead><tr><th>Задание</th>"
        "<th>Уровень</th><th>Выполнение, %</th><th>Достижение</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


COMPARE_COLOURS = {
    "unit_pct": ("Единица", "#2563eb"),
    "parent_pct": ("Вышестоящая единица", "#9ca3af"),
    "similar_pct": ("Похожие единицы", "#f59e0b"),
    "region_pct": ("Регион", "#111827"),
}


def compare_html(frame: pd.DataFrame, *, title: str = "") -> str:
    """The comparison of :func:`compare_figure` as HTML bars, one block per task."""
    groups = [c for c in COMPARE_COLOURS if frame[c].notna().any()]
    rows = []
    for _, r in frame.iterrows():
        bars = "<br>".join(
            f"{_bar(r[c], COMPARE_COLOURS[c][1], scale=1.5)} {r[c]:.1f}" for c in groups
        )
        rows.append(
            f"<tr><th>{html.escape(str(r['task']))}</th>"
            f"<td style='white-space:nowrap;line-height:1.1'>{bars}</td></tr>"
        )
    legend = " ".join(
        f"<span style='{_css(COMPARE_COLOURS[c][1])};padding:0 6px;color:#fff'>"
        f"{COMPARE_COLOURS[c][0]}</span>"
        for c in groups
    )
    caption = html.escape(title or "Сравнение по заданиям")
    return (
        f"<h4>{caption}</h4><p>{legend} — выполнение, %</p>"
        f"<table class='cyclo-bars'>{''.join(rows)}</table>"
    )


def distribution_svg(frame: pd.DataFrame, *, title: str = "") -> str:
    """The chart of :func:`distribution_figure` as inline SVG (drawn by the browser).

    Bars of the share of participants at each primary score in the colour of
    its mark, dashed lines at the minimum scores of «3», «4» and «5».
    """
    if frame.empty:
        return "<p>Нет данных для распределения (малые группы скрыты).</p>"
    width, height, left, bottom, top = 640, 250, 44, 36, 28
    pct = frame["pct"].fillna(0).to_numpy(dtype=float)
    score = frame["score"].to_numpy(dtype=float)
    marks = frame["mark"].fillna(0).to_numpy(dtype=int)
    peak = max(float(pct.max(initial=0)), 1.0) * 1.1
    lo, hi = (score.min() - 0.5, score.max() + 0.5) if len(score) else (0.0, 1.0)
    plot_w, plot_h = width - left - 10, height - bottom - top
    x = lambda v: left + (v - lo) / (hi - lo) * plot_w
    y = lambda v: top + plot_h - v / peak * plot_h
    step = plot_w / max(len(score), 1)
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        "font-family='sans-serif' font-size='11'>",
        f"<text x='{width / 2}' y='14' text-anchor='middle' font-size='12'>"
        f"{html.escape(title or 'Распределение первичных баллов')}</text>",
    ]
    for s, p, m in zip(score, pct, marks, strict=True):
        colour = MARK_COLOURS.get(int(m), "#6b7280")
        parts.append(
            f"<rect x='{x(s) - 0.42 * step:.1f}' y='{y(p):.1f}' "
            f"width='{0.84 * step:.1f}' height='{y(0) - y(p):.1f}' fill='{colour}'>"
            f"<title>{s:g} б.: {p:.1f} %</title></rect>"
        )
    for mark, t in zip((3, 4, 5), frame.attrs.get("thresholds") or [], strict=False):
        xt = x(t - 0.5)
        parts.append(
            f"<line x1='{xt:.1f}' x2='{xt:.1f}' y1='{top}' y2='{y(0):.1f}' "
            "stroke='#111827' stroke-dasharray='4 3'/>"
            f"<text x='{xt + 3:.1f}' y='{top + 10}'>«{mark}» от {t:g}</text>"
        )
    # Axes, ticks and labels
    parts.append(
        f"<line x1='{left}' x2='{left + plot_w}' y1='{y(0):.1f}' y2='{y(0):.1f}' "
        "stroke='#374151'/>"
    )
    every = max(1, int(np.ceil(len(score) / 20)))
    for s in score[::every]:
        parts.append(
            f"<text x='{x(s):.1f}' y='{y(0) + 13:.1f}' "
            f"text-anchor='middle'>{s:g}</text>"
        )
    for v in MaxNLocator(5).tick_values(0, peak / 1.1):
        if v > peak:
            continue
        parts.append(
            f"<text x='{left - 4}' y='{y(v) + 4:.1f}' text-anchor='end'>{v:g}</text>"
        )
    parts.append(
        f"<text x='{left + plot_w / 2}' y='{height - 4}' text-anchor='middle'>"
        "Первичный балл</text>"
        f"<text transform='translate(11,{top + plot_h / 2}) rotate(-90)' "
        "text-anchor='middle'>Доля участников, %</text></svg>"
    )
    return "".join(parts)
