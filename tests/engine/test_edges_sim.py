"""The engine's promises at the edges (issue 10): every line read to the end, a true verdict.

Each test drives a real run against the sim with a fault: a log stream slower than the
container (a chatty pod), a pod deleted by someone else, a log rotated away while its
stream was down, a deadline whose containers print while they are stopped.
"""

from __future__ import annotations

import time

from kpodtui.engine import steps
from kpodtui.engine.events import PodStatusChanged, StatusMessage

CHATTY = 4000


def chatty(n: int = CHATTY, extra: str = "") -> str:
    """A task printing ``n`` numbered lines as fast as it can, then exiting 0."""
    return (f"task_id: chatty\nimage: busybox\ncmds: [sh, -c, 'i=0; while [ $i -lt {n} ]; do echo line-$i; "
            f"i=$((i+1)); done']\n{extra}")


def base_ended(col) -> bool:
    return any(cs.name == "base" and cs.state == "terminated"
               for e in col.of(PodStatusChanged) for cs in e.containers)


def test_a_chatty_pods_log_is_read_to_its_end_before_the_pod_goes(run_spec, sim, monkeypatch):
    """The log stream is slower than the container (4,000 lines served at 40 kB/s: ~4 s after
    the container ended). The run used to give the stream 30 s (here: 0.3 s) after the base
    container exited, then delete the pod and cut the stream, saying nothing."""
    monkeypatch.setattr(steps, "LOG_DRAIN_SECONDS", 0.3, raising=False)  # main's cut, made short
    sim.throttle_logs(40_000)
    result, col, run = run_spec(chatty(), timeout=120)
    expected = [f"line-{i}" for i in range(CHATTY)]
    assert result.outcome == "succeeded" and result.pod_deleted
    assert col.lines("base") == expected
    assert [ln.text for ln in run.history.read_log(run.run_id, "base")] == expected
    assert "lost" not in result.detail and "log_incomplete" not in result.detail


def test_a_kill_while_the_log_is_still_read_ends_the_run_at_once(run_spec, sim, session):
    sim.throttle_logs(20_000)
    run, col = run_spec(chatty(8000), start=True)
    assert run.context.wait_until(lambda: base_ended(col) and len(col.lines("base")) > 10, 30), \
        "the container never ended"
    assert len(col.lines("base")) < 8000, "the backlog is there"
    started = time.monotonic()
    run.kill()
    result = run.wait(10)
    assert result is not None, "the kill did not end the run"
    assert time.monotonic() - started < 5
    assert result.outcome == "killed" and result.pod_deleted, [e.text for e in col.of(StatusMessage)]
    assert session.api.get_pod(run.namespace, run.pod_name) is None
    assert "lost" not in result.detail, "lines a kill leaves unread are the user's choice, not a loss"


def test_lines_the_cluster_no_longer_has_are_counted_and_said(run_spec, sim, session):
    """The container ended; while its log is still read, someone force-deletes the pod and the
    stream breaks: the rest of the log can no longer be read. The verdict says from which line."""
    sim.throttle_logs(20_000)
    run, col = run_spec(chatty(), start=True)
    assert run.context.wait_until(lambda: base_ended(col) and len(col.lines("base")) > 100, 30)
    session.api.delete_pod(run.namespace, run.pod_name, 0)
    sim.restart_apiserver()  # the stream breaks; the pod is gone when it reconnects
    result = run.wait(60)
    assert result is not None
    got = col.lines("base")
    assert 100 < len(got) < CHATTY and got == [f"line-{i}" for i in range(len(got))]
    assert result.outcome == "succeeded", result.report  # the container had exited 0 before the deletion
    [lost] = result.detail["lost"]
    assert (lost["container"], lost["after_line"], lost["until"], lost["lines"]) == ("base", len(got), None, None)
    assert lost["after"] and "deleted before its log was read to the end" in lost["why"]
    said = [e.text for e in col.of(StatusMessage) if e.level == "warning"]
    assert any(t.startswith(f"lines lost: base: every line after line {len(got):,} (") for t in said), said
    assert run.history.get_run(run.run_id).detail["lost"] == result.detail["lost"]


def _gate(tmp_path, name: str) -> str:
    return f"while [ ! -e {tmp_path / name} ]; do sleep 0.02; done"


