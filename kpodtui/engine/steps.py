"""The lifecycle steps of a :class:`~kpodtui.engine.run.Run`, by their LIFECYCLE.md names.

``prepare`` -> ``reattach_or_create`` -> ``await_start`` ->
``follow_until_base_done`` (``follow_logs``) -> ``extract_xcom`` -> ``cleanup``.
Each takes the run; decisions are delegated to the pure :mod:`outcome` and
:mod:`report` modules.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING, Any

from kpodtui.constants import ISTIO_CONTAINER_NAME, POD_CHECKED_KEY, RUN_ID_LABEL
from kpodtui.engine import outcome as oc
from kpodtui.engine.callbacks import Callbacks
from kpodtui.engine.events import PodAssigned, RunFinished
from kpodtui.engine.logpump import LogPump
from kpodtui.engine.report import failure_report, kill_report
from kpodtui.engine.xcom import extract_xcom, quit_istio
from kpodtui.kube.api import explain, never_sent, refusal_text
from kpodtui.kube.retry import exception_status, is_connection_error, refused

if TYPE_CHECKING:
    from kpodtui.engine.run import Run

Json = dict[str, Any]
LOG_DRAIN_SECONDS = 30.0  # after the base exits, how long its log stream may take to end
SIDECAR_LOG_GRACE = 0.5  # how long other still-running containers' logs are read after that

__all__ = ["await_start", "cleanup", "extract_xcom", "follow_until_base_done", "prepare", "reattach_or_create"]


def _abort(msg: str) -> Exception:
    from kpodtui.engine.run import RunAbort

    return RunAbort(msg)


def prepare(run: Run) -> None:
    """Render the spec, build the pod, load callbacks, record the run."""
    from kpodtui.pod import RunIdentity, build_pod
    from kpodtui.spec import render_spec

    spec = run.spec
    if not getattr(spec, "rendered", False):
        spec = render_spec(spec, run_id=run.run_id, ts=dt.datetime.now(dt.UTC), try_number=run.try_number)
        run.spec = spec
    run.callbacks = Callbacks.from_spec(spec, lambda text: run.say(text, "warning"), run.spec_dir())
    run.callbacks.bind_client(run.session.client.api_client)
    manifest = build_pod(spec, RunIdentity(run.run_id, run.try_number))
    meta = manifest.setdefault("metadata", {})
    # -n, then the spec, then the template (even one that says "default"), then the context's
    run.namespace = run.cli_namespace or spec.namespace or meta.get("namespace") or run.session.client.namespace \
        or "default"
    meta["namespace"] = run.namespace
    run.manifest = manifest
    if run.record is not None and run.record.pod_name:
        run.pod_name = run.record.pod_name
        run.namespace = run.record.namespace or run.namespace
    else:
        run.pod_name = meta["name"]
    run.record_start()
    run._fire("on_pod_manifest_created", pod_request=manifest)


def _checked(pod: Json) -> bool:
    return (pod.get("metadata", {}).get("labels") or {}).get(POD_CHECKED_KEY) == "True"


def _start_time(pod: Json) -> str:
    status = pod.get("status") or {}
    return status.get("startTime") or pod.get("metadata", {}).get("creationTimestamp") or ""


def _keep_newest(run: Run, items: list[Json]) -> Json | None:
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
        run.api.patch_labels(run.namespace, name, {POD_CHECKED_KEY: "True"})
        state = oc.find_state(old, run.base)
        code = state.exit_code if state is not None and state.state == "terminated" else None
        deleted = oc.should_delete(run.on_finish_action, old, code) and run.api.delete_pod(run.namespace, name)
        retired.append(f"{name} ({'deleted' if deleted else 'kept'})")
    newest = items[-1]["metadata"]["name"]
    run.say(
        f"found {len(items)} pods of this run: kept the newest, {newest}; "
        f"marked {POD_CHECKED_KEY} the others: {', '.join(retired)}",
        "warning",
    )
    return items[-1]


def reattach_or_create(run: Run) -> None:
    """Find this run's pod again (history identity, then labels), or create it exactly once."""
    from kpodtui.pod import reattach_selector

    api = run.api
    creating = False
    try:
        found: Json | None = None
        by_name = run.record is not None and bool(run.record.pod_name)
        if by_name:
            # The history remembers the pod: no label search needed (LIFECYCLE 2).
            found = api.get_pod(run.namespace, run.pod_name)
        # A fresh run id cannot label any pod yet: the label search is for a recorded run
        # taken up again (attach, the app after a restart) whose pod the history lacks.
        if found is None and run.spec.reattach_on_restart and run.record is not None:
            from kpodtui.pod import RunIdentity

            selector = reattach_selector(run.spec, RunIdentity(run.run_id, run.try_number))
            items = [p for p in api.list_pods(run.namespace, selector).get("items") or [] if not _checked(p)]
            found = _keep_newest(run, items)
        if found is None and by_name:
            raise _abort(f"pod {run.namespace}/{run.pod_name} no longer exists; its verdict cannot be read")
        if found is not None:
            run.reattached = True
            run.pod_name = found["metadata"]["name"]
            run.pod = found
            run.say(f"reattached to pod {run.namespace}/{run.pod_name} ({oc.phase(found)})")
        else:
            run.history.update_run(run.run_id, pod_name=run.pod_name, namespace=run.namespace)
            name = run.pod_name

            def lookup() -> Json | None:
                pod = api.get_pod(run.namespace, name)
                labels = (pod or {}).get("metadata", {}).get("labels") or {}
                return pod if pod is not None and labels.get(RUN_ID_LABEL) == run.manifest["metadata"]["labels"].get(RUN_ID_LABEL) else None

            creating = True
            run.pod = api.create_pod(run.namespace, run.manifest, lookup)
            run.say(f"created pod {run.namespace}/{run.pod_name}")
            # killed while the create was under way: the kill found no pod to delete
            if run.killed and run.spec.on_kill_action != "keep_pod" and run.delete_for_kill():
                run.say(f"killed: pod {run.pod_name} deleted", "warning")
    except Exception as exc:
        if creating and (refused(exc) or never_sent(exc)):
            # The API said no, or the request never left: no pod exists. Forget the
            # name recorded for crash recovery, so neither the history nor the
            # report shows a pod that never was.
            run.pod_name = ""
            run.history.update_run(run.run_id, pod_name=None)
        if exception_status(exc) is not None or is_connection_error(exc):
            raise explain(exc, run.session.client, run.namespace) from exc
        raise
    run.manifest.setdefault("metadata", {})["uid"] = (run.pod or {}).get("metadata", {}).get("uid")
    run.history.update_run(run.run_id, pod_name=run.pod_name, namespace=run.namespace, phase=oc.phase(run.pod))
    pod = run.pod or run.manifest
    run.publish(
        PodAssigned(
            run.run_id, run.pod_name, run.namespace, run.session.context, run.reattached,
            tuple(oc.spec_containers(pod)), tuple(oc.spec_containers(pod, init=True)),
        )
    )  # fmt: skip
    run._fire("on_pod_creation", pod=run.pod)


