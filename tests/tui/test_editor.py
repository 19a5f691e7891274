"""The editor: every problem listed with its line and marked in the text; launch only when valid."""

from __future__ import annotations

from textual.widgets import Input

from kpodtui.tui.app import KpodApp
from kpodtui.tui.dialogs.overrides_dialog import OverridesDialog
from kpodtui.tui.screens.editor_screen import EditorScreen
from kpodtui.tui.screens.run_screen import RunScreen
from kpodtui.tui.widgets.spec_editor import SpecEditor

from .conftest import rendered_text, wait_for
from .fakes import FakeBackend

THREE_PROBLEMS = (
    "task_id: hello\n"
    "image: busybox:1.36\n"
    "cmdz: [sh, -c]\n"
    "startup_timeout_seconds: soon\n"
    "---\n"
    "task_id: other\n"
)
VALID = "task_id: hello\nimage: busybox:1.36\ncmds: [sh, -c, 'echo hi']\n"


async def open_editor(pilot, text: str, path=None) -> EditorScreen:
    editor = EditorScreen(path, text=text)
    await pilot.app.push_screen(editor)
    await wait_for(pilot, lambda: editor.checked_generation == editor.generation, what="validation")
    return editor


async def test_every_problem_is_listed_marked_and_reachable(tmp_path):
    app = KpodApp(lambda: FakeBackend(), start_mode="tasks")
    async with app.run_test(size=(120, 36)) as pilot:
        editor = await open_editor(pilot, THREE_PROBLEMS, tmp_path / "t.yaml")
        assert [p.line for p in editor.problems] == [3, 4, 6]
        panel = rendered_text(editor.query_one("#editor-problems"))
        assert "3 problems" in panel
        for fragment in ("line 3", "cmdz", "line 4", "startup_timeout_seconds", "line 6", "image"):
            assert fragment in panel
        area = editor.query_one(SpecEditor)
        assert area.problem_lines == {3, 4, 6}
        # f8 walks the problems and wraps around
        area.move_cursor((0, 0))
        rows = []
        for _ in range(4):
            await pilot.press("f8")
            rows.append(area.cursor_location[0] + 1)
        assert rows == [3, 4, 6, 3]
        # fixing the text clears the list and the marks
        area.text = VALID
        await wait_for(pilot, lambda: editor.checked_generation == editor.generation and not editor.problems)
        assert area.problem_lines == frozenset()
        assert "valid: hello" in rendered_text(editor.query_one("#editor-problems"))


async def test_launch_with_overrides_checks_them_first(tmp_path):
    backend = FakeBackend()
    app = KpodApp(lambda: backend, start_mode="tasks")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.backend is not None, what="backend")
        editor = await open_editor(pilot, VALID, tmp_path / "t.yaml")
        assert not editor.problems
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, OverridesDialog), what="overrides dialog")
        dialog = app.screen
        dialog.query_one(Input).value = "startup_timeout_seconds=soon"
        await pilot.press("enter")
        await pilot.pause()
        error = str(dialog.query_one("#overrides-error").render())
        assert "startup_timeout_seconds" in error and app.screen is dialog and not backend.launched
        dialog.query_one(Input).value = "image=alpine:3 params.n=3"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), what="run view")
        assert backend.launched[0][2] == ["image=alpine:3", "params.n=3"]


async def test_escape_leaves_the_editor_and_never_drops_edits_silently(tmp_path):
    from kpodtui.tui.dialogs.confirm_dialog import ConfirmDialog

    spec = tmp_path / "t.yaml"
    spec.write_text(VALID)
    app = KpodApp(lambda: FakeBackend(), start_mode="tasks")
    async with app.run_test(size=(120, 36)) as pilot:
        tasks = app.screen
        # untouched: escape (from inside the text, where the cursor is) goes back at once
        editor = await open_editor(pilot, VALID, spec)
        assert editor.query_one(SpecEditor).has_focus
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is tasks, what="back to the tasks list")
        # edited: escape asks; "n" keeps the editor and the edit
        editor = await open_editor(pilot, VALID, spec)
        await pilot.press("x")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="discard question")
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is editor, what="back in the editor")
        assert editor.text == "x" + VALID
        # F2 (the tasks list) asks too; "y" drops the edit, the file is untouched
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="discard question on f2")
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is tasks, what="tasks list after discarding")
        assert spec.read_text() == VALID
        # saved edits leave without a question
        editor = await open_editor(pilot, VALID, spec)
        await pilot.press("y")
        await pilot.press("ctrl+s")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is tasks, what="back after saving")
        assert spec.read_text() == "y" + VALID


async def test_quit_with_an_unsaved_editor_asks_first(tmp_path):
    from kpodtui.tui.dialogs.confirm_dialog import ConfirmDialog

    app = KpodApp(lambda: FakeBackend(), start_mode="tasks")
    async with app.run_test(size=(120, 36)) as pilot:
        editor = await open_editor(pilot, VALID, tmp_path / "t.yaml")
        await pilot.press("z")
        await pilot.press("f3")  # the runs list; the editor waits in the tasks mode
        await wait_for(pilot, lambda: app.current_mode == "runs", what="runs mode")
        await app.run_action("quit")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="discard question on quit")
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and editor.text == "z" + VALID
