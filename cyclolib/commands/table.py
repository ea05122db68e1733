"""``cyclo table``: any table of the suite to a formatted XLSX file.

A table is either a view of the exploration panel for one unit and form
(``summary``, ``units``, ``tasks``, ``heatmap``, ``distribution``, ``compare`` or
``all``), computed as the panel shows it, or a table of the database
(``schools``, ``indicator_values``, ``rejects`` …), written whole or for one year.
Either way the sheet has Russian headings, fitted widths and percent formats.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import db
from ..cli import add_db_argument
from ..explore import LEVELS, ExploreError, Explorer, save_tables
from ..explore.panel import VIEWS, view_tables
from ..explore.tables import TABLE_NAMES, from_database

HELP = "сохранить любую таблицу в оформленный XLSX"

#: Names of the panel's tables on the command line → views of the panel.
PANEL_TABLES = {
    "summary": "Итоги по единице",
    "units": "единицы уровнем ниже (муниципалитеты, школы, классы)",
    "tasks": "выполнение заданий",
    "heatmap": "карта «единицы × задания»",
    "distribution": "распределение первичных баллов",
    "compare": "сравнение с вышестоящей единицей, похожими и регионом",
    "all": "все таблицы панели, по листу на каждую",
}
_VIEW_OF = {"units": "drilldown", "summary": "drilldown"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    names = ", ".join(PANEL_TABLES)
    parser.add_argument(
        "name",
        metavar="ТАБЛИЦА",
        help=f"таблица панели ({names}) или таблица базы данных (schools, "
        "indicator_values, rejects …)",
    )
    add_db_argument(parser)
    parser.add_argument(
        "-o",
        "--out",
        metavar="ФАЙЛ",
        default=None,
        help="файл .xlsx (по умолчанию ТАБЛИЦА.xlsx в текущем каталоге)",
    )
    parser.add_argument(
        "--year",
        type=int,
        default=0,
        metavar="ГОД",
        help="учебный год (по умолчанию последний в базе; для таблиц базы — все)",
    )
    parser.add_argument(
        "--level",
        choices=LEVELS,
        default="region",
        help="уровень единицы для таблиц панели",
    )
    parser.add_argument(
        "--unit",
        default="",
        metavar="КОД",
        help="код единицы: территория, логин школы или класс (пусто — регион)",
    )
    parser.add_argument(
        "--study",
        default="",
        metavar="ИССЛЕДОВАНИЕ",
        help="код исследования: vpr (ВПР), oge (ОГЭ), ege (ЕГЭ), … "
        "(пусто — любое, по которому у единицы есть результаты)",
    )
    parser.add_argument(
        "--subject",
        default="",
        metavar="ПРЕДМЕТ",
        help="код предмета: ma (математика), ru (русский язык), … (пусто — любой)",
    )
    parser.add_argument(
        "--grade",
        type=int,
        default=0,
        metavar="КЛАСС",
        help="класс (параллель), например 4 (0 — любой)",
    )
    parser.add_argument(
        "--public",
        action="store_true",
        help="публичный режим: без групп меньше минимального размера",
    )


def panel_tables(con, args: argparse.Namespace) -> dict:
    """The tables of the panel named on the command line, by sheet name."""
    ex = Explorer(con, year=args.year)
    sel = ex.selection(
        args.level, args.unit, study=args.study, subject=args.subject, grade=args.grade
    )
    if args.name == "all":
        tables = {}
        for view in VIEWS:
            tables.update(view_tables(ex, sel, view))
    elif args.name == "summary":
        tables = {"Итоги": ex.summary(sel)}
    else:
        tables = view_tables(ex, sel, _VIEW_OF.get(args.name, args.name))
        if args.name != "distribution":
            tables.pop("Итоги", None)
    if args.public:
        from ..explore.panel import public_rows

        tables = {k: public_rows(v, ex.min_group)[0] for k, v in tables.items()}
    return tables


def database_table(con, name: str, year: int) -> dict:
    """A whole table of the database (one year of it when it has a year).

    The sheet has the table's Russian name and headings (see
    :mod:`cyclolib.explore.tables`), percent values shown as such.
    """
    columns = db.table_columns(con, name)
    if "year" in columns and year:
        frame = con.execute(f'SELECT * FROM "{name}" WHERE year = ?', [year]).df()
    else:
        frame = con.execute(f'SELECT * FROM "{name}"').df()
    return {TABLE_NAMES.get(name, name): from_database(frame, name)}


def run(args: argparse.Namespace) -> int:
    path = Path(args.db or db.default_db_path())
    try:
        con = db.connect(path, read_only=True)
    except FileNotFoundError as exc:
        print(f"ошибка: {exc}", file=sys.stderr)
        return 2
    known = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY 1"
        ).fetchall()
    ]
    out = Path(args.out or f"{args.name}.xlsx")
    try:
        if args.name in PANEL_TABLES:
            tables = panel_tables(con, args)
        elif args.name in known:
            tables = database_table(con, args.name, args.year)
        else:
            print(
                f"ошибка: неизвестная таблица «{args.name}»: допустимы таблицы "
                f"панели ({', '.join(PANEL_TABLES)}) и таблицы базы данных "
                f"({', '.join(known)})",
                file=sys.stderr,
            )
            return 2
        save_tables(out, tables)
    except (ExploreError, ValueError) as exc:
        print(f"ошибка: {exc}", file=sys.stderr)
        return 2
    finally:
        con.close()
    rows = sum(len(t) for t in tables.values())
    print(f"Сохранено: {out} (листов: {len(tables)}, строк: {rows})")
    return 0
