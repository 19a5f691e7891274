"""Log lines: the value types every layer shares, and the one way a line is laid out as text.

:class:`LogLine` is what a log follower reads (:mod:`kpodtui.kube.logs`), the
history writes and reads back (:mod:`kpodtui.history`), the engine publishes
(``LogBatch``) and the front ends show. :class:`LogCursor` says how far a
container's log has been delivered (a follower resumes from it, the history
keeps it). :class:`LogChunk` is what moves on the hot path: one container's
complete lines as bytes, in the form the API server sends them and the log file
keeps them, so that a stream chunk reaches the file and the terminal with a few
C-level byte operations and no object per line. They live here, below the
layers that share them, so that none of those layers imports another for them.

:class:`LineLayout` is the single formatter of a line: headless output and
``kpodtui logs`` (``[container] timestamp text``), the app's saved logs
(``timestamp [container] text``) and the run view (the same order, short
timestamps, container names padded to one width, each part styled).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
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

    def after(self, chunk: LogChunk) -> LogCursor:
        """The cursor after ``chunk`` has been delivered (O(1): the chunk knows its tail)."""
        if not chunk.count:
            return self
        same = chunk.same_ts
        if same == chunk.count and chunk.last_ts == self.last_ts:
            same += self.same_ts  # the whole chunk carries the stamp the cursor ended on
        return LogCursor(chunk.last_ts, same, self.lines + chunk.count)


#: the timestamp field of a line that has none, in a :class:`LogChunk` and a log file
NO_TS = "-"


def _tail_stamp(data: bytes, count: int, ordered: bool) -> tuple[str, int]:
    """The last line's timestamp in ``data`` (complete lines) and how many lines at the end carry it.

    A stream's lines are in time order (``ordered``), so the lines sharing the last
    stamp are the last ones: the first of them is found by a binary search and the
    lines from there to the end counted with ``bytes.count`` (nothing to count when the
    first line carries it). Lines that may be out of order (made from objects) are
    counted back one by one.
    """
    if not count:
        return "", 0
    end = len(data) - 1
    start = data.rfind(b"\n", 0, end) + 1
    space = data.find(b" ", start, end)
    if space < 0:
        return "", 1  # a line without a stamp (never sent with timestamps=true)
    key = data[start : space + 1]
    ts = key[:-1].decode("ascii", "replace")
    ts = "" if ts == NO_TS else ts
    if not ordered:
        same = 0
        for raw in reversed(data[:end].split(b"\n")):
            if not raw.startswith(key):
                break
            same += 1
        return ts, same
    if data.startswith(key):
        return ts, count
    # the first line carrying the last stamp, by a binary search over byte offsets (O(log n)
    # lines looked at, not a scan: each line has its own stamp on a real cluster)
    lo, hi = 0, start
    while lo < hi:
        mid = (lo + hi) // 2
        line = data.rfind(b"\n", 0, mid) + 1
        if data.startswith(key, line):
            hi = line
        else:
            lo = data.find(b"\n", line) + 1
    return ts, data.count(b"\n", hi)


class LogChunk:
    """One container's complete lines in bulk: ``<timestamp> <text>\\n`` each, bytes.

    The form the API server sends with ``timestamps=true`` and a log file keeps
    (``-`` stands for a missing timestamp), so a follower hands what it read
    straight on: the log file appends ``data`` with one write, headless output
    lays it out with a few C-level byte operations (:meth:`LineLayout.render`),
    the app splits it into strings once, in the follower's thread (:meth:`raws`).
    ``count`` lines; the last carries ``last_ts`` and the last ``same_ts`` lines
    carry exactly that stamp (what a :class:`LogCursor` advances by, :meth:`LogCursor.after`).
    :class:`LogLine` objects are made only when asked (:meth:`lines`).
    """

    __slots__ = ("container", "data", "count", "last_ts", "same_ts", "_raws", "_lines", "_width")

    def __init__(self, container: str, data: bytes, ordered: bool = True) -> None:
        """``ordered``: the lines are in time order, as in a stream or a log file."""
        self.container = container
        self.data = data  # complete lines, each ending in a newline
        self.count = data.count(b"\n")
        self.last_ts, self.same_ts = _tail_stamp(data, self.count, ordered)
        self._raws: list[str] | None = None
        self._lines: list[LogLine] | None = None
        self._width = -1

    def __repr__(self) -> str:
        return f"LogChunk({self.container!r}, {self.count} lines, last {self.last_ts!r} x{self.same_ts})"

    def __len__(self) -> int:
        return self.count

    @classmethod
    def of_lines(cls, container: str, lines: Iterable[Line]) -> LogChunk:
        """A chunk of ``lines`` (their container is not looked at: a chunk has one)."""
        text = "".join([f"{ln.timestamp or NO_TS} {ln.text}\n" for ln in lines])
        return cls(container, text.encode("utf-8", "surrogateescape"), ordered=False)

    @classmethod
    def group(cls, lines: Iterable[Line]) -> tuple[LogChunk, ...]:
        """``lines`` of any containers as chunks, one per run of one container, in order."""
        chunks: list[LogChunk] = []
        run: list[Line] = []
        for line in lines:
            if run and line.container != run[0].container:
                chunks.append(cls.of_lines(run[0].container, run))
                run = []
            run.append(line)
        if run:
            chunks.append(cls.of_lines(run[0].container, run))
        return tuple(chunks)

    def raws(self) -> list[str]:
        """The lines as strings, ``<timestamp> <text>`` each (decoded and split once, then kept;
        bytes that are not UTF-8 kept by ``surrogateescape``)."""
        raws = self._raws
        if raws is None:
            raws = self._raws = self.data.decode("utf-8", "surrogateescape").split("\n")
            raws.pop()  # after the last newline
        return raws

    def width(self) -> int:
        """About the widest text's length in characters (the longest line less the first stamp)."""
        if self._width < 0:
            raws = self.raws()
            self._width = max(0, max(map(len, raws)) - raws[0].find(" ") - 1) if raws else 0
        return self._width

    def lines(self) -> list[LogLine]:
        """The lines as :class:`LogLine` objects (made on the first call, then kept)."""
        lines = self._lines
        if lines is None:
            container = self.container
            lines = self._lines = [LogLine(container, *split_raw(raw)) for raw in self.raws()]
        return lines


