"""Hand-made results for the analysis tests: a frame of students goes in.

``add_results(con, rows)`` takes one tuple per student
``(year, subject, grade, school_id, primary_score, mark, journal_mark)`` and
stores territories, schools, forms and results, so that each test states its
table in a few lines and works its reference out by hand.
"""

from __future__ import annotations

import pandas as pd

from cyclolib import db

REGION = "r01"
MAX_SCORE = {"ma": 20.0, "ru": 38.0}


def add_schools(con, schools: dict[str, tuple[str, float | None, bool | None]]) -> None:
    """Schools as ``{school_id: (municipality_id, social_index, urban)}``."""
    munis = sorted({m for m, _, _ in schools.values()})
    db.append(
        con,
        "territories",
        pd.DataFrame(
            [(REGION, "Тестовая область", "region", None)]
            + [(m, f"Район {m}", "municipality", REGION) for m in munis],
            columns=["territory_id", "name", "level", "parent_id"],
        ),
    )
    db.append(
        con,
        "schools",
        pd.DataFrame(
            [
                (s, f"Школа {s}", m, REGION, u, idx, 300)
                for s, (m, idx, u) in schools.items()
            ],
            columns=[
                "school_id",
                "name",
                "municipality_id",
                "region_id",
                "urban",
                "social_index",
                "enrolment",
            ],
        ),
    )


def add_results(con, rows, *, study: str = "vpr", task_scores=None) -> None:
    """Store results; forms are created as needed (max 20 for ma, 38 for ru)."""
    frame = pd.DataFrame(
        rows,
        columns=[
            "year",
            "subject",
            "grade",
            "school_id",
            "primary_score",
            "mark",
            "journal_mark",
        ],
    )
    frame["form_id"] = (
        study
        + "-"
        + frame["year"].astype(str)
        + "-"
        + frame["subject"]
        + "-"
        + frame["grade"].astype(str)
    )
    have = {r[0] for r in con.execute("SELECT form_id FROM forms").fetchall()}
    forms = frame.drop_duplicates("form_id")
    forms = forms[~forms["form_id"].isin(have)]
    db.append(
        con,
        "forms",
        pd.DataFrame(
            {
                "form_id": forms["form_id"],
                "study_id": study,
                "year": forms["year"],
                "subject": forms["subject"],
                "grade": forms["grade"],
                "max_score": forms["subject"].map(MAX_SCORE),
            }
        ),
    )
    start = db.next_id(con, "results", "result_id")
    frame["result_id"] = range(start, start + len(frame))
    frame["student_id"] = frame["school_id"] + "/" + frame["result_id"].astype(str)
    frame["class_id"] = (
        frame["school_id"]
        + "/"
        + frame["year"].astype(str)
        + "/"
        + frame["grade"].astype(str)
        + "/а"
    )
    frame["absent"] = False
    frame["load_id"] = 1
    db.append(con, "results", frame)
    if task_scores is not None:
        ts = pd.DataFrame(
            [
                (start + i, pos + 1, float(v))
                for i, scores in enumerate(task_scores)
                for pos, v in enumerate(scores)
            ],
            columns=["result_id", "position", "score"],
        )
        db.append(con, "task_scores", ts)


def mark_of(score: float, thresholds=(7, 11, 15)) -> int:
    """Mark of a primary score on a scale (default: maths, grade 5)."""
    return 2 + sum(score >= t for t in thresholds)
