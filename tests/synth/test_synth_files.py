"""The files of a synthetic region: determinism, sizes, cohorts, task scores."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from cyclolib.synth import SynthError, make_region

from .helpers import form_maxima, manifest, sheet_rows


def _digests(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_files(tmp_path):
    # Reference: a second run of the same arguments, compared byte for byte
    kwargs = dict(seed=11, schools=12, municipalities=2, years=[2023, 2024])
    a = make_region(**kwargs, out_dir=tmp_path / "a", fmt="xlsx", quirks=True)
    b = make_region(**kwargs, out_dir=tmp_path / "b", fmt="xlsx", quirks=True)
    assert _digests(a) == _digests(b)
    xlsx = [f["path"] for f in manifest(a)["files"] if f["path"].endswith(".xlsx")]
    # 8 ВПР workbooks, the school list and 3 КИМ files of 4 forms in 2 years
    assert len(xlsx) == 9 + 24
    for path in xlsx:
        assert sheet_rows(a / path) == sheet_rows(b / path)


def test_another_seed_gives_another_region(tmp_path):
    kwargs = dict(schools=12, municipalities=2, years=[2024], fmt="csv")
    a = make_region(seed=1, out_dir=tmp_path / "a", **kwargs)
    b = make_region(seed=2, out_dir=tmp_path / "b", **kwargs)
    name = "results/vpr-2024-ma-4.csv"
    assert (a / name).read_bytes() != (b / name).read_bytes()


def test_sizes_follow_parameters(region_xlsx):
    m = manifest(region_xlsx)
    schools = pd.read_csv(region_xlsx / "schools.csv", dtype=str)
    assert len(schools) == 60
    assert schools["school_id"].is_unique
    assert schools["municipality_id"].nunique() == 5
    _, listed = sheet_rows(region_xlsx / "schools.xlsx")
    assert len(listed) == 61

    # One file per study, subject, grade and year: 8 forms × 3 years
    results = [f for f in m["files"] if f["kind"] == "results"]
    assert len(results) == 24
    assert {f["year"] for f in results} == {2022, 2023, 2024}
    assert sum(f["layout"] == "vpr2021" for f in results) == 12
    # Row counts of the manifest are the rows of the files (read back)
    rows = sum(len(sheet_rows(region_xlsx / f["path"])[1]) - 1 for f in results[:4])
    assert rows == sum(f["rows"] for f in results[:4])
    assert m["results"] == sum(f["rows"] for f in results)


def test_more_schools_more_results(tmp_path):
    small = make_region(
        seed=5, schools=10, municipalities=2, years=[2024], out_dir=tmp_path / "s",
        fmt="csv",
    )  # fmt: skip
    large = make_region(
        seed=5, schools=40, municipalities=2, years=[2024], out_dir=tmp_path / "l",
        fmt="csv",
    )  # fmt: skip
    assert manifest(large)["results"] > 2.5 * manifest(small)["results"]


def test_cohort_reappears_in_grade_5(vpr_rows):
    # Same school, same student number: grade 4 of Y is grade 5 of Y + 1
    r = vpr_rows[vpr_rows["subject"] == "ma"]
    for year in (2022, 2023):
        g4 = set(
            r.loc[
                (r.grade == 4) & (r.year == year), ["school_id", "number"]
            ].itertuples(index=False, name=None)
        )
        g5 = set(
            r.loc[
                (r.grade == 5) & (r.year == year + 1), ["school_id", "number"]
            ].itertuples(index=False, name=None)
        )
        assert g4 == g5
        assert len(g4) > 1000


def test_student_codes_follow_the_export(vpr_rows):
    # The federal export's codes: grade · 10000 + the student's number
    r = vpr_rows
    assert (r["code"].astype(int) == r["grade"] * 10000 + r["number"]).all()


def test_task_scores_within_maxima_and_sum_to_total(vpr_rows):
    r = vpr_rows
    present = r[~r["absent"]]
    assert 0.03 < r["absent"].mean() < 0.1
    for (subject, grade), part in present.groupby(["subject", "grade"]):
        tasks = np.vstack(part["tasks"].to_numpy())
        top = np.asarray(form_maxima(subject, grade))
        assert tasks.shape[1] == len(top)
        assert (tasks >= 0).all() and (tasks <= top).all()
        assert (tasks.sum(axis=1) == part["total"].to_numpy()).all()
    absent = r[r["absent"]]
    assert absent["total"].isna().all() and absent["journal"].isna().all()
    assert all(np.isnan(t).all() for t in absent["tasks"])


def test_exchange_results_are_consistent(region_csv):
    frame = pd.read_csv(region_csv / "results" / "ege-2024-ma-11.csv")
    tasks = frame.filter(like="task_")
    present = frame[frame["absent"] == 0]
    assert (tasks.loc[present.index].sum(axis=1) == present["primary_score"]).all()
    assert present["test_score"].between(0, 100).all()
    assert frame.loc[frame["absent"] == 1, tasks.columns].isna().all().all()
    # The same region in both formats has the same ВПР rows
    vpr = pd.read_csv(region_csv / "results" / "vpr-2023-ru-5.csv", dtype=str)
    assert list(vpr.columns[:4]) == ["study", "year", "subject", "grade"]
    assert vpr.columns[-1] == "task_12"
    assert len(vpr) == next(
        f["rows"]
        for f in manifest(region_csv)["files"]
        if f.get("study") == "vpr"
        and (f["year"], f["subject"], f["grade"]) == (2023, "ru", 5)
    )


def test_registers_name_real_units(region_xlsx):
    schools = pd.read_csv(region_xlsx / "schools.csv", dtype=str)
    resp = pd.read_csv(region_xlsx / "responsibles.csv", dtype=str)
    assert set(resp["role"]) == {"collect", "check"}
    units = set(resp["unit_id"])
    assert set(schools["school_id"]) <= units
    assert set(schools["municipality_id"]) <= units
    assert len(resp) == 2 * (1 + 5 + 60)
    decisions = pd.read_csv(region_xlsx / "decisions.csv", dtype=str)
    assert list(decisions.columns) == [
        "id", "date", "level", "unit_id", "body", "use_kind", "title",
        "target_units", "indicator", "target_value", "target_date", "status",
    ]  # fmt: skip
    targets = {u for t in decisions["target_units"] for u in t.split(";")}
    assert targets <= set(schools["school_id"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            dict(schools=3, municipalities=5),
            "Муниципалитетов (5) больше, чем школ (3): в каждом муниципалитете "
            "должна быть хотя бы одна школа",
        ),
        (
            dict(schools=0, municipalities=1),
            "Число школ должно быть целым числом не меньше 1, получено 0",
        ),
        (
            dict(schools=5, municipalities=1, fmt="ods"),
            "Формат файлов должен быть одним из: xlsx, csv; получено 'ods'",
        ),
        (
            dict(schools=5, municipalities=1, years=[2024, 2024]),
            "Годы повторяются: [2024, 2024]",
        ),
        (
            dict(schools=5, municipalities=1, seed=-1),
            "Зерно генератора (seed) должно быть целым числом не меньше 0, получено -1",
        ),
    ],
)
def test_bad_arguments_are_explained(tmp_path, kwargs, message):
    args = dict(seed=1, years=[2024], out_dir=tmp_path, fmt="xlsx") | kwargs
    with pytest.raises(SynthError) as err:
        make_region(**args)
    assert str(err.value) == message


def test_a_new_region_replaces_only_the_old_region(tmp_path):
    kwargs = dict(seed=1, schools=6, municipalities=1, out_dir=tmp_path)
    make_region(**kwargs, years=[2023, 2024], fmt="xlsx")
    (tmp_path / "notes.txt").write_text("не трогать", encoding="utf-8")
    make_region(**kwargs, years=[2024], fmt="csv")
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    listed = sorted(f["path"] for f in manifest(tmp_path)["files"])
    assert not (tmp_path / "vpr").exists()
    assert not (tmp_path / "schools.xlsx").exists()
    assert [p for p in left if "." in p.rsplit("/", 1)[-1]] == sorted(
        [*listed, "manifest.json", "notes.txt"]
    )


def test_teacher_codes_belong_to_their_school(region_csv):
    # Reference: the rule of the docs (codes only; a teacher of one school)
    oge = pd.read_csv(region_csv / "results" / "oge-2024-ma-9.csv", dtype=str)
    assert (oge["teacher_id"].str.split("-").str[0] == oge["school_id"]).all()
    assert oge["teacher_id"].str.fullmatch(r"sch99\d{4}-ma\d+").all()
    # Every class has one teacher
    assert (oge.groupby(["school_id", "class"])["teacher_id"].nunique() == 1).all()
    vpr = pd.read_csv(region_csv / "results" / "vpr-2024-ru-4.csv", dtype=str)
    assert vpr["teacher_id"].str.fullmatch(r"sch99\d{4}-nk\d+").all()
