"""The run history against a real SQLite file and real log files."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap

import pytest

from kpodtui.engine.events import LogLine
from kpodtui.errors import BadInputError
from kpodtui.history import History, LogCursor, RunRecord, new_run_id
from kpodtui.history.logfiles import cursor_from_file
from kpodtui.history.schema import SCHEMA_VERSION


def ts(n: int) -> str:
    return f"2026-01-01T00:00:{n // 1000:02d}.{n % 1000:09d}Z"


def test_open_creates_private_files_and_schema(tmp_path):
    h = History.open(tmp_path / "home")
    db = tmp_path / "home" / "history.sqlite3"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert h._read("PRAGMA user_version")[0][0] == SCHEMA_VERSION
    assert h._read("PRAGMA journal_mode")[0][0] == "wal"
    w = h.open_log("r1", "base")
    w.append([LogLine("base", ts(1), "x")])
    assert stat.S_IMODE(h.log_path("r1", "base").stat().st_mode) == 0o600
    h.close()
    # reopening an up-to-date database is a no-op
    History.open(tmp_path / "home").close()


def test_env_home(monkeypatch, tmp_path):
    monkeypatch.setenv("KPODTUI_HOME", str(tmp_path / "h2"))
    with History.open() as h:
        assert h.home == tmp_path / "h2"


def test_runs_roundtrip_prefix_and_order(tmp_path):
    h = History.open(tmp_path)
    h.add_run(RunRecord(id="aaa111", task_id="t1", created_at=1.0, state="finished"))
    h.add_run(RunRecord(id="aaa222", task_id="t2", created_at=2.0))
    h.add_run(RunRecord(id="bbb333", task_id="t3", created_at=3.0, state="finished"))
    h.update_run("aaa111", outcome="failed", exit_code=3, xcom={"a": [1]}, detail={"k": 1})
    r = h.get_run("aaa1")
    assert (r.outcome, r.exit_code, r.xcom, r.detail) == ("failed", 3, {"a": [1]}, {"k": 1})
    assert [x.id for x in h.list_runs()] == ["aaa222", "bbb333", "aaa111"]
    assert [x.id for x in h.list_runs(live_first=False)] == ["bbb333", "aaa222", "aaa111"]
    assert [x.id for x in h.live_runs()] == ["aaa222"]
    with pytest.raises(BadInputError, match="ambiguous"):
        h.get_run("aaa")
    with pytest.raises(BadInputError, match="no run"):
        h.get_run("zzz")
    with pytest.raises(ValueError):
        h.update_run("aaa111", id="x")


def test_new_run_ids_unique_and_ordered():
    ids = [new_run_id() for _ in range(200)]
    assert len(set(ids)) == 200
    assert all(len(i) == 10 and i.isalnum() and i.islower() for i in ids)


def test_log_files_cursor_and_merge(tmp_path):
    h = History.open(tmp_path)
    h.add_run(RunRecord(id="r", task_id="t"))
    w = h.open_log("r", "base")
    w.append([LogLine("base", ts(1), "a"), LogLine("base", ts(2), "b b"), LogLine("base", ts(2), "c")])
    assert w.cursor == LogCursor(ts(2), 2, 3)
    w.close()
    s = h.open_log("r", "side")
    s.append([LogLine("side", ts(1), ""), LogLine("side", "", "no ts")])
    s.close()
    # reopening continues where the file ends
    w2 = h.open_log("r", "base")
    assert w2.cursor == LogCursor(ts(2), 2, 3)
    assert [ln.text for ln in h.read_log("r", "base")] == ["a", "b b", "c"]
    assert h.containers("r") == ["base", "side"]
    merged = list(h.read_log("r"))
    assert len(merged) == 5 and merged[-1].container == "base"
    h.save_cursors("r", {"base": w2.cursor})
    assert h.cursors("r") == {"base": w2.cursor}


def test_torn_last_line_is_cut(tmp_path):
    path = tmp_path / "c.log"
    path.write_bytes(f"{ts(1)} one\n{ts(2)} two\n{ts(3)} thr".encode())
    assert cursor_from_file(path) == LogCursor(ts(2), 1, 2)
    assert path.read_bytes().endswith(b"two\n")


_WRITER = textwrap.dedent(
    """
    import sys
    from kpodtui.history import History, RunRecord
    h = History.open(sys.argv[1])
    tag = sys.argv[2]
    for i in range(150):
        h.add_run(RunRecord(id=f"{tag}{i:04d}", task_id=tag))
        h.update_run(f"{tag}{i:04d}", state="finished", outcome="succeeded")
    h.close()
    """
)


@pytest.mark.parametrize("attempt", range(3))
def test_two_processes_write_at_once(tmp_path, attempt):
    # Both start on a history that does not exist yet: creating it races too.
    env = dict(os.environ)
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path), tag], env=env)
        for tag in ("p", "q")
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    h = History.open(tmp_path)
    runs = h.list_runs(limit=1000)
    assert len(runs) == 300
    assert all(r.outcome == "succeeded" for r in runs)


def test_the_run_list_reads_its_order_from_an_index(tmp_path):
    """100k runs: the list's first page came from a full scan and a sort (~0.4 s)."""
    h = History.open(tmp_path)
    for i in range(30):
        h.add_run(RunRecord(id=f"r{i:03d}", task_id="t", created_at=1000.0 + i,
                            state="live" if i % 10 == 3 else "finished"))  # fmt: skip
    sql: list[str] = []
    h._conn.set_trace_callback(sql.append)
    listed = h.list_runs(limit=5)
    h._conn.set_trace_callback(None)
    query = next(s for s in sql if s.lstrip().upper().startswith("SELECT"))
    plan = " / ".join(row[-1] for row in h._read("EXPLAIN QUERY PLAN " + query))
    assert "USING INDEX runs_list" in plan and "TEMP B-TREE" not in plan, plan
    assert [r.id for r in listed] == ["r023", "r013", "r003", "r029", "r028"]  # live first, newest first
    assert [r.id for r in h.iter_runs(30, page=4)] == [r.id for r in h.list_runs(limit=30)]


