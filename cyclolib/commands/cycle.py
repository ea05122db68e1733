"""``cyclo cycle``: the whole cycle for one unit, stage notebooks 00 to 08."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import add_db_argument

HELP = "весь цикл для одной единицы: отчёты стадий 00–08"

LEVEL_CHOICES = ("region", "municipality", "school")

# Notebooks 00 (the cyclogram) to 08 (correction) make up the cycle.
LAST_STAGE = 8


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_argument(parser)
    parser.add_argument(
        "--year",
        type=int,
        default=0,
        metavar="ГОД",
        help="учебный год (по умолчанию последний год в базе)",
    )
    parser.add_argument(
        "--level",
        choices=LEVEL_CHOICES,
        required=True,
        help="уровень единицы: region, municipality или school",
    )
    parser.add_argument(
        "--unit", required=True, metavar="КОД", help="код единицы (как в базе данных)"
    )
    parser.add_argument(
        "--out",
        default=None,
        metavar="КАТАЛОГ",
        help="каталог отчётов (по умолчанию reports/)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="число рабочих процессов",
    )
    parser.add_argument(
        "--private",
        action="store_true",
        help="служебные отчёты (с малыми группами и кодами участников) в "
        "отдельный каталог reports-private/; по умолчанию публичные",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="пересоздать отчёты, даже если ничего не менялось",
    )


def run(args: argparse.Namespace) -> int:
    from ..config import default_db_path

    if args.jobs < 1:
        print("Ошибка: --jobs должно быть не меньше 1", file=sys.stderr)
        return 2
    try:
        failed, page = run_cycle(
            db=args.db or default_db_path(),
            year=args.year,
            levels=[args.level],
            unit_ids=[args.unit],
            out=args.out,
            jobs=args.jobs,
            public=not args.private,
            force=args.force,
        )
    except (ValueError, FileNotFoundError) as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 2
    print(f"Оглавление отчётов: {page}")
    return 1 if failed else 0


def run_cycle(
    *,
    db,
    year: int,
    levels,
    unit_ids=(),
    within: str | None = None,
    out=None,
    jobs: int = 1,
    public: bool = True,
    force: bool = False,
) -> tuple[int, Path]:
    """Run stage notebooks 00–08 for the units and write the stage 8 workbooks.

    Progress and failures are printed (in Russian) to stderr. Returns the
    number of failed reports and the path of ``index.html``.
    """
    from .. import db as dbmod
    from ..config import reports_root
    from ..correction import stage_tables, write_workbook
    from ..nb import iter_notebooks
    from ..reports import index, runner

    # The eight stages and the cyclogram: notebooks 00 to 08 (not the extras)
    stages = [
        p.stem
        for p in iter_notebooks()
        if p.stem[:2].isdigit() and int(p.stem[:2]) <= LAST_STAGE
    ]
    batch = runner.plan(
        stages=stages,
        db=db,
        year=year,
        levels=levels,
        unit_ids=unit_ids,
        within=within,
        out=out,
        public=public,
        force=force,
    )
    total = len(batch.jobs) + len(batch.skipped)
    print(
        f"Отчётов: {total}; без изменений: {len(batch.skipped)}; "
        f"к выполнению: {len(batch.jobs)}",
        file=sys.stderr,
    )
    done = [0]

    def progress(job, outcome) -> None:
        done[0] += 1
        mark = "ошибка" if outcome.status == "failed" else f"{outcome.seconds:.1f} с"
        print(
            f"  [{done[0]}/{len(batch.jobs)}] {job.unit['name']} · {job.stage}: {mark}",
            file=sys.stderr,
        )
        if outcome.status == "failed":
            print(
                f"    {outcome.error}; тетрадь: {outcome.ipynb or 'нет'}",
                file=sys.stderr,
            )

    runner.run(batch, workers=jobs, progress=progress)

    # The stage 8 workbook of each unit, beside its reports
    root = Path(out or reports_root(public))
    con = dbmod.connect(db, read_only=True)
    try:
        seen = set()
        for job in batch.jobs:  # skipped units keep the workbook made with them
            unit = job.unit
            if unit["unit_id"] in seen:
                continue
            seen.add(unit["unit_id"])
            tables = stage_tables(
                con,
                level=unit["level"],
                unit_id=unit["unit_id"],
                year=job.parameters["year"],
            )
            write_workbook(Path(job.out_dir) / "08-correction.xlsx", tables)
    finally:
        con.close()

    page = index.write_index(root)
    failed = len(batch.failed)
    ok = sum(o.status == "done" for o in batch.outcomes)
    print(
        f"Готово: {ok}, без изменений: {len(batch.skipped)}, с ошибкой: {failed}",
        file=sys.stderr,
    )
    return failed, page
