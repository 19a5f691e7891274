"""The engine's scenarios on a real cluster (see conftest.py for how to opt in).

Images are pulled from Docker Hub (busybox:1.36 and, for XCom, alpine); the
first run on a fresh cluster pays the pulls, hence the generous timeouts.
"""

from __future__ import annotations

import pytest

from kpodtui.engine.events import LogBatch, RunEvent, StatusMessage
from kpodtui.engine.run import Run
from kpodtui.history import History
from kpodtui.tasks import load_spec_text
from tests.realcluster.conftest import NAMESPACE

HELLO = "task_id: rc-hello\nimage: busybox:1.36\ncmds: [sh, -c, 'echo one; sleep 1; echo two; sleep 1; echo three']\n"
FAILING = "task_id: rc-failing\nimage: busybox:1.36\ncmds: [sh, -c, 'echo working; echo oops >&2; exit 3']\n"
XCOM = (
    "task_id: rc-xcom\nimage: busybox:1.36\ndo_xcom_push: true\n"
    "cmds: [sh, -c, 'echo computing; echo ''{\"answer\": 42}'' > /airflow/xcom/return.json']\n"
)
BAD_IMAGE = "task_id: rc-bad-image\nimage: registry.invalid/no-such-image:1.0\ncmds: [sh]\nstartup_timeout_seconds: 120\n"
SLOW = "task_id: rc-kill\nimage: busybox:1.36\ncmds: [sh, -c, 'echo started; sleep 300']\ntermination_grace_period: 1\n"
MANY = "task_id: rc-many\nimage: busybox:1.36\ncmds: [sh, -c, 'i=0; while [ $i -lt 5000 ]; do echo line-$i; i=$((i+1)); done']\n"


class Events:
    def __init__(self) -> None:
        self.all: list[RunEvent] = []

    def __call__(self, event: RunEvent) -> None:
        self.all.append(event)

    def lines(self, container: str = "base") -> list[str]:
        return [ln.text for e in self.all if isinstance(e, LogBatch) for ln in e.lines if ln.container == container]


def make(cluster, text: str) -> tuple[Run, Events]:
    run = Run(load_spec_text(text)[0], cluster, History.open(), namespace=NAMESPACE)
    events = Events()
    run.subscribe(events)
    return run, events


def test_hello(cluster):
    run, ev = make(cluster, HELLO)
    result = run.execute()
    assert (result.outcome, result.exit_code) == ("succeeded", 0)
    assert ev.lines() == ["one", "two", "three"]
    assert result.pod_deleted


def test_failing_reports_exit_code_and_message(cluster):
    run, ev = make(cluster, FAILING + "termination_message_policy: FallbackToLogsOnError\n")
    result = run.execute()
    assert (result.outcome, result.exit_code) == ("failed", 3)
    assert "exited with code 3" in result.report and "oops" in result.report


def test_xcom(cluster):
    run, _ = make(cluster, XCOM)
    result = run.execute()
    assert result.outcome == "succeeded", result.report
    assert result.xcom == {"answer": 42}


def test_bad_image_fails_fast(cluster):
    run, _ = make(cluster, BAD_IMAGE)
    result = run.execute()
    assert result.outcome == "failed"
    assert "ErrImagePull" in result.report or "ImagePullBackOff" in result.report


def test_every_line_of_a_fast_writer(cluster):
    run, ev = make(cluster, MANY)
    result = run.execute()
    assert result.outcome == "succeeded"
    assert ev.lines() == [f"line-{i}" for i in range(5000)]


def test_kill(cluster):
    run, ev = make(cluster, SLOW)
    run.start()
    assert run.context.wait_until(lambda: "started" in ev.lines(), 180), "the pod never started"
    run.kill()
    result = run.wait(120)
    assert result is not None and result.outcome == "killed"
    # the kill says what it did to which pod; the run waits out the 1 s grace, so the verdict can
    # say the pod is gone ("deleted" only once the API says so)
    assert any(isinstance(e, StatusMessage) and e.text.startswith("killed:") and run.pod_name in e.text
               for e in ev.all)
    assert result.pod_deleted, result.report
    assert cluster.api.get_pod(run.namespace, run.pod_name) is None or run.context.wait_until(
        lambda: run.pod is None, 60
    )


@pytest.mark.parametrize("sample", ["hello.yaml", "multi_container.yaml", "init_containers.yaml", "skip.yaml"])
def test_samples(cluster, sample):
    from pathlib import Path

    from kpodtui.tasks import load_specs

    root = Path(__file__).resolve().parents[2]
    run = Run(load_specs(root / "sample_tasks" / sample)[0], cluster, History.open(), namespace=NAMESPACE)
    result = run.execute()
    assert result.outcome == ("skipped" if sample == "skip.yaml" else "succeeded"), result.report
