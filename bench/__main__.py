"""Run every benchmark module ``bench/bench_*.py`` (or those named on the line).

Each module exposes ``main() -> None`` and prints its own figures: seconds and
peak memory of the suite side by side with the plain way a user would do it.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import bench


def main(argv: list[str]) -> int:
    names = sorted(
        m.name
        for m in pkgutil.iter_modules(bench.__path__)
        if m.name.startswith("bench_")
    )
    if argv:
        names = [n for n in names if any(a in n for a in argv)]
    failed = 0
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        try:
            importlib.import_module(f"bench.{name}").main()
        except Exception as exc:  # one failing benchmark does not stop the rest
            failed += 1
            print(f"ОШИБКА в {name}: {exc!r}", flush=True)
        print(f"--- {name}: {time.perf_counter() - started:.1f} с", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
