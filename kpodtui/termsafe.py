"""Text from containers and users, made unable to drive the terminal it is shown on.

A container that prints ``ESC ] 52 ; c ; ...`` writes the user's clipboard (in
tmux with set-clipboard), ``ESC ] 2 ; ...`` sets the window title, ``ESC [ 2J``
clears the screen; a ``CR`` or a bidi override makes a line lie about what it
holds. Everything kpodtui shows of such text goes through here:

- :func:`escape` makes every control character visible (``\\x1b``, ``\\r``,
  ``\\u202e``; a byte of invalid UTF-8, kept by ``surrogateescape`` decoding, as
  ``\\xff``), for messages and anything that is not a log line;
- :func:`split_sgr` parses a log line into text and colour (SGR) sequences, so
  the app renders colours as styles and a terminal gets only sequences that were
  parsed as pure colour (:func:`terminal_line`); every other sequence (OSC, DCS,
  cursor movement, screen clearing) is shown escaped, never passed through.

Pure string functions with no imports from kpodtui: every layer may use them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# C0 except TAB and LF, DEL, C1, bidi embeddings/overrides/isolates, lone surrogates
# (invalid UTF-8 bytes decoded with surrogateescape)
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_IN_LINE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# a colour sequence (SGR): CSI, parameters of digits, ';' or ':', then 'm'
_SGR = re.compile("(?:\x1b\\[|\x9b)([0-9;:]*)m")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\x1b": "\\x1b"}


def _visible(ch: str) -> str:
    code = ord(ch)
    if ch in _NAMED:
        return _NAMED[ch]
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def escape(text: str, *, newlines: bool = True) -> str:
    """``text`` with every character that could drive a terminal shown as an escape.

    ``newlines``: keep line breaks (a multi-line message); otherwise they are escaped too."""
    pattern = _UNSAFE if newlines else _UNSAFE_IN_LINE
    if pattern.search(text) is None:
        return text
    return pattern.sub(lambda m: _visible(m.group()), text)


def is_plain(text: str) -> bool:
    """True when no line of ``text`` holds anything :func:`escape` would change (line breaks
    and tabs aside): a whole chunk of log lines checked with one search."""
    return _UNSAFE.search(text) is None


def has_unsafe(text: str) -> bool:
    """True when :func:`escape` would change ``text`` (a line break included)."""
    return _UNSAFE_IN_LINE.search(text) is not None


def split_sgr(text: str) -> Iterator[tuple[str, str | None]]:
    """``(escaped text, None)`` and ``("", SGR parameters)`` parts of a log line, in order.

    Only pure colour sequences become parameters; everything else is escaped text."""
    pos = 0
    for m in _SGR.finditer(text):
        if m.start() > pos:
            yield escape(text[pos:m.start()], newlines=False), None
        yield "", m.group(1)
        pos = m.end()
    if pos < len(text):
        yield escape(text[pos:], newlines=False), None


def terminal_line(text: str) -> str:
    """A log line for a terminal: colours kept (re-emitted after parsing), all else escaped,
    attributes reset at its end so a colour never bleeds into what follows."""
    if not has_unsafe(text):
        return text
    out: list[str] = []
    coloured = False
    for part, sgr in split_sgr(text):
        if sgr is None:
            out.append(part)
        else:
            out.append(f"\x1b[{sgr}m")
            coloured = True
    if coloured:
        out.append("\x1b[0m")
    return "".join(out)
