"""Loading the four 2021 ВПР files (about 105 000 participants).

The suite (read, detect, validate, store in DuckDB) side by side with the
plain way of only reading the same files with ``pandas.read_excel`` (default
engine, openpyxl) and with its calamine engine. Target: the four files read,
validated and stored in under 8 s. The synthetic region of 1 000 000 results
is loaded by ``bench_synth``, beside the plain ``read_csv`` and insert.

Every measured run starts as a fresh interpreter, so that its peak memory is
its own; each target is printed with its verdict.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path

from bench.util import measure, row, verdict
from cyclolib.config import SHARED_DATA_DIR

VPR = SHARED_DATA_DIR / "vpr-altai"
TARGET_SECONDS = 8.0


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


def main() -> None:
    if VPR.is_dir():
        real_files()
    else:
        print(f"  нет реальных данных ({VPR}): пропущено")


if __name__ == "__main__":
    main()