def test_a_history_of_the_first_schema_gains_the_list_index(tmp_path):
    import sqlite3

    from kpodtui.history.schema import MIGRATIONS

    conn = sqlite3.connect(tmp_path / "history.sqlite3", isolation_level=None)
    conn.executescript(MIGRATIONS[0])
    conn.execute("INSERT INTO runs (id, task_id, created_at) VALUES ('old', 't', 1.0)")
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    h = History.open(tmp_path)
    assert [r.id for r in h.list_runs()] == ["old"]
    assert h._read("SELECT name FROM sqlite_master WHERE name = 'runs_list'")


def test_logs_of_several_containers_merge_by_time_across_chunks(tmp_path, monkeypatch):
    import random

    from kpodtui.history import logfiles

    monkeypatch.setattr(logfiles, "_BLOCK", 64)  # a few lines per chunk: merges across chunk edges
    rnd = random.Random(7)
    h = History.open(tmp_path)
    h.add_run(RunRecord(id="r", task_id="t"))
    written = []
    for name in ("a", "b", "c"):
        t, lines = 0, []
        for i in range(300):
            t += rnd.choice([0, 0, 1, 2, 5])  # ties within and across containers
            lines.append(LogLine(name, f"2026-01-01T00:00:00.{t:09d}Z", f"{name}{i} {'x' * rnd.randint(0, 40)}"))
        w = h.open_log("r", name)
        for k in range(0, 300, 37):
            w.append(lines[k:k + 37])
        w.close()
        written.append(lines)
    merged = list(h.read_log("r"))
    order = {"a": 0, "b": 1, "c": 2}
    expected = sorted((ln for lines in written for ln in lines), key=lambda ln: (ln.timestamp, order[ln.container]))
    assert merged == expected  # time order; a tie goes to the container listed first, in its own order
    assert [ln.text for ln in h.read_log("r", "b")] == [ln.text for ln in written[1]]
