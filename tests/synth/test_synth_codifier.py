"""The codifier of the synthetic region: КИМ descriptions of the ВПР forms in the
real layout, КЭС/КТ codes and skills of the ОГЭ and ЕГЭ items, and their load.

References: the real КИМ descriptions of ../shared/data/vpr-altai/kim (their
sheet and headers), params/forms.yaml (the ВПР tasks and maxima) and the
files read back with calamine, independently of the generator.
"""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from cyclolib.config import load_params
from cyclolib.loaders import load_paths
from cyclolib.synth import generate, make_region
from cyclolib.synth.codifier import CodifierError

from .helpers import form_maxima, manifest, sheet_rows

SUBJECT_FOLDERS = {"ma": "Математика", "ru": "Русский язык"}
LOADED = ("schools", "items", "responsibles", "results", "kim")


def _kim(folder, year, subject, grade):
    """The three sheets of a КИМ description, as frames of text cells."""
    base = folder / "kim" / str(year) / str(grade) / SUBJECT_FOLDERS[subject]
    out = {}
    for name in ("ALL", "KS", "KT"):
        _, rows = sheet_rows(base / f"{name}.xlsx")
        out[name] = pd.DataFrame(rows[1:], columns=rows[0])
    return out


def _label(text: str) -> str:
    """«5.1» of the КИМ description is task «5(1)» of params/forms.yaml."""
    first, _, second = text.partition(".")
    return f"{first}({second})" if second else text


def _forms_yaml_tasks(subject, grade):
    entry = next(
        f
        for f in load_params("forms")
        if (f["study"], f["subject"], f["grade"]) == ("vpr", subject, grade)
    )
    return [str(t["task"]) for t in entry["tasks"]]


def test_kim_files_for_every_vpr_form_and_year(region_xlsx):
    kim = [f for f in manifest(region_xlsx)["files"] if f["kind"] == "kim"]
    # Three files (ALL, KS, KT) for each of 4 forms in each of 3 years
    assert len(kim) == 36
    assert {f["layout"] for f in kim} == {"kim", "kim_kes", "kim_kt"}
    assert {(f["year"], f["subject"], f["grade"]) for f in kim} == {
        (y, s, g) for y in (2022, 2023, 2024) for s in ("ma", "ru") for g in (4, 5)
    }


@pytest.mark.parametrize(("subject", "grade"), [("ma", 4), ("ru", 4), ("ma", 5),
                                                 ("ru", 5)])  # fmt: skip
def test_kim_describes_every_task_with_codes(region_xlsx, subject, grade):
    kim = _kim(region_xlsx, 2024, subject, grade)
    tasks = kim["ALL"]
    labels = list(dict.fromkeys(tasks["№ КИМ"].map(_label)))
    # The tasks and maxima of the form, in order
    assert labels == _forms_yaml_tasks(subject, grade)
    first = tasks.drop_duplicates("№ КИМ")
    assert first["Максимальный балл за выполнение задания"].astype(int).tolist() == (
        form_maxima(subject, grade)
    )
    assert set(tasks["Уровень сложности"]) <= {"Б", "П", "В"}
    assert (tasks["Умения, виды деятельности (в соответствии с ФГОС)"] != "").all()

    # Every code of a task is named, every named code is used
    for sheet, column in (("KS", "Код КЭС"), ("KT", "Код КТ")):
        named = set(kim[sheet]["Код"])
        assert set(tasks[column]) == named
    per_task = tasks.groupby("№ КИМ")[["Код КЭС", "Код КТ"]].nunique()
    assert (per_task >= 1).all().all()
    # Some tasks check two codes; most КЭС codes are checked by several tasks
    assert (per_task.max(axis=1) >= 2).any()
    kes_tasks = tasks.groupby("Код КЭС")["№ КИМ"].nunique()
    assert (kes_tasks >= 2).mean() >= 0.6


