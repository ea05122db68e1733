"""Loaders: every supported file, recognised by its shape, into the database.

:func:`load_paths` is the one entry point; :func:`detect_layout` names the
layout of a file from its sheet names and header row, never from its name.

Layouts: ``vpr2020`` (raw system export), ``vpr2021`` («Проведение работы»),
``vpr2022`` (upload form with sheets «Классы» and «Протокол»), ``schools``
(school list), ``school_context`` (context form), ``kim`` (ALL.xlsx),
``kim_kes`` (KS.xlsx), ``kim_kt`` (KT.xlsx) and ``exchange`` (the exchange
format of docs/exchange-format.md).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from .. import db
from . import exchange, kim, schools, vpr
from ._read import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    Table,
    UnreadableFileError,
    read_headers,
    read_tables,
)
from ._results import ensure_form, next_id, store, validate

__all__ = [
    "FileReport",
    "LoadReport",
    "UnreadableFileError",
    "detect_layout",
    "load_paths",
]

log = logging.getLogger(__name__)

# Order of loading within one call: reference data before the results.
PRIORITY = {
    "schools": 0,
    "school_context": 1,
    "kim": 2,
    "kim_kes": 3,
    "kim_kt": 3,
    "exchange": 4,
    "vpr2020": 5,
    "vpr2021": 5,
    "vpr2022": 5,
}
LAYOUT_NAMES = {
    "vpr2020": "ВПР, выгрузка системы 2020",
    "vpr2021": "ВПР, «Проведение работы» 2021",
    "vpr2022": "ВПР, протокол 2022",
    "schools": "список школ",
    "school_context": "контекстные данные ОО",
    "kim": "описание КИМ (задания)",
    "kim_kes": "описание КИМ (коды КЭС)",
    "kim_kt": "описание КИМ (коды КТ)",
    "exchange": "формат обмена",
}


@dataclass
class FileReport:
    """What happened to one file."""

    path: Path
    layout: str | None = None
    status: str = "failed"  # loaded | skipped | failed
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    reasons: Counter = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)
    load_id: int | None = None


@dataclass
class LoadReport:
    """The outcome of :func:`load_paths`, one :class:`FileReport` per file."""

    files: list[FileReport] = field(default_factory=list)

    @property
    def loaded(self) -> bool:
        """Whether any file was stored (status ``loaded``)."""
        return any(f.status == "loaded" for f in self.files)

    @property
    def exit_status(self) -> int:
        """0 nothing rejected, 1 some rows rejected, 2 a file could not be read."""
        if any(f.status == "failed" for f in self.files):
            return 2
        return 1 if any(f.rejected for f in self.files) else 0

    @property
    def reasons(self) -> Counter:
        total: Counter = Counter()
        for f in self.files:
            total.update(f.reasons)
        return total

    def to_frame(self) -> pd.DataFrame:
        """One row per file: ``file, layout, status, rows_read, accepted, rejected``."""
        return pd.DataFrame(
            [
                {
                    "file": f.path.name,
                    "layout": f.layout,
                    "status": f.status,
                    "rows_read": f.rows_read,
                    "accepted": f.accepted,
                    "rejected": f.rejected,
                }
                for f in self.files
            ],
            columns=["file", "layout", "status", "rows_read", "accepted", "rejected"],
        )


# -- detection -------------------------------------------------------------------


def _classify(headers: dict[str | None, list[str]]) -> str | None:
    sheets = {str(s).strip().lower() for s in headers if s is not None}
    if "протокол" in sheets:
        protocol = next(
            h for s, h in headers.items() if str(s).strip().lower() == "протокол"
        )
        low = {x.lower() for x in protocol}
        if {"код", "итого баллов", "школа"} <= low:
            return "vpr2022"
    kinds = []
    for header in headers.values():
        low = [x.lower() for x in header]
        lows = set(low)
        if {"groups", "user", "code", "otc", "sum"} <= lows:
            return "vpr2020"
        if {"логин школы", "код обучающегося", "всего баллов"} <= lows and any(
            x.startswith("балл за") for x in low
        ):
            return "vpr2021"
        if "логин" in lows and "название оо" in lows:
            return "school_context"
        if {"логин", "имя", "регион"} <= lows:
            return "schools"
        if any(kim.COLUMNS["label"].match(x) for x in header) and any(
            kim.COLUMNS["max"].match(x) for x in header
        ):
            return "kim"
        if len(low) >= 2 and low[0] == "код":
            if low[1].startswith("проверяемые элементы содержания"):
                return "kim_kes"
            if low[1].startswith("проверяемые требования"):
                return "kim_kt"
        kinds.append(exchange.table_kind(header))
    if any(kinds):
        return "exchange"
    return None


def _unknown(path: Path, headers: dict) -> UnreadableFileError:
    first = next(iter(headers.values()), [])
    shown = ", ".join(h for h in first[:8] if h) or "пусто"
    return UnreadableFileError(
        f"{path.name}: неизвестный формат файла; заголовок: {shown}. Ожидались "
        "выгрузки ВПР 2020–2022, список школ, контекстные данные ОО, описание КИМ "
        "или формат обмена (docs/exchange-format.md)"
    )


def detect_layout(path: str | Path) -> str:
    """The layout of a file, from its sheet names and header rows.

    Raises
    ------
    UnreadableFileError
        The file cannot be read or its layout is unknown (message in Russian).
    """
    path = Path(path)
    if not path.is_file():
        raise UnreadableFileError(f"{path}: файл не найден")
    headers = read_headers(path)
    layout = _classify(headers)
    if layout is None:
        raise _unknown(path, headers)
    return layout


# -- loading --------------------------------------------------------------------


def _exchange_rank(path: Path) -> float:
    """Exchange files with schools go first, then those with items, then results."""
    kinds = {exchange.table_kind(h) for h in read_headers(path).values()}
    if "schools" in kinds:
        return PRIORITY["schools"] + 0.5
    if "items" in kinds:
        return PRIORITY["kim"] + 0.5
    return PRIORITY["exchange"]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def expand(paths) -> list[Path]:
    """Files named, and every XLSX/CSV file under the folders named."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(
                sorted(
                    f
                    for f in p.rglob("*")
                    if f.is_file()
                    and f.suffix.lower() in EXCEL_SUFFIXES | CSV_SUFFIXES
                    and not f.name.startswith(("~$", "."))
                )
            )
        else:
            out.append(p)
    return out


