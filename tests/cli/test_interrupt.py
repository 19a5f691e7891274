"""Ctrl-C of ``kpodtui run`` at different moments: exit 130, the pod deleted, says so, history ``killed``."""

from __future__ import annotations

import signal
import time

from kpodtui.history import History
from tests.headless.test_cli_sim import Proc


def _stubborn(tmp_path, grace: int = 20):
    # A PID-1 shell that ignores SIGTERM: the pod only goes away at the end of its grace period.
    spec = tmp_path / "stubborn.yaml"
    spec.write_text(
        f"task_id: stubborn\nimage: busybox\ntermination_grace_period: {grace}\n"
        "cmds: [sh, -c, \"trap '' TERM; i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.05; done\"]\n"
    )
    return spec


def _assert_killed(sim, run_id: str) -> None:
    record = History.open().get_run(run_id)
    assert record.state == "finished" and record.outcome == "killed", record
    pod = sim.get("pods", "default", record.pod_name)
    assert pod is None or pod["metadata"].get("deletionTimestamp"), "the pod was not deleted"


def test_ctrl_c_says_it_waits_for_the_grace_period_and_a_second_one_stops_waiting(sim, tmp_path):
    proc = Proc("run", str(_stubborn(tmp_path)), "--kubeconfig", str(sim.kubeconfig_path))
    run_id = proc.run_id()
    proc.wait_for(lambda: len(proc.out) >= 2)
    proc.p.send_signal(signal.SIGINT)
    # The user is told why nothing happens yet, and how to stop waiting.
    proc.wait_for(lambda: any("Ctrl-C again" in e for e in proc.err), timeout=10)
    assert any("20s" in e for e in proc.err if "Ctrl-C again" in e), proc.err
    started = time.monotonic()
    proc.p.send_signal(signal.SIGINT)
    assert proc.finish(timeout=30) == 130
    assert time.monotonic() - started < 8, "the second Ctrl-C did not stop the wait"
    assert not any("Traceback" in e for e in proc.err), proc.err
    _assert_killed(sim, run_id)


def test_ctrl_c_while_waiting_for_the_start(sim, tmp_path):
    spec = tmp_path / "slow_init.yaml"
    spec.write_text(
        "task_id: slowinit\nimage: busybox\ncmds: [echo, hi]\n"
        "init_containers:\n  - {name: wait, image: busybox, command: [sleep, '30']}\n"
    )
    proc = Proc("run", str(spec), "--kubeconfig", str(sim.kubeconfig_path))
    run_id = proc.run_id()
    proc.wait_for(lambda: any("created pod" in e for e in proc.err))
    proc.p.send_signal(signal.SIGINT)
    assert proc.finish(timeout=60) == 130
    assert any("interrupted: killing pod" in e for e in proc.err), proc.err
    assert not any("Traceback" in e for e in proc.err), proc.err
    _assert_killed(sim, run_id)


def test_sigterm_kills_the_pod_like_ctrl_c(sim, tmp_path):
    # A cancelled CI job or `timeout` sends SIGTERM: the pod must not be left running.
    proc = Proc("run", str(_stubborn(tmp_path, grace=1)), "--kubeconfig", str(sim.kubeconfig_path))
    run_id = proc.run_id()
    proc.wait_for(lambda: len(proc.out) >= 2)
    proc.p.send_signal(signal.SIGTERM)
    assert proc.finish(timeout=30) == 130
    assert any("interrupted: killing pod" in e for e in proc.err), proc.err
    _assert_killed(sim, run_id)
