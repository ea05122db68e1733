"""``cyclo export indicators``: stored indicator values to CSV or XLSX."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import db
from ..cli import add_db_argument
from ..indicators import LEVELS, values
from ..xlsx import write_tables

HELP = "выгрузить значения показателей в CSV или XLSX"

# Columns shown as percents in the XLSX in rows of percent indicators.
PERCENT_VALUE_COLUMNS = ["value", "ci_low", "ci_high"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "what",
        choices=["indicators"],
        metavar="ЧТО",
        help="что выгрузить: indicators (значения показателей)",
    )
    add_db_argument(parser)
    parser.add_argument(
        "--format",
        choices=["csv", "xlsx"],
        default=None,
        help="формат файла (по умолчанию по расширению --out)",
    )
    parser.add_argument(
        "--out", required=True, metavar="ФАЙЛ", help="файл, в который выгрузить"
    )
    parser.add_argument("--level", choices=LEVELS, default=None, help="уровень единиц")
    parser.add_argument(
        "--unit",
        default=None,
        metavar="КОД",
        help="код единицы (территории, логин школы, класс)",
    )
    parser.add_argument(
        "--year", type=int, default=None, metavar="ГОД", help="год (сессии)"
    )
    parser.add_argument(
        "--study",
        default=None,
        metavar="ИССЛЕДОВАНИЕ",
        help="код исследования: vpr (ВПР), oge (ОГЭ), ege (ЕГЭ), …",
    )
    parser.add_argument(
        "--subject", default=None, metavar="ПРЕДМЕТ", help="код предмета (ma, ru, …)"
    )
    parser.add_argument(
        "--grade", type=int, default=None, metavar="КЛАСС", help="класс (параллель)"
    )
    parser.add_argument(
        "--indicator",
        action="append",
        default=None,
        metavar="ПОКАЗАТЕЛЬ",
        help="код показателя (можно повторять)",
    )


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    fmt = args.format or out.suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        print(
            f"Не удалось определить формат по файлу {out}: укажите --format csv "
            "или --format xlsx",
            file=sys.stderr,
        )
        return 2
    con = db.connect(args.db, read_only=Path(args.db or db.default_db_path()).exists())
    try:
        frame = values(
            con,
            level=args.level,
            unit_id=args.unit,
            year=args.year,
            study=args.study,
            subject=args.subject,
            grade=args.grade,
            indicator=args.indicator,
        )
    finally:
        con.close()
    if frame.empty:
        print(
            "Нет значений показателей под эти условия: проверьте фильтры или "
            "выполните cyclo compute",
            file=sys.stderr,
        )
        return 1
    try:
        if fmt == "csv":
            out.parent.mkdir(parents=True, exist_ok=True)
            # With a byte-order mark, so that Excel reads the Cyrillic names
            frame.to_csv(out, index=False, encoding="utf-8-sig")
        else:
            mask = frame["indicator"].str.endswith("_pct")
            write_tables(
                out,
                {"Показатели": frame},
                percent_rows={"Показатели": (PERCENT_VALUE_COLUMNS, mask)},
            )
    except (OSError, ValueError) as exc:
        print(f"Не удалось записать {out}: {exc}", file=sys.stderr)
        return 1
    print(f"Выгружено {len(frame)} строк в {out}")
    return 0
