"""Typed events a ``Run`` publishes to its subscribers.

This module is the contract between the engine and its front ends (headless
mode, the Textual app). Events are small frozen dataclasses; subscribers are
called from engine threads and must not block (the app forwards them to its
own thread, headless writes them to stdout/stderr).

Log lines are always delivered in batches (one ``LogBatch`` per chunk read from
a stream, never one event per line, the lines kept as bytes in bulk), so a front
end can write or render per chunk and per frame. ``LogLine``
itself is defined below the engine (:mod:`kpodtui.loglines`) and re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from kpodtui.loglines import LogChunk, LogLine, chunks_of

__all__ = [
    "ClusterEvent", "ContainerState", "LogBatch", "LogChunk", "LogGap", "LogLine", "LogStreamState", "Outcome",
    "PodAssigned",
    "PodStatusChanged", "RunEvent", "RunFinished", "StatusMessage", "XComResult",
]

#: "error": the run ended because the cluster refused a request or could not be reached (no verdict
#: on the pod); "never_started": its pod was never created (the process creating it stopped)
Outcome = Literal["succeeded", "failed", "skipped", "killed", "error", "never_started"]
ContainerStateName = Literal["waiting", "running", "terminated", "unknown"]


@dataclass(frozen=True, slots=True)
class ContainerState:
    """One container's state as the kubelet reports it."""

    name: str
    state: ContainerStateName
    init: bool = False
    reason: str | None = None  # waiting reason (ErrImagePull...) or terminated reason (Error, OOMKilled...)
    message: str | None = None
    exit_code: int | None = None
    restart_count: int = 0
    started_at: str | None = None
    finished_at: str | None = None

    def describe(self) -> str:
        """Short human text: ``waiting: ImagePullBackOff``, ``running``, ``exited 1 (Error)``."""
        if self.state == "terminated":
            text = f"exited {self.exit_code}"
            return f"{text} ({self.reason})" if self.reason else text
        if self.state == "waiting":
            return f"waiting: {self.reason}" if self.reason else "waiting"
        return self.state


@dataclass(frozen=True, slots=True)
class RunEvent:
    """Base class of every event; ``run_id`` names the run it belongs to."""

    run_id: str


@dataclass(frozen=True, slots=True)
class PodAssigned(RunEvent):
    """The run has a pod: newly created, or found again (reattached)."""

    pod_name: str
    namespace: str
    context: str | None
    reattached: bool = False
    containers: tuple[str, ...] = ()
    init_containers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PodStatusChanged(RunEvent):
    """Phase, Pending cause or any container state changed (fresh snapshot each time)."""

    phase: str  # Pending / Running / Succeeded / Failed / Unknown
    reason: str | None = None  # pod-level reason (DeadlineExceeded, Unschedulable...)
    message: str | None = None
    containers: tuple[ContainerState, ...] = ()


@dataclass(frozen=True, slots=True)
class ClusterEvent(RunEvent):
    """A Kubernetes Event about the pod (Scheduled, Pulling, FailedScheduling...)."""

    type: str  # Normal / Warning
    reason: str
    message: str
    field_path: str | None = None
    count: int = 1
    timestamp: str | None = None
    uid: str = ""
    #: the event's resourceVersion when numeric (0 otherwise): orders events that share
    #: a timestamp second, in the order the API server wrote them
    seq: int = 0

    @property
    def order(self) -> tuple[str, int]:
        """Sort key: when it last happened, then the order it was written in."""
        return (self.timestamp or "", self.seq)


@dataclass(frozen=True, slots=True)
class LogBatch(RunEvent):
    """Lines read from one or more containers, in order per container.

    Held as :class:`~kpodtui.loglines.LogChunk` objects (bytes in bulk, one per
    stream read: what a front end writes or splits at once); made from a sequence
    of :class:`LogLine` too (``LogBatch(run_id, lines)``: grouped into chunks).
    ``lines`` gives them as objects (made on demand: not for the hot path).
    """

    chunks: tuple[LogChunk, ...]

    def __post_init__(self) -> None:
        chunks = self.chunks
        if isinstance(chunks, LogChunk):
            chunks = (chunks,)
        elif not isinstance(chunks, tuple) or (chunks and not isinstance(chunks[0], LogChunk)):
            chunks = chunks_of(tuple(chunks))
        object.__setattr__(self, "chunks", chunks)

    @property
    def lines(self) -> tuple[LogLine, ...]:
        """Every line as a :class:`LogLine`."""
        return tuple(line for chunk in self.chunks for line in chunk.lines())

    @property
    def count(self) -> int:
        """How many lines."""
        return sum(chunk.count for chunk in self.chunks)


@dataclass(frozen=True, slots=True)
class LogStreamState(RunEvent):
    """A log stream broke and is resuming, resumed, or ended."""

    container: str
    state: Literal["broken", "resumed", "ended"]
    detail: str = ""


@dataclass(frozen=True, slots=True)
class LogGap:
    """Lines of a container's log that were never read, for a reason outside kpodtui.

    They follow line ``after_line`` (stamped ``after``; 0 and None: the log's start) and
    come before the line stamped ``until`` (None: they are the rest of the log). How
    many there were is not known: neither the API server nor the kubelet says.
    """

    container: str
    after_line: int
    after: str | None
    until: str | None
    why: str

    def describe(self) -> str:
        """``base: every line after line 1,204 (2026-05-01T10:00:01.5Z): the pod was deleted...``"""
        where = f"line {self.after_line:,} ({self.after})" if self.after_line else "the start"
        span = f"the lines between {where} and {self.until}" if self.until else f"every line after {where}"
        return f"{self.container}: {span}: {self.why}"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LogGap:
        """Back from :meth:`as_dict` (a verdict read from the history)."""
        return cls(d["container"], int(d.get("after_line") or 0), d.get("after"), d.get("until"), d.get("why", ""))

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (``--json``, the history)."""
        return {"container": self.container, "after_line": self.after_line, "after": self.after,
                "until": self.until, "lines": None, "why": self.why}


@dataclass(frozen=True, slots=True)
class StatusMessage(RunEvent):
    """Something a person watching should read (waiting up to 120 s to be scheduled, ...)."""

    text: str
    level: Literal["info", "warning", "error"] = "info"


@dataclass(frozen=True, slots=True)
class XComResult(RunEvent):
    """The XCom value read from the sidecar (``value`` None: file empty or absent)."""

    value: Any = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RunFinished(RunEvent):
    """The verdict. ``report`` is the failure report (None on success)."""

    outcome: Outcome
    exit_code: int | None = None
    report: str | None = None
    xcom: Any = None
    pod_deleted: bool = False
    detail: dict[str, Any] = field(default_factory=dict)
