"""Ask for an Airflow DAG file and import its pod operator calls as tasks (``kpodtui import``).

The import runs in a thread (the kubernetes client's models load on first use);
a problem with the file (missing, not Python, no operator call) is shown here in
one line and the dialog stays open to correct the path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from kpodtui.errors import KpodtuiError
from kpodtui.termsafe import escape


class ImportDialog(ModalScreen[Any]):
    """Dismisses with what ``run(path)`` returned, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="import-cancel")]

    @dataclass
    class Failed(Message):
        error: str

    @dataclass
    class Done(Message):
        result: Any

    def __init__(self, run: Callable[[Path], Any], folder: str) -> None:
        super().__init__()
        self.run = run
        self.folder = folder
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Import a DAG file", classes="dialog-title")
            yield Label(f"Each KubernetesPodOperator call of an Airflow DAG file becomes a task spec in "
                        f"{self.folder}. The file is read, never run.", classes="dialog-message", markup=False)
            yield Input(placeholder="dags/etl.py", id="import-path")
            yield Label("", id="import-error", classes="dialog-error", markup=False)

    @on(Input.Submitted, "#import-path")
    def _submitted(self, event: Input.Submitted) -> None:
        if self.busy:
            return
        text = event.value.strip()
        if not text:
            self.query_one("#import-error", Label).update("type the path of an Airflow DAG file (.py)")
            return
        self.busy = True
        self.query_one("#import-error", Label).update("importing…")
        self._import(Path(text).expanduser())

    @work(thread=True, exit_on_error=False, group="import-dag", exclusive=True)
    def _import(self, path: Path) -> None:
        try:
            result = self.run(path)
        except KpodtuiError as exc:
            self.post_message(self.Failed(str(exc)))
        except OSError as exc:
            self.post_message(self.Failed(f"{path}: cannot write the specs: {exc.strerror or exc}"))
        else:
            self.post_message(self.Done(result))

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.busy = False
        self.query_one("#import-error", Label).update(escape(message.error, newlines=False))

    @on(Done)
    def _done(self, message: Done) -> None:
        self.dismiss(message.result)

    def action_cancel(self) -> None:
        self.dismiss(None)
