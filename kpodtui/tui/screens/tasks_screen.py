"""Tasks: the specs found on disk, a preview of the selected one and of the pod it would create."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.syntax import Syntax
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, OptionList, Static
from textual.widgets.option_list import Option

from kpodtui import paths
from kpodtui.paths import display_path
from kpodtui.termsafe import escape
from kpodtui.tui.commands import PaletteEntry
from kpodtui.tui.data.backend import TaskEntry
from kpodtui.tui.data.spec_support import check_text, dry_run, import_dag

if TYPE_CHECKING:
    from kpodtui.tui.app import KpodApp

ORIGIN_LABELS = {"given": "given", "user": "my tasks", "sample": "sample"}


def _syntax(text: str) -> Syntax:
    # a spec file may hold anything: its control characters are shown, not sent to the terminal
    return Syntax(escape(text), "yaml", theme="ansi_dark", background_color="default", line_numbers=False)


class TasksScreen(Screen[None]):
    """Pick a task; preview its spec and dry-run manifest; launch or edit it."""

    BINDINGS = [
        Binding("l", "launch", "Launch", id="launch"),
        Binding("o", "launch_with_overrides", "Launch with --set", id="launch-overrides"),
        Binding("e", "edit", "Edit", id="edit"),
        Binding("n", "new", "New task", id="new-task"),
        Binding("i", "import_dag", "Import DAG", id="import-dag"),
        Binding("f5", "reload", "Reload", id="reload-tasks"),
    ]

    @dataclass
    class PreviewReady(Message):
        entry: TaskEntry
        spec_text: str
        manifest: str

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            with Vertical(id="task-list-box"):
                yield Label("Tasks", classes="pane-title")
                yield OptionList(id="task-list")
            with Vertical(id="task-preview"):
                yield Label("Spec", classes="pane-title", id="spec-title")
                with VerticalScroll(id="spec-scroll"):
                    yield Static(id="spec-preview")
                yield Label("Pod it would create (dry run)", classes="pane-title")
                with VerticalScroll(id="manifest-scroll"):
                    yield Static(id="manifest-preview")
        yield Footer()

    @property
    def kapp(self) -> KpodApp:
        return cast("KpodApp", self.app)

    def on_mount(self) -> None:
        self.sub_title = "tasks"
        self.entries: list[TaskEntry] = []
        self.previewed: TaskEntry | None = None
        self.select_after_load: tuple[Path, str] | None = None  # an imported task, once listed
        self.show_tasks(self.kapp.task_entries())
        self.query_one("#task-list").focus()

    def show_tasks(self, entries: list[TaskEntry]) -> None:
        self.entries = entries
        options = self.query_one("#task-list", OptionList)
        keep = options.highlighted
        options.clear_options()
        for i, entry in enumerate(entries):
            label = Text()
            label.append(entry.task_id, "bold" if not entry.error else "red")
            label.append(f"  {ORIGIN_LABELS.get(entry.origin, entry.origin)} · {entry.path.name}", "dim")
            options.add_option(Option(label, id=f"task-{i}"))
        wanted = self._wanted(entries)
        if wanted is not None:
            options.highlighted = wanted
        elif entries:
            options.highlighted = keep if keep is not None and keep < len(entries) else 0
        else:
            self.query_one("#spec-preview", Static).update(
                Text("No task specs found. Press n to write one, or i to import an Airflow DAG file.", "dim")
            )

    def _wanted(self, entries: list[TaskEntry]) -> int | None:
        if self.select_after_load is None:
            return None
        path, task_id = self.select_after_load
        for i, entry in enumerate(entries):
            if entry.task_id == task_id and entry.path.resolve() == path.resolve():
                self.select_after_load = None
                return i
        return None

    @property
    def selected(self) -> TaskEntry | None:
        index = self.query_one("#task-list", OptionList).highlighted
        if index is None or index >= len(self.entries):
            return None
        return self.entries[index]

    @on(OptionList.OptionHighlighted, "#task-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        entry = self.selected
        if entry is not None:
            self.load_preview(entry)

    @on(OptionList.OptionSelected, "#task-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.action_launch()

    @work(thread=True, exit_on_error=False, group="preview", exclusive=True)
    def load_preview(self, entry: TaskEntry) -> None:
        try:
            text, manifest = dry_run(entry.path, entry.index)
        except OSError as exc:
            text, manifest = f"# cannot read {entry.path}: {exc}", ""
        self.post_message(self.PreviewReady(entry, text, manifest))

    @on(PreviewReady)
    def _preview_ready(self, message: PreviewReady) -> None:
        if message.entry != self.selected:
            return
        self.query_one("#spec-title", Label).update(f"Spec  {display_path(message.entry.path)}")
        self.query_one("#spec-preview", Static).update(_syntax(message.spec_text))
        self.query_one("#manifest-preview", Static).update(_syntax(message.manifest))
        self.previewed = message.entry

    def _launch(self, overrides: list[str]) -> None:
        entry = self.selected
        if entry is None:
            return
        if entry.error:
            self.notify(f"{entry.task_id}: {entry.error} — open it in the editor (e)", severity="error", markup=False)
            return
        text = entry.path.read_text(encoding="utf-8")
        self.kapp.launch(entry.path, text, entry.task_id, overrides)

    def action_launch(self) -> None:
        self._launch([])

    def action_launch_with_overrides(self) -> None:
        # on first use: not for the first frame
        from kpodtui.tui.dialogs.overrides_dialog import OverridesDialog

        entry = self.selected
        if entry is None:
            return

        def got(overrides: list[str] | None) -> None:
            if overrides is not None:
                self._launch(overrides)

        def check(overrides: list[str]) -> list[str]:
            try:
                text = entry.path.read_text(encoding="utf-8")
            except OSError as exc:
                return [f"cannot read {entry.path}: {exc.strerror or exc}"]
            return [p.describe() for p in check_text(text, entry.path, overrides)[0]]

        self.app.push_screen(OverridesDialog(entry.task_id, check), got)

    def action_edit(self) -> None:
        # the editor (TextArea) loads when opened
        from kpodtui.tui.screens.editor_screen import EditorScreen

        entry = self.selected
        if entry is not None:
            self.app.push_screen(EditorScreen(entry.path))

    def action_new(self) -> None:
        # the editor (TextArea) loads when opened
        from kpodtui.tui.screens.editor_screen import EditorScreen

        self.app.push_screen(EditorScreen(None))

    def action_reload(self) -> None:
        self.kapp.load_tasks()

    def action_import_dag(self) -> None:
        # on first use: not for the first frame
        from kpodtui.tui.dialogs.import_dialog import ImportDialog

        folder = paths.tasks_dir()
        self.app.push_screen(ImportDialog(partial(import_dag, folder=folder), display_path(folder)), self._imported)

    def _imported(self, outputs: list | None) -> None:
        """List the imported tasks at once, the first one selected; say what was written."""
        if not outputs:
            return
        first = outputs[0]
        tasks = [t for out in outputs for t in out.tasks]
        left = sum(len(t.unresolved) for t in tasks)
        problems = sum(len(out.problems) for out in outputs)
        files = ", ".join(display_path(out.path) for out in outputs)
        text = f"imported {len(tasks)} task{'s' if len(tasks) != 1 else ''} from {first.source.display} into {files}"
        if left:
            text += f"; {left} value{'s' if left != 1 else ''} left out (see its # unresolved lines)"
        if problems:
            text += f"; not valid yet: {problems} problem{'s' if problems != 1 else ''}, open it with e"
        self.notify(text, severity="warning" if problems or left else "information", timeout=10, markup=False)
        if first.tasks and first.tasks[0].task_id:
            self.select_after_load = (first.path, first.tasks[0].task_id)
        self.kapp.load_tasks()

    def palette_entries(self) -> list[PaletteEntry]:
        return [
            PaletteEntry("Launch task", "run the selected task", self.action_launch),
            PaletteEntry("Launch with overrides", "--set KEY=VALUE ...", self.action_launch_with_overrides),
            PaletteEntry("Edit task", "open the spec in the editor", self.action_edit),
            PaletteEntry("New task", "write a spec in the user's task folder", self.action_new),
            PaletteEntry("Reload tasks", "scan the task folders again", self.action_reload),
            PaletteEntry("Import a DAG file", "task specs from the pod operator calls of an Airflow DAG",
                         self.action_import_dag),
        ]

