"""`cyclo compute` on the real 2021 file against an independent computation.

Reference: the file «Проведение работы по математике, 4 класс. ВПР 2021.xlsx»
read cell by cell with python_calamine and counted in plain Python (marks from
the form's scale 6/10/15 of SOURCE.md, municipalities from schools.xlsx,
enrolment from the context form), over the rows the loader accepted (the
rows listed in its rejects table are left out on both sides).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from cyclolib import db
from cyclolib.indicators import compute, values

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FILE = "2021/Проведение работы по математике, 4 класс. ВПР 2021.xlsx"
THRESHOLDS = (6, 10, 15)
MAX_SCORE = 20
# Task cells meaning "not done" (0 points), as SOURCE.md describes them.
NOT_DONE = {"", "x", "х", "не пройд."}


def _rows(path):
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    rows = sheet.to_python()
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def real(shared_data, tmp_path_factory):
    from cyclolib.loaders import load_paths

    vpr = shared_data / "vpr-altai"
    path = tmp_path_factory.mktemp("indreal") / "real.duckdb"
    con = db.connect(path)
    report = load_paths(
        con,
        [
            vpr / "schools.xlsx",
            vpr / "Сбор контекстных данных об ОО и участниках ВПР 2021.xlsx",
            vpr / "kim" / "4" / "Математика",
            vpr / FILE,
        ],
    )
    assert not [f for f in report.files if f.status == "failed"]
    compute(con)
    rejected = {
        r
        for (r,) in con.execute(
            "SELECT DISTINCT row FROM rejects JOIN loads USING (load_id) "
            "WHERE path LIKE '%математике, 4 класс%'"
        ).fetchall()
    }
    yield con, vpr, rejected
    con.close()


@pytest.fixture(scope="module")
def reference(real):
    """Counts per unit computed straight from the xlsx files."""
    _, vpr, rejected = real
    header, rows = _rows(vpr / FILE)
    col = {name: i for i, name in enumerate(header)}
    tasks = [i for i, name in enumerate(header) if str(name).startswith("балл за ")]
    _, school_rows = _rows(vpr / "schools.xlsx")
    municipality = {str(r[0]).strip(): str(r[2]).strip() for r in school_rows}

    units = defaultdict(lambda: defaultdict(float))
    for number, row in enumerate(rows, start=2):
        if number in rejected:
            continue
        login = str(row[col["логин школы"]]).strip()
        # A school whose listed students were all absent still counts for
        # coverage: its grade was enrolled.
        units[f"s:{login}"]["listed"] += 1
        if str(row[col["вариант"]]).strip() in ("отсутствовал", ""):
            continue
        score = float(row[col["всего баллов"]])
        mark = 2 + sum(score >= t for t in THRESHOLDS)
        journal = str(row[col["отметка за предыдущую четверть/триместр"]]).strip()
        journal = (
            int(float(journal))
            if journal in {"2", "3", "4", "5", "2.0", "3.0", "4.0", "5.0"}
            else None
        )
        for unit in ("region", f"m:{municipality.get(login)}", f"s:{login}"):
            u = units[unit]
            u["n"] += 1
            u["score"] += score
            u[f"mark{mark}"] += 1
            if journal is not None:
                u["nj"] += 1
                u["lower"] += mark < journal
                u["same"] += mark == journal
                u["higher"] += mark > journal
            for k, i in enumerate(tasks, start=1):
                cell = str(row[i]).strip()
                u[f"task{k}"] += 0.0 if cell.lower() in NOT_DONE else float(cell)
    return units


def _check(frame, ref):
    got = dict(zip(frame["indicator"], frame["value"], strict=True))
    n = ref["n"]
    assert got["participants"] == n
    assert got["mean_primary_score"] == pytest.approx(ref["score"] / n)
    assert got["mean_score_pct"] == pytest.approx(100 * ref["score"] / n / MAX_SCORE)
    for m in (2, 3, 4, 5):
        assert got[f"mark_{m}_pct"] == pytest.approx(100 * ref[f"mark{m}"] / n)
    assert got["success_pct"] == pytest.approx(
        100 * (ref["mark3"] + ref["mark4"] + ref["mark5"]) / n
    )
    assert got["quality_pct"] == pytest.approx(100 * (ref["mark4"] + ref["mark5"]) / n)
    sou = (
        (ref["mark5"] + 0.64 * ref["mark4"] + 0.36 * ref["mark3"] + 0.16 * ref["mark2"])
        / n
        * 100
    )
    assert got["sou_pct"] == pytest.approx(sou)
    assert got["journal_lower_pct"] == pytest.approx(100 * ref["lower"] / ref["nj"])
    assert got["journal_same_pct"] == pytest.approx(100 * ref["same"] / ref["nj"])
    assert got["journal_higher_pct"] == pytest.approx(100 * ref["higher"] / ref["nj"])


@pytest.mark.realdata
def test_region_values_match_the_file(real, reference):
    con = real[0]
    frame = values(con, level="region", year=2021, subject="ma", grade=4, task="")
    _check(frame, reference["region"])


@pytest.mark.realdata
def test_task_completion_matches_the_file(real, reference):
    con = real[0]
    maxima = [1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 2, 2]  # params/forms.yaml
    frame = values(
        con, level="region", indicator="task_completion_pct", subject="ma", grade=4
    )
    got = dict(zip(frame["task"], frame["value"], strict=True))
    labels = [
        "1",
        "2",
        "3",
        "4",
        "5(1)",
        "5(2)",
        "6(1)",
        "6(2)",
        "7",
        "8",
        "9(1)",
        "9(2)",
        "10",
        "11",
        "12",
    ]
    ref = reference["region"]
    for k, (label, mx) in enumerate(zip(labels, maxima, strict=True), start=1):
        assert got[label] == pytest.approx(100 * ref[f"task{k}"] / (ref["n"] * mx))


@pytest.mark.realdata
def test_municipality_and_school_values_match_the_file(real, reference):
    con = real[0]
    munis = values(con, level="municipality", year=2021, task="")
    checked = 0
    for name, frame in munis.groupby("unit_name"):
        _check(frame, reference[f"m:{name}"])
        checked += 1
    assert checked >= 60
    schools = values(con, level="school", year=2021, task="")
    big = [
        s
        for s, f in schools.groupby("unit_id")
        if f.loc[f["indicator"] == "participants", "value"].iloc[0] >= 40
    ]
    for login in big[:40]:
        _check(schools[schools["unit_id"] == login], reference[f"s:{login}"])


@pytest.mark.realdata
def test_coverage_from_the_context_form(real, reference):
    con, vpr, _ = real
    header, rows = _rows(
        vpr / "Сбор контекстных данных об ОО и участниках ВПР 2021.xlsx"
    )
    col = header.index("4 класс Обучающихся")
    enrolled = {
        str(r[0]).strip(): r[col]
        for r in rows
        if isinstance(r[col], float) and r[col] > 0
    }
    part = sum(
        u["n"] for k, u in reference.items() if k.startswith("s:") and k[2:] in enrolled
    )
    total = sum(v for k, v in enrolled.items() if f"s:{k}" in reference)
    frame = values(con, level="region", indicator="coverage_pct")
    assert frame["value"].iloc[0] == pytest.approx(100 * part / total)
