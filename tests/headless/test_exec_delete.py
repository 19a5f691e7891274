"""``kpodtui exec`` and ``kpodtui delete`` end to end: real processes, the official client, the sim.

``exec -it`` runs in a real terminal (a tmux pane): the command gets a terminal of
the pane's size, and the new size when the pane is resized.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from kpodtui.engine.run import RunService
from kpodtui.history import History
from kpodtui.kube.config import ClusterTarget
from kpodtui.kube.watch import wait_for
from kpodtui.tasks import load_task

SLEEPER = "task_id: sleeper\nimage: busybox:1.36\ncmds: [sh, -c, 'echo up; sleep 120']\n"
KEPT = "task_id: kept\nimage: busybox:1.36\ncmds: [sh, -c, 'echo done']\non_finish_action: keep_pod\n"


def _launch(sim, tmp_path: Path, text: str, detach: bool) -> str:
    spec_file = tmp_path / f"{uuid.uuid4().hex[:6]}.yaml"
    spec_file.write_text(text)
    history = History.open()
    service = RunService(ClusterTarget(kubeconfig=str(sim.kubeconfig_path)), history)
    try:
        spec, spec_text = load_task(spec_file, None, None, [])
        run = service.launch(spec, spec_path=str(spec_file), spec_text=spec_text, detach=detach)
        run.wait(60)
        run_id = run.run_id
        if detach:
            # the pod is made: wait until its base container runs
            assert wait_for(lambda: _running(service, history.get_run(run_id)), 30)
    finally:
        service.close()
        history.close()
    return run_id


def _running(service: RunService, record) -> bool:
    _api, pod = service.pod_of(record)
    return any("running" in (s.get("state") or {}) for s in ((pod or {}).get("status") or {}).get(
        "containerStatuses") or [])


def _kpodtui(*args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kpodtui", *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout, env=os.environ.copy())


def test_exec_runs_a_command_in_the_runs_pod_and_returns_its_exit_code(sim, tmp_path):
    run_id = _launch(sim, tmp_path, SLEEPER, detach=True)
    done = _kpodtui("exec", run_id, "--", "sh", "-c", "echo out-$((6*7)); echo err >&2; exit 3")
    assert done.returncode == 3, done.stderr
    assert done.stdout == "out-42\n" and "err" in done.stderr
    piped = _kpodtui("exec", run_id, "-i", "--", "sh", "-c", "tr a-z A-Z", stdin="from stdin\n")
    assert piped.returncode == 0 and piped.stdout == "FROM STDIN\n", piped.stderr
    missing = _kpodtui("exec", run_id, "-c", "nope", "--", "true")
    assert missing.returncode == 2 and "no container 'nope'" in missing.stderr and "base" in missing.stderr
    assert missing.stderr.count("\n") == 1
    nothing = _kpodtui("exec", run_id)
    assert nothing.returncode == 2 and "after --" in nothing.stderr
    _kpodtui("kill", run_id)


def test_delete_removes_the_pod_a_finished_run_kept_and_refuses_a_live_one(sim, tmp_path):
    kept = _launch(sim, tmp_path, KEPT, detach=False)
    history = History.open()
    record = history.get_run(kept)
    assert record.outcome == "succeeded" and not record.pod_deleted
    assert sim.get("pods", record.namespace, record.pod_name) is not None
    done = _kpodtui("delete", kept)
    assert done.returncode == 0, done.stderr
    assert f"pod {record.namespace}/{record.pod_name} deleted" in done.stderr
    assert wait_for(lambda: sim.get("pods", record.namespace, record.pod_name) is None, 30)
    assert history.get_run(kept).pod_deleted
    again = _kpodtui("delete", kept)
    assert again.returncode == 2 and "left no pod behind" in again.stderr
    live = _launch(sim, tmp_path, SLEEPER, detach=True)
    refused = _kpodtui("delete", live)
    assert refused.returncode == 2 and f"kpodtui kill {live}" in refused.stderr
    _kpodtui("kill", live)
    history.close()


def test_exec_it_gives_a_terminal_of_the_panes_size_that_follows_a_resize(sim, tmp_path, tmux_pane):
    run_id = _launch(sim, tmp_path, SLEEPER, detach=True)
    pane = tmux_pane(100, 30, f"{sys.executable} -m kpodtui exec {run_id} -it -- sh")
    pane.wait_for("$", "#", timeout=30)  # the shell's prompt
    pane.keys("echo tty-$((40+2))", "Enter")
    pane.wait_for("tty-42")
    pane.wait_for_size("30 100")
    pane.run("resize-window", "-t", "t", "-x", "120", "-y", "40")
    pane.wait_for_size("40 120")
    pane.keys("exit 5", "Enter")
    pane.wait_for("exited-5")  # the shell's exit code is the command's
    _kpodtui("kill", run_id)
