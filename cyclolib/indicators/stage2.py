"""Stage 2 of the cycle: from inherited and local indicators to an approved list.

The steps of the cyclogram, each a function returning a table:

1. :func:`inherited` — indicators set by higher levels (federal, regional...);
2. :func:`local_draft` — the draft of local indicators;
3. :func:`read_ratings`, :func:`kendall_w`, :func:`expert_review` — the
   experts' ratings of the candidates, their agreement and the decision;
4. :func:`approval_acts` — the approving acts and what each approved;
5. :func:`consolidated_list` — the consolidated list of approved indicators;
6. :func:`responsibility_matrix` — who is responsible for each indicator.

The settings of the review and the acts are in ``params/approval.yaml``.
The tables keep stable English column names; :func:`readable` and
:func:`agreement_table` give them Russian headers and values for reports and
XLSX workbooks.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ..config import LEVEL_NAMES, PARAMS_DIR, load_params
from .catalogue import SOURCE_LEVELS, STATUSES, Catalogue, load_catalogue

log = logging.getLogger(__name__)

# Who sets indicators for whom: a unit of a level inherits from those above.
_RANK = {"federal": 0, "regional": 1, "municipal": 2, "school": 3}
_UNIT_LEVEL = {"region": "regional", "municipality": "municipal", "school": "school"}
EXPERT_COLUMN = "эксперт"


#: Russian headers of the columns of every stage 2 table.
COLUMNS = {
    # The catalogue's rows (inherited, local_draft, consolidated_list)
    "indicator": "Код",
    "name": "Показатель",
    "measures": "Что измеряет",
    "formula": "Формула (функция)",
    "unit": "Единица",
    "direction": "Направление",
    "levels": "Уровни",
    "source_level": "Уровень источника",
    "source": "Источник",
    "status": "Статус",
    "act": "Акт",
    "executor": "Исполнитель",
    "targets": "Целевые значения",
    "thresholds": "Пороговые значения",
    # expert_review
    "mean_rating": "Средняя оценка",
    "sd": "Стандартное отклонение",
    "min": "Наименьшая оценка",
    "max": "Наибольшая оценка",
    "experts": "Экспертов",
    "rank": "Место",
    "accepted": "Принят",
    # approval_acts
    "number": "Номер",
    "date": "Дата",
    "body": "Орган",
    "title": "Название",
    "indicators": "Показатели",
    "count": "Число показателей",
}

#: Russian names of the statistics of :func:`kendall_w` and the decision.
AGREEMENT_NAMES = {
    "W": "W Кендалла",
    "chi2": "χ²",
    "dof": "Степеней свободы",
    "p_val": "p-значение",
    "experts": "Экспертов",
    "objects": "Оцениваемых показателей",
    "agreed": "Мнения согласованы",
}

YES_NO = {True: "да", False: "нет"}


class ReviewError(ValueError):
    """A mistake in an expert rating form or in ``params/approval.yaml``."""


def approval_settings() -> dict:
    """``params/approval.yaml``: the review settings and the acts."""
    return load_params("approval")


def inherited(catalogue: Catalogue | None = None, *, level: str = "region"):
    """Indicators set by levels above the unit's.

    Parameters
    ----------
    catalogue : Catalogue, optional
        ``params/indicators.yaml`` by default.
    level : {"region", "municipality", "school"}
        The level of the unit that draws up its list.

    Returns
    -------
    DataFrame
        The catalogue's rows (see :meth:`Catalogue.frame`; levels, targets
        and thresholds in Russian) whose source is a normative document of a
        higher level than ``level``.
    """
    if level not in _UNIT_LEVEL:
        raise ValueError(
            f"Уровень должен быть одним из {', '.join(_UNIT_LEVEL)}, получено {level!r}"
        )
    cat = catalogue or load_catalogue()
    own = _RANK[_UNIT_LEVEL[level]]
    keep = [i.source_level in _RANK and _RANK[i.source_level] < own for i in cat]
    return _frame(cat)[keep].reset_index(drop=True)


def local_draft(catalogue: Catalogue | None = None, *, level: str = "region"):
    """The unit's own indicators: local ones and those of its own level.

    Returns the catalogue rows whose source is ``local`` or a document of the
    unit's own level, whatever their status (draft, under review, approved).
    """
    if level not in _UNIT_LEVEL:
        raise ValueError(
            f"Уровень должен быть одним из {', '.join(_UNIT_LEVEL)}, получено {level!r}"
        )
    cat = catalogue or load_catalogue()
    own = _UNIT_LEVEL[level]
    keep = [i.source_level in ("local", own) for i in cat]
    return _frame(cat)[keep].reset_index(drop=True)


def _frame(cat: Catalogue) -> pd.DataFrame:
    """:meth:`Catalogue.frame` with levels, targets and thresholds in Russian.

    ``levels`` reads «регион, муниципалитет»; ``targets`` and ``thresholds``
    read «регион: 90; муниципалитет: 85».
    """
    frame = cat.frame()
    frame["levels"] = [", ".join(LEVEL_NAMES[lv] for lv in i.levels) for i in cat]
    for column in ("targets", "thresholds"):
        frame[column] = [
            "; ".join(
                f"{LEVEL_NAMES[lv]}: {v:g}" for lv, v in getattr(i, column).items()
            )
            for i in cat
        ]
    return frame


def readable(table: pd.DataFrame, columns: dict[str, str] | None = None):
    """A stage 2 table as people read it: Russian headers, «да» and «нет».

    Parameters
    ----------
    table : DataFrame
        Any table of this module (its index is dropped; call ``reset_index``
        first to keep it as a column).
    columns : dict, optional
        Headers that replace those of :data:`COLUMNS` for this table.

    Returns
    -------
    DataFrame
        A copy: true/false columns become «да»/«нет», the columns of
        :data:`COLUMNS` take their Russian headers, the others keep theirs
        (executors' names in :func:`responsibility_matrix`).
    """
    out = table.reset_index(drop=True)
    for column in out.columns:
        if pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].map(YES_NO)
    return out.rename(columns=COLUMNS | (columns or {}))


def agreement_table(agreement: pd.Series) -> pd.DataFrame:
    """The agreement of :func:`expert_review` as rows «Величина», «Значение».

    Each statistic under its Russian name (:data:`AGREEMENT_NAMES`); counts
    as integers, ``agreed`` as «да» or «нет».
    """
    rows = []
    for key, value in agreement.items():
        if isinstance(value, bool | np.bool_):
            value = YES_NO[bool(value)]
        elif key in ("dof", "experts", "objects"):
            value = int(value)
        else:
            value = float(value)
        rows.append({"Величина": AGREEMENT_NAMES.get(key, key), "Значение": value})
    return pd.DataFrame(rows, columns=["Величина", "Значение"])


def read_ratings(path: str | Path, *, scale=None, candidates=None) -> pd.DataFrame:
    """Read an expert rating form: one row per expert, a column per candidate.

    Parameters
    ----------
    path : str or Path
        CSV (UTF-8, ``,`` or ``;``) or XLSX; a relative path is taken under
        ``params/``. The first column ``эксперт`` names the expert; other
        text columns (position…) are kept out of the ratings; each remaining
        column is headed by a candidate's indicator id.
    scale : (int, int), optional
        Allowed ratings; ``approval.yaml`` ``review.scale`` by default.
    candidates : collection of str, optional
        Ids the columns must belong to (the catalogue by default).

    Returns
    -------
    DataFrame
        Experts as the index, candidates as columns, ratings as floats.

    Raises
    ------
    ReviewError
        With the file, row and column of a rating that is missing, not a
        number or outside the scale, or of an unknown candidate.
    """
    path = Path(path)
    if not path.is_absolute() and not path.exists():
        path = Path(PARAMS_DIR) / path
    if not path.exists():
        raise ReviewError(f"Нет формы экспертных оценок {path}")
    lo, hi = scale or approval_settings()["review"]["scale"]
    if path.suffix.lower() in (".xlsx", ".xls"):
        raw = pd.read_excel(path, dtype=str, engine="calamine")
    else:
        raw = pd.read_csv(
            path, dtype=str, sep=None, engine="python", encoding="utf-8-sig"
        )
    raw.columns = [str(c).strip() for c in raw.columns]
    if EXPERT_COLUMN not in raw.columns:
        raise ReviewError(
            f"{path}: нет столбца «{EXPERT_COLUMN}»; найдены {', '.join(raw.columns)}"
        )
    known = (
        set(candidates)
        if candidates is not None
        else load_catalogue().ids(approved_only=False)
    )
    rating_cols = []
    for col in raw.columns:
        if col == EXPERT_COLUMN:
            continue
        if col in known:
            rating_cols.append(col)
        elif col.isascii() and col.replace("_", "").isalnum():
            raise ReviewError(
                f"{path}, столбец «{col}»: ожидался код показателя из каталога, "
                "такого показателя нет"
            )
    if len(rating_cols) < 2:
        raise ReviewError(
            f"{path}: нужно не меньше двух оцениваемых показателей, "
            f"найдено {len(rating_cols)}"
        )
    out = pd.DataFrame(index=raw[EXPERT_COLUMN].astype(str).str.strip())
    for col in rating_cols:
        values = []
        for row, cell in enumerate(raw[col], start=2):
            text = "" if pd.isna(cell) else str(cell).strip().replace(",", ".")
            try:
                value = float(text)
            except ValueError:
                value = None
            if value is None or not lo <= value <= hi:
                raise ReviewError(
                    f"{path}, строка {row}, столбец «{col}»: ожидалась оценка "
                    f"от {lo} до {hi}, найдено «{text}»"
                )
            values.append(value)
        out[col] = values
    out.index.name = EXPERT_COLUMN
    return out


def kendall_w(ratings: pd.DataFrame) -> pd.Series:
    """Kendall's coefficient of concordance of experts' ratings.

    Parameters
    ----------
    ratings : DataFrame
        One row per expert (m rows), one column per object (n columns);
        higher is better. Each expert's ratings are turned into ranks, ties
        getting their mean rank.

    Returns
    -------
    Series
        ``W``, ``chi2``, ``dof``, ``p_val``, ``experts`` (m), ``objects`` (n).

    Notes
    -----
    With :math:`R_j` the sum of the ranks of object *j* and
    :math:`S = \\sum_j (R_j - m(n+1)/2)^2`,

    .. math:: W = \\frac{12 S}{m^2 (n^3 - n) - m \\sum_i T_i},
              \\qquad T_i = \\sum (t^3 - t)

    over the groups of *t* tied ranks of expert *i* (Kendall & Babington
    Smith, 1939). The test statistic :math:`\\chi^2 = m (n-1) W` has
    :math:`n-1` degrees of freedom. W = 1 is complete agreement, 0 none.
    Experts who rated every object the same make the denominator smaller;
    when all did, W is NaN.
    """
    if not isinstance(ratings, pd.DataFrame) or ratings.isna().any().any():
        raise ValueError("Оценки экспертов должны быть таблицей без пропусков")
    m, n = ratings.shape
    if m < 2 or n < 2:
        raise ValueError(
            f"Для W Кендалла нужно не меньше двух экспертов и двух объектов, "
            f"получено {m} и {n}"
        )
    ranks = ratings.rank(axis=1, method="average")
    r_sum = ranks.sum(axis=0).to_numpy()
    s = float(np.sum((r_sum - m * (n + 1) / 2) ** 2))
    ties = 0.0
    for _, row in ratings.iterrows():
        t = row.value_counts().to_numpy(dtype=float)
        ties += float(np.sum(t**3 - t))
    denom = m * m * (n**3 - n) - m * ties
    w = 12 * s / denom if denom > 0 else np.nan
    chi2 = m * (n - 1) * w
    p = float(stats.chi2.sf(chi2, n - 1)) if not np.isnan(w) else np.nan
    return pd.Series(
        {"W": w, "chi2": chi2, "dof": n - 1, "p_val": p, "experts": m, "objects": n}
    )


def expert_review(
    ratings: pd.DataFrame,
    *,
    min_mean_rating=None,
    min_kendall_w=None,
    alpha=None,
    catalogue: Catalogue | None = None,
):
    """Summarise the experts' ratings and decide which candidates pass.

    Parameters
    ----------
    ratings : DataFrame
        As returned by :func:`read_ratings`.
    min_mean_rating, min_kendall_w, alpha : float, optional
        Acceptance settings; ``approval.yaml`` ``review`` by default.
    catalogue : Catalogue, optional
        For the candidates' names.

    Returns
    -------
    table : DataFrame
        One row per candidate, best first: ``indicator, name, mean_rating,
        sd, min, max, experts, rank, accepted``.
    agreement : Series
        :func:`kendall_w` and ``agreed`` (W ≥ min_kendall_w and p < alpha).

    Notes
    -----
    A candidate is accepted when the experts agree and its mean rating is
    at least ``min_mean_rating``; without agreement nothing is accepted and
    the review has to be repeated (a second round of the Delphi method).
    """
    review = approval_settings()["review"]
    min_mean = review["min_mean_rating"] if min_mean_rating is None else min_mean_rating
    min_w = review["min_kendall_w"] if min_kendall_w is None else min_kendall_w
    alpha = review["alpha"] if alpha is None else alpha
    agreement = kendall_w(ratings).astype(object)
    agreed = bool(agreement["W"] >= min_w and agreement["p_val"] < alpha)
    agreement["agreed"] = agreed
    cat = catalogue or load_catalogue()
    names = {i.id: i.name for i in cat}
    table = pd.DataFrame(
        {
            "indicator": ratings.columns,
            "name": [names.get(c, c) for c in ratings.columns],
            "mean_rating": ratings.mean().to_numpy(),
            "sd": ratings.std(ddof=1).to_numpy(),
            "min": ratings.min().to_numpy(),
            "max": ratings.max().to_numpy(),
            "experts": ratings.count().to_numpy(),
        }
    )
    table["rank"] = table["mean_rating"].rank(ascending=False, method="min").astype(int)
    table["accepted"] = agreed & (table["mean_rating"] >= min_mean)
    table = table.sort_values(["rank", "indicator"]).reset_index(drop=True)
    return table, agreement


def approval_acts(catalogue: Catalogue | None = None) -> pd.DataFrame:
    """The approving acts and the indicators each approved.

    Returns
    -------
    DataFrame
        ``number, date, body, title, indicators`` (ids, comma-separated),
        ``count``.

    Raises
    ------
    ReviewError
        When an approved indicator refers to an act that ``approval.yaml``
        does not list, or the act's date differs.
    """
    cat = catalogue or load_catalogue()
    acts = approval_settings().get("acts") or []
    by_number = {str(a["number"]): a for a in acts}
    for ind in cat:
        if not ind.approved:
            continue
        act = by_number.get(ind.act_number)
        if act is None:
            raise ReviewError(
                f"{cat.path}, показатель {ind.id}, поле «act»: акта № {ind.act_number} "
                f"нет в params/approval.yaml (есть: {', '.join(by_number) or 'нет'})"
            )
        if pd.Timestamp(act["date"]).date() != ind.act_date:
            raise ReviewError(
                f"{cat.path}, показатель {ind.id}, поле «act.date»: ожидалась дата "
                f"акта {pd.Timestamp(act['date']):%d.%m.%Y}, найдено "
                f"{ind.act_date:%d.%m.%Y}"
            )
    rows = []
    for act in acts:
        ids = [i.id for i in cat if i.approved and i.act_number == str(act["number"])]
        rows.append(
            {
                "number": str(act["number"]),
                "date": pd.Timestamp(act["date"]).date(),
                "body": act.get("body", ""),
                "title": act.get("title", ""),
                "indicators": ", ".join(ids),
                "count": len(ids),
            }
        )
    return pd.DataFrame(
        rows, columns=["number", "date", "body", "title", "indicators", "count"]
    )


def consolidated_list(catalogue: Catalogue | None = None) -> pd.DataFrame:
    """The consolidated list: every approved indicator, inherited and local.

    Columns as :meth:`Catalogue.frame`, approved rows only, ordered by the
    level of their source (federal first, local last).
    """
    cat = catalogue or load_catalogue()
    frame = _frame(cat)
    approved = [i.approved for i in cat]
    order = [_RANK.get(i.source_level, len(_RANK)) for i in cat]
    frame = frame.assign(_order=order)[approved]
    return (
        frame.sort_values("_order", kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def responsibility_matrix(
    catalogue: Catalogue | None = None, *, approved_only: bool = True
) -> pd.DataFrame:
    """Indicator × executor: «О» where the executor is responsible.

    Returns
    -------
    DataFrame
        Index: indicator ids; columns: executors' names (every executor of
        the catalogue, even one without indicators); cells «О» or empty.
    """
    cat = catalogue or load_catalogue()
    rows = [i for i in cat if i.approved or not approved_only]
    names = list(cat.executors.values()) or sorted({i.executor for i in rows})
    matrix = pd.DataFrame("", index=[i.id for i in rows], columns=names)
    for ind in rows:
        matrix.loc[ind.id, cat.executors.get(ind.executor, ind.executor)] = "О"
    matrix.index.name = "indicator"
    return matrix


def status_summary(catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Counts of indicators by source level and status."""
    cat = catalogue or load_catalogue()
    frame = pd.DataFrame(
        {
            "source_level": [
                SOURCE_LEVELS.get(i.source_level, "локальный") for i in cat
            ],
            "status": [STATUSES[i.status] for i in cat],
        }
    )
    return frame.value_counts().rename("count").reset_index()
