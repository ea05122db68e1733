"""``cyclo demo``: the whole cycle on a synthetic region, from nothing to reports.

Steps: generate the region into ``data/synth/``; load its files into the
database; load its register of decisions; compute the indicator values; run
the stage notebooks 00–08 for the region and each municipality; print where
``reports/index.html`` is.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..cli import add_db_argument

HELP = "демонстрация: синтетический регион, база, показатели, отчёты"

# Kinds of files of the region's manifest that go into the database: the КИМ
# descriptions bring the skills and КЭС/КТ codes of the ВПР forms.
LOADED_KINDS = ("schools", "items", "kim", "responsibles", "results")

# Marks a database built by the demo: only such a database is ever rebuilt.
DEMO_KEY = "demo_seed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_argument(parser)
    parser.add_argument(
        "--seed",
        type=int,
        default=1,
        metavar="N",
        help="зерно генератора синтетического региона (по умолчанию 1)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=2,
        metavar="N",
        help="число рабочих процессов для отчётов (по умолчанию 2)",
    )
    parser.add_argument(
        "--no-reports",
        action="store_true",
        help="только данные и показатели, без отчётов (для JupyterLab)",
    )
    parser.add_argument(
        "--schools",
        type=int,
        default=None,
        metavar="N",
        help="число школ (по умолчанию из params/synth.yaml)",
    )
    parser.add_argument(
        "--municipalities",
        type=int,
        default=None,
        metavar="N",
        help="число муниципалитетов (по умолчанию из params/synth.yaml)",
    )
    parser.add_argument(
        "--data",
        default=None,
        metavar="КАТАЛОГ",
        help="куда записать файлы региона (по умолчанию data/synth/)",
    )
    parser.add_argument(
        "--out",
        default=None,
        metavar="КАТАЛОГ",
        help="каталог отчётов (по умолчанию reports/)",
    )


def run(args: argparse.Namespace) -> int:
    from ..config import DATA_DIR, REPORTS_DIR, default_db_path

    if args.jobs < 1:
        print("Ошибка: --jobs должно быть не меньше 1", file=sys.stderr)
        return 2
    started = time.perf_counter()
    db_path = Path(args.db or default_db_path())
    data_dir = Path(args.data or DATA_DIR / "synth")
    try:
        _fresh_database(db_path)
        build(
            db_path,
            data_dir,
            seed=args.seed,
            schools=args.schools,
            municipalities=args.municipalities,
        )
    except (ValueError, FileNotFoundError) as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 2
    print(f"База данных: {db_path} ({time.perf_counter() - started:.0f} с)")
    if args.no_reports:
        return 0

    from .cycle import run_cycle

    _step(5, "отчёты стадий 00–08: регион и каждый муниципалитет")
    failed, page = run_cycle(
        db=db_path,
        year=0,
        levels=["region", "municipality"],
        out=args.out or REPORTS_DIR,
        jobs=args.jobs,
    )
    print(f"Готово за {time.perf_counter() - started:.0f} с.")
    print(f"Оглавление отчётов: {page.resolve()}")
    return 1 if failed else 0


def _step(number: int, text: str) -> None:
    print(f"[{number}/5] {text}", flush=True)


def _fresh_database(path: Path) -> None:
    """Remove a database that the demo built before; refuse to touch any other."""
    if not path.exists():
        return
    from .. import db

    con = db.connect(path, read_only=True)
    try:
        has_meta = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
        ).fetchone()[0]
        mark = (
            con.execute("SELECT value FROM meta WHERE key = ?", [DEMO_KEY]).fetchone()
            if has_meta
            else None
        )
        (results,) = con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_name = 'results'"
        ).fetchone()
        if results:
            (results,) = con.execute("SELECT count(*) FROM results").fetchone()
    finally:
        con.close()
    if mark is None and results:
        raise ValueError(
            f"в базе данных {path} уже есть результаты, загруженные не демонстрацией: "
            "демонстрация её не перезапишет; укажите другой файл (--db) или удалите "
            "этот"
        )
    path.unlink()
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        wal.unlink()


def build(
    db_path: Path,
    data_dir: Path,
    *,
    seed: int,
    schools: int | None = None,
    municipalities: int | None = None,
) -> dict:
    """Steps 1–4 of the demo: region files, database, register, indicator values.

    Returns a dict of counts (files loaded, rows rejected, decisions, values).
    """
    import json

    from .. import db
    from ..config import load_params
    from ..decisions import load_register
    from ..indicators import compute
    from ..loaders import load_paths
    from ..synth import make_region

    defaults = load_params("synth")["defaults"]
    _step(1, f"синтетический регион (зерно {seed}) в {data_dir}")
    make_region(
        seed=seed,
        schools=schools or defaults["schools"],
        municipalities=municipalities or defaults["municipalities"],
        years=list(defaults["years"]),
        out_dir=data_dir,
        fmt=defaults["format"],
    )
    manifest = json.loads((data_dir / "manifest.json").read_text(encoding="utf-8"))
    files = [
        data_dir / f["path"] for f in manifest["files"] if f["kind"] in LOADED_KINDS
    ]

    con = db.connect(db_path)
    try:
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [DEMO_KEY, str(seed)])
        _step(2, f"загрузка {len(files)} файлов в базу данных")
        report = load_paths(con, files)
        rejected = sum(f.rejected for f in report.files)
        failed = [f for f in report.files if f.status == "failed"]
        print(
            f"      принято строк: {sum(f.accepted for f in report.files)}, "
            f"отклонено: {rejected}"
        )
        for f in failed:
            print(f"      не загружен {f.path.name}: {'; '.join(f.messages)}")

        _step(3, "реестр управленческих решений")
        register = load_register(con, data_dir / "decisions.csv")
        print(
            f"      решений: {len(register.decisions)}, "
            f"отклонено: {len(register.rejects)}"
        )
        for rec in register.rejects.to_dict("records"):
            print(f"      строка {rec['row']}, «{rec['column']}»: {rec['reason']}")

        _step(4, "значения показателей")
        computed = compute(con)
        values = computed["rows"] if isinstance(computed, dict) else int(computed)
        print(f"      значений: {values}")
    finally:
        con.close()
    return {
        "files": len(files),
        "rejected": rejected,
        "failed": len(failed),
        "decisions": len(register.decisions),
        "values": values,
    }
