"""The real ВПР files of Altai Krai loaded once (session fixture ``real_load``).

References: the files themselves, read again here with python-calamine and
counted in plain Python (no pandas, no loader code), and a few students whose
rows were read by hand from the spreadsheets.
"""

from __future__ import annotations

import functools
import json

import pytest
from python_calamine import CalamineWorkbook

from cyclolib.config import SHARED_DATA_DIR

pytestmark = pytest.mark.realdata

VPR = SHARED_DATA_DIR / "vpr-altai"
FILES_2021 = {
    "vpr-2021-ma-4": "Проведение работы по математике, 4 класс. ВПР 2021.xlsx",
    "vpr-2021-ma-5": "Проведение работы по математике, 5 класс. ВПР 2021.xlsx",
    "vpr-2021-ru-4": "Проведение работы по русскому языку, 4 класс. ВПР 2021.xlsx",
    "vpr-2021-ru-5": "Проведение работы по русскому языку, 5 класс. ВПР 2021.xlsx",
}


@functools.cache
def plain_rows(path):
    """Header and non-empty rows (with their Excel row numbers) of the first sheet."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if any(str(v).strip() for v in row):
            out.append((number, row))
    return rows[0], out


def rejected_rows(con, file):
    return {
        r[0]
        for r in con.execute(
            'SELECT "row" FROM rejects WHERE file = ?', [file]
        ).fetchall()
    }


def test_every_file_is_loaded(real_report):
    statuses = {f.path.name: (f.layout, f.status) for f in real_report.files}
    assert statuses[FILES_2021["vpr-2021-ma-4"]] == ("vpr2021", "loaded")
    assert statuses["schools.xlsx"] == ("schools", "loaded")
    assert len([f for f in real_report.files if f.layout == "vpr2022"]) == 3
    assert len([f for f in real_report.files if f.layout == "vpr2020"]) == 2
    assert len([f for f in real_report.files if f.layout == "kim"]) == 4
    assert all(f.status == "loaded" for f in real_report.files)
    # Rows are rejected in the real files, so the exit status is 1.
    assert real_report.exit_status == 1


@pytest.mark.parametrize("form_id", sorted(FILES_2021))
def test_2021_counts_match_a_plain_read(real_con, form_id):
    """Rows read = accepted + rejected; sums of accepted scores match a plain sum."""
    header, rows = plain_rows(VPR / "2021" / FILES_2021[form_id])
    variant = header.index("вариант")
    total = header.index("всего баллов")
    rejected = rejected_rows(real_con, FILES_2021[form_id])
    kept = [row for number, row in rows if number not in rejected]
    absent = sum(1 for row in kept if row[variant] == "отсутствовал")
    score_sum = sum(float(row[total]) for row in kept if row[variant] != "отсутствовал")

    n, n_absent, db_sum = real_con.execute(
        "SELECT count(*), count(*) FILTER (WHERE absent), sum(primary_score) "
        "FROM results WHERE form_id = ?",
        [form_id],
    ).fetchone()
    assert n + len(rejected) == len(rows)
    assert n_absent == absent
    assert db_sum == pytest.approx(score_sum)
    (loaded_rows,) = real_con.execute(
        "SELECT rows_read FROM loads WHERE path LIKE ?", [f"%{FILES_2021[form_id]}"]
    ).fetchone()
    assert loaded_rows == len(rows)


def test_2021_region_totals(real_con):
    """About 105 000 participants and the schools of the accepted rows in 2021."""
    logins = set()
    for name in FILES_2021.values():
        rejected = rejected_rows(real_con, name)
        _, rows = plain_rows(VPR / "2021" / name)
        logins |= {row[0] for number, row in rows if number not in rejected}
    n, schools = real_con.execute(
        "SELECT count(*), list(DISTINCT school_id) FROM results "
        "JOIN forms USING (form_id) WHERE year = 2021"
    ).fetchone()
    assert 105_000 < n < 106_000
    assert set(schools) == logins


def result(con, form_id, student_id):
    rows = con.execute(
        "SELECT r.absent, r.primary_score, r.mark, r.journal_mark, r.gender, "
        "r.variant, "
        "r.class_id, c.letter, r.result_id FROM results r "
        "LEFT JOIN classes c USING (class_id) WHERE form_id = ? AND student_id = ?",
        [form_id, student_id],
    ).fetchall()
    assert len(rows) == 1, rows
    return rows[0]


def scores(con, result_id):
    return [
        s
        for (s,) in con.execute(
            "SELECT score FROM task_scores WHERE result_id = ? ORDER BY position",
            [result_id],
        ).fetchall()
    ]


def test_2021_student_read_by_hand(real_con):
    # Row 2 of the 2021 maths grade 4 file: sch220206, code 40001, mark 5 in the
    # journal, girl, class «НЕТ», variant 1, 20 points = 1+1+2+1+1+1+1+1+1+2+1+1+2+2+2;
    # 20 points on the scale 6/10/15 is a «5».
    row = result(real_con, "vpr-2021-ma-4", "sch220206/40001")
    absent, primary, mark, journal, gender, variant, class_id, letter, rid = row
    assert (absent, primary, mark, journal, gender, variant) == (
        False,
        20,
        5,
        5,
        "ж",
        "1",
    )
    assert class_id == "sch220206/2021/4" and letter is None  # «нет» = no letter
    assert scores(real_con, rid) == [1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 2, 2]


def test_2020_student_read_by_hand(real_con):
    # Row 2 of 2020/Математика 4.xlsx: sch223080, code 50001, otc 4, boy, class «а»,
    # sum 14; tasks 1 1 2 1 X 1 1 1 X 2 0 0 2 2 X: X counts 0, so 14 = the sum;
    # 14 on the scale 6/10/15 is a «4».
    row = result(real_con, "vpr-2020-ma-4", "sch223080/50001")
    absent, primary, mark, journal, gender, _, class_id, letter, rid = row
    assert (absent, primary, mark, journal, gender) == (False, 14, 4, 4, "м")
    assert letter == "А" and class_id == "sch223080/2020/4/А"
    assert scores(real_con, rid) == [1, 1, 2, 1, 0, 1, 1, 1, 0, 2, 0, 0, 2, 2, 0]


def test_2020_absent_participant(real_con):
    # Row 6 of 2020/Русский язык 4.xlsx: sch223080, code 50005, «отсутствовал».
    row = result(real_con, "vpr-2020-ru-4", "sch223080/50005")
    assert row[0] is True and row[1] is None and row[2] is None
    assert scores(real_con, row[-1]) == []


def test_2020_partly_absent_participant_is_present(real_con):
    # sch223080/50010 in Russian 2020 wrote part 1 only (var-2 «отсутствовал»):
    # present, the tasks of part 2 count 0, total 1.
    row = result(real_con, "vpr-2020-ru-4", "sch223080/50010")
    assert row[0] is False and row[1] == 1 and row[5] == "1"


def test_2022_student_and_logins(real_con):
    # Протокол of 2022/Математика 4.xlsx, row 3: edu223379 = school sch223379,
    # code 40002, variant 2, class «4А», girl, journal 4, total 10.
    row = result(real_con, "vpr-2022-ma-4", "sch223379/40002")
    absent, primary, mark, journal, gender, variant, class_id, letter, _ = row
    assert (absent, primary, journal, gender, variant, letter) == (
        False, 10, 4, "ж", "2", "А",
    )  # fmt: skip
    assert class_id == "sch223379/2022/4/А"
    assert result(real_con, "vpr-2022-ma-4", "sch223379/40001")[0] is True


def test_2022_totals_left_at_zero_are_recomputed(real_con, real_report):
    # School edu224258 has «Итого баллов» 0 in every row beside non-zero tasks;
    # code 40001 has tasks 1 0 0 0 1 1 1 1 0 0 1 1 2 2 0 = 11.
    row = result(real_con, "vpr-2022-ma-4", "sch224258/40001")
    assert row[1] == 11
    messages = [m for f in real_report.files for m in f.messages]
    assert any(m.startswith("в 27 строках «Итого баллов» = 0") for m in messages)


def test_journal_mark_quirks(real_con):
    # «нет отметки»: the row is kept with no journal mark (sch223610/40013, ma-4).
    row = result(real_con, "vpr-2021-ma-4", "sch223610/40013")
    assert row[0] is False and row[3] is None and row[1] == 12
    # «1»: rejected (five rows of the Russian grade 5 file).
    reasons = real_con.execute(
        "SELECT reason FROM rejects WHERE file = ? AND value = '1' AND \"column\" = ?",
        [FILES_2021["vpr-2021-ru-5"], "отметка за предыдущую четверть/триместр"],
    ).fetchall()
    assert len(reasons) == 5
    assert reasons[0][0] == (
        "отметка по журналу вне диапазона 2–5: найдено «1» в столбце "
        "«отметка за предыдущую четверть/триместр»"
    )


def test_shifted_rows_are_rejected(real_con):
    # Rows of sch224121 in Russian grade 4 carry «ж» in the journal column.
    header, rows = plain_rows(VPR / "2021" / FILES_2021["vpr-2021-ru-4"])
    journal = header.index("отметка за предыдущую четверть/триместр")
    shifted = {number for number, row in rows if row[journal] == "ж"}
    found = real_con.execute(
        'SELECT "row", reason, value, record FROM rejects '
        "WHERE file = ? AND value = 'ж'",
        [FILES_2021["vpr-2021-ru-4"]],
    ).fetchall()
    assert {r[0] for r in found} == shifted and len(shifted) == 11
    assert found[0][1] == (
        "строка сдвинута: в столбце «отметка за предыдущую четверть/триместр» стоит "
        "«ж» (пол) вместо отметки по журналу; проверьте строку в исходной выгрузке"
    )
    record = json.loads(found[0][3])
    assert record["логин школы"] == "sch224121" and record["пол"] == "ж"


def test_totals_above_the_maximum_are_rejected(real_con):
    # The maths grade 4 file has a total of 30 on a 20-point form.
    header, rows = plain_rows(VPR / "2021" / FILES_2021["vpr-2021-ma-4"])
    total = header.index("всего баллов")
    over = {n for n, row in rows if row[total] and float(row[total]) > 20}
    assert over and over <= rejected_rows(real_con, FILES_2021["vpr-2021-ma-4"])
    (n,) = real_con.execute(
        "SELECT count(*) FROM results "
        "WHERE form_id LIKE 'vpr-%-ma-4' AND primary_score > 20"
    ).fetchone()
    assert n == 0


def test_x_and_not_passed_cells_count_zero(real_con):
    # No accepted result has a task score above its maximum or a NULL score.
    (n,) = real_con.execute(
        "SELECT count(*) FROM task_scores t JOIN results r USING (result_id) "
        "JOIN items i ON i.form_id = r.form_id AND i.position = t.position "
        "WHERE t.score > i.max_score OR t.score IS NULL"
    ).fetchone()
    assert n == 0


def test_columns_beyond_the_form_are_ignored_when_empty(real_con):
    # 2020 maths has 40 task columns for a 15-task form: 15 scores per result,
    # and the 24 rows with values beyond task 15 are rejected.
    (n_tasks,) = real_con.execute(
        "SELECT DISTINCT count(*) FROM task_scores t JOIN results r USING (result_id) "
        "WHERE r.form_id = 'vpr-2020-ma-4' GROUP BY result_id"
    ).fetchone()
    assert n_tasks == 15
    (beyond,) = real_con.execute(
        "SELECT count(*) FROM rejects "
        "WHERE file = 'Математика 4.xlsx' AND sheet = 'Sheet1' "
        "AND reason LIKE 'значение%за пределами заданий работы%'"
    ).fetchone()
    assert beyond == 24


def test_the_2021_grade_comes_from_the_codes(real_report):
    report = next(
        f for f in real_report.files if f.path.name == FILES_2021["vpr-2021-ma-5"]
    )
    assert report.messages[0] == (
        "работа vpr-2021-ma-5: год 2021 (из имени файла), предмет ma (из имени файла), "
        "класс 5 (из содержимого файла)"
    )


def test_kim_items_and_codes(real_con):
    items = dict(
        real_con.execute(
            "SELECT form_id, list(task ORDER BY position) FROM items "
            "WHERE form_id LIKE 'vpr-2021-%' GROUP BY form_id"
        ).fetchall()
    )
    assert len(items["vpr-2021-ma-4"]) == 15 and items["vpr-2021-ma-4"][4] == "5(1)"
    assert items["vpr-2021-ru-4"][:2] == ["1К1", "1К2"]  # a Latin K in the file
    assert items["vpr-2021-ma-5"][0] == "1"  # «1.0» in the file
    assert len(items["vpr-2021-ru-5"]) == 21  # the second block is empty
    codes = real_con.execute(
        "SELECT kind, list(code ORDER BY code) FROM item_codes "
        "WHERE form_id = 'vpr-2021-ma-4' AND position = 3 GROUP BY kind ORDER BY kind"
    ).fetchall()
    # ALL.xlsx rows of task 3: КЭС 1, 2, 4 crossed with КТ 1, 2.2, 4.
    assert codes == [("kes", ["1", "2", "4"]), ("kt", ["1", "2.2", "4"])]
    (name,) = real_con.execute(
        "SELECT name FROM code_names WHERE form_id = 'vpr-2021-ma-4' "
        "AND kind = 'kes' AND code = '2'"
    ).fetchone()
    assert name == "Арифметика"


def test_school_list_and_territories(real_con):
    _, rows = plain_rows(VPR / "schools.xlsx")
    logins = {row[0] for _, row in rows}
    # A municipality is a region (the two digits after «sch») and a name: the list
    # has one school of region 52 (sch526312) under «Павловский район».
    municipalities = {(row[0][3:5], row[2]) for _, row in rows}
    n, n_mun = real_con.execute(
        "SELECT count(*), count(DISTINCT municipality_id) FROM schools "
        "WHERE school_id IN (SELECT unnest($l))",
        {"l": sorted(logins)},
    ).fetchone()
    assert n == len(logins) == 692 and n_mun == len(municipalities) == 71
    assert real_con.execute(
        "SELECT name, level, parent_id FROM territories WHERE territory_id = 'RU-22'"
    ).fetchone() == ("Алтайский край", "region", "RU")
    assert real_con.execute(
        "SELECT name FROM territories WHERE territory_id = 'RU-22-g-barnaul'"
    ).fetchone() == ("г. Барнаул",)


def test_context_form_without_personal_data(real_con):
    header, rows = plain_rows(
        VPR / "Сбор контекстных данных об ОО и участниках ВПР 2021.xlsx"
    )
    fields = [
        f
        for (f,) in real_con.execute(
            "SELECT DISTINCT field FROM school_context"
        ).fetchall()
    ]
    assert not [f for f in fields if "ФИО" in f or "Телефон" in f or "mail" in f]
    assert not [f for f in fields if "Адрес" in f]
    (at,) = real_con.execute(
        "SELECT count(*) FROM school_context WHERE value LIKE '%@%'"
    ).fetchone()
    assert at == 0
    # urban = the answer «1.», «2.» or «3.» to «Где расположена…», for listed schools.
    where = next(i for i, h in enumerate(header) if "Где расположена" in h)
    listed = {
        r for (r,) in real_con.execute("SELECT school_id FROM schools").fetchall()
    }
    urban = sum(
        1
        for _, row in rows
        if row[0] in listed and row[where][:2] in ("1.", "2.", "3.")
    )
    (db_urban,) = real_con.execute(
        "SELECT count(*) FROM schools WHERE urban"
    ).fetchone()
    assert db_urban == urban


@pytest.mark.parametrize(
    ("form_id", "name", "n_tasks"),
    [
        ("vpr-2020-ma-4", "Математика 4.xlsx", 15),
        ("vpr-2020-ru-4", "Русский язык 4.xlsx", 20),
    ],
)
def test_2020_counts_match_a_plain_read(real_con, form_id, name, n_tasks):
    """Absent = every part written «отсутствовал» or empty; the rest sum as read."""
    header, rows = plain_rows(VPR / "2020" / name)
    var1, var2 = header.index("var-1"), header.index("var-2")
    total, first = header.index("sum"), header.index("a-1-grade")
    rejected = {
        r
        for (r,) in real_con.execute(
            'SELECT "row" FROM rejects WHERE file = ? AND sheet = ?', [name, "Sheet1"]
        ).fetchall()
    }
    absent = score_sum = 0
    kept = [row for number, row in rows if number not in rejected]
    for row in kept:
        parts = {row[var1], row[var2]} - {""}
        if parts == {"отсутствовал"}:
            absent += 1
            continue
        if row[total] != "":
            score_sum += float(row[total])
        else:  # no total: the sum of the tasks, X and empty cells counting 0
            cells = row[first : first + n_tasks]
            score_sum += sum(float(c) for c in cells if str(c).strip() not in ("", "X"))
    n, n_absent, db_sum = real_con.execute(
        "SELECT count(*), count(*) FILTER (WHERE absent), sum(primary_score) "
        "FROM results WHERE form_id = ?",
        [form_id],
    ).fetchone()
    assert n + len(rejected) == len(rows)
    assert n_absent == absent
    assert db_sum == pytest.approx(score_sum)


def test_2022_counts_match_a_plain_read(real_con):
    """Every row of the three samples is accepted; codes and schools as read."""
    expected = set()
    for name in ("Математика 4.xlsx", "Математика 5.xlsx", "Русский язык 5.xlsx"):
        book = CalamineWorkbook.from_path(str(VPR / "2022" / name))
        rows = book.get_sheet_by_name("Протокол").to_python()
        for row in rows[1:]:
            login = "sch" + row[0][3:]  # edu223379 -> sch223379
            expected.add((name[:-5], f"{login}/{int(float(row[6]))}"))
    got = real_con.execute(
        "SELECT subject, grade, student_id FROM results "
        "JOIN forms USING (form_id) WHERE year = 2022"
    ).fetchall()
    names = {
        ("ma", 4): "Математика 4",
        ("ma", 5): "Математика 5",
        ("ru", 5): "Русский язык 5",
    }
    assert {(names[(s, g)], sid) for s, g, sid in got} == expected
    assert len(got) == len(expected) == 63


def test_detect_layout_of_every_real_file(shared_data):
    from cyclolib.loaders import detect_layout

    expected = {
        "2020": "vpr2020",
        "2021": "vpr2021",
        "2022": "vpr2022",
        "ALL.xlsx": "kim",
        "KS.xlsx": "kim_kes",
        "KT.xlsx": "kim_kt",
        "schools.xlsx": "schools",
        "Сбор контекстных данных об ОО и участниках ВПР 2021.xlsx": "school_context",
    }
    paths = sorted(VPR.rglob("*.xlsx"))
    assert len(paths) == 23
    for path in paths:
        key = path.name if path.name in expected else path.parent.name
        assert detect_layout(path) == expected[key], path


def test_one_kim_description_copied_into_two_years_loads_for_each(tmp_path):
    # The same ALL.xlsx in the folders of 2021 and 2022: two forms described
    import shutil

    from cyclolib import db
    from cyclolib.loaders import load_paths

    source = VPR / "kim" / "4" / "Математика" / "ALL.xlsx"
    copies = []
    for year in (2021, 2022):
        folder = tmp_path / "kim" / str(year) / "4" / "Математика"
        folder.mkdir(parents=True)
        copies.append(shutil.copy(source, folder / "ALL.xlsx"))
    con = db.connect(tmp_path / "k.duckdb")
    first = load_paths(con, copies)
    assert [f.status for f in first.files] == ["loaded", "loaded"]
    codes = dict(
        con.execute(
            "SELECT form_id, count(*) FROM item_codes GROUP BY 1 ORDER BY 1"
        ).fetchall()
    )
    assert list(codes) == ["vpr-2021-ma-4", "vpr-2022-ma-4"]
    assert codes["vpr-2021-ma-4"] == codes["vpr-2022-ma-4"] > 0
    # Each copy loaded again adds nothing
    again = load_paths(con, copies)
    assert [f.status for f in again.files] == ["skipped", "skipped"]
    con.close()
