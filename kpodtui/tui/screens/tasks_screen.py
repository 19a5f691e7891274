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
from textual.widgets import Input, Label, Static

from kpodtui import paths
from kpodtui.paths import display_path
from kpodtui.termsafe import escape
from kpodtui.tui.commands import PaletteEntry
from kpodtui.tui.data.backend import TaskEntry
from kpodtui.tui.data.spec_support import check_text, dry_run, import_dag
from kpodtui.tui.screens.list_filter import FilterSort
from kpodtui.tui.widgets.app_header import AppHeader
from kpodtui.tui.widgets.key_footer import KeyFooter
from kpodtui.tui.widgets.lists import KTable

if TYPE_CHECKING:
    from kpodtui.tui.app import KpodApp

ORIGIN_LABELS = {"given": "given", "user": "my tasks", "sample": "sample"}


def _syntax(text: str) -> Syntax:
    # a spec file may hold anything: its control characters are shown, not sent to the terminal
    return Syntax(escape(text), "yaml", theme="ansi_dark", background_color="default", line_numbers=False)


TASK_COLUMNS = ("task", "where", "file")


class TasksScreen(FilterSort, Screen[None]):
    """Pick a task; preview its spec and dry-run manifest; launch or edit it.

    ``/`` filters, ``S`` sorts by the next column and ``I`` inverts (a click on a header sorts).
    """

    HELP_GROUP = "Tasks"
    BINDINGS = [
        Binding("l", "launch", "Launch", id="launch"),
        Binding("o", "launch_with_overrides", "Launch with --set", id="launch-overrides"),
        Binding("e", "edit", "Edit", id="edit"),
        Binding("n", "new", "New task", id="new-task"),
        Binding("slash", "filter", "Filter", id="filter-tasks", key_display="/"),
        Binding("S", "sort(1)", "Sort", id="sort-tasks"),
        Binding("I", "invert", "Invert", id="invert-tasks"),
        Binding("i", "import_dag", "Import DAG", id="import-dag"),
        Binding("f5", "reload", "Reload", id="reload-tasks"),
        Binding("escape", "clear_filter", "Clear filter", id="clear-filter-tasks", show=False),
    ]
    FILTER_ID, TABLE_ID, SORT_COLUMNS = "tasks-filter", "task-list", TASK_COLUMNS
    UNSORTED = "as found: given paths, my tasks, samples"

    @dataclass
    class PreviewReady(Message):
        entry: TaskEntry
        spec_text: str
        manifest: str

    def compose(self) -> ComposeResult:
        yield AppHeader("tasks")
        with Horizontal():
            with Vertical(id="task-list-box"):
                yield KTable(id="task-list", cursor_type="row")
                yield Input(placeholder="filter (escape: clear)", id="tasks-filter")
            with Vertical(id="task-preview"):
                yield Label("Spec", classes="pane-title", id="spec-title")
                with VerticalScroll(id="spec-scroll"):
                    yield Static(id="spec-preview")
                yield Label("Pod it would create (dry run)", classes="pane-title")
                with VerticalScroll(id="manifest-scroll"):
                    yield Static(id="manifest-preview")
        yield KeyFooter()

    @property
    def kapp(self) -> KpodApp:
        return cast("KpodApp", self.app)

    def on_mount(self) -> None:
        self.sub_title = "tasks"
        self.entries: list[TaskEntry] = []  # as shown (filtered, sorted)
        self._all: list[TaskEntry] = []
        self.previewed: TaskEntry | None = None
        self.select_after_load: tuple[Path, str] | None = None  # an imported task, once listed
        table = self.query_one("#task-list", KTable)
        self._columns = table.add_columns(*TASK_COLUMNS)
        self.query_one("#tasks-filter").display = False
        self.show_tasks(self.kapp.task_entries())
        table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            return self.filter_shown()
        return True

    @staticmethod
    def _cells(entry: TaskEntry) -> tuple[str, str, str]:
        return entry.task_id, ORIGIN_LABELS.get(entry.origin, entry.origin), entry.path.name

    def show_tasks(self, entries: list[TaskEntry]) -> None:
        self._all = list(entries)
        table = self.query_one("#task-list", KTable)
        picked = self.selected
        keep = table.cursor_row
        needle = self.filter_text.lower()
        shown = [e for e in entries if not needle or any(needle in c.lower() for c in self._cells(e))]
        if self.sort_by is not None:
            at = TASK_COLUMNS.index(self.sort_by)
            shown.sort(key=lambda e: self._cells(e)[at].lower(), reverse=self.descending)
        elif self.descending:
            shown.reverse()
        self.entries = shown
        table.clear()
        for i, entry in enumerate(shown):
            task, where, name = self._cells(entry)
            table.add_row(Text(escape(task), "bold" if not entry.error else "red"), Text(where, "dim"),
                          Text(escape(name), "dim"), key=f"task-{i}")
        for key, name in zip(self._columns, TASK_COLUMNS, strict=True):
            mark = (" ▼" if self.descending else " ▲") if name == self.sort_by else ""
            table.columns[key].label = Text(name + mark)
        if shown:
            index = self._wanted(shown)  # an imported task, once listed
            if index is None:
                index = next((i for i, e in enumerate(shown) if e == picked), None)
            table.move_cursor(row=min(keep, len(shown) - 1) if index is None else index)
            self._highlighted_now()
        elif entries:
            self.query_one("#spec-preview", Static).update(Text(f"No task matches {self.filter_text!r}.", "dim"))
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
        if not getattr(self, "entries", None):
            return None
        row = self.query_one("#task-list", KTable).cursor_row
        return self.entries[row] if 0 <= row < len(self.entries) else None

    @on(KTable.RowHighlighted, "#task-list")
    def _highlighted(self, event: KTable.RowHighlighted) -> None:
        self._highlighted_now()

    def _highlighted_now(self) -> None:
        entry = self.selected
        if entry is not None and entry != self.previewed:
            self.load_preview(entry)

    @on(KTable.RowSelected, "#task-list")
    def _selected(self, event: KTable.RowSelected) -> None:
        self.action_launch()

    def reshow(self) -> None:
        self.show_tasks(self._all)

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
        """``n``: ask for the task id, file name and folder (defaults shown), then open the editor."""
        # dialogs and the editor (TextArea) load when opened
        from kpodtui.paths import tasks_dir
        from kpodtui.tui.dialogs.new_task_dialog import NewTaskDialog
        from kpodtui.tui.screens.editor_screen import EditorScreen, new_spec

        def chosen(answer: tuple[str, Path] | None) -> None:
            if answer is not None:
                task_id, path = answer
                self.app.push_screen(EditorScreen(path, text=new_spec(task_id), new=True))

        taken = {e.task_id for e in self.kapp.task_entries()}
        self.app.push_screen(NewTaskDialog(tasks_dir(), taken), chosen)

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

