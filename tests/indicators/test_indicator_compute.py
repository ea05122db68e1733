"""`cyclo compute` and `cyclo export` on the tiny hand-made database.

Every expected number is worked out by hand from tiny_indicators.py.
"""

from __future__ import annotations

import pandas as pd
import pytest
from tiny_indicators import build

from cyclolib import db
from cyclolib.cli import main
from cyclolib.indicators import EXPORT_COLUMNS, compute, compute_values, values


@pytest.fixture
def tiny(con):
    build(con)
    return con


def _one(frame, level, unit, indicator, task="", year=2021):
    row = frame[
        (frame["level"] == level)
        & (frame["unit_id"] == unit)
        & (frame["indicator"] == indicator)
        & (frame["task"] == task)
        & (frame["year"] == year)
    ]
    assert len(row) == 1, (level, unit, indicator, task, len(row))
    return row.iloc[0]


def test_region_values_by_hand(tiny):
    v = compute_values(tiny)
    # 2021: scores 5,4,3,2 (A) 1,1,2 (B) 3,5 (C) of max 5; one absent.
    assert _one(v, "region", "R", "participants")["value"] == 9
    assert _one(v, "region", "R", "absent_pct")["value"] == pytest.approx(10.0)
    assert _one(v, "region", "R", "mean_primary_score")["value"] == pytest.approx(
        26 / 9
    )
    assert _one(v, "region", "R", "mean_score_pct")["value"] == pytest.approx(
        26 / 45 * 100
    )
    # Marks 5,5,4,3,2,2,3,3,5.
    assert _one(v, "region", "R", "success_pct")["value"] == pytest.approx(700 / 9)
    assert _one(v, "region", "R", "quality_pct")["value"] == pytest.approx(400 / 9)
    assert _one(v, "region", "R", "sou_pct")["value"] == pytest.approx(56.0)
    assert _one(v, "region", "R", "mean_mark")["value"] == pytest.approx(32 / 9)
    # Journal: 8 with both marks; lower 3, same 4, higher 1.
    assert _one(v, "region", "R", "journal_lower_pct")["value"] == pytest.approx(37.5)
    assert _one(v, "region", "R", "journal_same_pct")["value"] == pytest.approx(50.0)
    # Tasks: 7/9, 13/18, 6/18; КЭС 1.1 = tasks 1 and 2: 20/27.
    assert _one(v, "region", "R", "task_completion_pct", "2")["value"] == (
        pytest.approx(1300 / 18)
    )
    assert _one(v, "region", "R", "kes_completion_pct", "1.1")["value"] == (
        pytest.approx(2000 / 27)
    )
    assert _one(v, "region", "R", "level_completion_pct", "П")["value"] == (
        pytest.approx(100 / 3)
    )
    # Coverage: A 4 of 6, B 3 of 3 enrolled; C unknown → 7/9.
    cov = _one(v, "region", "R", "coverage_pct")
    assert cov["value"] == pytest.approx(700 / 9) and cov["n"] == 9


def test_municipality_and_class_values_by_hand(tiny):
    v = compute_values(tiny)
    # M1 = schools A and B: marks 5,5,4,3,2,2,3 → quality 3/7.
    assert _one(v, "municipality", "M1", "quality_pct")["value"] == pytest.approx(
        300 / 7
    )
    # Class A/2021/4/б holds one participant (score 2, mark 3) and one absent.
    cls = _one(v, "class", "A/2021/4/б", "mean_primary_score")
    assert cls["value"] == 2 and cls["n"] == 1 and bool(cls["small_group"])
    assert cls["unit_name"] == "Школа А, 4б"
    # Coverage is not computed for classes (the catalogue's levels).
    assert v[(v["level"] == "class") & (v["indicator"] == "coverage_pct")].empty


def test_dynamics_by_hand(tiny):
    v = compute_values(tiny)
    # Region quality 4/9 in 2021 against 1/4 in 2020.
    row = _one(v, "region", "R", "quality_pct_change")
    assert row["value"] == pytest.approx(400 / 9 - 25)
    # School C mean % of max: (3+5)/2/5 = 80 % against 4/5 = 80 %... only one
    # participant in 2020, so no Welch test.
    p = _one(v, "school", "C", "mean_score_pct_change_p")
    assert pd.isna(p["value"])


