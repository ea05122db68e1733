"""``cyclo synth`` from the command line."""

from __future__ import annotations

import json

from cyclolib.cli import main


def test_command_writes_a_region(tmp_path, capsys):
    out = tmp_path / "region"
    code = main(
        ["synth", "--seed", "2", "--schools", "8", "--municipalities", "2",
         "--years", "2024", "--format", "csv", "--quirks", "--out", str(out)]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schools"] == 8 and manifest["years"] == [2024]
    assert manifest["format"] == "csv" and manifest["quirks"] is True
    assert printed.splitlines()[0] == (
        "Синтетический регион (зерно 2): школ 8, муниципалитетов 2, годы 2024."
    )
    assert f"Результатов {manifest['results']}, файлов {len(manifest['files'])}." in (
        printed
    )
    # What was planted, counted from the ground truth
    planted = json.loads((out / "ground_truth.json").read_text("utf-8"))["planted"]
    kinds = [p["kind"] for p in planted]
    assert printed.splitlines()[2] == (
        "Заложено: школ с признаками необъективности — "
        f"{sum(p['category'] == 'inflated' for p in planted)}, школ с низкими "
        f"результатами — {kinds.count('low_school_effect')}, мер с известным "
        f"эффектом — {kinds.count('measure_effect')}, слабых умений региона — 2, "
        f"школ с дефицитом умения — {kinds.count('skill_deficit')}, ошибочных "
        "строк — 10."
    )
    assert kinds.count("skill_deficit") == 1


def test_command_explains_bad_sizes(tmp_path, capsys):
    code = main(
        ["synth", "--schools", "2", "--municipalities", "3", "--out", str(tmp_path)]
    )
    assert code == 2
    assert capsys.readouterr().err == (
        "Ошибка: Муниципалитетов (3) больше, чем школ (2): в каждом муниципалитете "
        "должна быть хотя бы одна школа\n"
    )
