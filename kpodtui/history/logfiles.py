"""Per-container log files: ``<home>/logs/<run_id>/<container>.log``.

One line per log line, ``<timestamp> <text>\\n``, with the timestamp exactly as
the API server sent it (RFC3339, nanoseconds) or ``-`` when unknown: the form of
a :class:`~kpodtui.loglines.LogChunk`, so a chunk read from a stream is appended
as it came, with one ``os.write``. Keeping
the timestamp is what makes a reattach exact: the file's last timestamp and the
number of lines that carry it form the :class:`LogCursor` a log follower
resumes from, so the file is the single source of truth for "what was
delivered" even after ``kill -9`` (every batch is one ``os.write``, which the
kernel keeps when the process dies; a torn last line is cut off on reopen).
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path

from kpodtui.loglines import LogChunk, LogCursor, LogLine, normalize_ts, split_raw

_BLOCK = 1 << 20  # bytes read at a time


def encode_lines(lines: Iterable[LogLine]) -> bytes:
    """The file form of ``lines`` (one ``bytes`` for one write)."""
    return LogChunk.of_lines("", lines).data


def decode_line(raw: str, container: str) -> LogLine:
    """One file line (without its newline) back into a :class:`LogLine`."""
    return LogLine(container, *split_raw(raw))


def _repair_tail(path: Path) -> None:
    """Cut a torn last line (a process killed mid-write leaves one at most)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    if size == 0:
        return
    with open(path, "rb+") as fh:
        fh.seek(-1, os.SEEK_END)
        if fh.read(1) == b"\n":
            return
        block = min(size, 1 << 16)
        while True:
            fh.seek(size - block)
            data = fh.read(block)
            nl = data.rfind(b"\n")
            if nl >= 0:
                fh.truncate(size - block + nl + 1)
                return
            if block == size:
                fh.truncate(0)
                return
            block = min(size, block * 4)


def cursor_from_file(path: Path) -> LogCursor:
    """The cursor a file ends at: its last timestamp, how many lines carry it, its line count.

    Read in blocks (a log of any size costs a few MB): the lines are counted front to
    back, the lines sharing the last stamp are found from the end, reading back until
    a line that does not carry it.
    """
    _repair_tail(path)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return LogCursor()
    with fh:
        total = 0
        while block := fh.read(_BLOCK):
            total += block.count(b"\n")
        if not total:
            return LogCursor()
        size = fh.tell()
        back = 1 << 16
        while True:
            start = max(0, size - back)
            fh.seek(start)
            data = fh.read(size - start)
            if start:
                data = data[data.find(b"\n") + 1 :]  # from the first whole line
            tail = LogChunk("", data)
            if not start or tail.same_ts < tail.count:
                return LogCursor(tail.last_ts, tail.same_ts, total)
            back *= 4


class LogFileWriter:
    """Appends batches to one container's log file and tracks its cursor.

    Open with :meth:`open`; the cursor starts where the file ends (so a reattach
    continues exactly there). Not thread-safe: one writer per container.
    """

    def __init__(self, path: Path, fd: int, cursor: LogCursor) -> None:
        self.path = path
        self._fd = fd
        self.cursor = cursor

    @classmethod
    def open(cls, path: Path) -> LogFileWriter:
        """Open (creating, mode 0600) ``path`` for appending."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        cursor = cursor_from_file(path)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return cls(path, fd, cursor)

    def append(self, lines: LogChunk | list[LogLine]) -> None:
        """Write a chunk (or lines) with one system call and advance the cursor."""
        chunk = lines if isinstance(lines, LogChunk) else LogChunk.of_lines("", lines)
        if not chunk.count:
            return
        view = memoryview(chunk.data)
        done = 0
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
                done += written
        except OSError:
            if done:  # no torn line stays behind (a full disk): the file ends at its last whole chunk
                os.ftruncate(self._fd, os.fstat(self._fd).st_size - done)
            raise
        self.cursor = self.cursor.after(chunk)

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def read_lines(path: Path, container: str, start: int = 0) -> Iterator[LogLine]:
    """Lines of one log file from line index ``start`` (complete lines only)."""
    if not path.exists():
        return
    with open(path, encoding="utf-8", errors="surrogateescape", newline="\n") as fh:
        for i, raw in enumerate(fh):
            if not raw.endswith("\n"):
                return  # a line still being written
            if i >= start:
                yield decode_line(raw[:-1], container)


def read_chunks(path: Path, container: str, block: int | None = None) -> Iterator[LogChunk]:
    """A log file's complete lines as chunks of about ``block`` bytes (constant memory)."""
    block = block or _BLOCK
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return
    with fh:
        rest = b""
        while data := fh.read(block):
            if rest:
                data = rest + data
            cut = data.rfind(b"\n") + 1
            rest = data[cut:]
            if cut:
                yield LogChunk(container, data[:cut] if rest else data)
        # a torn last line (still being written) is left out


def _stamp_key(line: bytes) -> str:
    return normalize_ts(line[: line.find(b" ")].decode("ascii", "replace"))


def _line_key(order: int, line: bytes) -> tuple[str, int]:
    return _stamp_key(line), order


class _Source:
    """One container's chunks, split into lines a chunk at a time, for :func:`merge_chunks`."""

    def __init__(self, order: int, container: str, chunks: Iterator[LogChunk]) -> None:
        self.order, self.container, self.chunks = order, container, chunks
        self.lines: list[bytes] = []
        self.pos = 0

    def fill(self) -> bool:
        """Whether a line is waiting (reading the next chunk if needed)."""
        while self.pos >= len(self.lines):
            chunk = next(self.chunks, None)
            if chunk is None:
                return False
            self.lines, self.pos = (chunk.data[:-1].split(b"\n") if chunk.count else []), 0
        return True

    def head(self) -> tuple[str, int]:
        return _stamp_key(self.lines[self.pos]), self.order


def merge_chunks(sources: list[tuple[str, Iterator[LogChunk]]]) -> Iterator[LogChunk]:
    """Several containers' chunks merged by timestamp into chunks (ties: the earlier source first).

    Runs of one container go out as one chunk: the source with the oldest line gives
    every line older than the other sources' next ones, found by a binary search, so
    lines are looked at one by one only where containers interleave line by line.
    """
    live = [s for s in (_Source(i, c, it) for i, (c, it) in enumerate(sources)) if s.fill()]
    while len(live) > 1:
        heads = sorted((s.head(), s) for s in live)  # few sources: sorting them is cheap
        (_, src), bound = heads[0], heads[1][0]
        end = bisect_left(src.lines, bound, lo=src.pos, key=partial(_line_key, src.order))
        yield LogChunk(src.container, b"\n".join(src.lines[src.pos:end]) + b"\n")
        src.pos = end
        if not src.fill():
            live.remove(src)
    if live:
        src = live[0]
        if src.pos < len(src.lines):
            yield LogChunk(src.container, b"\n".join(src.lines[src.pos:]) + b"\n")
        yield from src.chunks
