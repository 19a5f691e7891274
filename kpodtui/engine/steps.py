"""The lifecycle steps of a run, by their LIFECYCLE.md names.

``prepare`` -> ``reattach_or_create`` -> ``await_start`` ->
``follow_until_base_done`` (``follow_logs``) -> ``extract_xcom`` -> ``cleanup``.
Each takes the run's :class:`~kpodtui.engine.context.RunContext`; decisions are
delegated to the pure :mod:`outcome`, :mod:`cleanup` and :mod:`report` modules.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from kpodtui.constants import ISTIO_CONTAINER_NAME, POD_CHECKED_KEY, RUN_ID_LABEL
from kpodtui.engine import outcome as oc
from kpodtui.engine.callbacks import Callbacks
from kpodtui.engine.cleanup import RunEnding, plan_cleanup
from kpodtui.engine.context import RunAbort, RunContext, RunNeverStarted
from kpodtui.engine.events import PodAssigned, RunFinished
from kpodtui.engine.logpump import LogPump
from kpodtui.engine.report import mask_pod
from kpodtui.engine.xcom import extract_xcom, quit_istio
from kpodtui.kube.api import explain, never_sent, refusal_text
from kpodtui.kube.retry import exception_status, is_connection_error, refused
from kpodtui.loglines import LogLine
from kpodtui.pod import RunIdentity, build_pod, reattach_selector
from kpodtui.spec import render_spec

Json = dict[str, Any]
SIDECAR_LOG_GRACE = 0.5  # how long still-running containers' logs are read once the base ended
KILLED_DRAIN_SECONDS = 2.0  # how long a killed run's pod may take to hand over its last lines
STOPPING_MARGIN = 10.0  # beyond a failed pod's grace period, how long its containers may take to stop
DELETE_CONFIRM_SECONDS = 2.0  # how long a deleted pod may take to be gone before it is said terminating

__all__ = ["await_start", "cleanup", "extract_xcom", "follow_until_base_done", "prepare", "reattach_or_create"]


def prepare(ctx: RunContext) -> None:
    """Render the spec, build the pod, load callbacks, record the run."""
    spec = ctx.spec
    if not spec.rendered:
        spec = render_spec(spec, run_id=ctx.run_id, ts=dt.datetime.now(dt.UTC), try_number=ctx.try_number)
        ctx.spec = spec
    ctx.callbacks = Callbacks.from_spec(spec, lambda text: ctx.say(text, "warning"), ctx.spec_dir())
    ctx.callbacks.bind_client(ctx.session.client.api_client)
    manifest = build_pod(spec, RunIdentity(ctx.run_id, ctx.try_number))
    meta = manifest.setdefault("metadata", {})
    # -n, then the spec, then the template (even one that says "default"), then the context's
    ctx.namespace = ctx.cli_namespace or spec.namespace or meta.get("namespace") or ctx.session.client.namespace \
        or "default"
    meta["namespace"] = ctx.namespace
    ctx.manifest = manifest
    if ctx.record is not None and ctx.record.pod_name:
        ctx.pod_name = ctx.record.pod_name
        ctx.namespace = ctx.record.namespace or ctx.namespace
    else:
        ctx.pod_name = meta["name"]
    ctx.record_start()
    ctx.fire("on_pod_manifest_created", pod_request=manifest)


def _checked(pod: Json) -> bool:
    return (pod.get("metadata", {}).get("labels") or {}).get(POD_CHECKED_KEY) == "True"


def _start_time(pod: Json) -> str:
    status = pod.get("status") or {}
    return status.get("startTime") or pod.get("metadata", {}).get("creationTimestamp") or ""


def _keep_newest(ctx: RunContext, items: list[Json]) -> Json | None:
    """Of several pods of this run keep the newest; mark the others checked and clean them up.

    The reference (``process_duplicate_label_pods``) orders by start time, or
    creation time when a pod has not started; it handles one older pod, we
    retire them all, and say so.
    """
    if len(items) <= 1:
        return items[0] if items else None
    items = sorted(items, key=_start_time)
    retired = []
    for old in items[:-1]:
        name = old["metadata"]["name"]
        ctx.api.patch_labels(ctx.namespace, name, {POD_CHECKED_KEY: "True"})
        state = oc.find_state(old, ctx.base)
        code = state.exit_code if state is not None and state.state == "terminated" else None
        deleted = oc.should_delete(ctx.on_finish_action, old, code) and ctx.api.delete_pod(ctx.namespace, name)
        retired.append(f"{name} ({'deleted' if deleted else 'kept'})")
    newest = items[-1]["metadata"]["name"]
    ctx.say(
        f"found {len(items)} pods of this run: kept the newest, {newest}; "
        f"marked {POD_CHECKED_KEY} the others: {', '.join(retired)}",
        "warning",
    )
    return items[-1]


def reattach_or_create(ctx: RunContext) -> None:
    """Find this run's pod again (history identity, then labels), or create it exactly once."""
    api = ctx.api
    creating = False
    try:
        found: Json | None = None
        by_name = ctx.record is not None and bool(ctx.record.pod_name)
        if by_name:
            # The history remembers the pod: no label search needed (LIFECYCLE 2).
            found = api.get_pod(ctx.namespace, ctx.pod_name)
        # A fresh run id cannot label any pod yet: the label search is for a recorded run
        # taken up again (attach, the app after a restart) whose pod the history lacks.
        # A run whose process stopped while its create was under way (kill -9, a crash) may or
        # may not have a pod: its own labels say, whatever reattach_on_restart says.
        was_creating = ctx.record is not None and bool(ctx.record.detail.get("creating"))
        if found is None and ctx.record is not None and (ctx.spec.reattach_on_restart or was_creating):
            selector = reattach_selector(ctx.spec, RunIdentity(ctx.run_id, ctx.try_number))
            items = [p for p in api.list_pods(ctx.namespace, selector).get("items") or [] if not _checked(p)]
            found = _keep_newest(ctx, items)
        if found is None and was_creating:
            pid = ctx.record.owner_pid if ctx.record is not None else None
            ctx.pod_name = ""
            ctx.history.update_run(ctx.run_id, pod_name=None)
            raise RunNeverStarted(
                "the run never started: the kpodtui process creating its pod"
                + (f" (pid {pid})" if pid else "") + " stopped before the create returned, "
                "and no pod of this run exists")
        if found is None and by_name:
            raise RunAbort(f"pod {ctx.namespace}/{ctx.pod_name} no longer exists; its verdict cannot be read")
        if found is not None:
            ctx.reattached = True
            ctx.pod_name = found["metadata"]["name"]
            ctx.pod = found
            ctx.say(f"reattached to pod {ctx.namespace}/{ctx.pod_name} ({oc.phase(found)})")
        else:
            # recorded before the create, for a process that stops while it is under way (see above)
            ctx.history.update_run(ctx.run_id, pod_name=ctx.pod_name, namespace=ctx.namespace,
                                   detail={"creating": True})
            name = ctx.pod_name

            def lookup() -> Json | None:
                pod = api.get_pod(ctx.namespace, name)
                labels = (pod or {}).get("metadata", {}).get("labels") or {}
                return pod if pod is not None and labels.get(RUN_ID_LABEL) == ctx.manifest["metadata"]["labels"].get(RUN_ID_LABEL) else None

            creating = True
            ctx.pod = api.create_pod(ctx.namespace, ctx.manifest, lookup)
            ctx.say(f"created pod {ctx.namespace}/{ctx.pod_name}")
            _record_pod(ctx, manifest=mask_pod(ctx.manifest))
            # killed while the create was under way: the kill found no pod to delete
            if ctx.killed and ctx.spec.on_kill_action != "keep_pod" and ctx.delete_for_kill():
                ctx.say(f"killed: pod {ctx.pod_name} deleted", "warning")
    except Exception as exc:
        if creating and (refused(exc) or never_sent(exc)):
            # The API said no, or the request never left: no pod exists. Forget the
            # name recorded for crash recovery, so neither the history nor the
            # report shows a pod that never was.
            ctx.pod_name = ""
            ctx.history.update_run(ctx.run_id, pod_name=None)
        if exception_status(exc) is not None or is_connection_error(exc):
            raise explain(exc, ctx.session.client, ctx.namespace) from exc
        raise
    ctx.manifest.setdefault("metadata", {})["uid"] = (ctx.pod or {}).get("metadata", {}).get("uid")
    try:
        ctx.history.update_run(ctx.run_id, pod_name=ctx.pod_name, namespace=ctx.namespace,
                               phase=oc.phase(ctx.pod), detail={})
    except Exception as exc:  # noqa: BLE001 - the pod exists: follow it (the name is recorded already)
        ctx.say(f"could not note pod {ctx.pod_name} in the history ({exc}); following it anyway", "warning")
    pod = ctx.pod or ctx.manifest
    ctx.publish(
        PodAssigned(
            ctx.run_id, ctx.pod_name, ctx.namespace, ctx.session.context, ctx.reattached,
            tuple(oc.spec_containers(pod)), tuple(oc.spec_containers(pod, init=True)),
        )
    )  # fmt: skip
    ctx.fire("on_pod_creation", pod=ctx.pod)


