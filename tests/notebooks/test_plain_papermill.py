"""Every notebook run by plain papermill (not the runner) stays free of widgets.

A methodologist may run ``papermill`` and ``jupyter nbconvert --to html`` by
hand: the kernel is not started by a Jupyter server, so the notebooks must
show their static views, store no widget state and export no widget scripts.
"""

from __future__ import annotations

import contextlib
import io

import nbformat
import papermill
import pytest
from nbconvert import HTMLExporter

from cyclolib.config import NOTEBOOKS_DIR
from cyclolib.nb import iter_notebooks

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
NOTEBOOKS = list(iter_notebooks())


def _widget_traces(nb) -> list[str]:
    """What in an executed notebook and its nbconvert HTML belongs to widgets."""
    found = [
        f"вывод ячейки {i}"
        for i, cell in enumerate(nb.cells)
        for output in cell.get("outputs", [])
        if WIDGET_VIEW in output.get("data", {})
    ]
    if "widgets" in nb.metadata:
        found.append("состояние виджетов в метаданных")
    page, _ = HTMLExporter().from_notebook_node(nb)
    for mark in (WIDGET_VIEW, WIDGET_STATE, "jupyter-widgets/html-manager"):
        if mark in page:
            found.append(f"HTML: {mark}")
    return found


def _execute(path, out, parameters):
    with contextlib.redirect_stderr(io.StringIO()):
        papermill.execute_notebook(
            str(path),
            str(out),
            parameters=parameters,
            cwd=str(NOTEBOOKS_DIR),
            progress_bar=False,
        )
    return nbformat.read(str(out), as_version=4)


@pytest.fixture
def plain_kernel(monkeypatch):
    """The environment of a user's shell: no batch runner, no forced widgets."""
    # An in-process batch earlier in the session sets the variable
    monkeypatch.delenv("CYCLO_BATCH", raising=False)
    monkeypatch.delenv("CYCLO_INTERACTIVE", raising=False)


@pytest.mark.slow
def test_every_notebook_under_plain_papermill_has_no_widgets(
    nb_db, tmp_path, plain_kernel
):
    assert [p.stem[:2] for p in NOTEBOOKS] == [f"{i:02d}" for i in range(10)]
    traces = {}
    for path in NOTEBOOKS:
        parameters = {"db": str(nb_db)}
        if path.stem.startswith("02-"):
            parameters["xlsx_dir"] = str(tmp_path / "xlsx")
        nb = _execute(path, tmp_path / path.name, parameters)
        traces[path.stem] = _widget_traces(nb)
    assert traces == {p.stem: [] for p in NOTEBOOKS}


@pytest.mark.slow
def test_the_check_finds_widgets_where_a_front_end_is_forced(
    nb_db, tmp_path, plain_kernel, monkeypatch
):
    # Control: the search panel of 03 as a live front end would show it
    monkeypatch.setenv("CYCLO_INTERACTIVE", "1")
    path = NOTEBOOKS_DIR / "03-data.ipynb"
    nb = _execute(path, tmp_path / path.name, {"db": str(nb_db)})
    traces = _widget_traces(nb)
    assert traces[-4:] == [
        "состояние виджетов в метаданных",
        f"HTML: {WIDGET_VIEW}",
        f"HTML: {WIDGET_STATE}",
        "HTML: jupyter-widgets/html-manager",
    ]
    assert traces[0].startswith("вывод ячейки ")