def _setup_logs(run: Run) -> None:
    pod = run.pod or run.manifest
    spec = run.spec
    if not spec.get_logs:
        return
    regular, unknown = oc.select_containers(oc.spec_containers(pod), spec.container_logs, run.base)
    init, unknown_init = oc.select_containers(
        oc.spec_containers(pod, init=True), spec.init_container_logs, run.base, for_init=True
    )
    for name in unknown + unknown_init:
        run.say(f"no container {name!r} in the pod: its logs are skipped", "warning")
    callbacks = run.callbacks
    on_line = None
    if callbacks is not None and callbacks.wants_lines:

        def on_line(line: Any) -> None:
            callbacks.line(line.text, line.container, line.timestamp, run.pod)

    run.pump = LogPump(
        run.run_id, run.api, run.namespace, run.pod_name, run.history, run.publish,
        lambda: run.pod, on_line,
    )  # fmt: skip
    run.pump.select(init + regular)
    run.pump.poke(run.pod)


def await_start(run: Run) -> None:
    """Wait for the pod to leave Pending: reasons surfaced live, fatal ones fail fast, two timeouts."""
    _setup_logs(run)
    spec = run.spec
    schedule_timeout = float(spec.schedule_timeout_seconds)
    startup_timeout = float(spec.startup_timeout_seconds)
    started = time.monotonic()
    scheduled_at: float | None = None
    if run.pod is None or not oc.is_scheduled(run.pod):  # (a reattached running pod has no wait)
        run.say(f"waiting up to {schedule_timeout:g}s for the pod to be scheduled")
    # Unschedulable fails fast (the reference waits out schedule_timeout with no
    # reason given) unless waiting can help: the user wrote schedule_timeout_seconds
    # (they expect to wait for capacity), or an autoscaler is adding a node.
    wait_for_capacity = spec.written("schedule_timeout_seconds")

    def unschedulable(pod: dict[str, Any]) -> str | None:
        if wait_for_capacity or any(e.reason in oc.SCALE_UP_REASONS for e in run.events):
            return None
        return oc.unschedulable(pod)

    def ready() -> bool:
        pod = run.pod
        if run.killed or pod is None:
            return True
        return oc.has_started(pod) or bool(
            oc.launch_failure(pod) or oc.fatal_waiting(pod) or run.fatal_event or unschedulable(pod))

    while True:
        run.wait_until(ready, 0.25)
        pod = run.pod
        if run.killed:
            raise _abort("killed before start")
        if pod is None:
            raise _abort("the pod was deleted before it started")
        assert pod is not None
        failure = oc.launch_failure(pod) or oc.fatal_waiting(pod)
        if not failure and run.fatal_event and not oc.has_started(pod):
            failure = run.fatal_event
        if not failure and not oc.is_scheduled(pod):
            failure = unschedulable(pod)
        if failure:
            raise _abort(failure)
        if oc.has_started(pod):
            return
        now = time.monotonic()
        if oc.is_scheduled(pod):
            if scheduled_at is None:
                scheduled_at = now
                run.say(f"scheduled; waiting up to {startup_timeout:g}s for the containers to start")
            if now - scheduled_at > startup_timeout:
                raise _abort(_timeout_text(run, f"the pod did not start within {startup_timeout:g}s", pod))
        elif now - started > schedule_timeout:
            raise _abort(_timeout_text(run, f"the pod was not scheduled within {schedule_timeout:g}s", pod))


