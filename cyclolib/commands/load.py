"""``cyclo load``: load exports into the database and print what was rejected."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

from .. import db
from ..cli import add_db_argument
from ..loaders import LAYOUT_NAMES, LoadReport, load_paths

HELP = "загрузить выгрузки результатов в базу данных"

STATUS = {"loaded": "загружен", "skipped": "пропущен", "failed": "ошибка"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="+", metavar="ФАЙЛ|КАТАЛОГ",
        help="файлы XLSX/CSV или каталоги (загружаются все файлы; список школ "
        "и описания КИМ — первыми)",
    )  # fmt: skip
    add_db_argument(parser)
    parser.add_argument(
        "--year", type=int, default=None, metavar="ГОД",
        help="год работы, если его нет ни в файле, ни в имени файла",
    )  # fmt: skip
    parser.add_argument(
        "--subject", default=None, metavar="КОД",
        help="код предмета из params/subjects.yaml (ma, ru, …), если его нет в файле",
    )  # fmt: skip
    parser.add_argument(
        "--grade", type=int, default=None, metavar="КЛАСС",
        help="класс работы, если его нет ни в файле, ни в имени файла",
    )  # fmt: skip
    parser.add_argument(
        "--rejects", default=None, metavar="ФАЙЛ.xlsx|csv",
        help="выгрузить таблицу отклонённых строк этой загрузки в файл",
    )  # fmt: skip
    parser.add_argument(
        "--replace", action="store_true",
        help="загрузить заново уже загруженные файлы: прежние данные этих файлов "
        "(результаты и отклонённые строки) заменяются",
    )  # fmt: skip
    parser.add_argument(
        "--no-progress", action="store_true", help="не показывать индикатор хода"
    )


def summary(report: LoadReport) -> str:
    """The report as Russian text: a table of files and the top reasons."""
    frame = report.to_frame()
    names = _short_names([f.path for f in report.files])
    table = pd.DataFrame(
        {
            "файл": names,
            "формат": frame["layout"].map(lambda v: LAYOUT_NAMES.get(v, "—")),
            "итог": frame["status"].map(STATUS),
            "строк": frame["rows_read"],
            "принято": frame["accepted"],
            "отклонено": frame["rejected"],
        }
    )
    lines = [table.to_string(index=False), ""]
    for f, name in zip(report.files, names, strict=True):
        if f.messages:
            lines.append(f"{name}:")
            lines.extend(f"  {m}" for m in f.messages)
    reasons = report.reasons
    if reasons:
        lines += ["", "Основные причины отклонения строк:"]
        for reason, n in reasons.most_common(10):
            lines.append(f"  {n:>7}  {reason}")
    totals = frame[["rows_read", "accepted", "rejected"]].sum()
    lines += [
        "",
        f"Итого: строк {totals['rows_read']}, принято {totals['accepted']}, "
        f"отклонено {totals['rejected']}.",
    ]
    return "\n".join(lines)


def _short_names(paths: list[Path]) -> list[str]:
    """Paths relative to their common folder: ``2020/Математика 4.xlsx``."""
    if not paths:
        return []
    try:
        root = Path(os.path.commonpath([p.resolve().parent for p in paths]))
        return [str(p.resolve().relative_to(root)) for p in paths]
    except ValueError:
        return [p.name for p in paths]


def export_rejects(con, load_ids: list[int], path: Path) -> int:
    """Write the rejects of the given loads to XLSX or CSV; returns the row count."""
    frame = con.execute(
        'SELECT load_id, file, sheet, "row", "column", reason, value, record '
        'FROM rejects WHERE list_contains($ids, load_id) ORDER BY load_id, file, "row"',
        {"ids": load_ids},
    ).df()
    frame.columns = [
        "загрузка", "файл", "лист", "строка", "столбец", "причина", "значение",
        "строка целиком",
    ]  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    else:
        frame.to_excel(path, index=False, sheet_name="Отклонённые строки")
    return len(frame)


def run(args: argparse.Namespace) -> int:
    if args.rejects and Path(args.rejects).suffix.lower() not in {".xlsx", ".csv"}:
        print(
            f"--rejects: ожидался файл .xlsx или .csv, получено «{args.rejects}»",
            file=sys.stderr,
        )
        return 2
    path = Path(args.db or db.default_db_path())
    in_memory = str(args.db) == ":memory:"
    created = [] if in_memory else _missing(path)
    report = None
    con = db.connect(args.db)
    try:
        report = load_paths(
            con,
            args.paths,
            year=args.year,
            subject=args.subject,
            grade=args.grade,
            progress=not args.no_progress and sys.stderr.isatty(),
            replace=args.replace,
        )
        print(summary(report))
        ids = [f.load_id for f in report.files if f.status == "loaded" and f.rejected]
        if ids:
            if args.rejects:
                n = export_rejects(con, ids, Path(args.rejects))
                print(f"Отклонённые строки ({n}) выгружены в {args.rejects}.")
            else:
                print(
                    "Отклонённые строки с причинами — в таблице rejects базы "
                    f"{args.db or db.default_db_path()}; выгрузить: "
                    "cyclo load … --rejects отклонённые.xlsx"
                )
    finally:
        con.close()
        # A load that stored nothing leaves no new database behind
        if created and (report is None or not report.loaded):
            _remove(created)
    return report.exit_status


def _missing(path: Path) -> list[Path]:
    """The database file and the folders above it that do not exist yet."""
    out = []
    for p in [path, *path.parents]:
        if p.exists():
            break
        out.append(p)
    return out


def _remove(created: list[Path]) -> None:
    """Remove the database file (and its WAL) and the emptied folders that
    connecting created: the first of ``created`` is the file."""
    file, *folders = created
    for p in (file, file.with_name(file.name + ".wal")):
        p.unlink(missing_ok=True)
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            break