def _setup_logs(ctx: RunContext) -> None:
    pod = ctx.pod or ctx.manifest
    spec = ctx.spec
    if not spec.get_logs:
        return
    regular, unknown = oc.select_containers(oc.spec_containers(pod), spec.container_logs, ctx.base)
    init, unknown_init = oc.select_containers(
        oc.spec_containers(pod, init=True), spec.init_container_logs, ctx.base, for_init=True
    )
    for name in unknown + unknown_init:
        ctx.say(f"no container {name!r} in the pod: its logs are skipped", "warning")
    callbacks = ctx.callbacks
    on_line = None
    if callbacks is not None and callbacks.wants_lines:

        def on_line(line: LogLine) -> None:
            callbacks.line(line.text, line.container, line.timestamp, ctx.pod)

    ctx.pump = LogPump(
        ctx.run_id, ctx.api, ctx.namespace, ctx.pod_name, ctx.history, ctx.publish,
        lambda: ctx.pod, on_line, ctx.notify,
    )  # fmt: skip
    ctx.pump.expect_gone = ctx.killed
    ctx.pump.select(init + regular)
    ctx.pump.poke(ctx.pod)


def await_start(ctx: RunContext) -> None:
    """Wait for the pod to leave Pending: reasons surfaced live, fatal ones fail fast, two timeouts."""
    _setup_logs(ctx)
    spec = ctx.spec
    schedule_timeout = float(spec.schedule_timeout_seconds)
    startup_timeout = float(spec.startup_timeout_seconds)
    started = time.monotonic()
    scheduled_at: float | None = None
    if ctx.pod is None or not oc.is_scheduled(ctx.pod):  # (a reattached running pod has no wait)
        ctx.say(f"waiting up to {schedule_timeout:g}s for the pod to be scheduled")
    # An unschedulable pod waits up to schedule_timeout, as the reference waits: a cluster
    # autoscaler may add a node (its FailedScheduling comes first, the scale-up after). The
    # scheduler's message and the autoscaler's events are said as they come; only the
    # autoscaler saying no node group can ever fit the pod fails it early.

    def unschedulable(pod: dict[str, Any]) -> str | None:
        return ctx.no_node_group if not oc.is_scheduled(pod) else None

    def ready() -> bool:
        pod = ctx.pod
        if ctx.killed or pod is None:
            return True
        return oc.has_started(pod) or bool(
            oc.launch_failure(pod) or oc.fatal_waiting(pod) or ctx.fatal_event or unschedulable(pod))

    while True:
        ctx.wait_until(ready, 0.25)
        pod = ctx.pod
        if ctx.killed:
            raise RunAbort("killed before start")
        if pod is None:
            raise RunAbort("the pod was deleted before it started")
        assert pod is not None
        failure = oc.launch_failure(pod) or oc.fatal_waiting(pod)
        if not failure and ctx.fatal_event and not oc.has_started(pod):
            failure = ctx.fatal_event
        if not failure and not oc.is_scheduled(pod):
            failure = unschedulable(pod)
        if failure:
            raise RunAbort(failure)
        if oc.has_started(pod):
            return
        now = time.monotonic()
        if oc.is_scheduled(pod):
            if scheduled_at is None:
                scheduled_at = now
                ctx.say(f"scheduled; waiting up to {startup_timeout:g}s for the containers to start")
            if now - scheduled_at > startup_timeout:
                raise RunAbort(_timeout_text(ctx, f"the pod did not start within {startup_timeout:g}s", pod))
        elif now - started > schedule_timeout:
            raise RunAbort(_timeout_text(ctx, f"the pod was not scheduled within {schedule_timeout:g}s", pod))


