"""Options of the command line: the database path, export filters, Russian help.

References: the database a command opens is found by where the file appears
and what it holds; the export filters are checked against rows written here
by hand; the help texts against the arguments each command declares.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

from cyclolib import config, db
from cyclolib.cli import COMMANDS, build_parser, main
from cyclolib.indicators import EXPORT_COLUMNS

sys.path.insert(0, str(Path(__file__).parent / "loaders"))
from loader_files import write_schools  # noqa: E402


def schools_in(path: Path) -> list[str]:
    con = db.connect(path, read_only=True)
    try:
        rows = con.execute("SELECT school_id FROM schools ORDER BY 1").fetchall()
        return [r[0] for r in rows]
    finally:
        con.close()


LOADED = ["sch220001", "sch220002"]  # the two schools of loader_files.SCHOOLS_CSV


# -- where the database is ------------------------------------------------------


def test_the_default_is_data_cyclo_duckdb(monkeypatch):
    monkeypatch.delenv(config.DB_ENV, raising=False)
    assert config.default_db_path() == config.ROOT / "data" / "cyclo.duckdb"


def test_without_option_or_variable_the_database_is_under_data(
    tmp_path, monkeypatch, capsys
):
    # data/ stands in a temporary folder: the real data/ is left alone.
    monkeypatch.delenv(config.DB_ENV, raising=False)
    monkeypatch.setattr(config, "DATA_DIR", tmp_path / "data")
    assert main(["load", str(write_schools(tmp_path)), "--no-progress"]) == 0
    assert schools_in(tmp_path / "data" / "cyclo.duckdb") == LOADED
    assert main(["search", "семёновская"]) == 0
    assert "sch220002" in capsys.readouterr().out


def test_the_environment_variable_gives_the_database(tmp_path, monkeypatch, capsys):
    env_db = tmp_path / "env" / "cyclo.duckdb"
    monkeypatch.setenv(config.DB_ENV, str(env_db))
    assert main(["load", str(write_schools(tmp_path)), "--no-progress"]) == 0
    assert schools_in(env_db) == LOADED
    assert main(["search", "sch220001"]) == 0
    assert "Найдено по запросу «sch220001»: 1" in capsys.readouterr().out


def test_the_option_wins_over_the_environment_variable(tmp_path, monkeypatch):
    env_db, opt_db = tmp_path / "env.duckdb", tmp_path / "opt.duckdb"
    monkeypatch.setenv(config.DB_ENV, str(env_db))
    files = str(write_schools(tmp_path))
    assert main(["load", files, "--db", str(opt_db), "--no-progress"]) == 0
    assert schools_in(opt_db) == LOADED
    assert not env_db.exists()


def test_search_in_a_missing_database(tmp_path, capsys):
    missing = tmp_path / "none.duckdb"
    assert main(["search", "школа", "--db", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"База данных {missing} не найдена: сначала загрузите данные "
        "(cyclo load или cyclo demo)\n"
    )
    assert not missing.exists()


# -- cyclo export indicators: filters ------------------------------------------

# Four forms, two levels each: (year, study, subject, grade).
FORMS = [
    (2021, "vpr", "ma", 4),
    (2021, "vpr", "ru", 4),
    (2021, "vpr", "ma", 5),
    (2022, "oge", "ma", 9),
]


@pytest.fixture
def values_db(tmp_path) -> Path:
    rows = []
    for i, (year, study, subject, grade) in enumerate(FORMS):
        for level, unit in (("region", "RU-22"), ("school", "sch220001")):
            rows.append(
                {
                    "year": year, "study": study, "subject": subject,
                    "grade": grade, "level": level, "unit_id": unit,
                    "unit_name": unit, "indicator": "quality_pct", "task": "",
                    "value": 10.0 * i, "n": 20 + i, "ci_low": 1.0, "ci_high": 99.0,
                    "small_group": False,
                }
            )  # fmt: skip
    path = tmp_path / "values.duckdb"
    con = db.connect(path)
    db.append(con, "indicator_values", pd.DataFrame(rows))
    con.close()
    return path


def export(path: Path, out: Path, *filters: str) -> pd.DataFrame:
    argv = ["export", "indicators", "--db", str(path), "--out", str(out)]
    assert main([*argv, *filters]) == 0
    return pd.read_csv(out, keep_default_na=False)


def forms_of(frame: pd.DataFrame) -> list[tuple]:
    keys = frame[["year", "study", "subject", "grade"]].drop_duplicates()
    return [tuple(r) for r in keys.itertuples(index=False)]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (["--study", "oge"], [FORMS[3]]),
        (["--study", "vpr"], [FORMS[0], FORMS[2], FORMS[1]]),
        (["--subject", "ru"], [FORMS[1]]),
        (["--subject", "ma"], [FORMS[0], FORMS[2], FORMS[3]]),
        (["--grade", "4"], [FORMS[0], FORMS[1]]),
        (["--grade", "5"], [FORMS[2]]),
        (["--study", "vpr", "--subject", "ma", "--grade", "5"], [FORMS[2]]),
        (["--subject", "ma", "--grade", "4", "--level", "school"], [FORMS[0]]),
    ],
)
def test_export_filters_by_study_subject_and_grade(
    values_db, tmp_path, filters, expected
):
    frame = export(values_db, tmp_path / "v.csv", *filters)
    assert list(frame.columns) == EXPORT_COLUMNS
    # Sorted by year, study, subject, grade; each form has its two levels.
    assert forms_of(frame) == expected
    levels = 1 if "--level" in filters else 2
    assert len(frame) == levels * len(expected)
    # The value written for each form is 10 × its position in FORMS.
    got = dict(zip(map(tuple, frame[["year", "study", "subject", "grade"]].values),
                   frame["value"], strict=True))  # fmt: skip
    assert got == {f: 10.0 * FORMS.index(f) for f in expected}


def test_export_filter_that_matches_nothing(values_db, tmp_path, capsys):
    out = tmp_path / "v.csv"
    argv = ["export", "indicators", "--db", str(values_db), "--out", str(out)]
    assert main([*argv, "--study", "ege"]) == 1
    assert main([*argv, "--study", "oge", "--grade", "4"]) == 1
    assert not out.exists()
    assert capsys.readouterr().err == 2 * (
        "Нет значений показателей под эти условия: проверьте фильтры или "
        "выполните cyclo compute\n"
    )


def test_export_grade_must_be_a_number(values_db, tmp_path, capsys):
    argv = ["export", "indicators", "--db", str(values_db), "--out", "x.csv"]
    with pytest.raises(SystemExit) as stop:
        main([*argv, "--grade", "пятый"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("использование: cyclo export ")
    assert err.splitlines()[-1] == (
        "cyclo export: ошибка: аргумент --grade: недопустимое значение 'пятый' "
        "(ожидалось целое число)"
    )


# -- Russian help ----------------------------------------------------------------

ENGLISH = ["usage:", "positional arguments", "options:", "show this help",
           "optional arguments", "default:"]  # fmt: skip


def command_help(name: str, capsys, monkeypatch) -> str:
    monkeypatch.setenv("COLUMNS", "100")
    with pytest.raises(SystemExit) as stop:
        main([name, "--help"])
    assert stop.value.code == 0
    return capsys.readouterr().out


def declared_actions(name: str) -> list[argparse.Action]:
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices[name]  # noqa: SLF001
    importlib.import_module(f"cyclolib.commands.{COMMANDS[name][0]}").add_arguments(sub)
    return sub._actions  # noqa: SLF001


# Commands whose help has an argument without a Russian description; the mark
# goes when cyclolib/commands/<name>.py describes them.
@pytest.mark.parametrize("name", list(COMMANDS))
def test_help_is_in_russian(name, capsys, monkeypatch):
    text = command_help(name, capsys, monkeypatch)
    assert text.startswith(f"использование: cyclo {name} ")
    # The command's one-line description, then the two Russian sections.
    assert f"\n\n{COMMANDS[name][1]}\n" in text
    sections = [
        line
        for line in text.splitlines()
        if line.endswith(":") and not line.startswith(" ")
    ]
    assert sections[-1] == "параметры:"
    assert set(sections) <= {"аргументы:", "параметры:"}
    assert "  -h, --help" in text and "показать эту справку и выйти" in text
    assert not [phrase for phrase in ENGLISH if phrase in text.lower()]
    # Every argument the command declares is listed, with its help line.
    flat = re.sub(r"\s+", " ", text)
    for action in declared_actions(name):
        label = action.option_strings[-1] if action.option_strings else action.metavar
        assert label in text, label
        if action.help:
            assert re.sub(r"\s+", " ", action.help % vars(action)) in flat, label


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_argument_has_a_russian_help_line(name):
    missing = [
        action.option_strings[-1] if action.option_strings else action.metavar
        for action in declared_actions(name)
        if not re.search("[а-яА-ЯёЁ]", action.help or "")
    ]
    assert missing == []


def test_main_help_and_version(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    assert main([]) == 0
    text = capsys.readouterr().out
    assert text.startswith("использование: cyclo [-h] [--version] [-v] КОМАНДА ...")
    assert "\nпараметры:\n" in text and "\nкоманды:\n" in text
    assert not [phrase for phrase in ENGLISH if phrase in text.lower()]
    for name, (_module, help_text) in COMMANDS.items():
        assert re.search(rf"\n    {name} +{re.escape(help_text)}\n", text), name
        assert re.search("[а-яА-Я]", help_text), name
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert re.fullmatch(r"cyclo \S+\n", capsys.readouterr().out)


def test_an_interrupted_command_says_so(capsys, monkeypatch):
    from cyclolib.commands import search

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(search, "run", interrupted)
    assert main(["search", "школа"]) == 130
    assert capsys.readouterr().err == "Прервано пользователем\n"


def latin_words(message: str) -> list[str]:
    """Latin words of an error line other than options, quoted values and names."""
    text = re.sub(r"'[^']*'", "", message)
    text = re.sub(r"(?<!\w)--?[\w-]+", "", text)
    text = re.sub(rf"^cyclo( ({'|'.join(COMMANDS)}))?: ", "", text)
    return re.findall(r"[A-Za-z]{2,}", text)


def error_line(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("использование: cyclo")
    return err.splitlines()[-1]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["load"],
            "cyclo load: ошибка: не заданы обязательные аргументы: ФАЙЛ|КАТАЛОГ",
        ),
        (["search", "а", "--bogus"], "cyclo: ошибка: неизвестные аргументы: --bogus"),
        (
            ["synth", "--format", "pdf"],
            "cyclo synth: ошибка: аргумент --format: недопустимое значение 'pdf' "
            "(допустимо: 'xlsx', 'csv')",
        ),
        (
            ["synth", "--seed", "1.5"],
            "cyclo synth: ошибка: аргумент --seed: недопустимое значение '1.5' "
            "(ожидалось целое число)",
        ),
        (
            ["synth", "--seed"],
            "cyclo synth: ошибка: аргумент --seed: нужно одно значение",
        ),
        (
            ["отчёты"],
            "cyclo: ошибка: аргумент КОМАНДА: недопустимое значение 'отчёты' "
            "(допустимо: " + ", ".join(f"'{c}'" for c in COMMANDS) + ")",
        ),
    ],
)
def test_argument_errors_are_in_russian(argv, expected, capsys):
    line = error_line(argv, capsys)
    assert line == expected
    assert latin_words(line) == []


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["synth", "--years"],
            "cyclo synth: ошибка: аргумент --years: нужно хотя бы одно значение",
        ),
        (
            ["synth", "--s", "1"],
            "cyclo synth: ошибка: неоднозначный ключ --s: подходят --seed, --schools",
        ),
        (
            ["synth", "--quirks=1"],
            "cyclo synth: ошибка: аргумент --quirks: значение '1' не принимается "
            "(это флаг без значения)",
        ),
    ],
)
def test_more_argument_errors_are_in_russian(argv, expected, capsys):
    line = error_line(argv, capsys)
    assert line == expected
    assert latin_words(line) == []


def test_help_of_the_commands_names_their_arguments(capsys, monkeypatch):
    load = command_help("load", capsys, monkeypatch)
    assert "использование: cyclo load [-h] [--db ФАЙЛ]" in load
    assert "ФАЙЛ|КАТАЛОГ [ФАЙЛ|КАТАЛОГ ...]" in load
    assert "\nаргументы:\n" in load
    search = command_help("search", capsys, monkeypatch)
    assert "ТЕКСТ [ТЕКСТ ...]" in search and "\nаргументы:\n" in search
    synth = command_help("synth", capsys, monkeypatch)
    assert "--seed N" in synth and "--out КАТАЛОГ" in synth
    # synth has no positional argument: no «аргументы» section.
    assert "\nаргументы:\n" not in synth
