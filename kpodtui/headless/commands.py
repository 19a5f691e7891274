"""``run``, ``attach``, ``kill``, ``keep``: the commands that talk to a cluster.

They go through the engine's :class:`~kpodtui.engine.run.RunService`, as the
app does; what is left here is what a terminal needs: the ``--sim`` cluster,
printing, Ctrl-C and the exit code.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kpodtui.engine.events import LogBatch, LogChunk
from kpodtui.engine.run import Run, RunService
from kpodtui.errors import (
    EXIT_CLUSTER,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SKIPPED,
    BadInputError,
)
from kpodtui.headless.output import HeadlessPrinter, recorded_summary, summary
from kpodtui.history import History
from kpodtui.kube.api import refusal_text
from kpodtui.kube.config import ClusterTarget
from kpodtui.spec.files import STDIN
from kpodtui.tasks import load_task
from kpodtui.termsafe import escape

OUTCOME_EXIT = {"succeeded": EXIT_OK, "failed": EXIT_FAILED, "skipped": EXIT_SKIPPED, "killed": EXIT_FAILED,
                "error": EXIT_CLUSTER, "never_started": EXIT_FAILED}


@contextlib.contextmanager
def run_service(args: Any, history: History) -> Iterator[RunService]:
    """The :class:`RunService` for the arguments' cluster (``--kubeconfig``, ``--context``, ``-n``),
    starting the in-process sim for ``--sim``; its sessions (and the sim) close at the end."""
    sim = None
    kubeconfig, context = getattr(args, "kubeconfig", None), getattr(args, "context", None)
    if getattr(args, "sim", False):
        from kpodtui.sim.cluster import SimCluster  # only with --sim

        sim = SimCluster.start(workdir=Path(tempfile.mkdtemp(prefix="kpodtui-sim-")))
        kubeconfig, context = str(sim.kubeconfig_path), None
        print(f"kpodtui: started a simulated cluster at {sim.url}", file=sys.stderr)
    service = RunService(ClusterTarget(kubeconfig=kubeconfig, context=context,
                                       namespace=getattr(args, "namespace", None)), history)
    try:
        yield service
    finally:
        service.close()
        if sim is not None:
            sim.stop()


def _follow(run: Run, printer: HeadlessPrinter, as_json: bool) -> int:
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
        owner = run.observing
        if owner is not None:
            # only observing: the run belongs to the process that follows it; Ctrl-C here stops
            # showing it, it never kills another process's pod (`kpodtui kill` does)
            run.detach_now()
            run.done.wait(15)
            where = f"pid {owner}" if owner else "another kpodtui process"
            print(f"\nkpodtui: stopped showing run {run.run_id}; it goes on in {where} "
                  f"(`kpodtui kill {run.run_id}` stops it)", file=sys.stderr)
            return EXIT_INTERRUPTED
        print(f"\nkpodtui: interrupted: killing pod {run.pod_name or '(not created yet)'} "
              f"(on_kill_action: {run.spec.on_kill_action})", file=sys.stderr)
        try:
            run.kill()
        except Exception as exc:  # noqa: BLE001 - say it, keep waiting for the record
            print(f"kpodtui: error: could not delete the pod: {escape(refusal_text(exc))}", file=sys.stderr)
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
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def _wait_after_kill(run: Run) -> None:
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

    spec, spec_text = load_task(args.spec, None, args.task, args.overrides)
    for w in spec.warnings:
        print(f"kpodtui: warning: {w}", file=sys.stderr)
    detach = True if args.detach else None
    if getattr(args, "sim", False) and spec.deferrable:
        print("kpodtui: warning: deferrable is not honoured with --sim (the simulated cluster stops with this "
              "command): following the run to its end", file=sys.stderr)
        detach = False
    history = History.open()
    with run_service(args, history) as service:
        spec_path = None if args.spec == STDIN else str(Path(args.spec).resolve())
        run = service.launch(spec, spec_path=spec_path, spec_text=spec_text, detach=detach, start=False,
                             overrides=args.overrides)
        print(f"kpodtui: run {run.run_id} of task {spec.task_id}", file=sys.stderr)
        return _follow(run, HeadlessPrinter(timestamps=args.timestamps, raw=args.raw), args.json)


def attach_command(args: Any) -> int:
    """``kpodtui attach RUN``: catch up on the logs from where the history ends, then follow."""
    history = History.open()
    record = history.get_run(args.run)
    if not record.live:
        print(f"kpodtui: run {record.id} already finished: {record.outcome}", file=sys.stderr)
        if record.failure_report:
            print(escape(record.failure_report), file=sys.stderr)  # it quotes the container
        if getattr(args, "json", False):  # the same summary a script gets from following it
            print(json.dumps(recorded_summary(record, history), default=str))
        return OUTCOME_EXIT.get(record.outcome or "failed", EXIT_FAILED)
    with run_service(args, history) as service:
        print(f"kpodtui: attaching to run {record.id} (pod {record.namespace}/{record.pod_name})", file=sys.stderr)
        # catch up: every line on disk first, then on from where that read ended (whoever writes)
        printer = HeadlessPrinter(raw=getattr(args, "raw", False))
        tail = history.tail(record.id, from_end=False)
        backlog = sorted(tail.read(), key=lambda line: line.timestamp)
        if backlog:
            printer(LogBatch(record.id, LogChunk.group(backlog)))
        run = service.reattach(record, caught_up=tail, start=False)
        return _follow(run, printer, getattr(args, "json", False))


def _live_pod(args: Any) -> tuple[Any, Any]:
    history = History.open()
    record = history.get_run(args.run)
    if not record.live:
        raise BadInputError(f"run {record.id} already finished ({record.outcome}); nothing to do")
    if not record.pod_name:
        raise BadInputError(f"run {record.id} has no pod yet")
    return history, record


def kill_command(args: Any) -> int:
    """``kpodtui kill RUN``: delete the pod as the run's ``on_kill_action`` says; the run ends as killed."""
    history, record = _live_pod(args)
    with run_service(args, history) as service:
        report = service.kill_recorded(record)
    print(f"kpodtui: run {record.id} {report}", file=sys.stderr)
    return EXIT_OK


def keep_command(args: Any) -> int:
    """``kpodtui keep RUN``: switch a live run to keep_pod."""
    history, record = _live_pod(args)
    history.update_run(record.id, on_finish_action="keep_pod")
    print(f"kpodtui: run {record.id}: pod {record.namespace}/{record.pod_name} will be kept", file=sys.stderr)
    return EXIT_OK


def delete_command(args: Any) -> int:
    """``kpodtui delete RUN``: delete the pod a finished run kept (``keep_pod``, or a keep)."""
    history = History.open()
    record = history.get_run(args.run)
    with run_service(args, history) as service:
        said = service.delete_pod(record)
    print(f"kpodtui: run {record.id}: {said}", file=sys.stderr)
    return EXIT_OK