def load_paths(
    con: duckdb.DuckDBPyConnection,
    paths,
    *,
    year: int | None = None,
    subject: str | None = None,
    grade: int | None = None,
    progress: bool = False,
    replace: bool = False,
) -> LoadReport:
    """Load files and folders into the database, each file in one transaction.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        An open database (``cyclolib.db.connect``).
    paths : path or list of paths
        Files, or folders whose XLSX and CSV files are all loaded (recursively).
        School lists, context forms and КИМ descriptions go first.
    year, subject, grade : optional
        The form of result files whose content and name do not say it.
    progress : bool
        Show a progress bar naming the file being loaded (on stderr).
    replace : bool
        Load again a file whose hash is already recorded: what its earlier
        load stored (results, task scores, rejects) is removed in the same
        transaction, so a file first loaded before its school list can be
        loaded again once the list is in.

    Returns
    -------
    LoadReport
        Per file: status ``loaded`` / ``skipped`` (already loaded: same sha256) /
        ``failed`` (cannot be read; nothing of it is stored), rows read, accepted,
        rejected, the reasons of rejection counted, and messages.
    """
    options = {"year": year, "subject": subject, "grade": grade}
    files = expand(paths)
    reports: dict[Path, FileReport] = {}
    order = []
    rank: dict[Path, float] = {}
    for path in files:
        report = reports[path] = FileReport(path=path)
        try:
            if not path.is_file():
                raise UnreadableFileError(f"{path}: файл не найден")
            report.layout = detect_layout(path)
            order.append(path)
            rank[path] = PRIORITY.get(report.layout, 9)
            if report.layout == "exchange":
                rank[path] = _exchange_rank(path)
        except UnreadableFileError as exc:
            report.messages.append(str(exc))
    order.sort(key=lambda p: rank[p])

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(order), unit="файл", leave=False)
    wanted = [replace or _is_new(con, p, reports[p].layout, options) for p in order]
    with _Prefetch(order, wanted) as tables:
        for path in order:
            if bar is not None:
                bar.set_description(path.name[:40])
            _load_file(con, reports[path], options, tables, replace=replace)
            if bar is not None:
                bar.update()
    if bar is not None:
        bar.close()
    return LoadReport(files=[reports[p] for p in files])


def _is_new(con, path: Path, layout: str, options: dict) -> bool:
    digest = load_identity(path, layout, options)
    return not con.execute("SELECT 1 FROM loads WHERE sha256 = ?", [digest]).fetchall()


