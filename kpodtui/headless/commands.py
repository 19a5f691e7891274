"""``run``, ``attach``, ``kill``, ``keep``: the commands that talk to a cluster."""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kpodtui.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SKIPPED,
    BadInputError,
)
from kpodtui.headless.output import HeadlessPrinter, recorded_summary, summary

OUTCOME_EXIT = {"succeeded": EXIT_OK, "failed": EXIT_FAILED, "skipped": EXIT_SKIPPED, "killed": EXIT_FAILED}


@contextlib.contextmanager
def cluster_target(args: Any, record: Any = None) -> Iterator[Any]:
    """The :class:`ClusterTarget` for the arguments, starting the in-process sim for ``--sim``."""
    from kpodtui.kube.config import ClusterTarget

    sim = None
    kubeconfig = getattr(args, "kubeconfig", None) or (record.kubeconfig if record else None)
    context = getattr(args, "context", None) or (record.context if record and not getattr(args, "kubeconfig", None) else None)
    if getattr(args, "sim", False):
        from kpodtui.sim.cluster import SimCluster

        sim = SimCluster.start(workdir=Path(tempfile.mkdtemp(prefix="kpodtui-sim-")))
        kubeconfig, context = str(sim.kubeconfig_path), None
        print(f"kpodtui: started a simulated cluster at {sim.url}", file=sys.stderr)
    try:
        yield ClusterTarget(kubeconfig=kubeconfig, context=context, namespace=getattr(args, "namespace", None))
    finally:
        if sim is not None:
            sim.stop()


def _follow(run: Any, printer: HeadlessPrinter, as_json: bool) -> int:
    """Run in a thread, wait for the verdict; Ctrl-C kills the pod (on_kill) and says so."""
    run.subscribe(printer)
    run.start()
    interrupted = False
    # SIGTERM (a cancelled CI job, `timeout`, a closed terminal's hangup) ends the run as
    # Ctrl-C does: the pod is killed per on_kill_action and the run recorded, not orphaned.
    restore = _terminate_as_interrupt()
    try:
        while not run.done.wait(0.2):
            pass
    except KeyboardInterrupt:
        interrupted = True
        print(f"\nkpodtui: interrupted: killing pod {run.pod_name or '(not created yet)'} "
              f"(on_kill_action: {run.spec.on_kill_action})", file=sys.stderr)
        try:
            run.kill()
        except Exception as exc:  # noqa: BLE001 - say it, keep waiting for the record
            from kpodtui.kube.api import refusal_text

            print(f"kpodtui: error: could not delete the pod: {refusal_text(exc)}", file=sys.stderr)
        _wait_after_kill(run)
    finally:
        restore()
    result = run.result
    if as_json:
        sys.stdout.write(json.dumps(summary(result, run, printer.lines), default=str) + "\n")
        sys.stdout.flush()
    if run.failed_with is not None:
        raise run.failed_with  # cluster errors and bad input: cli.main says them in one line
    if interrupted:
        return EXIT_INTERRUPTED
    if result is None:
        return EXIT_OK
    return OUTCOME_EXIT.get(result.outcome, EXIT_FAILED)


