"""The Explorer's tables against figures worked out by hand (see conftest.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cyclolib.explore import ExploreError, Explorer, mark_thresholds, task_statuses


def test_region_summary_by_hand(explorer):
    # 12 present participants (one absent left out); marks 2: 3, 3: 2, 4: 4, 5: 3
    row = explorer.summary(explorer.selection()).iloc[0]
    assert row["unit_id"] == "r1"
    assert row["unit"] == "Тестовая область"
    assert row["participants"] == 12
    assert row["mean_score"] == pytest.approx(116 / 12)
    assert row["mark2_pct"] == pytest.approx(25.0)
    assert row["mark3_pct"] == pytest.approx(200 / 12)
    assert row["mark4_pct"] == pytest.approx(400 / 12)
    assert row["mark5_pct"] == pytest.approx(25.0)
    assert row["pass_pct"] == pytest.approx(75.0)
    assert row["quality_pct"] == pytest.approx(700 / 12)
    # СОУ = (1.00·3 + 0.64·4 + 0.36·2 + 0.16·3) / 12 · 100
    assert row["sou_pct"] == pytest.approx(6.76 / 12 * 100)


def test_drilldown_region_to_municipalities_is_weighted(explorer):
    units = explorer.drilldown(explorer.selection())
    assert units["unit_id"].tolist() == ["m1", "m2"]
    assert units["participants"].tolist() == [9, 3]
    # m1 = s1 + s2: «5» for 20 (s1) and 16 (s2) → 2 of 9, not a mean of shares
    assert units.loc[0, "mark5_pct"] == pytest.approx(200 / 9)
    assert units.loc[1, "mark2_pct"] == pytest.approx(100 / 3)


def test_drilldown_school_to_classes_and_no_class(explorer):
    classes = explorer.drilldown(explorer.selection("school", "s1"))
    assert classes["unit"].tolist() == ["4а", "4б"]
    assert classes["mean_score"].tolist() == pytest.approx([40 / 4, 16 / 2])
    no_class = explorer.drilldown(explorer.selection("school", "s2"))
    assert no_class["unit"].tolist() == ["без класса"]
    assert explorer.drilldown(explorer.selection("class", "s1/2024/4/а")).empty


def test_tasks_completion_and_reference_levels(explorer):
    tasks = explorer.tasks(explorer.selection())
    # Task 1: 30 points of 12 · 4; task 2: 55 of 12 · 8; task 3: 31 of 12 · 8
    assert tasks["completion_pct"].tolist() == pytest.approx(
        [3000 / 48, 5500 / 96, 3100 / 96]
    )
    # 62.5 ≥ 60 (Б); 57.3 in [57, 60) (Б); 32.3 ≥ 30 (П)
    assert tasks["status"].tolist() == ["достаточный", "неопределённый", "достаточный"]
    # Task 1: full credit (4) four times, 0 points once
    assert tasks.loc[0, "full_pct"] == pytest.approx(400 / 12)
    assert tasks.loc[0, "zero_pct"] == pytest.approx(100 / 12)
    assert tasks.loc[0, "partial_pct"] == pytest.approx(700 / 12)


def test_small_group_has_no_conclusion(explorer):
    tasks = explorer.tasks(explorer.selection("school", "s3"))
    assert set(tasks["status"]) == {"мало участников"}
    assert tasks["completion_pct"].tolist() == pytest.approx(
        [700 / 12, 1300 / 24, 800 / 24]
    )


def test_task_status_boundaries():
    # The reference levels of params/settings.yaml, at and around each boundary
    cases = [
        (60.0, "Б", "sufficient"),
        (59.99, "Б", "uncertain"),
        (57.0, "Б", "uncertain"),
        (56.99, "Б", "insufficient"),
        (30.0, "П", "sufficient"),
        (28.5, "В", "uncertain"),
        (28.49, "В", "insufficient"),
        (80.0, None, "unknown"),
        (80.0, "", "unknown"),
        (np.nan, "Б", "unknown"),
    ]
    pct, level, expected = zip(*cases, strict=True)
    assert task_statuses(pct, level, 10, min_group=10).tolist() == list(expected)
    assert task_statuses([99.0], ["Б"], [9], min_group=10).tolist() == ["small"]


def test_task_status_is_the_formula_library_reading():
    from cyclolib.indicators import formulas

    pct = [10.0, 29.0, 58.0, 61.0, 95.0]
    level = ["Б", "П", "Б", "В", "П"]
    reference = formulas.task_status(pct, level).tolist()
    assert task_statuses(pct, level, 50, min_group=10).tolist() == reference


def test_task_status_unknown_level_code():
    with pytest.raises(ExploreError) as err:
        task_statuses([50.0], ["X"], 20, min_group=10)
    assert str(err.value) == (
        "Уровень сложности задания должен быть Б, П или В, получено X"
    )


def test_heatmap_rows_are_units_and_total(explorer):
    heat = explorer.heatmap(explorer.selection("school", "s1"))
    assert heat["unit"].tolist() == ["4а", "4б", "Итого: Школа № 1"]
    # 4а task 1: (4 + 2 + 0 + 3) / (4 · 4); 4б task 3: (2 + 1) / (2 · 8)
    assert heat.loc[0, "1"] == pytest.approx(900 / 16)
    assert heat.loc[1, "3"] == pytest.approx(300 / 16)
    assert heat.loc[2, "participants"] == 6
    assert heat.attrs["levels"] == {"1": "Б", "2": "Б", "3": "П"}
    assert set(heat.attrs["percent"]) >= {"1", "2", "3"}


def test_distribution_with_scale_boundaries(explorer):
    dist = explorer.distribution(explorer.selection())
    assert dist["score"].tolist() == list(range(21))
    assert dist["count"].sum() == 12
    assert dist.attrs["participants"] == 12
    assert dist.set_index("score").loc[6, "pct"] == pytest.approx(200 / 12)
    # params/scales.yaml: ВПР maths grade 4 — «3» from 6, «4» from 10, «5» from 15
    assert dist.attrs["thresholds"] == [6.0, 10.0, 15.0]
    marks = dist.set_index("score")["mark"]
    assert [marks[5], marks[6], marks[9], marks[10], marks[14], marks[15]] == [
        2,
        3,
        3,
        4,
        4,
        5,
    ]


def test_mark_thresholds_latest_valid_entry():
    assert mark_thresholds("vpr", "ru", 5, 2024) == [18.0, 29.0, 39.0]
    assert mark_thresholds("vpr", "ru", 5, 2019) == []
    assert mark_thresholds("ege", "ma", 11, 2024) == []


def test_similar_by_social_index_then_by_size(explorer):
    sel = explorer.selection("school", "s1")
    # Social index 0.5: nearest is s2 (0.1), then s3 (−0.8)
    assert explorer.similar(sel, k=1) == ["s2"]
    assert explorer.similar(explorer.selection("school", "s3"), k=1) == ["s2"]
    # Fewer units with an index than k: nearest by participants (s2: 3, s3: 3)
    assert explorer.similar(sel) == ["s2", "s3"]
    assert explorer.similar(explorer.selection()) == []


def test_compare_unit_parent_similar_region(explorer):
    sel = explorer.selection("school", "s1")
    table = explorer.compare(sel)
    assert table["group"].tolist() == ["unit", "parent", "similar", "region"]
    assert table["name"].tolist() == [
        "Школа № 1",
        "Город Первый",
        "2 похожих",
        "Тестовая область",
    ]
    assert table["participants"].tolist() == [6, 9, 6, 12]
    tasks = explorer.compare_tasks(sel)
    # Task 1: s1 14 of 6 · 4; m1 23 of 9 · 4; s2 + s3 16 of 6 · 4; region 30 of 48
    row = tasks.iloc[0]
    assert [
        row["unit_pct"],
        row["parent_pct"],
        row["similar_pct"],
        row["region_pct"],
    ] == (pytest.approx([1400 / 24, 2300 / 36, 1600 / 24, 3000 / 48]))
    assert row["diff_parent_pp"] == pytest.approx(1400 / 24 - 2300 / 36)


def test_compare_of_a_municipality_has_no_parent_row(explorer):
    table = explorer.compare(explorer.selection("municipality", "m1"))
    assert table["group"].tolist() == ["unit", "similar", "region"]
    assert (
        explorer.compare_tasks(explorer.selection("municipality", "m1"))["parent_pct"]
        .isna()
        .all()
    )


def test_other_form_and_children_of_form(explorer):
    sel = explorer.selection("region", "", subject="ru")
    assert sel.form_id == "vpr-2024-ru-4"
    assert explorer.summary(sel).loc[0, "participants"] == 2
    assert explorer.tasks(sel).loc[0, "completion_pct"] == pytest.approx(300 / 4)
    # Only s1 wrote Russian: m2 has no results of the form
    assert explorer.children("region", "r1", sel.form_id) == [("m1", "Город Первый")]
    assert explorer.children("school", "s1", sel.form_id) == [("s1/2024/4/а", "4а")]


def test_selection_errors_are_russian_and_whole(explorer):
    with pytest.raises(ExploreError) as err:
        explorer.selection("district", "x")
    assert str(err.value) == (
        "Неизвестный уровень «district»: допустимы region, municipality, school, class"
    )
    with pytest.raises(ExploreError) as err:
        explorer.selection("school", "s9")
    assert str(err.value) == (
        "Нет результатов за 2024 год для единицы «s9» (уровень «школа»)"
    )
    with pytest.raises(ExploreError) as err:
        explorer.selection(subject="hi")
    assert str(err.value) == (
        "Нет результатов за 2024 год для исследования «любое», предмета «hi», "
        "класса любой"
    )


def test_year_errors(tiny_con, con):
    with pytest.raises(ExploreError) as err:
        Explorer(tiny_con, year=2020)
    assert str(err.value) == "Нет результатов за 2020 год: в базе есть годы 2024"


def test_empty_database(tmp_path):
    from cyclolib import db

    empty = db.connect(tmp_path / "empty.duckdb")
    with pytest.raises(ExploreError) as err:
        Explorer(empty)
    assert str(err.value) == "В базе данных нет результатов: загрузите данные"


def test_against_plain_pandas_on_random_region(con):
    """Every school's figures equal a plain pandas computation on the raw rows."""
    from cyclolib import db

    rng = np.random.default_rng(3)
    n = 400
    schools = [f"s{i}" for i in range(12)]
    db.append(
        con,
        "territories",
        pd.DataFrame(
            {
                "territory_id": ["r", "m"],
                "name": ["Р", "М"],
                "level": ["region", "municipality"],
                "parent_id": [None, "r"],
            }
        ),
    )
    db.append(
        con,
        "schools",
        pd.DataFrame(
            {
                "school_id": schools,
                "name": schools,
                "municipality_id": "m",
                "region_id": "r",
            }
        ),
    )
    db.append(
        con,
        "forms",
        pd.DataFrame(
            {
                "form_id": ["f"],
                "study_id": "vpr",
                "year": 2023,
                "subject": "ma",
                "grade": 5,
                "max_score": 10.0,
                "n_tasks": 2,
            }
        ),
    )
    db.append(
        con,
        "items",
        pd.DataFrame(
            {
                "form_id": "f",
                "position": [1, 2],
                "task": ["1", "2"],
                "max_score": [4.0, 6.0],
                "level": ["Б", "П"],
            }
        ),
    )
    points = np.column_stack([rng.integers(0, 5, n), rng.integers(0, 7, n)])
    results = pd.DataFrame(
        {
            "result_id": np.arange(n),
            "form_id": "f",
            "school_id": rng.choice(schools, n),
            "student_id": [f"x{i}" for i in range(n)],
            "absent": rng.random(n) < 0.05,
            "primary_score": points.sum(axis=1).astype(float),
            "mark": rng.integers(2, 6, n),
            "load_id": 1,
        }
    )
    db.append(con, "results", results)
    db.append(
        con,
        "task_scores",
        pd.DataFrame(
            {
                "result_id": np.repeat(np.arange(n), 2),
                "position": np.tile([1, 2], n),
                "score": points.ravel().astype(float),
            }
        ),
    )
    ex = Explorer(con)

    present = results[~results["absent"]].copy()
    present["t2"] = points[~results["absent"].to_numpy(), 1]
    for school, part in present.groupby("school_id"):
        sel = ex.selection("school", school)
        row = ex.summary(sel).iloc[0]
        shares = part["mark"].value_counts(normalize=True) * 100
        assert row["participants"] == len(part)
        assert row["quality_pct"] == pytest.approx(shares.reindex([4, 5]).sum())
        assert row["mean_score"] == pytest.approx(part["primary_score"].mean())
        expected = part["t2"].sum() / (len(part) * 6) * 100
        assert ex.tasks(sel).loc[1, "completion_pct"] == pytest.approx(expected)


