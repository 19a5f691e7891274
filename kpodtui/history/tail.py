"""Reading a run's log files while another process appends to them.

:class:`LogTail` remembers a byte offset per container file and returns the
complete lines added since the last call (a line still being written stays for
the next call). Cheap enough to call a few times a second: it reads only what
is new.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from kpodtui.loglines import LogChunk, LogLine

_READ_CHUNK = 1 << 20


class LogTail:
    """New lines of every container log file in one run's folder.

    ``from_end``: files that exist when the tail is made start at their current
    end (only what is written afterwards is returned); files that appear later
    are read from their start.
    """

    def __init__(self, log_dir: Path, from_end: bool = True, containers: list[str] | None = None) -> None:
        self.log_dir = log_dir
        self.containers = containers
        self._offsets: dict[str, int] = {}
        if from_end:
            for name, path in self._files():
                self._offsets[name] = _complete_size(path)

    def _files(self) -> list[tuple[str, Path]]:
        if not self.log_dir.is_dir():
            return []
        found = sorted((p.stem, p) for p in self.log_dir.glob("*.log"))
        if self.containers is not None:
            found = [(n, p) for n, p in found if n in self.containers]
        return found

    def read(self) -> list[LogLine]:
        """Complete lines added since the last call (per container in file order)."""
        return [line for chunk in self.read_chunks() for line in chunk.lines()]

    def read_chunks(self) -> Iterator[LogChunk]:
        """Complete lines added since the last call, as chunks of at most ~1 MiB (per container in
        file order); the offsets move as the chunks are taken."""
        for name, path in self._files():
            try:
                fh = open(path, "rb")  # noqa: SIM115 - closed below
            except FileNotFoundError:
                continue
            with fh:
                start = self._offsets.get(name, 0)
                fh.seek(start)
                while data := fh.read(_READ_CHUNK):
                    cut = data.rfind(b"\n") + 1
                    if not cut:
                        if len(data) < _READ_CHUNK:
                            break  # a line still being written
                        data += fh.read()  # one line longer than a read: take it whole
                        cut = data.rfind(b"\n") + 1
                        if not cut:
                            break
                    start += cut
                    self._offsets[name] = start
                    yield LogChunk(name, data[:cut] if cut < len(data) else data)
                    fh.seek(start)


def _complete_size(path: Path) -> int:
    """The size of ``path`` up to and including its last newline."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    if size == 0:
        return 0
    with open(path, "rb") as fh:
        block = min(size, _READ_CHUNK)
        fh.seek(size - block)
        data = fh.read(block)
    nl = data.rfind(b"\n")
    if nl >= 0:
        return size - block + nl + 1
    # No newline in the last block: the whole file is one torn line (start at 0), or
    # a torn line longer than the block (not worth a second read: start after it).
    return 0 if block == size else size
