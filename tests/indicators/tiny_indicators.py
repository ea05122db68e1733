"""A tiny hand-made database whose indicator values are worked out by hand.

One region R with municipalities M1 (schools A and B) and M2 (school C); one
form «ВПР 2021, математика, 4 класс» of three tasks (max 1, 2 and 2, levels Б,
Б, П; max 5 points) and the same form in 2020 for the dynamics.
"""

from __future__ import annotations

import pandas as pd

from cyclolib import db

# 2021: school, class letter, absent, task points, mark, journal mark
STUDENTS_2021 = [
    ("A", "а", False, (1, 2, 2), 5, 5),
    ("A", "а", False, (1, 2, 1), 5, 4),
    ("A", "а", False, (1, 1, 1), 4, 4),
    ("A", "б", False, (0, 2, 0), 3, 5),
    ("A", "б", True, None, None, 4),
    ("B", None, False, (1, 0, 0), 2, 3),
    ("B", None, False, (0, 1, 0), 2, 4),
    ("B", None, False, (1, 1, 0), 3, None),
    ("C", None, False, (1, 2, 0), 3, 3),
    ("C", None, False, (1, 2, 2), 5, 5),
]
# Thresholds of the tiny form: 2 points for «3», 3 for «4», 4 for «5».
STUDENTS_2020 = [
    ("A", "а", False, (0, 1, 0), 2, 3),
    ("A", "а", False, (1, 1, 0), 3, 3),
    ("B", None, False, (1, 2, 0), 3, 3),
    ("C", None, False, (1, 2, 1), 5, 4),
]


def build(con) -> None:
    """Fill an empty database with the tiny region."""
    db.append(
        con,
        "territories",
        pd.DataFrame(
            {
                "territory_id": ["R", "M1", "M2"],
                "name": ["Регион", "Первый район", "Второй район"],
                "level": ["region", "municipality", "municipality"],
                "parent_id": [None, "R", "R"],
            }
        ),
    )
    db.append(
        con,
        "schools",
        pd.DataFrame(
            {
                "school_id": ["A", "B", "C"],
                "name": ["Школа А", "Школа Б", "Школа В"],
                "municipality_id": ["M1", "M1", "M2"],
                "region_id": ["R", "R", "R"],
                "urban": [True, False, False],
            }
        ),
    )
    db.append(
        con,
        "school_context",
        pd.DataFrame(
            {
                "school_id": ["A", "B"],
                "year": [2021, 2021],
                "field": ["4 класс Обучающихся"] * 2,
                "value": ["6", "3"],
            }
        ),
    )
    result_id = 0
    for year, rows in ((2021, STUDENTS_2021), (2020, STUDENTS_2020)):
        form = f"vpr-{year}-ma-4"
        db.append(
            con,
            "forms",
            pd.DataFrame(
                {
                    "form_id": [form],
                    "study_id": ["vpr"],
                    "year": [year],
                    "subject": ["ma"],
                    "grade": [4],
                    "max_score": [5.0],
                    "n_tasks": [3],
                }
            ),
        )
        db.append(
            con,
            "items",
            pd.DataFrame(
                {
                    "form_id": [form] * 3,
                    "position": [1, 2, 3],
                    "task": ["1", "2", "3"],
                    "max_score": [1.0, 2.0, 2.0],
                    "level": ["Б", "Б", "П"],
                }
            ),
        )
        db.append(
            con,
            "item_codes",
            pd.DataFrame(
                {
                    "form_id": [form] * 4,
                    "position": [1, 2, 3, 3],
                    "kind": ["kes", "kes", "kes", "kt"],
                    "code": ["1.1", "1.1", "2.1", "5"],
                }
            ),
        )
        results, scores, classes = [], [], set()
        for school, letter, absent, points, mark, journal in rows:
            result_id += 1
            class_id = f"{school}/{year}/4/{letter}" if letter else None
            if class_id:
                classes.add((class_id, school, letter))
            results.append(
                {
                    "result_id": result_id,
                    "form_id": form,
                    "school_id": school,
                    "class_id": class_id,
                    "student_id": f"{school}/{result_id}",
                    "absent": absent,
                    "primary_score": None if absent else float(sum(points)),
                    "mark": mark,
                    "journal_mark": journal,
                    "load_id": 1,
                }
            )
            for pos, p in enumerate(points or (), start=1):
                scores.append({"result_id": result_id, "position": pos, "score": p})
        db.append(con, "results", pd.DataFrame(results))
        db.append(con, "task_scores", pd.DataFrame(scores))
        db.append(
            con,
            "classes",
            pd.DataFrame(
                [
                    {
                        "class_id": c,
                        "school_id": s,
                        "year": year,
                        "grade": 4,
                        "letter": lt,
                    }
                    for c, s, lt in sorted(classes)
                ]
            ),
        )
