"""Computing the indicators: `cyclo compute` against the plain pandas groupby.

Two loads:

* the four real ВПР 2021 files (about 105 000 participants, 640 schools),
  loaded with the suite's loaders before the timing; target under 10 s;
* a synthetic country: 85 regions, 40 000 schools, 5 000 000 results with
  their task scores (about 90 million task rows), generated with numpy
  straight into DuckDB; target under 5 minutes within 8 GiB.

Each is set against the same core indicators (participants, mean score, mark
shares, success, quality, СОУ, task completion) for regions, municipalities,
schools and classes, computed by the pandas groupby a user would write on the
frames read from the same database. The plain way runs under an 8 GiB address
space limit, so that running out of memory is reported rather than felt by
the machine. ``CYCLO_BENCH_SCALE`` (default 1) scales the synthetic load.

Each database is built in a process of its own, and each measured run starts
as a fresh interpreter (``spawn``): its peak memory, and the 8 GiB limit of
the plain way, count the measured work alone, not the building of the data.
Each target is printed with its verdict.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.util import measure, row, verdict
from cyclolib.config import SHARED_DATA_DIR

VPR = SHARED_DATA_DIR / "vpr-altai"
REAL_TARGET = 10.0
SYNTH_TARGET = 300.0
SYNTH_TARGET_MIB = 8 * 1024
MEMORY_LIMIT = 8 * 1024**3
LEVEL_COLUMNS = ["region_id", "municipality_id", "school_id", "class_id"]

# Synthetic forms: (subject, grade, task maxima, thresholds of «3», «4», «5»).
FORMS = [
    ("ma", 4, [1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 2, 2], (6, 10, 15)),
    (
        "ru",
        4,
        [4, 3, 3, 1, 3, 2, 1, 2, 3, 2, 1, 1, 2, 1, 2, 1, 2, 1, 2, 1],
        (14, 24, 33),
    ),
    ("ma", 5, [1, 1, 1, 1, 1, 2, 1, 1, 2, 2, 1, 1, 1, 1, 1, 2], (7, 11, 15)),
    (
        "ru",
        5,
        [4, 3, 2, 3, 3, 3, 3, 2, 3, 2, 2, 2, 2, 1, 2, 1, 2, 2, 1, 1, 1],
        (18, 29, 39),
    ),
]


# ------------------------------------------------------------- the suite


def suite_compute(path: str) -> dict:
    """`cyclo compute` as the command runs it: compute and store everything."""
    from cyclolib import db
    from cyclolib.indicators import compute

    con = db.connect(path)
    con.execute("SET memory_limit = '6GB'")
    started, cpu = time.perf_counter(), time.process_time()
    summary = compute(con)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    con.close()
    return {"seconds": seconds, "cpu": cpu, **summary}


# --------------------------------------------------------- the plain way


def plain_pandas(path: str) -> dict:
    """The core indicators with pandas groupby, as a user would write them."""
    import duckdb
    import pandas as pd

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    started = time.perf_counter()
    con = duckdb.connect(path, read_only=True)
    results = con.execute("""
        SELECT r.result_id, r.form_id, r.school_id, r.class_id, r.primary_score,
               r.mark, f.max_score, s.region_id, s.municipality_id
        FROM results r JOIN forms f USING (form_id)
        JOIN schools s USING (school_id) WHERE NOT r.absent""").df()
    tasks = con.execute("SELECT result_id, position, score FROM task_scores").df()
    items = con.execute("SELECT form_id, position, max_score FROM items").df()
    con.close()

    # Whole-form indicators per level
    results["pct"] = 100 * results["primary_score"] / results["max_score"]
    results["sou"] = results["mark"].map({5: 1.0, 4: 0.64, 3: 0.36, 2: 0.16})
    rows = 0
    for col in LEVEL_COLUMNS:
        g = results.groupby(["form_id", col])
        table = g.agg(
            participants=("mark", "size"),
            mean_primary_score=("primary_score", "mean"),
            mean_score_pct=("pct", "mean"),
            sou_pct=("sou", "mean"),
        )
        shares = (
            pd.crosstab(
                [results["form_id"], results[col]], results["mark"], normalize="index"
            )
            * 100
        )
        table["success_pct"] = shares[[3, 4, 5]].sum(axis=1)
        table["quality_pct"] = shares[[4, 5]].sum(axis=1)
        rows += len(table.join(shares))

    # Task completion per level
    merged = tasks.merge(
        results[["result_id", "form_id", *LEVEL_COLUMNS]], on="result_id"
    )
    merged = merged.merge(items, on=["form_id", "position"])
    for col in LEVEL_COLUMNS:
        g = merged.groupby(["form_id", col, "position"])
        done = g["score"].sum() / (g["score"].size() * g["max_score"].first()) * 100
        rows += len(done)
    return {"seconds": time.perf_counter() - started, "rows": rows}


# ------------------------------------------------------------- the loads


def real_database(folder: str) -> str:
    """The four 2021 files with the school list, context form and КИМ."""
    from cyclolib import db
    from cyclolib.loaders import load_paths

    path = str(Path(folder) / "real.duckdb")
    con = db.connect(path)
    load_paths(
        con,
        [
            VPR / "schools.xlsx",
            VPR / "Сбор контекстных данных об ОО и участниках ВПР 2021.xlsx",
            VPR / "kim",
            *sorted((VPR / "2021").glob("*.xlsx")),
        ],
    )
    con.close()
    return path


def synthetic_in_process(folder: str, scale: float) -> str:
    """:func:`synthetic_database` with positional arguments, for :func:`measure`."""
    return synthetic_database(folder, scale=scale)


def synthetic_database(folder: str, *, scale: float = 1.0, seed: int = 1) -> str:
    """A country of 85 regions and 40 000 schools, generated with numpy."""
    import pandas as pd
    import pyarrow as pa

    from cyclolib import db

    rng = np.random.default_rng(seed)
    path = str(Path(folder) / "country.duckdb")
    con = db.connect(path)
    n_regions, n_schools = 85, max(int(40_000 * scale), 200)
    n_results = int(5_000_000 * scale)

    # Territories and schools
    n_munis = n_regions * 27
    regions = [f"R{r:02d}" for r in range(n_regions)]
    munis = [f"R{m // 27:02d}-M{m % 27:02d}" for m in range(n_munis)]
    db.append(
        con,
        "territories",
        pd.DataFrame(
            {
                "territory_id": regions + munis,
                "name": [f"Регион {r}" for r in range(n_regions)]
                + [f"Муниципалитет {m}" for m in munis],
                "level": ["region"] * n_regions + ["municipality"] * n_munis,
                "parent_id": [None] * n_regions + [m[:3] for m in munis],
            }
        ),
    )
    school_muni = rng.integers(0, n_munis, n_schools)
    school_effect = rng.normal(0, 0.6, n_schools)
    db.append(
        con,
        "schools",
        pd.DataFrame(
            {
                "school_id": [f"sch{k:06d}" for k in range(n_schools)],
                "name": [f"Школа {k}" for k in range(n_schools)],
                "municipality_id": np.array(munis)[school_muni],
                "region_id": np.array(munis)[school_muni].astype("U3"),
                "urban": rng.random(n_schools) < 0.6,
            }
        ),
    )

    # Forms and their tasks
    for subject, grade, maxima, _ in FORMS:
        form = f"vpr-2025-{subject}-{grade}"
        db.append(
            con,
            "forms",
            pd.DataFrame(
                {
                    "form_id": [form],
                    "study_id": ["vpr"],
                    "year": [2025],
                    "subject": [subject],
                    "grade": [grade],
                    "max_score": [float(sum(maxima))],
                    "n_tasks": [len(maxima)],
                }
            ),
        )
        k = len(maxima)
        db.append(
            con,
            "items",
            pd.DataFrame(
                {
                    "form_id": form,
                    "position": np.arange(1, k + 1),
                    "task": [str(i) for i in range(1, k + 1)],
                    "max_score": np.array(maxima, dtype=float),
                    "level": ["Б"] * (k - 2) + ["П"] * 2,
                }
            ),
        )
        db.append(
            con,
            "item_codes",
            pd.DataFrame(
                {
                    "form_id": form,
                    "position": np.tile(np.arange(1, k + 1), 2),
                    "kind": ["kes"] * k + ["kt"] * k,
                    "code": [f"{1 + i // 3}.{i % 3 + 1}" for i in range(k)]
                    + [str(1 + i // 4) for i in range(k)],
                }
            ),
        )

    # Results and task scores, a chunk at a time
    per_form = n_results // len(FORMS)
    next_id = 0
    for subject, grade, maxima, thresholds in FORMS:
        form = f"vpr-2025-{subject}-{grade}"
        maxima = np.array(maxima)
        difficulty = rng.normal(0, 0.8, len(maxima))
        for start in range(0, per_form, 500_000):
            size = min(500_000, per_form - start)
            school = np.sort(rng.integers(0, n_schools, size))
            letter = rng.integers(0, 2, size)
            ability = school_effect[school] + rng.normal(0, 1, size)
            prob = 1 / (1 + np.exp(-(ability[:, None] - difficulty[None, :])))
            points = rng.binomial(maxima[None, :], prob).astype(np.float32)
            absent = rng.random(size) < 0.05
            total = points.sum(axis=1)
            mark = 2 + (total[:, None] >= np.array(thresholds)[None, :]).sum(axis=1)
            journal = np.clip(mark + rng.integers(-1, 2, size), 2, 5)
            ids = np.arange(next_id, next_id + size, dtype=np.int64)
            next_id += size
            school_id = np.char.add("sch", np.char.zfill(school.astype("U6"), 6))
            class_id = np.char.add(
                np.char.add(school_id, f"/2025/{grade}/"),
                np.where(letter == 0, "А", "Б"),
            )
            con.register(
                "_r",
                pa.table(
                    {
                        "result_id": ids,
                        "form_id": np.full(size, form),
                        "school_id": school_id,
                        "class_id": class_id,
                        "student_id": np.char.add(class_id, ids.astype("U9")),
                        "absent": absent,
                        "primary_score": np.where(absent, np.nan, total),
                        "mark": np.where(absent, 0, mark).astype(np.int16),
                        "journal_mark": journal.astype(np.int16),
                        "load_id": np.ones(size, dtype=np.int32),
                    }
                ),
            )
            con.execute("""INSERT INTO results (result_id, form_id, school_id,
                class_id, student_id, absent, primary_score, mark, journal_mark,
                load_id) SELECT result_id, form_id, school_id, class_id,
                student_id, absent, primary_score, nullif(mark, 0), journal_mark,
                load_id FROM _r""")
            con.unregister("_r")
            keep = ~absent
            k = len(maxima)
            con.register(
                "_t",
                pa.table(
                    {
                        "result_id": np.repeat(ids[keep], k),
                        "position": np.tile(
                            np.arange(1, k + 1, dtype=np.int16), keep.sum()
                        ),
                        "score": points[keep].ravel(),
                    }
                ),
            )
            con.execute("INSERT INTO task_scores SELECT * FROM _t")
            con.unregister("_t")
    con.execute("""INSERT INTO classes SELECT DISTINCT class_id, school_id, 2025,
        CAST(split_part(class_id, '/', 3) AS INTEGER), split_part(class_id, '/', 4),
        NULL FROM results""")
    con.close()
    return path


# ----------------------------------------------------------------- report


def _side_by_side(label: str, path: str, target: float, target_mib=None) -> None:
    suite = measure(suite_compute, path, method="spawn")
    inner = suite["result"]
    print(row("cyclo compute (все показатели, 4 уровня)", suite))
    print(
        f"    из них расчёт и запись: {inner['seconds']:.2f} с "
        f"(процессорное время всех потоков {inner['cpu']:.1f} с); "
        f"{inner['rows']} значений {inner['indicators']} показателей; "
        f"{inner['region']} регионов, {inner['municipality']} муниципалитетов, "
        f"{inner['school']} школ, {inner['class']} классов"
    )
    # The whole run of the fresh process counts: imports, connection, compute
    passed = suite["seconds"] <= target
    goal = f"не больше {target:.0f} с"
    if target_mib is not None:
        passed = passed and suite["peak_mib"] <= target_mib
        goal += f" и {target_mib / 1024:.0f} ГиБ"
    print(
        f"    цель {label}: {goal}; получено {suite['seconds']:.1f} с, "
        f"{suite['peak_mib'] / 1024:.2f} ГиБ — {verdict(passed)}"
    )
    try:
        plain = measure(plain_pandas, path, method="spawn")
        print(row("pandas groupby (ядро показателей, без интервалов)", plain))
    except RuntimeError as exc:
        print(f"  pandas groupby: не выполнен в пределах 8 ГиБ ({exc})")


def main() -> None:
    load = os.getloadavg()[0]
    print(f"  средняя загрузка машины: {load:.1f} на {os.cpu_count()} ядра")
    with tempfile.TemporaryDirectory() as folder:
        if VPR.is_dir():
            print("  реальные файлы ВПР 2021 (около 105 000 участников)")
            built = measure(real_database, folder, method="spawn")
            print(
                f"    загрузка файлов в отдельном процессе: {built['seconds']:.0f} с "
                "(не входит в замер)"
            )
            _side_by_side("для четырёх файлов", built["result"], REAL_TARGET)
        else:
            print(f"  нет реальных данных ({VPR}): пропущено")

        scale = float(os.environ.get("CYCLO_BENCH_SCALE", "1"))
        print(
            f"\n  синтетическая страна, масштаб {scale:g}: 85 регионов, "
            f"{int(40_000 * scale)} школ, {int(5_000_000 * scale)} результатов"
        )
        built = measure(synthetic_in_process, folder, scale, method="spawn")
        path = built["result"]
        size = Path(path).stat().st_size / 1024**2
        print(
            f"    генерация в DuckDB в отдельном процессе: {built['seconds']:.0f} с, "
            f"{built['peak_mib']:.0f} МиБ, файл {size:.0f} МиБ (не входит в замер)"
        )
        if scale != 1:
            print(
                "    масштаб не 1: цель задана для полной страны, вердикт только "
                "для проверки работы замера"
            )
        _side_by_side("для страны", path, SYNTH_TARGET, SYNTH_TARGET_MIB)


if __name__ == "__main__":
    main()