def _timeout_text(ctx: RunContext, head: str, pod: Json) -> str:
    reason = oc.pending_reason(pod)
    parts = [head + (f"; last Pending reason: {reason}" if reason else "")]
    recent = [f"{e.reason}: {e.message}" for e in ctx.events[-5:]]
    if recent:
        parts.append("last events: " + " | ".join(recent))
    return "\n".join(parts)


def _stopping(pod: Json) -> bool:
    """The pod failed (a deadline, an eviction) while a container still runs: the kubelet
    reports the failure first, then stops the containers with their grace period."""
    return oc.phase(pod) == "Failed" and any(cs.state == "running" for cs in oc.container_states(pod))


def follow_until_base_done(ctx: RunContext) -> None:
    """``follow_logs`` while waiting for the base container: sidecars never make it hang."""
    base = ctx.base

    def base_done() -> bool:
        pod = ctx.pod
        if pod is None or ctx.killed:
            return True
        state = oc.find_state(pod, base)
        if state is not None and state.state == "terminated":
            return True
        return oc.phase(pod) in ("Succeeded", "Failed") or bool(oc.fatal_waiting(pod))

    ctx.wait_until(base_done, None)
    pod = ctx.pod
    if ctx.killed:
        # Give the grace period a chance to end the containers so their last lines are
        # read (unless the user asked not to wait: Run.hurry).
        grace = ctx.spec.termination_grace_period or 30
        ctx.wait_until(
            lambda: ctx.hurried or ctx.pod is None or oc.phase(ctx.pod) in ("Succeeded", "Failed"),
            min(grace + 5, 60),
        )
    elif pod is not None and oc.fatal_waiting(pod) and oc.find_state(pod, base) is None:
        raise RunAbort(oc.fatal_waiting(pod) or "")
    elif pod is not None and _stopping(pod):
        grace = _grace_of(pod)
        why = (pod.get("status") or {}).get("reason") or "Failed"
        ctx.say(f"the pod failed ({why}); its containers are being stopped (grace {grace} s): "
                "following their logs until they end")
        ctx.wait_until(lambda: ctx.killed or ctx.pod is None or not _stopping(ctx.pod), grace + STOPPING_MARGIN)
    _drain_logs(ctx)
    if pod is not None and not ctx.killed and ISTIO_CONTAINER_NAME in oc.spec_containers(pod):
        quit_istio(ctx)


