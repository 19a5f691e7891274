"""Log lines written to a byte stream: byte for byte when piped, escaped on a terminal.

Light on purpose (``kpodtui logs`` reads the history without the engine).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from kpodtui.loglines import LineLayout, LogLine
from kpodtui.termsafe import terminal_line


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
    UTF-8 included), or for a terminal with every control shown escaped but colours kept."""

    def __init__(self, out: IO[bytes], layout: LineLayout, *, escapes: bool) -> None:
        self.out, self.layout, self.escapes = out, layout, escapes

    def write(self, lines: Iterable[LogLine]) -> int:
        if self.escapes:
            lines = [LogLine(ln.container, ln.timestamp, terminal_line(ln.text)) for ln in lines]
        elif not isinstance(lines, list | tuple):
            lines = list(lines)
        self.out.write(self.layout.join(lines).encode("utf-8", "surrogateescape"))
        self.out.flush()
        return len(lines)
