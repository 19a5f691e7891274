"""Read-only text in a modal: pod YAML, a whole log line (JSON pretty-printed)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, TextArea

from kpodtui.termsafe import escape


class TextDialog(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="text-close"),
        Binding("c", "copy", "Copy", id="text-copy"),
    ]

    def __init__(self, title: str, text: str, language: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.language = language

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -wide"):
            yield Label(escape(self.title_text), classes="dialog-title", markup=False)
            # shown with its control characters escaped; copied as it is
            yield TextArea(escape(self.text), language=self.language, read_only=True, soft_wrap=True, id="text-body")
            yield Label("escape: close   c: copy", classes="dialog-hint")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.notify("copied", timeout=2)
