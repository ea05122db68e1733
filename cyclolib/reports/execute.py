"""Execute a parameterised notebook inside the current process.

A Jupyter kernel costs seconds to start and to import the scientific stack; a
report costs a fraction of a second of real work. The batch runner therefore
imports everything once per worker and forks a child per report; the child
runs the notebook's cells here, in an IPython shell whose display machinery
writes nbformat outputs instead of messages to a frontend.

The outputs match what papermill stores: ``stream``, ``display_data``,
``execute_result`` and ``error``, with images base64-encoded.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import os
import sys
from typing import Any

import nbformat
from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from nbformat.v4 import new_output

log = logging.getLogger(__name__)


class CellError(Exception):
    """A cell raised: the notebook stopped there.

    Attributes
    ----------
    nb : nbformat.NotebookNode
        The notebook as executed so far, the failing cell's error included.
    cell_index : int
        Index of the failing cell.
    ename, evalue : str
        The exception's class name and message.
    """

    def __init__(self, nb, cell_index: int, ename: str, evalue: str):
        super().__init__(f"{ename}: {evalue}")
        self.nb = nb
        self.cell_index = cell_index
        self.ename = ename
        self.evalue = evalue


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """Bytes (images) become base64 text, as in a stored notebook."""
    out = {}
    for mime, value in data.items():
        if isinstance(value, bytes):
            value = base64.b64encode(value).decode("ascii")
        elif mime.endswith("json") and not isinstance(value, dict | list):
            value = json.loads(value)
        out[mime] = value
    return out


class _Publisher(DisplayPublisher):
    """Collect ``display()`` calls as ``display_data`` outputs."""

    sink: list = []

    def publish(self, data, metadata=None, source=None, **kwargs):
        self.sink.append(
            new_output("display_data", data=_jsonable(data), metadata=metadata or {})
        )

    def clear_output(self, wait=False):
        self.sink.clear()


class _Hook(DisplayHook):
    """Collect the value of a cell's last expression as ``execute_result``."""

    sink: list = []

    def start_displayhook(self):
        pass

    def write_output_prompt(self):
        pass

    def write_format_data(self, format_dict, md_dict=None):
        self.sink.append(
            new_output(
                "execute_result",
                data=_jsonable(format_dict),
                metadata=md_dict or {},
                execution_count=self.prompt_count,
            )
        )

    def finish_displayhook(self):
        pass


class _Stream:
    """A text stream that appends to the current cell's outputs."""

    def __init__(self, name: str, sink: list):
        self.name = name
        self.sink = sink
        self.encoding = "utf-8"

    def write(self, text: str) -> int:
        if not text:
            return 0
        last = self.sink[-1] if self.sink else None
        if last is not None and last.get("name") == self.name:
            last["text"] += text
        else:
            self.sink.append(new_output("stream", name=self.name, text=text))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class Shell(InteractiveShell):
    """An IPython shell whose outputs land in nbformat cells."""

    display_pub_class = _Publisher
    displayhook_class = _Hook

    def init_io(self):
        pass

    def _showtraceback(self, etype, evalue, stb):
        self._last_error = (etype.__name__, str(evalue), list(stb))
        self.display_pub.sink.append(
            new_output(
                "error",
                ename=etype.__name__,
                evalue=str(evalue),
                traceback=list(stb),
            )
        )


_SHELL: Shell | None = None


def shell() -> Shell:
    """The process's shell (created once; a forked child inherits it)."""
    global _SHELL
    if _SHELL is None:
        _SHELL = Shell.instance(colors="nocolor")
        _SHELL.history_manager.enabled = False
    return _SHELL


def execute(nb, *, cwd: str | None = None):
    """Run every code cell of ``nb`` in this process; return the executed copy.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A notebook, usually parameterised by papermill's
        ``parameterize_notebook``.
    cwd : str, optional
        Folder to run in (the notebook's own folder, as under papermill).

    Raises
    ------
    CellError
        When a cell raises; the executed notebook so far is attached.

    Notes
    -----
    The cells share one namespace that starts empty. Run each notebook in a
    fresh (forked) process so that no state carries over between reports.
    """
    nb = copy.deepcopy(nb)
    sh = shell()
    sh.user_ns.clear()
    sh.init_user_ns()
    old_cwd = os.getcwd()
    old_out, old_err = sys.stdout, sys.stderr
    if cwd:
        os.chdir(cwd)
    count = 0
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            count += 1
            outputs: list = []
            sh.display_pub.sink = outputs
            sh.displayhook.sink = outputs
            sh.execution_count = count
            sh._last_error = None
            sys.stdout, sys.stderr = (
                _Stream("stdout", outputs),
                _Stream("stderr", outputs),
            )
            try:
                result = sh.run_cell(cell.source, store_history=False, silent=False)
            finally:
                sys.stdout, sys.stderr = old_out, old_err
            cell.outputs = outputs
            cell.execution_count = count
            if not result.success:
                ename, evalue = "Error", ""
                if sh._last_error is not None:
                    ename, evalue, _ = sh._last_error
                raise CellError(nb, index, ename, evalue)
    finally:
        os.chdir(old_cwd)
    return nb


def read(path) -> Any:
    """Read a notebook file (version 4), every cell with a ``tags`` list."""
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])
    nb.metadata.setdefault("papermill", {})
    return nb
