"""The same batch on a real Dask cluster: a scheduler and two workers on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def _start(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "dask"), *args],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@pytest.fixture
def cluster(tmp_path):
    """Address of a scheduler with two single-threaded workers; torn down after."""
    if not (BIN / "dask").exists():
        pytest.skip(f"нет команды dask в {BIN}")
    info = tmp_path / "scheduler.json"
    procs = [
        _start(
            [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(info),
            ],
            tmp_path / "scheduler.log",
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not info.exists() or not info.read_text().strip():
            if time.monotonic() > deadline or procs[0].poll() is not None:
                raise RuntimeError((tmp_path / "scheduler.log").read_text())
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        for name in ("w1", "w2"):
            procs.append(
                _start(
                    [
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--name",
                        name,
                        "--no-dashboard",
                        "--local-directory",
                        str(tmp_path / name),
                    ],
                    tmp_path / f"{name}.log",
                )
            )
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.mark.slow
def test_a_small_batch_runs_on_a_dask_cluster(
    cluster, make_reports, small_db, tmp_path
):
    from cyclolib.reports import runner

    units = ["m01", "sch000103", "sch000201"]
    batch = runner.plan(
        db=small_db,
        unit_ids=units,
        stages=["0"],
        out=tmp_path / "dask",
        report_date="2024-06-01",
    )
    events = []
    runner.run(
        batch,
        scheduler=cluster,
        on_start=lambda job: events.append(("начат", job.unit["unit_id"])),
        progress=lambda job, _: events.append(("готов", job.unit["unit_id"])),
    )
    assert sorted(o.unit_id for o in batch.outcomes) == sorted(units)
    assert all(o.status == "done" for o in batch.outcomes), batch.failed
    # Two worker slots: two units begin at once, the third when one is done
    assert events[:2] == [("начат", "m01"), ("начат", "sch000103")]
    assert events[2][0] == "готов" and events[3] == ("начат", "sch000201")
    # Reference: the same reports made in this process
    local = make_reports(unit_ids=units, stages=["0"], out=tmp_path / "local")
    here = {o.unit_id: Path(o.html).read_bytes() for o in local.outcomes}
    for outcome in batch.outcomes:
        assert Path(outcome.html).read_bytes() == here[outcome.unit_id]
