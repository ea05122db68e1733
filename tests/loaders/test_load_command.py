"""`cyclo load` as a command: what it leaves in the database folder."""

from __future__ import annotations

from loader_files import SCHOOLS_CSV

from cyclolib import db
from cyclolib.cli import main


def test_unreadable_file_creates_no_database(tmp_path, capsys):
    # Regression: a load of a missing file exited 2 but left a new, empty
    # database file (and the folders above it) behind.
    target = tmp_path / "new" / "deeper" / "new.duckdb"
    missing = tmp_path / "nonexistent.xlsx"
    code = main(["load", str(missing), "--db", str(target), "--no-progress"])
    assert code == 2
    assert f"{missing}: файл не найден" in capsys.readouterr().out
    assert not target.exists()
    assert not (tmp_path / "new").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_broken_file_leaves_an_existing_database_as_it_was(tmp_path, capsys):
    target = tmp_path / "old.duckdb"
    con = db.connect(target)
    con.execute("INSERT INTO studies VALUES ('vpr', 'ВПР')")
    con.close()
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    assert main(["load", str(broken), "--db", str(target), "--no-progress"]) == 2
    assert "broken.xlsx: файл не читается как таблица Excel" in (
        capsys.readouterr().out
    )
    con = db.connect(target, read_only=True)
    try:
        assert con.execute("SELECT * FROM studies").fetchall() == [("vpr", "ВПР")]
        assert con.execute("SELECT count(*) FROM loads").fetchone() == (0,)
    finally:
        con.close()


def test_a_readable_file_keeps_the_new_database(tmp_path):
    target = tmp_path / "new.duckdb"
    schools = tmp_path / "schools.csv"
    schools.write_text(SCHOOLS_CSV, encoding="utf-8")
    assert main(["load", str(schools), "--db", str(target), "--no-progress"]) == 0
    con = db.connect(target, read_only=True)
    try:
        assert con.execute("SELECT school_id FROM schools ORDER BY 1").fetchall() == [
            ("sch220001",),
            ("sch220002",),
        ]
    finally:
        con.close()