KIM_LAYOUTS = ("kim", "kim_kes", "kim_kt")


def load_identity(path: Path, layout: str, options: dict) -> str:
    """The hash that tells a file already loaded: the sha256 of its bytes,
    and for a КИМ description also of the form its folder names.

    The same description is often copied into the folder of each year: each
    copy describes another form and must load, while loading one copy twice
    adds nothing.
    """
    digest = sha256(path)
    if layout in KIM_LAYOUTS:
        hints = vpr.Hints()
        kim.kim_hints(path, hints)
        vpr.option_hints(hints, options["year"], options["subject"], options["grade"])
        if None not in (hints.year, hints.subject, hints.grade):
            form = kim.require_form(hints, path).form_id
            digest = hashlib.sha256(f"{digest}:{form}".encode()).hexdigest()
    return digest


class _Prefetch:
    """Read the next files in worker processes while the current one is stored.

    Reading XLSX is the slowest step and holds the interpreter lock, so two
    worker processes read ahead; small batches are read in place.
    """

    def __init__(self, paths: list[Path], wanted: list[bool]):
        self.paths = [p for p, w in zip(paths, wanted, strict=True) if w]
        self.pool = None
        self.futures = {}

    def __enter__(self):
        # CSV files are read quickly by pandas: handing their frames back from
        # a worker would cost more than reading them here.
        big = [
            p
            for p in self.paths
            if p.stat().st_size > 1 << 20 and p.suffix.lower() in EXCEL_SUFFIXES
        ]
        if len(big) > 1:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            try:
                self.pool = ProcessPoolExecutor(
                    max_workers=2, mp_context=mp.get_context("fork")
                )
                self.futures = {p: self.pool.submit(read_tables, p) for p in big}
            except (AssertionError, OSError, ValueError) as exc:
                # e.g. inside a daemonic worker, which may not have children
                log.debug("чтение в этом процессе: %s", exc)
                self.__exit__()
                self.pool, self.futures = None, {}
        return self

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def get(self, path: Path) -> list[Table]:
        future = self.futures.pop(path, None)
        if future is None:
            return read_tables(path)
        try:
            return future.result()
        except UnreadableFileError:
            raise
        except Exception as exc:  # a broken worker: read again here
            log.debug("упреждающее чтение %s не удалось: %r", path, exc)
            return read_tables(path)


def _load_file(
    con, report: FileReport, options: dict, tables: _Prefetch, *, replace: bool
) -> None:
    path = report.path
    digest = load_identity(path, report.layout, options)
    seen = con.execute(
        "SELECT load_id, loaded_at FROM loads WHERE sha256 = ? "
        "ORDER BY load_id LIMIT 1",
        [digest],
    ).fetchall()
    earlier = []
    if seen and replace:
        earlier = [
            r[0]
            for r in con.execute(
                "SELECT load_id FROM loads WHERE sha256 = ?", [digest]
            ).fetchall()
        ]
    elif seen:
        seen = seen[0]
        report.status = "skipped"
        report.load_id = seen[0]
        report.messages.append(
            f"файл уже загружен ({seen[1]:%d.%m.%Y %H:%M}, загрузка №{seen[0]}): "
            "ничего не добавлено (загрузить заново: --replace)"
        )
        return
    try:
        tables = tables.get(path)
        with db.transaction(con):
            if earlier:
                _forget_loads(con, earlier)
                report.messages.append(
                    "файл загружен заново: данные прежней загрузки "
                    f"№{', №'.join(map(str, earlier))} заменены"
                )
            load_id = next_id(con, "loads", "load_id")
            con.execute(
                "INSERT INTO loads (load_id, path, sha256, layout, loaded_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [load_id, str(path), digest, report.layout, datetime.now()],
            )
            rejects = LOADERS[report.layout](con, tables, report, options, load_id)
            if rejects:
                frame = pd.concat(rejects, ignore_index=True)
                frame["load_id"] = load_id
                frame["row"] = frame["row"].astype("Int64")
                db.append(con, "rejects", frame)
            con.execute(
                "UPDATE loads SET rows_read = ?, rows_accepted = ?, rows_rejected = ? "
                "WHERE load_id = ?",
                [report.rows_read, report.accepted, report.rejected, load_id],
            )
        report.status = "loaded"
        report.load_id = load_id
    except UnreadableFileError as exc:
        _failed(report, str(exc))
    except Exception as exc:  # a broken file must not stop the other files
        log.exception("загрузка %s не удалась", path)
        _failed(report, f"{path.name}: файл не загружен из-за ошибки: {exc}")


