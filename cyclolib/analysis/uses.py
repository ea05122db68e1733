"""The kinds of use of indicator values (stage 6) and the products serving them."""

from __future__ import annotations

import logging

import pandas as pd

from ..config import load_params

log = logging.getLogger(__name__)

__all__ = ["KINDS", "DATA", "use_catalogue", "uses_for"]

#: Product form -> Russian name.
KINDS = {
    "list": "список",
    "rating": "рейтинг",
    "table": "таблица",
    "report": "раздел отчёта",
}
#: Data status -> Russian name.
DATA = {
    "held": "данные есть в комплексе",
    "partial": "данные есть частично",
    "missing": "нужны данные, которых нет в комплексе",
}
_LEVELS = ("region", "municipality", "school")


def use_catalogue() -> pd.DataFrame:
    """Every kind of use of ``params/uses.yaml``, checked.

    Returns
    -------
    DataFrame
        ``number, code, name, levels, kind, product, data, needs`` in the
        specification's order (``levels`` a tuple of level codes).

    Raises
    ------
    ValueError
        When an entry has an unknown level, product form or data status, a
        repeated code, or a partial or missing status without ``needs``; the
        message names the entry.
    """
    entries = load_params("uses")["uses"]
    rows, seen = [], set()
    for number, entry in enumerate(entries, start=1):
        where = f"params/uses.yaml, вид использования {number} «{entry.get('code')}»"
        if entry.get("code") in seen:
            raise ValueError(f"{where}: код повторяется")
        seen.add(entry.get("code"))
        bad = [lv for lv in entry.get("levels", []) if lv not in _LEVELS]
        if bad or not entry.get("levels"):
            raise ValueError(
                f"{where}: уровни должны быть из {', '.join(_LEVELS)}, получено "
                f"{entry.get('levels')}"
            )
        if entry.get("kind") not in KINDS:
            raise ValueError(
                f"{where}: вид продукта должен быть одним из {', '.join(KINDS)}, "
                f"получено {entry.get('kind')!r}"
            )
        if entry.get("data") not in DATA:
            raise ValueError(
                f"{where}: поле data должно быть одним из {', '.join(DATA)}, "
                f"получено {entry.get('data')!r}"
            )
        if entry["data"] != "held" and not entry.get("needs"):
            raise ValueError(f"{where}: не указано, каких данных не хватает (needs)")
        rows.append(
            {
                "number": number,
                "code": entry["code"],
                "name": entry["name"],
                "levels": tuple(entry["levels"]),
                "kind": entry["kind"],
                "product": entry["product"],
                "data": entry["data"],
                "needs": entry.get("needs", ""),
            }
        )
    return pd.DataFrame(rows)


def uses_for(level: str) -> pd.DataFrame:
    """The uses that belong to a level, with Russian columns ready to show.

    Returns
    -------
    DataFrame
        ``№, Вид использования, Продукт, Форма, Данные, Чего не хватает``.
    """
    if level not in _LEVELS:
        raise ValueError(
            f"Уровень «{level}» не поддерживается: допустимы {', '.join(_LEVELS)}"
        )
    cat = use_catalogue()
    cat = cat[cat["levels"].map(lambda lv: level in lv)]
    return pd.DataFrame(
        {
            "№": cat["number"],
            "Вид использования": cat["name"],
            "Продукт": cat["product"],
            "Форма": cat["kind"].map(KINDS),
            "Данные": cat["data"].map(DATA),
            "Чего не хватает": cat["needs"],
        }
    ).reset_index(drop=True)
