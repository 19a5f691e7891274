"""Editor: a spec in a YAML editor, validated as you type; save; launch (only when valid)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static, TextArea

from kpodtui.paths import display_path
from kpodtui.tui.commands import PaletteEntry
from kpodtui.tui.data.spec_support import Problem, check_text
from kpodtui.tui.data.tasks import new_spec_path
from kpodtui.tui.dialogs.overrides_dialog import OverridesDialog
from kpodtui.tui.widgets.app_header import AppHeader
from kpodtui.tui.widgets.key_footer import KeyFooter
from kpodtui.tui.widgets.spec_editor import SpecEditor

if TYPE_CHECKING:
    from kpodtui.tui.app import KpodApp

NEW_SPEC = """\
# A task: one pod, run to completion. Keys are the pod operator's parameters.
task_id: my-task
image: busybox:1.36
cmds: ["sh", "-c"]
arguments: ["echo hello from kpodtui"]
"""


def new_spec(task_id: str) -> str:
    """The text a new task starts from."""
    return NEW_SPEC.replace("task_id: my-task", f"task_id: {task_id}")


class EditorScreen(Screen[None]):
    """Edit a spec file (or a new one in the user's task folder)."""

    HELP_GROUP = "Editor"
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("ctrl+s", "save", "Save", id="editor-save"),
        Binding("ctrl+r", "launch", "Launch", id="editor-launch"),
        Binding("ctrl+o", "launch_with_overrides", "Launch with --set", id="editor-launch-overrides"),
        Binding("f8", "next_problem", "Next problem", id="editor-next-problem"),
    ]

    MAX_LISTED = 7  # problems listed under the editor; the rest are counted (every line is marked)

    @dataclass
    class Checked(Message):
        """The text was validated (``generation`` says which edit it belongs to)."""

        generation: int
        problems: list[Problem]
        task_ids: list[str]

    def __init__(self, path: Path | None, text: str | None = None, new: bool = False) -> None:
        """``new``: ``path`` is where a new task will be saved (not written yet)."""
        super().__init__()
        self.path = path
        self.new = new
        self.initial = text if text is not None else (path.read_text(encoding="utf-8") if path and not new
                                                      else NEW_SPEC)
        self.problems: list[Problem] = []
        self.task_ids: list[str] = []
        self.generation = 0
        self.checked_generation = -1
        # what leaving without saving loses nothing against (a new file: everything, until saved)
        self.baseline: str | None = None if new else self.initial
        self._debounce: Timer | None = None

    @property
    def kapp(self) -> KpodApp:
        return cast("KpodApp", self.app)

    def compose(self) -> ComposeResult:
        where = display_path(self.path) if self.path else "new task"
        yield AppHeader(f"editor · {where}" + (" (not saved yet)" if self.new or not self.path else ""))
        yield SpecEditor.code_editor(self.initial, language="yaml", id="editor", soft_wrap=False)
        yield Static(id="editor-problems")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = display_path(self.path) if self.path else "new task (unsaved)"
        self.query_one(TextArea).focus()
        self._check_now()

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    @on(TextArea.Changed, "#editor")
    def _changed(self, event: TextArea.Changed) -> None:
        self.generation += 1
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.25, self._check_now)

    def _check_now(self) -> None:
        self.check(self.generation, self.text)

    @work(thread=True, exit_on_error=False, group="validate", exclusive=True)
    def check(self, generation: int, text: str) -> None:
        try:
            problems, specs = check_text(text, self.path)
        except ImportError as exc:
            problems, specs = [Problem(f"spec checking unavailable: {exc}")], []
        except Exception as exc:
            problems, specs = [Problem(f"{type(exc).__name__}: {exc}")], []
        self.post_message(self.Checked(generation, problems, [s.task_id for s in specs]))

    @on(Checked)
    def _checked(self, message: Checked) -> None:
        if message.generation != self.generation:
            return  # an older edit; a newer check is on its way
        self.checked_generation = message.generation
        self.problems = message.problems
        self.task_ids = message.task_ids
        panel = self.query_one("#editor-problems", Static)
        if not self.problems:
            tasks = ", ".join(self.task_ids)
            panel.update(Text(f"✓ valid: {tasks}", "green"))
            panel.set_class(False, "-errors")
        else:
            count = len(self.problems)
            text = Text(f"{count} problem{'s' if count > 1 else ''} (f8: next)\n", "bold")
            for i, p in enumerate(self.problems[: self.MAX_LISTED]):
                if i:
                    text.append("\n")
                text.append("✗ ", "bold red")
                text.append(p.describe())
            if count > self.MAX_LISTED:
                text.append(f"\n… and {count - self.MAX_LISTED} more", "dim")
            panel.update(text)
            panel.set_class(True, "-errors")
        editor = self.query_one(SpecEditor)
        lines = [p.line for p in self.problems if p.line]
        editor.mark_lines(lines)
        editor.set_class(bool(self.problems), "-has-errors")

    def action_next_problem(self) -> None:
        """Move the cursor to the next problem's line (wrapping around)."""
        located = sorted({(p.line, p.column or 1) for p in self.problems if p.line})
        if not located:
            self.notify("no problems with a line number" if self.problems else "no problems", timeout=2)
            return
        editor = self.query_one(SpecEditor)
        row = editor.cursor_location[0] + 1
        line, column = next(((ln, col) for ln, col in located if ln > row), located[0])
        editor.move_cursor((line - 1, column - 1), center=True)
        editor.focus()

    @property
    def valid(self) -> bool:
        return self.checked_generation == self.generation and not self.problems and bool(self.task_ids)

    def action_save(self) -> bool:
        """Write the file (a new spec goes to the user's task folder)."""
        if self.path is None:
            self.path = new_spec_path(self.task_ids[0] if self.task_ids else "my-task")
            self.sub_title = display_path(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(self.text, encoding="utf-8")
        except OSError as exc:
            self.notify(f"cannot save: {exc}", severity="error", markup=False)
            return False
        self.baseline = self.text
        if self.new:
            self.new = False
            self.query_one(AppHeader).where = f"editor · {display_path(self.path)}"
            self.query_one(AppHeader).show()
        self.notify(f"saved {self.path}", timeout=3, markup=False)
        self.kapp.load_tasks()
        return True

    def _launch(self, overrides: list[str]) -> None:
        if not self.valid:
            reason = "still checking" if self.checked_generation != self.generation else "fix the errors first"
            self.notify(f"cannot launch: {reason}", severity="error", markup=False)
            return
        self.kapp.launch(self.path, self.text, self.task_ids[0], overrides)

    def action_launch(self) -> None:
        self._launch([])

    def action_launch_with_overrides(self) -> None:
        if not self.valid:
            self._launch([])
            return

        def got(overrides: list[str] | None) -> None:
            if overrides is not None:
                self._launch(overrides)

        self.app.push_screen(OverridesDialog(self.task_ids[0], self._check_overrides), got)

    def _check_overrides(self, overrides: list[str]) -> list[str]:
        return [p.describe() for p in check_text(self.text, self.path, overrides)[0]]

    @property
    def unsaved(self) -> bool:
        """Edits that leaving would lose."""
        return self.is_mounted and self.text != self.baseline

    def action_back(self) -> None:
        self.kapp.leave_editors([self], self.dismiss)

    def palette_entries(self) -> list[PaletteEntry]:
        return [
            PaletteEntry("Save spec", "write the file", self.action_save),
            PaletteEntry("Launch", "run this spec (must be valid)", self.action_launch),
            PaletteEntry("Launch with overrides", "--set KEY=VALUE ...", self.action_launch_with_overrides),
        ]