def split_raw(raw: str) -> tuple[str, str]:
    """``(timestamp, text)`` of one ``<timestamp> <text>`` line (``""`` for a missing stamp)."""
    ts, sep, text = raw.partition(" ")
    if not sep:
        return "", raw
    return ("" if ts == NO_TS else ts), text


def chunks_of(lines: Sequence[Line] | Sequence[LogChunk]) -> tuple[LogChunk, ...]:
    """Chunks as they are, or lines grouped into chunks."""
    if not lines:
        return ()
    if isinstance(lines[0], LogChunk):
        return tuple(lines)  # type: ignore[arg-type]
    return LogChunk.group(lines)  # type: ignore[arg-type]


_TS_LEN = len("2026-01-01T00:00:00.000000000Z")


def normalize_ts(ts: str) -> str:
    """Any RFC3339 UTC timestamp as fixed-width nanosecond text, so strings compare in time order."""
    if len(ts) == _TS_LEN and ts.endswith("Z"):
        return ts
    if not ts:
        return ts
    head, _, frac = ts.rstrip("Z").partition(".")
    if "+" in head[10:] or head[10:].count("-"):
        return ts  # offsets other than Z: left alone (the API server always sends UTC)
    return f"{head}.{(frac + '000000000')[:9]}Z"


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

    def render(self, chunk: LogChunk) -> bytes:
        """``chunk`` laid out as bytes for one write, each line ended by a newline.

        The commands' layouts (``[container] text``, ``[container] timestamp text``
        and both without the container) are made with C-level byte operations on
        the whole chunk: with timestamps one ``bytes.replace``, without them one
        split and one join. Bytes that are not UTF-8 pass unchanged. Any other
        layout (the app's) goes through :meth:`join`.
        """
        data = chunk.data
        if not data or self.pad or self.short_stamps or (self.timestamps and (
                self.stamp_first or data.startswith(b"- ") or b"\n- " in data)):
            return self.join(chunk.lines()).encode("utf-8", "surrogateescape")
        name = f"[{chunk.container}] ".encode("utf-8", "surrogateescape") if self.prefix else b""
        if self.timestamps:
            return name + data[:-1].replace(b"\n", b"\n" + name) + b"\n" if name else data
        return name + (b"\n" + name).join(_texts(data, chunk.count)) + b"\n"


