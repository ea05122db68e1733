"""Stage 2 in Russian: the tables of notebook 02, in its report and its workbook."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from cyclolib.indicators import stage2
from cyclolib.indicators.catalogue import load_catalogue

CATALOGUE = """
executors:
  analysis: Отдел анализа
indicators:
  - id: success_pct
    name: Успеваемость
    measures: Долю отметок «3», «4» и «5»
    formula: cyclolib.indicators.formulas.marks
    unit: "%"
    direction: higher
    levels: [region, municipality, school, class]
    source: {level: federal, document: Приказ}
    status: approved
    act: {number: "1", date: 2026-08-25}
    executor: analysis
    targets: {region: 85, municipality: 85, school: 80}
  - id: coverage_pct
    name: Охват параллели
    measures: Долю обучающихся параллели, выполнивших работу
    formula: cyclolib.indicators.formulas.participation
    unit: "%"
    direction: higher
    levels: [municipality, school]
    source: local
    status: review
    executor: analysis
    thresholds: {school: 70.5}
"""

#: Words of the code that must not reach a reader of stage 2.
ENGLISH = re.compile(
    r"\b(region|municipality|school|class|True|False|mean_rating|sd|accepted|chi2"
    r"|dof|p_val|experts|objects|agreed|number|date|body|title|indicator|name"
    r"|count|index|levels|targets|thresholds|source_level|status)\b"
)


@pytest.fixture
def catalogue(tmp_path):
    path = tmp_path / "indicators.yaml"
    path.write_text(CATALOGUE, encoding="utf-8")
    return load_catalogue(path)


def test_levels_targets_and_thresholds_read_in_russian(catalogue):
    # Reference: the entries of CATALOGUE above, written out by hand
    (row,) = stage2.inherited(catalogue, level="region").to_dict("records")
    assert row["levels"] == "регион, муниципалитет, школа, класс"
    assert row["targets"] == "регион: 85; муниципалитет: 85; школа: 80"
    assert row["thresholds"] == ""
    (row,) = stage2.local_draft(catalogue, level="school").to_dict("records")
    assert (row["levels"], row["thresholds"]) == ("муниципалитет, школа", "школа: 70.5")
    (row,) = stage2.consolidated_list(catalogue).to_dict("records")
    assert row["indicator"] == "success_pct"
    assert row["levels"] == "регион, муниципалитет, школа, класс"


def test_readable_gives_russian_headers_and_yes_no():
    verdict = pd.DataFrame(
        {
            "indicator": ["a", "b"],
            "name": ["А", "Б"],
            "mean_rating": [4.5, 2.0],
            "sd": [0.5, 1.0],
            "min": [4.0, 1.0],
            "max": [5.0, 3.0],
            "experts": [2, 2],
            "rank": [1, 2],
            "accepted": [True, False],
        }
    )
    shown = stage2.readable(verdict)
    assert list(shown.columns) == [
        "Код",
        "Показатель",
        "Средняя оценка",
        "Стандартное отклонение",
        "Наименьшая оценка",
        "Наибольшая оценка",
        "Экспертов",
        "Место",
        "Принят",
    ]
    assert shown["Принят"].tolist() == ["да", "нет"]
    assert shown["Средняя оценка"].tolist() == [4.5, 2.0]
    # The table itself keeps its stable names and values
    assert verdict["accepted"].tolist() == [True, False]
    matrix = stage2.readable(
        pd.DataFrame({"indicator": ["a"], "Отдел": ["О"]}),
        columns={"indicator": "Показатель"},
    )
    assert list(matrix.columns) == ["Показатель", "Отдел"]


def test_agreement_table_names_each_statistic_in_russian():
    # Reference: three experts ranking three objects identically: W = 1,
    # chi2 = m (n - 1) W = 6 with 2 degrees of freedom, p = exp(-3)
    ratings = pd.DataFrame([[3, 2, 1]] * 3, columns=["a", "b", "c"], dtype=float)
    agreement = stage2.kendall_w(ratings).astype(object)
    agreement["agreed"] = True
    table = stage2.agreement_table(agreement)
    assert list(table.columns) == ["Величина", "Значение"]
    assert table["Величина"].tolist() == [
        "W Кендалла",
        "χ²",
        "Степеней свободы",
        "p-значение",
        "Экспертов",
        "Оцениваемых показателей",
        "Мнения согласованы",
    ]
    values = table["Значение"].tolist()
    assert values[0] == pytest.approx(1.0)
    assert values[1] == pytest.approx(6.0)
    assert values[2:3] == [2]
    assert values[3] == pytest.approx(0.049787, abs=1e-6)
    assert values[4:] == [3, 3, "да"]


def _stage2_outcomes(stage_reports):
    return [
        o
        for name in ("public", "private")
        for o in stage_reports[name].outcomes
        if o.stage == "02-indicators"
    ]


def test_the_stage_2_report_and_workbook_are_in_russian(stage_reports):
    outcomes = _stage2_outcomes(stage_reports)
    assert len(outcomes) == 5
    for outcome in outcomes:
        page = Path(outcome.html).read_text(encoding="utf-8")
        page = re.sub(r"<(style|title)>.*?</\1>", "", page, flags=re.S)
        headers = re.findall(r"<th>(.*?)</th>", page)
        assert [h for h in headers if re.search("[A-Za-z]", h)] == []
        text = re.sub(r"<[^>]+>", " ", page)
        assert ENGLISH.findall(text) == []
        assert "регион, муниципалитет, школа, класс" in text

        book = Path(outcome.html).with_name("02-indicators.xlsx")
        sheets = pd.read_excel(book, sheet_name=None, engine="calamine")
        assert list(sheets) == [
            "Вышестоящие",
            "Локальные",
            "Экспертиза",
            "Согласованность",
            "Акты",
            "Сводный перечень",
            "Источник и статус",
            "Ответственность",
        ]
        for sheet, table in sheets.items():
            latin = [c for c in table.columns if re.search("[A-Za-z]", str(c))]
            assert (sheet, latin) == (sheet, [])
            cells = [str(c) for c in table.to_numpy().ravel()]
            assert (sheet, [c for c in cells if ENGLISH.search(c)]) == (sheet, [])
        assert set(sheets["Экспертиза"]["Принят"]) <= {"да", "нет"}
        agreement = dict(sheets["Согласованность"].to_numpy())
        assert agreement["Мнения согласованы"] in ("да", "нет")
