"""What the app knows about one run, built only from the engine's events.

The engine calls subscribers from its own threads; :class:`RunFeed` is the
thread-safe inbox they write to, and the app drains every feed on a timer
(~15 Hz) into the :class:`RunModel`, so a burst of log batches becomes one
update per frame instead of one message per batch or line.
"""

from __future__ import annotations

import bisect
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kpodtui.engine.events import (
    ClusterEvent,
    ContainerState,
    LogBatch,
    LogStreamState,
    PodAssigned,
    PodStatusChanged,
    RunEvent,
    RunFinished,
    StatusMessage,
    XComResult,
)
from kpodtui.loglines import LogLine
from kpodtui.runstate import run_duration, run_status
from kpodtui.tui.data import clock
from kpodtui.tui.data.backend import RunDetails
from kpodtui.tui.data.log_ring import DEFAULT_CAPACITY, LogRing

# What changed in one drain, so views repaint only what they must.
HEADER, LOGS, EVENTS, XCOM, OUTCOME, STATUS, STREAMS = (
    "header",
    "logs",
    "events",
    "xcom",
    "outcome",
    "status",
    "streams",
)


class RunFeed:
    """Thread-safe inbox of engine events for one run (``deque`` append/popleft are atomic).

    Called in the engine's threads (a follower's, for log batches), it does the
    per-line work there: each chunk is split into its lines' strings and measured
    (:meth:`LogChunk.raws`, :meth:`LogChunk.width`) before it is queued, so the app's
    thread only appends prepared lists. It counts the lines waiting: the app drains
    a bounded number per frame and says how far behind it is (:attr:`pending_lines`).
    """

    def __init__(self) -> None:
        self._queue: deque[RunEvent] = deque()
        self._lock = threading.Lock()  # several followers (one per container) count into it
        self._queued = 0  # lines ever queued (written under the lock)
        self._taken = 0  # lines ever drained (written by the app's thread only)

    def __call__(self, event: RunEvent) -> None:
        """The engine subscriber: never blocks."""
        if isinstance(event, LogBatch):
            for chunk in event.chunks:
                chunk.width()  # splits and measures, here, off the app's thread
            with self._lock:
                self._queued += event.count
        self._queue.append(event)

    @property
    def pending_lines(self) -> int:
        """Lines delivered by the engine and not drained yet."""
        return self._queued - self._taken

    def drain(self, limit: int = 100_000, max_lines: int | None = None) -> list[RunEvent]:
        """Everything delivered so far (at most ``limit`` events, and no batch started past
        ``max_lines`` lines, to keep a frame short; the rest waits for the next drain)."""
        out: list[RunEvent] = []
        pop = self._queue.popleft
        lines = 0
        try:
            for _ in range(limit):
                event = pop()
                out.append(event)
                if isinstance(event, LogBatch):
                    lines += event.count
                    if max_lines is not None and lines >= max_lines:
                        break
        except IndexError:
            pass
        self._taken += lines
        return out

    def __len__(self) -> int:
        return len(self._queue)


@dataclass
class StreamNote:
    container: str
    state: str
    detail: str = ""


