"""Measuring helpers: wall time and peak memory of a function in a child process."""

from __future__ import annotations

import multiprocessing as mp
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
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((seconds, peak_mib, result, error))


def measure(fn: Callable[..., Any], *args: Any) -> dict[str, Any]:
    """Run ``fn(*args)`` in a fresh process; return seconds, peak MiB and result.

    A fresh process makes the peak memory that of this work alone.
    """
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn, args, queue))
    proc.start()
    seconds, peak_mib, result, error = queue.get()
    proc.join()
    if error:
        raise RuntimeError(error)
    return {"seconds": seconds, "peak_mib": peak_mib, "result": result}


def row(label: str, m: dict[str, Any]) -> str:
    """One printed line of a comparison table."""
    return f"  {label:<48} {m['seconds']:8.2f} с  {m['peak_mib']:8.0f} МиБ"