def test_equity_by_hand(tiny):
    # urban_rural_gap is approved: a plain computation gives it.
    v = compute_values(tiny)
    # Urban A: scores 5,4,3,2 → 70 %; rural B and C: 1,1,2,3,5 → 48 %.
    gap = _one(v, "region", "R", "urban_rural_gap")
    assert gap["value"] == pytest.approx(70 - 48)
    assert gap["n"] == 9


def test_draft_indicators_are_not_computed(tiny):
    # mark_2_pct_change is a local candidate under review (params/indicators.yaml)
    v = compute_values(tiny)
    assert "mark_2_pct_change" not in set(v["indicator"])
    assert {"journal_diff2_pct", "urban_rural_gap"} <= set(v["indicator"])
    everything = compute_values(tiny, approved_only=False)
    # Region «2»: 2 of 9 in 2021 against 1 of 4 in 2020 (marks 2,3,3,5).
    row = _one(everything, "region", "R", "mark_2_pct_change")
    assert row["value"] == pytest.approx(200 / 9 - 25)


def test_journal_diff2_by_hand(tiny):
    # 2021 pairs (mark, journal) of tiny_indicators.py with both marks: 8;
    # two marks or more apart: (3, 5) in A and (2, 4) in B → 25 %.
    v = compute_values(tiny)
    row = _one(v, "region", "R", "journal_diff2_pct")
    assert row["value"] == pytest.approx(25.0) and row["n"] == 8
    # School B: (2, 3), (2, 4) → 1 of 2.
    assert _one(v, "school", "B", "journal_diff2_pct")["value"] == pytest.approx(50)


def test_levels_argument_is_checked(tiny):
    with pytest.raises(ValueError) as err:
        compute_values(tiny, levels=["country"])
    assert str(err.value) == (
        "Неизвестный уровень country: допустимы region, municipality, school, class"
    )


def test_compute_stores_and_values_reads(tiny):
    summary = compute(tiny)
    rows = summary["rows"]
    assert summary["region"] == 1 and summary["class"] == 3
    stored = tiny.execute(
        "SELECT count(*), count(DISTINCT params_version), min(computed_at) "
        "FROM indicator_values"
    ).fetchall()[0]
    assert stored[0] == rows and stored[1] == 1 and stored[2] is not None
    school = values(tiny, level="school", unit_id="A", year=2021, task="")
    assert list(school.columns) == EXPORT_COLUMNS
    assert set(school["unit_id"]) == {"A"} and set(school["task"]) == {""}
    assert (
        values(tiny, indicator=["quality_pct", "success_pct"], level="region")[
            "indicator"
        ].nunique()
        == 2
    )
    # A second run for one year replaces that year only.
    compute(tiny)
    assert (
        tiny.execute("SELECT count(*) FROM indicator_values").fetchall()[0][0] == rows
    )


