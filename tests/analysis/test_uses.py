"""The kinds of use: the catalogue against the specification's own list."""

from __future__ import annotations

import re

import pytest

from cyclolib.analysis import uses
from cyclolib.config import ROOT
from cyclolib.decisions import use_kinds

SPEC = ROOT.parent / "shared" / "domain" / "cyclogram.ru.md"


def test_register_reads_the_same_list():
    # The register of decisions takes its kinds of use from params/uses.yaml
    cat = uses.use_catalogue()
    kinds = use_kinds()
    assert kinds["code"].tolist() == cat["code"].tolist()
    assert kinds["name"].tolist() == cat["name"].tolist()
    assert kinds["number"].tolist() == list(range(1, 40))


def test_catalogue_follows_the_specification():
    if not SPEC.exists():
        pytest.skip(f"нет файла спецификации {SPEC}")
    text = SPEC.read_text(encoding="utf-8")
    part = text[text.index("\n6. ") : text.index("\n7. ")]
    bullets = [
        re.sub(r"[;.]$", "", b.strip()) for b in re.findall(r"^- (.+)$", part, re.M)
    ]
    cat = uses.use_catalogue()
    # The list has 39 items (often counted as 36): all are kept
    assert len(cat) == len(bullets) == 39
    for got, spec in zip(cat["name"], bullets, strict=True):
        spec = spec.replace("коллегияльным", "коллегиальным").rstrip(".")
        assert got.lower().rstrip(".") == spec.lower()


def test_uses_for_a_school():
    table = uses.uses_for("school")
    assert list(table.columns) == [
        "№",
        "Вид использования",
        "Продукт",
        "Форма",
        "Данные",
        "Чего не хватает",
    ]
    assert "Определение содержания деятельности методических объединений" in set(
        table["Вид использования"]
    )
    missing = table[table["Данные"] == "нужны данные, которых нет в комплексе"]
    assert (missing["Чего не хватает"] != "").all()
    with pytest.raises(ValueError) as err:
        uses.uses_for("class")
    assert str(err.value) == (
        "Уровень «class» не поддерживается: допустимы region, municipality, school"
    )
