"""The expert's conclusions kept in files for the reports."""

from __future__ import annotations

import pytest

from cyclolib.analysis import conclusions


def test_conclusions_are_read_per_unit_and_year(tmp_path):
    assert conclusions.load_conclusions(2024, "m01", folder=tmp_path) == {}
    path = conclusions.conclusions_path(2024, "m01", folder=tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(
        "comparisons: |\n  Результаты выше региона.\nsummary: ''\n", encoding="utf-8"
    )
    assert conclusions.load_conclusions(2024, "m01", folder=tmp_path) == {
        "comparisons": "Результаты выше региона."
    }
    path.write_text("итог: текст\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        conclusions.load_conclusions(2024, "m01", folder=tmp_path)
    assert str(err.value) == (
        f"{path}: неизвестный раздел выводов «итог»; допустимы comparisons, "
        "distributions, objectivity, context, low_results, summary"
    )
