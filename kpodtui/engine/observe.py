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
from typing import TYPE_CHECKING

from kpodtui.engine.events import LogBatch, RunFinished

if TYPE_CHECKING:
    from kpodtui.engine.run import Run
    from kpodtui.history import RunRecord
    from kpodtui.history.tail import LogTail

TICK_SECONDS = 0.1


def finished_from_record(rec: RunRecord) -> RunFinished:
    """The verdict another process recorded, as the event this process publishes."""
    return RunFinished(
        rec.id, (rec.outcome or "failed"), rec.exit_code, rec.failure_report, rec.xcom,  # type: ignore[arg-type]
        rec.pod_deleted,
        {"pod": rec.pod_name, "namespace": rec.namespace, "recorded_by_other": True, "reason": rec.reason},
    )  # fmt: skip


def become_owner(run: Run) -> bool:
    """Take the run's lock, observing the current owner until it is free.

    True: this process now owns the run (go on with the lifecycle). False: the
    owner recorded the verdict (``run.result`` holds it, already published).
    """
    lock = run.lock
    # A caller that already showed the files (the app's catch-up) hands over where it stopped
    # reading: what the owner writes meanwhile is published, not skipped.
    caught_up = run.caught_up
    if lock.try_acquire():
        if caught_up is not None:
            _publish(run, caught_up)  # written by an owner that stopped since the catch-up
        return True
    rec = run.history.get_run(run.run_id)
    run.say(
        f"run {run.run_id} is followed by another kpodtui process"
        + (f" (pid {rec.owner_pid})" if rec.owner_pid else "")
        + ": showing its logs; taking over if it stops"
    )
    tail = caught_up if caught_up is not None else run.history.tail(run.run_id, from_end=True)
    tracking = False
    try:
        while True:
            if not tracking and rec.pod_name:
                run.namespace = rec.namespace or run.namespace
                run.pod_name = rec.pod_name
                run._track(wait=False)
                tracking = True
            _publish(run, tail)
            if not rec.live:
                _publish(run, tail)
                run.result = finished_from_record(rec)
                run.publish(run.result)
                return False
            if lock.try_acquire():
                rec = run.history.get_run(run.run_id)
                _publish(run, tail)  # the files are final now: read them to their end
                if not rec.live:
                    lock.release()
                    run.result = finished_from_record(rec)
                    run.publish(run.result)
                    return False
                run.record = rec
                if rec.pod_name:
                    run.pod_name, run.namespace = rec.pod_name, rec.namespace or run.namespace
                run.say(f"the process following run {run.run_id} stopped: this one carries on")
                return True
            run.check_detach()
            time.sleep(TICK_SECONDS)
            rec = run.history.get_run(run.run_id)
    finally:
        if tracking:
            run._untrack()


def _publish(run: Run, tail: LogTail) -> None:
    lines = tail.read()
    if lines:
        run.publish(LogBatch(run.run_id, tuple(lines)))
