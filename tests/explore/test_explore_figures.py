"""Figures of the static view: Russian labels, boundaries and colours where expected."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_hex

from cyclolib.explore import figures
from cyclolib.explore.figures import MARK_COLOURS, STATUS_COLOURS, STATUS_ORDER
from cyclolib.explore.panel import view_figure, view_tables


def test_distribution_draws_the_mark_boundaries(explorer):
    fig = figures.distribution_figure(explorer.distribution(explorer.selection()))
    ax = fig.axes[0]
    # params/scales.yaml, maths grade 4: «3» from 6, «4» from 10, «5» from 15
    lines = [line.get_xdata()[0] for line in ax.get_lines()]
    assert lines == [5.5, 9.5, 14.5]
    assert [t.get_text() for t in ax.texts] == ["«3» от 6", "«4» от 10", "«5» от 15"]
    assert ax.get_xlabel() == "Первичный балл"
    assert ax.get_ylabel() == "Доля участников, %"


def test_heatmap_colours_follow_the_reference_levels(explorer):
    heat = explorer.heatmap(explorer.selection())
    fig = figures.heatmap_figure(heat, min_group=3)
    image = fig.axes[0].get_images()[0].get_array()
    # Region row (12 participants): task 1 62.5 % (Б) sufficient, task 2 57.3 %
    # (Б) uncertain, task 3 32.3 % (П) sufficient; m2 (3): task 2 54.2 % (Б) low
    assert list(image[-1]) == [0, 1, 0]
    assert image[1][1] == STATUS_ORDER.index("insufficient")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == [
        "Город Первый",
        "Район Второй",
        "Итого: Тестовая область",
    ]


def test_marks_figure_stacks_the_shares(explorer):
    units = explorer.drilldown(explorer.selection())
    ax = figures.marks_figure(units, title="Отметки").axes[0]
    bars = ax.patches
    # Two units × four marks; the «5» bar of m1 starts where «2»–«4» end
    assert len(bars) == 8
    five = [b for b in bars if to_hex(b.get_facecolor()) == MARK_COLOURS[5]]
    assert five[0].get_x() == pytest.approx(100 - 200 / 9)
    assert ax.get_title() == "Отметки"


def test_every_view_has_a_figure_and_an_html_chart(explorer):
    sel = explorer.selection("school", "s1")
    for view in ("drilldown", "tasks", "heatmap", "distribution", "compare"):
        tables = view_tables(explorer, sel, view)
        fig = view_figure(explorer, sel, view, tables)
        assert fig.axes[0].get_title().startswith("Школа № 1: ")
        assert "Математика, 4 класс, 2024" in fig.axes[0].get_title()
        chart = view_figure(explorer, sel, view, tables, as_html=True)
        assert "Школа № 1: " in chart and "<script" not in chart
        assert figures.png(fig).startswith(b"\x89PNG")


def test_html_heatmap_escapes_names_and_colours_cells(explorer):
    heat = explorer.heatmap(explorer.selection())
    heat.loc[0, "unit"] = "<b>Город</b>"
    page = figures.heatmap_html(heat, min_group=3)
    assert "&lt;b&gt;Город&lt;/b&gt;" in page and "<b>Город" not in page
    sufficient = STATUS_COLOURS[STATUS_ORDER.index("sufficient")]
    assert f"background:{sufficient}'>62</td>" in page  # region, task 1: 62.5 %
    assert np.isclose(heat.iloc[-1]["1"], 62.5)
