"""What headless mode prints: logs on stdout (fast), status on stderr, a JSON summary.

Log batches (chunks of bytes) are laid out in bulk into one ``bytes`` and
written with one call per batch, under a lock shared by every container's
follower thread, so output is never interleaved mid-line and costs a few byte
operations per chunk, not per line.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import IO, Any

from kpodtui.engine.events import (
    ClusterEvent,
    LogBatch,
    LogGap,
    LogStreamState,
    PodAssigned,
    PodStatusChanged,
    RunEvent,
    RunFinished,
    StatusMessage,
    XComResult,
)
from kpodtui.engine.outcome import AUTOSCALER_REASONS
from kpodtui.headless.logwriter import LogWriter, wants_escapes
from kpodtui.loglines import LineLayout
from kpodtui.termsafe import escape


class HeadlessPrinter:
    """A run subscriber that prints (see module docstring)."""

    def __init__(self, out: IO[bytes] | None = None, err: IO[str] | None = None, timestamps: bool = False,
                 quiet_status: bool = False, raw: bool = False) -> None:
        self.out = out if out is not None else sys.stdout.buffer
        self.err = err if err is not None else sys.stderr
        self.layout = LineLayout(timestamps=timestamps)
        self.writer = LogWriter(self.out, self.layout, escapes=wants_escapes(self.out, raw))
        self.quiet_status = quiet_status
        self.lock = threading.Lock()
        self.lines = 0
        self._last_phase: str | None = None

    def __call__(self, event: RunEvent) -> None:
        if isinstance(event, LogBatch):
            self.logs(event)
        elif not self.quiet_status:
            text = self.describe(event)
            if text:
                with self.lock:
                    # status lines quote servers and containers (events, termination messages)
                    self.err.write(f"kpodtui: {escape(text)}\n")
                    self.err.flush()

    def logs(self, batch: LogBatch) -> None:
        with self.lock:
            self.lines += self.writer.write(batch.chunks)

    def describe(self, event: RunEvent) -> str | None:
        """The one status line for ``event`` (None: nothing worth saying)."""
        if isinstance(event, StatusMessage):
            return event.text if event.level == "info" else f"{event.level}: {event.text}"
        if isinstance(event, PodAssigned):
            return None  # the engine says created/reattached itself
        if isinstance(event, PodStatusChanged):
            if event.phase != self._last_phase:
                self._last_phase = event.phase
                return f"pod phase: {event.phase}" + (f" ({event.reason})" if event.reason else "")
            return None
        if isinstance(event, ClusterEvent):
            # warnings, and what a cluster autoscaler says of a pending pod (Normal events)
            if event.type == "Warning" or event.reason in AUTOSCALER_REASONS:
                return f"event: {event.reason}: {event.message}"
            return None
        if isinstance(event, LogStreamState):
            if event.state == "broken":
                return f"log stream of {event.container} broke; resuming from the last line"
            return None
        if isinstance(event, XComResult):
            return f"xcom error: {event.error}" if event.error else f"xcom: {json.dumps(event.value)}"
        if isinstance(event, RunFinished):
            if event.detail.get("error"):
                # The run ended on an error the command prints as its one error line
                # (`kpodtui: error: ...`); the report (in the history) would repeat it.
                return None
            if event.outcome == "never_started":
                return f"run {event.run_id} never started: {event.report}"
            why = [f"exit code {event.exit_code}"] if event.exit_code is not None else []
            if event.detail.get("reason"):
                why.append(str(event.detail["reason"]))  # OOMKilled, ErrImagePull, DeadlineExceeded...
            verdict = f"run {event.run_id} {event.outcome}" + (f" ({', '.join(why)})" if why else "")
            missing = missing_lines(event.detail)
            if missing:
                # what the log is missing, said before the verdict (which stays the last line)
                verdict = "\n".join(f"kpodtui: warning: {m}" for m in missing) + f"\nkpodtui: {verdict}"
                verdict = verdict.removeprefix("kpodtui: ")
            if event.report:
                # The report (possibly a long pod dump) first, the verdict last: the
                # line a person (or `tail -1`) looks for is at the bottom.
                return f"{event.run_id} failure report:\n{event.report}\nkpodtui: {verdict}"
            return verdict
        return None


def missing_lines(detail: dict[str, Any]) -> list[str]:
    """What a verdict's ``detail`` says is missing: lines the cluster no longer had, log files
    that could not be written, a pod still terminating."""
    out = [f"lines lost: {LogGap.from_dict(gap).describe()}" for gap in detail.get("lost") or []]
    for container, what in (detail.get("log_incomplete") or {}).items():
        out.append(f"the log file of {container} is incomplete: it stops at line {what['lines']:,} ({what['error']})")
    if detail.get("pod_terminating"):
        out.append(f"pod {detail.get('pod')}: deletion requested, terminating (grace {detail['pod_terminating']} s)")
    return out


def summary(result: RunFinished | None, run: Any, lines: int) -> dict[str, Any]:
    """The ``--json`` summary of a run."""
    data: dict[str, Any] = {
        "run_id": run.run_id,
        "task_id": run.spec.task_id,
        "pod": run.pod_name or None,
        "namespace": run.namespace or None,
        "context": run.session.context,
        "log_lines": lines,
    }
    if result is None:
        data.update(outcome=None, state="live", detached=True)
        return data
    data.update(
        outcome=result.outcome,
        exit_code=result.exit_code,
        xcom=result.xcom,
        reason=result.detail.get("reason"),
        report=result.report,
        pod_deleted=result.pod_deleted,
        pod_terminating=result.detail.get("pod_terminating"),
        lost=result.detail.get("lost") or [],
        log_incomplete=result.detail.get("log_incomplete") or {},
        state="finished",
    )
    return data


def recorded_summary(record: Any, history: Any) -> dict[str, Any]:
    """The ``--json`` summary of a finished run, from the history alone."""
    return {
        "run_id": record.id,
        "task_id": record.task_id,
        "pod": record.pod_name,
        "namespace": record.namespace,
        "context": record.context,
        "log_lines": sum(c.lines for c in history.cursors(record.id).values()),
        "outcome": record.outcome,
        "exit_code": record.exit_code,
        "xcom": record.xcom,
        "reason": record.reason,
        "report": record.failure_report,
        "pod_deleted": record.pod_deleted,
        "pod_terminating": record.detail.get("pod_terminating"),
        "lost": record.detail.get("lost") or [],
        "log_incomplete": record.detail.get("log_incomplete") or {},
        "state": "finished",
    }
