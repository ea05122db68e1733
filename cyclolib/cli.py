"""The ``cyclo`` command line: one subcommand per job of the cycle.

Each subcommand lives in ``cyclolib.commands.<name>`` and exposes ``HELP`` (one
line in Russian), ``add_arguments(parser)`` and ``run(args) -> int``; modules are
imported only when their command runs, so ``cyclo --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import re
import sys

from . import __version__

# Subcommand name -> module of cyclolib.commands and its one-line help.
COMMANDS: dict[str, tuple[str, str]] = {
    "load": ("load", "загрузить выгрузки результатов в базу данных"),
    "search": ("search", "найти школы, муниципалитеты, классы и коды участников"),
    "synth": ("synth", "создать синтетический регион в форматах выгрузок"),
    "compute": ("compute", "рассчитать значения показателей для всех единиц"),
    "export": ("export", "выгрузить значения показателей в CSV или XLSX"),
    "reports": ("reports", "сформировать HTML-отчёты по единицам управления"),
    "demo": ("demo", "демонстрация: синтетический регион, база, показатели, отчёты"),
    "decisions": (
        "decisions",
        "реестр управленческих решений: загрузка, просмотр, оценка",
    ),
    "cycle": ("cycle", "весь цикл для одной единицы: отчёты стадий 00–08"),
    "flags": ("flags", "списки и таблицы анализа: необъективность, ШНОР, ресурсы"),
    "rating": ("rating", "рейтинг муниципалитетов или школ с интервалами мест"),
    "table": ("table", "сохранить любую таблицу в оформленный XLSX"),
}

# argparse's own English phrases, as the user should read them.
_MESSAGES = [
    (
        r"the following arguments are required: (.*)",
        r"не заданы обязательные аргументы: \1",
    ),
    (r"unrecognized arguments: (.*)", r"неизвестные аргументы: \1"),
    (
        r"argument (\S+): invalid choice: (.*) \(choose from (.*)\)",
        r"аргумент \1: недопустимое значение \2 (допустимо: \3)",
    ),
    (
        r"argument (\S+): invalid int value: (.*)",
        r"аргумент \1: недопустимое значение \2 (ожидалось целое число)",
    ),
    (
        r"argument (\S+): invalid float value: (.*)",
        r"аргумент \1: недопустимое значение \2 (ожидалось число)",
    ),
    (
        r"argument (\S+): invalid (\w+) value: (.*)",
        r"аргумент \1: недопустимое значение \3",
    ),
    (r"argument (\S+): expected one argument", r"аргумент \1: нужно одно значение"),
    (
        r"argument (\S+): expected at least one argument",
        r"аргумент \1: нужно хотя бы одно значение",
    ),
    (
        r"argument (\S+): ignored explicit argument (.*)",
        r"аргумент \1: значение \2 не принимается (это флаг без значения)",
    ),
    (
        r"ambiguous option: (\S+) could match (.*)",
        r"неоднозначный ключ \1: подходят \2",
    ),
    (
        r"invalid choice: (.*) \(choose from (.*)\)",
        r"недопустимое значение \1 (допустимо: \2)",
    ),
]


class RussianHelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help text with a Russian usage line."""

    def add_usage(self, usage, actions, groups, prefix=None):
        # argparse passes prefix="" when it builds a subcommand's prog: keep it
        prefix = "использование: " if prefix is None else prefix
        return super().add_usage(usage, actions, groups, prefix=prefix)


class Parser(argparse.ArgumentParser):
    """An argument parser whose help and errors are in Russian."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", RussianHelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "аргументы"
        self._optionals.title = "параметры"
        self.add_argument(
            "-h",
            "--help",
            action="help",
            default=argparse.SUPPRESS,
            help="показать эту справку и выйти",
        )

    def error(self, message: str):
        for pattern, repl in _MESSAGES:
            message = re.sub(pattern, repl, message)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: ошибка: {message}\n")


def build_parser() -> Parser:
    parser = Parser(
        prog="cyclo",
        description="cyclo: результаты оценочных процедур на всех стадиях "
        "циклограммы управления качеством образования.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"cyclo {__version__}",
        help="показать версию и выйти",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="подробный журнал работы"
    )
    sub = parser.add_subparsers(
        dest="command", title="команды", metavar="КОМАНДА", parser_class=Parser
    )
    for name, (_module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, description=help_text)
    return parser


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--db`` option shared by every command that opens the database."""
    parser.add_argument(
        "--db",
        metavar="ФАЙЛ",
        default=None,
        help="файл базы данных (по умолчанию $CYCLO_DB или data/cyclo.duckdb)",
    )


def configure_logging(verbose: bool = False) -> None:
    """Messages of the suite go to stderr; the library itself never prints."""
    level = logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
    for noisy in ("papermill", "traitlets", "distributed", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()

    # Let each subcommand declare its own arguments before parsing.
    subparsers = parser._subparsers._group_actions[0].choices  # noqa: SLF001
    wanted = next((a for a in argv if a in COMMANDS), None)
    if wanted is not None:
        module = importlib.import_module(f"cyclolib.commands.{COMMANDS[wanted][0]}")
        module.add_arguments(subparsers[wanted])

    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    configure_logging(args.verbose or bool(os.environ.get("CYCLO_VERBOSE")))
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        print("Прервано пользователем", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
