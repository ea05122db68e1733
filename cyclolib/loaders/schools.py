"""The school list and the school context form.

Territories get ids built from the region code and the municipality's name,
so the same municipality gets the same id whatever file names it:
``RU`` (the country), ``RU-22`` (the region whose code is the two digits after
the login prefix: ``sch22…``), ``RU-22-g-barnaul`` (a municipality). The name is
first brought to one spelling: ``город Барнаул`` = ``г. Барнаул``,
``Алейский муниципальный район`` = ``Алейский район``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ._read import Table, cell_text

COUNTRY_ID = "RU"
COUNTRY_NAME = "Российская Федерация"

_LATIN = "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch - y - e yu ya"
_TRANSLIT = {
    ru: ("" if la == "-" else la)
    for ru, la in zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", _LATIN.split(), strict=True)
}


def municipality_spelling(name: str) -> str:
    """One spelling of a municipality's name (the form used by schools.xlsx)."""
    text = re.sub(r"\s+", " ", str(name)).strip()
    text = re.sub(r"^город\s+", "г. ", text, flags=re.IGNORECASE)
    text = re.sub(r"\s+муниципальн\w+\s+(район|округ)$", r" \1", text)
    return text


def slug(name: str) -> str:
    """Latin letters, digits and dashes: ``г. Барнаул`` -> ``g-barnaul``."""
    low = municipality_spelling(name).lower()
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in low)
    return re.sub(r"[^a-z0-9]+", "-", latin).strip("-")


def region_code(login: str) -> str | None:
    """Region code of a school login: ``sch220206`` -> ``22``."""
    match = re.match(r"^[a-z]+(\d{2})\d+$", str(login))
    return match[1] if match else None


def region_id(code: str) -> str:
    return f"{COUNTRY_ID}-{code}"


def municipality_id(code: str, name: str) -> str:
    return f"{region_id(code)}-{slug(name)}"


def territories_for(
    codes: pd.Series, municipalities: pd.Series, region_names: dict[str, str]
) -> pd.DataFrame:
    """Country, region and municipality rows for schools' region codes and names."""
    pairs = (
        pd.DataFrame({"code": codes, "mun": municipalities}).dropna().drop_duplicates()
    )
    rows = [(COUNTRY_ID, COUNTRY_NAME, "country", None)]
    for code in sorted(pairs["code"].unique()):
        rows.append(
            (
                region_id(code),
                region_names.get(code) or f"Регион {code}",
                "region",
                COUNTRY_ID,
            )
        )
    for code, mun in pairs.itertuples(index=False):
        rows.append(
            (
                municipality_id(code, mun),
                municipality_spelling(mun),
                "municipality",
                region_id(code),
            )
        )
    return pd.DataFrame(rows, columns=["territory_id", "name", "level", "parent_id"])


def read_school_list(table: Table) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``логин, имя, регион`` -> schools, territories and rejects (bad logins).

    The last column is the municipality; a municipality named
    ``<region> (региональное подчинение)`` names the region itself.
    """
    h = [x.lower() for x in table.header]
    f = table.frame
    login = f[h.index("логин")].map(cell_text)
    name = f[h.index("имя")].map(cell_text)
    mun = f[h.index("регион")].map(cell_text)
    code = login.map(region_code)
    bad = code.isna().to_numpy()
    region_names = {}
    for c, m in zip(code[~bad], mun[~bad], strict=False):
        match = re.match(r"^(.*)\s+\(региональное подчинение\)$", m)
        if match:
            region_names[c] = match[1]
    ok = ~bad
    schools = pd.DataFrame(
        {
            "school_id": login[ok],
            "name": name[ok],
            "municipality_id": [
                municipality_id(c, m) for c, m in zip(code[ok], mun[ok], strict=False)
            ],
            "region_id": [region_id(c) for c in code[ok]],
        }
    ).drop_duplicates("school_id", keep="last")
    territories = territories_for(code[ok], mun[ok], region_names)
    rejects = pd.DataFrame(
        {
            "row": table.rows[bad],
            "column": table.header[h.index("логин")],
            "reason": [
                f"логин школы «{v}» не похож на логин ОО "
                "(ожидалось, например, sch220206)"
                for v in login[bad]
            ],
            "value": login[bad].to_numpy(),
        }
    )
    return schools, territories, rejects


# -- the school context form ------------------------------------------------------

# Columns of the context form that name or reach a person: never stored.
PERSONAL = re.compile(r"фио|телефон|e-?mail|почт|адрес|сайт", re.IGNORECASE)
LOCATION = re.compile(r"где расположена", re.IGNORECASE)
ENROLMENT = re.compile(r"количество обучающихся в ОО в (\d{4})/(\d{4})", re.IGNORECASE)


def context_year(header: list[str]) -> int | None:
    """The school year's end named in the enrolment question (2020/2021 -> 2021)."""
    for name in header:
        match = ENROLMENT.search(name)
        if match:
            return int(match[2])
    return None


def read_context(table: Table, year: int | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The context form -> long ``school_context`` rows and per-school derived fields.

    Returns the long frame (school_id, year, field, value) without personal
    columns and a frame with ``school_id, urban, locality, enrolment``.
    """
    h = table.header
    f = table.frame
    login_col = [x.lower() for x in h].index("логин")
    keep = [
        i
        for i, name in enumerate(h)
        if i != login_col and name and not PERSONAL.search(name)
    ]
    login = f[login_col].map(cell_text)
    long = []
    for i in keep:
        values = f[i].map(cell_text)
        filled = values != ""
        long.append(
            pd.DataFrame(
                {
                    "school_id": login[filled],
                    "year": year,
                    "field": h[i],
                    "value": values[filled],
                }
            )
        )
    context = pd.concat(long, ignore_index=True) if long else pd.DataFrame()

    derived = pd.DataFrame({"school_id": login})
    loc = [i for i, name in enumerate(h) if LOCATION.search(name)]
    if loc:
        answer = f[loc[0]].map(cell_text)
        number = answer.str.extract(r"^\s*(\d+)\.")[0]
        derived["urban"] = number.map({"1": True, "2": True, "3": True, "4": False})
        derived["locality"] = answer.str.replace(
            r"^\s*\d+\.\s*", "", regex=True
        ).replace("", None)
    enrol = [i for i, name in enumerate(h) if ENROLMENT.search(name)]
    if enrol:
        num = pd.to_numeric(f[enrol[0]].map(cell_text), errors="coerce")
        derived["enrolment"] = pd.array(np.round(num), dtype="Float64").astype("Int64")
    return context, derived