def _timeout_text(run: Run, head: str, pod: Json) -> str:
    reason = oc.pending_reason(pod)
    parts = [head + (f"; last Pending reason: {reason}" if reason else "")]
    recent = [f"{e.reason}: {e.message}" for e in run.events[-5:]]
    if recent:
        parts.append("last events: " + " | ".join(recent))
    return "\n".join(parts)


def follow_until_base_done(run: Run) -> None:
    """``follow_logs`` while waiting for the base container: sidecars never make it hang."""
    base = run.base

    def base_done() -> bool:
        pod = run.pod
        if pod is None or run.killed:
            return True
        state = oc.find_state(pod, base)
        if state is not None and state.state == "terminated":
            return True
        return oc.phase(pod) in ("Succeeded", "Failed") or bool(oc.fatal_waiting(pod))

    run.wait_until(base_done, None)
    pod = run.pod
    if run.killed:
        # Give the grace period a chance to end the containers so their last lines are
        # read (unless the user asked not to wait: Run.hurry).
        grace = run.spec.termination_grace_period or 30
        run.wait_until(
            lambda: run.hurried or run.pod is None or oc.phase(run.pod) in ("Succeeded", "Failed"),
            min(grace + 5, 60),
        )
    elif pod is not None and oc.fatal_waiting(pod) and oc.find_state(pod, base) is None:
        raise _abort(oc.fatal_waiting(pod) or "")
    pump = run.pump
    if pump is not None and run.hurried:
        pump.stop()
    elif pump is not None:
        # The watch thread starts followers right after it wakes us: a pod seen going from
        # Pending straight to Succeeded (a short container, or a polled pod) would otherwise
        # be judged before its containers' followers exist, and its log never read.
        pump.poke(run.pod)
        names = pump.names()
        finished = [c for c in names if pump.finished(c)]
        pump.wait(finished, LOG_DRAIN_SECONDS)
        live = [c for c in names if c not in finished]
        if live:
            pump.wait(live, SIDECAR_LOG_GRACE)
            pump.stop(live)
    if pod is not None and not run.killed and ISTIO_CONTAINER_NAME in oc.spec_containers(pod):
        quit_istio(run)


