"""Every sample task runs on the simulated cluster to the outcome it is written for."""

from __future__ import annotations

import time

import pytest

from kpodtui.engine.events import LogBatch
from tests.engine.conftest import ROOT

# sample -> (outcome, base exit code, lines the base container must print (a subset))
EXPECTED: dict[str, tuple[str, int | None, list[str]]] = {
    "hello": ("succeeded", 0, ["hello from kpodtui", "running as task hello", "bye"]),
    "multi_container": ("succeeded", 0, ["base line 4"]),
    "xcom": ("succeeded", 0, ["computing...", "result written"]),
    "template": ("succeeded", 0, ["GREETING=hello from the spec FROM_TEMPLATE=yes", "done"]),
    "full_pod_spec": ("succeeded", 0, ["scratch space:", "/scratch", "ok"]),
    "init_containers": ("succeeded", 0, ["the init containers left:", "hello from init"]),
    "templated": ("succeeded", 0, []),
    "configmap_secret": ("succeeded", 0, ["COLOR=blue", "token has 22 characters"]),
    "failing": ("failed", 3, ["doing work"]),
    "skip": ("skipped", 42, ["no new data today"]),
    # the kubelet stops the container after the deadline (SIGTERM ignored by sh as PID 1: SIGKILL)
    "deadline": ("failed", 137, ["sleeping 30 s with a 2 s deadline"]),
    "bad_image": ("failed", None, []),
    "keep_pod": ("succeeded", 0, ["I will still be here after the run"]),
}


def test_every_sample_is_covered():
    assert {p.stem for p in (ROOT / "sample_tasks").glob("*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_sample_reaches_its_outcome(sample, run_spec, cluster):
    outcome, code, must_print = EXPECTED[sample]
    if sample == "configmap_secret":
        cluster.create_configmap(cluster.namespace, "demo-config", {"COLOR": "blue"})
        cluster.create_secret(cluster.namespace, "demo-secret", {"token": "not-in-any-output-1f3a"})
    started = time.monotonic()
    result, col, run = run_spec(f"{sample}.yaml")
    took = time.monotonic() - started
    assert (result.outcome, result.exit_code) == (outcome, code), result.report
    base = col.lines("base")
    for line in must_print:
        assert line in base, (line, base)
    assert "not-in-any-output-1f3a" not in "\n".join(base)
    # what was shown is what the history holds, line for line
    assert [ln.text for ln in run.history.read_log(run.run_id, "base")] == base
    record = run.history.get_run(run.run_id)
    assert (record.state, record.outcome, record.exit_code) == ("finished", outcome, code)
    # what a later look at the run shows (app, attach --json): the pod's fate and the reason word
    assert (record.pod_deleted, record.reason) == (result.pod_deleted, result.detail.get("reason"))
    pod = cluster.get("pods", run.namespace, run.pod_name)
    if sample == "keep_pod":
        assert pod is not None and pod["status"]["phase"] == "Succeeded"
        assert pod["metadata"]["labels"]["already_checked"] == "True"
        assert not result.pod_deleted
    else:
        assert result.pod_deleted
    _check_sample(sample, result, col, took)


def _check_sample(sample: str, result, col, took: float) -> None:
    if sample == "multi_container":
        assert col.lines("worker-a") == [f"worker-a tick {i}" for i in (1, 2, 3)]
        assert col.lines("worker-b") == [f"worker-b tock {i}" for i in (1, 2, 3)]
        # followed at the same time: batches of the containers interleave
        order = [ln.container for e in col.of(LogBatch) for ln in e.lines]
        last_base = len(order) - 1 - order[::-1].index("base")
        assert order.index("worker-a") < last_base and order.index("worker-b") < last_base
    elif sample == "xcom":
        assert result.xcom == {"answer": 42, "items": ["a", "b"]}
    elif sample == "init_containers":
        assert col.lines("fetch") == ["fetching..."]
        assert col.lines("check") == ["checking...", "hello from init"]
    elif sample == "templated":
        assert len(col.lines("base")) == 3 and col.lines("base")[0].startswith("hello 1 from templated on ")
    elif sample == "failing":
        assert "exited with code 3" in result.report and "something went wrong" in result.report
    elif sample == "deadline":
        assert "DeadlineExceeded" in result.report
        assert "hint: the pod ran longer than active_deadline_seconds (2s): raise it" in result.report
        assert took < 15
    elif sample == "bad_image":
        assert "ErrImagePull" in result.report or "ImagePullBackOff" in result.report
        assert "registry.invalid" in result.report
        assert "did not start within" not in result.report, "fails fast, not at the startup timeout"
        assert took < 60
    # the one word said beside the verdict (headless last line, JSON, the app's outcome)
    reasons = {"deadline": {"DeadlineExceeded"}, "bad_image": {"ErrImagePull", "ImagePullBackOff"}}
    assert result.detail.get("reason") in reasons.get(sample, {None}), result.detail
