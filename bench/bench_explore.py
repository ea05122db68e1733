"""Exploration panel: a change of selection with the Explorer vs from raw results.

A synthetic region of 700 schools and 100 000 participants (four ВПР forms of one
year, the task structure of params/forms.yaml) is written straight into DuckDB
with numpy. Then:

- the Explorer is built once (seconds, peak memory);
- 50 changes a user makes are played on a panel: a drop-down (municipality,
  school, class, the unit below, subject, grade) or the view buttons set to
  another of their values, or the button «На уровень выше», chosen at random
  from what the panel offers at that moment;
- the same 50 changes are played on a panel that, on every change, recomputes
  the numbers of the view from the raw per-student results and task scores
  with plain pandas (held in memory, so only the computation is timed), as a
  notebook without the Explorer would.

A change is timed as a user causes it: setting the widget's value runs its
observer, which checks the selection (Panel.set and _valid), refills the
drop-downs, computes the tables and the chart and replaces the output area's
contents (Panel.refresh); the browser's own drawing is not included.

The two ways must give the same numbers; the benchmark checks each change
(outside the timing). The raw way computes only the key numbers of each view
(marks, task completion, heat map, histogram) and still takes its drop-down
lists and its drawing from the Explorer, so its figures flatter it by all but
the Explorer's own tables (printed apart). The target is under 300 ms per
change; wall time depends on how busy the machine is, so the CPU time and the
load average are printed too.
"""

from __future__ import annotations

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
from cyclolib.explore.panel import Panel, view_tables

YEAR = 2024
SCHOOLS = 700
MUNICIPALITIES = 70
PARTICIPANTS = 100_000
CHANGES = 50
WIDGET_NAMES = {
    "municipality_w": "муниципалитет",
    "school_w": "школа",
    "class_w": "класс",
    "drill_w": "единица ниже",
    "subject_w": "предмет",
    "grade_w": "параллель",
    "view_w": "вид",
    "up_w": "на уровень выше",
}


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


#: The widgets a user changes, by their attribute on the panel.
WIDGETS = (
    "municipality_w",
    "school_w",
    "class_w",
    "drill_w",
    "subject_w",
    "grade_w",
    "view_w",
)


def _values(widget) -> list:
    return [o[1] if isinstance(o, tuple) else o for o in widget.options]


def _next_change(p: Panel, rng: np.random.Generator) -> tuple[str, object]:
    """A change the panel offers now: a widget and another of its values."""
    offered = []
    for name in WIDGETS:
        widget = getattr(p, name)
        if widget.disabled:
            continue
        others = [v for v in _values(widget) if v != widget.value]
        if name == "drill_w":
            others = [v for v in others if v]  # «—» selects nothing
        if others:
            offered.append((name, others))
    if not p.up_w.disabled:
        offered.append(("up_w", [None]))
    name, others = offered[rng.integers(len(offered))]
    return name, others[rng.integers(len(others))]


def _make(p: Panel, change: tuple[str, object]) -> None:
    """Do the change as the front end does: set the value, or click."""
    name, value = change
    if name == "up_w":
        p.up_w.click()
    else:
        getattr(p, name).value = value


class RawPanel(Panel):
    """A panel that recomputes the view's numbers from the raw rows each time."""

    raw = None
    raw_seconds = 0.0
    raw_cpu = 0.0

    def compute(self):
        started, started_cpu = time.perf_counter(), time.process_time()
        self.raw_tables = raw_tables(self.raw, self.selection, self.view_w.value)
        self.raw_seconds = time.perf_counter() - started
        self.raw_cpu = time.process_time() - started_cpu
        return super().compute()


def _panel(path: str, cls=Panel):
    import ipywidgets  # noqa: F401  (imported before timing starts)

    con = db.connect(path, read_only=True)
    explorer = Explorer(con)
    if cls is RawPanel:
        RawPanel.raw = _raw_frames(con)
    return cls(con, explorer=explorer)


def _timed(p: Panel, change) -> tuple[float, float]:
    started, started_cpu = time.perf_counter(), time.process_time()
    _make(p, change)
    return time.perf_counter() - started, time.process_time() - started_cpu


def _explorer_changes(path: str, seed: int):
    """Play random changes; the changes, times, CPU times and table times."""
    p = _panel(path)
    rng = np.random.default_rng(seed)
    changes, times, cpu, tables, errors = [], [], [], [], 0
    for _ in range(CHANGES):
        change = _next_change(p, rng)
        wall, used = _timed(p, change)
        changes.append(change)
        times.append(wall)
        cpu.append(used)
        errors += bool(p.status_w.value)
        # The numbers alone, timed apart
        started = time.process_time()
        view_tables(p.explorer, p.selection, p.view_w.value)
        tables.append(time.process_time() - started)
    return changes, times, cpu, tables, errors


def _raw_changes(path: str, changes):
    """Play the same changes on the raw panel; times and the mismatches."""
    p = _panel(path, RawPanel)
    times, cpu, only, mismatches = [], [], [], 0
    for change in changes:
        wall, used = _timed(p, change)
        times.append(wall)
        cpu.append(used)
        only.append(p.raw_cpu)
        view = p.view_w.value
        mismatches += not _same(p.explorer, p.selection, p.tables, p.raw_tables, view)
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
        played = measure(_explorer_changes, path, 7)["result"]
        changes, ex_times, ex_cpu, ex_only, errors = played
        raw = measure(_raw_changes, path, changes)["result"]
        raw_times, raw_cpu, raw_only, mismatches = raw
        kinds = pd.Series([name for name, _v in changes]).value_counts()
        print(
            f"  {CHANGES} изменений виджетов: "
            + ", ".join(f"{WIDGET_NAMES[k]} {n}" for k, n in kinds.items())
        )
        print("  смена выбора (наблюдатели, списки, таблицы, диаграмма, вывод), время:")
        print(_stats("Explorer (предрасчитанные суммы)", ex_times))
        print(_stats("пересчёт из исходных результатов", raw_times))
        print("  то же, процессорное время (без ожидания занятых ядер):")
        print(_stats("Explorer (предрасчитанные суммы)", ex_cpu))
        print(_stats("пересчёт из исходных результатов", raw_cpu))
        print("  только расчёт чисел (процессорное время):")
        print(_stats("Explorer (предрасчитанные суммы)", ex_only))
        print(_stats("пересчёт из исходных результатов", raw_only))
        load = os.getloadavg()[0]
        worst, worst_cpu = max(ex_times) * 1000, max(ex_cpu) * 1000
        verdict = "выполнена" if worst < 300 else "НЕ выполнена"
        print(
            f"  расхождений между способами: {mismatches} из {CHANGES}; "
            f"ошибок панели: {errors}\n"
            f"  цель: < 300 мс на смену с Explorer — {verdict} (наибольшее время "
            f"{worst:.0f} мс, процессорное {worst_cpu:.0f} мс); пересчёт из "
            f"исходных результатов: медиана {np.median(raw_times) * 1000:.0f} мс, "
            f"наибольшее {max(raw_times) * 1000:.0f} мс "
            f"(средняя загрузка машины {load:.1f} на {os.cpu_count()} ядра)"
        )
