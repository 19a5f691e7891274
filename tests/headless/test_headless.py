"""Headless commands through the real CLI: history commands, bad input and cluster errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kpodtui.cli import main
from kpodtui.engine.events import LogLine
from kpodtui.history import History, RunRecord

ROOT = Path(__file__).resolve().parents[2]
TS = "2026-01-01T00:00:0{}.000000000Z"


def _seed(home: Path) -> None:
    h = History.open(home)
    h.add_run(RunRecord(id="abc123", task_id="hello", pod_name="hello-x", namespace="default",
                        state="finished", outcome="succeeded", exit_code=0, created_at=1.0, finished_at=3.0))
    w = h.open_log("abc123", "base")
    w.append([LogLine("base", TS.format(1), "one"), LogLine("base", TS.format(3), "three")])
    s = h.open_log("abc123", "side")
    s.append([LogLine("side", TS.format(2), "two")])
    h.close()


def test_runs_and_logs_from_disk(_hermetic_home, capsys):
    _seed(_hermetic_home)
    assert main(["runs"]) == 0
    out = capsys.readouterr().out
    assert "abc123" in out and "Succeeded" in out and "2s" in out  # the run's own start to end
    assert main(["runs", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["id"] == "abc123"
    assert main(["logs", "abc"]) == 0
    assert capsys.readouterr().out.splitlines() == ["[base] one", "[side] two", "[base] three"]
    assert main(["logs", "abc", "-c", "side", "-f"]) == 0
    assert capsys.readouterr().out.splitlines() == ["[side] two"]
    assert main(["logs", "nope"]) == 2


def test_history_commands_never_import_kubernetes(_hermetic_home):
    _seed(_hermetic_home)
    code = (
        "import sys; from kpodtui.cli import main; main(['runs']); main(['logs','abc123']);"
        "assert 'kubernetes' not in sys.modules, 'kubernetes imported'"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr


def test_missing_spec_is_bad_input(capsys):
    assert main(["run", "/nope/missing.yaml"]) == 2
    assert "kpodtui: error:" in capsys.readouterr().err


def test_missing_kubeconfig_file_is_bad_input(capsys):
    assert main(["run", str(ROOT / "sample_tasks/hello.yaml"), "--kubeconfig", "/nope/kc"]) == 2
    err = capsys.readouterr().err
    assert "/nope/kc" in err and "Traceback" not in err


def test_no_kubeconfig_at_all_is_a_cluster_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["run", str(ROOT / "sample_tasks/hello.yaml")]) == 4
    assert "--sim" in capsys.readouterr().err


def test_unreachable_cluster_exits_4_with_one_line(tmp_path):
    cfg = tmp_path / "kc"
    cfg.write_text(
        "clusters:\n- name: c\n  cluster: {server: 'http://127.0.0.1:9'}\n"
        "contexts:\n- name: c\n  context: {cluster: c}\ncurrent-context: c\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "kpodtui", "run", str(ROOT / "sample_tasks/hello.yaml"), "--kubeconfig", str(cfg)],
        capture_output=True, text=True, timeout=90, env=dict(os.environ),
    )
    assert proc.returncode == 4, proc.stderr
    assert "cannot reach the cluster" in proc.stderr and "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    # never a silent wait: the retry is said first, the one error line comes last
    assert "cannot reach the API server (connection refused); retrying in" in proc.stderr
    assert lines[-1].startswith("kpodtui: error: cannot reach the cluster at http://127.0.0.1:9")


def test_logs_follow_of_a_detached_run_follows_the_pod_and_records_the_verdict(cluster_kubeconfig, tmp_path,
                                                                               capsys):
    spec = tmp_path / "slow.yaml"
    spec.write_text("task_id: slow\nimage: busybox\n"
                    "cmds: [sh, -c, 'for i in 1 2 3 4 5; do echo tick $i; sleep 0.2; done']\n")
    assert main(["run", "--detach", str(spec)]) == 0
    run_id = History.open().list_runs()[0].id
    capsys.readouterr()
    # nobody follows the run: `logs -f` follows the pod itself (as kubectl logs -f), not empty files
    assert main(["logs", run_id, "-f"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"[base] tick {i}" for i in range(1, 6)]
    record = History.open().get_run(run_id)
    assert record.state == "finished" and record.outcome == "succeeded"
    # and what it printed is what the history holds
    assert main(["logs", run_id]) == 0
    assert capsys.readouterr().out.splitlines() == [f"[base] tick {i}" for i in range(1, 6)]


def test_attach_json_on_a_finished_run_prints_its_summary_and_exits_with_its_verdict(_hermetic_home, capsys):
    from kpodtui.loglines import LogCursor

    h = History.open(_hermetic_home)
    h.add_run(RunRecord(id="oom1", task_id="big", pod_name="big-x", namespace="default", state="finished",
                        outcome="failed", exit_code=137, failure_report="Pod big-x returned a failure.",
                        created_at=1.0, finished_at=3.0, phase="Failed",
                        detail={"pod_deleted": True, "reason": "OOMKilled"}))
    h.save_cursors("oom1", {"base": LogCursor(TS.format(3), 1, 42)})
    h.close()
    assert main(["attach", "oom1", "--json"]) == 1
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert summary["outcome"] == "failed" and summary["exit_code"] == 137 and summary["reason"] == "OOMKilled"
    assert summary["pod_deleted"] is True and summary["log_lines"] == 42 and summary["state"] == "finished"
    assert "already finished: failed" in err


def test_kill_of_a_detached_run_follows_its_own_tasks_on_kill_action_and_records_the_end(cluster, cluster_kubeconfig,
                                                                                         tmp_path, capsys):
    """A file of two tasks: the run of the second (on_kill_action: keep_pod) keeps its pod;
    the verdict is recorded with its end time (nobody follows a detached run)."""
    spec = tmp_path / "two.yaml"
    spec.write_text(
        "task_id: first\nimage: busybox\ncmds: [sh, -c, 'sleep 60']\n---\n"
        "task_id: second\nimage: busybox\ncmds: [sh, -c, 'sleep 60']\non_kill_action: keep_pod\n"
        "termination_grace_period: 1\n")
    for task in ("second", "first"):
        assert main(["run", "--detach", str(spec), "--task", task]) == 0
    second, first = sorted(History.open().list_runs(), key=lambda r: r.task_id, reverse=True)
    capsys.readouterr()
    assert main(["kill", second.id]) == 0
    assert f"pod {cluster.namespace}/{second.pod_name} kept (on_kill_action: keep_pod)" in capsys.readouterr().err
    record = History.open().get_run(second.id)
    assert (record.state, record.outcome, record.pod_deleted) == ("finished", "killed", False)
    assert record.finished_at is not None and record.finished_at >= record.created_at
    assert cluster.get("pods", cluster.namespace, second.pod_name) is not None
    assert main(["kill", first.id]) == 0
    assert f"pod {cluster.namespace}/{first.pod_name} deleted" in capsys.readouterr().err
    record = History.open().get_run(first.id)
    assert (record.state, record.outcome, record.pod_deleted) == ("finished", "killed", True)
    assert record.finished_at is not None
