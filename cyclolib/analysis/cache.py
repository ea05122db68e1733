"""A file cache of region-wide analyses, shared by the reports of every unit.

The reports of all units of a region each need the same region-wide tables
(objectivity signs, value added, the rating...). ``cached`` computes such a
table once and keeps it beside the database as Parquet; the key holds the
database file's size and modification time and the content of params/, so a
new load or a changed parameter gives a fresh computation.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .. import __version__
from ..config import PARAMS_DIR

log = logging.getLogger(__name__)

__all__ = ["cache_dir", "cached"]


def cache_dir(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The cache folder of a database file (``<file>.analysis``), None in memory."""
    (path,) = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return None if not path else Path(str(path) + ".analysis")


def _key(con: duckdb.DuckDBPyConnection, name: str, args: dict[str, Any]) -> str:
    (path,) = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    stat = os.stat(path)
    digest = hashlib.sha256()
    digest.update(
        json.dumps(
            [name, args, __version__, stat.st_size, stat.st_mtime_ns],
            sort_keys=True,
            default=str,
        ).encode()
    )
    for yaml in sorted(Path(PARAMS_DIR).glob("*.yaml")):
        digest.update(yaml.name.encode() + yaml.read_bytes())
    return f"{name}-{digest.hexdigest()[:20]}"


def cached(
    con: duckdb.DuckDBPyConnection,
    name: str,
    args: dict[str, Any],
    compute: Callable[[], pd.DataFrame],
) -> pd.DataFrame:
    """Return ``compute()``, read from the cache when the same table was kept.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The database the table is computed from.
    name : str
        The table's name (part of the file name).
    args : dict
        The arguments the table depends on besides the database and params/
        (for example ``{"year": 2024}``).
    compute : callable
        Computes the table when it is not cached.

    Notes
    -----
    An in-memory database, or a folder that cannot be written, is never cached:
    the table is then computed each time. Files are written to a temporary name
    and renamed, so that parallel report processes never read half a file.
    """
    folder = cache_dir(con)
    if folder is None:
        return compute()
    path = folder / f"{_key(con, name, args)}.parquet"
    if path.exists():
        try:
            return pd.read_parquet(path)
        except (OSError, ValueError) as exc:
            log.warning("кэш анализа %s не читается (%s): расчёт заново", path, exc)
    frame = compute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        os.close(fd)
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except (OSError, ValueError, TypeError) as exc:
        log.debug("таблица %s не сохранена в кэше: %s", name, exc)
    return frame
