"""XLSX export of the analysis tables with Russian headings."""

from __future__ import annotations

import sys

import pandas as pd

from cyclolib.analysis import export


def test_headings_are_russian_and_sheets_kept(tmp_path, monkeypatch):
    frame = pd.DataFrame({"school_id": ["a"], "value_added": [1.5], "extra": [2]})
    for fallback in (False, True):
        if fallback:  # the plain writer used when cyclolib.xlsx is absent
            monkeypatch.setitem(sys.modules, "cyclolib.xlsx", None)
        path = export.write_xlsx(tmp_path / f"t{fallback}.xlsx", {"Лист": frame})
        back = pd.read_excel(path, sheet_name=None, engine="calamine")
        assert list(back) == ["Лист"]
        assert list(back["Лист"].columns) == ["Логин", "Добавленная ценность", "extra"]
        assert back["Лист"].iloc[0].tolist() == ["a", 1.5, 2]
