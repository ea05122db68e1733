"""Notebook 04 on the real files: completion per КЭС, КТ and level with status.

Reference: the school's task completion as stored by ``cyclo compute``, the
codes and levels of each task read straight from the КИМ description
(kim/4/Математика/ALL.xlsx), and the reference levels of DOMAIN.md applied
by hand: a task of level Б is sufficient at ≥ 60 %, insufficient below 57 %
(П: 30 % and 28.5 %); a code is a deficit when most of its tasks are
insufficient, sufficient when most are sufficient; a level is read against
its own reference level.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict

import pytest
from python_calamine import CalamineWorkbook

from cyclolib.reports import runner

STATUS = {"S": "достаточно", "U": "неопределённо", "I": "недостаточно"}
FORM = "ВПР, Математика, 4 кл."


def _task_status(value, level):
    high, low = (60.0, 57.0) if level == "Б" else (30.0, 28.5)
    return "S" if value >= high else ("I" if value < low else "U")


def _majority(statuses):
    if sum(s == "I" for s in statuses) > len(statuses) / 2:
        return "I"
    if sum(s == "S" for s in statuses) > len(statuses) / 2:
        return "S"
    return "U"


def _code(cell) -> str:
    text = str(cell).strip()
    return text[:-2] if text.endswith(".0") else text


def _table_after(page: str, caption: str) -> list[list[str]]:
    """The rows of the HTML table that follows a caption, header first."""
    start = page.index(f'<p class="cyclo-caption">{html.escape(caption)}</p>')
    table = page[start : page.index("</table>", start)]
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells]
        for cells in (
            re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)
        )
    ]


@pytest.fixture(scope="module")
def school_page(real_values_con, real_computed, tmp_path_factory):
    con = real_values_con
    # The school with the most participants of maths 4 in 2021
    (school,) = con.execute(
        "SELECT unit_id FROM indicator_values WHERE year = 2021 AND "
        "subject = 'ma' AND grade = 4 AND level = 'school' AND "
        "indicator = 'participants' ORDER BY value DESC, unit_id LIMIT 1"
    ).fetchone()
    batch = runner.plan(
        db=real_computed,
        year=2021,
        unit_ids=[school],
        stages=["04"],
        out=tmp_path_factory.mktemp("nb04") / "reports",
        report_date="2024-06-01",
    )
    runner.run(batch)
    (outcome,) = batch.outcomes
    assert (outcome.status, outcome.error) == ("done", "")
    with open(outcome.html, encoding="utf-8") as fh:
        return school, fh.read()


@pytest.mark.realdata
def test_codes_and_levels_with_status_as_worked_by_hand(
    school_page, real_values_con, shared_data
):
    school, page = school_page
    con = real_values_con

    # Codes and levels of each task position, from the КИМ description
    rows = (
        CalamineWorkbook.from_path(
            str(shared_data / "vpr-altai" / "kim" / "4" / "Математика" / "ALL.xlsx")
        )
        .get_sheet_by_index(0)
        .to_python()
    )
    head = rows[0]
    pos, lvl = head.index("№"), head.index("Уровень сложности")
    kes, kt = head.index("Код КЭС"), head.index("Код КТ")
    codes = defaultdict(set)
    level = {}
    for row in rows[1:]:
        if not str(row[pos]).strip():
            continue
        p = int(float(row[pos]))
        level[p] = str(row[lvl]).strip()
        codes[("КЭС", _code(row[kes]))].add(p)
        codes[("КТ", _code(row[kt]))].add(p)

    # The school's stored completion of each task position
    stored = dict(
        con.execute(
            "SELECT i.position, v.value FROM indicator_values v "
            "JOIN items i ON i.form_id = 'vpr-2021-ma-4' AND i.task = v.task "
            "WHERE v.level = 'school' AND v.unit_id = ? AND v.year = 2021 AND "
            "v.subject = 'ma' AND v.grade = 4 AND "
            "v.indicator = 'task_completion_pct'",
            [school],
        ).fetchall()
    )
    assert sorted(stored) == list(range(1, 16))
    task = {p: _task_status(v, level[p]) for p, v in stored.items()}
    expected = {key: _majority([task[p] for p in ps]) for key, ps in codes.items()}
    for letter in ("Б", "П"):
        (value,) = con.execute(
            "SELECT value FROM indicator_values WHERE level = 'school' AND "
            "unit_id = ? AND year = 2021 AND subject = 'ma' AND grade = 4 AND "
            "indicator = 'level_completion_pct' AND task = ?",
            [school, letter],
        ).fetchone()
        expected[("Уровень", letter)] = _task_status(value, letter)

    # The notebook's table: one row per КЭС code and level, with the hand
    # status; КТ codes appear among the deficits only
    caption = re.search(
        rf'<p class="cyclo-caption">({re.escape(FORM)}: выполнение по КЭС и '
        r"уровням[^<]*)</p>",
        page,
    ).group(1)
    table = _table_after(page, html.unescape(caption))
    header, body = table[0], table[1:]
    assert header[:4] == ["Код", "Заданий", "Выполнение, %", "95 % интервал"]
    assert header[-2:] == ["Оценка", "Территория, %"]
    status_at = header.index("Оценка")
    got = {tuple(r[0].split(" ", 1)): r for r in body}
    shown = {k: v for k, v in expected.items() if k[0] != "КТ"}
    assert set(got) == set(shown)
    for key, status in shown.items():
        assert got[key][status_at] == STATUS[status], key
        if key[0] != "Уровень":
            assert int(got[key][1]) == len(codes[key]), key
    # Codes in the codifier's order within each kind, КЭС first
    assert [k for k, _ in got] == sorted(
        (k for k, _ in got), key=["КЭС", "Уровень"].index
    )

    # The deficits, КЭС and КТ, are listed with the codifier's wording
    deficits = [k for k, s in expected.items() if s == "I" and k[0] != "Уровень"]
    if deficits:
        listed = _table_after(page, f"{FORM}: дефициты")
        assert listed[0] == [
            "Вид",
            "Код",
            "Содержание по кодификатору",
            "Выполнение, %",
        ]
        assert sorted((r[0], r[1]) for r in listed[1:]) == sorted(deficits)
        assert all(r[2] and r[2] != "—" for r in listed[1:])
        for r in listed[1:]:
            if r[0] == "КЭС":
                assert r[3] == got[(r[0], r[1])][2]
    else:
        assert f"{FORM}: дефицитов по КЭС и КТ не выявлено." in page