def _grace_of(pod: Json) -> int:
    value = (pod.get("spec") or {}).get("terminationGracePeriodSeconds")
    return 30 if value is None else int(value)


def _drain_logs(ctx: RunContext) -> None:
    """Read the log of every container that stopped to its end, however long that takes (as the
    reference does: a cut after 30 s lost most of a chatty pod's log); still-running sidecars get
    a moment. Only a kill stops the reading (a kill before this point: after a short while)."""
    pump = ctx.pump
    if pump is None:
        return
    if ctx.hurried:
        pump.stop()
        return
    # The watch thread starts followers right after it wakes us: a pod seen going from
    # Pending straight to Succeeded (a short container, or a polled pod) would otherwise
    # be judged before its containers' followers exist, and its log never read.
    pump.poke(ctx.pod)
    names = pump.names()
    finished = [c for c in names if pump.finished(c)]
    if ctx.killed:
        ctx.wait_until(lambda: ctx.hurried or pump.all_ended(finished), KILLED_DRAIN_SECONDS)
    else:
        ctx.wait_until(lambda: ctx.killed or pump.all_ended(finished), None)
    if ctx.killed and not pump.all_ended(finished):
        pump.stop(finished)  # the user's kill ends the run now: what is not read yet is not
    live = [c for c in names if c not in finished]
    if live:
        pump.wait(live, SIDECAR_LOG_GRACE)
        pump.stop(live)


