"""``cyclo synth``: write a synthetic region in the layouts the loaders read."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HELP = "создать синтетический регион в форматах выгрузок"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..config import DATA_DIR, load_params

    defaults = load_params("synth")["defaults"]
    parser.add_argument(
        "--seed", type=int, default=defaults["seed"], metavar="N",
        help=f"зерно генератора (по умолчанию {defaults['seed']})",
    )  # fmt: skip
    parser.add_argument(
        "--schools", type=int, default=defaults["schools"], metavar="N",
        help=f"число школ (по умолчанию {defaults['schools']})",
    )  # fmt: skip
    parser.add_argument(
        "--municipalities", type=int, default=defaults["municipalities"],
        metavar="N",
        help=f"число муниципалитетов (по умолчанию {defaults['municipalities']})",
    )  # fmt: skip
    parser.add_argument(
        "--years", type=int, nargs="+", default=list(defaults["years"]),
        metavar="ГОД",
        help="годы проведения работ (по умолчанию "
        + " ".join(str(y) for y in defaults["years"]) + ")",
    )  # fmt: skip
    parser.add_argument(
        "--format", dest="fmt", choices=["xlsx", "csv"], default=defaults["format"],
        help="xlsx: ВПР в формате выгрузки «Проведение работы»; csv: все результаты "
        "в формате обмена (для больших регионов). По умолчанию "
        f"{defaults['format']}",
    )  # fmt: skip
    parser.add_argument(
        "--quirks", action="store_true",
        help="добавить по нескольку ошибочных строк каждого вида (для таблицы "
        "отклонённых строк); они перечислены в ground_truth.csv",
    )  # fmt: skip
    parser.add_argument(
        "--out", default=str(DATA_DIR / "synth"), metavar="КАТАЛОГ",
        help="куда записать файлы (по умолчанию data/synth/)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    import json

    from ..synth import SynthError, make_region

    started = time.perf_counter()
    try:
        out = make_region(
            seed=args.seed, schools=args.schools, municipalities=args.municipalities,
            years=args.years, out_dir=Path(args.out), fmt=args.fmt,
            quirks=args.quirks,
        )  # fmt: skip
    except SynthError as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 2
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    truth = json.loads((out / "ground_truth.json").read_text(encoding="utf-8"))
    planted = truth["planted"]
    count = {
        c: sum(p["category"] == c for p in planted)
        for c in ("inflated", "low_results", "measure")
    }
    count |= {
        k: sum(p["kind"] == k for p in planted) for k in ("weak_skill", "skill_deficit")
    }
    print(
        f"Синтетический регион (зерно {args.seed}): школ {args.schools}, "
        f"муниципалитетов {args.municipalities}, годы "
        f"{', '.join(str(y) for y in manifest['years'])}."
    )
    print(f"Результатов {manifest['results']}, файлов {len(manifest['files'])}.")
    print(
        f"Заложено: школ с признаками необъективности — {count['inflated']}, "
        f"школ с низкими результатами — {count['low_results']}, "
        f"мер с известным эффектом — {count['measure']}, "
        f"слабых умений региона — {count['weak_skill']}, "
        f"школ с дефицитом умения — {count['skill_deficit']}"
        + (f", ошибочных строк — {len(truth['quirks'])}" if args.quirks else "")
        + "."
    )
    seconds = time.perf_counter() - started
    print(
        f"Каталог: {out} (список файлов — manifest.json, заложенное — "
        f"ground_truth.csv); {seconds:.1f} с."
    )
    return 0