def _forget_loads(con, load_ids: list[int]) -> None:
    """Remove what the given loads stored; the caller holds the transaction."""
    ids = {"ids": load_ids}
    con.execute(
        "DELETE FROM task_scores WHERE result_id IN "
        "(SELECT result_id FROM results WHERE list_contains($ids, load_id))",
        ids,
    )
    for table in ("results", "rejects", "loads"):
        con.execute(f"DELETE FROM {table} WHERE list_contains($ids, load_id)", ids)


def _failed(report: FileReport, message: str) -> None:
    report.status = "failed"
    report.rows_read = report.accepted = report.rejected = 0
    report.reasons = Counter()
    report.messages.append(message)


def _sources(hints: vpr.Hints) -> str:
    """``год 2021 (из имени файла), предмет ma (…), класс 4 (…)``."""
    return ", ".join(
        f"{label} {getattr(hints, field)} ({hints.sources.get(field, 'из файла')})"
        for label, field in (
            ("год", "year"),
            ("предмет", "subject"),
            ("класс", "grade"),
        )
    )


def _describe(report: FileReport, batch, hints: vpr.Hints, checked) -> None:
    report.messages.append(f"работа {batch.key.form_id}: {_sources(hints)}")
    report.messages.append(f"максимальные баллы заданий: {checked.max_source}")
    report.messages.extend(checked.warnings)


def _results(con, report: FileReport, batches, hints, load_id) -> list[pd.DataFrame]:
    known = set(con.execute("SELECT school_id FROM schools").df()["school_id"])
    rejects = []
    for batch in batches:
        batch = vpr.trim_to_form(batch)
        checked = validate(con, batch, known_schools=known)
        store(con, load_id, checked)
        report.rows_read += len(batch.data)
        report.accepted += len(checked.accepted)
        report.rejected += len(checked.rejects)
        report.reasons.update(checked.reasons)
        if hints is not None:
            _describe(report, batch, hints, checked)
        else:
            report.messages.append(
                f"работа {batch.key.form_id}: максимальные баллы заданий: "
                f"{checked.max_source}"
            )
            report.messages.extend(checked.warnings)
        rejects.append(checked.rejects)
    return rejects


def _load_vpr2020(con, tables, report, options, load_id):
    table = tables[0]
    hints = vpr.Hints()
    batch = _read_with_hints(table, hints, options, vpr.read_2020)
    return _results(con, report, [batch], hints, load_id)


def _load_vpr2021(con, tables, report, options, load_id):
    table = next(t for t in tables if any(h.lower() == "логин школы" for h in t.header))
    hints = vpr.Hints()
    batch = _read_with_hints(table, hints, options, vpr.read_2021)
    return _results(con, report, [batch], hints, load_id)


def _load_vpr2022(con, tables, report, options, load_id):
    by_name = {str(t.sheet).strip().lower(): t for t in tables}
    protocol, classes = by_name["протокол"], by_name.get("классы")
    hints = vpr.Hints()
    batch = _read_with_hints(
        protocol, hints, options, lambda t, h: vpr.read_2022(t, classes, h)
    )
    return _results(con, report, [batch], hints, load_id)


def _read_with_hints(table: Table, hints: vpr.Hints, options: dict, reader):
    """Run a layout reader: its content first, then the file name, then options."""

    def later(h: vpr.Hints) -> None:
        vpr.name_hints(h, table.path.stem)
        vpr.option_hints(h, options["year"], options["subject"], options["grade"])

    hints.later = later
    return reader(table, hints)


def _load_schools(con, tables, report, options, load_id):
    table = next(
        t for t in tables if {"логин", "имя", "регион"} <= {x.lower() for x in t.header}
    )
    frame, territories, bad = schools.read_school_list(table)
    _upsert_territories(con, territories)
    _upsert_schools(con, frame)
    report.rows_read = len(table.frame)
    report.accepted = len(frame)
    report.rejected = len(bad)
    report.reasons.update({"неверный логин школы": len(bad)} if len(bad) else {})
    n_mun = int((territories["level"] == "municipality").sum())
    report.messages.append(f"школ: {len(frame)}, муниципалитетов: {n_mun}")
    return [_reject_frame(table, bad)] if len(bad) else []


