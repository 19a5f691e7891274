"""``logs`` / ``runs`` on the history: unknown containers list the choices, empty history is clean."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from kpodtui.cli import main
from kpodtui.engine.events import LogLine
from kpodtui.history import History, RunRecord

TS = "2026-01-01T00:00:0{}.000000000Z"


def _seed(home: Path, state: str = "finished") -> None:
    h = History.open(home)
    h.add_run(RunRecord(id="run111", task_id="two", pod_name="two-x", namespace="default", state=state,
                        outcome="succeeded" if state == "finished" else None, created_at=1.0,
                        spec_text="task_id: two\nimage: busybox\n"))
    h.open_log("run111", "base").append([LogLine("base", TS.format(1), "one")])
    h.open_log("run111", "side").append([LogLine("side", TS.format(2), "two")])
    h.close()


def test_logs_of_an_unknown_container_lists_the_choices(_hermetic_home, capsys):
    _seed(_hermetic_home)
    assert main(["logs", "run111", "-c", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "'nope'" in err and "base, side" in err


def test_logs_follow_of_an_unknown_container_of_a_live_run_says_so_instead_of_hanging(_hermetic_home, capsys):
    _seed(_hermetic_home, state="live")
    result: list[int] = []
    t = threading.Thread(target=lambda: result.append(main(["logs", "run111", "-c", "nope", "-f"])), daemon=True)
    t.start()
    t.join(10)
    assert result == [2], "logs -f -c <unknown> of a live run waited forever"
    err = capsys.readouterr().err
    assert "'nope'" in err and "base" in err and "side" in err


def test_runs_on_an_empty_history(capsys):
    assert main(["runs", "--json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out) == [] and out.err == ""
    assert main(["runs"]) == 0
    out = capsys.readouterr()
    assert out.out == "" and "no runs yet" in out.err


def test_runs_streams_the_list_as_one_json_document_and_one_aligned_table(_hermetic_home, capsys):
    from dataclasses import asdict

    h = History.open(_hermetic_home)
    for i in range(7):
        h.add_run(RunRecord(id=f"run{i:03d}", task_id="t" * (i + 1), state="live" if i == 2 else "finished",
                            created_at=100.0 + i, finished_at=None if i == 2 else 103.0 + i,
                            outcome=None if i == 2 else "succeeded", exit_code=None if i == 2 else 0,
                            xcom={"n": i}, detail={"reason": "why\nnot"}))  # fmt: skip
    expected = []
    for r in h.list_runs(limit=5):
        d = asdict(r)
        d.pop("spec_text")
        expected.append(d)
    h.close()
    assert main(["runs", "--json", "--limit", "5"]) == 0
    out = capsys.readouterr().out
    got = json.loads(out)
    # the status word and duration the app shows too (a live run's duration runs on with the clock)
    assert [d["status"] for d in got] == ["Pending (detached)"] + ["Succeeded"] * 4
    assert [d["duration"] for d in got[1:]] == [3.0] * 4
    for want, d in zip(expected, got, strict=True):
        want["status"], want["duration"] = d["status"], d["duration"]
    assert out == json.dumps(expected, default=str, indent=2) + "\n"  # one document, as json.dumps lays it out
    assert main(["runs", "--limit", "5"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert [row.split()[0] for row in table] == ["RUN", "run002", "run006", "run005", "run004", "run003"]
    column = table[0].index("STATUS")
    assert all(row[column:].split()[0] in ("STATUS", "Pending", "Succeeded") for row in table)  # aligned
    assert all("why\\nnot" in row for row in table[2:])  # a reason with a line break stays on its row
