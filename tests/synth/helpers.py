"""Reading a generated region back from its files, independently of the generator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import CalamineWorkbook

from cyclolib.config import load_params


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def truth(folder: Path) -> dict:
    return json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))


def sheet_rows(path: Path) -> tuple[str, list[list]]:
    """The first sheet's name and its rows as calamine reads them."""
    wb = CalamineWorkbook.from_path(str(path))
    name = wb.sheet_names[0]
    return name, wb.get_sheet_by_name(name).to_python()


def form_maxima(subject: str, grade: int) -> list[int]:
    """Task maxima of a ВПР form from params/forms.yaml (not from the generator)."""
    entry = next(
        f
        for f in load_params("forms")
        if (f["study"], f["subject"], f["grade"]) == ("vpr", subject, grade)
    )
    return [int(t["max"]) for t in entry["tasks"]]


def thresholds(subject: str, grade: int) -> list[int]:
    entry = next(
        s
        for s in load_params("scales")
        if (s["study"], s["subject"], s["grade"]) == ("vpr", subject, grade)
    )
    return list(entry["thresholds"])


def vpr_results(folder: Path) -> pd.DataFrame:
    """Every ВПР row of the region's 2021-layout workbooks, with numbers parsed.

    Columns: year, subject, grade, school_id, number, code, journal, absent,
    total, mark (from params/scales.yaml), pct (total / maximum · 100) and
    ``tasks`` (a list of the task scores).
    """
    parts = []
    for f in manifest(folder)["files"]:
        if f["kind"] != "results" or f["study"] != "vpr":
            continue
        _, rows = sheet_rows(folder / f["path"])
        header = rows[0]
        cells = np.array(rows[1:], dtype=object)
        col = {h: j for j, h in enumerate(header)}

        def number(name, cells=cells, col=col):
            return pd.to_numeric(pd.Series(cells[:, col[name]]), errors="coerce")

        task_cols = [j for j, h in enumerate(header) if str(h).startswith("балл за")]
        tasks = (
            pd.DataFrame(cells[:, task_cols])
            .apply(pd.to_numeric, errors="coerce")
            .to_numpy(dtype=float)
        )
        absent = cells[:, col["вариант"]] == "отсутствовал"
        total = number("всего баллов")
        top = sum(form_maxima(f["subject"], f["grade"]))
        cuts = np.asarray(thresholds(f["subject"], f["grade"]))
        parts.append(
            pd.DataFrame(
                {
                    "year": f["year"],
                    "subject": f["subject"],
                    "grade": f["grade"],
                    "school_id": cells[:, col["логин школы"]],
                    "number": number("номер обучающегося").astype(int),
                    "code": cells[:, col["код обучающегося"]],
                    "journal": number("отметка за предыдущую четверть/триместр"),
                    "absent": absent,
                    "total": total,
                    "mark": np.where(
                        absent, np.nan, 2 + (total.to_numpy()[:, None] >= cuts).sum(1)
                    ),
                    "pct": total / top * 100,
                    "tasks": list(tasks),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
