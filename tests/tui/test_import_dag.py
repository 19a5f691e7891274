"""Importing an Airflow DAG file from the tasks screen: its tasks are listed at once, the first selected."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from kpodtui import paths
from kpodtui.tui.app import KpodApp
from kpodtui.tui.dialogs.import_dialog import ImportDialog

from .conftest import wait_for
from .fakes import FakeBackend

CORPUS = Path(__file__).resolve().parents[1] / "dagimport" / "corpus"


def _listed(app: KpodApp) -> list[tuple[str, str]]:
    return [(e.task_id, e.path.name) for e in app.task_entries() if e.origin == "user"]


async def _import(pilot, path: str) -> ImportDialog:
    await pilot.press("i")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ImportDialog), what="import dialog")
    dialog = pilot.app.screen
    dialog.query_one(Input).value = path
    await pilot.press("enter")
    return dialog


async def test_import_lists_the_tasks_at_once_and_never_overwrites(monkeypatch):
    monkeypatch.setattr("kpodtui.paths.sample_tasks_dir", lambda: None)
    app = KpodApp(lambda: FakeBackend(), start_mode="tasks")
    async with app.run_test(size=(120, 36)) as pilot:
        await _import(pilot, str(CORPUS / "provider_pod.py"))
        await wait_for(pilot, lambda: ("publish", "etl_daily.yaml") in _listed(app), what="imported tasks")
        assert _listed(app) == [("extract", "etl_daily.yaml"), ("publish", "etl_daily.yaml")]
        assert app.screen.selected.task_id == "extract"
        written = paths.tasks_dir() / "etl_daily.yaml"
        assert written.read_text().startswith("# imported by kpodtui from ")
        first = written.read_text()

        # the same DAG again: a new file beside it, the first one untouched
        await _import(pilot, str(CORPUS / "provider_pod.py"))
        await wait_for(pilot, lambda: ("extract", "etl_daily-2.yaml") in _listed(app), what="second import")
        assert written.read_text() == first
        assert app.screen.selected.path.name == "etl_daily-2.yaml"


async def test_a_file_that_cannot_be_imported_says_why_and_keeps_the_dialog(tmp_path):
    not_python = tmp_path / "task.yaml"
    not_python.write_text("task_id: x\nimage: busybox\n")
    app = KpodApp(lambda: FakeBackend(), start_mode="tasks")
    async with app.run_test(size=(120, 36)) as pilot:
        dialog = await _import(pilot, str(not_python))
        error = dialog.query_one("#import-error")
        await wait_for(pilot, lambda: "not Python source" in str(error.render()), what="the error")
        assert app.screen is dialog
        assert not paths.tasks_dir().exists() or not any(paths.tasks_dir().iterdir())
        # corrected in place
        dialog.query_one(Input).value = str(CORPUS / "aliases.py")
        await pilot.press("enter")
        await wait_for(pilot, lambda: ("dns", "ops_checks.yaml") in _listed(app), what="imported tasks")
        assert not isinstance(app.screen, ImportDialog)


async def test_import_is_in_the_footer_and_the_palette():
    from textual.command import CommandList, CommandPalette

    from kpodtui.tui.widgets.key_footer import KeyFooter

    app = KpodApp(lambda: FakeBackend(), start_mode="tasks")
    async with app.run_test(size=(160, 36)) as pilot:
        await wait_for(pilot, lambda: any(e.description == "Import DAG" for e in app.screen.query_one(KeyFooter).shown()),
                       what="the footer key")
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="palette")
        await pilot.press(*"import a dag")
        results = app.screen.query_one(CommandList)

        def offered() -> bool:
            return results.option_count > 0 and "Import a DAG file" in str(results.get_option_at_index(0).prompt)

        await wait_for(pilot, offered, what="the palette entry")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportDialog), what="import dialog from the palette")


def test_snapshot_import_dialog_with_a_problem(snap_compare, monkeypatch):
    from .conftest import settled

    monkeypatch.setattr("kpodtui.paths.sample_tasks_dir", lambda: None)
    monkeypatch.setattr("kpodtui.paths.tasks_dir", lambda: Path("/home/me/.config/kpodtui/tasks"))

    async def run_before(pilot):
        # the screen under the dialog as it settles: its context and namespace known
        await wait_for(pilot, lambda: pilot.app.target is not None, what="context and namespace")
        await settled(pilot)
        dialog = await _import(pilot, "dags/missing.py")
        await wait_for(pilot, lambda: "no such file" in str(dialog.query_one("#import-error").render()),
                       what="the error")
        await settled(pilot)

    app = KpodApp(lambda: FakeBackend(), start_mode="tasks", reattach_on_start=False)
    assert snap_compare(app, terminal_size=(130, 36), run_before=run_before)
