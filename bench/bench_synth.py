"""Generating and loading a synthetic region of about 1 000 000 results.

The region is written in the exchange format (CSV) with every task score, then
loaded by the suite (``load_paths``: detect, validate, store in DuckDB). Side by
side: the plain way of loading the same files, ``pandas.read_csv`` and a DuckDB
insert of each frame without any validation. Targets: generation well under
60 s; the suite's load under 60 s, 4 GiB and 25 CPU seconds. Wall time and
CPU time are both printed: on a shared machine the CPU time is the figure that
does not depend on other jobs. The demo-sized region in the ВПР layout (XLSX)
is timed too, and the writing of its ВПР workbooks by the suite's writer side
by side with xlsxwriter in constant-memory mode.
"""

from __future__ import annotations

import json
import resource
import tempfile
from pathlib import Path

from bench.util import measure, row

SCHOOLS = 1170  # about 1 000 000 results in three years
MUNICIPALITIES = 40
YEARS = [2022, 2023, 2024]
TARGET_SECONDS = 60.0
TARGET_MIB = 4096.0
TARGET_CPU = 25.0  # CPU seconds of the suite's load (the plain way takes about 7)
LOADED = ("schools", "items", "responsibles", "results")


def cpu_seconds() -> float:
    """CPU time of this process (all threads) and of its finished children (the
    loaders read ahead in child processes): unlike wall time, it does not grow
    when other jobs share the machine."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def with_cpu(fn, *args):
    """``fn(*args)`` and the CPU seconds it took."""
    started = cpu_seconds()
    result = fn(*args)
    return result, cpu_seconds() - started


def generate(out: str, schools: int, fmt: str) -> int:
    from cyclolib.synth import make_region

    make_region(
        seed=1, schools=schools, municipalities=MUNICIPALITIES, years=YEARS,
        out_dir=out, fmt=fmt,
    )  # fmt: skip
    return json.loads((Path(out) / "manifest.json").read_text())["results"]


def _files(out: str) -> list[Path]:
    manifest = json.loads((Path(out) / "manifest.json").read_text())
    return [Path(out) / f["path"] for f in manifest["files"] if f["kind"] in LOADED]


def suite_load(out: str, db_path: str) -> tuple[int, int]:
    from cyclolib import db
    from cyclolib.loaders import load_paths

    con = db.connect(db_path)
    report = load_paths(con, _files(out))
    (n,) = con.execute("SELECT count(*) FROM results").fetchone()
    con.close()
    return n, sum(f.rejected for f in report.files)


def plain_load(out: str, db_path: str) -> int:
    """read_csv of each results file, inserted as it is: no checks, no long form."""
    import duckdb
    import pandas as pd

    con = duckdb.connect(db_path)
    n = 0
    for i, path in enumerate(p for p in _files(out) if p.parent.name == "results"):
        frame = pd.read_csv(path)
        con.register("frame", frame)
        con.execute(f"CREATE TABLE results_{i} AS SELECT * FROM frame")
        con.unregister("frame")
        n += len(frame)
    con.close()
    return n


def write_workbooks(folder: str, writer: str) -> tuple[float, int]:
    """Seconds to write the demo region's ВПР workbooks (generation not timed)."""
    import time

    import xlsxwriter

    from cyclolib.synth import generate
    from cyclolib.synth.write import vpr_columns
    from cyclolib.synth.xlsx import write_text_sheet

    region = generate(seed=1, schools=120, municipalities=8, years=YEARS)
    municipality_of = dict(
        zip(
            region.schools["school_id"],
            region.schools["municipality_name"],
            strict=True,
        )
    )
    blocks = [b for b in region.blocks if b.form.study == "vpr"]
    started = time.perf_counter()
    cells = 0
    for i, block in enumerate(blocks):
        header, cols = vpr_columns(block, municipality_of, 1)
        path = f"{folder}/{writer}-{i}.xlsx"
        cells += len(cols) * len(cols[0])
        if writer == "cyclo":
            write_text_sheet(Path(path), "Sheet", header, cols)
            continue
        wb = xlsxwriter.Workbook(path, {"constant_memory": True})
        ws = wb.add_worksheet("Sheet")
        ws.write_row(0, 0, header)
        for r, values in enumerate(zip(*cols, strict=True), start=1):
            for c, value in enumerate(values):
                if value:
                    ws.write_string(r, c, value)
        wb.close()
    return time.perf_counter() - started, cells


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        big, small = f"{folder}/region", f"{folder}/demo"
        print(f"  синтетический регион: {SCHOOLS} школ, годы {YEARS}, CSV")
        gen = measure(with_cpu, generate, big, SCHOOLS, "csv")
        results, cpu = gen["result"]
        print(row(f"создание ({results} результатов)", gen) + f"  ЦП {cpu:6.1f} с")
        size = sum(p.stat().st_size for p in Path(big).rglob("*")) / 2**20
        print(f"  объём файлов: {size:.0f} МиБ")

        load = measure(with_cpu, suite_load, big, f"{folder}/suite.duckdb")
        (n, rejected), load_cpu = load["result"]
        print(
            row(f"загрузка cyclo (load_paths), принято {n}", load)
            + f"  ЦП {load_cpu:6.1f} с"
        )
        print(f"  отклонено строк: {rejected}")
        plain = measure(with_cpu, plain_load, big, f"{folder}/plain.duckdb")
        cpu = plain["result"][1]
        print(
            row("pandas.read_csv + вставка в DuckDB без проверок", plain)
            + f"  ЦП {cpu:6.1f} с"
        )

        ok = (
            gen["seconds"] < TARGET_SECONDS
            and load["seconds"] < TARGET_SECONDS
            and load["peak_mib"] < TARGET_MIB
            and load_cpu < TARGET_CPU
        )
        print(
            f"  цель: создание и загрузка быстрее {TARGET_SECONDS:.0f} с, загрузка "
            f"меньше {TARGET_MIB:.0f} МиБ и {TARGET_CPU:.0f} с ЦП — "
            f"{'достигнута' if ok else 'НЕ достигнута'}"
        )

        demo = measure(with_cpu, generate, small, 120, "xlsx")
        results, cpu = demo["result"]
        print(
            row(f"демо-регион XLSX: 120 школ ({results} результатов)", demo)
            + f"  ЦП {cpu:6.1f} с"
        )
        writers = (
            ("cyclo", "cyclolib.synth.xlsx"),
            ("xlsxwriter", "xlsxwriter, constant_memory"),
        )
        for writer, label in writers:
            m = measure(write_workbooks, folder, writer)
            seconds, cells = m["result"]
            print(f"  запись книг ВПР демо-региона ({cells} ячеек), {label:<28} "
                  f"{seconds:6.2f} с")  # fmt: skip
