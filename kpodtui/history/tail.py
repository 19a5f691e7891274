"""Reading a run's log files while another process appends to them.

:class:`LogTail` remembers a byte offset per container file and returns the
complete lines added since the last call (a line still being written stays for
the next call). Cheap enough to call a few times a second: it reads only what
is new.
"""

from __future__ import annotations

from pathlib import Path

from kpodtui.history.logfiles import decode_line
from kpodtui.loglines import LogLine

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
        out: list[LogLine] = []
        for name, path in self._files():
            start = self._offsets.get(name, 0)
            try:
                with open(path, "rb") as fh:
                    fh.seek(start)
                    data = fh.read()
            except FileNotFoundError:
                continue
            cut = data.rfind(b"\n")
            if cut < 0:
                self._offsets[name] = start
                continue
            self._offsets[name] = start + cut + 1
            text = data[: cut].decode("utf-8", "surrogateescape")
            out.extend(decode_line(raw, name) for raw in text.split("\n"))
        return out


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
