"""Resource allocation: a budget shared among units by need and results."""

from __future__ import annotations

import logging
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ..config import params_with
from ._data import student_results

log = logging.getLogger(__name__)

__all__ = ["COMPONENTS", "allocate", "allocation_rule"]

#: Component -> Russian description of what it counts.
COMPONENTS: dict[str, str] = {
    "participants": "число участников",
    "need": "число результатов «2»",
    "results": "число результатов «4» и «5»",
}

_LEVELS = {"municipality": "municipality_id", "school": "school_id"}


def _params(overrides: dict[str, Any] | None) -> dict[str, Any]:
    params = params_with("budget", overrides, what="распределения ресурсов")
    unknown = [c for c in params["components"] if c not in COMPONENTS]
    if unknown:
        raise ValueError(
            f"Компонент распределения «{unknown[0]}» не известен (params/budget.yaml): "
            f"допустимы {', '.join(COMPONENTS)}"
        )
    if params["level"] not in _LEVELS:
        raise ValueError(
            f"Уровень распределения «{params['level']}» не поддерживается: "
            f"допустимы {', '.join(_LEVELS)}"
        )
    return params


def allocate(
    con: duckdb.DuckDBPyConnection,
    *,
    year: int,
    params: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Share the budget of ``params/budget.yaml`` among municipalities or schools.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The results database.
    year : int
        The year whose results are used.
    params : dict, optional
        Overrides of ``params/budget.yaml`` (same keys).

    Returns
    -------
    DataFrame
        One row per unit, largest amount first: ``unit_id, participants, need,
        results, amount, share`` (``share`` in % of the total).

    Notes
    -----
    With w_k the component shares scaled to sum to 1 and x_uk the count of
    component k in unit u,

    .. math:: A_u = T \\sum_k w_k \\frac{x_{uk}}{\\sum_v x_{vk}}

    so the amounts sum to the total T. A component that is zero in every unit
    is left out and the other shares are scaled up. Amounts are rounded down to
    ``round_to``; the remainder goes to the unit with the largest need.
    """
    p = _params(params)
    column = _LEVELS[p["level"]]
    data = student_results(
        con,
        years=[year],
        studies=[p["study"]],
        subjects=p["subjects"],
        grades=p["grades"],
    )
    data = data[data[column].notna() & (data[column] != "")]
    counts = data.groupby(column).agg(
        participants=("result_id", "size"),
        need=("mark", lambda m: int((m == 2).sum())),
        results=("mark", lambda m: int((m >= 4).sum())),
    )
    weights = pd.Series({k: float(v) for k, v in p["components"].items()})
    weights = weights[[counts[k].sum() > 0 for k in weights.index]]
    if counts.empty or weights.sum() <= 0:
        return pd.DataFrame(
            columns=["unit_id", "participants", "need", "results", "amount", "share"]
        )
    weights = weights / weights.sum()

    # Exact shares, then rounding with the remainder to the largest need
    exact = sum(w * counts[k] / counts[k].sum() for k, w in weights.items())
    total = float(p["total"])
    step = float(p["round_to"]) or 1.0
    amount = np.floor(exact * total / step) * step
    amount[counts["need"].idxmax()] += total - amount.sum()
    out = counts.assign(amount=amount, share=amount / total * 100)
    out.index.name = "unit_id"
    return (
        out.reset_index().sort_values("amount", ascending=False).reset_index(drop=True)
    )


def allocation_rule(params: dict[str, Any] | None = None) -> str:
    """The rule of the proposal in Russian, to show with it."""
    p = _params(params)
    total = sum(float(v) for v in p["components"].values())
    units = {"municipality": "муниципалитетами", "school": "школами"}[p["level"]]
    parts = [
        f"{float(w) / total * 100:.0f} % — пропорционально показателю «{COMPONENTS[k]}»"
        for k, w in p["components"].items()
    ]
    total_text = f"{float(p['total']):,.0f}".replace(",", " ")
    step_text = f"{float(p['round_to']):,.0f}".replace(",", " ")
    return (
        f"Бюджет {total_text} руб. распределяется между {units}: "
        + "; ".join(parts)
        + f". Суммы округляются вниз до {step_text} руб., остаток "
        "передаётся единице с наибольшим числом результатов «2»."
    )