def _upsert_territories(con, territories: pd.DataFrame) -> None:
    territories = territories.drop_duplicates("territory_id", keep="last")
    con.register("_territories", territories)
    try:
        con.execute(
            "INSERT INTO territories SELECT territory_id, name, level, parent_id "
            "FROM _territories ON CONFLICT (territory_id) DO UPDATE SET "
            "name = CASE WHEN excluded.name LIKE 'Регион %' THEN territories.name "
            "ELSE excluded.name END, parent_id = excluded.parent_id"
        )
    finally:
        con.unregister("_territories")


def _upsert_schools(con, frame: pd.DataFrame) -> None:
    cols = [c for c in db.table_columns(con, "schools") if c in frame.columns]
    sets = ", ".join(f"{c} = coalesce(excluded.{c}, schools.{c})" for c in cols[1:])
    names = ", ".join(cols)
    con.register("_schools", frame[cols])
    try:
        con.execute(
            f"INSERT INTO schools ({names}) SELECT {names} FROM _schools "
            f"ON CONFLICT (school_id) DO UPDATE SET {sets}"
        )
    finally:
        con.unregister("_schools")


def _reject_frame(table: Table, bad: pd.DataFrame) -> pd.DataFrame:
    from ._results import _records

    pos = {r: i for i, r in enumerate(table.rows)}
    idx = [pos[r] for r in bad["row"]]
    out = bad.copy()
    out["file"] = table.path.name
    out["sheet"] = table.sheet
    out["record"] = _records(table, pd.Index(idx).to_numpy())
    return out


def _load_context(con, tables, report, options, load_id):
    table = next(t for t in tables if "логин" in {x.lower() for x in t.header})
    year = schools.context_year(table.header)
    source = "из содержимого файла"
    if year is None:
        hints = vpr.Hints()
        vpr.name_hints(hints, table.path.stem)
        vpr.option_hints(hints, options["year"], None, None)
        year, source = hints.year, hints.sources.get("year")
    context, derived = schools.read_context(table, year)
    known = set(con.execute("SELECT school_id FROM schools").df()["school_id"])
    login_col = [x.lower() for x in table.header].index("логин")
    unknown = ~derived["school_id"].isin(known).to_numpy()
    report.rows_read = len(table.frame)
    report.rejected = int(unknown.sum())
    report.accepted = report.rows_read - report.rejected
    context = context[context["school_id"].isin(known)]
    db.append(con, "school_context", context)
    update = derived[~unknown]
    if len(update):
        con.register("_derived", update)
        try:
            sets = ", ".join(
                f"{c} = coalesce(d.{c}, schools.{c})"
                for c in update.columns
                if c != "school_id"
            )
            con.execute(
                f"UPDATE schools SET {sets} FROM _derived d "
                "WHERE schools.school_id = d.school_id"
            )
        finally:
            con.unregister("_derived")
    report.messages.append(
        f"год анкеты {year} ({source}); личные данные (ФИО, телефоны, адреса, e-mail) "
        "не сохраняются"
    )
    if not unknown.any():
        return []
    report.reasons["неизвестная школа"] = int(unknown.sum())
    logins = derived["school_id"][unknown]
    bad = pd.DataFrame(
        {
            "row": table.rows[unknown],
            "column": table.header[login_col],
            "reason": [
                f"неизвестная школа «{v}»: её нет в списке школ базы; "
                "анкета не сохранена"
                for v in logins
            ],
            "value": logins.to_numpy(),
        }
    )
    return [_reject_frame(table, bad)]


def _kim_form(table: Table, options: dict):
    hints = vpr.Hints()
    kim.kim_hints(table.path, hints)
    vpr.option_hints(hints, options["year"], options["subject"], options["grade"])
    return kim.require_form(hints, table.path), hints


def _load_kim(con, tables, report, options, load_id):
    table = tables[0]
    key, hints = _kim_form(table, options)
    items, codes = kim.read_items(table, key)
    ensure_form(
        con, key, list(items["task"]), list(items["max_score"]), list(items["level"])
    )
    con.execute("DELETE FROM items WHERE form_id = ?", [key.form_id])
    con.execute("DELETE FROM item_codes WHERE form_id = ?", [key.form_id])
    db.append(con, "items", items)
    db.append(con, "item_codes", codes)
    con.execute(
        "UPDATE forms SET n_tasks = ?, max_score = ? WHERE form_id = ?",
        [len(items), float(items["max_score"].sum()), key.form_id],
    )
    report.rows_read = len(table.frame)
    report.accepted = len(table.frame)
    report.messages.append(
        f"работа {key.form_id}: заданий {len(items)}, кодов КЭС/КТ {len(codes)}; "
        + _sources(hints)
    )
    return []


