"""Stage 8: realised uses, trends and proposals, and the workbook.

References: trends are checked against scipy.stats.linregress (an independent
least-squares fit); counts and proposals against the hand-made tables below.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cyclolib.correction import (
    LABELS,
    TREND_NAMES,
    proposals,
    realised_uses,
    trends,
    write_workbook,
)
from cyclolib.decisions import use_kinds
from cyclolib.effectiveness import VERDICTS


def test_trend_matches_linregress():
    years = np.array([2019, 2020, 2021, 2022, 2023])
    values = np.array([61.0, 62.5, 62.1, 64.9, 66.0])
    frame = pd.DataFrame(
        {"indicator": "mean_score_pct", "unit_id": "u", "year": years, "value": values}
    )
    (row,) = trends(frame).to_dict("records")
    ref = stats.linregress(years, values)
    assert row["slope"] == pytest.approx(ref.slope)
    assert row["p_value"] == pytest.approx(ref.pvalue)
    half = stats.t.ppf(0.975, 3) * ref.stderr
    assert row["slope_low"] == pytest.approx(ref.slope - half)
    assert row["slope_high"] == pytest.approx(ref.slope + half)
    assert ref.pvalue < 0.05 and row["trend"] == TREND_NAMES["up"]
    assert (row["n_years"], row["first_year"], row["last_year"]) == (5, 2019, 2023)
    assert (row["first_value"], row["last_value"]) == (61.0, 66.0)


def test_trend_words_for_flat_noisy_and_short_series():
    frame = pd.DataFrame(
        {
            "indicator": ["a"] * 3 + ["b"] * 4 + ["c"] * 2,
            "year": [2022, 2023, 2024, 2021, 2022, 2023, 2024, 2023, 2024],
            "value": [50, 50, 50, 60, 40, 61, 41, 1, 2],
        }
    )
    out = trends(frame).set_index("indicator")
    assert out.loc["a", "trend"] == TREND_NAMES["flat"]
    assert out.loc["a", "slope"] == 0 and np.isnan(out.loc["a", "p_value"])
    # b: slope -4.8 with p = 0.70 by linregress: no significant change.
    ref = stats.linregress([2021, 2022, 2023, 2024], [60, 40, 61, 41])
    assert out.loc["b", "p_value"] == pytest.approx(ref.pvalue)
    assert out.loc["b", "trend"] == TREND_NAMES["flat"]
    assert out.loc["c", "trend"] == TREND_NAMES["short"]
    assert np.isnan(out.loc["c", "slope"])
    with pytest.raises(ValueError) as err:
        trends(frame, min_years=2)
    assert str(err.value) == (
        "min_years должно быть не меньше 3 (нужна оценка остатков), получено 2"
    )


def test_realised_uses_by_hand():
    register = pd.DataFrame(
        {
            "use_kind": ["pd_need", "pd_need", "grants", "media"],
            "status": ["done", "not_done", "not_done", "planned"],
        }
    )
    out = realised_uses(register).set_index("code")
    assert len(out) == len(use_kinds())
    assert out.loc[
        "pd_need", ["decisions", "done", "not_done", "planned"]
    ].tolist() == [2, 1, 1, 0]
    assert out.loc["pd_need", "state"] == "реализовано"
    assert out.loc["grants", "state"] == "не выполнено"
    assert out.loc["media", "state"] == "запланировано"
    assert out.loc["pay", "state"] == "не использовалось"
    assert out["realised"].sum() == 1
    assert (realised_uses(register.iloc[:0])["state"] == "не использовалось").all()


def test_proposals_follow_the_rules():
    effects = pd.DataFrame(
        {
            "decision_id": ["M1", "M2", "M3", "M4", "M5"],
            "indicator": "mean_score_pct",
            "status": ["done", "done", "done", "not_done", "planned"],
            "effect": [4.0, -3.0, 1.0, np.nan, np.nan],
            "ci_low": [1.0, -5.0, -2.0, np.nan, np.nan],
            "ci_high": [7.0, -1.0, 4.0, np.nan, np.nan],
            "verdict": [
                VERDICTS["better"],
                VERDICTS["worse"],
                VERDICTS["none"],
                VERDICTS["not_evaluated"],
                VERDICTS["not_evaluated"],
            ],
            "target_reached": [True, None, False, None, None],
            "note": [
                "",
                "",
                "",
                "мера не выполнена: эффект не оценивается",
                "мера запланирована: эффект не оценивается",
            ],
        }
    )
    trend_table = pd.DataFrame(
        {
            "indicator": ["mean_score_pct", "mark_2_pct", "quality_pct"],
            "study": ["vpr", "vpr", None],
            "subject": ["ma", "ma", "ru"],
            "grade": [5, None, None],
            "n_years": [4, 4, 3],
            "first_value": [60.0, 5.0, 40.0],
            "last_value": [55.0, 9.0, 40.0],
            "slope": [-1.6, 1.3, 0.0],
            "p_value": [0.01, 0.02, np.nan],
            "trend": [TREND_NAMES["down"], TREND_NAMES["up"], TREND_NAMES["flat"]],
        }
    )
    uses = realised_uses(pd.DataFrame({"use_kind": ["grants"], "status": ["not_done"]}))
    out = proposals(effects=effects, trend_table=trend_table, uses=uses)
    measures = out[out["object"] == "мера"].set_index("item")
    assert measures["proposal"].to_dict() == {
        "M1": "продолжить и распространить на сходные единицы",
        "M2": "прекратить",
        "M3": "пересмотреть содержание меры или её показатель",
        "M4": "выполнить или исключить из плана",
        "M5": "выполнить и оценить в следующем цикле",
    }
    assert measures.loc["M5", "reason"] == "мера запланирована, ещё не выполнена"
    assert measures.loc["M1", "reason"] == (
        "эффект +4.0 (95 % интервал +1.0…+7.0) по показателю «Средний процент "
        "выполнения работы»; целевое значение достигнуто"
    )
    assert measures.loc["M3", "reason"] == (
        "эффект не выявлен: 95 % интервал -2.0…+4.0 включает ноль; "
        "целевое значение не достигнуто"
    )
    indicators = out[out["object"] == "показатель"]
    # A falling mean and a rising share of «2» (lower is better) need measures;
    # a value that never moved is to be revised.
    # Series are named in words: the catalogue's indicator, the study and
    # subject of params/ and the grade
    assert indicators[["item", "proposal"]].values.tolist() == [
        [
            "Средний процент выполнения работы (ВПР, Математика, 5 класс)",
            "запланировать меры по показателю",
        ],
        ["Доля отметок «2» (ВПР, Математика)", "запланировать меры по показателю"],
        ["Качество знаний (Русский язык)", "пересмотреть показатель"],
    ]
    kinds = out[out["object"] == "вид использования"]
    assert len(kinds) == len(use_kinds())
    grants = kinds[kinds["item"] == use_kinds().set_index("code").loc["grants", "name"]]
    assert grants["proposal"].tolist() == ["выяснить причины невыполнения"]


def test_workbook_has_russian_headers(tmp_path):
    table = pd.DataFrame({"indicator": ["a"], "trend": [TREND_NAMES["up"]]})
    path = write_workbook(tmp_path / "out" / "p.xlsx", {"Динамика": table})
    back = pd.read_excel(path, sheet_name="Динамика", engine="calamine")
    assert list(back.columns) == [LABELS["indicator"], LABELS["trend"]]
    assert back.iloc[0].tolist() == ["a", "значимый рост"]
    with pytest.raises(ValueError) as err:
        write_workbook(tmp_path / "q.xlsx", {"x" * 32: table})
    assert (
        str(err.value)
        == f"имя листа «{'x' * 32}» длиннее 31 символа: Excel его не примет"
    )


@pytest.fixture
def members_db(con):
    from cyclolib import db

    db.append(
        con,
        "territories",
        pd.DataFrame(
            {
                "territory_id": ["r", "m1", "m2"],
                "name": ["Область", "Город", "Район"],
                "level": ["region", "municipality", "municipality"],
                "parent_id": [None, "r", "r"],
            }
        ),
    )
    db.append(
        con,
        "schools",
        pd.DataFrame(
            {
                "school_id": ["s1", "s2", "s3"],
                "name": ["Школа 1", "Школа 2", "Школа 3"],
                "municipality_id": ["m1", "m1", "m2"],
            }
        ),
    )
    # Mean % of the maximum by year: m1 rises by 2 a year exactly, m2 is
    # noisy; s1 falls, s2 has 5 participants in 2024 (a small group), s3 is
    # in the other municipality.
    series = {
        ("municipality", "m1"): ([50, 52, 54, 56], 200),
        ("municipality", "m2"): ([60, 55, 61, 56], 200),
        ("school", "s1"): ([70, 66, 63, 58], 40),
        ("school", "s2"): ([40, 41, 40, 41], 30),
        ("school", "s3"): ([45, 46, 47, 48], 30),
    }
    rows = [
        {
            "year": year,
            "study": "vpr",
            "subject": "ma",
            "grade": 5,
            "level": level,
            "unit_id": unit,
            "indicator": "mean_score_pct",
            "task": "",
            "value": value,
            "n": 5 if (unit, year) == ("s2", 2024) else n,
        }
        for (level, unit), (values, n) in series.items()
        for year, value in zip(range(2021, 2025), values, strict=True)
    ]
    db.append(con, "indicator_values", pd.DataFrame(rows))
    return con, series


def test_trends_of_the_units_below(members_db):
    from cyclolib.correction import member_values, trend_summary

    con, series = members_db
    region = member_values(con, level="region", unit_id="r")
    assert sorted(region["unit_id"].unique()) == ["m1", "m2"]
    schools = member_values(con, level="municipality", unit_id="m1")
    # s3 is in m2; s2's 2024 value has 5 participants, under min_group_size 10
    assert schools.groupby("unit_id")["year"].max().to_dict() == {
        "s1": 2024,
        "s2": 2023,
    }
    assert member_values(con, level="school", unit_id="s1").empty

    table = trends(schools, by=["unit_id", "indicator", "study", "subject", "grade"])
    s1 = table.set_index("unit_id").loc["s1"]
    ref = stats.linregress(range(2021, 2025), series[("school", "s1")][0])
    assert s1["slope"] == pytest.approx(ref.slope)
    assert s1["p_value"] == pytest.approx(ref.pvalue)
    assert s1["trend"] == TREND_NAMES["down"]

    # By hand: m1 rises exactly (slope 2, no p-value: significant rise);
    # m2: slope -0.6 with p = 0.74 by linregress: no significant change.
    summary = trend_summary(trends(region)).set_index("unit_id")
    assert summary.to_dict("index") == {
        "m1": {"series": 1, "up": 1, "down": 0, "flat": 0, "short": 0},
        "m2": {"series": 1, "up": 0, "down": 0, "flat": 1, "short": 0},
    }


def test_stage_workbook_has_the_trends_of_the_units_below(members_db):
    from cyclolib.correction import stage_tables

    con, _ = members_db
    sheets = stage_tables(con, level="municipality", unit_id="m1", year=2024)
    assert list(sheets)[-2:] == ["Динамика по школам", "Предложения"]
    table = sheets["Динамика по школам"]
    assert table["unit_name"].tolist() == ["Школа 1", "Школа 2"]
    assert set(table["study"]) == {"ВПР"} and set(table["subject"]) == {"Математика"}
    region = stage_tables(con, level="region", unit_id="r", year=2024)
    assert region["Динамика по муниципалитетам"]["unit_id"].tolist() == ["m1", "m2"]
    school = stage_tables(con, level="school", unit_id="s1", year=2024)
    assert not any(name.startswith("Динамика по") for name in school)
