"""``cyclo search``: find units by a fragment and list the results they have."""

from __future__ import annotations

import argparse
import sys

from .. import db
from ..cli import add_db_argument
from ..config import LEVEL_NAMES
from ..search import results_for, search

HELP = "найти школы, муниципалитеты, классы и коды участников"

KIND_NAMES = {**LEVEL_NAMES, "student": "участник"}


# Columns of the results table as printed: names, not codes, of study and subject.
RESULT_HEADERS = {
    "study_name": "исследование",
    "year": "год",
    "subject_name": "предмет",
    "grade": "класс",
    "participants": "участников",
}


def _short(text: str, width: int = 60) -> str:
    """Long official names cut to fit a terminal line."""
    return text if len(text) <= width else text[: width - 1] + "…"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "text", nargs="+", metavar="ТЕКСТ",
        help="часть названия, логина, класса (4а, 4 А) или кода; несколько слов "
        "сужают поиск: «алейск 4а» — классы 4А школ Алейска",
    )  # fmt: skip
    add_db_argument(parser)
    parser.add_argument(
        "--limit", type=int, default=20, metavar="N",
        help="не больше N найденных единиц (по умолчанию 20)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    text = " ".join(args.text)
    try:
        con = db.connect(args.db, read_only=True)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        found = search(con, text, limit=args.limit)
        if found.empty:
            print(f"По запросу «{text}» ничего не найдено.")
            return 1
        shown = found.assign(
            kind=found["kind"].map(KIND_NAMES),
            name=found["name"].map(_short),
            parent=found["parent"].fillna("").map(_short),
        )
        shown.columns = ["вид", "код", "название", "входит в"]
        print(f"Найдено по запросу «{text}»: {len(found)}")
        print(shown.to_string(index=False))
        for row in found.head(5).itertuples(index=False):
            results = results_for(con, row.kind, row.id, names=True)
            print(f"\nРезультаты: {KIND_NAMES[row.kind]} {row.id} «{row.name}»")
            if results.empty:
                print("  результатов нет")
                continue
            table = results[list(RESULT_HEADERS)].rename(columns=RESULT_HEADERS)
            print(table.to_string(index=False))
        if len(found) > 5:
            print("\nРезультаты показаны для первых пяти найденных единиц.")
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        con.close()
    return 0
