"""Per-container log files: ``<home>/logs/<run_id>/<container>.log``.

One line per log line, ``<timestamp> <text>\\n``, with the timestamp exactly as
the API server sent it (RFC3339, nanoseconds) or ``-`` when unknown. Keeping
the timestamp is what makes a reattach exact: the file's last timestamp and the
number of lines that carry it form the :class:`LogCursor` a log follower
resumes from, so the file is the single source of truth for "what was
delivered" even after ``kill -9`` (every batch is one ``os.write``, which the
kernel keeps when the process dies; a torn last line is cut off on reopen).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from kpodtui.loglines import LogCursor, LogLine

_NO_TS = "-"


def encode_lines(lines: Iterable[LogLine]) -> bytes:
    """The file form of ``lines`` (one ``bytes`` for one write)."""
    return "".join(f"{ln.timestamp or _NO_TS} {ln.text}\n" for ln in lines).encode(
        "utf-8", "surrogateescape"
    )


def decode_line(raw: str, container: str) -> LogLine:
    """One file line (without its newline) back into a :class:`LogLine`."""
    ts, _, text = raw.partition(" ")
    return LogLine(container, "" if ts == _NO_TS else ts, text)


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
    """The cursor a file ends at: its last timestamp, how many lines carry it, its line count."""
    _repair_tail(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return LogCursor()
    if not data:
        return LogCursor()
    total = data.count(b"\n")
    lines = data.rstrip(b"\n").split(b"\n")
    last_ts = lines[-1].partition(b" ")[0]
    same = 0
    for raw in reversed(lines):
        if raw.partition(b" ")[0] != last_ts:
            break
        same += 1
    ts = last_ts.decode()
    return LogCursor("" if ts == _NO_TS else ts, same, total)


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

    def append(self, lines: list[LogLine]) -> None:
        """Write ``lines`` with one system call and advance the cursor."""
        if not lines:
            return
        data = encode_lines(lines)
        view = memoryview(data)
        done = 0
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
                done += written
        except OSError:
            if done:  # no torn line stays behind (a full disk): the file ends at its last whole batch
                os.ftruncate(self._fd, os.fstat(self._fd).st_size - done)
            raise
        self.cursor = self.cursor.advance(lines)

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