def _load_codes(kind: str):
    def load(con, tables, report, options, load_id):
        table = tables[0]
        key, _ = _kim_form(table, options)
        names = kim.read_code_names(table, key, kind)
        con.execute(
            "DELETE FROM code_names WHERE form_id = ? AND kind = ?", [key.form_id, kind]
        )
        db.append(con, "code_names", names)
        report.rows_read = report.accepted = len(table.frame)
        report.messages.append(f"работа {key.form_id}: названий кодов {len(names)}")
        return []

    return load


def _load_exchange(con, tables, report, options, load_id):
    kinds = [(t, exchange.table_kind(t.header)) for t in tables]
    for t, kind in kinds:
        if kind is None:
            report.messages.append(f"лист «{t.sheet}» не распознан и пропущен")
    rejects = []

    def problems(table, problem):
        bad = problem.notna().to_numpy()
        if bad.any():
            frame = pd.DataFrame(
                {
                    "row": table.rows[bad],
                    "column": "study, year, subject, grade",
                    "reason": problem[bad].to_numpy(),
                    "value": None,
                }
            )
            rejects.append(_reject_frame(table, frame))
            report.rejected += int(bad.sum())
            report.rows_read += int(bad.sum())
            report.reasons.update(Counter(problem[bad]))

    # Schools and territories first
    for table, kind in kinds:
        if kind == "schools":
            frame = exchange.read_schools(table)
            _store_exchange_schools(con, frame)
            report.rows_read += len(table.frame)
            report.accepted += len(frame)
    # Items, then results
    items: dict = {}
    for table, kind in kinds:
        if kind == "items":
            found, problem = exchange.read_items(table)
            items.update(found)
            problems(table, problem)
            report.rows_read += int(problem.isna().sum())
            report.accepted += int(problem.isna().sum())
            for key, part in found.items():
                _replace_items(con, key, part)
    for table, kind in kinds:
        if kind == "results":
            batches, problem = exchange.read_results(table, items)
            problems(table, problem)
            rejects.extend(_results(con, report, batches, None, load_id))
        elif kind == "responsibles":
            frame = exchange.read_responsibles(table)
            db.append(con, "responsibles", frame)
            report.rows_read += len(table.frame)
            report.accepted += len(frame)
    return rejects


def _replace_items(con, key, part: pd.DataFrame) -> None:
    ensure_form(
        con, key, list(part["task"]), list(part["max_score"]), list(part["level"])
    )
    con.execute("DELETE FROM items WHERE form_id = ?", [key.form_id])
    con.execute("DELETE FROM item_codes WHERE form_id = ?", [key.form_id])
    frame = part[["task", "max_score", "level", "skill"]].copy()
    frame.insert(0, "form_id", key.form_id)
    frame.insert(1, "position", range(1, len(frame) + 1))
    db.append(con, "items", frame)
    db.append(con, "item_codes", exchange.item_codes(key.form_id, part))


def _store_exchange_schools(con, frame: pd.DataFrame) -> None:
    rows = []
    for r in frame.itertuples(index=False):
        region = r.region_id or (
            schools.region_id(schools.region_code(r.school_id))
            if schools.region_code(r.school_id)
            else None
        )
        if region:
            rows.append((schools.COUNTRY_ID, schools.COUNTRY_NAME, "country", None))
            rows.append(
                (
                    region,
                    r.region_name or f"Регион {region}",
                    "region",
                    schools.COUNTRY_ID,
                )
            )
        if r.municipality_id:
            rows.append(
                (
                    r.municipality_id,
                    r.municipality_name or r.municipality_id,
                    "municipality",
                    region,
                )
            )
    if rows:
        _upsert_territories(
            con,
            pd.DataFrame(rows, columns=["territory_id", "name", "level", "parent_id"]),
        )
    frame = frame.copy()
    frame["region_id"] = [
        r or (schools.region_id(c) if c else None)
        for r, c in zip(
            frame["region_id"], frame["school_id"].map(schools.region_code), strict=True
        )
    ]
    _upsert_schools(con, frame.drop_duplicates("school_id", keep="last"))


LOADERS = {
    "vpr2020": _load_vpr2020,
    "vpr2021": _load_vpr2021,
    "vpr2022": _load_vpr2022,
    "schools": _load_schools,
    "school_context": _load_context,
    "kim": _load_kim,
    "kim_kes": _load_codes("kes"),
    "kim_kt": _load_codes("kt"),
    "exchange": _load_exchange,
}