def test_results_without_territories_and_ege_test_scores(con):
    """Schools of no known territory still drill down; ЕГЭ has test scores only."""
    from cyclolib import db

    db.append(
        con,
        "forms",
        pd.DataFrame(
            {
                "form_id": ["ege-2024-ru-11"],
                "study_id": "ege",
                "year": 2024,
                "subject": "ru",
                "grade": 11,
                "max_score": 50.0,
                "n_tasks": 0,
            }
        ),
    )
    db.append(
        con,
        "results",
        pd.DataFrame(
            {
                "result_id": [1, 2, 3],
                "form_id": "ege-2024-ru-11",
                "school_id": ["a", "a", "b"],
                "student_id": ["a1", "a2", "b1"],
                "absent": False,
                "primary_score": [30.0, 40.0, 20.0],
                "test_score": [62.0, 78.0, 45.0],
                "load_id": 1,
            }
        ),
    )
    ex = Explorer(con)
    sel = ex.selection()
    assert (sel.unit_id, ex.unit_name("region", "-")) == ("-", "Все результаты")
    row = ex.summary(sel).iloc[0]
    # Mean test score (62 + 78 + 45) / 3; no marks, so no shares of marks
    assert row["mean_test_score"] == pytest.approx(185 / 3)
    assert np.isnan(row["sou_pct"]) and np.isnan(row["quality_pct"])
    units = ex.drilldown(sel)
    assert units["unit"].tolist() == ["Без муниципалитета"]
    schools = ex.drilldown(ex.selection("municipality", "-"))
    assert schools["unit_id"].tolist() == ["a", "b"]
    assert schools["mean_test_score"].tolist() == pytest.approx([70.0, 45.0])


def test_unit_without_the_form(explorer):
    with pytest.raises(ExploreError) as err:
        explorer.selection("school", "s3", subject="ru")
    assert str(err.value) == (
        "Нет результатов за 2024 год для единицы «s3» (уровень «школа») по "
        "исследованию «любое», предмету «ru», классу любой"
    )
