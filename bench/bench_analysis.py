"""Stage 5 analyses: how well planted inflation is found, and how fast.

1. Synthetic regions with planted inflated and low-results schools, several
   seeds: recall and precision of each objectivity sign, of all signs together
   and of the list of schools with low results, under the federal rule of the
   inflated mean and under the strict one (``inflated_mean_rule: context``),
   and the region's objectivity index under both against the true one.
2. Seconds and peak memory of ``objectivity_signs`` against the plain way
   (a loop over schools with ``scipy.stats.spearmanr`` and ``statistics``).
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import tempfile
from pathlib import Path

from bench.util import measure, row

SEEDS = [1, 2, 3, 4]
SCHOOLS = 150
YEARS = [2023, 2024]


def _region(folder: Path, seed: int):
    from cyclolib import db
    from cyclolib.loaders import load_paths
    from cyclolib.synth import make_region

    out = make_region(
        seed=seed,
        schools=SCHOOLS,
        municipalities=6,
        years=YEARS,
        out_dir=folder / f"s{seed}",
        fmt="csv",
    )
    path = folder / f"s{seed}.duckdb"
    con = db.connect(path)
    load_paths(
        con, [out / "schools.csv", out / "items.csv", *sorted(out.rglob("vpr-*.csv"))]
    )
    con.close()
    planted = json.loads((out / "ground_truth.json").read_text(encoding="utf-8"))
    return path, planted["planted"]


RULES = ("federal", "context")
KINDS = ("journal_marks", "boundary_scores", "cohort_jump")


def _detection(path: Path, planted: list[dict]) -> dict:
    """Counts ``[found, flagged, planted]`` per rule and sign, and the indices.

    Keys ``(rule, sign)``, ``(rule, "any")``, ``(rule, "kind:<kind>")`` (any
    sign against the schools of one kind), ``(rule, "index")`` (the region's
    objectivity index, one per year), ``("truth", "index")`` (100 − the share
    of inflating schools) and ``"low_results"``.
    """
    from cyclolib import db
    from cyclolib.analysis import low_results as lr
    from cyclolib.analysis import objectivity as obj

    con = db.connect(path, read_only=True)
    counts: dict = {}
    inflated = [p for p in planted if p["category"] == "inflated"]
    for year in YEARS:
        truth = {p["school_id"] for p in inflated if year in p["years"]}
        for rule in RULES:
            detail = obj.objectivity_signs(
                con, year=year, params={"inflated_mean_rule": rule}
            )
            found = set(detail.loc[detail["n_signs"] > 0, "school_id"])
            for sign in [*obj.SIGNS, "any"]:
                mask = detail["n_signs"] > 0 if sign == "any" else detail[sign]
                flagged = set(detail.loc[mask, "school_id"])
                c = counts.setdefault((rule, sign), [0, 0, 0])
                c[0] += len(flagged & truth)
                c[1] += len(flagged)
                c[2] += len(truth)
            # Recall of any sign by the kind of planted inflation
            for kind in KINDS:
                of_kind = {
                    p["school_id"]
                    for p in inflated
                    if p["kind"] == kind and year in p["years"]
                }
                c = counts.setdefault((rule, f"kind:{kind}"), [0, 0, 0])
                c[0] += len(found & of_kind)
                c[2] += len(of_kind)
            index = obj.objectivity_index(detail, level="region")["index"].iloc[0]
            counts.setdefault((rule, "index"), []).append(float(index))
        schools = detail["school_id"].nunique()
        counts.setdefault(("truth", "index"), []).append(
            100 - 100 * len(truth) / schools
        )
    low = lr.low_results(con, year=YEARS[-1])
    listed = set(low.loc[low["listed"], "school_id"])
    truth = {p["school_id"] for p in planted if p["category"] == "low_results"}
    counts["low_results"] = [len(listed & truth), len(listed), len(truth)]
    con.close()
    return counts


def _plain_signs(path: Path, year: int) -> int:
    """The plain way: one pass over the schools with scipy and statistics."""
    import duckdb
    from scipy import stats

    con = duckdb.connect(str(path), read_only=True)
    rows = con.execute(
        "SELECT r.form_id, r.school_id, r.primary_score, r.journal_mark "
        "FROM results r JOIN forms f USING (form_id) WHERE f.year = ? "
        "AND NOT r.absent AND r.primary_score IS NOT NULL",
        [year],
    ).df()
    marked = 0
    for _, form in rows.groupby("form_id"):
        x = form["primary_score"].tolist()
        high = statistics.mean(x) + 1.96 * statistics.stdev(x) / math.sqrt(len(x))
        for _, part in form.groupby("school_id"):
            s = part["primary_score"].tolist()
            if len(s) >= 5:
                low = statistics.mean(s) - 1.96 * statistics.stdev(s) / math.sqrt(
                    len(s)
                )
                marked += low > high
            pairs = part.dropna(subset=["journal_mark"])
            if len(pairs) >= 10 and pairs["journal_mark"].nunique() > 1:
                r = stats.spearmanr(pairs["journal_mark"], pairs["primary_score"])
                marked += r.statistic < 0
    return int(marked)


def _suite_signs(path: Path, year: int) -> int:
    from cyclolib import db
    from cyclolib.analysis import objectivity as obj

    con = db.connect(path, read_only=True)
    detail = obj.objectivity_signs(con, year=year)
    return int(detail["n_signs"].sum())


def _real_db(folder: Path) -> Path | None:
    from cyclolib import db
    from cyclolib.config import SHARED_DATA_DIR
    from cyclolib.loaders import load_paths

    vpr = SHARED_DATA_DIR / "vpr-altai"
    if not vpr.is_dir():
        return None
    path = folder / "real.duckdb"
    con = db.connect(path)
    load_paths(
        con,
        [
            vpr / "schools.xlsx",
            *sorted((vpr / "2020").glob("*.xlsx")),
            *sorted((vpr / "2021").glob("*.xlsx")),
        ],
    )
    con.close()
    return path


def _print_rates(label: str, c: list[int], *, precision: bool = True) -> None:
    tp, fl, pl = c
    recall = tp / pl if pl else float("nan")
    if not precision:
        print(f"    {label:<46} {recall:6.2f}      —   ({tp} из {pl})")
        return
    prec = tp / fl if fl else float("nan")
    print(
        f"    {label:<46} {recall:6.2f} {prec:6.2f}   "
        f"({tp} верных из {fl} отмеченных, посажено {pl})"
    )


def main() -> None:
    from cyclolib.analysis import objectivity as obj

    names = {**obj.SIGNS, "any": "хотя бы один признак"}
    kinds = {
        "kind:journal_marks": "вид: завышены отметки по журналу",
        "kind:boundary_scores": "вид: баллы сгущены на границах отметок",
        "kind:cohort_jump": "вид: завышен 4 класс (падение в 5 классе)",
    }
    rules = {
        "federal": "федеральное правило (методика 2019 года, по умолчанию)",
        "context": "строгое правило (inflated_mean_rule: context)",
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        total: dict = {}
        print(
            f"Синтетические регионы: {SCHOOLS} школ, годы {YEARS}, зёрна {SEEDS}",
            flush=True,
        )
        last = None
        for seed in SEEDS:
            path, planted = _region(folder, seed)
            counts = _detection(path, planted)
            for k, c in counts.items():
                if isinstance(k, tuple) and k[1] == "index":
                    total.setdefault(k, []).extend(c)
                    continue
                t = total.setdefault(k, [0, 0, 0])
                t[0], t[1], t[2] = t[0] + c[0], t[1] + c[1], t[2] + c[2]
            federal, strict = counts[("federal", "any")], counts[("context", "any")]
            print(
                f"  зерно {seed}: найдено {federal[0]} из {federal[2]} завышений, "
                f"отмечено школ {federal[1]} (строгое правило: найдено "
                f"{strict[0]}, отмечено {strict[1]})",
                flush=True,
            )
            last = path
        for rule, title in rules.items():
            print(f"  {title}: полнота (recall), точность (precision)")
            for sign in [*obj.SIGNS, "any"]:
                _print_rates(names[sign], total[(rule, sign)])
            for kind, label in kinds.items():
                _print_rates(label, total[(rule, kind)], precision=False)
        truth = statistics.mean(total[("truth", "index")])
        print(
            "  индекс объективности региона (среднее по зёрнам и годам): "
            f"федеральное правило {statistics.mean(total[('federal', 'index')]):.1f}, "
            f"строгое {statistics.mean(total[('context', 'index')]):.1f}, "
            f"истинный {truth:.1f}"
        )
        _print_rates("список ШНОР (два года подряд)", total["low_results"])

        real = _real_db(folder)
        path, year, label = (
            (real, 2021, "реальные данные 2021")
            if real
            else (last, YEARS[-1], "синтетический регион")
        )
        print(f"Скорость признаков необъективности ({label}):")
        print(
            row(
                "комплекс: objectivity_signs (все пять признаков)",
                measure(_suite_signs, path, year),
            )
        )
        print(
            row(
                "обычный способ: цикл по школам (два признака)",
                measure(_plain_signs, path, year),
            )
        )


if __name__ == "__main__":
    sys.exit(main())
