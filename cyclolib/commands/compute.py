"""``cyclo compute``: every approved indicator for every unit, into the database."""

from __future__ import annotations

import argparse
import sys
import time

from .. import db
from ..cli import add_db_argument
from ..indicators import LEVELS, compute
from ..indicators.catalogue import CatalogueError, load_catalogue

HELP = "рассчитать значения показателей для всех единиц"

LEVEL_NAMES = {
    "region": "регионов",
    "municipality": "муниципалитетов",
    "school": "школ",
    "class": "классов",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_argument(parser)
    parser.add_argument(
        "--year",
        type=int,
        default=None,
        metavar="ГОД",
        help="рассчитать только этот год (по умолчанию все годы базы)",
    )
    parser.add_argument(
        "--level",
        action="append",
        choices=LEVELS,
        default=None,
        metavar="УРОВЕНЬ",
        help="уровни единиц: region, municipality, school, class "
        "(можно повторять; по умолчанию все)",
    )
    parser.add_argument(
        "--catalogue",
        metavar="ФАЙЛ",
        default=None,
        help="каталог показателей (по умолчанию params/indicators.yaml)",
    )
    parser.add_argument(
        "--all-statuses",
        action="store_true",
        help="рассчитать и неутверждённые показатели (проекты, на экспертизе)",
    )


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        catalogue = load_catalogue(args.catalogue)
    except CatalogueError as exc:
        print(f"Ошибка в каталоге показателей: {exc}", file=sys.stderr)
        return 2
    con = db.connect(args.db)
    try:
        ((n_results,),) = con.execute("SELECT count(*) FROM results").fetchall()
        if not n_results:
            print(
                "В базе нет результатов: сначала загрузите данные (cyclo load)",
                file=sys.stderr,
            )
            return 1
        summary = compute(
            con,
            year=args.year,
            levels=args.level or LEVELS,
            catalogue=catalogue,
            approved_only=not args.all_statuses,
        )
    finally:
        con.close()

    counts = ", ".join(
        f"{summary[lv]} {LEVEL_NAMES[lv]}" for lv in LEVELS if summary.get(lv)
    )
    print(
        f"Рассчитано {summary['rows']} значений {summary['indicators']} "
        f"показателей для {counts or 'ни одной единицы'} "
        f"за {time.perf_counter() - started:.1f} с; "
        f"версия параметров {summary['version']}"
    )
    return 0
