"""Ask for ``--set``-style overrides before a launch."""

from __future__ import annotations

import shlex
from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


def parse_overrides(text: str) -> list[str]:
    """``a=1 params.n=3`` or one per line -> ``["a=1", "params.n=3"]`` (shell-like quoting)."""
    return [item for item in shlex.split(text.replace("\n", " ")) if item]


class OverridesDialog(ModalScreen[list[str] | None]):
    """Dismisses with the overrides (possibly empty) or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="overrides-cancel")]

    def __init__(self, task_id: str, check: Callable[[list[str]], list[str]] | None = None,
                 initial: list[str] | None = None, verb: str = "Launch") -> None:
        """``check(overrides)`` returns the problems the spec would have with them (shown, not launched);
        ``initial``: the overrides to start from (a rerun's)."""
        super().__init__()
        self.task_id = task_id
        self.check = check
        self.initial = initial or []
        self.verb = verb

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"{self.verb} {self.task_id} with overrides", classes="dialog-title", markup=False)
            yield Label("KEY=VALUE pairs separated by spaces (dotted keys for params: params.n=3). "
                        "enter: go, escape: cancel", classes="dialog-message")
            # a rerun's overrides are there to be edited: the cursor after them, nothing selected
            # (typing must not replace them)
            yield Input(" ".join(shlex.quote(i) for i in self.initial), placeholder="image=busybox:1.36 params.n=3",
                        id="overrides", select_on_focus=not self.initial)
            yield Label("", id="overrides-error", classes="dialog-error", markup=False)

    @on(Input.Submitted, "#overrides")
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            items = parse_overrides(event.value)
        except ValueError as exc:
            self.query_one("#overrides-error", Label).update(str(exc))
            return
        bad = [i for i in items if "=" not in i]
        if bad:
            self.query_one("#overrides-error", Label).update(f"not KEY=VALUE: {' '.join(bad)}")
            return
        problems = self.check(items) if self.check is not None else []
        if problems:
            self.query_one("#overrides-error", Label).update("\n".join(problems))
            return
        self.dismiss(items)

    def action_cancel(self) -> None:
        self.dismiss(None)
