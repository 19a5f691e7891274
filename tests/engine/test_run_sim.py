"""The engine end to end against the simulated cluster (containers run as processes)."""

from __future__ import annotations

import time

import pytest

from kpodtui.engine.events import RunFinished, XComResult
from tests.engine.conftest import needs_kubelet

pytestmark = needs_kubelet


@pytest.mark.parametrize(
    ("sample", "outcome", "code"),
    [("hello.yaml", "succeeded", 0), ("failing.yaml", "failed", 3), ("skip.yaml", "skipped", 42)],
)
def test_samples_reach_their_outcome(run_spec, sample, outcome, code):
    result, col, _ = run_spec(sample)
    assert (result.outcome, result.exit_code) == (outcome, code)
    assert col.of(RunFinished) == [result]


def test_hello_logs_and_pod_deleted(run_spec, sim):
    result, col, run = run_spec("hello.yaml")
    assert col.lines("base") == ["hello from kpodtui", "running as task hello", "bye"]
    assert result.pod_deleted
    assert [ln.text for ln in run.history.read_log(run.run_id, "base")] == col.lines("base")


def test_xcom_result(run_spec):
    result, col, _ = run_spec("xcom.yaml")
    assert result.outcome == "succeeded"
    assert result.xcom == {"answer": 42, "items": ["a", "b"]}
    assert col.of(XComResult)[0].value == result.xcom


def test_bad_image_fails_fast_with_reason(run_spec):
    result, _, _ = run_spec("bad_image.yaml")
    assert result.outcome == "failed"
    assert "ErrImagePull" in result.report or "ImagePullBackOff" in result.report


def test_missing_secret_volume_fails_fast(run_spec):
    started = time.monotonic()
    result, _, _ = run_spec("configmap_secret.yaml", "startup_timeout_seconds=60")
    assert result.outcome == "failed"
    assert "does not exist" in result.report and "demo-secret" in result.report
    assert time.monotonic() - started < 20


def test_missing_configmap_fails_fast(run_spec):
    spec = "task_id: cm\nimage: busybox\ncmds: [sh, -c, 'echo $COLOR']\nconfigmaps: [no-such-config]\nstartup_timeout_seconds: 60\n"
    started = time.monotonic()
    result, _, _ = run_spec(spec)
    assert result.outcome == "failed"
    assert "CreateContainerConfigError" in result.report and "no-such-config" in result.report
    assert time.monotonic() - started < 20


def test_unschedulable_names_the_reason(run_spec):
    spec = "task_id: nowhere\nimage: busybox\ncmds: ['true']\nnode_selector: {disk: none}\nschedule_timeout_seconds: 2\n"
    result, _, _ = run_spec(spec)
    assert result.outcome == "failed"
    assert "Unschedulable" in result.report or "FailedScheduling" in result.report


def test_sidecar_that_never_exits_does_not_hang(run_spec):
    spec = """
task_id: sidecar
image: busybox
cmds: [sh, -c, 'echo done']
container_logs: true
full_pod_spec:
  spec:
    containers:
      - name: base
      - name: forever
        image: busybox
        command: [sh, -c, 'while true; do sleep 1; done']
"""
    result, _, _ = run_spec(spec, timeout=30)
    assert result.outcome == "succeeded"


def test_cut_log_streams_lose_and_repeat_nothing(run_spec, sim):
    n = 3000
    spec = f"task_id: many\nimage: busybox\ncmds: [sh, -c, 'i=0; while [ $i -lt {n} ]; do echo line-$i; i=$((i+1)); done']\n"
    sim.cut_logs(after_lines=250, times=8)
    result, col, _ = run_spec(spec)
    assert result.outcome == "succeeded"
    assert col.lines("base") == [f"line-{i}" for i in range(n)]


def test_kill_ends_as_killed(run_spec):
    spec = "task_id: slow\nimage: busybox\ncmds: [sh, -c, 'echo start; sleep 60']\ntermination_grace_period: 1\n"
    run, col = run_spec(spec, start=True)
    assert run.wait_until(lambda: any(col.lines("base")), 20)
    run.kill()
    result = run.wait(30)
    assert result is not None and result.outcome == "killed"
