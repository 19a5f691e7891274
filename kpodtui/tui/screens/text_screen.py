"""A full-screen, read-only text: describe, the pod's YAML, the failure report, help, previous logs.

``q``/``esc`` back; ``j``/``k``/``g``/``G``/``ctrl+d``/``ctrl+u`` move; ``w`` wraps; ``c`` copies it all.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static, TextArea

from kpodtui.termsafe import escape
from kpodtui.tui.widgets.app_header import AppHeader
from kpodtui.tui.widgets.key_footer import KeyFooter

MOVE_KEYS = [
    Binding("j,down", "move(1)", "Down", show=False),
    Binding("k,up", "move(-1)", "Up", show=False),
    Binding("g,home", "edge(0)", "Top", show=False),
    Binding("G,end", "edge(1)", "Bottom", show=False),
    Binding("ctrl+d,pagedown", "half_page(1)", "Half page down", show=False),
    Binding("ctrl+u,pageup", "half_page(-1)", "Half page up", show=False),
]


class TextMoves:
    """The moving keys (:data:`MOVE_KEYS`) over what the screen scrolls: its :class:`TextArea`,
    or what :meth:`_scrolled` names (the help's list of keys)."""

    def _scrolled(self) -> Widget:
        return self.query_one(TextArea)  # type: ignore[attr-defined]

    def action_move(self, rows: int) -> None:
        self._scrolled().scroll_relative(y=rows, animate=False)

    def action_edge(self, end: int) -> None:
        body = self._scrolled()
        body.scroll_end(animate=False) if end else body.scroll_home(animate=False)

    def action_half_page(self, direction: int) -> None:
        body = self._scrolled()
        body.scroll_relative(y=direction * max(1, body.scrollable_content_region.height // 2), animate=False)


class TextScreen(TextMoves, Screen[None]):
    """``title`` over ``text`` (``language``: syntax highlighting, e.g. ``yaml``)."""

    HELP_GROUP = "Text"
    BINDINGS = [
        Binding("q,escape", "back", "Back", id="back"),
        Binding("w", "wrap", "Wrap", id="text-wrap"),
        Binding("c", "copy", "Copy all", id="text-copy"),
        *MOVE_KEYS,
    ]

    def __init__(self, title: str, text: str, language: str | None = None, where: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.language = language
        self.where = where or title

    def compose(self) -> ComposeResult:
        yield AppHeader(self.where)
        yield Static(escape(self.title_text), id="text-title", markup=False)
        # shown with its control characters escaped (a pod's or a container's words); copied as it is
        yield TextArea(escape(self.text), language=self.language, read_only=True, soft_wrap=True,
                       show_cursor=False, id="text-body")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_back(self) -> None:
        self.dismiss()

    def action_wrap(self) -> None:
        area = self.query_one(TextArea)
        area.soft_wrap = not area.soft_wrap

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.notify("copied", timeout=2)
