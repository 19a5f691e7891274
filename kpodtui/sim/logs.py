"""Container logs as the kubelet keeps them: every line with a nanosecond timestamp.

A :class:`LogBuffer` holds one container instance's stdout and stderr. It is
built for speed: lines are appended a pipe read at a time, the timestamped
form is computed once per read with C-level ``bytes`` operations, and a
reader serves any range as one slice. Nothing is kept per line: a read's
lines share its timestamp (they arrived together), and per-read records keep
the offsets needed for ``sinceTime`` / ``tailLines``.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from dataclasses import dataclass, field
from datetime import datetime

#: lines longer than this are split, as the kubelet's CRI logger does at 16 KiB
MAX_LINE = 16 * 1024
#: length of ``2024-01-01T00:00:00.123456789Z `` (timestamp and its space)
STAMP_LEN = 31


def format_ts(ns: int) -> bytes:
    """``2024-01-01T00:00:00.123456789Z`` for a time in nanoseconds since the epoch."""
    secs, frac = divmod(ns, 1_000_000_000)
    return (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:09d}Z").encode()


def parse_ts(text: str) -> int:
    """An RFC 3339 time (any fraction precision, ``Z`` or an offset) in nanoseconds.

    Raises ValueError when malformed.
    """
    text = text.strip()
    frac_ns = 0
    main = text
    tz = ""
    if text.endswith(("Z", "z")):
        main, tz = text[:-1], "+00:00"
    else:
        for sign in ("+", "-"):
            pos = text.rfind(sign)
            if pos > 10:
                main, tz = text[:pos], text[pos:]
                break
    if "." in main:
        main, frac = main.split(".", 1)
        if not frac.isdigit():
            raise ValueError(text)
        frac_ns = int((frac + "000000000")[:9])
    if not tz:
        raise ValueError(text)
    dt = datetime.fromisoformat(main + tz)
    return int(dt.timestamp()) * 1_000_000_000 + frac_ns


@dataclass
class _Read:
    """One append: when it arrived and where it starts in both buffers."""

    ts: int
    raw_off: int
    stamped_off: int


@dataclass
class LogBuffer:
    """One container instance's log, appendable, readable while it grows.

    ``raw`` holds the lines as the process wrote them; ``stamped`` the same
    lines each prefixed with ``<timestamp> ``. ``closed`` is set when the
    container has terminated: followers end after the last byte.
    """

    raw: bytearray = field(default_factory=bytearray)
    stamped: bytearray = field(default_factory=bytearray)
    reads: list[_Read] = field(default_factory=list)
    closed: bool = False
    #: where the current log file starts (raw offset): what came before was rotated away, and
    #: a new read cannot reach it (streams already open read on, as through an open file)
    rotated_at: int = 0
    _partial: dict[int, bytes] = field(default_factory=dict)
    _waiter: asyncio.Future[None] | None = None

    def append(self, data: bytes, stream: int = 1, ts: int | None = None) -> None:
        """Add bytes read from ``stream`` (1 stdout, 2 stderr); complete lines become visible.

        A trailing partial line is held back until its newline (or :meth:`close`),
        so the two streams never interleave inside a line.
        """
        pending = self._partial.pop(stream, b"")
        if pending:
            data = pending + data
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        if len(rest) >= MAX_LINE:
            # a huge unterminated line is cut every MAX_LINE bytes, as the CRI logger cuts it, each
            # piece a line of its own (with its own newline: no stamp lands inside a line)
            whole = len(rest) - len(rest) % MAX_LINE
            data = data[:cut] + b"\n".join(rest[i:i + MAX_LINE] for i in range(0, whole, MAX_LINE)) + b"\n"
            rest = rest[whole:]
            cut = len(data)
        if rest:
            self._partial[stream] = rest
        if cut:
            self._add(data[:cut] if cut < len(data) else data, ts)

    def _add(self, lines: bytes, ts: int | None) -> None:
        stamp = format_ts(ts if ts is not None else time.time_ns()) + b" "
        self.reads.append(_Read(ts if ts is not None else time.time_ns(), len(self.raw), len(self.stamped)))
        self.raw += lines
        # one replace stamps every line of the read; the last newline gets no stamp after it
        body = lines[:-1].replace(b"\n", b"\n" + stamp) if lines.endswith(b"\n") else lines.replace(
            b"\n", b"\n" + stamp)
        self.stamped += stamp
        self.stamped += body
        if lines.endswith(b"\n"):
            self.stamped += b"\n"
        self._wake()

    def close(self) -> None:
        """The container ended: flush partial lines (without a newline, as the kubelet does)."""
        if self.closed:
            return
        for stream in sorted(self._partial):
            rest = self._partial.pop(stream)
            if rest:
                self._add(rest, None)
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        self._waiter = None

    async def wait_for_more(self, view: bytearray, pos: int) -> None:
        """Return once ``view`` (:meth:`view`) is longer than ``pos`` bytes, or the log is closed."""
        while len(view) <= pos and not self.closed:
            if self._waiter is None:
                self._waiter = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._waiter)

    # -- reading ---------------------------------------------------------------

    def rotate(self) -> None:
        """The kubelet rotates the log file: what is in it now becomes unreadable through the API."""
        self.rotated_at = len(self.raw)

    def start_offset(self, since_ns: int | None = None, tail_lines: int | None = None) -> int:
        """The raw offset where a read starts for ``sinceTime`` / ``tailLines`` (the later wins)."""
        start = self.rotated_at
        if since_ns is not None:
            i = bisect.bisect_left(self.reads, since_ns, key=lambda r: r.ts)
            start = self.reads[i].raw_off if i < len(self.reads) else len(self.raw)
        if tail_lines is not None:
            start = max(start, self._tail_offset(tail_lines))
        return max(start, self.rotated_at)

    def _tail_offset(self, n: int) -> int:
        if n <= 0:
            return len(self.raw)
        raw = self.raw
        end = len(raw)
        # a last line without newline counts as a line
        pos = end - 1 if raw.endswith(b"\n") else end
        for _ in range(n):
            pos = raw.rfind(b"\n", 0, pos)
            if pos < 0:
                return 0
        return pos + 1

    def stamped_offset(self, raw_off: int) -> int:
        """The offset in ``stamped`` of the line that starts at ``raw_off`` in ``raw``."""
        if raw_off >= len(self.raw):
            return len(self.stamped)
        if raw_off == 0:
            return 0
        i = bisect.bisect_right(self.reads, raw_off, key=lambda r: r.raw_off) - 1
        r = self.reads[i]
        # each earlier line of the same read carries one stamp
        nlines = self.raw.count(b"\n", r.raw_off, raw_off)
        return r.stamped_off + (raw_off - r.raw_off) + nlines * STAMP_LEN

    def view(self, timestamps: bool) -> bytearray:
        """The buffer a reader slices: stamped or raw."""
        return self.stamped if timestamps else self.raw

    def tail_text(self, max_lines: int = 80, max_bytes: int = 2048) -> str:
        """The end of the log for ``FallbackToLogsOnError``: last lines, at most ``max_bytes``."""
        start = self._tail_offset(max_lines)
        data = bytes(self.raw[start:])
        if len(data) > max_bytes:
            data = data[-max_bytes:]
        return data.decode("utf-8", "replace")
