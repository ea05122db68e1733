"""Registers of the synthetic region: the responsibility matrix and the register
of decisions (measures) taken on schools."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..loaders.schools import region_id
from .model import _person

# Measures on schools: the kind of use of indicator values they serve (a code of
# params/uses.yaml) and what was done.
MEASURES = (
    ("operational", "Адресная методическая помощь школам по итогам ВПР"),
    ("pd_need", "Курсы повышения квалификации учителей начальных классов"),
    ("conditions", "Дополнительные занятия для обучающихся с трудностями в учёбе"),
    ("method_associations", "Работа муниципальных методических объединений"),
)
# The measure for schools with low results.
SUPPORT = ("programmes", "Программа поддержки школ с низкими результатами")
# Measures that never acted on the results: one decided for the last year and
# not carried out, one planned after its results for the next year. Their kinds
# of use are none of the above, so that stage 8 finds one kind not realised and
# one only planned.
NOT_DONE = ("motivation", "Программа развития учебной мотивации обучающихся")
PLANNED = (
    "trajectories",
    "Индивидуальные образовательные траектории для обучающихся с трудностями",
)

MEASURE_INDICATOR = "vpr_mean_pct"

POSITIONS = {
    ("region", "collect"): "главный специалист регионального центра оценки качества",
    ("region", "check"): "начальник отдела оценки качества образования министерства",
    ("municipality", "collect"): "специалист управления образования",
    ("municipality", "check"): "начальник управления образования",
    ("school", "collect"): "заместитель директора по учебной работе",
    ("school", "check"): "директор",
}


def make_responsibles(
    rng: np.random.Generator,
    names: dict,
    region: dict,
    municipalities: pd.DataFrame,
    schools: pd.DataFrame,
) -> pd.DataFrame:
    """Who collects and who checks the data of the region, each municipality
    and each school: columns level, unit_id, role, person, position, contact."""
    units = (
        [("region", region_id(region["code"]))]
        + [("municipality", m) for m in municipalities["municipality_id"]]
        + [("school", s) for s in schools["school_id"]]
    )
    rows = []
    for level, unit in units:
        for role in ("collect", "check"):
            rows.append(
                {
                    "level": level,
                    "unit_id": unit,
                    "role": role,
                    "person": _person(rng, names),
                    "position": POSITIONS[(level, role)],
                    "contact": f"{unit}.{role}@edu{region['code']}.example",
                }
            )
    return pd.DataFrame(rows)


def _targets(schools: pd.DataFrame, baseline: pd.Series, units) -> dict:
    """The target schools of a measure, its indicator and its target value:
    five points above the schools' mean ВПР % of the maximum."""
    base = float(baseline.reindex(units).mean())
    return {
        "target_units": ";".join(schools["school_id"].to_numpy()[units]),
        "indicator": MEASURE_INDICATOR,
        "target_value": round(base + 5.0, 1) if base == base else "",
    }


def make_decisions(
    rng: np.random.Generator,
    region: dict,
    measures: pd.DataFrame,
    schools: pd.DataFrame,
    baseline: pd.Series,
    *,
    years: list[int] | None = None,
) -> pd.DataFrame:
    """The register of measures: one row per measure, in the order of dates.

    ``measures`` are the planted measures (``model.plan_plants``): each is
    ``done``, with its true effect in the ground truth. Two more rows have no
    effect in the results: a measure decided in the autumn before the last
    session and ``not_done``, and one decided in June of the last year and
    ``planned`` for the next; each targets two or three schools that no planted
    measure targets (any schools in a region too small for that). They need
    the last year: ``years``, else the year after the latest measure; without
    either (a region of one year has no measures) they are left out.

    ``baseline`` is the mean ВПР % of the maximum of each school (index
    school_idx); a target is five points above the targeted schools' mean.
    """
    rows = []
    for m in measures.itertuples(index=False):
        units = list(m.units)
        munis = schools["municipality_name"].to_numpy()[units]
        if len(set(munis)) == 1 and rng.random() < 0.5:
            level, body = "municipality", f"Управление образования ({munis[0]})"
            unit = schools["municipality_id"].to_numpy()[units[0]]
        else:
            level, unit = "region", region_id(region["code"])
            body = f"Министерство образования ({region['name']})"
        use_kind, title = MEASURES[int(rng.integers(len(MEASURES)))]
        if m.support:
            use_kind, title = SUPPORT
        month, day = int(rng.integers(9, 13)), int(rng.integers(1, 29))
        rows.append(
            {
                "id": f"M{m.measure:03d}",
                "date": f"{m.year}-{month:02d}-{day:02d}",
                "level": level,
                "unit_id": unit,
                "body": body,
                "use_kind": use_kind,
                "title": title,
                **_targets(schools, baseline, units),
                "target_date": f"{m.year + 1}-05-31",
                "status": "done",
            }
        )

    # Measures without effect: not done, and planned
    last = max(years) if years else None
    if last is None and len(measures):
        last = int(measures["year"].max()) + 1
    if last is not None and len(schools):
        taken = {s for units in measures["units"] for s in units}
        free = [s for s in range(len(schools)) if s not in taken]
        pool = free if len(free) >= 6 else list(range(len(schools)))
        pool = [int(s) for s in rng.permutation(pool)]
        extra = (
            (NOT_DONE, f"{last - 1}-10", f"{last}-05-31", "not_done"),
            (PLANNED, f"{last}-06", f"{last + 1}-05-31", "planned"),
        )
        body = f"Министерство образования ({region['name']})"
        for k, ((use_kind, title), month, deadline, status) in enumerate(extra):
            units = sorted(pool[:3] if len(pool) >= 3 else pool)
            pool = pool[3:] if len(pool) >= 6 else pool
            rows.append(
                {
                    "id": f"M{len(measures) + k + 1:03d}",
                    "date": f"{month}-{int(rng.integers(1, 29)):02d}",
                    "level": "region",
                    "unit_id": region_id(region["code"]),
                    "body": body,
                    "use_kind": use_kind,
                    "title": title,
                    **_targets(schools, baseline, units),
                    "target_date": deadline,
                    "status": status,
                }
            )
    columns = [
        "id", "date", "level", "unit_id", "body", "use_kind", "title", "target_units",
        "indicator", "target_value", "target_date", "status",
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["date", "id"], kind="stable").reset_index(drop=True)
