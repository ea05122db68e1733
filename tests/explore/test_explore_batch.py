"""Widgets never reach the batch: static views under papermill, no widget scripts."""

from __future__ import annotations

import contextlib
import io

import nbformat
import pytest

from cyclolib.config import NOTEBOOKS_DIR
from cyclolib.explore import Panel, is_interactive, panel

NOTEBOOK = NOTEBOOKS_DIR / "09-explore.ipynb"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def test_batch_variable_wins(monkeypatch):
    # An earlier in-process batch may have set the variable already
    monkeypatch.delenv("CYCLO_BATCH", raising=False)
    monkeypatch.setenv("CYCLO_INTERACTIVE", "1")
    assert is_interactive() is True
    monkeypatch.setenv("CYCLO_BATCH", "1")
    assert is_interactive() is False


def test_outside_a_kernel_is_static(monkeypatch):
    monkeypatch.delenv("CYCLO_BATCH", raising=False)
    monkeypatch.delenv("CYCLO_INTERACTIVE", raising=False)
    assert is_interactive() is False


def test_static_view_returns_tables_not_widgets(explorer):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        shown = panel(explorer, level="school", unit_id="s1", interactive=False)
    assert not isinstance(shown, Panel)
    assert list(shown) == [
        "Итоги",
        "Единицы",
        "Задания",
        "Карта заданий",
        "Распределение баллов",
        "Сравнение",
        "Сравнение по заданиям",
    ]
    assert shown["Единицы"]["unit"].tolist() == ["4а", "4б"]


def test_interactive_panel_is_a_panel(explorer):
    with contextlib.redirect_stdout(io.StringIO()):
        shown = panel(explorer, interactive=True, view="tasks")
    assert isinstance(shown, Panel)
    assert list(shown.tables) == ["Итоги", "Задания"]


def test_bad_source_message(explorer):
    from cyclolib.explore import ExploreError

    with pytest.raises(ExploreError) as err:
        panel("data/cyclo.duckdb")
    assert str(err.value) == (
        "Панели нужен контекст блокнота (cyclolib.nb.setup), соединение с базой "
        "данных или Explorer; получено: str"
    )


def test_notebook_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.slow
def test_papermill_renders_the_static_view(tiny_con, tmp_path):
    """A real kernel under papermill: tables and figures, no widget, no script."""
    import papermill
    from nbconvert import HTMLExporter

    path = tiny_con.execute("PRAGMA database_list").fetchall()[0][2]
    tiny_con.close()
    out = tmp_path / "09.ipynb"
    with contextlib.redirect_stderr(io.StringIO()):
        papermill.execute_notebook(
            str(NOTEBOOK),
            str(out),
            parameters={
                "db": path,
                "level": "municipality",
                "unit_id": "m1",
                "public": False,
            },
            cwd=str(NOTEBOOKS_DIR),
            progress_bar=False,
        )
    nb = nbformat.read(out, as_version=4)
    mimes = [
        mime
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        for mime in output.get("data", {})
    ]
    assert WIDGET_MIME not in mimes
    assert "image/png" in mimes
    page, _ = HTMLExporter().from_notebook_node(nb)
    assert WIDGET_MIME not in page
    assert "widget-state" not in page
    # The municipality's schools with their figures (s1: 6 participants, s2: 3)
    assert "Школа № 1" in page and "Школа № 2" in page
    assert "Карта заданий" in page and "Распределение баллов" in page
    # The cell's value (the tables shown) is not printed once more
    assert "'Итоги'" not in page and "&#x27;Итоги&#x27;" not in page


def test_kernel_of_a_jupyter_server_is_recognised(monkeypatch):
    import importlib
    import subprocess
    import time

    panel_module = importlib.import_module("cyclolib.explore.panel")

    # A process whose command line reads like JupyterLab's server, and another
    for name, expected in (("jupyter-lab", True), ("papermill", False)):
        proc = subprocess.Popen(["bash", "-c", f"exec -a {name} sleep 30"])
        try:
            for _ in range(50):  # wait until exec has replaced the command line
                cmd = open(f"/proc/{proc.pid}/cmdline", "rb").read()
                if cmd.startswith(name.encode()):
                    break
                time.sleep(0.02)
            monkeypatch.setattr(panel_module.os, "getppid", lambda pid=proc.pid: pid)
            assert panel_module._parent_is_jupyter_server() is expected
        finally:
            proc.kill()
            proc.wait()


def test_nothing_to_explore_is_a_message_not_an_error(explorer):
    from cyclolib.explore import StaticView

    with contextlib.redirect_stdout(io.StringIO()):
        shown = panel(
            explorer, level="school", unit_id="s3", subject="ru", interactive=False
        )
    assert shown == StaticView()


def test_public_static_view_of_a_small_school(explorer):
    """Public mode: a school under 10 participants shows no group, and no figure
    fails on the empty tables (distribution rows are scores, not groups)."""
    from cyclolib.explore.panel import public_rows

    dist = explorer.distribution(explorer.selection())
    kept, hidden = public_rows(dist, 10)
    assert (len(kept), hidden) == (21, 0)  # the region: 12 participants
    small = explorer.distribution(explorer.selection("school", "s1"))
    kept, hidden = public_rows(small, 10)
    assert (len(kept), hidden) == (0, 21)

    with contextlib.redirect_stdout(io.StringIO()):
        shown = panel(
            explorer, level="school", unit_id="s1", public=True, interactive=False
        )
    tasks = shown.pop("Сравнение по заданиям")
    assert shown.pop("Сравнение")["group"].tolist() == ["region"]
    assert all(frame.empty for frame in shown.values())
    # Only the region (12) is large enough to compare with
    assert tasks[["unit_pct", "parent_pct", "similar_pct"]].isna().all().all()
    assert tasks["region_pct"].tolist() == pytest.approx(
        [3000 / 48, 5500 / 96, 3100 / 96]
    )
