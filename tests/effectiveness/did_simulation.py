"""School-level panels simulated with numpy, with a known effect of a measure.

The reference for the coverage tests of the matched difference-in-differences:
the effect is planted, so an interval either covers it or not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def school_panel(
    rng: np.random.Generator,
    *,
    schools: int = 120,
    years: tuple[int, ...] = (2022, 2023, 2024),
    treated: int = 5,
    effect: float = 4.0,
    first_post: int = 2023,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """A panel of mean scores (% of maximum) with a measure in the weakest schools.

    A school's value is ``60 + 6·a + b_t + e``: ``a`` its persistent level (a
    half of it from the social index), ``b_t`` a year effect shared by all,
    ``e`` sampling noise with sd ``18 / sqrt(n)`` for ``n`` participants. The
    measure targets ``treated`` schools drawn from the lowest third of the first
    year (as real measures target weak schools, which invites regression to
    the mean) and adds ``effect`` from ``first_post`` on.

    Returns
    -------
    panel, covariates, treated_ids
    """
    ids = [f"s{i:03d}" for i in range(schools)]
    social = rng.normal(0, 1, schools)
    urban = (rng.random(schools) < 0.5).astype(float)
    level = 0.5 * social + 0.4 * urban + rng.normal(0, 0.8, schools)
    size = rng.integers(10, 80, schools)
    year_effect = rng.normal(0, 2, len(years))
    base = 60 + 6 * level

    first = base + year_effect[0] + rng.normal(0, 18 / np.sqrt(size))
    weakest = np.argsort(first)[: schools // 3]
    chosen = rng.choice(weakest, size=treated, replace=False)
    is_treated = np.zeros(schools, bool)
    is_treated[chosen] = True

    rows = []
    for t, year in enumerate(years):
        noise = (
            rng.normal(0, 18 / np.sqrt(size)) if t else first - base - year_effect[0]
        )
        value = base + year_effect[t] + noise
        value = value + effect * (is_treated & (year >= first_post))
        rows.append(
            pd.DataFrame({"unit_id": ids, "year": year, "value": value, "n": size})
        )
    panel = pd.concat(rows, ignore_index=True)
    covs = pd.DataFrame({"unit_id": ids, "social_index": social, "urban": urban})
    return panel, covs, [ids[i] for i in chosen]
