"""How a run ends, decided in pure code (LIFECYCLE.md 7, the reference's ``cleanup``).

:func:`plan_cleanup` takes what the cleanup step knows (a :class:`RunEnding`:
the freshest pod state and what happened to the run) and returns a
:class:`CleanupPlan`: the verdict (outcome, exit code, report, reason), whether
to label the pod ``already_checked`` and whether to delete it. The step
(:func:`kpodtui.engine.steps.cleanup`) fetches the state, carries the plan out
and records the verdict; every rule lives here, testable with plain data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kpodtui.engine.events import ClusterEvent, Outcome
from kpodtui.engine.outcome import (
    decide_outcome,
    failure_reason,
    has_started,
    phase,
    should_delete,
    should_mark_checked,
)
from kpodtui.engine.report import deleted_outside_report, failure_report, kill_report

Json = dict[str, Any]


@dataclass(frozen=True)
class RunEnding:
    """What the cleanup step knows when it judges a run (plain data)."""

    pod: Json | None  # the freshest state of the pod (None: gone, or never created)
    pod_name: str  # "" when no pod was created
    pod_seen: bool  # the watch saw the pod at least once
    base: str  # the base container's name
    skip_codes: Sequence[int]  # skip_on_exit_code
    on_finish_action: str  # as it is now (keep() or `kpodtui keep` may have switched it)
    on_kill_action: str
    killed: bool
    deleted_by_kill: bool  # a kill in this process already deleted the pod
    cause: str | None  # why the run stopped early (an abort, an error), None if it ran to its end
    events: Sequence[ClusterEvent] = ()
    events_in_report: bool = False  # log_events_on_failure
    pod_in_report: bool = True  # log_pod_spec_on_failure
    #: someone else deleted the pod before its base container ended: what was seen, in words
    deleted_outside: str | None = None
    #: "error" or "never_started": an ending that is no verdict on the pod (see RunContext.ending)
    ending: str | None = None
    last_pod: Json | None = None  # the pod's last state before it went (judged when ``pod`` is None)


@dataclass(frozen=True)
class CleanupPlan:
    """What to do with the pod and what to say (see :func:`plan_cleanup`)."""

    outcome: Outcome
    exit_code: int | None  # the base container's
    report: str | None  # the failure report (a killed run's: see report_after)
    reason: str | None  # kubectl's word for a failure (OOMKilled, ErrImagePull...), failures only
    mark_checked: bool  # label the pod already_checked
    delete: bool  # delete the pod now
    gone_by_kill: bool  # a killed run's pod is gone or going: count it deleted
    pod_name: str = ""
    kept_on_kill: bool = False

    def report_after(self, pod_deleted: bool, terminating: int | None = None) -> str | None:
        """The report once the plan is carried out: a killed run's says what became of its pod
        (``terminating``: its deletion was asked for, and it is stopping with this grace period)."""
        if self.outcome != "killed":
            return self.report
        fate = "deleted" if pod_deleted else (
            f"deletion requested, terminating (grace {terminating} s)" if terminating else
            "kept" if self.kept_on_kill else None)
        return kill_report(self.pod_name, fate)


def plan_cleanup(end: RunEnding) -> CleanupPlan:
    """The verdict and the pod's fate.

    - The base container decides (:func:`~kpodtui.engine.outcome.decide_outcome`);
      a run that stopped early (``cause``) never counts as succeeded or skipped.
    - The pod is labelled ``already_checked`` as the reference does, and always
      when the run did not succeed, so no later run adopts it.
    - It is deleted per ``on_finish_action``; a killed run's per ``on_kill_action``
      (unless the kill here deleted it already); a pod that never started is never
      left behind, whatever the action but ``keep_pod`` (reference issues 11190, 59083).
    - A pod someone else deleted before its base container ended fails the run with a
      report saying so and the containers' last known states (``deleted_outside``).
    """
    pod, base, cause = end.pod, end.base, end.cause
    outside = end.deleted_outside and not end.killed
    judged = pod if pod is not None else end.last_pod  # gone: as it was last seen
    outcome, code = decide_outcome(judged, base, end.skip_codes, end.killed)
    if (cause or outside) and outcome in ("succeeded", "skipped"):
        outcome = "failed"
    report = None
    if outcome == "failed" and not end.pod_name:
        report = f"no pod was created: {cause or 'unknown cause'}"
    elif outside:
        report = deleted_outside_report(end.pod_name, judged, base, end.deleted_outside or "", cause)
    elif outcome == "failed":
        report = failure_report(
            end.pod_name, judged, base, cause, end.events,
            include_events=end.events_in_report or not has_started(judged or {}),
            include_spec=end.pod_in_report,
        )  # fmt: skip
    mark = delete = False
    keep_on_kill = end.on_kill_action == "keep_pod"
    if pod is not None and end.pod_name:
        mark = should_mark_checked(end.on_finish_action, pod) or outcome != "succeeded"
        if end.killed:
            # a kill from another process (kpodtui kill) deleted it there; one from here, in kill()
            delete = not keep_on_kill and not end.deleted_by_kill
        else:
            delete = should_delete(end.on_finish_action, pod, code) or bool(
                cause and phase(pod) == "Pending" and end.on_finish_action != "keep_pod")
    gone = end.killed and end.pod_seen and not keep_on_kill and (
        pod is None or bool((pod.get("metadata") or {}).get("deletionTimestamp")))
    if end.ending and not end.killed:
        # no verdict on the pod: the cluster refused or was never reached, or no pod was made
        said = cause or end.ending
        if end.ending == "error" and not end.pod_name:
            said = f"no pod was created: {said}"
        return CleanupPlan(end.ending, None, said, None, mark, delete, False,  # type: ignore[arg-type]
                           end.pod_name, keep_on_kill)
    reason = None
    if outside:
        reason = "Deleted"
    elif outcome == "failed":
        reason = failure_reason(judged, base, [e.reason for e in end.events if e.type == "Warning"])
    return CleanupPlan(outcome, code, report, reason, mark, delete, gone, end.pod_name, keep_on_kill)
