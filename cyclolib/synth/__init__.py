"""A synthetic region: schools, students and their results in the layouts the
loaders read, with a ground truth of what was planted in them.

The demo and many tests run on it, so no real data is needed. The model (a
multilevel latent ability, an item-response model for the tasks, journal marks
around the ability) and everything planted (inflated results, schools with low
results, measures with a known effect, bad rows) are described in
``docs/synthetic-region.md``. A seed and the sizes give one region: the same
arguments write byte-identical CSV files and XLSX files with identical cells.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit

from ..config import load_params
from . import codifier, model, registers, write

log = logging.getLogger(__name__)

__all__ = ["FORMATS", "SynthError", "generate", "make_region"]

FORMATS = ("xlsx", "csv")


def long_name(municipality: str) -> str:
    """The spelling of ВПР exports: «г. Северск» -> «город Северск», «Заречный
    район» -> «Заречный муниципальный район»."""
    if municipality.startswith("г. "):
        return "город " + municipality[3:]
    if municipality.endswith(" район"):
        return municipality[: -len(" район")] + " муниципальный район"
    return municipality


class SynthError(ValueError):
    """Arguments of the synthetic region that cannot make a region."""


def _check(seed, schools, municipalities, years, fmt) -> list[int]:
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SynthError(
            "Зерно генератора (seed) должно быть целым числом не меньше 0, "
            f"получено {seed!r}"
        )
    if not isinstance(schools, (int, np.integer)) or schools < 1:
        raise SynthError(
            f"Число школ должно быть целым числом не меньше 1, получено {schools!r}"
        )
    if not isinstance(municipalities, (int, np.integer)) or municipalities < 1:
        raise SynthError(
            "Число муниципалитетов должно быть целым числом не меньше 1, "
            f"получено {municipalities!r}"
        )
    if municipalities > schools:
        raise SynthError(
            f"Муниципалитетов ({municipalities}) больше, чем школ ({schools}): "
            "в каждом муниципалитете должна быть хотя бы одна школа"
        )
    years = list(years)
    if not years or any(
        not isinstance(y, (int, np.integer)) or not 2000 <= y <= 2100 for y in years
    ):
        raise SynthError(
            f"Годы должны быть целыми числами от 2000 до 2100, получено {years!r}"
        )
    if len(set(years)) != len(years):
        raise SynthError(f"Годы повторяются: {years!r}")
    if fmt not in FORMATS:
        raise SynthError(
            f"Формат файлов должен быть одним из: {', '.join(FORMATS)}; "
            f"получено {fmt!r}"
        )
    return sorted(int(y) for y in years)


def generate(
    *,
    seed: int,
    schools: int,
    municipalities: int,
    years: list[int],
    quirks: bool = False,
    params: dict | None = None,
) -> model.Region:
    """Draw a whole region in memory (nothing is written).

    Parameters
    ----------
    seed : int
        Seed of the generator; the same arguments give the same region.
    schools, municipalities : int
        Numbers of schools and of municipalities (each gets at least one school).
    years : list of int
        Calendar years of the sessions.
    quirks : bool
        Spoil a few ВПР rows of each kind of bad row (see ``model.QUIRK_KINDS``).
    params : dict, optional
        The model's parameters; by default ``params/synth.yaml``.

    Returns
    -------
    model.Region
    """
    years = _check(seed, schools, municipalities, years, "xlsx")
    params = params or load_params("synth")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(7)]
    rng_items, rng_units, rng_students, rng_plants, rng_results, rng_reg, rng_q = (
        streams
    )

    # Forms, their codifier and item parameters (the same for every size of
    # region); the weak skills lower their tasks' completion before calibration
    forms = model.build_forms(params)
    codifier.attach(forms, params)
    weak = codifier.weaken(forms, params)
    model.calibrate_items(forms, rng_items, params)

    # Territories, schools, students
    muni, sch = model.make_units(
        rng_units, params, schools=schools, municipalities=municipalities
    )
    plans = model.plan_plants(rng_plants, params, sch, years)
    # Schools with low results: a low school effect, so every cohort is low
    low = sch.index[plans["low"]]
    sch.loc[low, "school_effect"] += params["plant"]["low_effect"]
    # Skill deficits of a few schools: a stream of their own, so the other
    # plants are the same with or without them
    rng_skills = np.random.default_rng(np.random.SeedSequence(seed).spawn(9)[8])
    plans["deficits"] = codifier.plan_deficits(rng_skills, params, sch, plans, forms)
    plans["deficit_logit"] = float(params["skills"]["deficit_logit"])
    entries = sorted({y - f.grade for y in years for f in forms.values()})
    students = model.make_students(rng_students, params, sch, entries)
    log.debug("%d учащихся в %d школах", len(students), len(sch))

    # Results: every form in every year
    blocks = [
        model.make_block(rng_results, params, form, year, students, sch, plans, i)
        for i, year in enumerate(years)
        for form in forms.values()
    ]
    if quirks:
        model.plant_quirks(
            rng_q, blocks, params["region"]["code"], params["plant"]["quirks_per_kind"]
        )

    # Registers and the ground truth of what was planted
    responsibles = registers.make_responsibles(
        rng_reg, params["names"], params["region"], muni, sch
    )
    planted = _planted(params, sch, blocks, plans, years)
    planted += [{**w, "years": list(years)} for w in weak]
    planted += codifier.deficit_records(
        plans["deficits"], forms, sch, years, plans["deficit_logit"]
    )
    return model.Region(
        seed=seed,
        municipalities=muni,
        schools=sch,
        blocks=blocks,
        measures=plans["measures"],
        responsibles=responsibles,
        planted=planted,
        quirks=[],
    )


def _planted(params, sch, blocks, plans, years) -> list[dict]:
    """The ground truth: one record per planted school (or measure) and kind."""
    ids = sch["school_id"].to_numpy()
    pl = params["plant"]
    out = []
    descriptions = {
        "journal_marks": "отметки по журналу завышены и не связаны со способностями",
        "boundary_scores": "баллы завышены и сгущены на границах отметок",
        "cohort_jump": "результаты 4 класса завышены: резкое падение в 5 классе",
    }
    for s, kind in sorted(plans["inflated"].items()):
        if kind == "cohort_jump":
            y = plans["cohort_year"][s]
            yrs = [y, y + 1]
            detail = {"inflated_year": y, "grade": 4, "lift": pl["cohort_lift"]}
        elif kind == "journal_marks":
            yrs, detail = list(years), {"journal_lift": pl["journal_lift"]}
        else:
            yrs = list(years)
            detail = {"lift": pl["score_lift"], "boundary_gap": pl["boundary_gap"]}
        out.append(
            {
                "category": "inflated",
                "kind": kind,
                "school_id": ids[s],
                "years": yrs,
                "description": descriptions[kind],
                **detail,
            }
        )
    school_effect = sch["school_effect"].to_numpy()
    for s in plans["low"]:
        out.append(
            {
                "category": "low_results",
                "kind": "low_school_effect",
                "school_id": ids[s],
                "years": list(years),
                "description": "низкий эффект школы в сложном социальном контексте",
                "school_effect": round(float(school_effect[s]), 4),
                "social_index": float(sch["social_index"].iat[s]),
            }
        )
    for m in plans["measures"].itertuples(index=False):
        after = [y for y in years if y > m.year]
        out.append(
            {
                "category": "measure",
                "kind": "measure_effect",
                "measure_id": f"M{m.measure:03d}",
                "school_ids": [ids[s] for s in m.units],
                "years": after,
                "measure_year": m.year,
                "true_effect_logit": m.effect,
                "true_effect_pct": _effect_pct(blocks, m, after),
                "description": "мера с известным истинным эффектом",
            }
        )
    return out


def _effect_pct(blocks, measure, after) -> float:
    """Mean gain of expected ВПР % of the maximum that the measure caused in the
    treated schools' results after it (its true effect on the usual scale)."""
    gains = []
    for bl in blocks:
        if bl.form.study != "vpr" or bl.year not in after:
            continue
        mask = np.isin(bl.rows["school_idx"].to_numpy(), measure.units)
        mask &= ~bl.rows["absent"].to_numpy()
        if not mask.any():
            continue
        theta = bl.rows.loc[mask, "honest"].to_numpy()
        f = bl.form
        without = (
            f.maxima[None, :]
            * expit(
                f.discrimination[None, :]
                * (theta[:, None] - measure.effect - f.difficulty[None, :])
            )
        ).sum(axis=1)
        with_ = bl.rows.loc[mask, "expected"].to_numpy()
        gains.append((with_ - without) / f.max_score * 100)
    return round(float(np.concatenate(gains).mean()), 3) if gains else 0.0


