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
from kpodtui.engine.context import RunAbort, RunContext
from kpodtui.engine.events import PodAssigned, RunFinished
from kpodtui.engine.logpump import LogPump
from kpodtui.engine.xcom import extract_xcom, quit_istio
from kpodtui.kube.api import explain, never_sent, refusal_text
from kpodtui.kube.retry import exception_status, is_connection_error, refused
from kpodtui.loglines import LogLine
from kpodtui.pod import RunIdentity, build_pod, reattach_selector
from kpodtui.spec import render_spec

Json = dict[str, Any]
LOG_DRAIN_SECONDS = 30.0  # after the base exits, how long its log stream may take to end
SIDECAR_LOG_GRACE = 0.5  # how long other still-running containers' logs are read after that

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
        if found is None and ctx.spec.reattach_on_restart and ctx.record is not None:
            selector = reattach_selector(ctx.spec, RunIdentity(ctx.run_id, ctx.try_number))
            items = [p for p in api.list_pods(ctx.namespace, selector).get("items") or [] if not _checked(p)]
            found = _keep_newest(ctx, items)
        if found is None and by_name:
            raise RunAbort(f"pod {ctx.namespace}/{ctx.pod_name} no longer exists; its verdict cannot be read")
        if found is not None:
            ctx.reattached = True
            ctx.pod_name = found["metadata"]["name"]
            ctx.pod = found
            ctx.say(f"reattached to pod {ctx.namespace}/{ctx.pod_name} ({oc.phase(found)})")
        else:
            ctx.history.update_run(ctx.run_id, pod_name=ctx.pod_name, namespace=ctx.namespace)
            name = ctx.pod_name

            def lookup() -> Json | None:
                pod = api.get_pod(ctx.namespace, name)
                labels = (pod or {}).get("metadata", {}).get("labels") or {}
                return pod if pod is not None and labels.get(RUN_ID_LABEL) == ctx.manifest["metadata"]["labels"].get(RUN_ID_LABEL) else None

            creating = True
            ctx.pod = api.create_pod(ctx.namespace, ctx.manifest, lookup)
            ctx.say(f"created pod {ctx.namespace}/{ctx.pod_name}")
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
    ctx.history.update_run(ctx.run_id, pod_name=ctx.pod_name, namespace=ctx.namespace, phase=oc.phase(ctx.pod))
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
        lambda: ctx.pod, on_line,
    )  # fmt: skip
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
    # Unschedulable fails fast (the reference waits out schedule_timeout with no
    # reason given) unless waiting can help: the user wrote schedule_timeout_seconds
    # (they expect to wait for capacity), or an autoscaler is adding a node.
    wait_for_capacity = spec.written("schedule_timeout_seconds")

    def unschedulable(pod: dict[str, Any]) -> str | None:
        if wait_for_capacity or any(e.reason in oc.SCALE_UP_REASONS for e in ctx.events):
            return None
        return oc.unschedulable(pod)

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
    pump = ctx.pump
    if pump is not None and ctx.hurried:
        pump.stop()
    elif pump is not None:
        # The watch thread starts followers right after it wakes us: a pod seen going from
        # Pending straight to Succeeded (a short container, or a polled pod) would otherwise
        # be judged before its containers' followers exist, and its log never read.
        pump.poke(ctx.pod)
        names = pump.names()
        finished = [c for c in names if pump.finished(c)]
        pump.wait(finished, LOG_DRAIN_SECONDS)
        live = [c for c in names if c not in finished]
        if live:
            pump.wait(live, SIDECAR_LOG_GRACE)
            pump.stop(live)
    if pod is not None and not ctx.killed and ISTIO_CONTAINER_NAME in oc.spec_containers(pod):
        quit_istio(ctx)


def ending_detail(result: RunFinished) -> dict[str, Any]:
    """What the history keeps of a verdict beyond its columns (shown when the run is opened later)."""
    return {"pod_deleted": bool(result.pod_deleted), "reason": result.detail.get("reason")}


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
    spec = ctx.spec
    plan = plan_cleanup(RunEnding(
        pod, ctx.pod_name, ctx.pod_seen, ctx.base, oc.skip_codes(spec.skip_on_exit_code), ctx.on_finish_action,
        spec.on_kill_action, ctx.killed, ctx.deleted_by_kill, cause, tuple(ctx.events),
        bool(spec.log_events_on_failure), bool(spec.log_pod_spec_on_failure),
    ))  # fmt: skip
    if plan.mark_checked:
        try:
            api.patch_labels(ctx.namespace, ctx.pod_name, {POD_CHECKED_KEY: "True"})
        except Exception as exc:  # noqa: BLE001 - as the reference: the label never stops the delete
            ctx.say(f"could not label pod {ctx.pod_name} {POD_CHECKED_KEY}: {refusal_text(exc)}", "warning")
    if plan.delete:
        try:
            ctx.pod_deleted |= api.delete_pod(ctx.namespace, ctx.pod_name)
        except Exception as exc:  # noqa: BLE001 - cleanup problems are reported, not fatal
            ctx.say(f"cleanup of pod {ctx.pod_name} failed: {refusal_text(exc)}", "warning")
    if plan.gone_by_kill:
        ctx.pod_deleted = True  # gone or going: deleted by the kill (here or by `kpodtui kill`)
    report = plan.report_after(ctx.pod_deleted)
    ctx.fire("on_pod_cleanup", pod=pod)
    result = RunFinished(
        ctx.run_id, plan.outcome, plan.exit_code, report, ctx.xcom_value, ctx.pod_deleted,
        {"pod": ctx.pod_name, "namespace": ctx.namespace, "cause": cause, "reason": plan.reason},
    )  # fmt: skip
    if ctx.failed_with is not None:
        # Run.execute re-raises it: the caller says it (one line), not only this verdict.
        result.detail["error"] = type(ctx.failed_with).__name__
    try:
        ctx.history.update_run(
            ctx.run_id, state="finished", finished_at=time.time(), outcome=plan.outcome, exit_code=plan.exit_code,
            failure_report=report, xcom=ctx.xcom_value,
            phase=oc.phase(pod) if pod else ("Deleted" if ctx.pod_name else None),
            owner_pid=None, detail=ending_detail(result),
        )  # fmt: skip
    except Exception as exc:  # noqa: BLE001
        ctx.say(f"could not record the verdict: {exc}", "error")
    ctx.publish(result)
    return result