def _record_pod(ctx: RunContext, **parts: Any) -> None:
    """Keep the run's pod in the history (shown by describe and YAML once it is gone)."""
    try:
        ctx.history.record_pod(ctx.run_id, **parts)
    except Exception as exc:  # noqa: BLE001 - a convenience: the run goes on
        ctx.say(f"could not record the pod in the history: {exc}", "warning")


def _event_record(ev: Any) -> Json:
    return {k: getattr(ev, k) for k in ("type", "reason", "message", "field_path", "count", "timestamp", "uid")}


def ending_detail(result: RunFinished) -> dict[str, Any]:
    """What the history keeps of a verdict beyond its columns (shown when the run is opened later)."""
    detail = {"pod_deleted": bool(result.pod_deleted), "reason": result.detail.get("reason")}
    for key in ("pod_terminating", "lost", "log_incomplete"):
        if result.detail.get(key):
            detail[key] = result.detail[key]
    return detail


def cleanup(ctx: RunContext, cause: str | None) -> RunFinished:
    """Judge from fresh state, report, label, delete per ``on_finish_action``; ``on_pod_cleanup`` always."""
    api = ctx.api
    pod = ctx.pod
    if ctx.pod_name and pod is not None and ctx.pod_seen:
        state = oc.find_state(pod, ctx.base)
        if state is None or state.state != "terminated":
            try:
                pod = api.get_pod(ctx.namespace, ctx.pod_name)  # fresh, not a stale snapshot
            except Exception:  # noqa: BLE001 - judge with what we have
                pass
    if not ctx.killed:
        ctx.poll_history()
    # a kill from another thread is deleting the pod: judge what comes of it (the delete's own
    # retries are bounded by the retry policy)
    ctx.wait_quietly(lambda: not ctx.kill_pending, 90)
    spec = ctx.spec
    plan = plan_cleanup(RunEnding(
        pod, ctx.pod_name, ctx.pod_seen, ctx.base, oc.skip_codes(spec.skip_on_exit_code), ctx.on_finish_action,
        spec.on_kill_action, ctx.killed, ctx.deleted_by_kill, cause, tuple(ctx.events),
        bool(spec.log_events_on_failure), bool(spec.log_pod_spec_on_failure),
        ctx.deleted_outside if ctx.outside_before_end else None, ctx.ending, ctx.last_pod,
    ))  # fmt: skip
    if plan.mark_checked:
        try:
            api.patch_labels(ctx.namespace, ctx.pod_name, {POD_CHECKED_KEY: "True"})
        except Exception as exc:  # noqa: BLE001 - as the reference: the label never stops the delete
            ctx.say(f"could not label pod {ctx.pod_name} {POD_CHECKED_KEY}: {refusal_text(exc)}", "warning")
    if plan.delete:
        ctx.delete_pod(failure=f"cleanup of pod {ctx.pod_name} failed")
    # a deletion is under way (by this run, a kill, or someone else)
    asked = plan.delete or plan.gone_by_kill or ctx.pod_terminating is not None or bool(ctx.deleted_outside)
    if ctx.deleted_outside and pod is None:
        ctx.pod_deleted = True
    if asked and not ctx.pod_deleted and not ctx.hurried:
        # "deleted" only once the API says the pod is gone (its containers stopped); a kill waits
        # out the grace period, as Ctrl-C says it does (a second Ctrl-C stops the wait: hurry)
        patience = min((spec.termination_grace_period or 30) + 5, 60) if ctx.killed else DELETE_CONFIRM_SECONDS
        ctx.wait_quietly(lambda: ctx.pod_deleted or ctx.pod is None or ctx.hurried, patience)
    if asked and not ctx.pod_deleted and pod is not None:
        # deleted by this run or for a kill (here or by `kpodtui kill`): gone, or still stopping
        try:
            current = api.get_pod(ctx.namespace, ctx.pod_name) if ctx.pod is not None else None
        except Exception:  # noqa: BLE001 - as last seen
            current = ctx.pod
        if current is None:
            ctx.pod_deleted = True
        elif (current.get("metadata") or {}).get("deletionTimestamp"):
            ctx.pod_terminating = _grace_of_deletion(current)
    if ctx.pod_terminating is not None and not ctx.pod_deleted and plan.outcome != "killed":
        ctx.say(f"pod {ctx.pod_name}: deletion requested, terminating (grace {ctx.pod_terminating} s)")
    report = plan.report_after(ctx.pod_deleted, None if ctx.pod_deleted else ctx.pod_terminating)
    ctx.fire("on_pod_cleanup", pod=pod)
    result = RunFinished(
        ctx.run_id, plan.outcome, plan.exit_code, report, ctx.xcom_value, ctx.pod_deleted,
        {"pod": ctx.pod_name, "namespace": ctx.namespace, "cause": cause, "reason": plan.reason},
    )  # fmt: skip
    _note_missing(ctx, result)
    if ctx.failed_with is not None:
        # Run.execute re-raises it: the caller says it (one line), not only this verdict.
        result.detail["error"] = type(ctx.failed_with).__name__
    finished_at = result.detail["finished_at"] = time.time()  # the front ends show the recorded end
    last = pod or ctx.last_pod
    if ctx.pod_name and (last is not None or ctx.events):
        _record_pod(ctx, last_pod=mask_pod(last) if last is not None else None,
                    events=[_event_record(ev) for ev in ctx.events])
    try:
        failed = ctx.history.record_verdict(
            ctx.run_id, state="finished", finished_at=finished_at, outcome=plan.outcome, exit_code=plan.exit_code,
            failure_report=report, xcom=ctx.xcom_value,
            phase=oc.phase(pod) if pod else ("Deleted" if ctx.pod_name else None),
            owner_pid=None, detail=ending_detail(result),
        )  # fmt: skip
        if failed is not None:
            ctx.say(f"the history cannot be written ({failed}): the verdict is kept beside the run's logs and "
                    "recorded by the next kpodtui command that opens the run", "warning")
    except Exception as exc:  # noqa: BLE001
        ctx.say(f"could not record the verdict: {exc}", "error")
    ctx.publish(result)
    return result


def _grace_of_deletion(pod: Json) -> int:
    meta = pod.get("metadata") or {}
    value = meta.get("deletionGracePeriodSeconds")
    return _grace_of(pod) if value is None else int(value)


def _note_missing(ctx: RunContext, result: RunFinished) -> None:
    """What the verdict must say is missing: a pod still terminating, lines the cluster no
    longer had (not when the run was killed: then that is the user's doing), log files that
    could not be written."""
    if ctx.pod_terminating is not None and not ctx.pod_deleted:
        result.detail["pod_terminating"] = ctx.pod_terminating
    pump = ctx.pump
    if pump is None:
        return
    if pump.losses and not ctx.killed:
        result.detail["lost"] = [gap.as_dict() for gap in pump.losses]
    if pump.incomplete:
        result.detail["log_incomplete"] = {c: {"lines": n, "error": why} for c, (n, why) in pump.incomplete.items()}
