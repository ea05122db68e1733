"""A small hand-made database: a region, two municipalities, five schools.

It stands in for the synthetic region in tests of notebooks and reports. One
school carries a name with markup, to check that reports escape names.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cyclolib import db

REGION = "r22"
MUNICIPALITIES = {"m01": "г. Первомайск", "m02": "Заречный район"}
SCHOOLS = {
    "sch000101": ("Школа № 1", "m01"),
    "sch000102": ("Гимназия № 2", "m01"),
    "sch000103": ("<script>alert(1)</script>", "m01"),
    "sch000201": ("Сельская школа", "m02"),
    "sch000202": ("Малая школа", "m02"),
}
# Students per school and form: the last school is below the minimum group size.
SIZES = {"sch000101": 24, "sch000102": 18, "sch000103": 15, "sch000201": 12}
SIZES["sch000202"] = 6
YEAR = 2024
FORMS = {  # form_id: subject, grade, thresholds of 3/4/5, max per task
    "vpr-2024-ma-4": ("ma", 4, (6, 10, 15), [1, 1, 2, 1, 1, 1, 2, 2, 2, 2, 2, 3]),
    "vpr-2024-ru-4": ("ru", 4, (5, 8, 11), [2, 2, 1, 1, 2, 2, 1, 1, 1, 1]),
}


def student_code(school_id: str, i: int) -> str:
    """A student's code: unique over the database, easy to find in HTML."""
    return f"{school_id[-4:]}{i:03d}77"


def build(path: str | Path, *, seed: int = 7) -> Path:
    """Write the database to ``path`` and return the path."""
    rng = np.random.default_rng(seed)
    con = db.connect(path)
    db.append(
        con,
        "territories",
        pd.DataFrame(
            [(REGION, "Алтайская область", "region", None)]
            + [(k, v, "municipality", REGION) for k, v in MUNICIPALITIES.items()],
            columns=["territory_id", "name", "level", "parent_id"],
        ),
    )
    db.append(
        con,
        "schools",
        pd.DataFrame(
            [(k, n, m, REGION) for k, (n, m) in SCHOOLS.items()],
            columns=["school_id", "name", "municipality_id", "region_id"],
        ),
    )
    db.append(con, "studies", pd.DataFrame({"study_id": ["vpr"], "name": ["ВПР"]}))
    forms, items, classes, students, results, scores = [], [], [], [], [], []
    result_id = 0
    for form_id, (subject, grade, _cuts, maxima) in FORMS.items():
        forms.append((form_id, "vpr", YEAR, subject, grade, sum(maxima), len(maxima)))
        for pos, mx in enumerate(maxima, start=1):
            items.append((form_id, pos, str(pos), mx, "Б" if pos < 9 else "П"))
    for school_id, size in SIZES.items():
        class_id = f"{school_id}/{YEAR}/4/а"
        classes.append((class_id, school_id, YEAR, 4, "а"))
        ability = rng.normal(0.6, 0.1)
        for i in range(size):
            sid = f"{school_id}/{student_code(school_id, i)}"
            students.append((sid, school_id, student_code(school_id, i)))
            for form_id, (_s, _g, cuts, maxima) in FORMS.items():
                result_id += 1
                absent = i == size - 1
                pts = (
                    []
                    if absent
                    else [
                        int(rng.binomial(mx, min(max(ability, 0.05), 0.95)))
                        for mx in maxima
                    ]
                )
                total = float(sum(pts)) if pts else None
                mark = None if absent else 2 + sum(total >= c for c in cuts)
                journal = (
                    None if absent else int(np.clip(mark + rng.integers(-1, 2), 2, 5))
                )
                results.append(
                    (
                        result_id,
                        form_id,
                        school_id,
                        class_id,
                        sid,
                        absent,
                        total,
                        mark,
                        journal,
                        1,
                    )
                )
                scores += [(result_id, p, s) for p, s in enumerate(pts, start=1)]
    db.append(
        con,
        "forms",
        pd.DataFrame(
            forms,
            columns=[
                "form_id",
                "study_id",
                "year",
                "subject",
                "grade",
                "max_score",
                "n_tasks",
            ],
        ),
    )
    db.append(
        con,
        "items",
        pd.DataFrame(
            items, columns=["form_id", "position", "task", "max_score", "level"]
        ),
    )
    db.append(
        con,
        "classes",
        pd.DataFrame(
            classes, columns=["class_id", "school_id", "year", "grade", "letter"]
        ),
    )
    db.append(
        con,
        "students",
        pd.DataFrame(students, columns=["student_id", "school_id", "code"]),
    )
    db.append(
        con,
        "results",
        pd.DataFrame(
            results,
            columns=[
                "result_id",
                "form_id",
                "school_id",
                "class_id",
                "student_id",
                "absent",
                "primary_score",
                "mark",
                "journal_mark",
                "load_id",
            ],
        ),
    )
    db.append(
        con,
        "task_scores",
        pd.DataFrame(scores, columns=["result_id", "position", "score"]),
    )
    con.execute(
        "INSERT INTO loads VALUES (1, 'demo.xlsx', 'x', 'exchange', "
        "TIMESTAMP '2024-05-01 10:00:00', 160, 150, 1)"
    )
    con.execute(
        "INSERT INTO rejects VALUES (1, 'demo.xlsx', 'results', 17, 'mark', "
        "'отметка вне 2–5', '7', NULL)"
    )
    db.append(
        con,
        "responsibles",
        pd.DataFrame(
            [
                (
                    "region",
                    REGION,
                    "collect",
                    "Иванова А. А.",
                    "методист",
                    "ivanova@example.org",
                ),
                ("municipality", "m01", "check", "Петров Б. Б.", "специалист", ""),
                ("school", "sch000101", "collect", "Сидорова В. В.", "завуч", ""),
            ],
            columns=["level", "unit_id", "role", "person", "position", "contact"],
        ),
    )
    con.close()
    return Path(path)