#: from this average line length on, a chunk's texts are cut out as views (one copy of the
#: bytes, in the final join) rather than split and sliced (two more copies, fewer calls)
_LONG_LINE = 256


def _texts(data: bytes, count: int) -> list[bytes] | list[memoryview]:
    """The text of each line of ``data`` (complete ``<stamp> <text>`` lines), without newlines."""
    if len(data) < _LONG_LINE * count:
        raws = data.split(b"\n")
        raws.pop()  # after the last newline
        return [raw.partition(b" ")[2] for raw in raws]
    view, find = memoryview(data), data.find
    texts: list[memoryview] = []
    append = texts.append
    pos, end = 0, len(data)
    while pos < end:
        newline = find(b"\n", pos)
        space = find(b" ", pos, newline)
        append(view[space + 1 if space >= 0 else newline : newline])  # no stamp field: as partition
        pos = newline + 1
    return texts


#: a log saved from the app: ``timestamp [container] text``
SAVED_LAYOUT = LineLayout(timestamps=True, stamp_first=True)


# -- windows and container selection (``kpodtui logs --since/--tail/--containers/-E``, the app's L and C)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """``90s``, ``5m``, ``1h30m``, ``2d`` (a bare number is seconds) -> seconds; ValueError otherwise."""
    spec = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", spec):
        return float(spec)
    parts = re.findall(r"(\d+(?:\.\d+)?)([smhd])", spec)
    if not parts or "".join(n + u for n, u in parts) != spec:
        raise ValueError(f"{text!r} is not a duration (e.g. 90s, 5m, 1h30m)")
    return sum(float(n) * _UNITS[u] for n, u in parts)


def rfc3339(seconds: float) -> str:
    """Unix seconds as the API's timestamp text (UTC, nanoseconds): compares with a line's timestamp."""
    whole = int(seconds)
    nanos = int(round((seconds - whole) * 1e9))
    return dt.datetime.fromtimestamp(whole, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}Z"


@dataclass(frozen=True, slots=True)
class ContainerSelection:
    """stern's container selection: shown if it matches an include (any, when none is given) and no
    exclude; both are regular expressions searched in the name."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> ContainerSelection:
        """``api|worker !sidecar`` (the app's bar): words are includes, ``!word`` excludes."""
        words = text.split()
        return cls(tuple(w for w in words if not w.startswith("!")),
                   tuple(w[1:] for w in words if w.startswith("!") and w[1:]))

    def __post_init__(self) -> None:
        for rx in (*self.include, *self.exclude):
            try:
                re.compile(rx)
            except re.error as exc:
                raise ValueError(f"{rx!r} is not a regular expression ({exc})") from None

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)

    def shows(self, container: str) -> bool:
        if self.include and not any(re.search(rx, container) for rx in self.include):
            return False
        return not any(re.search(rx, container) for rx in self.exclude)

    def describe(self) -> str:
        return " ".join([*self.include, *(f"!{rx}" for rx in self.exclude)])