def make_region(
    *,
    seed: int,
    schools: int,
    municipalities: int,
    years: list[int],
    out_dir: str | Path,
    fmt: str = "xlsx",
    quirks: bool = False,
) -> Path:
    """Generate a synthetic region and write its files; return the folder.

    Parameters
    ----------
    seed : int
        Seed of the generator: the same arguments give byte-identical CSV files
        and XLSX files with identical cells.
    schools, municipalities : int
        Sizes of the region.
    years : list of int
        Years of the sessions; the grade-4 cohort of year Y is the grade-5
        cohort of Y + 1.
    out_dir : str or Path
        Folder to write into. The files of a region written there before (those
        its manifest.json lists) are removed first; other files are left alone.
    fmt : {"xlsx", "csv"}
        ``xlsx``: ВПР in the real 2021 layout (one workbook per subject, grade
        and year) and the real school list; ``csv``: every result in the
        exchange format, for large regions. ОГЭ, ЕГЭ and the tables are CSV in
        both.
    quirks : bool
        Add a few bad rows of each kind (see ``docs/synthetic-region.md``);
        they are listed in the ground truth.

    Returns
    -------
    Path
        ``out_dir``; ``manifest.json`` in it lists every file written.

    Raises
    ------
    SynthError
        An argument that cannot make a region (message in Russian, naming the
        argument, what was expected and what was given).

    Notes
    -----
    Files: ``schools.xlsx`` (xlsx only), ``schools.csv``, ``items.csv``,
    ``responsibles.csv``, ``decisions.csv``, ``vpr/<year>/*.xlsx`` or
    ``results/vpr-<year>-<subject>-<grade>.csv``,
    ``results/{oge,ege}-<year>-<subject>-<grade>.csv``,
    ``kim/<year>/<grade>/<subject name>/{ALL,KS,KT}.xlsx`` (the КИМ
    descriptions of the ВПР forms: skills, levels, КЭС and КТ codes; ОГЭ and
    ЕГЭ have theirs in ``items.csv``), ``ground_truth.json``,
    ``ground_truth.csv``, ``latent.csv`` and ``manifest.json``.
    """
    years = _check(seed, schools, municipalities, years, fmt)
    region = generate(
        seed=seed,
        schools=schools,
        municipalities=municipalities,
        years=years,
        quirks=quirks,
    )
    params = load_params("synth")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _remove_previous(out)
    files: list[dict] = []

    def add(path: Path, kind: str, layout: str, **extra) -> None:
        files.append(
            {"path": path.relative_to(out).as_posix(), "kind": kind, "layout": layout}
            | extra
        )

    # Schools: the real list (xlsx) and the exchange table with the context
    sch = region.schools
    if fmt == "xlsx":
        write.write_school_list(out / "schools.xlsx", sch)
        add(out / "schools.xlsx", "schools", "school_list", rows=len(sch))
    table = sch[
        [
            "school_id", "name", "municipality_id", "municipality_name",
            "region_id", "region_name", "urban", "enrolment", "social_index",
        ]
    ].assign(urban=sch["urban"].map({True: "1", False: "0"}))  # fmt: skip
    write.write_table_csv(out / "schools.csv", table)
    add(out / "schools.csv", "schools", "exchange", rows=len(table))

    # Items of the forms that params/forms.yaml does not know (ОГЭ, ЕГЭ), with
    # their skills and codes
    items = _items_table(region, years)
    write.write_table_csv(out / "items.csv", items)
    add(out / "items.csv", "items", "exchange", rows=len(items))

    # Results, one file per form and year
    municipality_of = dict(
        zip(sch["school_id"], sch["municipality_name"].map(long_name), strict=True)
    )
    quirk_records: list[dict] = []
    for bl in region.blocks:
        f = bl.form
        meta = {
            "study": f.study, "year": bl.year, "subject": f.subject,
            "grade": f.grade, "rows": len(bl.rows),
        }  # fmt: skip
        if f.study == "vpr" and fmt == "xlsx":
            path = (
                out
                / "vpr"
                / str(bl.year)
                / write.vpr_file_name(f.subject, f.grade, bl.year)
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            recs = write.write_vpr_xlsx(path, bl, municipality_of, seed)
            add(path, "results", "vpr2021", **meta)
        else:
            path = out / "results" / write.exchange_file_name(bl)
            path.parent.mkdir(parents=True, exist_ok=True)
            recs = write.write_exchange_csv(path, bl)
            add(path, "results", "exchange", **meta)
        for rec in recs:
            rec["file"] = path.relative_to(out).as_posix()
        quirk_records.extend(recs)
    region.quirks = quirk_records

    # КИМ descriptions of the ВПР forms (ALL, KS, KT), one folder per year
    subject_names = load_params("subjects")
    for form, year in _forms_of_years(region):
        if form.study != "vpr":
            continue
        folder = out / write.kim_folder(year, form, subject_names[form.subject])
        meta = {"study": form.study, "year": year, "subject": form.subject,
                "grade": form.grade}  # fmt: skip
        for layout, (path, rows) in write.write_kim(folder, form, year).items():
            add(path, "kim", layout, **meta, rows=rows)

    # Registers
    write.write_table_csv(out / "responsibles.csv", region.responsibles)
    add(
        out / "responsibles.csv",
        "responsibles",
        "exchange",
        rows=len(region.responsibles),
    )
    decisions = registers.make_decisions(
        np.random.default_rng(np.random.SeedSequence(seed).spawn(8)[7]),
        params["region"],
        region.measures,
        sch,
        _baseline(region),
        years=years,
    )
    write.write_table_csv(out / "decisions.csv", decisions)
    add(out / "decisions.csv", "decisions", "register", rows=len(decisions))

    # Ground truth and the latent abilities behind the results
    latent = _latent_table(region)
    write.write_table_csv(out / "latent.csv", latent)
    add(out / "latent.csv", "latent", "truth", rows=len(latent))
    truth = {
        "seed": seed,
        "schools": schools,
        "municipalities": municipalities,
        "years": years,
        "format": fmt,
        "planted": region.planted,
        "quirks": quirk_records,
    }
    (out / "ground_truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1, default=_jsonable) + "\n",
        encoding="utf-8",
    )
    add(out / "ground_truth.json", "ground_truth", "truth")
    write.write_table_csv(out / "ground_truth.csv", _truth_rows(region))
    add(out / "ground_truth.csv", "ground_truth", "truth")

    manifest = {
        "seed": seed,
        "schools": schools,
        "municipalities": municipalities,
        "years": years,
        "format": fmt,
        "quirks": quirks,
        "results": int(sum(len(bl.rows) for bl in region.blocks)),
        "files": files,
    }
    for entry in files:
        if entry["path"].endswith(".csv"):
            entry["sha256"] = hashlib.sha256(
                (out / entry["path"]).read_bytes()
            ).hexdigest()
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    log.debug(
        "Синтетический регион: %d школ, %d результатов, %d файлов в %s",
        schools, manifest["results"], len(files), out,
    )  # fmt: skip
    return out


def _remove_previous(out: Path) -> None:
    """Remove the files of a region written there before (by its manifest), and
    nothing else."""
    old = out / "manifest.json"
    if not old.is_file():
        return
    try:
        listed = json.loads(old.read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError, TypeError):
        return
    for entry in listed:
        path = out / entry["path"]
        if path.is_file():
            path.unlink()
            # Drop folders left empty (vpr/<year>, vpr, results)
            parent = path.parent
            while parent != out and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
    old.unlink()


def _jsonable(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    raise TypeError(f"cannot serialise {type(value)}")


def _forms_of_years(region: model.Region) -> list[tuple[model.Form, int]]:
    """Each form and year of the region once, in the order of the blocks."""
    seen: dict[tuple[str, int], model.Form] = {}
    for bl in region.blocks:
        seen.setdefault((bl.form.key, bl.year), bl.form)
    return [(form, year) for (_, year), form in seen.items()]


def _items_table(region: model.Region, years: list[int]) -> pd.DataFrame:
    """The ОГЭ and ЕГЭ tasks: maximum, level, КЭС and КТ codes (``;`` between
    several) and the skill, one row per task and year."""
    rows = []
    for f, year in _forms_of_years(region):
        if f.study == "vpr":
            continue
        for j, label in enumerate(f.labels):
            rows.append(
                {
                    "study": f.study, "year": year, "subject": f.subject,
                    "grade": f.grade, "task": label, "max_score": int(f.maxima[j]),
                    "level": f.levels[j] if f.levels else "",
                    "kes": ";".join(f.kes[j]) if f.kes else "",
                    "kt": ";".join(f.kt[j]) if f.kt else "",
                    "skill": f.skills[j] if f.skills else "",
                }
            )  # fmt: skip
    return pd.DataFrame(rows)


def _baseline(region: model.Region) -> pd.Series:
    """Mean ВПР % of the maximum of each school over all years (index school_idx)."""
    parts = []
    for bl in region.blocks:
        if bl.form.study != "vpr":
            continue
        r = bl.rows[~bl.rows["absent"]]
        parts.append(
            pd.Series(
                r["primary_score"].to_numpy() / bl.form.max_score * 100,
                index=r["school_idx"].to_numpy(),
            )
        )
    if not parts:
        return pd.Series(dtype=float)
    allp = pd.concat(parts)
    return allp.groupby(level=0).mean()


def _latent_table(region: model.Region) -> pd.DataFrame:
    """Per school and form: present participants, their mean true ability and the
    expected % of the maximum under honest scoring."""
    sch = region.schools
    parts = []
    for bl in region.blocks:
        r = bl.rows[~bl.rows["absent"] & (bl.rows["quirk"] == "")]
        g = r.groupby("school_idx")
        part = pd.DataFrame(
            {
                "participants": g.size(),
                "mean_ability": g["ability"].mean().round(4),
                "expected_pct": (g["expected"].mean() / bl.form.max_score * 100).round(
                    3
                ),
            }
        )
        part.insert(0, "grade", bl.form.grade)
        part.insert(0, "subject", bl.form.subject)
        part.insert(0, "study", bl.form.study)
        part.insert(0, "year", bl.year)
        parts.append(part)
    out = pd.concat(parts).reset_index(names="school_idx")
    out.insert(0, "school_id", sch["school_id"].to_numpy()[out["school_idx"]])
    out["school_effect"] = sch["school_effect"].to_numpy()[out["school_idx"]].round(4)
    out["social_index"] = sch["social_index"].to_numpy()[out["school_idx"]]
    return out.drop(columns="school_idx").sort_values(
        ["year", "study", "subject", "grade", "school_id"], kind="stable"
    )


TRUTH_COLUMNS = [
    "category", "kind", "school_id", "year", "measure_id", "true_effect_pct",
    "file", "row", "column", "value", "form", "code_kind", "code",
]  # fmt: skip


def _truth_rows(region: model.Region) -> pd.DataFrame:
    """The ground truth flat: one row per planted school (none for a skill weak
    in the whole region), year and kind, and per bad row."""
    empty = dict.fromkeys(TRUTH_COLUMNS, "")
    rows = []
    for p in region.planted:
        schools = p.get("school_ids") or [p.get("school_id", "")]
        for s in schools:
            for y in p["years"]:
                rows.append(
                    empty | {
                        "category": p["category"], "kind": p["kind"],
                        "school_id": s, "year": y,
                        "measure_id": p.get("measure_id", ""),
                        "true_effect_pct": p.get("true_effect_pct", ""),
                        "form": p.get("form", ""),
                        "code_kind": p.get("code_kind", ""),
                        "code": p.get("code", ""),
                    }
                )  # fmt: skip
    for q in region.quirks:
        rows.append(
            empty | {
                "category": "quirk", "kind": q["kind"], "school_id": q["school_id"],
                "year": q["year"], "file": q["file"], "row": q["row"],
                "column": q["column"], "value": q["value"],
            }
        )  # fmt: skip
    return pd.DataFrame(rows, columns=TRUTH_COLUMNS)
