"""``cyclo reports``: HTML reports of every unit of a level within a territory."""

from __future__ import annotations

import logging
import sys

from ..cli import add_db_argument
from ..config import reports_root

log = logging.getLogger(__name__)

HELP = "сформировать HTML-отчёты по единицам управления"

LEVEL_CHOICES = ("region", "municipality", "school")


def add_arguments(parser) -> None:
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
        action="append",
        choices=LEVEL_CHOICES,
        metavar="УРОВЕНЬ",
        help="уровень единиц: region, municipality или school; можно повторить "
        "(по умолчанию все три)",
    )
    parser.add_argument(
        "--within",
        metavar="КОД",
        help="территория: регион или муниципалитет, внутри которого берутся единицы",
    )
    parser.add_argument(
        "--unit",
        action="append",
        default=[],
        metavar="КОД",
        help="только эта единица (можно повторить)",
    )
    parser.add_argument(
        "--stages",
        default="",
        metavar="СПИСОК",
        help="стадии через запятую: номера (0,3) или имена тетрадей; по умолчанию все",
    )
    parser.add_argument(
        "--private",
        action="store_true",
        help="служебные отчёты (с малыми группами и кодами участников) в "
        "отдельный каталог reports-private/ — не публикуйте их; по умолчанию "
        "публичные",
    )
    parser.add_argument(
        "--date",
        default="",
        metavar="ГГГГ-ММ-ДД",
        help="дата отчёта в заголовке (по умолчанию сегодня)",
    )
    parser.add_argument(
        "--out",
        default=None,
        metavar="КАТАЛОГ",
        help="каталог отчётов (по умолчанию reports/)",
    )
    parser.add_argument(
        "--notebooks",
        default=None,
        metavar="КАТАЛОГ",
        help="каталог тетрадей стадий (по умолчанию notebooks/)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="число локальных рабочих процессов",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="АДРЕС",
        help="адрес планировщика Dask (tcp://host:port): пакет уходит на кластер",
    )
    parser.add_argument(
        "--engine",
        choices=("fork", "papermill"),
        default="fork",
        help="fork — быстрое выполнение в рабочих процессах; papermill — отдельное "
        "ядро Jupyter на каждый отчёт",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="пересоздать отчёты, даже если тетрадь, параметры и данные не менялись",
    )


def run(args) -> int:
    from ..config import default_db_path
    from ..reports import index, runner

    if args.jobs < 1:
        print("Ошибка: --jobs должно быть не меньше 1", file=sys.stderr)
        return 2
    try:
        batch = runner.plan(
            db=args.db or default_db_path(),
            year=args.year,
            levels=args.level or LEVEL_CHOICES,
            within=args.within,
            unit_ids=args.unit,
            stages=[s for s in args.stages.split(",") if s.strip()],
            public=not args.private,
            report_date=args.date,
            out=args.out,
            notebooks=args.notebooks,
            engine=args.engine,
            force=args.force,
        )
    except (ValueError, FileNotFoundError) as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 2

    total = len(batch.jobs) + len(batch.skipped)
    print(
        f"Отчётов: {total}; без изменений (пропущены): {len(batch.skipped)}; "
        f"к выполнению: {len(batch.jobs)}",
        file=sys.stderr,
    )
    bar = _progress_bar(len(batch.jobs))
    working: dict[int, object] = {}

    def start(job) -> None:
        working[id(job)] = job
        if bar is not None:
            bar.set_postfix_str(in_work(working.values()))

    def progress(job, outcome) -> None:
        working.pop(id(job), None)
        if bar is not None:
            bar.set_postfix_str(in_work(working.values()), refresh=False)
            bar.update(1)
        if outcome.status == "failed":
            message = (
                f"ОШИБКА: {job.unit['name']} ({job.unit['unit_id']}), {job.stage}: "
                f"{outcome.error}; выполненная тетрадь: {outcome.ipynb or 'нет'}"
            )
            (bar.write if bar is not None else print)(message, file=sys.stderr)

    runner.run(
        batch,
        workers=args.jobs,
        scheduler=args.scheduler,
        progress=progress,
        on_start=start,
    )
    if bar is not None:
        bar.close()
    out_root = runner.Path(args.out or reports_root(not args.private))
    page = index.write_index(
        out_root,
        date=batch.jobs[0].parameters["report_date"] if batch.jobs else args.date,
    )

    done = sum(o.status == "done" for o in batch.outcomes)
    failed = batch.failed
    print(
        f"Готово: {done}, пропущено без изменений: {len(batch.skipped)}, "
        f"с ошибкой: {len(failed)}. Оглавление: {page}",
        file=sys.stderr,
    )
    for outcome in failed:
        print(
            f"  {outcome.unit_name} ({outcome.unit_id}), {outcome.stage}: "
            f"{outcome.error}",
            file=sys.stderr,
        )
    return 1 if failed else 0


def in_work(jobs, *, shown: int = 3) -> str:
    """The progress bar's note: the units and stages being done now.

    «в работе: Школа № 1 · 03-data, Гимназия № 2 · 03-data»; past ``shown``
    jobs the rest are counted («и ещё 2»); empty when nothing is in work.
    """
    jobs = list(jobs)
    if not jobs:
        return ""
    names = [f"{job.unit['name']} · {job.stage}" for job in jobs[:shown]]
    more = f" и ещё {len(jobs) - shown}" if len(jobs) > shown else ""
    return f"в работе: {', '.join(names)}{more}"


def _progress_bar(total: int):
    if not total:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="отчёт", desc="Отчёты", file=sys.stderr)
