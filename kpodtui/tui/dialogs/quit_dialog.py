"""Quitting with live runs: leave them running detached, or kill them."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class QuitDialog(ModalScreen[str | None]):
    """Dismisses with ``"detach"``, ``"kill"`` or None (stay)."""

    BINDINGS = [
        Binding("escape", "stay", "Stay", id="quit-stay"),
        Binding("d", "choose('detach')", "Detach", id="quit-detach", show=False),
        Binding("k", "choose('kill')", "Kill", id="quit-kill", show=False),
    ]

    def __init__(self, live_count: int, cluster_stops: bool = False) -> None:
        super().__init__()
        self.live_count = live_count
        # --sim: the simulated cluster lives in this process, so nothing can be left running
        self.cluster_stops = cluster_stops

    def compose(self) -> ComposeResult:
        runs = "1 run is" if self.live_count == 1 else f"{self.live_count} runs are"
        with Vertical(classes="dialog"):
            yield Label("Quit kpodtui?", classes="dialog-title")
            if self.cluster_stops:
                message = (f"{runs} still live on the simulated cluster (--sim), which stops with kpodtui "
                           "and its pods with it. Kill them and quit?")
            else:
                message = (f"{runs} still live. Leave the pods running (reattach later with kpodtui or "
                           "`kpodtui attach`), or kill them now?")
            yield Label(message, classes="dialog-message")
            with Horizontal(classes="dialog-buttons"):
                if not self.cluster_stops:
                    yield Button("Leave detached (d)", variant="primary", id="detach")
                yield Button("Kill them (k)", variant="error", id="kill")
                yield Button("Stay", id="stay")

    def on_mount(self) -> None:
        self.query_one("#stay" if self.cluster_stops else "#detach", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "stay" else event.button.id)

    def action_choose(self, choice: str) -> None:
        if choice == "detach" and self.cluster_stops:
            return
        self.dismiss(choice)

    def action_stay(self) -> None:
        self.dismiss(None)
