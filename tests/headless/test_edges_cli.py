"""Commands at the edges (issue 10), as real processes against the sim: an observer's Ctrl-C,
an attach that cannot reach the cluster, a kill -9 while the create is under way, runs that
end because the cluster refused or could not be reached."""

from __future__ import annotations

import json
import signal
import time

from kpodtui.cli import main
from kpodtui.history import History
from tests.headless.test_cli_sim import Proc, ticking


def _wait(cond, timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"{what} not met within {timeout}s"
        time.sleep(0.02)


def _gated(tmp_path, n: int = 20) -> tuple:
    gate = tmp_path / "go"
    spec = tmp_path / "gated.yaml"
    spec.write_text(
        "task_id: gated\nimage: busybox\ntermination_grace_period: 1\n"
        f"cmds: [sh, -c, 'i=0; while [ $i -lt {n} ]; do echo tick-$i; i=$((i+1)); "
        f"if [ $i -eq 5 ]; then while [ ! -e {gate} ]; do sleep 0.02; done; fi; done']\n"
    )
    return spec, gate


def test_ctrl_c_on_an_observer_detaches_and_never_kills_the_owners_pod(sim, tmp_path):
    spec, gate = _gated(tmp_path)
    owner = Proc("run", str(spec), "--kubeconfig", str(sim.kubeconfig_path))
    run_id = owner.run_id()
    owner.wait_for(lambda: len(owner.out) >= 5)
    watcher = Proc("attach", run_id)
    watcher.wait_for(lambda: any("followed by another kpodtui process" in e for e in watcher.err))
    # it caught up from the first line, although another process writes the run
    watcher.wait_for(lambda: len(watcher.out) >= 5)
    assert watcher.out[:5] == [f"[base] tick-{i}" for i in range(5)]
    watcher.p.send_signal(signal.SIGINT)
    assert watcher.finish() == 130, watcher.err
    said = "\n".join(watcher.err)
    assert f"stopped showing run {run_id}; it goes on in pid {owner.p.pid}" in said, said
    assert "killing pod" not in said
    record = History.open().get_run(run_id)
    assert record.live and not record.kill_requested
    pod = sim.get("pods", "default", record.pod_name)
    assert pod is not None and not pod["metadata"].get("deletionTimestamp"), "the observer killed the pod"
    gate.touch()
    assert owner.finish() == 0, owner.err
    assert owner.out == [f"[base] tick-{i}" for i in range(20)]
    assert History.open().get_run(run_id).outcome == "succeeded"


def test_an_attach_that_cannot_reach_the_cluster_leaves_the_run_live(sim, tmp_path, capsys):
    spec, gate = _gated(tmp_path)
    assert main(["run", "--detach", str(spec), "--kubeconfig", str(sim.kubeconfig_path)]) == 0
    [record] = History.open().list_runs()
    sim.stop_apiserver()
    try:
        capsys.readouterr()
        assert main(["attach", record.id]) == 4
        err = capsys.readouterr().err
        assert "cannot reach the cluster" in err and "Traceback" not in err
        assert f"run {record.id} stays live" in err
        after = History.open().get_run(record.id)
        assert after.live and after.outcome is None and after.owner_pid is None
    finally:
        sim.start_apiserver()
    gate.touch()
    assert main(["attach", record.id]) == 0, "a later attach takes the run up again"
    out = capsys.readouterr().out.splitlines()
    assert out == [f"[base] tick-{i}" for i in range(20)]
    assert History.open().get_run(record.id).outcome == "succeeded"


def test_kill_while_an_attach_cannot_reach_the_cluster_works_later(sim, tmp_path, capsys):
    spec, _gate = _gated(tmp_path)
    assert main(["run", "--detach", str(spec), "--kubeconfig", str(sim.kubeconfig_path)]) == 0
    [record] = History.open().list_runs()
    sim.stop_apiserver()
    try:
        assert main(["attach", record.id]) == 4
    finally:
        sim.start_apiserver()
    assert main(["kill", record.id]) == 0
    after = History.open().get_run(record.id)
    assert (after.state, after.outcome, after.pod_deleted) == ("finished", "killed", True)


def _creating(run_id_holder: list, history: History) -> bool:
    for r in history.list_runs():
        if r.detail.get("creating"):
            run_id_holder.append(r.id)
            return True
    return False


def test_kill_9_during_a_slow_create_whose_pod_came_is_followed(sim, tmp_path):
    spec = ticking(tmp_path, 10, 0.02)
    sim.delay_replies(1, 30.0, verb="create", path="pods")  # the pod is made; its reply is late
    first = Proc("run", str(spec), "--kubeconfig", str(sim.kubeconfig_path))
    history = History.open()
    found: list[str] = []
    _wait(lambda: _creating(found, history), what="the create under way")
    run_id = found[0]
    record = history.get_run(run_id)
    _wait(lambda: sim.get("pods", "default", record.pod_name) is not None, what="the pod the create made")
    assert first.p.poll() is None and history.get_run(run_id).detail.get("creating"), "the create returned"
    first.p.send_signal(signal.SIGKILL)
    first.finish()
    second = Proc("attach", run_id)
    assert second.finish() == 0, second.err
    assert second.out == [f"[base] tick-{i}" for i in range(10)]
    assert history.get_run(run_id).outcome == "succeeded"


def test_kill_9_during_a_slow_create_that_made_no_pod_never_started(sim, tmp_path):
    spec = ticking(tmp_path, 10, 0.02)
    sim.set_latency(3.0)
    sim.fail_next(1, 500, verb="create", path="pods")  # the create will not make the pod
    first = Proc("run", str(spec), "--kubeconfig", str(sim.kubeconfig_path))
    history = History.open()
    found: list[str] = []
    _wait(lambda: _creating(found, history), what="the create under way")
    first.p.send_signal(signal.SIGKILL)
    first.finish()
    run_id = found[0]
    sim.set_latency(0)
    second = Proc("attach", run_id)
    assert second.finish() == 1, second.err
    said = "\n".join(second.err)
    assert f"run {run_id} never started: the run never started: the kpodtui process creating its pod " \
           f"(pid {first.p.pid}) stopped before the create returned" in said, said
    assert "returned a failure" not in said and "Traceback" not in said
    record = history.get_run(run_id)
    assert (record.state, record.outcome, record.pod_name) == ("finished", "never_started", None)


def test_runs_the_cluster_refused_or_never_answered_end_as_error(sim, tmp_path, capsys):
    spec = ticking(tmp_path, 3, 0.01)
    sim.forbid("default", ["create"], ["pods"])
    assert main(["run", str(spec), "--kubeconfig", str(sim.kubeconfig_path)]) == 4
    assert "(403)" in capsys.readouterr().err
    sim.stop_apiserver()  # nothing answers on its port now
    assert main(["run", str(spec), "--kubeconfig", str(sim.kubeconfig_path)]) == 4
    assert "cannot reach the cluster" in capsys.readouterr().err
    runs = History.open().list_runs()
    assert [(r.state, r.outcome, r.pod_name) for r in runs] == [("finished", "error", None)] * 2
    assert runs[0].failure_report.startswith("no pod was created: cannot reach the cluster")
    assert main(["attach", runs[1].id]) == 4, "the exit code a recorded error says again"


def test_a_pod_deleted_outside_kpodtui_is_said_so_exit_1(sim, tmp_path):
    spec = tmp_path / "victim.yaml"
    spec.write_text("task_id: victim\nimage: busybox\ntermination_grace_period: 1\n"
                    "cmds: [sh, -c, 'echo up; sleep 60']\n")
    proc = Proc("run", str(spec), "--kubeconfig", str(sim.kubeconfig_path), "--json")
    run_id = proc.run_id()
    proc.wait_for(lambda: "[base] up" in proc.out)
    record = History.open().get_run(run_id)
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=str(sim.kubeconfig_path))
    client.CoreV1Api(api).delete_namespaced_pod(record.pod_name, "default")  # kubectl delete pod
    api.close()
    assert proc.finish() == 1, proc.err
    said = "\n".join(proc.err)
    assert f"Pod {record.pod_name} was deleted outside kpodtui" in said and "last known container states" in said
    assert "returned a failure" not in said and "pod kept" not in said
    summary = json.loads(proc.out[-1])
    assert (summary["outcome"], summary["pod_deleted"], summary["reason"]) == ("failed", True, "Deleted")
