"""A history written by a newer kpodtui: one clear line, exit 2, the file left untouched."""

from __future__ import annotations

import sqlite3

from kpodtui.cli import main
from kpodtui.history import History


def test_newer_history_schema_is_one_clear_line_and_untouched(_hermetic_home, capsys):
    from kpodtui.history.store import DB_NAME

    History.open().close()
    db = _hermetic_home / DB_NAME
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 999")
    before = db.read_bytes()
    assert main(["runs"]) == 2
    err = capsys.readouterr().err
    assert "written by a newer kpodtui" in err and "KPODTUI_HOME" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 999
    assert db.read_bytes()[:100] == before[:100]


def test_a_damaged_history_is_one_clear_line_and_kept_as_it_is(_hermetic_home, capsys):
    from kpodtui.history.store import DB_NAME

    db = _hermetic_home / DB_NAME
    db.write_bytes(b"not a database, but somebody's runs" * 100)
    before = db.read_bytes()
    for argv in (["runs"], ["run", "--sim", "sample_tasks/hello.yaml"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"kpodtui: error: the run history {db} looks damaged (file is not a database)")
        assert "move it aside" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert db.read_bytes() == before  # never "repaired" over

