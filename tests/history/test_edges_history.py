"""A history that tells the truth (issue 10): a damaged page, a writer lock held by someone
else, run ids that are not ids, private files, a verdict the database cannot take."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kpodtui.cli import main
from kpodtui.history import History, RunRecord
from kpodtui.history.store import DB_NAME


def _runs(home: Path, n: int = 3) -> list[str]:
    ids = []
    with History.open(home) as h:
        for i in range(n):
            rid = f"r{i:04d}abcd"
            h.add_run(RunRecord(id=rid, task_id="t", spec_text="task_id: t\n", created_at=time.time() + i,
                                pod_name=f"t-{i}", namespace="default"))
            h.open_log(rid, "base").close()
            ids.append(rid)
    return ids


def _damage_the_runs_table(home: Path) -> None:
    """Overwrite the runs table's root page header with garbage, as a bad sector would."""
    db = home / DB_NAME
    conn = sqlite3.connect(db)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'runs'").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with open(db, "r+b") as fh:
        fh.seek((root - 1) * size)
        fh.write(b"\xff" * 16)


def _one_error_line(err: str, *words: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("kpodtui: error:")]
    assert len(errors) == 1 and errors[0] == lines[-1] and "Traceback" not in err, err
    assert all(w in errors[0] for w in words), errors[0]
    return errors[0]


def test_a_damaged_page_is_one_line_exit_2_for_every_command(_hermetic_home, capsys, tmp_path, sim):
    ids = _runs(_hermetic_home)
    _damage_the_runs_table(_hermetic_home)
    spec = tmp_path / "t.yaml"
    spec.write_text("task_id: t\nimage: busybox\ncmds: ['true']\n")
    for argv in (["runs"], ["logs", ids[0]], ["run", str(spec), "--kubeconfig", str(sim.kubeconfig_path)],
                 ["kill", ids[1]], ["attach", ids[2]]):
        assert main(argv) == 2, argv
        _one_error_line(capsys.readouterr().err, "looks damaged", "move it aside", str(_hermetic_home / DB_NAME))


HOLDER = textwrap.dedent("""
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    print("holding", flush=True)
    time.sleep(60)
""")


@pytest.mark.parametrize("holder_name", ["kpodtui_holder.py", "other_tool.py"])
def test_a_history_locked_by_another_writer_says_who_after_a_short_wait(_hermetic_home, tmp_path, capsys,
                                                                        holder_name):
    [rid] = _runs(_hermetic_home, 1)
    script = tmp_path / holder_name
    script.write_text(HOLDER)
    holder = subprocess.Popen([sys.executable, str(script), str(_hermetic_home / DB_NAME)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        assert main(["keep", rid]) == 2
        took = time.monotonic() - started
        err = capsys.readouterr().err
        who = (f"another kpodtui process (pid {holder.pid})" if "kpodtui" in holder_name
               else f"another program (pid {holder.pid}, python")
        _one_error_line(err, f"is locked by {who}", "KPODTUI_HOME")
        assert "permissions" not in err
        assert took < 20, f"waited {took:.0f}s (a short wait, not SQLite's 30 s)"
    finally:
        holder.kill()
        holder.wait()
    assert main(["keep", rid]) == 0, capsys.readouterr().err  # free again: the command works


def test_a_verdict_the_database_cannot_take_is_kept_and_recorded_by_the_next_command(_hermetic_home, tmp_path):
    [rid] = _runs(_hermetic_home, 1)
    history = History.open()
    history.reserve_verdict(rid)
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    holder = subprocess.Popen([sys.executable, str(script), str(_hermetic_home / DB_NAME)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        failed = history.record_verdict(rid, state="finished", outcome="succeeded", exit_code=0,
                                        detail={"log_incomplete": {"base": {"lines": 7, "error": "full"}}})
        assert failed is not None and "locked" in str(failed)
    finally:
        holder.kill()
        holder.wait()
    other = History.open()  # the next command that opens the run
    assert [r.outcome for r in other.iter_runs(5)] == ["succeeded"]  # `kpodtui runs` streams its rows
    record = other.get_run(rid)
    assert (record.state, record.outcome, record.exit_code) == ("finished", "succeeded", 0)
    assert record.detail["log_incomplete"]["base"]["lines"] == 7
    assert other.list_runs()[0].outcome == "succeeded"


@pytest.mark.parametrize("prefix", ["", " ", "%", "_", "*", "r0%", "?", "[r]", "r0_0"])
def test_empty_and_wildcard_looking_run_ids_are_refused(_hermetic_home, capsys, prefix):
    """`kpodtui kill ""` killed the only run: an empty prefix matched them all."""
    [rid] = _runs(_hermetic_home, 1)
    assert main(["kill", prefix]) == 2
    _one_error_line(capsys.readouterr().err, "is not a run id")
    assert not History.open().get_run(rid).kill_requested


def test_a_unique_prefix_still_names_its_run(_hermetic_home):
    ids = _runs(_hermetic_home, 2)
    assert History.open().get_run(ids[1][:5].upper()).id == ids[1]


def test_everything_kpodtui_writes_is_private(_hermetic_home):
    logs = _hermetic_home / "logs"
    logs.mkdir(mode=0o755)
    os.chmod(logs, 0o755)  # made by an older kpodtui
    [rid] = _runs(_hermetic_home, 1)

    def mode(p: Path) -> int:
        return stat.S_IMODE(p.stat().st_mode)

    assert mode(logs) == 0o700
    assert mode(logs / rid) == 0o700 and mode(logs / rid / "base.log") == 0o600
    assert mode(_hermetic_home / DB_NAME) == 0o600


def test_a_log_saved_from_the_app_is_private(_hermetic_home):
    from kpodtui.loglines import LogLine
    from kpodtui.tui.data.followed import save_log

    path = save_log("r1", [LogLine("base", "2026-01-01T00:00:00.000000000Z", "a secret line")])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