def _log_has(sim, pod: str, text: bytes) -> bool:
    buf = sim.call(lambda: sim.kubelet.container_log("default", pod, "base"))
    return buf is not None and text in bytes(buf.raw)


def test_a_log_rotated_away_while_the_stream_was_down_is_said_with_where(run_spec, sim, tmp_path):
    cmd = (f"for i in 0 1 2 3 4; do echo a-$i; done; {_gate(tmp_path, 'g1')}; "
           f"for i in 0 1 2 3 4; do echo b-$i; done; {_gate(tmp_path, 'g2')}; "
           "for i in 0 1 2 3 4; do echo c-$i; done")
    run, col = run_spec(f"task_id: rotate\nimage: busybox\ncmds: [sh, -c, '{cmd}']\n", start=True)
    assert run.context.wait_until(lambda: "a-4" in col.lines("base"), 30)
    sim.fail_next(10_000, 503, verb="get", path=r"/log$")  # the stream cannot come back...
    sim.restart_apiserver()  # ...once it is dropped
    (tmp_path / "g1").touch()
    deadline = time.monotonic() + 30
    while not _log_has(sim, run.pod_name, b"b-4"):
        assert time.monotonic() < deadline, "the container never printed b-4"
        time.sleep(0.02)
    sim.rotate_logs("default", run.pod_name, "base")  # the kubelet rotates: b-* can no longer be read
    sim.clear_faults()
    (tmp_path / "g2").touch()
    result = run.wait(60)
    assert result is not None and result.outcome == "succeeded"
    assert col.lines("base") == [f"{p}-{i}" for p in "ac" for i in range(5)]
    [lost] = result.detail["lost"]
    a4 = [ln for ln in run.history.read_log(run.run_id, "base") if ln.text in ("a-4", "c-0")]
    assert (lost["after_line"], lost["after"], lost["until"]) == (5, a4[0].timestamp, a4[1].timestamp)
    assert "rotated away" in lost["why"]


def test_a_deadline_follows_the_containers_until_they_stop(run_spec, sim):
    """active_deadline_seconds: the kubelet says Failed at once, then stops the containers with
    their grace period; what they print meanwhile is read, and the pod is deleted only then."""
    trap = "trap \"for i in 1 2 3; do echo stopping-\\$i; sleep 0.2; done; exit 7\" TERM"
    spec = (f"task_id: late\nimage: busybox\ncmds: [sh, -c, '{trap}; echo started; "
            "while true; do sleep 0.05; done']\nactive_deadline_seconds: 1\ntermination_grace_period: 5\n")
    result, col, run = run_spec(spec, timeout=60)
    assert col.lines("base") == ["started", "stopping-1", "stopping-2", "stopping-3"]
    assert (result.outcome, result.exit_code, result.detail["reason"]) == ("failed", 7, "DeadlineExceeded")
    assert result.pod_deleted and sim.get("pods", "default", run.pod_name) is None, \
        "pod_deleted is said only once the API says the pod is gone"
    said = [e.text for e in col.of(StatusMessage)]
    assert "the pod failed (DeadlineExceeded); its containers are being stopped (grace 5 s): " \
           "following their logs until they end" in said


def test_a_pod_still_terminating_is_not_said_deleted(run_spec, sim):
    """A sidecar that ignores SIGTERM keeps the pod terminating for its grace period: the verdict
    says the deletion was requested, not that the pod is gone."""
    spec = ("task_id: sidecar\nimage: busybox\ncmds: [sh, -c, 'echo done']\ntermination_grace_period: 20\n"
            "full_pod_spec: {spec: {containers: [{name: base}, {name: stubborn, image: busybox, "
            "command: [sh, -c, 'trap \"\" TERM; while true; do sleep 0.1; done']}]}}\n")
    result, col, run = run_spec(spec, timeout=60)
    assert result.outcome == "succeeded"
    assert not result.pod_deleted and result.detail["pod_terminating"] == 20
    pod = sim.get("pods", "default", run.pod_name)
    assert pod is not None and pod["metadata"].get("deletionTimestamp")
    said = [e.text for e in col.of(StatusMessage)]
    assert f"pod {run.pod_name}: deletion requested, terminating (grace 20 s)" in said
    assert run.history.get_run(run.run_id).pod_deleted is False


