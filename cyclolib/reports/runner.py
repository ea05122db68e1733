"""The batch of reports: every chosen stage notebook for every unit of a level.

A batch is planned in the calling process (units, parameters, cache keys), then
each report is made by :func:`run_job`, which is the same function on every
executor: in the calling process, on local worker processes (``jobs > 1``) or on
the workers of a Dask distributed cluster (``scheduler``).

With the default ``fork`` engine a worker imports the scientific stack once and
forks a child per report; the child executes the notebook in-process, exports
the HTML and dies, so that no state passes from one report to the next. The
``papermill`` engine starts a real Jupyter kernel per report instead.

Files of a report go to ``<out>/<year>/<level>/<unit_id>/``: ``<stage>.html``,
the executed ``<stage>.ipynb``, ``<stage>.json`` (status, summary and the
cache key that lets a re-run skip unchanged reports) and the XLSX tables of a
notebook that declares an ``xlsx_dir`` parameter. Private reports go to
their own folder (``reports-private/`` by default) and are named
``<stage>.private.*``, so that they never mix with the public ones.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import NOTEBOOKS_DIR, PARAMS_DIR, ROOT, reports_root
from ..nb import BATCH_ENV, LEVEL_NAMES, LEVELS, iter_notebooks

log = logging.getLogger(__name__)

ENGINES = ("fork", "papermill")

#: Private reports are named ``<stage>.private.html``
PRIVATE_SUFFIX = ".private"

#: Parameters that do not change a report's content: left out of the cache key.
_NOT_CONTENT = frozenset({"report_date", "db", "xlsx_dir"})

#: A notebook that declares this parameter writes its XLSX tables there; the
#: runner gives it the unit's report folder.
XLSX_PARAMETER = "xlsx_dir"


@dataclass(frozen=True)
class Unit:
    """A unit of management: its level, code, name and parent territory."""

    level: str
    unit_id: str
    name: str
    parent_id: str | None = None


@dataclass
class Job:
    """One report to make: a stage notebook for one unit."""

    notebook: str
    stage: str
    unit: dict[str, Any]
    parameters: dict[str, Any]
    out_dir: str
    title: str
    key: str
    engine: str = "fork"
    #: Base name of the report's files: the stage, ``.private`` for private mode
    name: str = ""


@dataclass
class Outcome:
    """What became of one report."""

    stage: str
    level: str
    unit_id: str
    unit_name: str
    status: str  # done | skipped | failed
    html: str = ""
    ipynb: str = ""
    summary: str = ""
    error: str = ""
    seconds: float = 0.0
    size: int = 0


@dataclass
class Batch:
    """A planned batch and, once run, its outcomes."""

    jobs: list[Job]
    skipped: list[Outcome] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


# Planning ---------------------------------------------------------------------


def units(
    con, *, level: str, within: str | None = None, unit_ids: Iterable[str] = ()
) -> list[Unit]:
    """The units of ``level``, optionally inside territory ``within``.

    ``within`` is a region (for municipalities and schools) or a municipality
    (for schools). ``unit_ids`` keeps the listed units only.
    """
    if level not in LEVELS:
        raise ValueError(
            f"Недопустимый уровень {level!r}: ожидалось region, municipality или school"
        )
    if level == "school":
        sql = (
            "SELECT school_id, coalesce(name, school_id), municipality_id FROM schools"
        )
        if within:
            sql += (
                " WHERE municipality_id = ? OR region_id = ? OR municipality_id IN "
                "(SELECT territory_id FROM territories WHERE parent_id = ?)"
            )
        rows = con.execute(
            sql + " ORDER BY 1", [within] * 3 if within else []
        ).fetchall()
    else:
        sql = "SELECT territory_id, name, parent_id FROM territories WHERE level = ?"
        params = [level]
        if within and level == "municipality":
            sql += " AND parent_id = ?"
            params.append(within)
        if within and level == "region":
            sql += " AND territory_id = ?"
            params.append(within)
        rows = con.execute(sql + " ORDER BY 1", params).fetchall()
    wanted = set(unit_ids)
    found = [
        Unit(level, r[0], r[1], r[2]) for r in rows if not wanted or r[0] in wanted
    ]
    missing = sorted(wanted - {u.unit_id for u in found})
    if missing:
        raise ValueError(
            f"Единицы уровня «{LEVEL_NAMES[level]}» не найдены: {', '.join(missing)}"
        )
    return found


def stage_notebooks(stages: Iterable[str] = (), folder=None) -> list[Path]:
    """The stage notebooks, all or those whose number or name is listed.

    ``stages`` holds numbers (``0``, ``03``) or slugs (``03-data``).
    """
    paths = list(iter_notebooks(folder))
    wanted = [str(s).strip() for s in stages if str(s).strip()]
    if not wanted:
        return paths
    chosen = []
    for want in wanted:
        match = [
            p
            for p in paths
            if p.stem == want or (want.isdigit() and int(p.stem[:2]) == int(want))
        ]
        if not match:
            listed = ", ".join(p.stem for p in paths)
            raise ValueError(f"Нет тетради стадии {want!r}: есть {listed}")
        chosen += [p for p in match if p not in chosen]
    return chosen


def notebook_title(path: Path) -> str:
    """The first markdown heading of a notebook, without the ``#``."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return Path(path).stem


