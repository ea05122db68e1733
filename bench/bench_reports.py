"""200 school reports of one stage notebook: ``cyclo reports`` against the plain loop.

The plain loop is what a user would write: for each school, papermill's command
line executes the notebook in a fresh kernel, then ``jupyter nbconvert --to html``
exports it. It is timed on a sample of schools (it costs seconds per report) and
its per-report figure is set beside the suite's amortised one. Both run the same
notebook (00-cyclogram, a chart and a table) on the same database.

The verdicts are printed against the targets of the batch reports: under
0.5 s per report amortised over 200 school reports, and at least 8 times faster
than the plain loop.

Environment: ``CYCLO_BENCH_SCHOOLS`` (default 200), ``CYCLO_BENCH_PLAIN``
(schools of the plain loop, default 5), ``CYCLO_BENCH_SERIAL`` (schools of the
one-process run, default 50), ``CYCLO_BENCH_JOBS`` (default 2).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.util import measure
from cyclolib import db
from cyclolib.config import NOTEBOOKS_DIR

BIN = Path(sys.executable).parent
NOTEBOOK = NOTEBOOKS_DIR / "00-cyclogram.ipynb"
DATE = "2024-06-01"

#: Targets of the batch: seconds per report amortised over this many schools,
#: and the speed-up over the plain loop.
TARGET_SECONDS = 0.5
TARGET_SCHOOLS = 200
TARGET_SPEEDUP = 8.0


def build_region(path: Path, *, schools: int, seed: int = 3) -> list[str]:
    """A database of ``schools`` schools in 10 municipalities; returns school ids."""
    rng = np.random.default_rng(seed)
    con = db.connect(path)
    munis = [f"m{i:02d}" for i in range(1, 11)]
    db.append(
        con,
        "territories",
        pd.DataFrame(
            [("r01", "Регион", "region", None)]
            + [(m, f"Муниципалитет {m}", "municipality", "r01") for m in munis],
            columns=["territory_id", "name", "level", "parent_id"],
        ),
    )
    ids = [f"sch{i:06d}" for i in range(1, schools + 1)]
    db.append(
        con,
        "schools",
        pd.DataFrame(
            {
                "school_id": ids,
                "name": [f"Школа № {i}" for i in range(1, schools + 1)],
                "municipality_id": [munis[i % len(munis)] for i in range(schools)],
                "region_id": "r01",
            }
        ),
    )
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
                "max_score": [20.0, 38.0],
            }
        ),
    )
    # Twenty students per school, one result per form
    size = 20
    school = np.repeat(ids, size * 2)
    n = len(school)
    form = np.tile(np.repeat(["vpr-2024-ma-4", "vpr-2024-ru-4"], size), schools)
    student = [f"{s}/{i % size:03d}" for i, s in enumerate(school)]
    score = rng.integers(0, 20, n).astype(float)
    db.append(
        con,
        "results",
        pd.DataFrame(
            {
                "result_id": np.arange(1, n + 1),
                "form_id": form,
                "school_id": school,
                "student_id": student,
                "absent": False,
                "primary_score": score,
                "mark": np.clip(2 + score // 5, 2, 5).astype(int),
                "load_id": 1,
            }
        ),
    )
    con.close()
    return ids


def _run(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - started


def suite(database: Path, out: Path, *, jobs: int, units: list[str] | None) -> float:
    """Seconds of ``cyclo reports`` for the schools (all, or ``units``)."""
    args = [
        str(BIN / "cyclo"),
        "reports",
        "--db",
        str(database),
        "--out",
        str(out),
        "--level",
        "school",
        "--stages",
        "0",
        "--date",
        DATE,
        "--jobs",
        str(jobs),
        "--force",
    ]
    for unit in units or []:
        args += ["--unit", unit]
    return _run(args)


def batch_with_peak(database: Path, out: Path, jobs: int) -> tuple[float, float]:
    """Seconds of the whole batch and the peak resident MiB of its largest
    process (``cyclo reports`` or one of its workers).

    Run in a fresh interpreter (``measure(..., method="spawn")``): the
    children's peak then counts this batch alone, not the processes an
    earlier benchmark of the same run started.
    """
    seconds = suite(database, out, jobs=jobs, units=None)
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def plain_loop(database: Path, out: Path, units: list[str]) -> float:
    """Seconds of papermill's command line then nbconvert, one school at a time."""
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for unit in units:
        executed = out / f"{unit}.ipynb"
        subprocess.run(
            [
                str(BIN / "papermill"),
                str(NOTEBOOK),
                str(executed),
                "-p",
                "level",
                "school",
                "-p",
                "unit_id",
                unit,
                "-p",
                "db",
                str(database),
                "-p",
                "report_date",
                DATE,
                "--no-progress-bar",
                "--cwd",
                str(NOTEBOOK.parent),
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                str(BIN / "jupyter"),
                "nbconvert",
                "--to",
                "html",
                "--no-input",
                str(executed),
            ],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - started


def verdicts(per: float, speedup: float, schools: int) -> list[str]:
    """Lines that say whether the batch meets its targets."""

    def met(ok: bool) -> str:
        return "выполнена" if ok else "НЕ выполнена"

    lines = [
        f"  цель: не больше {TARGET_SECONDS:.1f} с на отчёт — "
        f"{met(per < TARGET_SECONDS)} ({per:.2f} с)",
        f"  цель: в {TARGET_SPEEDUP:.0f} раз быстрее простого цикла — "
        f"{met(speedup >= TARGET_SPEEDUP)} ({speedup:.1f}×)",
    ]
    if schools < TARGET_SCHOOLS:
        lines.append(
            f"  внимание: {schools_word(schools)} вместо {TARGET_SCHOOLS}: запуск "
            "процессов делится на меньшее число отчётов, вердикт предварительный"
        )
    return lines


def schools_word(n: int) -> str:
    """«1 школа», «3 школы», «12 школ»."""
    if n % 10 == 1 and n % 100 != 11:
        return f"{n} школа"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return f"{n} школы"
    return f"{n} школ"


def _count(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ValueError(
            f"{name}: ожидалось целое число не меньше 1, найдено {value!r}"
        )
    return number


def main() -> None:
    schools = _count("CYCLO_BENCH_SCHOOLS", TARGET_SCHOOLS)
    sample = min(_count("CYCLO_BENCH_PLAIN", 5), schools)
    serial_count = min(_count("CYCLO_BENCH_SERIAL", 50), schools)
    jobs = _count("CYCLO_BENCH_JOBS", 2)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        database = tmp / "bench.duckdb"
        ids = build_region(database, schools=schools)
        print(
            f"  {schools_word(schools)}, тетрадь {NOTEBOOK.name}, {os.cpu_count()} ядра"
        )
        print(
            f"  выборка простого цикла: {schools_word(sample)} (CYCLO_BENCH_PLAIN), "
            f"одного процесса: {schools_word(serial_count)} (CYCLO_BENCH_SERIAL)"
        )

        plain = plain_loop(database, tmp / "plain", ids[:sample])
        plain_per = plain / sample
        serial_units = ids[:serial_count]
        serial = suite(database, tmp / "serial", jobs=1, units=serial_units)
        batch, peak = measure(
            batch_with_peak, database, tmp / "batch", jobs, method="spawn"
        )["result"]
        per = batch / schools
        sizes = [p.stat().st_size for p in (tmp / "batch").rglob("00-cyclogram.html")]

        print(
            f"  {'простой цикл papermill + nbconvert':<44} "
            f"{plain_per:7.2f} с/отчёт  ({schools_word(sample)} за {plain:.1f} с)"
        )
        print(
            f"  {'cyclo reports --jobs 1':<44} {serial / len(serial_units):7.2f} "
            f"с/отчёт  ({schools_word(len(serial_units))} за {serial:.1f} с)"
        )
        print(
            f"  {f'cyclo reports --jobs {jobs}':<44} {per:7.2f} с/отчёт  "
            f"({schools_word(schools)} за {batch:.1f} с)"
        )
        print(f"  ускорение против простого цикла: {plain_per / per:.1f}×")
        print(
            f"  размер отчёта: медиана {np.median(sizes) / 1024:.0f} КБ, "
            f"наибольший {max(sizes) / 1024:.0f} КБ"
        )
        print(f"  пиковая память самого большого процесса пакета: {peak:.0f} МиБ")
        for line in verdicts(per, plain_per / per, schools):
            print(line)


if __name__ == "__main__":
    main()
