"""``cyclo flags``: lists of schools for the expert and the authority.

``cyclo flags objectivity --year Y`` writes the list of schools with signs of
non-objective results in the published layout, the detailed figures of every
sign and the objectivity index; ``cyclo flags low-results`` writes the schools
with low results and the profile of each; ``value-added``, ``development`` and
``allocation`` write the value added of schools, the topics of professional
development (per municipality, school and, where the results carry teacher
codes, teacher) and the budget proposal.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import db
from ..cli import add_db_argument
from ..config import REPORTS_DIR

HELP = "списки и таблицы анализа: необъективность, ШНОР, добавленная ценность…"

#: Units of the deficits sheets, as their Russian sheet names say.
DEFICIT_UNITS = {
    "municipality": "муниципалитеты",
    "school": "школы",
    "teacher": "учителя",
}

KINDS = {
    "objectivity": "признаки необъективности",
    "low-results": "школы с низкими результатами",
    "value-added": "добавленная ценность школ",
    "development": "темы повышения квалификации",
    "allocation": "предложение распределения бюджета",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "kind",
        choices=list(KINDS),
        metavar="СПИСОК",
        help="; ".join(f"{k} — {v}" for k, v in KINDS.items()),
    )
    add_db_argument(parser)
    parser.add_argument(
        "--year",
        type=int,
        default=None,
        metavar="ГОД",
        help="год процедуры (по умолчанию последний в базе)",
    )
    parser.add_argument(
        "--out",
        default=None,
        metavar="ФАЙЛ",
        help="XLSX-файл списка (по умолчанию reports/<год>/lists/<список>-<год>.xlsx)",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="включить в список и школы без признаков (только для objectivity)",
    )
    parser.add_argument(
        "--criterion",
        default=None,
        metavar="КРИТЕРИЙ",
        help="критерий ШНОР вместо заданного в params/low_results.yaml: "
        "low_quartile_share, mean_pct, fail_share",
    )


def run(args: argparse.Namespace) -> int:
    from ..analysis._data import latest_year

    path = Path(args.db or db.default_db_path())
    try:
        con = db.connect(path, read_only=True)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        year = args.year or latest_year(con)
        if year is None:
            print(
                f"В базе {path} нет результатов: сначала загрузите данные",
                file=sys.stderr,
            )
            return 2
        out = Path(
            args.out or REPORTS_DIR / str(year) / "lists" / f"{args.kind}-{year}.xlsx"
        )
        if args.kind == "objectivity":
            return _objectivity(con, year, out, everyone=args.all)
        if args.kind == "low-results":
            return _low_results(con, year, out, criterion=args.criterion)
        return _table(con, args.kind, year, out)
    except ValueError as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 2
    finally:
        con.close()


def _objectivity(con, year: int, out: Path, *, everyone: bool) -> int:
    from ..analysis import objectivity as obj
    from ..analysis._data import unit_names
    from ..analysis.export import readable, write_xlsx

    detail = obj.objectivity_signs(con, year=year)
    if detail.empty:
        print(f"Нет результатов ВПР 4 и 5 классов за {year} год", file=sys.stderr)
        return 1
    listing = obj.objectivity_list(detail, con, only_marked=not everyone)
    munis = obj.objectivity_index(detail, level="municipality")
    names = unit_names(con)
    munis.insert(1, "unit_name", munis["unit_id"].map(lambda u: names.get(u, u)))
    region = obj.objectivity_index(detail, level="region")
    region.insert(1, "unit_name", region["unit_id"].map(lambda u: names.get(u, u)))
    shown = readable(detail)
    shown.insert(6, "school_name", shown["school_id"].map(lambda u: names.get(u, u)))
    shown.insert(
        8,
        "municipality_name",
        shown["municipality_id"].map(lambda u: names.get(u, u)),
    )
    write_xlsx(
        out,
        {
            "Список": listing,
            "Показатели признаков": shown,
            "Индекс муниципалитетов": munis,
            "Индекс региона": region,
        },
    )

    schools = detail["school_id"].nunique()
    marked = int((detail.groupby("school_id")["n_signs"].max() > 0).sum())
    print(f"Признаки необъективности результатов, {year} год")
    print(
        f"  школ с результатами: {schools}; отмечено хотя бы по одному признаку: "
        f"{marked}"
    )
    for code, name in obj.SIGNS.items():
        count = int(detail.groupby("school_id")[code].max().sum())
        print(f"  {name}: {count}")
    for _, row in region.iterrows():
        print(f"  индекс объективности ({row['unit_name']}): {row['index']:.1f}")
    print(f"Список записан: {out}")
    return 0


def _low_results(con, year: int, out: Path, *, criterion: str | None) -> int:
    from ..analysis import low_results as lr
    from ..analysis._data import unit_names
    from ..analysis.export import write_xlsx

    params = {"criterion": criterion} if criterion else None
    table = lr.low_results(con, year=year, params=params)
    if table.empty:
        print(f"Нет результатов за {year} год", file=sys.stderr)
        return 1
    profiles = lr.low_results_profiles(con, table, year=year, params=params)
    names = unit_names(con)
    table = table.copy()
    table.insert(1, "school_name", table["school_id"].map(names))
    table.insert(3, "municipality_name", table["municipality_id"].map(names))
    write_xlsx(out, {"Список ШНОР": profiles, "Все школы": table})
    print(f"Школы с низкими результатами, {year} год")
    print(
        f"  школ с результатами: {len(table)}; в нижней части кластера в этом году: "
        f"{int(table['low'].sum())}; в списке: {len(profiles)}"
    )
    print(f"Список записан: {out}")
    return 0


def _table(con, kind: str, year: int, out: Path) -> int:
    from ..analysis import allocation, development, value_added
    from ..analysis._data import unit_names
    from ..analysis.export import readable, write_xlsx

    names = unit_names(con)
    note = ""
    if kind == "value-added":
        forms = value_added.value_added(con, year=year)
        schools = value_added.resilient_schools(value_added.combine_forms(forms))
        for frame in (forms, schools):
            frame["band"] = frame["band"].map(value_added.BANDS)
        schools.insert(1, "school_name", schools["school_id"].map(names))
        forms.insert(1, "school_name", forms["school_id"].map(names))
        tables = {"Школы": schools, "По работам": readable(forms)}
        rows = len(schools)
    elif kind == "development":
        tables = {}
        for level, title in (("municipality", "Темы КПК"), ("school", "Темы МО")):
            deficits = development.skill_deficits(con, year=year, level=level)
            tables[title] = development.development_topics(deficits)
            deficits = deficits[deficits["deficit"]]
            deficits.insert(1, "unit_name", deficits["unit_id"].map(names))
            tables[f"Дефициты ({DEFICIT_UNITS[level]})"] = readable(deficits)
        teacher_tables, note = _teacher_tables(con, year)
        tables |= teacher_tables
        rows = len(tables["Темы КПК"])
    else:
        proposal = allocation.allocate(con, year=year)
        proposal.insert(1, "unit_name", proposal["unit_id"].map(names))
        rule = allocation.allocation_rule()
        tables = {"Предложение": proposal, "Правило": _frame(rule)}
        print(rule)
        rows = len(proposal)
    if rows == 0:
        print(f"Нет данных за {year} год: таблица пуста", file=sys.stderr)
        return 1
    write_xlsx(out, tables)
    print(f"{KINDS[kind].capitalize()}, {year} год: строк {rows}")
    if note:
        print(f"  {note}")
    print(f"Таблица записана: {out}")
    return 0


def _teacher_tables(con, year: int) -> tuple[dict, str]:
    """Topics and deficits per teacher, where the results carry teacher codes.

    A teacher's code comes from the result or, failing that, from the class
    (:func:`cyclolib.analysis.development.task_results`); the deficits sheet
    names each teacher's school. Returns the sheets (none without teacher
    codes) and a line for the summary.
    """
    from ..analysis import development
    from ..analysis.export import readable

    tasks = development.task_results(con, year=year, level="teacher")
    if tasks.empty:
        return (
            {},
            f"кодов учителей в результатах {year} года нет: листов по учителям нет",
        )
    deficits = development.skill_deficits(con, year=year, level="teacher", tasks=tasks)
    deficits = deficits[deficits["deficit"]].rename(columns={"unit_id": "teacher_id"})
    schools = con.execute(
        "SELECT coalesce(r.teacher_id, c.teacher_id) AS teacher_id, "
        "string_agg(DISTINCT r.school_id, ', ' ORDER BY r.school_id) AS school_id "
        "FROM results r JOIN forms f USING (form_id) "
        "LEFT JOIN classes c ON c.class_id = r.class_id "
        "WHERE f.year = ? AND coalesce(r.teacher_id, c.teacher_id) IS NOT NULL "
        "GROUP BY 1",
        [year],
    ).df()
    deficits.insert(
        1,
        "school_id",
        deficits["teacher_id"].map(
            dict(zip(schools["teacher_id"], schools["school_id"], strict=True))
        ),
    )
    topics = development.development_topics(
        deficits.rename(columns={"teacher_id": "unit_id"})
    )
    note = (
        f"по учителям: с результатами {tasks['unit_id'].nunique()}, с дефицитами "
        f"{deficits['teacher_id'].nunique()}, тем {len(topics)}"
    )
    sheet = f"Дефициты ({DEFICIT_UNITS['teacher']})"
    return {"Темы по учителям": topics, sheet: readable(deficits)}, note


def _frame(text: str):
    import pandas as pd

    return pd.DataFrame({"Правило": [text]})