@dataclass
class RunModel:
    """One run as the app shows it; mutated only on the app thread."""

    run_id: str
    task_id: str = ""
    spec_path: str | None = None
    pod_name: str | None = None
    namespace: str | None = None
    context: str | None = None
    reattached: bool = False
    containers: list[str] = field(default_factory=list)
    phase: str = "Pending"
    reason: str | None = None
    message: str | None = None
    states: dict[str, ContainerState] = field(default_factory=dict)
    events: list[ClusterEvent] = field(default_factory=list)
    status: list[StatusMessage] = field(default_factory=list)
    current_status: StatusMessage | None = None  # the header's "now" line (None once outdated)
    streams: dict[str, StreamNote] = field(default_factory=dict)
    has_xcom: bool = False
    xcom: Any = None
    xcom_error: str | None = None
    finished: RunFinished | None = None
    started_at: float | None = None
    finished_at: float | None = None
    live: bool = True
    from_history: bool = False
    detached: bool = False  # live, but this app stopped following it
    behind: int = 0  # lines the engine delivered that the view has not taken in yet
    overrides: tuple[str, ...] = ()  # the --set items it was launched with (a rerun keeps them)
    keep: bool = False  # its pod is kept when it ends (keep_pod, or a keep here or elsewhere)
    capacity: int = DEFAULT_CAPACITY
    logs: LogRing = field(init=False)

    def __post_init__(self) -> None:
        self.logs = LogRing(self.capacity)
        if self.started_at is None:
            self.started_at = clock.now()

    # -- reading -------------------------------------------------------------

    @property
    def elapsed(self) -> float | None:
        """From the run's own start to its own end (to now while it lives), as ``kpodtui runs``."""
        return run_duration(self.started_at, self.finished_at, self.finished is None and self.live, clock.now())

    @property
    def display_phase(self) -> str:
        """The status word, as the runs list and ``kpodtui runs`` say it."""
        if self.finished is not None:
            return run_status(False, None, self.finished.outcome)
        return run_status(True, self.phase, None)

    @property
    def pod_left(self) -> bool:
        """The run ended and its pod is still there (kept): ``x`` deletes it."""
        return self.finished is not None and not self.finished.pod_deleted and bool(self.pod_name)

    @property
    def broken_streams(self) -> list[StreamNote]:
        return [n for n in self.streams.values() if n.state == "broken"]

    def add_container(self, name: str) -> None:
        if name not in self.containers:
            self.containers.append(name)

    @classmethod
    def of_history(cls, details: RunDetails, lines: Sequence[LogLine]) -> RunModel:
        """A run as the history knows it (opened from the runs list): its verdict, its log lines."""
        row = details.row
        model = cls(row.run_id, task_id=row.task_id, spec_path=row.spec_path, started_at=row.started_at,
                    overrides=tuple(row.overrides), keep=row.keep)
        model.pod_name, model.namespace, model.context = row.pod_name, row.namespace, row.context
        model.finished_at = row.finished_at
        model.live = row.live
        model.from_history = True
        model.phase = row.state
        for name in details.containers:
            model.add_container(name)
        if details.outcome in ("succeeded", "failed", "skipped", "killed"):
            model.finished = RunFinished(
                row.run_id, details.outcome, row.exit_code, details.report, details.xcom,  # type: ignore[arg-type]
                details.pod_deleted, {"reason": details.reason},
            )  # fmt: skip
            model.has_xcom = details.xcom is not None
            model.xcom = details.xcom
        model.logs.extend(lines)
        for line in lines[:1000]:
            model.add_container(line.container)
        return model

    # -- writing -------------------------------------------------------------

    def apply(self, events: list[RunEvent]) -> set[str]:
        """Fold events into the model; returns what changed."""
        changed: set[str] = set()
        add, containers = self.logs.add, self.containers
        for ev in events:
            if isinstance(ev, LogBatch):
                for chunk in ev.chunks:  # prepared in the engine's thread: appends only
                    add(chunk)
                    if chunk.container not in containers:
                        self.add_container(chunk.container)
                changed.add(LOGS)
                continue
            changed |= self._apply_one(ev)
        return changed

    def _apply_one(self, ev: RunEvent) -> set[str]:
        if isinstance(ev, PodAssigned):
            self.pod_name, self.namespace, self.context = ev.pod_name, ev.namespace, ev.context
            self.reattached = ev.reattached
            # the pod's order, whatever order the log lines on disk brought them in (a reattach)
            in_pod = [*ev.init_containers, *ev.containers]
            self.containers = in_pod + [c for c in self.containers if c not in in_pod]
            return {HEADER, STREAMS}
        if isinstance(ev, PodStatusChanged):
            if ev.phase != self.phase and self.current_status is not None and self.current_status.level == "info":
                self.current_status = None  # "Pending: base: ContainerCreating" is over once Running
            self.phase, self.reason, self.message = ev.phase, ev.reason, ev.message
            for st in ev.containers:
                self.states[st.name] = st
                self.add_container(st.name)
            return {HEADER}
        if isinstance(ev, ClusterEvent):
            if ev.uid:
                self.events = [old for old in self.events if old.uid != ev.uid]
            # in the order they happened (a list arrives in name order; a repeat moves to its new time)
            bisect.insort(self.events, ev, key=lambda e: e.order)
            return {EVENTS}
        if isinstance(ev, LogStreamState):
            self.streams[ev.container] = StreamNote(ev.container, ev.state, ev.detail)
            return {STREAMS}
        if isinstance(ev, StatusMessage):
            self.status.append(ev)
            del self.status[:-20]
            self.current_status = ev
            return {STATUS}
        if isinstance(ev, XComResult):
            self.has_xcom, self.xcom, self.xcom_error = True, ev.value, ev.error
            return {XCOM}
        if isinstance(ev, RunFinished):
            self.finished = ev
            self.live = False
            self.finished_at = ev.detail.get("finished_at") or clock.now()  # the recorded end
            if ev.xcom is not None and not self.has_xcom:
                self.has_xcom, self.xcom = True, ev.xcom
            return {OUTCOME, HEADER, XCOM}
        return set()