def _terminate_as_interrupt() -> Any:
    """Turn SIGTERM and SIGHUP into KeyboardInterrupt while a run is followed; returns the undo."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def _wait_after_kill(run: Any) -> None:
    """Wait for the killed run's verdict; say why it takes a while; a second Ctrl-C stops waiting.

    The pod is deleted with its grace period and the run reads its containers' last
    lines meanwhile: with a container that ignores SIGTERM that is the whole period
    (30 s by default), which must not look like a hang.
    """
    try:
        if run.done.wait(1.0):
            return
        if run.pod_name and run.spec.on_kill_action != "keep_pod":
            grace = run.spec.termination_grace_period
            if grace is None:  # the pod's own (a template may set it), else Kubernetes' default
                grace = (run.manifest.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
            print(f"kpodtui: waiting up to {grace}s (the pod's grace period) for pod {run.pod_name} to stop "
                  "and for its last log lines; Ctrl-C again to stop waiting", file=sys.stderr)  # fmt: skip
        run.done.wait(90)
    except KeyboardInterrupt:
        print(f"\nkpodtui: not waiting any longer: pod {run.pod_name} is being deleted; run {run.run_id} ends as killed",
              file=sys.stderr)  # fmt: skip
        run.hurry()
        run.done.wait(15)


def run_command(args: Any) -> int:
    """``kpodtui run SPEC``."""
    from kpodtui.engine.run import Run
    from kpodtui.engine.session import ClusterSession
    from kpodtui.history import History
    from kpodtui.tasks import load_specs, pick_task

    specs = load_specs(args.spec, args.overrides)
    spec = pick_task(specs, args.task, args.spec)
    for w in getattr(spec, "warnings", []) or []:
        print(f"kpodtui: warning: {w}", file=sys.stderr)
    spec_text = Path(args.spec).read_text(encoding="utf-8")
    detach = True if args.detach else None
    if getattr(args, "sim", False) and spec.deferrable:
        print("kpodtui: warning: deferrable is not honoured with --sim (the simulated cluster stops with this "
              "command): following the run to its end", file=sys.stderr)
        detach = False
    history = History.open()
    with cluster_target(args) as target:
        session = ClusterSession.open(target.merged_with_spec(spec))
        try:
            run = Run(
                spec, session, history, namespace=args.namespace, spec_path=str(Path(args.spec).resolve()),
                spec_text=spec_text, detach=detach,
            )  # fmt: skip
            print(f"kpodtui: run {run.run_id} of task {spec.task_id}", file=sys.stderr)
            return _follow(run, HeadlessPrinter(timestamps=args.timestamps), args.json)
        finally:
            session.close()


def attach_command(args: Any) -> int:
    """``kpodtui attach RUN``: catch up on the logs from where the history ends, then follow."""
    from kpodtui.engine.run import Run
    from kpodtui.engine.session import ClusterSession
    from kpodtui.history import History

    history = History.open()
    record = history.get_run(args.run)
    if not record.live:
        print(f"kpodtui: run {record.id} already finished: {record.outcome}", file=sys.stderr)
        if record.failure_report:
            print(record.failure_report, file=sys.stderr)
        if getattr(args, "json", False):  # the same summary a script gets from following it
            print(json.dumps(recorded_summary(record, history), default=str))
        return OUTCOME_EXIT.get(record.outcome or "failed", EXIT_FAILED)
    from kpodtui.engine.recorded import recorded_spec

    spec = recorded_spec(record)
    with cluster_target(args, record) as target:
        session = ClusterSession.open(target.merged_with_spec(spec))
        try:
            run = Run(spec, session, history, record=record, spec_path=record.spec_path, detach=False)
            print(f"kpodtui: attaching to run {record.id} (pod {record.namespace}/{record.pod_name})", file=sys.stderr)
            return _follow(run, HeadlessPrinter(), getattr(args, "json", False))
        finally:
            session.close()


def _live_pod(args: Any) -> tuple[Any, Any, Any]:
    from kpodtui.engine.session import ClusterSession
    from kpodtui.history import History

    history = History.open()
    record = history.get_run(args.run)
    if not record.live:
        raise BadInputError(f"run {record.id} already finished ({record.outcome}); nothing to do")
    if not record.pod_name:
        raise BadInputError(f"run {record.id} has no pod yet")
    return history, record, ClusterSession


def kill_command(args: Any) -> int:
    """``kpodtui kill RUN``: delete the pod as the run's ``on_kill_action`` says; the run ends as killed."""
    from kpodtui.engine.recorded import kill_recorded_run
    from kpodtui.kube.api import explain

    history, record, session_cls = _live_pod(args)
    with cluster_target(args, record) as target:
        session = session_cls.open(target)
        try:
            report, _deleted = kill_recorded_run(history, record, session.api)
        except Exception as exc:
            raise explain(exc, session.client, record.namespace) from exc
        finally:
            session.close()
    print(f"kpodtui: run {record.id} {report}", file=sys.stderr)
    return EXIT_OK


def keep_command(args: Any) -> int:
    """``kpodtui keep RUN``: switch a live run to keep_pod."""
    history, record, _ = _live_pod(args)
    history.update_run(record.id, on_finish_action="keep_pod")
    print(f"kpodtui: run {record.id}: pod {record.namespace}/{record.pod_name} will be kept", file=sys.stderr)
    return EXIT_OK
