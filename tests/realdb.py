"""Build a database from the real ВПР files of ../shared/data (for any test).

``build_real_db(path)`` loads the school list, the context form, the КИМ
descriptions and every export of 2020, 2021 and 2022 from
``../shared/data/vpr-altai`` into the database file ``path``.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from cyclolib import db
from cyclolib.config import SHARED_DATA_DIR
from cyclolib.loaders import LoadReport, load_paths

VPR_DIR = SHARED_DATA_DIR / "vpr-altai"


# The first build of a test session is kept and copied for later calls.
_built: dict[str, object] = {}


def build_real_db(path: str | Path) -> LoadReport:
    """Load every real file into the database ``path``; returns the load report.

    The first call of a session loads the files; later calls copy that
    database (a few hundred milliseconds instead of a full load).

    Raises ``FileNotFoundError`` when ../shared/data/vpr-altai is absent and
    ``RuntimeError`` when a file could not be loaded.
    """
    if not VPR_DIR.is_dir():
        raise FileNotFoundError(f"нет каталога с реальными данными {VPR_DIR}")
    cached = _built.get("path")
    if cached is None or not Path(cached).exists():
        folder = tempfile.mkdtemp(prefix="cyclo-realdb-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        cached = Path(folder) / "real.duckdb"
        con = db.connect(cached)
        try:
            report = load_paths(con, [VPR_DIR])
        finally:
            con.close()
        failed = [f for f in report.files if f.status == "failed"]
        if failed:
            raise RuntimeError("; ".join(m for f in failed for m in f.messages))
        _built.update(path=cached, report=report)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cached, path)
    return _built["report"]
