"""``:``: the context and namespace launches go to (k9s's ``:ctx`` and ``:ns`` in one question)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label
from textual.widgets.option_list import Option

from kpodtui.termsafe import escape
from kpodtui.tui.widgets.lists import KOptionList


class TargetDialog(ModalScreen[tuple[str | None, str] | None]):
    """Dismisses with (context, namespace) or None. Runs already launched stay where they are."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="target-cancel")]

    def __init__(self, contexts: list[str], current: tuple[str | None, str], namespaces: list[str]) -> None:
        super().__init__()
        self.contexts = contexts
        self.current = current
        self.namespaces = namespaces

    def compose(self) -> ComposeResult:
        context, namespace = self.current
        with Vertical(classes="dialog"):
            yield Label("Where launches go", classes="dialog-title")
            if self.contexts:
                yield Label("Context (enter picks it):", classes="dialog-hint")
                yield KOptionList(*(Option(Text(escape(c), "bold" if c == context else ""), id=c)
                                    for c in self.contexts), id="target-contexts")
            hint = f"Namespace (known: {', '.join(self.namespaces[:8])}{' …' if len(self.namespaces) > 8 else ''}):" \
                if self.namespaces else "Namespace:"
            yield Label(hint, classes="dialog-hint", markup=False)
            yield Input(namespace, id="target-namespace")
            yield Label("enter: switch, escape: cancel. Runs already launched stay where they are.",
                        classes="dialog-hint")

    def on_mount(self) -> None:
        context = self.current[0]
        if self.contexts:
            options = self.query_one(KOptionList)
            options.highlighted = self.contexts.index(context) if context in self.contexts else 0
            options.focus()
        else:
            self.query_one(Input).focus()

    def _picked_context(self) -> str | None:
        if not self.contexts:
            return self.current[0]
        options = self.query_one(KOptionList)
        return self.contexts[options.highlighted] if options.highlighted is not None else self.current[0]

    @on(KOptionList.OptionSelected, "#target-contexts")
    def _context_picked(self, event: KOptionList.OptionSelected) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted, "#target-namespace")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss((self._picked_context(), event.value.strip() or "default"))

    def action_cancel(self) -> None:
        self.dismiss(None)
