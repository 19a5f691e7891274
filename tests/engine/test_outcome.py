"""Pure decisions of the engine, with plain pod JSON."""

from __future__ import annotations

from kpodtui.engine import outcome as oc
from kpodtui.engine.events import ClusterEvent
from kpodtui.engine.report import MASK, failure_report, mask_pod


def pod(phase="Running", base=None, others=(), conditions=None, init=()):
    statuses = []
    if base is not None:
        statuses.append({"name": "base", "state": base, "restartCount": 0})
    statuses += [{"name": n, "state": s, "restartCount": 0} for n, s in others]
    return {
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "base", "env": [{"name": "DB_PASSWORD", "value": "hunter2"},
                                                          {"name": "MODE", "value": "fast"}]},
                                {"name": "airflow-xcom-sidecar"}],
                 "initContainers": [{"name": "init"}]},
        "status": {"phase": phase, "containerStatuses": statuses, "conditions": conditions or [],
                   "initContainerStatuses": [{"name": n, "state": s, "restartCount": 0} for n, s in init]},
    }


def term(code, reason=None, message=None):
    return {"terminated": {"exitCode": code, "reason": reason, "message": message}}


def test_outcomes_decided_by_base():
    assert oc.decide_outcome(pod(base=term(0)), "base", []) == ("succeeded", 0)
    assert oc.decide_outcome(pod(base=term(1)), "base", []) == ("failed", 1)
    assert oc.decide_outcome(pod(base=term(3)), "base", [3]) == ("skipped", 3)
    assert oc.decide_outcome(pod(base=term(0)), "base", [0]) == ("skipped", 0)
    # a sidecar still running does not matter; a killed run is killed
    sidecar = [("airflow-xcom-sidecar", {"running": {}})]
    assert oc.decide_outcome(pod(base=term(0), others=sidecar), "base", []) == ("succeeded", 0)
    assert oc.decide_outcome(pod(base=term(0)), "base", [], killed=True) == ("killed", 0)
    assert oc.decide_outcome(pod("Failed", base=term(0)), "base", []) == ("failed", 0)
    assert oc.decide_outcome(None, "base", []) == ("failed", None)
    assert oc.skip_codes(3) == [3] and oc.skip_codes(None) == [] and oc.skip_codes([1, 2]) == [1, 2]


def test_fatal_waiting_reasons():
    w = lambda reason, msg="": {"waiting": {"reason": reason, "message": msg}}  # noqa: E731
    assert oc.fatal_waiting(pod("Pending", base=w("ErrImagePull", "not found")))
    assert oc.fatal_waiting(pod("Pending", base=w("InvalidImageName")))
    assert oc.fatal_waiting(pod("Pending", base=w("ImagePullBackOff", "429 Too Many Requests"))) is None
    assert "configmap" in oc.fatal_waiting(pod("Pending", base=w("CreateContainerConfigError", 'configmap "x" not found')))
    assert oc.fatal_waiting(pod("Pending", base=w("ContainerCreating"))) is None
    assert oc.fatal_waiting(pod("Pending", init=[("init", w("ErrImagePull", "manifest unknown"))]))


def test_failure_reason_is_the_word_kubectl_shows():
    w = lambda reason: {"waiting": {"reason": reason, "message": "m"}}  # noqa: E731
    assert oc.failure_reason(pod("Failed", base=term(137, "OOMKilled")), "base") == "OOMKilled"
    # a plain non-zero exit says it all with its code
    assert oc.failure_reason(pod("Failed", base=term(3, "Error")), "base") is None
    assert oc.failure_reason(pod("Pending", base=w("ErrImagePull")), "base") == "ErrImagePull"
    # another container's config error, while the base one is still being created
    p = pod("Pending", base=w("ContainerCreating"), others=[("side", w("CreateContainerConfigError"))])
    assert oc.failure_reason(p, "base") == "CreateContainerConfigError"
    failed = pod("Failed", base=term(137, "Error"))
    failed["status"]["reason"] = "DeadlineExceeded"
    assert oc.failure_reason(failed, "base") == "DeadlineExceeded"
    cond = [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]
    assert oc.failure_reason(pod("Pending", conditions=cond), "base") == "Unschedulable"
    # nothing in the pod says it: the last Warning event of a pod that never started
    creating = pod("Pending", base=w("ContainerCreating"))
    assert oc.failure_reason(creating, "base", ["BackOff", "FailedMount"]) == "FailedMount"
    assert oc.failure_reason(pod("Failed", base=term(1, "Error")), "base", ["BackOff"]) is None


