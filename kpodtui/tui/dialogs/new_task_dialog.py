"""``n``: a new task's id, file name and folder (defaults shown), before the editor opens."""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from kpodtui.paths import display_path

TASK_ID = re.compile(r"[A-Za-z0-9._-]+")


class NewTaskDialog(ModalScreen[tuple[str, Path] | None]):
    """Dismisses with (task_id, path of the new file) or None. Refuses a task id already listed
    and a file that already exists."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="new-task-cancel")]

    def __init__(self, folder: Path, taken: Collection[str]) -> None:
        super().__init__()
        self.folder = folder
        self.taken = set(taken)
        self._named = False  # the file name was typed (no longer follows the task id)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("New task", classes="dialog-title")
            yield Label("Task id:", classes="dialog-hint")
            yield Input("my-task", id="new-task-id")
            yield Label("File name:", classes="dialog-hint")
            yield Input("my-task.yaml", id="new-task-file")
            yield Label("Folder:", classes="dialog-hint")
            yield Input(display_path(self.folder), id="new-task-folder")
            yield Label("enter: open it in the editor (ctrl+s saves), escape: cancel", classes="dialog-hint")
            yield Label("", id="new-task-error", classes="dialog-error", markup=False)

    def on_mount(self) -> None:
        first = self.query_one("#new-task-id", Input)
        first.focus()
        first.action_select_all()

    @on(Input.Changed, "#new-task-id")
    def _id_changed(self, event: Input.Changed) -> None:
        if not self._named:
            self.query_one("#new-task-file", Input).value = f"{event.value.strip() or 'my-task'}.yaml"

    @on(Input.Changed, "#new-task-file")
    def _file_changed(self, event: Input.Changed) -> None:
        task_id = self.query_one("#new-task-id", Input).value.strip() or "my-task"
        self._named = event.value != f"{task_id}.yaml"

    def problem(self) -> tuple[str, Path] | str:
        """(task_id, path) when the answers are usable, else what is wrong."""
        task_id = self.query_one("#new-task-id", Input).value.strip()
        name = self.query_one("#new-task-file", Input).value.strip()
        folder = Path(self.query_one("#new-task-folder", Input).value.strip() or str(self.folder)).expanduser()
        if not TASK_ID.fullmatch(task_id):
            return "the task id is letters, digits, '.', '_' or '-'"
        if task_id in self.taken:
            return f"a task {task_id!r} is already listed: pick another id"
        if not name or "/" in name:
            return "the file name is a name, without a folder"
        if not name.endswith((".yaml", ".yml")):
            name += ".yaml"
        path = folder / name
        if path.exists():
            return f"{display_path(path)} already exists: pick another file name"
        if folder.exists() and not folder.is_dir():
            return f"{display_path(folder)} is not a folder"
        return task_id, path

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        answer = self.problem()
        if isinstance(answer, str):
            self.query_one("#new-task-error", Label).update(answer)
            return
        self.dismiss(answer)

    def action_cancel(self) -> None:
        self.dismiss(None)
