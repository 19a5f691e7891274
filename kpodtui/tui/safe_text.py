"""Container and user text as the app shows it: styled by its colours, never driving the terminal.

Rich passes an ``ESC`` in a :class:`~rich.text.Text` straight to the terminal; every
widget that shows text kpodtui did not write (log lines, events, failure reports,
XCom values, pod YAML, errors) builds it here (see :mod:`kpodtui.termsafe`).
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from kpodtui.termsafe import escape, has_unsafe, split_sgr


def safe_text(text: str, style: str | Style = "") -> Text:
    """``text`` with its control characters shown as escapes (line breaks kept)."""
    return Text(escape(text), style)


def log_text(text: str) -> Text:
    """A log line: its colour sequences rendered as styles, every other control shown escaped."""
    text = text.expandtabs(8)
    if not has_unsafe(text):
        return Text(text, no_wrap=True, end="")
    # only parsed colour sequences and escaped text are left for Rich's decoder
    ansi = "".join(part if sgr is None else f"\x1b[{sgr}m" for part, sgr in split_sgr(text))
    out = Text.from_ansi(ansi, no_wrap=True, end="")
    out.end = ""
    return out