@pytest.mark.realdata
def test_kim_layout_is_the_real_layout(shared_data, region_xlsx):
    # Reference: the real КИМ description of ВПР 2021, mathematics, grade 4
    real = shared_data / "vpr-altai" / "kim" / "4" / "Математика"
    ours = region_xlsx / "kim" / "2024" / "4" / "Математика"
    for name in ("ALL", "KS", "KT"):
        real_sheet, real_rows = sheet_rows(real / f"{name}.xlsx")
        our_sheet, our_rows = sheet_rows(ours / f"{name}.xlsx")
        assert our_sheet == real_sheet
        header = [h for h in real_rows[0] if h != ""]
        if name == "ALL":
            assert set(our_rows[0]) <= set(header)
            assert our_rows[0][0] == header[0]
        else:
            assert our_rows[0] == header[:2]


def test_exam_items_carry_codes_and_skills(region_xlsx):
    items = pd.read_csv(region_xlsx / "items.csv", dtype=str, keep_default_na=False)
    assert set(items["study"]) == {"oge", "ege"}
    assert (items["skill"] != "").all()
    assert set(items["level"]) == {"Б", "П", "В"}
    codes = items["kes"].str.split(";")
    assert codes.map(len).min() >= 1 and codes.map(len).max() == 2
    assert items["kes"].str.fullmatch(r"\d\.\d(;\d\.\d)?").all()
    assert items["kt"].str.fullmatch(r"\d(;\d)?").all()
    # The same codes every year
    by_year = items.groupby("year")[["task", "kes", "kt", "skill"]]
    first, *rest = [part.reset_index(drop=True) for _, part in by_year]
    for part in rest:
        pd.testing.assert_frame_equal(part, first)


def test_codes_load_for_every_form(tmp_path, con):
    folder = make_region(
        seed=4, schools=10, municipalities=2, years=[2023, 2024],
        out_dir=tmp_path / "region", fmt="xlsx",
    )  # fmt: skip
    files = [
        folder / f["path"] for f in manifest(folder)["files"] if f["kind"] in LOADED
    ]
    report = load_paths(con, files)
    frame = report.to_frame()
    assert (frame["status"] == "loaded").all(), frame
    assert frame["rejected"].sum() == 0

    # Every form of both years has codes of both kinds on every task
    per_form = con.execute(
        "SELECT i.form_id, count(DISTINCT i.position) AS tasks, "
        "count(DISTINCT c.position) FILTER (WHERE c.kind = 'kes') AS with_kes, "
        "count(DISTINCT c.position) FILTER (WHERE c.kind = 'kt') AS with_kt, "
        "count(i.skill) = count(*) AS skills, count(i.level) = count(*) AS levels "
        "FROM items i LEFT JOIN item_codes c USING (form_id, position) GROUP BY 1"
    ).df()
    expected = {
        f"{study}-{year}-{subject}-{grade}"
        for year in (2023, 2024)
        for subject in ("ma", "ru")
        for study, grade in (("vpr", 4), ("vpr", 5), ("oge", 9), ("ege", 11))
    }
    assert set(per_form["form_id"]) == expected
    assert (per_form["with_kes"] == per_form["tasks"]).all()
    assert (per_form["with_kt"] == per_form["tasks"]).all()
    assert per_form["skills"].all() and per_form["levels"].all()

    # Names of the ВПР codes from KS.xlsx and KT.xlsx
    names = con.execute(
        "SELECT form_id, kind, count(*) FROM code_names GROUP BY ALL"
    ).fetchall()
    assert {(f, k) for f, k, _ in names} == {
        (f, k) for f in expected if f.startswith("vpr") for k in ("kes", "kt")
    }
    (unnamed,) = con.execute(
        "SELECT count(*) FROM item_codes c JOIN forms f USING (form_id) "
        "LEFT JOIN code_names n USING (form_id, kind, code) "
        "WHERE f.study_id = 'vpr' AND n.name IS NULL"
    ).fetchone()
    assert unnamed == 0


def test_a_codifier_that_misses_a_task_is_explained():
    params = copy.deepcopy(load_params("synth"))
    groups = params["codifier"]["vpr-ma-4"]["tasks"]
    groups[:] = [g for g in groups if g["tasks"] != ["12"]]
    with pytest.raises(CodifierError) as err:
        generate(seed=1, schools=5, municipalities=1, years=[2024], params=params)
    assert str(err.value) == (
        "params/synth.yaml, codifier, vpr-ma-4: задания не совпадают с работой; "
        "лишние: нет; не описаны: 12"
    )
