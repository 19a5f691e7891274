"""``s``: which container a shell opens in, and the command (``sh`` unless configured)."""

from __future__ import annotations

import shlex

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


class ShellDialog(ModalScreen[tuple[str, list[str]] | None]):
    """Dismisses with (container, command) or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="shell-cancel")]

    def __init__(self, run_id: str, containers: list[tuple[str, str]], command: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.containers = containers
        self.command = command

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Shell in run {self.run_id}", classes="dialog-title", markup=False)
            yield Label("Pick a container (enter). The app steps aside until the shell exits.",
                        classes="dialog-message")
            options = []
            for name, state in self.containers:
                label = Text(escape(name), "bold" if state == "running" else "dim")
                label.append(f"  {state}", "green" if state == "running" else "dim")
                options.append(Option(label, id=name, disabled=state != "running"))
            yield KOptionList(*options, id="shell-containers")
            yield Label("Command:", classes="dialog-hint")
            yield Input(self.command, id="shell-command")

    def on_mount(self) -> None:
        options = self.query_one(KOptionList)
        running = [i for i, (_n, state) in enumerate(self.containers) if state == "running"]
        if running:
            options.highlighted = running[0]
        options.focus()

    def _command(self) -> list[str]:
        try:
            return shlex.split(self.query_one("#shell-command", Input).value) or ["sh"]
        except ValueError:
            return ["sh"]

    @on(KOptionList.OptionSelected, "#shell-containers")
    def _picked(self, event: KOptionList.OptionSelected) -> None:
        self.dismiss((event.option.id or "", self._command()))

    @on(Input.Submitted, "#shell-command")
    def _submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(KOptionList)
        if options.highlighted is not None:
            option = options.get_option_at_index(options.highlighted)
            if not option.disabled:
                self.dismiss((option.id or "", self._command()))

    def action_cancel(self) -> None:
        self.dismiss(None)
