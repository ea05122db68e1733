"""``cyclo decisions``: load the register of decisions, list it, export it with
the tables of stages 7–8."""

from __future__ import annotations

import argparse
import sys

from ..cli import add_db_argument

HELP = "реестр управленческих решений: загрузка, просмотр, оценка эффективности"

LEVEL_CHOICES = ("region", "municipality", "school")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_argument(parser)
    parser.add_argument(
        "files",
        nargs="*",
        metavar="ФАЙЛ",
        help="файлы реестра решений (CSV или XLSX) для загрузки",
    )
    parser.add_argument(
        "--list", action="store_true", help="показать реестр (для --level/--unit)"
    )
    parser.add_argument(
        "--xlsx",
        metavar="ФАЙЛ",
        help="записать реестр решений, эффективность мер, динамику и предложения "
        "(стадии 6–8) в XLSX",
    )
    parser.add_argument(
        "--level",
        choices=LEVEL_CHOICES,
        default="region",
        help="уровень единицы: region, municipality или school (по умолчанию region)",
    )
    parser.add_argument(
        "--unit", default="", metavar="КОД", help="код единицы; пусто — регион базы"
    )
    parser.add_argument(
        "--year",
        type=int,
        default=0,
        metavar="ГОД",
        help="учебный год; 0 — последний год с результатами",
    )


def run(args: argparse.Namespace) -> int:
    from .. import db
    from ..decisions import RegisterError, load_register, read_decisions

    if not (args.files or args.list or args.xlsx):
        print(
            "Ошибка: укажите файлы реестра для загрузки, --list или --xlsx",
            file=sys.stderr,
        )
        return 2
    status = 0
    try:
        con = db.connect(args.db, read_only=not args.files)
    except FileNotFoundError as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 2
    try:
        # Load the files named
        for path in args.files:
            try:
                result = load_register(con, path)
            except RegisterError as exc:
                print(f"Ошибка: {exc}", file=sys.stderr)
                status = 2
                continue
            if result.skipped:
                print(f"{path}: уже загружен ранее, пропущен")
                continue
            print(
                f"{path}: строк {result.rows_read}, принято решений "
                f"{len(result.decisions)}, отклонено {len(result.rejects)}"
            )
            for rec in result.rejects.head(20).to_dict("records"):
                print(
                    f"  строка {rec['row']}, столбец «{rec['column']}»: {rec['reason']}"
                )
            if len(result.rejects) > 20:
                print(f"  … и ещё {len(result.rejects) - 20} (таблица rejects)")
            if not result.valid:
                status = max(status, 1)

        unit_id, year = _resolve(con, args.level, args.unit, args.year)
        if args.list:
            table = read_decisions(con, level=args.level, unit_id=unit_id)
            if table.empty:
                print("Реестр решений пуст")
            for rec in table.to_dict("records"):
                print(
                    f"{rec['decision_id']}  {rec['date']}  {rec['status_name']:<13} "
                    f"{rec['body']}: {rec['use_name']}; цели: {rec['targets'] or '—'}"
                )
        if args.xlsx:
            from ..correction import stage_tables, write_workbook

            tables = stage_tables(con, level=args.level, unit_id=unit_id, year=year)
            path = write_workbook(args.xlsx, tables)
            print(f"Реестр решений, эффективность мер и предложения записаны в {path}")
    finally:
        con.close()
    return status


def _resolve(con, level: str, unit_id: str, year: int) -> tuple[str, int]:
    """The region of the database when no unit is named; the last year if 0."""
    if not unit_id and level == "region":
        row = con.execute(
            "SELECT territory_id FROM territories WHERE level = 'region' LIMIT 1"
        ).fetchone()
        unit_id = row[0] if row else ""
    if not year:
        row = con.execute("SELECT max(year) FROM forms").fetchone()
        year = int(row[0] or 0)
    return unit_id, year
