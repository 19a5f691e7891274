"""How a run ends, decided with plain data: plan_cleanup's verdict and the pod's fate."""

from __future__ import annotations

from dataclasses import replace

from kpodtui.engine.cleanup import RunEnding, plan_cleanup
from kpodtui.engine.events import ClusterEvent
from tests.engine.test_outcome import pod, term

RUNNING = {"running": {}}


def ending(p=None, **kw) -> RunEnding:
    base = RunEnding(pod=p, pod_name="p", pod_seen=True, base="base", skip_codes=(), on_finish_action="delete_pod",
                     on_kill_action="delete_pod", killed=False, deleted_by_kill=False, cause=None)
    return replace(base, **kw)


def test_a_success_is_deleted_and_not_labelled_by_default():
    plan = plan_cleanup(ending(pod("Succeeded", base=term(0))))
    assert (plan.outcome, plan.exit_code, plan.report, plan.reason) == ("succeeded", 0, None, None)
    assert plan.delete and not plan.mark_checked and not plan.gone_by_kill


def test_on_finish_action_decides_the_pod_fate():
    ok, bad = pod("Succeeded", base=term(0)), pod("Failed", base=term(2))
    for action, succeeded_deleted, failed_deleted in [
        ("delete_pod", True, True),
        ("delete_succeeded_pod", True, False),
        ("keep_pod", False, False),
    ]:
        assert plan_cleanup(ending(ok, on_finish_action=action)).delete is succeeded_deleted, action
        failed = plan_cleanup(ending(bad, on_finish_action=action))
        assert failed.delete is failed_deleted, action
        assert failed.mark_checked, "a failed pod is always labelled, so no later run adopts it"
    kept = plan_cleanup(ending(ok, on_finish_action="keep_pod"))
    assert kept.mark_checked  # the reference labels a kept pod even when it succeeded


def test_a_failure_carries_its_report_and_reason():
    warning = ClusterEvent("r", "Warning", "BackOff", "back-off restarting")
    plan = plan_cleanup(ending(pod("Failed", base=term(137, "OOMKilled")), events=[warning], events_in_report=True))
    assert (plan.outcome, plan.exit_code, plan.reason) == ("failed", 137, "OOMKilled")
    assert plan.report.startswith("Pod p returned a failure.")
    assert "BackOff: back-off restarting" in plan.report
    assert plan.report_after(pod_deleted=True) == plan.report


def test_a_run_that_stopped_early_never_succeeds_and_its_pending_pod_goes():
    plan = plan_cleanup(ending(pod("Succeeded", base=term(0)), cause="reading the XCom result failed"))
    assert plan.outcome == "failed" and "reading the XCom result failed" in plan.report
    stuck = pod("Pending", conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}])
    for action in ("delete_succeeded_pod", "delete_active_pod"):
        assert plan_cleanup(ending(stuck, on_finish_action=action, cause="not scheduled")).delete, action
    assert not plan_cleanup(ending(stuck, on_finish_action="keep_pod", cause="not scheduled")).delete


def test_skip_codes_and_no_pod_at_all():
    assert plan_cleanup(ending(pod("Failed", base=term(42)), skip_codes=[42])).outcome == "skipped"
    plan = plan_cleanup(ending(None, pod_name="", pod_seen=False, cause="the API said no"))
    assert (plan.outcome, plan.report) == ("failed", "no pod was created: the API said no")
    assert not plan.delete and not plan.mark_checked


def test_a_kill_deletes_once_and_says_what_became_of_the_pod():
    running = pod("Running", base=RUNNING)
    # killed from another process (kpodtui kill): the cleanup deletes it
    plan = plan_cleanup(ending(running, killed=True))
    assert plan.outcome == "killed" and plan.delete and plan.mark_checked
    assert plan.report_after(pod_deleted=True) == "killed on request: pod p deleted"
    # killed here: kill() deleted it already; the pod is going (deletionTimestamp)
    going = {**running, "metadata": {"name": "p", "deletionTimestamp": "2026-01-01T00:00:00Z"}}
    plan = plan_cleanup(ending(going, killed=True, deleted_by_kill=True))
    assert not plan.delete and plan.gone_by_kill
    # on_kill_action: keep_pod keeps it, and says so
    plan = plan_cleanup(ending(running, killed=True, on_kill_action="keep_pod"))
    assert not plan.delete and not plan.gone_by_kill
    assert plan.report_after(pod_deleted=False) == "killed on request: pod p kept (on_kill_action: keep_pod)"
    # killed before any pod existed
    plan = plan_cleanup(ending(None, pod_name="", pod_seen=False, killed=True))
    assert plan.report_after(pod_deleted=False) == "killed on request"