def notebook_parameters(path: Path) -> list[str]:
    """The names a notebook's cell tagged ``parameters`` assigns, in order,
    as papermill reads them (``papermill --help-notebook``)."""
    import papermill

    return list(papermill.inspect_notebook(str(path)))


def data_fingerprint(con) -> str:
    """A hash that changes whenever the database's content changes.

    Built from the row count of every table, the ``meta`` table, the loaded
    files' hashes, checksums of the results, task scores, indicator values and
    decisions, and the versions of parameters behind the indicator values.
    """
    parts = []
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' ORDER BY 1"
        ).fetchall()
    ]
    for table in tables:
        (n,) = con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0]
        parts.append(f"{table}:{n}")
    if "meta" in tables:
        parts += [
            f"{k}={v}"
            for k, v in con.execute("SELECT * FROM meta ORDER BY 1").fetchall()
        ]
    if "loads" in tables:
        parts.append(
            str(
                con.execute(
                    "SELECT max(load_id), string_agg(sha256, ',' ORDER BY load_id) "
                    "FROM loads"
                ).fetchall()[0]
            )
        )
    # Content checksums of the large tables: same sizes, other values still differ
    checksums = {
        "results": "result_id, school_id, primary_score, mark, journal_mark, absent",
        "task_scores": "result_id, position, score",
        "indicator_values": "unit_id, indicator, task, value, n",
        "decisions": "decision_id, status",
    }
    for table, columns in checksums.items():
        if table in tables:
            parts.append(
                str(
                    con.execute(f"SELECT sum(hash({columns})) FROM {table}").fetchall()[
                        0
                    ]
                )
            )
    if "indicator_values" in tables:
        parts.append(
            str(
                con.execute(
                    "SELECT string_agg(DISTINCT params_version, ',' "
                    "ORDER BY params_version) FROM indicator_values"
                ).fetchall()[0]
            )
        )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def code_fingerprint() -> str:
    """A hash of the suite's code and parameters: a change redoes the reports.

    Covers the library's Python files, the report templates and every file
    under ``params/`` (its sub-folders too: the experts' rating forms), each
    by its path inside its folder and its bytes.
    """
    digest = hashlib.sha256(__version__.encode())
    roots = [
        (ROOT, sorted((ROOT / "cyclolib").rglob("*.py"))),
        (Path(PARAMS_DIR), sorted(_files(Path(PARAMS_DIR)))),
        (ROOT, sorted((Path(__file__).parent / "templates").rglob("*.*"))),
    ]
    for root, files in roots:
        for path in files:
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _files(folder: Path) -> Iterator[Path]:
    """Every file under a folder, hidden ones and caches left out."""
    for path in folder.rglob("*"):
        parts = path.relative_to(folder).parts
        if any(p.startswith(".") or p == "__pycache__" for p in parts):
            continue
        if path.is_file():
            yield path


