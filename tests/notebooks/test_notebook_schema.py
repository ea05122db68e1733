"""Every notebook of notebooks/ is valid against the nbformat schema it declares."""

from __future__ import annotations

import json

import nbformat
import pytest

from cyclolib.config import NOTEBOOKS_DIR

ALL = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


def test_there_are_notebooks_to_validate():
    assert len(ALL) >= 10


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_the_notebook_is_valid_as_stored(path):
    # Reference: nbformat's own JSON schema of the version the file declares
    raw = path.read_text(encoding="utf-8")
    nb = nbformat.reads(raw, as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)
    # Cell ids (nbformat 4.5) are unique within the notebook
    ids = [c["id"] for c in json.loads(raw)["cells"] if "id" in c]
    assert len(ids) == len(set(ids))
