"""Log lines written to a byte stream: byte for byte when piped, escaped on a terminal.

Light on purpose (``kpodtui logs`` reads the history without the engine).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from kpodtui.loglines import LineLayout, LogChunk, LogLine
from kpodtui.termsafe import is_plain, terminal_line


def wants_escapes(out: IO[bytes], raw: bool = False) -> bool:
    """Whether log lines written to ``out`` show their control characters escaped: on a
    terminal, unless ``--raw``. Piped or redirected output is byte for byte."""
    if raw:
        return False
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


class LogWriter:
    """Log lines to a byte stream, one write per batch: byte for byte (bytes that were not
    UTF-8 included), or for a terminal with every control shown escaped but colours kept.

    Chunks are laid out in bulk (:meth:`LineLayout.render`); for a terminal a chunk is
    first checked whole for anything to escape, and only a chunk holding some is
    escaped line by line.
    """

    def __init__(self, out: IO[bytes], layout: LineLayout, *, escapes: bool) -> None:
        self.out, self.layout, self.escapes = out, layout, escapes

    def render(self, chunk: LogChunk) -> bytes:
        """``chunk`` as written out."""
        if self.escapes and not is_plain(chunk.data.decode("utf-8", "surrogateescape")):
            lines = [LogLine(ln.container, ln.timestamp, terminal_line(ln.text)) for ln in chunk.lines()]
            return self.layout.join(lines).encode("utf-8", "surrogateescape")
        return self.layout.render(chunk)

    def write(self, chunks: Iterable[LogChunk]) -> int:
        """Write ``chunks`` with one write; how many lines."""
        data, lines = [], 0
        for chunk in chunks:
            data.append(self.render(chunk))
            lines += chunk.count
        if not data:
            return 0
        self.out.write(data[0] if len(data) == 1 else b"".join(data))
        self.out.flush()
        return lines
