"""A tiny hand-made region for the exploration tests.

Region r1 has municipalities m1 (schools s1 and s2) and m2 (school s3). One form,
ВПР 2024 mathematics grade 4, with three tasks: «1» (max 4, level Б), «2» (max 8,
Б) and «3» (max 8, П), 20 points in all, so the scale of params/scales.yaml for
that form applies (minimum 6 for «3», 10 for «4», 15 for «5»).

Scores per student (tasks 1, 2, 3 → primary score → mark):

    s1, class 4а: 4 8 8 → 20 → 5;  2 4 0 → 6 → 3;  0 2 1 → 3 → 2;  3 6 2 → 11 → 4
    s1, class 4б: 4 5 2 → 11 → 4;  1 3 1 → 5 → 2
    s2, no class: 4 8 4 → 16 → 5;  2 2 2 → 6 → 3;  3 4 3 → 10 → 4
    s3, class 4а: 1 1 0 → 2 → 2;   4 7 5 → 16 → 5; 2 5 3 → 10 → 4; one absent

A second form, ВПР 2024 Russian grade 4, has one task «1» (max 2, Б) and two
participants, both of s1 class 4а: 2 and 1 points (marks «2», «2» by the
scale 14/24/33).

The expected figures of the tests are worked out by hand from these tables.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from cyclolib import db

SCORES = {
    ("s1", "s1/2024/4/а"): [(4, 8, 8), (2, 4, 0), (0, 2, 1), (3, 6, 2)],
    ("s1", "s1/2024/4/б"): [(4, 5, 2), (1, 3, 1)],
    ("s2", None): [(4, 8, 4), (2, 2, 2), (3, 4, 3)],
    ("s3", "s3/2024/4/а"): [(1, 1, 0), (4, 7, 5), (2, 5, 3), None],
}


def _mark(score: int) -> int:
    return 2 + sum(score >= t for t in (6, 10, 15))


def fill_tiny_region(con) -> None:
    """Insert the region of this module's docstring into an open database."""
    db.append(
        con,
        "territories",
        pd.DataFrame(
            {
                "territory_id": ["r1", "m1", "m2"],
                "name": ["Тестовая область", "Город Первый", "Район Второй"],
                "level": ["region", "municipality", "municipality"],
                "parent_id": [None, "r1", "r1"],
            }
        ),
    )
    db.append(
        con,
        "schools",
        pd.DataFrame(
            {
                "school_id": ["s1", "s2", "s3"],
                "name": ["Школа № 1", "Школа № 2", "Сельская школа"],
                "municipality_id": ["m1", "m1", "m2"],
                "region_id": ["r1", "r1", "r1"],
                "social_index": [0.5, 0.1, -0.8],
            }
        ),
    )
    db.append(
        con,
        "classes",
        pd.DataFrame(
            {
                "class_id": ["s1/2024/4/а", "s1/2024/4/б", "s3/2024/4/а"],
                "school_id": ["s1", "s1", "s3"],
                "year": 2024,
                "grade": 4,
                "letter": ["а", "б", "а"],
            }
        ),
    )
    db.append(con, "studies", pd.DataFrame({"study_id": ["vpr"], "name": ["ВПР"]}))
    db.append(
        con,
        "forms",
        pd.DataFrame(
            {
                "form_id": ["vpr-2024-ma-4", "vpr-2024-ru-4"],
                "study_id": "vpr",
                "year": 2024,
                "subject": ["ma", "ru"],
                "grade": 4,
                "max_score": [20.0, 2.0],
                "n_tasks": [3, 1],
            }
        ),
    )
    db.append(
        con,
        "items",
        pd.DataFrame(
            {
                "form_id": ["vpr-2024-ma-4"] * 3 + ["vpr-2024-ru-4"],
                "position": [1, 2, 3, 1],
                "task": ["1", "2", "3", "1"],
                "max_score": [4.0, 8.0, 8.0, 2.0],
                "level": ["Б", "Б", "П", "Б"],
            }
        ),
    )
    results, scores = [], []
    for (school, class_id), rows in SCORES.items():
        for i, row in enumerate(rows):
            rid = len(results) + 1
            absent = row is None
            total = None if absent else sum(row)
            results.append(
                {
                    "result_id": rid,
                    "form_id": "vpr-2024-ma-4",
                    "school_id": school,
                    "class_id": class_id,
                    "student_id": f"{school}/{class_id}/{i}",
                    "absent": absent,
                    "primary_score": total,
                    "mark": None if absent else _mark(total),
                    "load_id": 1,
                }
            )
            for pos, score in enumerate(row or (), start=1):
                scores.append({"result_id": rid, "position": pos, "score": score})
    for i, score in enumerate((2, 1)):
        rid = len(results) + 1
        results.append(
            {
                "result_id": rid,
                "form_id": "vpr-2024-ru-4",
                "school_id": "s1",
                "class_id": "s1/2024/4/а",
                "student_id": f"s1/s1/2024/4/а/{i}",
                "absent": False,
                "primary_score": score,
                "mark": 2,
                "load_id": 1,
            }
        )
        scores.append({"result_id": rid, "position": 1, "score": score})
    db.append(con, "results", pd.DataFrame(results))
    db.append(con, "task_scores", pd.DataFrame(scores))


@pytest.fixture(scope="session")
def tiny_file(tmp_path_factory):
    """The tiny region's database file, built once per session."""
    path = tmp_path_factory.mktemp("explore") / "tiny.duckdb"
    con = db.connect(path)
    fill_tiny_region(con)
    con.close()
    return path


@pytest.fixture
def tiny_con(tiny_file, tmp_path):
    """A private copy of the tiny region's database, open for writing."""
    path = tmp_path / "tiny.duckdb"
    shutil.copyfile(tiny_file, path)
    connection = db.connect(path)
    yield connection
    connection.close()


@pytest.fixture
def explorer(tiny_con):
    from cyclolib.explore import Explorer

    return Explorer(tiny_con)
