"""The synthetic files have the layouts of the real ones, and they load."""

from __future__ import annotations

import pandas as pd
import pytest

from cyclolib.loaders import load_paths

from .helpers import manifest, sheet_rows, truth

LOADED = ("schools", "items", "responsibles", "results", "kim")


def _filled(header):
    return [h for h in header if h != ""]


def _real_rows(path):
    """The sheet name, the header and the first absent participant's row of a
    real export, streamed (the whole file is not needed)."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = ["" if v is None else str(v) for v in next(rows)]
        absent = next(r for r in rows if "отсутствовал" in r)
        absent = ["" if v is None else str(v) for v in absent]
        return sheet.title, header, absent
    finally:
        book.close()


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("subject", "grade"), [("математике", 4), ("математике", 5),
                           ("русскому языку", 4), ("русскому языку", 5)],
)  # fmt: skip
def test_vpr_header_is_the_real_2021_header(shared_data, region_xlsx, subject, grade):
    # Reference: the header row of the real 2021 export of Altai Krai
    name = f"Проведение работы по {subject}, {grade} класс. ВПР {{}}.xlsx"
    real_sheet, real = sheet_rows(
        shared_data / "vpr-altai" / "2021" / name.format(2021)
    )
    ours_sheet, ours = sheet_rows(region_xlsx / "vpr" / "2024" / name.format(2024))
    assert ours_sheet == real_sheet
    assert ours[0] == _filled(real[0])
    # Cells are text, as in the real export; absent rows look alike
    assert all(isinstance(c, str) for row in ours[:50] for c in row)
    real_absent = next(r for r in real if "отсутствовал" in r)
    ours_absent = next(r for r in ours if "отсутствовал" in r)
    filled = [i for i, c in enumerate(real_absent[: len(ours[0])]) if c != ""]
    assert [i for i, c in enumerate(ours_absent) if c != ""] == filled


@pytest.mark.realdata
def test_school_list_is_the_real_layout(shared_data, region_xlsx):
    real_sheet, real = sheet_rows(shared_data / "vpr-altai" / "schools.xlsx")
    ours_sheet, ours = sheet_rows(region_xlsx / "schools.xlsx")
    assert (ours_sheet, ours[0]) == (real_sheet, real[0])
    assert all(r[0].startswith("sch99") and len(r[0]) == 9 for r in ours[1:])


def test_region_loads_without_rejects(tmp_path, con):
    from cyclolib.synth import make_region

    folder = make_region(
        seed=4, schools=10, municipalities=2, years=[2024],
        out_dir=tmp_path / "region", fmt="xlsx",
    )  # fmt: skip
    files = [
        folder / f["path"] for f in manifest(folder)["files"] if f["kind"] in LOADED
    ]
    report = load_paths(con, files)
    frame = report.to_frame()
    assert (frame["status"] == "loaded").all(), frame
    assert frame["rejected"].sum() == 0
    (results,) = con.execute("SELECT count(*) FROM results").fetchone()
    assert results == manifest(folder)["results"]
    (schools,) = con.execute("SELECT count(*) FROM schools").fetchone()
    assert schools == 10


def _check_quirks(folder, con) -> None:
    """Load a region with bad rows: the rejects are exactly the planted rows."""
    files = [
        folder / f["path"] for f in manifest(folder)["files"] if f["kind"] in LOADED
    ]
    report = load_paths(con, files)
    assert report.exit_status == 1
    rejects = con.execute('SELECT file, row, "column" FROM rejects').df()
    found = sorted(rejects.itertuples(index=False, name=None))
    planted = truth(folder)["quirks"]
    assert len(planted) == 10
    assert {q["kind"] for q in planted} == {
        "task_above_max", "total_mismatch", "journal_mark_zh",
        "duplicate_student", "unknown_school",
    }  # fmt: skip
    expected = sorted(
        (q["file"].split("/")[-1], q["row"], q["column"]) for q in planted
    )
    assert found == expected
    listed = pd.read_csv(folder / "ground_truth.csv")
    assert (listed["category"] == "quirk").sum() == 10


def test_quirks_are_exactly_the_rejects(small_quirky, con):
    # Reference: the ground truth's list of spoiled rows (ВПР workbooks)
    _check_quirks(small_quirky, con)


def test_quirks_are_exactly_the_rejects_in_csv(tmp_path, con):
    # Reference: the ground truth's list of spoiled rows (exchange format)
    from cyclolib.synth import make_region

    folder = make_region(
        seed=3, schools=12, municipalities=2, years=[2024], out_dir=tmp_path,
        fmt="csv", quirks=True,
    )  # fmt: skip
    _check_quirks(folder, con)
