"""The expert's conclusions kept in files for the reports."""

from __future__ import annotations

from pathlib import Path

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


def test_conclusions_reach_the_executed_report(tmp_path, monkeypatch):
    # Notebook 05 run by the batch machinery (fork engine) on the small
    # database of tests/reports, for a school with conclusions and one without
    import html
    import re
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "reports"))
    import report_db

    from cyclolib.reports import runner

    folder = tmp_path / "conclusions"
    monkeypatch.setenv("CYCLO_CONCLUSIONS", str(folder))
    path = conclusions.conclusions_path(2024, "sch000101")
    assert path == folder / "2024" / "sch000101.yaml"
    path.parent.mkdir(parents=True)
    written = {
        "comparisons": "Средний процент выполнения ниже муниципалитета на 3 п.",
        "summary": "Доля «2» < 10 %: адресная помощь не нужна.",
    }
    path.write_text(
        "".join(f"{k}: '{v}'\n" for k, v in written.items()), encoding="utf-8"
    )

    db_path = report_db.build(tmp_path / "small.duckdb")
    batch = runner.plan(
        db=db_path,
        unit_ids=["sch000101", "sch000102"],
        stages=["05"],
        out=tmp_path / "reports",
        report_date="2024-06-01",
    )
    runner.run(batch)
    pages = {}
    for outcome in batch.outcomes:
        assert outcome.status == "done", outcome.error
        pages[outcome.unit_id] = Path(outcome.html).read_text(encoding="utf-8")

    def after(page: str, heading: str) -> str:
        # The first paragraph after a heading, unescaped
        found = re.search(
            f'{heading}</h[23]>.*?<p class="cyclo-note">(.*?)</p>', page, re.S
        )
        assert found, heading
        return html.unescape(found.group(1))

    page = pages["sch000101"]
    assert after(page, "Выводы эксперта о сравнениях") == written["comparisons"]
    assert after(page, "Общий вывод эксперта") == written["summary"]
    # Escaped in the page, never as markup
    assert "Доля «2» &lt; 10 %" in page
    unwritten = "Вывод эксперта пока не записан."
    assert after(page, "Выводы эксперта о распределениях") == unwritten
    other = pages["sch000102"]
    assert written["summary"] not in html.unescape(other)
    assert after(other, "Общий вывод эксперта") == unwritten
