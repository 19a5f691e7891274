"""Log lines: the value types every layer shares, and the one way a line is laid out as text.

:class:`LogLine` is what a log follower reads (:mod:`kpodtui.kube.logs`), the
history writes and reads back (:mod:`kpodtui.history`), the engine publishes
(``LogBatch``) and the front ends show. :class:`LogCursor` says how far a
container's log has been delivered (a follower resumes from it, the history
keeps it). Both live here, below the layers that share them, so that none of
those layers imports another for them.

:class:`LineLayout` is the single formatter of a line: headless output and
``kpodtui logs`` (``[container] timestamp text``), the app's saved logs
(``timestamp [container] text``) and the run view (the same order, short
timestamps, container names padded to one width, each part styled).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class LogLine:
    container: str
    timestamp: str  # RFC3339 with nanoseconds, as the API server sent it ("" if unknown)
    text: str  # the line without its trailing newline


class Line(Protocol):
    """Anything with a line's three fields (:class:`LogLine`, the app's ring entries)."""

    @property
    def container(self) -> str: ...

    @property
    def timestamp(self) -> str: ...

    @property
    def text(self) -> str: ...


@dataclass(frozen=True, slots=True)
class LogCursor:
    """How far a container's log has been delivered.

    ``last_ts`` is the timestamp of the last line delivered and ``same_ts`` how
    many delivered lines carry exactly that timestamp (lines may share one);
    ``lines`` is the total count. A resumed stream skips every line older than
    ``last_ts`` and the first ``same_ts`` lines stamped ``last_ts``.
    """

    last_ts: str = ""
    same_ts: int = 0
    lines: int = 0

    def advance(self, batch: Iterable[Line]) -> LogCursor:
        """The cursor after ``batch`` has been delivered."""
        last, same, n = self.last_ts, self.same_ts, self.lines
        for line in batch:
            n += 1
            if line.timestamp == last:
                same += 1
            else:
                last, same = line.timestamp, 1
        return LogCursor(last, same, n)


def short_timestamp(ts: str) -> str:
    """``2024-05-01T10:00:00.123456789Z`` -> ``10:00:00.123`` (fixed width)."""
    if len(ts) >= 19 and ts[10] == "T":
        return (ts[11:23] if len(ts) >= 23 and ts[19] == "." else ts[11:19] + ".000").ljust(12)
    return (ts or "-").ljust(12)[:12]


TIMESTAMP, CONTAINER = "timestamp", "container"


@dataclass(frozen=True, slots=True)
class LineLayout:
    """How a line is written out: which parts come before its text, in which order.

    The parts are separated by one space; the text comes last, as the container
    printed it (making it safe for a terminal is the writer's business).
    """

    timestamps: bool = False  # show each line's timestamp
    prefix: bool = True  # show ``[container]``
    stamp_first: bool = False  # ``timestamp [container]`` (the app) instead of ``[container] timestamp``
    short_stamps: bool = False  # ``10:00:00.123`` instead of the full RFC3339 timestamp
    pad: int = 0  # ``[container]`` padded to this width (aligned columns)

    def parts(self, line: Line) -> list[tuple[str, str]]:
        """The parts before the text, in order: ``(TIMESTAMP | CONTAINER, text of the part)``."""
        out: list[tuple[str, str]] = []
        if self.prefix:
            out.append((CONTAINER, f"[{line.container}]".ljust(self.pad)))
        if self.timestamps:
            stamp = (TIMESTAMP, short_timestamp(line.timestamp) if self.short_stamps else line.timestamp)
            out.insert(0 if self.stamp_first else len(out), stamp)
        return out

    def format(self, line: Line) -> str:
        """One line, without a newline."""
        return " ".join([*(text for _, text in self.parts(line)), line.text])

    def join(self, lines: Iterable[Line]) -> str:
        """``lines`` laid out, each ended by a newline: one string for one write.

        The layouts of the commands' output are spelled out (headless mode writes
        millions of lines a second with them); any other goes through :meth:`format`.
        """
        if self.prefix and not self.pad and not self.short_stamps:
            if not self.timestamps:
                return "".join([f"[{ln.container}] {ln.text}\n" for ln in lines])
            if self.stamp_first:
                return "".join([f"{ln.timestamp} [{ln.container}] {ln.text}\n" for ln in lines])
            return "".join([f"[{ln.container}] {ln.timestamp} {ln.text}\n" for ln in lines])
        return "".join([self.format(ln) + "\n" for ln in lines])


#: a log saved from the app: ``timestamp [container] text``
SAVED_LAYOUT = LineLayout(timestamps=True, stamp_first=True)
