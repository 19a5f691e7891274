"""Following a run that another kpodtui process owns (see :mod:`kpodtui.history.runlock`).

While the owner lives, this process only reads: new lines of the run's log
files become ``LogBatch`` events, the pod watch still feeds status events, and
the owner's verdict, once it is in the history, becomes ``RunFinished``. Every
tick it tries to take the run's lock; when it gets it (the owner ended or
died), it reads the files to their end and hands back so the run goes on here
with this process as the owner: its log followers resume exactly where the
files end, so no line is lost or written twice.
"""

from __future__ import annotations

import time

from kpodtui.engine.context import RunContext
from kpodtui.engine.events import LogBatch, PodAssigned, RunFinished
from kpodtui.engine.outcome import spec_containers
from kpodtui.history import RunRecord
from kpodtui.history.tail import LogTail

TICK_SECONDS = 0.1


def finished_from_record(rec: RunRecord) -> RunFinished:
    """The verdict another process recorded, as the event this process publishes."""
    return RunFinished(
        rec.id, (rec.outcome or "failed"), rec.exit_code, rec.failure_report, rec.xcom,  # type: ignore[arg-type]
        rec.pod_deleted,
        {"pod": rec.pod_name, "namespace": rec.namespace, "recorded_by_other": True, "reason": rec.reason,
         "finished_at": rec.finished_at},
    )  # fmt: skip


def become_owner(ctx: RunContext) -> bool:
    """Take the run's lock, observing the current owner until it is free.

    True: this process now owns the run (go on with the lifecycle). False: the
    owner recorded the verdict (``ctx.result`` holds it, already published).
    """
    lock = ctx.lock
    # A caller that already showed the files (the app's catch-up) hands over where it stopped
    # reading: what the owner writes meanwhile is published, not skipped.
    caught_up = ctx.caught_up
    if lock.try_acquire():
        if caught_up is not None:
            _publish(ctx, caught_up)  # written by an owner that stopped since the catch-up
        if ctx.record is not None:
            # A recorded run (attach, reattach) may have ended since the caller read it as
            # live: its owner released the lock after recording the verdict. Show that verdict.
            rec = ctx.history.get_run(ctx.run_id)
            if not rec.live:
                lock.release()
                return _ended(ctx, rec)
        return True
    rec = ctx.history.get_run(ctx.run_id)
    ctx.observing_pid = rec.owner_pid or 0  # observing (0: the owner's pid is not known)
    ctx.say(
        f"run {ctx.run_id} is followed by another kpodtui process"
        + (f" (pid {rec.owner_pid})" if rec.owner_pid else "")
        + ": showing its logs; taking over if it stops"
    )
    # catch up from the first line (or where the caller's own read stopped), then follow
    tail = caught_up if caught_up is not None else ctx.history.tail(ctx.run_id, from_end=False)
    tracking = False
    try:
        while True:
            if not tracking and rec.pod_name:
                ctx.namespace = rec.namespace or ctx.namespace
                ctx.pod_name = rec.pod_name
                # the pod and its containers in the spec's order, as the owner announced them
                ctx.publish(PodAssigned(
                    ctx.run_id, ctx.pod_name, ctx.namespace, ctx.session.context, True,
                    tuple(spec_containers(ctx.manifest)), tuple(spec_containers(ctx.manifest, init=True)),
                ))  # fmt: skip
                ctx.track(wait=False)
                tracking = True
            _publish(ctx, tail)
            if not rec.live:
                _publish(ctx, tail)
                return _ended(ctx, rec)
            if lock.try_acquire():
                rec = ctx.history.get_run(ctx.run_id)
                _publish(ctx, tail)  # the files are final now: read them to their end
                if not rec.live:
                    lock.release()
                    return _ended(ctx, rec)
                ctx.record = rec
                if rec.pod_name:
                    ctx.pod_name, ctx.namespace = rec.pod_name, rec.namespace or ctx.namespace
                ctx.say(f"the process following run {ctx.run_id} stopped: this one carries on")
                return True
            ctx.check_detach()
            time.sleep(TICK_SECONDS)
            rec = ctx.history.get_run(ctx.run_id)
    finally:
        ctx.observing_pid = None
        if tracking:
            ctx.untrack()


def _ended(ctx: RunContext, rec: RunRecord) -> bool:
    """The run ended elsewhere: publish the verdict it recorded (False: nothing left to do)."""
    ctx.result = finished_from_record(rec)
    ctx.publish(ctx.result)
    return False


def _publish(ctx: RunContext, tail: LogTail) -> None:
    for chunk in tail.read_chunks():
        ctx.publish(LogBatch(ctx.run_id, (chunk,)))
