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


TEXTS = {
    "comparisons": "Ниже муниципалитета на 3 п.: «2» — 12 %; см. п. 4.\n\n"
    "Второй абзац: «кавычки», 'апострофы', # не комментарий, <b>не разметка</b>",
    "objectivity": "- не список, а текст\nkey: value — тоже текст",
    "summary": "  Пробелы по краям убираются.  ",
    "context": "",
}


def test_saved_conclusions_read_back(tmp_path):
    path = conclusions.save_conclusions(2024, "m01", TEXTS, folder=tmp_path)
    assert path == tmp_path / "2024" / "m01.yaml"
    assert conclusions.load_conclusions(2024, "m01", folder=tmp_path) == {
        "comparisons": TEXTS["comparisons"],
        "objectivity": TEXTS["objectivity"],
        "summary": "Пробелы по краям убираются.",
    }
    # A file a methodologist can edit: sections in the notebook's order, texts
    # of several lines as literal blocks, Cyrillic as it is
    written = path.read_text(encoding="utf-8")
    assert written.startswith("comparisons: |-\n  Ниже муниципалитета")
    assert written.index("objectivity:") < written.index("summary:")
    assert "context" not in written
    assert list(tmp_path.rglob("*.tmp")) == []


def test_one_section_is_saved_without_losing_the_others(tmp_path):
    conclusions.save_conclusions(2024, "s1", TEXTS, folder=tmp_path)
    conclusions.save_conclusion(2024, "s1", "summary", "Новый вывод.", folder=tmp_path)
    conclusions.save_conclusion(2024, "s1", "objectivity", "  ", folder=tmp_path)
    got = conclusions.load_conclusions(2024, "s1", folder=tmp_path)
    assert got == {"comparisons": TEXTS["comparisons"], "summary": "Новый вывод."}
    conclusions.save_conclusion(2025, "s1", "context", "Другой год.", folder=tmp_path)
    assert conclusions.load_conclusions(2025, "s1", folder=tmp_path) == {
        "context": "Другой год."
    }


def test_bad_section_and_unit_are_named(tmp_path):
    with pytest.raises(ValueError) as err:
        conclusions.save_conclusion(2024, "s1", "итог", "текст", folder=tmp_path)
    assert str(err.value) == (
        f"{tmp_path / '2024' / 's1.yaml'}: неизвестный раздел выводов «итог»; "
        "допустимы comparisons, distributions, objectivity, context, low_results, "
        "summary"
    )
    with pytest.raises(ValueError) as err:
        conclusions.save_conclusions(2024, "../s1", {}, folder=tmp_path)
    assert str(err.value) == (
        "Код единицы «../s1» не годится для имени файла выводов: ожидался код "
        "без «/» и «\\»"
    )
    assert not (tmp_path / "2024").exists()


def test_editor_saves_what_the_expert_typed(tmp_path, monkeypatch):
    monkeypatch.setenv("CYCLO_CONCLUSIONS", str(tmp_path))
    conclusions.save_conclusion(2024, "s1", "context", "Было.")
    editor = conclusions.conclusions_editor(2024, "s1", "context")
    area, (button, status) = editor.children[0], editor.children[1].children
    assert area.value == "Было."
    assert button.description == "Сохранить"
    area.value = "Стало:\nдва абзаца."
    button.click()
    path = tmp_path / "2024" / "s1.yaml"
    assert status.value == f"Сохранено в {path}; отчёты покажут этот текст."
    assert conclusions.load_conclusions(2024, "s1") == {
        "context": "Стало:\nдва абзаца."
    }
