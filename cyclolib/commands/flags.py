"""``cyclo flags``: lists of schools for the expert and the authority.

``cyclo flags objectivity --year Y`` writes the list of schools with signs of
non-objective results in the published layout, the detailed figures of every
sign and the objectivity index; ``cyclo flags low-results`` writes the schools
with low results and the profile of each.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import db
from ..cli import add_db_argument
from ..config import REPORTS_DIR

HELP = "списки школ: признаки необъективности, низкие результаты"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "kind",
        choices=["objectivity", "low-results"],
        metavar="СПИСОК",
        help="objectivity (признаки необъективности) или low-results (ШНОР)",
    )
    add_db_argument(parser)
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
        help="XLSX-файл списка (по умолчанию reports/<год>/lists/<список>-<год>.xlsx)",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="включить в список и школы без признаков (только для objectivity)",
    )
    parser.add_argument(
        "--criterion",
        default=None,
        metavar="КРИТЕРИЙ",
        help="критерий ШНОР вместо заданного в params/low_results.yaml: "
        "low_quartile_share, mean_pct, fail_share",
    )


def run(args: argparse.Namespace) -> int:
    from ..analysis._data import latest_year

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
        out = Path(
            args.out or REPORTS_DIR / str(year) / "lists" / f"{args.kind}-{year}.xlsx"
        )
        if args.kind == "objectivity":
            return _objectivity(con, year, out, everyone=args.all)
        return _low_results(con, year, out, criterion=args.criterion)
    except ValueError as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 2
    finally:
        con.close()


def _objectivity(con, year: int, out: Path, *, everyone: bool) -> int:
    from ..analysis import objectivity as obj
    from ..analysis._data import unit_names
    from ..analysis.export import write_xlsx

    detail = obj.objectivity_signs(con, year=year)
    if detail.empty:
        print(f"Нет результатов ВПР 4 и 5 классов за {year} год", file=sys.stderr)
        return 1
    listing = obj.objectivity_list(detail, con, only_marked=not everyone)
    munis = obj.objectivity_index(detail, level="municipality")
    names = unit_names(con)
    munis.insert(1, "unit_name", munis["unit_id"].map(lambda u: names.get(u, u)))
    region = obj.objectivity_index(detail, level="region")
    region.insert(1, "unit_name", region["unit_id"].map(lambda u: names.get(u, u)))
    write_xlsx(
        out,
        {
            "Список": listing,
            "Показатели признаков": detail,
            "Индекс муниципалитетов": munis,
            "Индекс региона": region,
        },
    )

    schools = detail["school_id"].nunique()
    marked = int((detail.groupby("school_id")["n_signs"].max() > 0).sum())
    print(f"Признаки необъективности результатов, {year} год")
    print(
        f"  школ с результатами: {schools}; отмечено хотя бы по одному признаку: "
        f"{marked}"
    )
    for code, name in obj.SIGNS.items():
        count = int(detail.groupby("school_id")[code].max().sum())
        print(f"  {name}: {count}")
    for _, row in region.iterrows():
        print(f"  индекс объективности ({row['unit_name']}): {row['index']:.1f}")
    print(f"Список записан: {out}")
    return 0


def _low_results(con, year: int, out: Path, *, criterion: str | None) -> int:
    from ..analysis import low_results as lr
    from ..analysis.export import write_xlsx

    params = {"criterion": criterion} if criterion else None
    table = lr.low_results(con, year=year, params=params)
    if table.empty:
        print(f"Нет результатов за {year} год", file=sys.stderr)
        return 1
    profiles = lr.low_results_profiles(con, table, year=year, params=params)
    write_xlsx(out, {"Список ШНОР": profiles, "Все школы": table})
    print(f"Школы с низкими результатами, {year} год")
    print(
        f"  школ с результатами: {len(table)}; в нижней части кластера в этом году: "
        f"{int(table['low'].sum())}; в списке: {len(profiles)}"
    )
    print(f"Список записан: {out}")
    return 0