def ending_detail(result: RunFinished) -> dict[str, Any]:
    """What the history keeps of a verdict beyond its columns (shown when the run is opened later)."""
    return {"pod_deleted": bool(result.pod_deleted), "reason": result.detail.get("reason")}


def cleanup(run: Run, cause: str | None) -> RunFinished:
    """Judge from fresh state, report, label, delete per ``on_finish_action``; ``on_pod_cleanup`` always."""
    api = run.api
    pod = run.pod
    if run.pod_name and pod is not None and run.pod_seen:
        state = oc.find_state(pod, run.base)
        if state is None or state.state != "terminated":
            try:
                pod = api.get_pod(run.namespace, run.pod_name)  # fresh, not a stale snapshot
            except Exception:  # noqa: BLE001 - judge with what we have
                pass
    if not run.killed:
        run._poll_history()
    outcome, code = oc.decide_outcome(pod, run.base, oc.skip_codes(run.spec.skip_on_exit_code), run.killed)
    xcom = run.xcom_value
    if cause and outcome in ("succeeded", "skipped"):
        outcome = "failed"
    report = None
    if outcome == "failed" and not run.pod_name:
        report = f"no pod was created: {cause or 'unknown cause'}"
    elif outcome == "failed":
        report = failure_report(
            run.pod_name or "(none)", pod, run.base, cause, run.events,
            include_events=bool(run.spec.log_events_on_failure) or not oc.has_started(pod or {}),
            include_spec=bool(run.spec.log_pod_spec_on_failure),
        )  # fmt: skip
    if pod is not None and run.pod_name:
        if oc.should_mark_checked(run.on_finish_action, pod) or outcome != "succeeded":
            try:
                api.patch_labels(run.namespace, run.pod_name, {POD_CHECKED_KEY: "True"})
            except Exception as exc:  # noqa: BLE001 - as the reference: the label never stops the delete
                run.say(f"could not label pod {run.pod_name} {POD_CHECKED_KEY}: {refusal_text(exc)}", "warning")
        if run.killed:
            # a kill from another process (kpodtui kill) deleted it there; one from here, in kill()
            delete = run.spec.on_kill_action != "keep_pod" and not run._we_delete
        else:
            delete = oc.should_delete(run.on_finish_action, pod, code)
            # A pod that never started is never left behind, whatever the action (issues 11190, 59083).
            if not delete and cause and oc.phase(pod) == "Pending" and run.on_finish_action != "keep_pod":
                delete = True
        if delete:
            try:
                run.pod_deleted |= api.delete_pod(run.namespace, run.pod_name)
            except Exception as exc:  # noqa: BLE001 - cleanup problems are reported, not fatal
                run.say(f"cleanup of pod {run.pod_name} failed: {refusal_text(exc)}", "warning")
    if run.killed and run.pod_seen and run.spec.on_kill_action != "keep_pod" and (
            pod is None or (pod.get("metadata") or {}).get("deletionTimestamp")):
        run.pod_deleted = True  # gone or going: deleted by the kill (here or by `kpodtui kill`)
    if outcome == "killed":
        kept = run.spec.on_kill_action == "keep_pod"
        report = kill_report(run.pod_name, "deleted" if run.pod_deleted else "kept" if kept else None)
    run._fire("on_pod_cleanup", pod=pod)
    exit_code = code
    result = RunFinished(
        run.run_id, outcome, exit_code, report, xcom, run.pod_deleted,
        {"pod": run.pod_name, "namespace": run.namespace, "cause": cause,
         "reason": oc.failure_reason(pod, run.base, [e.reason for e in run.events if e.type == "Warning"])
         if outcome == "failed" else None},
    )  # fmt: skip
    if run.failed_with is not None:
        # execute() re-raises it: the caller says it (one line), not only this verdict.
        result.detail["error"] = type(run.failed_with).__name__
    try:
        run.history.update_run(
            run.run_id, state="finished", finished_at=time.time(), outcome=outcome, exit_code=exit_code,
            failure_report=report, xcom=xcom, phase=oc.phase(pod) if pod else ("Deleted" if run.pod_name else None),
            owner_pid=None, detail=ending_detail(result),
        )  # fmt: skip
    except Exception as exc:  # noqa: BLE001
        run.say(f"could not record the verdict: {exc}", "error")
    run.publish(result)
    return result
