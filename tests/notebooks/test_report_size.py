"""Report figures are compact PNGs, and every stage's school report stays small."""

from __future__ import annotations

import io
import re

import matplotlib
import numpy as np
import pytest
from PIL import Image
from planted import typical_school

from cyclolib.nb import figure_png, iter_notebooks

matplotlib.use("agg")

import matplotlib.pyplot as plt  # noqa: E402

#: The size limit of a typical school report.
LIMIT = 150_000


def _chart():
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.bar(range(12), np.linspace(20, 95, 12), color="#1565c0", label="школа")
    ax.errorbar(range(12), np.linspace(20, 95, 12), yerr=5, fmt="none", ecolor="k")
    ax.set_title("Выполнение заданий, %")
    ax.legend()
    return fig


def _pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"), dtype=int)


def test_a_figure_becomes_a_palette_png_close_to_the_full_colour_drawing():
    fig = _chart()
    # Reference: the same figure drawn by matplotlib alone, full colour
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    full = buf.getvalue()
    compact = figure_png(fig, dpi=80)
    plt.close(fig)
    with Image.open(io.BytesIO(compact)) as image:
        assert image.mode == "P"
        assert image.size == (560, 240)
    assert len(compact) < len(full) / 2
    before, after = _pixels(full), _pixels(compact)
    # The bars' colour and the white background are kept exactly
    assert (after == [21, 101, 192]).all(axis=2).sum() == (
        (before == [21, 101, 192]).all(axis=2).sum()
    )
    assert ((before == 255).all(axis=2) == (after == 255).all(axis=2)).mean() > 0.999
    # Anti-aliased edges move by a few levels at most on average
    assert np.abs(before - after).mean() < 1.0


def test_the_same_figure_gives_the_same_bytes():
    first, second = _chart(), _chart()
    assert figure_png(first) == figure_png(second)
    plt.close("all")


@pytest.fixture(scope="module")
def school_reports(stage_reports, planted_db):
    """Every stage's public report of the typical school (see conftest)."""
    school, results = typical_school(planted_db)
    batch = stage_reports["public"]
    return results, [o for o in batch.outcomes if o.unit_id == school]


def test_every_stage_of_a_typical_school_report_is_under_150_kb(school_reports):
    results, outcomes = school_reports
    # A school of a realistic size: a few hundred results in the year
    assert 300 <= results <= 600
    stages = sorted(o.stage for o in outcomes)
    assert stages == [p.stem for p in iter_notebooks()]
    assert [(o.stage, o.status, o.error) for o in outcomes] == [
        (o.stage, "done", "") for o in outcomes
    ]
    sizes = {o.stage: o.size for o in outcomes}
    assert {s: n for s, n in sizes.items() if n >= LIMIT} == {}
    for outcome in outcomes:
        with open(outcome.html, "rb") as fh:
            assert len(fh.read()) == outcome.size


def test_the_values_report_keeps_its_figures(school_reports):
    _, outcomes = school_reports
    (values,) = [o for o in outcomes if o.stage == "04-values"]
    with open(values.html, encoding="utf-8") as fh:
        page = fh.read()
    alts = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,', page)
    # One chart of the main indicators for all forms, one task chart per form
    forms = re.findall(r'<p class="cyclo-caption">([^<]+)</p>', page)
    assert alts[0] == "Основные показатели по работам: единица и территория"
    tasks = [a for a in alts if a.endswith(": выполнение заданий")]
    assert len(tasks) >= 4
    assert all(a.removesuffix(": выполнение заданий") in forms for a in tasks)
