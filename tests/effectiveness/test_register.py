"""The register of decisions: reading, validation messages, storage, selection.

References: every expected value is read off the hand-made files below.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from cyclolib import db
from cyclolib.decisions import (
    RegisterError,
    catalogue_indicators,
    load_register,
    read_decisions,
    read_register,
    use_kinds,
)

HEADER = (
    "номер,дата,уровень,код единицы,орган,вид использования,мера,"
    "целевые единицы,показатель,целевое значение,срок,статус\n"
)
GOOD = [
    "D1,15.09.2023,муниципалитет,m01,Управление образования,pd_need,"
    'Курсы для учителей,"sch1;sch2",mean_score_pct,"55,5",31.05.2024,выполнено',
    "D2,2023-10-01,school,sch3,Педсовет школы,29,Кружки,sch3,,,,planned",
]


def write(tmp_path, rows, name="register.csv", header=HEADER):
    path = tmp_path / name
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_good_rows_are_read_and_normalised(tmp_path):
    result = read_register(write(tmp_path, GOOD))
    assert result.valid and result.rows_read == 2
    d1, d2 = result.decisions.to_dict("records")
    assert d1["date"] == date(2023, 9, 15)
    assert d1["level"] == "municipality"
    assert d1["status"] == "done"
    assert d1["target_value"] == 55.5
    assert d1["target_date"] == date(2024, 5, 31)
    # Kind 29 of the specification's list is "развитие учебной мотивации".
    assert d2["use_kind"] == use_kinds()["code"][28] == "motivation"
    assert d2["status"] == "planned"
    assert result.targets.values.tolist() == [
        ["D1", "sch1"],
        ["D1", "sch2"],
        ["D2", "sch3"],
    ]


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (
            "D3,15.09.2023,регион,,Министерство,pd_need,,,,,,сделано",
            "status",
            "статус «сделано» не распознан: ожидалось planned, done или not_done "
            "(запланировано, выполнено, не выполнено)",
        ),
        (
            "D3,31.02.2023,регион,,Министерство,pd_need,,,,,,done",
            "date",
            "дата «31.02.2023» не распознана: ожидалась дата вида 2024-09-15 или "
            "15.09.2024",
        ),
        (
            "D3,01.09.2023,регион,,Министерство,чтение,,,,,,done",
            "use_kind",
            "вид использования «чтение» не найден в перечне: ожидался код, номер "
            f"от 1 до {len(use_kinds())} или название из params/uses.yaml",
        ),
        (
            "D3,01.09.2023,область,,Министерство,1,,,,,,done",
            "level",
            "уровень «область» не распознан: ожидалось region, municipality или "
            "school (регион, муниципалитет, школа)",
        ),
        (
            "D3,01.09.2023,регион,,,1,,,,,,done",
            "body",
            "пустая ячейка: столбец «орган» обязателен",
        ),
        (
            "D3,01.09.2023,регион,,Министерство,1,,,x,много,,done",
            "target_value",
            "целевое значение «много» не число",
        ),
        (
            "D3,01.09.2023,регион,,Министерство,1,,,,50,,done",
            "indicator",
            "задано целевое значение, но не указан показатель",
        ),
        (
            "D3,01.09.2023,регион,,Министерство,1,,,x,50,01.05.2023,done",
            "target_date",
            "срок 01.05.2023 раньше даты решения 01.09.2023",
        ),
        (
            "D1,01.09.2023,регион,,Министерство,1,,,,,,done",
            "decision_id",
            "номер решения «D1» повторяется в файле",
        ),
    ],
)
def test_bad_rows_are_rejected_with_reasons(tmp_path, row, column, reason):
    result = read_register(write(tmp_path, GOOD + [row]))
    assert len(result.decisions) == 2
    assert result.rejects[["file", "row", "column", "reason"]].values.tolist() == [
        ["register.csv", 4, column, reason]
    ]


def test_unknown_units_are_rejected_when_units_are_known(tmp_path):
    result = read_register(write(tmp_path, GOOD), known_units={"m01", "sch1", "sch3"})
    assert result.rejects[["row", "column", "reason", "value"]].values.tolist() == [
        [2, "targets", "целевые единицы не найдены в базе данных: «sch2»", "sch1;sch2"]
    ]


def test_indicators_are_checked_against_the_catalogue(tmp_path):
    row = "D3,01.09.2023,регион,,Министерство,1,,,vpr_mean_pct,60,,done"
    bad = "D4,01.09.2023,регион,,Министерство,1,,,средний балл,60,,done"
    known = catalogue_indicators()
    assert {"mean_score_pct", "vpr_mean_pct"} <= known
    result = read_register(write(tmp_path, GOOD + [row, bad]), known_indicators=known)
    assert result.decisions["decision_id"].tolist() == ["D1", "D2", "D3"]
    assert result.rejects[["row", "column", "reason"]].values.tolist() == [
        [
            5,
            "indicator",
            "показатель «средний балл» не найден в каталоге "
            "показателей (params/indicators.yaml)",
        ]
    ]


def test_empty_and_unknown_files_stop_the_load(tmp_path):
    (tmp_path / "empty.csv").write_text("\n", encoding="utf-8")
    with pytest.raises(RegisterError) as err:
        read_register(tmp_path / "empty.csv")
    assert str(err.value) == "empty.csv: файл пуст: ожидалась строка заголовков"
    (tmp_path / "r.pdf").write_bytes(b"%PDF")
    with pytest.raises(RegisterError) as err:
        read_register(tmp_path / "r.pdf")
    assert str(err.value) == (
        f"{tmp_path / 'r.pdf'}: неизвестный формат файла «.pdf»: ожидался CSV или XLSX"
    )


def test_missing_columns_stop_the_load(tmp_path):
    path = write(tmp_path, ["1,2"], header="номер,дата\n")
    with pytest.raises(RegisterError) as err:
        read_register(path)
    assert str(err.value) == (
        "register.csv: нет обязательных столбцов реестра решений: «level» "
        "(уровень), «body» (орган), «use_kind» (вид использования), «status» "
        "(статус); в файле столбцы: «номер», «дата»"
    )


def test_xlsx_semicolon_and_cp1251_files_are_read(tmp_path):
    frame = pd.read_csv(write(tmp_path, GOOD), dtype=str, keep_default_na=False)
    frame.to_excel(tmp_path / "register.xlsx", index=False, sheet_name="Реестр")
    from_xlsx = read_register(tmp_path / "register.xlsx")
    assert from_xlsx.valid and from_xlsx.decisions["decision_id"].tolist() == [
        "D1",
        "D2",
    ]

    text = (HEADER + "\n".join(GOOD) + "\n").replace(",", ";")
    text = text.replace('"sch1;sch2"', '"sch1 sch2"').replace('"55;5"', "55,5")
    (tmp_path / "win.csv").write_bytes(text.encode("cp1251"))
    from_win = read_register(tmp_path / "win.csv")
    assert from_win.valid
    assert from_win.decisions["target_value"].tolist()[0] == 55.5
    assert from_win.targets["unit_id"].tolist() == ["sch1", "sch2", "sch3"]


def test_load_stores_rejects_replaces_updates_and_skips_repeats(con, tmp_path):
    db.append(
        con,
        "schools",
        pd.DataFrame(
            {
                "school_id": ["sch1", "sch2", "sch3"],
                "municipality_id": "m01",
            }
        ),
    )
    db.append(
        con,
        "territories",
        pd.DataFrame(
            {
                "territory_id": ["m01"],
                "name": ["Город"],
                "level": ["municipality"],
            }
        ),
    )
    bad = "D9,01.09.2023,регион,,Министерство,1,,,,,,потом"
    first = load_register(con, write(tmp_path, GOOD + [bad]))
    assert (len(first.decisions), len(first.rejects)) == (2, 1)
    (stored,) = con.execute(
        "SELECT count(*) FROM rejects WHERE load_id = ? AND \"column\" = 'status'",
        [first.load_id],
    ).fetchone()
    assert stored == 1
    assert load_register(con, write(tmp_path, GOOD + [bad])).skipped

    # A later version of the register updates the status of D2.
    update = write(tmp_path, [GOOD[1].replace("planned", "не выполнено")], "v2.csv")
    load_register(con, update)
    table = read_decisions(con)
    assert table.set_index("decision_id")["status"].to_dict() == {
        "D1": "done",
        "D2": "not_done",
    }
    assert table.set_index("decision_id")["targets"].to_dict() == {
        "D1": "sch1;sch2",
        "D2": "sch3",
    }
    # Decisions of September 2023 belong to the academic year 2024.
    assert table["year"].tolist() == [2024, 2024]
    assert table["status_name"].tolist() == ["выполнено", "не выполнено"]

    # A school sees the decisions that target it or were taken by its body.
    mine = read_decisions(con, level="school", unit_id="sch3")
    assert mine["decision_id"].tolist() == ["D2"]
    muni = read_decisions(con, level="municipality", unit_id="m01", year=2024)
    assert muni["decision_id"].tolist() == ["D1", "D2"]
    assert read_decisions(con, level="region", unit_id="r", year=2023).empty


def test_use_kinds_read_a_params_file(tmp_path):
    (tmp_path / "uses.yaml").write_text(
        "- {code: ratings, name: Рейтинги}\n- {code: pd, name: Повышение}\n",
        encoding="utf-8",
    )
    kinds = use_kinds(params_dir=tmp_path)
    assert kinds.values.tolist() == [[1, "ratings", "Рейтинги"], [2, "pd", "Повышение"]]

    # params/uses.yaml is the one list: without it nothing is guessed
    with pytest.raises(FileNotFoundError) as err:
        use_kinds(params_dir=tmp_path / "none")
    assert str(err.value) == f"Нет файла параметров {tmp_path / 'none' / 'uses.yaml'}"
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "uses.yaml").write_text("uses: []\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        use_kinds(params_dir=empty)
    assert str(err.value) == (
        f"{empty / 'uses.yaml'}: нет ни одного вида использования (ожидались "
        "записи с code и name в списке uses)"
    )
