"""Exploration panel: a change of selection with the Explorer vs from raw results.

A synthetic region of 700 schools and 100 000 participants (four ВПР forms of one
year, the task structure of params/forms.yaml) is written straight into DuckDB
with numpy. Then:

- the Explorer is built once (seconds, peak memory);
- 50 random changes of selection (unit at any level, form, view) are redrawn the
  way the panel does it: tables, figure, PNG and HTML;
- the same 50 changes are redrawn after recomputing every table from the raw
  per-student results and task scores with plain pandas (held in memory, so
  only the computation is timed), as a notebook without the Explorer would.

A change is timed as the panel does it: the drop-downs' options, the tables,
the chart (PNG of a matplotlib figure, or HTML for the charts with a row per
unit) and the HTML page; the browser's own drawing is not included.

The two ways must give the same numbers; the benchmark checks it for each
change. The raw way computes only the key numbers of each view (marks, task
completion, heat map, histogram), so its figures flatter it. The target is under
300 ms per change; wall time depends on how busy the machine is, so the CPU
time and the load average are printed too.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.util import measure, row
from cyclolib import db
from cyclolib.config import load_params
from cyclolib.explore import Explorer
from cyclolib.explore.core import MARKS, SOU_WEIGHTS, Selection, mark_thresholds
from cyclolib.explore.panel import VIEWS, Panel, view_tables

YEAR = 2024
SCHOOLS = 700
MUNICIPALITIES = 70
PARTICIPANTS = 100_000
CHANGES = 50


def make_database(path: Path, *, seed: int = 1) -> None:
    """Write the synthetic region into a new database file."""
    rng = np.random.default_rng(seed)
    con = db.connect(path)

    # Territories, schools and their social context
    munis = [f"m{i:02d}" for i in range(MUNICIPALITIES)]
    db.append(
        con,
        "territories",
        pd.DataFrame(
            {
                "territory_id": ["r"] + munis,
                "name": ["Синтетическая область"]
                + [f"Район {i}" for i in range(len(munis))],
                "level": ["region"] + ["municipality"] * len(munis),
                "parent_id": [None] + ["r"] * len(munis),
            }
        ),
    )
    school_ids = np.array([f"sch{i:05d}" for i in range(SCHOOLS)])
    school_muni = rng.integers(0, MUNICIPALITIES, SCHOOLS)
    social = rng.normal(0, 1, SCHOOLS)
    db.append(
        con,
        "schools",
        pd.DataFrame(
            {
                "school_id": school_ids,
                "name": [f"Школа {i}" for i in range(SCHOOLS)],
                "municipality_id": np.array(munis)[school_muni],
                "region_id": "r",
                "social_index": social,
            }
        ),
    )
    db.append(con, "studies", pd.DataFrame({"study_id": ["vpr"], "name": ["ВПР"]}))

    # Four forms; participants spread over schools by size
    size = rng.lognormal(0, 0.6, SCHOOLS)
    forms = load_params("forms")
    per_form = PARTICIPANTS // len(forms)
    results, scores, classes, items = [], [], [], []
    next_id = 1
    for spec in forms:
        form_id = f"vpr-{YEAR}-{spec['subject']}-{spec['grade']}"
        maxima = np.array([t["max"] for t in spec["tasks"]], dtype=float)
        thresholds = mark_thresholds("vpr", spec["subject"], spec["grade"], YEAR)
        db.append(
            con,
            "forms",
            pd.DataFrame(
                {
                    "form_id": [form_id],
                    "study_id": "vpr",
                    "year": YEAR,
                    "subject": spec["subject"],
                    "grade": spec["grade"],
                    "max_score": maxima.sum(),
                    "n_tasks": len(maxima),
                }
            ),
        )
        items.append(
            pd.DataFrame(
                {
                    "form_id": form_id,
                    "position": np.arange(1, len(maxima) + 1),
                    "task": [t["task"] for t in spec["tasks"]],
                    "max_score": maxima,
                    "level": [t["level"] for t in spec["tasks"]],
                }
            )
        )
        school = rng.choice(SCHOOLS, per_form, p=size / size.sum())
        letter = rng.integers(0, 3, per_form)
        class_id = np.char.add(
            np.char.add(school_ids[school], f"/{YEAR}/{spec['grade']}/"),
            np.array(list("абв"))[letter],
        )
        ids = np.arange(next_id, next_id + per_form)
        next_id += per_form
        ability = 0.5 * social[school] + rng.normal(0, 1, per_form)
        difficulty = rng.normal(-0.3, 0.8, len(maxima))
        p = 1 / (1 + np.exp(-(ability[:, None] - difficulty[None, :])))
        points = rng.binomial(maxima.astype(int)[None, :], p).astype(float)
        primary = points.sum(axis=1)
        mark = 2 + np.searchsorted(thresholds, primary, side="right")
        results.append(
            pd.DataFrame(
                {
                    "result_id": ids,
                    "form_id": form_id,
                    "school_id": school_ids[school],
                    "class_id": class_id,
                    "student_id": [f"st{i}" for i in ids],
                    "absent": False,
                    "primary_score": primary,
                    "mark": mark,
                    "load_id": 1,
                }
            )
        )
        classes.append(pd.DataFrame({"class_id": np.unique(class_id)}))
        task_rows, pos = np.nonzero(np.ones_like(points, dtype=bool))
        scores.append(
            pd.DataFrame(
                {
                    "result_id": ids[task_rows],
                    "position": pos + 1,
                    "score": points[task_rows, pos],
                }
            )
        )
    cls = pd.concat(classes).drop_duplicates("class_id")
    parts = cls["class_id"].str.split("/", expand=True)
    cls["school_id"], cls["year"] = parts[0], YEAR
    cls["grade"], cls["letter"] = parts[2].astype(int), parts[3]
    db.append(con, "classes", cls)
    db.append(con, "items", pd.concat(items))
    db.append(con, "results", pd.concat(results))
    db.append(con, "task_scores", pd.concat(scores))
    con.close()


# The plain way: every table from the raw per-student rows


def _raw_frames(con):
    results = con.execute(
        "SELECT r.result_id, r.form_id, r.school_id, r.class_id, r.primary_score, "
        "r.mark, s.municipality_id, s.region_id FROM results r "
        "JOIN schools s USING (school_id) WHERE NOT r.absent"
    ).df()
    scores = con.execute("SELECT result_id, position, score FROM task_scores").df()
    items = con.execute("SELECT form_id, position, task, max_score FROM items").df()
    return results, scores, items


_COLUMN = {
    "region": "region_id",
    "municipality": "municipality_id",
    "school": "school_id",
    "class": "class_id",
}
_CHILD = {"region": "municipality", "municipality": "school", "school": "class"}


def _raw_marks(res: pd.DataFrame, by: str | None) -> pd.DataFrame:
    keys = [by] if by else []
    counts = pd.crosstab(
        res[by] if by else pd.Series(0, index=res.index), res["mark"]
    ).reindex(columns=list(MARKS), fill_value=0)
    shares = counts.div(counts.sum(axis=1), axis=0) * 100
    out = pd.DataFrame(
        {
            "participants": res.groupby(by).size() if by else pd.Series([len(res)]),
            "mean_score": res.groupby(by)["primary_score"].mean()
            if by
            else pd.Series([res["primary_score"].mean()]),
        }
    )
    for m in MARKS:
        out[f"mark{m}_pct"] = shares[m].to_numpy()
    out["quality_pct"] = shares[[4, 5]].sum(axis=1).to_numpy()
    out["sou_pct"] = shares.to_numpy() @ SOU_WEIGHTS
    return out.reset_index(names=keys) if by else out


def _raw_completion(res, scores, items, by: str | None) -> pd.DataFrame:
    part = scores.merge(res[["result_id"] + ([by] if by else [])], on="result_id")
    keys = ([by] if by else []) + ["position"]
    points = part.groupby(keys)["score"].sum()
    n = res.groupby(by).size() if by else len(res)
    frame = points.reset_index()
    frame = frame.merge(items[["position", "task", "max_score"]], on="position")
    denominator = frame[by].map(n) if by else n
    frame["completion_pct"] = frame["score"] / (denominator * frame["max_score"]) * 100
    if not by:
        return frame
    return frame.pivot(index=by, columns="task", values="completion_pct")


def raw_tables(raw, sel: Selection, view: str) -> dict[str, pd.DataFrame]:
    """The numbers of one view, recomputed from the raw rows."""
    results, scores, items = raw
    res = results[
        (results["form_id"] == sel.form_id)
        & (results[_COLUMN[sel.level]] == sel.unit_id)
    ]
    its = items[items["form_id"] == sel.form_id]
    child = _COLUMN.get(_CHILD.get(sel.level, ""), None)
    tables = {"Итоги": _raw_marks(res, None)}
    if view == "drilldown" and child:
        tables["Единицы"] = _raw_marks(res, child)
    elif view == "tasks":
        tables["Задания"] = _raw_completion(res, scores, its, None)
    elif view == "heatmap" and child:
        tables["Карта заданий"] = _raw_completion(res, scores, its, child)
    elif view == "distribution":
        hist = res["primary_score"].round().value_counts(normalize=True) * 100
        tables["Распределение баллов"] = hist.sort_index().reset_index()
    elif view == "compare":
        tables["Задания"] = _raw_completion(res, scores, its, None)
    return tables


def _selections(ex: Explorer, rng: np.random.Generator) -> list[tuple[Selection, str]]:
    out = []
    forms = list(ex.forms.index)
    for _ in range(CHANGES):
        form = forms[rng.integers(len(forms))]
        level = ("region", "municipality", "school", "class")[rng.integers(4)]
        index = ex._level_index(level)  # noqa: SLF001
        unit = index[rng.integers(len(index))]
        sel = Selection(level, unit, form)
        while not len(ex._rows(sel)):  # noqa: SLF001
            unit = index[rng.integers(len(index))]
            sel = Selection(level, unit, form)
        view = list(VIEWS)[rng.integers(len(VIEWS))]
        out.append((sel, view))
    return out


def _panel(path: str):
    import ipywidgets  # noqa: F401  (imported before timing starts)

    con = db.connect(path, read_only=True)
    with contextlib.redirect_stdout(io.StringIO()):  # no front end: drop the output
        return Panel(con, explorer=Explorer(con))


def _show(p: Panel, sel: Selection, view: str) -> None:
    """Put the panel on a selection without drawing (drawing is timed apart)."""
    p._busy = True  # noqa: SLF001
    p.selection = sel
    p.view_w.value = view
    p._busy = False  # noqa: SLF001


def _explorer_changes(path: str, seed: int):
    p = _panel(path)
    times, cpu, tables = [], [], []
    for sel, view in _selections(p.explorer, np.random.default_rng(seed)):
        _show(p, sel, view)
        started = time.process_time()
        view_tables(p.explorer, sel, view)  # the numbers alone, timed apart
        tables.append(time.process_time() - started)
        started, started_cpu = time.perf_counter(), time.process_time()
        p._fill_options()  # noqa: SLF001  (what a change of a drop-down does)
        p.render()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return times, cpu, tables


def _raw_changes(path: str, seed: int):
    p = _panel(path)
    raw = _raw_frames(p.con)
    times, cpu, only, mismatches = [], [], [], 0
    for sel, view in _selections(p.explorer, np.random.default_rng(seed)):
        _show(p, sel, view)
        started, started_cpu = time.perf_counter(), time.process_time()
        tables = raw_tables(raw, sel, view)
        elapsed = time.perf_counter() - started
        elapsed_cpu = time.process_time() - started_cpu
        only.append(elapsed_cpu)
        # Draw from the Explorer's tables (the same numbers): the same figures
        started, started_cpu = time.perf_counter(), time.process_time()
        p._fill_options()  # noqa: SLF001
        p.render()
        times.append(elapsed + time.perf_counter() - started)
        cpu.append(elapsed_cpu + time.process_time() - started_cpu)
        mismatches += not _same(p.explorer, sel, p.tables, tables, view)
    return times, cpu, only, mismatches


def _raw_load(path: str) -> int:
    con = db.connect(path, read_only=True)
    results, scores, _items = _raw_frames(con)
    return len(results) + len(scores)


def _same(ex, sel, mine, raw, view) -> bool:
    """Whether the Explorer and the raw recomputation agree on the key numbers."""
    ok = np.allclose(
        ex.summary(sel)["sou_pct"], raw["Итоги"]["sou_pct"], equal_nan=True
    )
    if "Единицы" in raw:
        units = mine["Единицы"].set_index("unit_id")["quality_pct"]
        ref = raw["Единицы"].set_index(raw["Единицы"].columns[0])["quality_pct"]
        ok &= np.allclose(units, ref.reindex(units.index))
    if "Задания" in raw:
        key = "Задания" if view == "tasks" else "Сравнение по заданиям"
        col = "completion_pct" if view == "tasks" else "unit_pct"
        ok &= np.allclose(mine[key][col], raw["Задания"]["completion_pct"])
    if "Карта заданий" in raw:
        heat = mine["Карта заданий"].iloc[:-1].set_index("unit_id")
        ref = raw["Карта заданий"].reindex(index=heat.index, columns=heat.columns[2:])
        ok &= np.allclose(heat[heat.columns[2:]].to_numpy(float), ref.to_numpy(float))
    return bool(ok)


def _build(path: str):
    con = db.connect(path, read_only=True)
    ex = Explorer(con)
    return ex._n_rows  # noqa: SLF001


def _stats(label: str, times: list[float]) -> str:
    ms = np.array(times) * 1000
    return (
        f"  {label:<40} медиана {np.median(ms):7.1f} мс   95-й процентиль "
        f"{np.percentile(ms, 95):7.1f} мс   максимум {ms.max():7.1f} мс"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "bench.duckdb")
        started = time.perf_counter()
        make_database(Path(path))
        print(
            f"  синтетический регион: {SCHOOLS} школ, {PARTICIPANTS} участников, "
            f"{time.perf_counter() - started:.1f} с на запись базы"
        )
        m = measure(_build, path)
        print(row(f"построение Explorer ({m['result']} строк сумм)", m))
        m = measure(_raw_load, path)
        print(row(f"исходные строки в pandas ({m['result']} строк)", m))
        ex_times, ex_cpu, ex_only = measure(_explorer_changes, path, 7)["result"]
        raw = measure(_raw_changes, path, 7)["result"]
        raw_times, raw_cpu, raw_only, mismatches = raw
        print(f"  {CHANGES} смен выбора (списки, таблицы, диаграмма, HTML), время:")
        print(_stats("Explorer (предрасчитанные суммы)", ex_times))
        print(_stats("пересчёт из исходных результатов", raw_times))
        print("  то же, процессорное время (без ожидания занятых ядер):")
        print(_stats("Explorer (предрасчитанные суммы)", ex_cpu))
        print(_stats("пересчёт из исходных результатов", raw_cpu))
        print("  только расчёт чисел (процессорное время):")
        print(_stats("Explorer (предрасчитанные суммы)", ex_only))
        print(_stats("пересчёт из исходных результатов", raw_only))
        load = os.getloadavg()[0]
        print(
            f"  расхождений между способами: {mismatches} из {CHANGES}; "
            f"цель: < 300 мс на смену — "
            f"{'выполнена' if max(ex_times) < 0.3 else 'НЕ выполнена'} "
            f"(средняя загрузка машины {load:.1f} на {os.cpu_count()} ядра)"
        )