def test_a_pod_deleted_by_someone_else_is_said_so_with_its_last_states(run_spec, sim, session):
    spec = "task_id: victim\nimage: busybox\ncmds: [sh, -c, 'echo up; sleep 60']\ntermination_grace_period: 1\n"
    run, col = run_spec(spec, start=True)
    assert run.context.wait_until(lambda: "up" in col.lines("base"), 30)
    session.api.delete_pod(run.namespace, run.pod_name)  # kubectl delete pod
    result = run.wait(60)
    assert result is not None
    assert (result.outcome, result.pod_deleted, result.detail["reason"]) == ("failed", True, "Deleted")
    assert result.report.startswith(f"Pod {run.pod_name} was deleted outside kpodtui")
    assert "last known container states: base " in result.report
    assert "returned a failure" not in result.report
    record = run.history.get_run(run.run_id)
    assert (record.outcome, record.pod_deleted, record.reason) == ("failed", True, "Deleted")


def _big(cpu: str, extra: str = "") -> str:
    return (f"task_id: big\nimage: busybox\ncmds: [sh, -c, 'echo ran']\n"
            f"container_resources: {{requests: {{cpu: '{cpu}'}}}}\n{extra}")


def test_an_unschedulable_pod_runs_once_the_autoscaler_adds_a_node(run_spec, sim):
    """FailedScheduling comes first, the scale-up after (a node pool scaling from zero): the run
    waits as the reference does, saying the scheduler's message and the autoscaler's events,
    and the pod runs on the new node. It used to fail 0.2 s after the first Unschedulable."""
    from kpodtui.engine.events import ClusterEvent
    from kpodtui.sim.node import NodeConfig

    sim.add_autoscaler(NodeConfig(cpu="16"), group="big-pool", react_seconds=0.5, add_seconds=1.0)
    result, col, run = run_spec(_big("8"), timeout=60)
    assert result.outcome == "succeeded", result.report
    assert col.lines("base") == ["ran"]
    reasons = [e.reason for e in col.of(ClusterEvent)]
    assert reasons.index("FailedScheduling") < reasons.index("TriggeredScaleUp") < reasons.index("Scheduled")
    scale_up = next(e for e in col.of(ClusterEvent) if e.reason == "TriggeredScaleUp")
    assert scale_up.message == "pod triggered scale-up: [{big-pool 0->1 (max: 3)}]"
    said = [e.text for e in col.of(StatusMessage)]
    assert "waiting up to 120s for the pod to be scheduled" in said
    assert any(t.startswith("Pending: Unschedulable: 0/1 nodes are available: 1 Insufficient cpu.") for t in said), said
    node = sim.call(lambda: [n.name for n in sim.kubelet.nodes])[-1]
    assert node.startswith("big-pool-")
    assert any(e.reason == "Scheduled" and e.message.endswith(f"to {node}") for e in col.of(ClusterEvent))


def test_no_node_group_that_can_fit_the_pod_fails_it_early(run_spec, sim):
    from kpodtui.sim.node import NodeConfig

    sim.add_autoscaler(NodeConfig(cpu="16"), react_seconds=0.2)
    started = time.monotonic()
    result, _, _ = run_spec(_big("64"), timeout=60)
    assert result.outcome == "failed" and time.monotonic() - started < 30, "not the 120 s schedule timeout"
    assert "no node group of the cluster autoscaler can fit the pod: pod didn't trigger scale-up: " \
           "1 Insufficient cpu" in result.report
    assert result.detail["reason"] == "Unschedulable"


def test_a_node_group_at_its_maximum_is_waited_for(run_spec, sim):
    """'max node group size reached' may change (a node leaves): the run waits out its timeout."""
    from kpodtui.sim.node import NodeConfig

    sim.add_autoscaler(NodeConfig(cpu="16"), max_size=0, react_seconds=0.2)
    started = time.monotonic()
    result, col, _ = run_spec(_big("8", "schedule_timeout_seconds: 3\n"), timeout=60)
    assert result.outcome == "failed" and time.monotonic() - started >= 3
    assert "the pod was not scheduled within 3s" in result.report
    assert "NotTriggerScaleUp: pod didn't trigger scale-up: 1 max node group size reached" in result.report
