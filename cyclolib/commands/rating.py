"""``cyclo rating --level L``: a rating with rank intervals, tiers and the method."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from .. import db
from ..cli import add_db_argument
from ..config import REPORTS_DIR

HELP = "рейтинг муниципалитетов или школ с интервалами мест"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_argument(parser)
    parser.add_argument(
        "--level",
        choices=["municipality", "school"],
        default="municipality",
        help="уровень единиц рейтинга (по умолчанию municipality)",
    )
    parser.add_argument(
        "--year",
        type=int,
        default=None,
        metavar="ГОД",
        help="год процедуры (по умолчанию последний в базе)",
    )
    parser.add_argument(
        "--out",
        default=None,
        metavar="ФАЙЛ",
        help="XLSX-файл (по умолчанию reports/<год>/lists/rating-<уровень>-<год>.xlsx)",
    )
    parser.add_argument(
        "--top",
        type=int,
        default=20,
        metavar="N",
        help="сколько строк напечатать (по умолчанию 20; 0 — все)",
    )


def run(args: argparse.Namespace) -> int:
    from ..analysis import rating as rt
    from ..analysis._data import latest_year, unit_names
    from ..analysis.export import write_xlsx

    path = Path(args.db or db.default_db_path())
    try:
        con = db.connect(path, read_only=True)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        year = args.year or latest_year(con)
        if year is None:
            print(
                f"В базе {path} нет результатов: сначала загрузите данные",
                file=sys.stderr,
            )
            return 2
        table = rt.rating(con, year=year, level=args.level)
        method = rt.rating_method(level=args.level)
        names = unit_names(con)
    except ValueError as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 2
    finally:
        con.close()
    if table.empty:
        print(f"Нет результатов за {year} год", file=sys.stderr)
        return 1

    table.insert(1, "unit_name", table["unit_id"].map(lambda u: names.get(u, u)))
    table["tier"] = table["tier"].map(rt.TIERS)
    out = Path(
        args.out
        or REPORTS_DIR / str(year) / "lists" / f"rating-{args.level}-{year}.xlsx"
    )
    method_frame = pd.DataFrame({"Методика": method.splitlines()})
    write_xlsx(out, {"Рейтинг": table, "Методика": method_frame})

    print(f"Рейтинг, {year} год")
    print(method)
    print()
    shown = table if args.top == 0 else table.head(args.top)
    for _, row in shown.iterrows():
        rank = (
            "—"
            if pd.isna(row["rank"])
            else (f"{row['rank']} ({row['rank_low']}–{row['rank_high']})")
        )
        print(
            f"  {rank:>14}  {str(row['unit_name'])[:50]:<50}  "
            f"{row['score']:+.2f}  {row['tier']}"
        )
    if len(shown) < len(table):
        print(f"  … ещё {len(table) - len(shown)} строк в файле")
    print(f"Рейтинг записан: {out}")
    return 0