def test_pending_reason_and_scheduling():
    cond = [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/1 nodes"}]
    p = pod("Pending", conditions=cond)
    assert oc.pending_reason(p) == "Unschedulable: 0/1 nodes"
    assert not oc.is_scheduled(p)
    assert not oc.has_started(p)
    assert oc.launch_failure(pod("Failed"))


def test_select_containers():
    names = ["base", "airflow-xcom-sidecar", "side"]
    assert oc.select_containers(names, True, "base") == (["base", "side"], [])
    assert oc.select_containers(names, "side", "base") == (["side"], [])
    assert oc.select_containers(names, ["side", "nope"], "base") == (["side"], ["nope"])
    assert oc.select_containers(names, None, "base") == (["base"], [])
    assert oc.select_containers(["init"], None, "base", for_init=True) == ([], [])


def test_finish_actions():
    done = pod("Succeeded", base=term(0))
    failed = pod("Failed", base=term(1))
    assert oc.should_delete("delete_pod", failed, 1)
    assert oc.should_delete("delete_succeeded_pod", done, 0)
    assert not oc.should_delete("delete_succeeded_pod", failed, 1)
    assert not oc.should_delete("keep_pod", done, 0)
    assert oc.should_delete("delete_active_pod", pod("Running"), None)
    assert oc.should_mark_checked("keep_pod", done) and oc.should_mark_checked("delete_pod", failed)
    assert not oc.should_mark_checked("delete_pod", done)


def test_report_names_everything_and_masks_secrets():
    p = pod("Failed", base=term(137, "OOMKilled", "out of memory"))
    ev = [ClusterEvent("r", "Warning", "BackOff", "back-off restarting"), ClusterEvent("r", "Normal", "Pulled", "ok")]
    text = failure_report("p", p, "base", "boom", ev, include_spec=True, secret_values=["fast"])
    assert "exited with code 137 (OOMKilled)" in text and "out of memory" in text
    assert "BackOff" in text and "Pulled" not in text
    assert "hunter2" not in text and "fast" not in text and MASK in text
    assert mask_pod(p)["spec"]["containers"][0]["env"][1]["value"] == "fast"


def test_unschedulable_is_read_from_the_pod_scheduled_condition():
    cond = [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
             "message": "0/1 nodes are available: 1 Insufficient cpu."}]
    assert oc.unschedulable({"status": {"phase": "Pending", "conditions": cond}}) == (
        "the pod cannot be scheduled: Unschedulable: 0/1 nodes are available: 1 Insufficient cpu.")
    scheduled = [{"type": "PodScheduled", "status": "True"}]
    assert oc.unschedulable({"status": {"phase": "Pending", "conditions": scheduled}}) is None
    assert oc.unschedulable({"status": {"phase": "Pending"}}) is None


def test_report_says_a_running_base_of_a_failed_pod_is_being_stopped():
    from kpodtui.engine.report import describe_base

    p = pod("Failed", base={"running": {"startedAt": "2026-01-01T00:00:00Z"}})
    p["status"]["reason"] = "DeadlineExceeded"
    assert describe_base(p, "base") == (
        "container base was still running when the pod failed (DeadlineExceeded): the kubelet stops it")
    assert describe_base(pod("Running", base={"running": {}}), "base") == "container base is running"


def test_a_late_older_pod_state_is_recognised():
    """A cache replay racing a newer watch update must not roll the run's pod state back."""
    from kpodtui.engine.context import _older

    def p(rv, uid="u1"):
        return {"metadata": {"uid": uid, "resourceVersion": rv}}

    assert _older(p("7"), p("12"))  # numeric, not string order
    assert not _older(p("12"), p("7")) and not _older(p("7"), p("7"))
    assert not _older(p("7"), None) and not _older(p("7", "u2"), p("12"))  # another pod with the name
    assert not _older(p("abc"), p("12"))  # opaque versions: cannot tell, take it
