"""The runs watch notices another process's change of a run, and nothing else."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kpodtui.history import History, RunRecord
from kpodtui.history.watch import RunsWatch
from kpodtui.loglines import LogCursor


def _in_another_process(home, code: str) -> None:
    script = f"from kpodtui.history import History, RunRecord\nh = History.open({str(home)!r})\n{code}\nh.close()\n"
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)


def test_a_run_added_changed_or_deleted_elsewhere_is_noticed_once(tmp_path):
    History.open(tmp_path).close()
    watch = RunsWatch(tmp_path)
    assert not watch.changed()
    _in_another_process(tmp_path, "h.add_run(RunRecord(id='r1', task_id='t'))")
    assert watch.changed() and not watch.changed()
    _in_another_process(tmp_path, "h.update_run('r1', on_finish_action='keep_pod')")
    assert watch.changed() and not watch.changed()
    _in_another_process(tmp_path, "h.update_run('r1', state='finished', outcome='killed')")
    assert watch.changed()
    watch.close()


def test_log_cursors_saved_every_second_do_not_count_as_a_change(tmp_path):
    h = History.open(tmp_path)
    h.add_run(RunRecord(id="r1", task_id="t"))
    watch = RunsWatch(tmp_path)
    for i in range(5):
        h.save_cursors("r1", {"base": LogCursor("2026-01-01T00:00:00Z", 0, i)})
    assert not watch.changed()
    h.update_run("r1", phase="Running")
    assert watch.changed()
    watch.close()
    h.close()


@pytest.mark.parametrize("version", [1, 2], ids=["from-1", "from-2"])
def test_an_older_history_is_migrated_keeping_its_runs(tmp_path, version):
    """1 -> 2 -> 3 and 2 -> 3: the runs stay, the list's index (2) and the overrides, the
    recorded pods and the change counter (3) are there and work."""
    import sqlite3

    from kpodtui.history.schema import MIGRATIONS, SCHEMA_VERSION, migrate

    assert SCHEMA_VERSION == 3
    db = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.executescript(MIGRATIONS[0])
    if version == 2:
        conn.executescript(MIGRATIONS[1])  # (a script: the list's index)
    conn.execute("INSERT INTO runs (id, task_id, created_at) VALUES ('old1', 't', 1.0)")
    conn.execute(f"PRAGMA user_version = {version}")
    conn.close()
    h = History.open(tmp_path)
    assert h._read("PRAGMA user_version")[0][0] == 3
    assert h._read("SELECT name FROM sqlite_master WHERE name = 'runs_list'")
    old = h.get_run("old1")
    assert old.overrides == () and h.pod_record("old1") == {"manifest": None, "last_pod": None, "events": None}
    watch = RunsWatch(tmp_path)
    watch.changed()  # (the first look only learns where the counter is)
    h.update_run("old1", overrides=["params.n=3"])
    assert h.get_run("old1").overrides == ("params.n=3",)
    assert watch.changed()  # the triggers count a change made after the migration
    h.record_pod("old1", manifest={"kind": "Pod"})
    h.record_pod("old1", events=[{"reason": "Started"}])
    assert h.pod_record("old1") == {"manifest": {"kind": "Pod"}, "last_pod": None, "events": [{"reason": "Started"}]}
    watch.close()
    h.close()
    again = sqlite3.connect(db, isolation_level=None)
    assert migrate(again) == 3  # opened again: nothing left to do
    again.close()