def test_cli_compute_and_export(tmp_path, capsys):
    path = tmp_path / "cyclo.duckdb"
    con = db.connect(path)
    build(con)
    con.close()
    assert main(["compute", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Рассчитано ")
    assert "1 регионов, 2 муниципалитетов, 3 школ, 3 классов" in out

    csv = tmp_path / "v.csv"
    assert (
        main(
            [
                "export",
                "indicators",
                "--db",
                str(path),
                "--out",
                str(csv),
                "--level",
                "school",
                "--unit",
                "B",
                "--year",
                "2021",
            ]
        )
        == 0
    )
    # UTF-8 with a byte-order mark, as Excel needs to read Cyrillic
    raw = csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfyear,study,")
    assert "Школа Б".encode() in raw
    frame = pd.read_csv(csv, keep_default_na=False, encoding="utf-8-sig")
    assert list(frame.columns) == EXPORT_COLUMNS
    assert set(frame["unit_id"]) == {"B"} and set(frame["level"]) == {"school"}
    assert set(frame["unit_name"]) == {"Школа Б"}
    quality = frame[frame["indicator"] == "quality_pct"]
    assert float(quality["value"].iloc[0]) == 0.0  # marks 2, 2, 3

    xlsx = tmp_path / "v.xlsx"
    assert (
        main(
            [
                "export",
                "indicators",
                "--db",
                str(path),
                "--out",
                str(xlsx),
                "--level",
                "region",
            ]
        )
        == 0
    )
    back = pd.read_excel(xlsx, engine="calamine")
    assert list(back.columns) == EXPORT_COLUMNS
    assert len(back) == len(values(db.connect(path, read_only=True), level="region"))


def test_cli_export_nothing_matches(tmp_path, capsys):
    path = tmp_path / "cyclo.duckdb"
    con = db.connect(path)
    build(con)
    con.close()
    main(["compute", "--db", str(path)])
    code = main(
        [
            "export",
            "indicators",
            "--db",
            str(path),
            "--out",
            str(tmp_path / "x.csv"),
            "--unit",
            "nope",
        ]
    )
    assert code == 1
    assert capsys.readouterr().err == (
        "Нет значений показателей под эти условия: проверьте фильтры или "
        "выполните cyclo compute\n"
    )


def test_cli_compute_empty_database(tmp_path, capsys):
    assert main(["compute", "--db", str(tmp_path / "empty.duckdb")]) == 1
    assert capsys.readouterr().err == (
        "В базе нет результатов: сначала загрузите данные (cyclo load)\n"
    )


def test_sql_values_equal_the_pandas_formulas(tiny):
    # Reference: the public pandas formulas of cyclolib.indicators.formulas,
    # run on the students of the region read back from the database; the
    # SQL derivation of `cyclo compute` must give the same values and bounds.
    from cyclolib.indicators import formulas as fm

    v = compute_values(tiny)
    region = v[(v["level"] == "region") & (v["year"] == 2021)]
    students = tiny.execute("""
        SELECT r.*, f.max_score FROM results r JOIN forms f USING (form_id)
        WHERE f.year = 2021""").df()
    tasks = tiny.execute("""
        SELECT t.result_id, t.score, i.task, i.max_score, i.level FROM task_scores t
        JOIN results r USING (result_id) JOIN items i
          ON i.form_id = r.form_id AND i.position = t.position
        WHERE r.form_id = 'vpr-2021-ma-4' AND NOT r.absent""").df()
    codes = tiny.execute("""
        SELECT DISTINCT i.task, c.kind, c.code FROM item_codes c
        JOIN items i USING (form_id, position)
        WHERE form_id = 'vpr-2021-ma-4'""").df()
    expected = pd.concat(
        [
            fm.scores(students),
            fm.marks(students),
            fm.journal_agreement(students),
            fm.score_distribution(students),
            fm.task_completion(tasks),
            fm.code_completion(tasks, codes),
        ]
    )
    assert expected["indicator"].str.startswith("kes_").any()
    merged = expected.merge(region, on=["indicator", "task"], suffixes=("", "_sql"))
    assert len(merged) == len(expected)
    for col in ("value", "ci_low", "ci_high"):
        pd.testing.assert_series_equal(
            merged[col], merged[f"{col}_sql"], check_names=False, rtol=1e-9
        )
    assert (merged["n"] == merged["n_sql"]).all()


def test_compute_one_year_keeps_the_others(tiny):
    compute(tiny)
    before = values(tiny, year=2020)
    summary = compute(tiny, year=2021)
    assert summary["rows"] == len(values(tiny, year=2021))
    pd.testing.assert_frame_equal(values(tiny, year=2020), before)
    # The dynamics of 2021 still read 2020: quality 4/9 against 1/4.
    row = values(tiny, year=2021, level="region", indicator="quality_pct_change")
    assert row["value"].iloc[0] == pytest.approx(400 / 9 - 25)


def test_ege_values_by_hand(tiny):
    # Five ЕГЭ results in profile maths (minimum 27 in params/indicators.yaml):
    # test scores 100, 85, 50, 26, 20 → mean 56.2, below minimum 2/5,
    # 81–100 2/5, one 100.
    db.append(
        tiny,
        "forms",
        pd.DataFrame(
            {
                "form_id": ["ege-2021-ma-11"],
                "study_id": ["ege"],
                "year": [2021],
                "subject": ["ma"],
                "grade": [11],
                "max_score": [31.0],
            }
        ),
    )
    db.append(
        tiny,
        "results",
        pd.DataFrame(
            {
                "result_id": range(100, 105),
                "form_id": "ege-2021-ma-11",
                "school_id": "C",
                "student_id": [f"C/e{k}" for k in range(5)],
                "absent": False,
                "primary_score": [31.0, 25, 12, 5, 4],
                "test_score": [100.0, 85, 50, 26, 20],
                "load_id": 1,
            }
        ),
    )
    v = compute_values(tiny)
    ege = v[(v["study"] == "ege") & (v["level"] == "region")]
    got = dict(zip(ege["indicator"], ege["value"], strict=True))
    assert got["ege_mean_test_score"] == pytest.approx(56.2)
    assert got["ege_below_min_pct"] == pytest.approx(40.0)
    assert got["ege_81_100_pct"] == pytest.approx(40.0)
    assert got["ege_100_count"] == 1
    assert "ege_mean_test_score" not in set(v.loc[v["study"] == "vpr", "indicator"])


def test_compute_of_some_levels_keeps_the_others(tiny):
    compute(tiny)
    before = values(tiny)
    schools = before[before["level"] == "school"].reset_index(drop=True)
    summary = compute(tiny, levels=["region"])
    after = values(tiny)
    assert summary["region"] == 1 and summary["school"] == 0
    pd.testing.assert_frame_equal(
        after[after["level"] == "school"].reset_index(drop=True), schools
    )
    assert len(after) == len(before)


def test_groups_of_one_have_no_interval(tiny):
    # Class A/2021/4/б has one participant: a mean of one value has no
    # interval, whatever range the indicator is cut to.
    v = compute_values(tiny)
    cls = v[(v["level"] == "class") & (v["unit_id"] == "A/2021/4/б")]
    for indicator in (
        "mean_primary_score",
        "mean_mark",
        "sou_pct",
        "task_completion_pct",
        "level_completion_pct",
    ):
        rows = cls[cls["indicator"] == indicator]
        assert len(rows) > 0, indicator
        assert (rows["n"] == 1).all(), indicator
        assert rows["ci_low"].isna().all() and rows["ci_high"].isna().all(), indicator
    # A share of one participant keeps its Wilson interval.
    share = _one(v, "class", "A/2021/4/б", "quality_pct")
    assert 0 <= share["ci_low"] < share["ci_high"] <= 100


def test_sql_values_of_every_class_equal_the_pandas_formulas(tiny):
    # The class groups are small (one to three participants): the edge cases
    # of the intervals must agree between SQL and pandas too.
    from cyclolib.indicators import formulas as fm

    v = compute_values(tiny)
    classes = v[(v["level"] == "class") & (v["year"] == 2021) & (v["task"] == "")]
    students = tiny.execute("""
        SELECT r.*, f.max_score FROM results r JOIN forms f USING (form_id)
        WHERE f.year = 2021 AND r.class_id IS NOT NULL""").df()
    expected = pd.concat(
        [
            fm.scores(students, by="class_id"),
            fm.marks(students, by="class_id"),
        ]
    ).rename(columns={"class_id": "unit_id"})
    merged = expected.merge(
        classes, on=["unit_id", "indicator", "task"], suffixes=("", "_sql")
    )
    assert len(merged) == len(expected) and merged["unit_id"].nunique() == 2
    for col in ("value", "ci_low", "ci_high"):
        pd.testing.assert_series_equal(
            merged[col], merged[f"{col}_sql"], check_names=False, rtol=1e-9
        )


def test_version_names_the_catalogue_and_the_statuses(tiny, tmp_path):
    import shutil

    from cyclolib.config import PARAMS_DIR
    from cyclolib.indicators import params_version
    from cyclolib.indicators.catalogue import load_catalogue

    approved = params_version()
    assert params_version(approved_only=False) == approved + "-all"
    own = tmp_path / "indicators.yaml"
    shutil.copy(PARAMS_DIR / "indicators.yaml", own)
    with own.open("a", encoding="utf-8") as fh:
        fh.write("\n# a local copy\n")
    assert params_version(catalogue=load_catalogue(own)) != approved
    assert params_version(catalogue=load_catalogue()) == approved
    summary = compute(tiny, approved_only=False)
    assert summary["version"] == approved + "-all"
