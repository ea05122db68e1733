"""The catalogue params/indicators.yaml and its validation messages."""

from __future__ import annotations

import copy

import pytest
import yaml

from cyclolib.config import PARAMS_DIR
from cyclolib.indicators import formulas as fm
from cyclolib.indicators.catalogue import (
    CatalogueError,
    load_catalogue,
    parse_catalogue,
)

REQUIRED_IDS = {
    "participants",
    "mean_primary_score",
    "mean_score_pct",
    "mark_2_pct",
    "mark_3_pct",
    "mark_4_pct",
    "mark_5_pct",
    "success_pct",
    "quality_pct",
    "sou_pct",
    "mean_mark",
    "journal_lower_pct",
    "journal_same_pct",
    "journal_higher_pct",
    "task_completion_pct",
}


@pytest.fixture
def data():
    with open(PARAMS_DIR / "indicators.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def test_shipped_catalogue_is_valid_and_complete():
    cat = load_catalogue()
    assert REQUIRED_IDS <= cat.ids()
    produced = {i for ids in fm.PRODUCES.values() for i in ids}
    assert cat.ids(approved_only=False) == produced
    assert all(i.act_number for i in cat if i.approved)


def _error(data) -> str:
    with pytest.raises(CatalogueError) as err:
        parse_catalogue(data, "params/indicators.yaml")
    return str(err.value)


def test_bad_direction_message(data):
    bad = copy.deepcopy(data)
    bad["indicators"][5]["direction"] = "up"
    assert _error(bad) == (
        "params/indicators.yaml, показатель №6 (mean_mark), поле «direction»: "
        "ожидалось higher, lower или none, найдено 'up'"
    )


def test_approved_without_act_message(data):
    bad = copy.deepcopy(data)
    del bad["indicators"][0]["act"]
    assert _error(bad) == (
        "params/indicators.yaml, показатель №1 (participants), поле «act»: "
        "ожидалось для утверждённого показателя {number: номер акта, "
        "date: ГГГГ-ММ-ДД}, найдено None"
    )


def test_formula_must_produce_the_id(data):
    bad = copy.deepcopy(data)
    bad["indicators"][0]["formula"] = "cyclolib.indicators.formulas.marks"
    assert _error(bad) == (
        "params/indicators.yaml, показатель №1 (participants), поле «id»: "
        "ожидалось один из показателей функции marks: mean_mark, mark_2_pct, "
        "mark_3_pct, mark_4_pct, mark_5_pct, success_pct, quality_pct, sou_pct, "
        "найдено 'participants'"
    )


def test_missing_field_and_bad_level_and_target(data):
    bad = copy.deepcopy(data)
    del bad["indicators"][2]["executor"]
    assert _error(bad) == (
        "params/indicators.yaml, показатель №3 (coverage_pct), поле «executor»: "
        "ожидалось непустое значение, найдено None"
    )
    bad = copy.deepcopy(data)
    bad["indicators"][2]["levels"] = ["region", "district"]
    assert "поле «levels»: ожидалось список из region, municipality, school, " in (
        _error(bad)
    )
    bad = copy.deepcopy(data)
    bad["indicators"][2]["targets"] = {"region": "много"}
    assert _error(bad) == (
        "params/indicators.yaml, показатель №3 (coverage_pct), поле "
        "«targets.region»: ожидалось число, найдено 'много'"
    )


def test_duplicate_id_and_unknown_executor(data):
    bad = copy.deepcopy(data)
    bad["indicators"][1]["id"] = "participants"
    bad["indicators"][1]["formula"] = "cyclolib.indicators.formulas.participation"
    assert _error(bad) == (
        "params/indicators.yaml, показатель №2 (participants), поле «id»: "
        "ожидалось код, не повторяющийся в каталоге, найдено 'participants'"
    )
    bad = copy.deepcopy(data)
    bad["indicators"][0]["executor"] = "nobody"
    assert _error(bad).endswith(
        "поле «executor»: ожидалось исполнителя из раздела executors: analysis, "
        "methodists, objectivity, gia, municipal, найдено 'nobody'"
    )


def test_an_edited_catalogue_is_read_again(data, tmp_path):
    # The catalogue is kept between calls; an edit of the file must show.
    path = tmp_path / "indicators.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    first = load_catalogue(path)
    assert load_catalogue(path) is first
    edited = copy.deepcopy(data)
    edited["indicators"][0]["name"] = "Переименованный показатель"
    path.write_text(yaml.safe_dump(edited, allow_unicode=True), encoding="utf-8")
    again = load_catalogue(path)
    assert again.indicators[0].name == "Переименованный показатель"
    assert first.indicators[0].name != again.indicators[0].name