def unit_inputs(year: int, unit_id: str) -> str:
    """A hash of what a unit's reports read besides the database and params.

    That is the expert's conclusions of the unit and year
    (``data/conclusions/<year>/<unit_id>.yaml`` or under
    ``$CYCLO_CONCLUSIONS``): writing, editing or removing them redoes the
    unit's reports.
    """
    from ..analysis.conclusions import conclusions_path

    path = conclusions_path(year, unit_id)
    try:
        content = path.read_bytes()
    except OSError:
        return "нет"
    return hashlib.sha256(content).hexdigest()


def cache_key(
    notebook: Path,
    parameters: dict[str, Any],
    data: str,
    code: str,
    inputs: str = "",
) -> str:
    """The key of a report: notebook, parameters, data, code, the unit's files.

    ``inputs`` is :func:`unit_inputs` of the report's unit.
    """
    content = {k: v for k, v in parameters.items() if k not in _NOT_CONTENT}
    payload = json.dumps(
        {
            "notebook": hashlib.sha256(Path(notebook).read_bytes()).hexdigest(),
            "parameters": content,
            "data": data,
            "code": code,
            "inputs": inputs,
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def plan(
    *,
    db: str | Path,
    year: int = 0,
    levels: Iterable[str] = LEVELS,
    within: str | None = None,
    unit_ids: Iterable[str] = (),
    stages: Iterable[str] = (),
    public: bool = True,
    report_date: str = "",
    out: str | Path | None = None,
    notebooks: str | Path | None = None,
    engine: str = "fork",
    force: bool = False,
) -> Batch:
    """Plan a batch: one job per unit and stage, unchanged reports skipped.

    Parameters
    ----------
    db : str or Path
        The database file.
    year : int
        The school year; 0 gives the latest year with results.
    levels : iterable of str
        Levels whose units get reports (default: all three).
    within : str, optional
        A territory: the region, or a municipality for its schools.
    unit_ids : iterable of str
        Only these units.
    stages : iterable of str
        Stage numbers or notebook names; empty gives every stage notebook.
    public : bool
        Public mode of the notebooks.
    report_date : str
        The date printed on each report; empty gives today.
    out : str or Path, optional
        The reports folder; default ``reports/``, or ``reports-private/`` for
        private reports.
    notebooks : str or Path, optional
        The folder of stage notebooks; default ``notebooks/``.
    engine : {"fork", "papermill"}
    force : bool
        Redo reports even when their cache key is unchanged.
    """
    import datetime as dt

    from .. import db as dbmod

    if engine not in ENGINES:
        raise ValueError(
            f"Недопустимый способ выполнения {engine!r}: ожидалось fork или papermill"
        )
    db = str(Path(db).resolve())
    out = Path(out or reports_root(public)).resolve()
    report_date = report_date or dt.date.today().isoformat()
    notebook_paths = stage_notebooks(stages, notebooks)
    con = dbmod.connect(db, read_only=True)
    try:
        if not year:
            row = con.execute(
                "SELECT max(f.year) FROM forms f JOIN results USING (form_id)"
            ).fetchall()[0]
            year = int(row[0] or 0)
        if unit_ids:
            chosen = _units_by_id(con, levels, within, unit_ids)
        else:
            chosen = [u for lvl in levels for u in units(con, level=lvl, within=within)]
        data = data_fingerprint(con)
    finally:
        con.close()
    code = code_fingerprint()
    titles = {p: notebook_title(p) for p in notebook_paths}
    declared = {p: notebook_parameters(p) for p in notebook_paths}

    batch = Batch(jobs=[])
    for unit in chosen:
        folder = out / str(year) / unit.level / _safe(unit.unit_id)
        inputs = unit_inputs(year, unit.unit_id)
        for path in notebook_paths:
            parameters = {
                "level": unit.level,
                "unit_id": unit.unit_id,
                "year": year,
                "db": db,
                "public": public,
                "report_date": report_date,
            }
            if XLSX_PARAMETER in declared[path]:
                # Tables go beside the report, never into the repository's reports/
                parameters[XLSX_PARAMETER] = str(folder)
            key = cache_key(path, parameters, data, code, inputs)
            job = Job(
                notebook=str(path),
                stage=path.stem,
                unit=asdict(unit),
                parameters=parameters,
                out_dir=str(folder),
                title=f"{titles[path]} — {unit.name} — {report_date}",
                key=key,
                engine=engine,
            )
            job.name = path.stem + ("" if public else PRIVATE_SUFFIX)
            previous = _read_record(folder / f"{job.name}.json")
            if (
                not force
                and previous.get("key") == key
                and previous.get("status") == "done"
                and (folder / f"{job.name}.html").exists()
            ):
                batch.skipped.append(_outcome(job, "skipped", **_kept(previous)))
            else:
                batch.jobs.append(job)
    return batch


def _units_by_id(con, levels, within, unit_ids) -> list[Unit]:
    wanted = set(unit_ids)
    found = []
    for lvl in levels:
        found += [
            u for u in units(con, level=lvl, within=within) if u.unit_id in wanted
        ]
    missing = sorted(wanted - {u.unit_id for u in found})
    if missing:
        raise ValueError(f"Единицы не найдены в базе данных: {', '.join(missing)}")
    return found


def _safe(unit_id: str) -> str:
    """A unit id usable as a folder name."""
    return re.sub(r"[^\w.-]", "_", unit_id)


def _read_record(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _kept(record: dict[str, Any]) -> dict[str, Any]:
    return {k: record.get(k, "") for k in ("html", "ipynb", "summary")} | {
        "size": int(record.get("size", 0))
    }


def _outcome(job: Job, status: str, **kws) -> Outcome:
    return Outcome(
        stage=job.stage,
        level=job.unit["level"],
        unit_id=job.unit["unit_id"],
        unit_name=job.unit["name"],
        status=status,
        **kws,
    )


# One report -----------------------------------------------------------------

_WARM_LOCK = threading.Lock()
_WARM = False
_NOTEBOOKS: dict[tuple[str, float], Any] = {}


def warm() -> None:
    """Import and initialise everything a report needs, once per process.

    Forked children inherit the imported modules, the IPython shell, the
    configured HTML exporter and matplotlib's font cache.
    """
    global _WARM
    with _WARM_LOCK:
        if _WARM:
            return
        os.environ[BATCH_ENV] = "1"
        os.environ.setdefault("MPLBACKEND", "agg")
        # jsonschema loads rfc3987_syntax when present, which compiles a grammar
        # for seconds; nbformat never validates IRIs, so keep it out of workers
        import sys

        if "jsonschema" not in sys.modules:
            sys.modules.setdefault("rfc3987_syntax", None)
        import matplotlib

        matplotlib.use("agg")
        import matplotlib.pyplot as plt
        import nbformat
        import pandas  # noqa: F401
        from papermill.parameterize import parameterize_notebook  # noqa: F401

        from . import cycle, execute, html  # noqa: F401

        _import_what_notebooks_use()
        execute.shell().run_cell("None", silent=True)
        html.exporter().from_notebook_node(nbformat.v4.new_notebook())
        fig = plt.figure(figsize=(2, 1))
        fig.gca().plot([0, 1], [0, 1], label="ё")
        fig.gca().set_title("тест")
        fig.savefig(os.devnull, format="png")
        plt.close(fig)
        _WARM = True


def _import_what_notebooks_use() -> None:
    """Import the library (every module of it: the notebooks may use any) and
    read the parameters, so that a forked child finds them ready (a first
    report in a cold process costs about 0.7 s more)."""
    import importlib
    import pkgutil

    import cyclolib

    from ..config import PARAMS_DIR, load_params
    from ..indicators.catalogue import CatalogueError, load_catalogue

    modules = ["scipy.stats", "mistune"]
    modules += [m.name for m in pkgutil.walk_packages(cyclolib.__path__, "cyclolib.")]
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:  # a report that needs it will say so
            log.debug("модуль %s не загружен заранее: %s", module, exc)
    for path in sorted(Path(PARAMS_DIR).glob("*.yaml")):
        load_params(path.stem)
    try:
        load_catalogue()
    except CatalogueError:  # reported by the reports that read it
        pass


def _notebook(path: str):
    from . import execute

    key = (path, os.path.getmtime(path))
    if key not in _NOTEBOOKS:
        _NOTEBOOKS[key] = execute.read(path)
    return _NOTEBOOKS[key]


def run_job(job: Job | dict[str, Any]) -> Outcome:
    """Make one report; never raises for a failing notebook.

    This is the function every executor runs (local process, worker pool,
    Dask worker). A failure is returned as an outcome with its error, and the
    executed notebook is kept beside where the report would be.
    """
    job = job if isinstance(job, Job) else Job(**job)
    started = time.perf_counter()
    if job.engine == "fork":
        warm()
        outcome = _in_child(_render, job)
    else:
        os.environ[BATCH_ENV] = "1"
        try:
            outcome = _render(job)
        except Exception as exc:  # noqa: BLE001 - reported as the unit's failure
            outcome = _outcome(job, "failed", error=_error_text(exc))
    outcome.seconds = round(time.perf_counter() - started, 3)
    return outcome


def _in_child(fn: Callable[[Job], Outcome], job: Job) -> Outcome:
    """Run ``fn(job)`` in a forked child; return its outcome."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: make the report, send the outcome, die
        os.close(read_end)
        code = 0
        try:
            payload = asdict(fn(job))
        except BaseException as exc:  # noqa: BLE001 - everything goes to the parent
            payload = asdict(_outcome(job, "failed", error=_error_text(exc)))
            code = 1
        try:
            with os.fdopen(write_end, "wb") as fh:
                fh.write(json.dumps(payload, ensure_ascii=False).encode())
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        data = fh.read()
    _, status = os.waitpid(pid, 0)
    if not data:
        return _outcome(
            job,
            "failed",
            error=f"процесс отчёта завершился аварийно (статус {status})",
        )
    return Outcome(**json.loads(data))


def _error_text(exc: BaseException) -> str:
    from .execute import CellError

    if isinstance(exc, CellError):
        return f"{exc.ename}: {exc.evalue} (ячейка {exc.cell_index + 1})"
    name = type(exc).__name__
    if name == "PapermillExecutionError":
        # Numbered as by the fork engine: the cell's place in the notebook
        return f"{exc.ename}: {exc.evalue} (ячейка {exc.cell_index + 1})"
    log.debug("отчёт не построен:\n%s", "".join(traceback.format_exception(exc)))
    return f"{name}: {exc}"


def _render(job: Job) -> Outcome:
    """Execute the notebook, write the executed copy, the HTML and the record."""
    import nbformat

    from . import html

    folder = Path(job.out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = job.name or job.stage
    page_path = folder / f"{name}.html"
    nb_path = folder / f"{name}.ipynb"
    record_path = folder / f"{name}.json"
    record = {
        "key": job.key,
        "title": job.title,
        **job.unit,
        "stage": job.stage,
        "public": bool(job.parameters.get("public", True)),
    }

    # A notebook left by an earlier run must not pass for this run's
    nb_path.unlink(missing_ok=True)
    try:
        executed = _execute(job, nb_path)
    except Exception as exc:
        executed = getattr(exc, "nb", None)
        if executed is not None:
            nbformat.write(executed, str(nb_path))
        page_path.unlink(missing_ok=True)
        error = _error_text(exc)
        # The record names the executed notebook only where it was kept
        kept = str(nb_path) if nb_path.exists() else ""
        record |= {"status": "failed", "error": error, "ipynb": kept}
        _write_record(record_path, record)
        return _outcome(job, "failed", error=error, ipynb=kept)

    footer = f"cyclo {__version__} · {job.parameters['report_date']}"
    page = html.to_html(executed, title=job.title, footer=footer)
    page_path.write_text(page, encoding="utf-8")
    nbformat.write(executed, str(nb_path))
    summary = html.summary(executed)
    size = len(page.encode("utf-8"))
    record |= {
        "status": "done",
        "html": str(page_path),
        "ipynb": str(nb_path),
        "summary": summary,
        "size": size,
    }
    _write_record(record_path, record)
    return _outcome(
        job, "done", html=str(page_path), ipynb=str(nb_path), summary=summary, size=size
    )


def _execute(job: Job, nb_path: Path):
    """The executed notebook, by the job's engine.

    The papermill engine writes the executed notebook to ``nb_path`` as it
    runs; when a cell fails, papermill marks the failure in that file (a cell
    tagged ``papermill-error-cell-tag`` at the top and before the failing
    cell), and so the file is what a failed unit keeps.
    """
    from papermill.parameterize import parameterize_notebook

    from . import execute

    cwd = str(Path(job.notebook).parent)
    if job.engine == "papermill":
        import papermill

        return papermill.execute_notebook(
            job.notebook,
            str(nb_path),
            parameters=job.parameters,
            kernel_name="python3",
            progress_bar=False,
            cwd=cwd,
        )
    nb = parameterize_notebook(_notebook(job.notebook), job.parameters)
    return execute.execute(nb, cwd=cwd)


def _write_record(path: Path, record: dict[str, Any]) -> None:
    path.write_text(
        json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True),
        encoding="utf-8",
    )


# Executors --------------------------------------------------------------------


def execute_jobs(
    jobs: list[Job],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    on_start: Callable[[Job], None] | None = None,
) -> Iterator[tuple[Job, Outcome]]:
    """Run jobs and yield each with its outcome as it completes.

    ``workers`` local processes (1: this process), or the workers of the Dask
    cluster whose scheduler listens at ``scheduler``. ``on_start(job)`` is
    called as each job begins: exactly in this process; for a pool or a
    cluster as estimated by :class:`_Starts` (jobs begin in the order they
    were submitted, as many at once as there are worker slots).
    """
    if scheduler:
        yield from _on_dask(jobs, scheduler, on_start)
    elif workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            if on_start is not None:
                on_start(job)
            yield job, run_job(job)
    else:
        yield from _on_pool(jobs, workers, on_start)


class _Starts:
    """Tell which jobs of a pool or a cluster have begun, in submission order.

    A process pool and a Dask scheduler both hand out jobs in the order they
    were submitted as workers come free: the first ``slots`` jobs begin at
    once, and one more each time a job ends. The pool does not report when a
    job begins, so this is the estimate the progress bar shows.
    """

    def __init__(self, jobs: list[Job], slots: int, on_start) -> None:
        self.jobs = jobs
        self.on_start = on_start
        self.begun = 0
        self.begin(max(int(slots), 1))

    def begin(self, count: int = 1) -> None:
        for _ in range(count):
            if self.begun >= len(self.jobs):
                return
            if self.on_start is not None:
                self.on_start(self.jobs[self.begun])
            self.begun += 1


def _on_pool(
    jobs: list[Job], workers: int, on_start=None
) -> Iterator[tuple[Job, Outcome]]:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = mp.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(run_job, job): job for job in jobs}
        starts = _Starts(jobs, workers, on_start)
        for future in as_completed(futures):
            job = futures[future]
            yield job, _result(job, future)
            # Resumed once the caller has taken the outcome: the next job begins
            starts.begin()


def _on_dask(
    jobs: list[Job], address: str, on_start=None
) -> Iterator[tuple[Job, Outcome]]:
    from distributed import Client, as_completed

    with Client(address, timeout=30) as client:
        futures = client.map(run_job, jobs, pure=False)
        by_key = dict(zip((f.key for f in futures), jobs, strict=True))
        starts = _Starts(jobs, sum(client.nthreads().values()), on_start)
        for future in as_completed(futures):
            job = by_key[future.key]
            yield job, _result(job, future)
            starts.begin()


def _result(job: Job, future) -> Outcome:
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - a worker lost is the unit's failure
        return _outcome(job, "failed", error=f"сбой исполнителя: {exc!r}")


def run(
    batch: Batch,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    progress: Callable[[Job, Outcome], None] | None = None,
    on_start: Callable[[Job], None] | None = None,
) -> Batch:
    """Run a planned batch; the outcomes (skipped ones first) fill ``batch``.

    ``progress(job, outcome)`` is called after each report, ``on_start(job)``
    as each report begins (see :func:`execute_jobs`).
    """
    batch.outcomes = list(batch.skipped)
    jobs = execute_jobs(
        batch.jobs, workers=workers, scheduler=scheduler, on_start=on_start
    )
    for job, outcome in jobs:
        batch.outcomes.append(outcome)
        if progress is not None:
            progress(job, outcome)
    return batch


def default_notebooks() -> Path:
    return NOTEBOOKS_DIR
