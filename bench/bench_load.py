"""Loading: the four 2021 ВПР files, and a synthetic region of 1 000 000 results.

The four real files (about 105 000 participants): the suite (read, detect,
validate, store in DuckDB) side by side with the plain way of only reading the
same files with ``pandas.read_excel`` (default engine, openpyxl) and with its
calamine engine. Target: the four files read, validated and stored in under
8 s.

A synthetic region of about 1 000 000 results with their task scores, written
in the exchange format (CSV) in a process of its own and not timed, then
loaded by the suite. Target: under 60 s and 4 GiB. ``CYCLO_BENCH_SCALE``
(default 1) scales the number of schools, to check the benchmark quickly.

Every measured run starts as a fresh interpreter, so that its peak memory is
its own; each target is printed with its verdict.
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
import time
from pathlib import Path

from bench.util import measure, row, verdict
from cyclolib.config import SHARED_DATA_DIR

VPR = SHARED_DATA_DIR / "vpr-altai"
TARGET_SECONDS = 8.0
# The synthetic region: about 1 000 000 results in three years
SYNTH_SCHOOLS = 1170
SYNTH_MUNICIPALITIES = 40
SYNTH_YEARS = [2022, 2023, 2024]
SYNTH_TARGET_SECONDS = 60.0
SYNTH_TARGET_MIB = 4096.0
LOADED = ("schools", "items", "responsibles", "results")


def files_2021() -> list[Path]:
    return sorted((VPR / "2021").glob("*.xlsx"))


def suite_load() -> dict:
    """Load the school list (untimed), then the four files (timed)."""
    from cyclolib import db
    from cyclolib.loaders import load_paths

    with tempfile.TemporaryDirectory() as folder:
        con = db.connect(Path(folder) / "bench.duckdb")
        load_paths(con, [VPR / "schools.xlsx"])
        started, cpu = time.perf_counter(), cpu_seconds()
        report = load_paths(con, files_2021())
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        (n,) = con.execute("SELECT count(*) FROM results").fetchone()
        con.close()
    rejected = sum(f.rejected for f in report.files)
    return {"seconds": seconds, "cpu": cpu, "results": n, "rejected": rejected}


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the read-ahead)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def pandas_read(engine: str | None) -> int:
    import pandas as pd

    kwargs = {} if engine is None else {"engine": engine}
    return sum(len(pd.read_excel(path, **kwargs)) for path in files_2021())


def synthetic_files(folder: str, schools: int) -> int:
    """Write the synthetic region as CSV; return its number of results."""
    from cyclolib.synth import make_region

    make_region(
        seed=1,
        schools=schools,
        municipalities=SYNTH_MUNICIPALITIES,
        years=SYNTH_YEARS,
        out_dir=folder,
        fmt="csv",
    )
    return json.loads((Path(folder) / "manifest.json").read_text())["results"]


def suite_load_synthetic(folder: str, db_path: str) -> dict:
    """Load the region's data files (its manifest names them; the planted truth
    and the register of decisions are not results) as ``cyclo load`` would."""
    from cyclolib import db
    from cyclolib.loaders import load_paths

    manifest = json.loads((Path(folder) / "manifest.json").read_text())
    paths = [Path(folder) / f["path"] for f in manifest["files"] if f["kind"] in LOADED]
    con = db.connect(db_path)
    report = load_paths(con, paths)
    (n,) = con.execute("SELECT count(*) FROM results").fetchone()
    (tasks,) = con.execute("SELECT count(*) FROM task_scores").fetchone()
    con.close()
    return {
        "results": n,
        "tasks": tasks,
        "rejected": sum(f.rejected for f in report.files),
        "failed": sum(f.status == "failed" for f in report.files),
    }


def _busy_note() -> None:
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        print(
            f"    внимание: машина занята (средняя нагрузка {load:.1f} при "
            f"{os.cpu_count()} ядрах), время выше обычного"
        )


def real_files() -> None:
    print("  четыре файла ВПР 2021 (около 105 000 участников)")
    suite = measure(suite_load, method="spawn")
    inner = suite["result"]
    print(row("cyclo: чтение, проверка, запись в DuckDB", suite))
    print(
        f"    из них четыре файла: {inner['seconds']:.2f} с, процессорного "
        f"времени {inner['cpu']:.2f} с; результатов {inner['results']}, "
        f"отклонено строк {inner['rejected']}"
    )
    passed = inner["seconds"] < TARGET_SECONDS
    print(f"    цель: четыре файла быстрее {TARGET_SECONDS:.0f} с — {verdict(passed)}")
    _busy_note()
    print(
        row(
            "pandas.read_excel, движок calamine (только чтение)",
            measure(pandas_read, "calamine", method="spawn"),
        )
    )
    print(
        row(
            "pandas.read_excel по умолчанию (только чтение)",
            measure(pandas_read, None, method="spawn"),
        )
    )


def synthetic_region() -> None:
    scale = float(os.environ.get("CYCLO_BENCH_SCALE", "1"))
    schools = max(int(SYNTH_SCHOOLS * scale), 8)
    with tempfile.TemporaryDirectory() as folder:
        files = str(Path(folder) / "region")
        made = measure(synthetic_files, files, schools, method="spawn")
        print(
            f"\n  синтетический регион, масштаб {scale:g}: {schools} школ, "
            f"{made['result']} результатов с баллами за задания (CSV)"
        )
        print(
            f"    создание файлов в отдельном процессе: {made['seconds']:.0f} с "
            "(не входит в замер)"
        )
        load = measure(
            suite_load_synthetic, files, str(Path(folder) / "s.duckdb"), method="spawn"
        )
        inner = load["result"]
        print(row("cyclo: загрузка (load_paths)", load))
        print(
            f"    результатов {inner['results']}, баллов за задания "
            f"{inner['tasks']}, отклонено строк {inner['rejected']}, "
            f"не прочитано файлов {inner['failed']}"
        )
        passed = (
            load["seconds"] < SYNTH_TARGET_SECONDS
            and load["peak_mib"] < SYNTH_TARGET_MIB
            and inner["failed"] == 0
        )
        print(
            f"    цель: 1 000 000 результатов быстрее {SYNTH_TARGET_SECONDS:.0f} с "
            f"и меньше {SYNTH_TARGET_MIB / 1024:.0f} ГиБ; получено "
            f"{load['seconds']:.1f} с, {load['peak_mib'] / 1024:.2f} ГиБ — "
            f"{verdict(passed)}"
        )
        if scale != 1:
            print(
                "    масштаб не 1: цель задана для миллиона результатов, вердикт "
                "только для проверки работы замера"
            )
        _busy_note()


def main() -> None:
    if VPR.is_dir():
        real_files()
    else:
        print(f"  нет реальных данных ({VPR}): пропущено")
    synthetic_region()


if __name__ == "__main__":
    main()
