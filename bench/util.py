"""Measuring helpers: wall time and peak memory of a function in a child process."""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_module
import resource
import time
from collections.abc import Callable
from typing import Any


def _child(fn: Callable[..., Any], args: tuple, queue: mp.Queue) -> None:
    started = time.perf_counter()
    try:
        result = fn(*args)
        error = None
    except Exception as exc:  # report, do not hide
        result, error = None, repr(exc)
    seconds = time.perf_counter() - started
    # The largest process of the work: this one or a child it waited for
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    queue.put((seconds, max(peak_resident_mib(), children), result, error))


def peak_resident_mib() -> float:
    """Peak resident memory of this process, in MiB.

    Read from ``VmHWM`` of ``/proc/self/status``, the high-water mark of this
    process's own address space: ``getrusage``'s ``ru_maxrss`` survives an
    exec on Linux, so a spawned child would report the memory of the parent
    it was forked from. Elsewhere ``ru_maxrss`` is the fallback.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(fn: Callable[..., Any], *args: Any, method: str = "fork") -> dict[str, Any]:
    """Run ``fn(*args)`` in a child process; return seconds, peak MiB and result.

    The peak is that of the largest process of the work: the child, or a
    process the child started and waited for (a loader's read-ahead).

    ``method`` is how the child starts. With ``"fork"`` it starts as a copy of
    this process, and its peak resident memory counts the pages it shares with
    the parent at the time of the fork: fine when the parent is small. With
    ``"spawn"`` it is a fresh interpreter that imports ``fn``'s module, so the
    peak is that of the imports and the work alone, whatever the parent holds
    (``fn`` and ``args`` must then be picklable: module-level functions).
    """
    if method not in ("fork", "spawn"):
        raise ValueError(f"method должен быть fork или spawn, получено {method!r}")
    ctx = mp.get_context(method)
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn, args, queue))
    proc.start()
    # Wait for the report, but not for ever if the child died without one
    while True:
        try:
            seconds, peak_mib, result, error = queue.get(timeout=1)
            break
        except queue_module.Empty:
            if not proc.is_alive() and queue.empty():
                raise RuntimeError(
                    f"процесс замера завершился с кодом {proc.exitcode} без отчёта"
                ) from None
    proc.join()
    if error:
        raise RuntimeError(error)
    return {"seconds": seconds, "peak_mib": peak_mib, "result": result}


def verdict(passed: bool) -> str:
    """The printed word for a target met or missed."""
    return "пройдено" if passed else "НЕ ПРОЙДЕНО"


def row(label: str, m: dict[str, Any]) -> str:
    """One printed line of a comparison table."""
    return f"  {label:<48} {m['seconds']:8.2f} с  {m['peak_mib']:8.0f} МиБ"
