"""Lists (filter, sort, reason, context and namespace) and layouts that fit 80x24: a footer with
the actions that matter first and no word cut, a header that wraps, an events pane that folds."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input

from kpodtui.engine.events import ClusterEvent, PodAssigned
from kpodtui.tui.app import KpodApp
from kpodtui.tui.data.backend import RunRow
from kpodtui.tui.dialogs.new_task_dialog import NewTaskDialog
from kpodtui.tui.dialogs.target_dialog import TargetDialog
from kpodtui.tui.screens.editor_screen import EditorScreen
from kpodtui.tui.screens.runs_screen import RunsScreen
from kpodtui.tui.screens.tasks_screen import TasksScreen
from kpodtui.tui.widgets.app_header import AppHeader
from kpodtui.tui.widgets.events_list import EventsList
from kpodtui.tui.widgets.key_footer import KeyFooter
from kpodtui.tui.widgets.run_header import RunHeader

from .conftest import FROZEN_AT, rendered_text, wait_for
from .fakes import FakeBackend, live_run_events, ts
from .test_app_keys import launched, make_app

DATA = Path(__file__).parent / "data"


def rows() -> list[RunRow]:
    return [
        RunRow("r1", "nightly-report", "Failed", False, "nightly-1", "default", "sim", FROZEN_AT - 3600,
               FROZEN_AT - 3540, 137, reason="OOMKilled"),
        RunRow("r2", "hello", "Succeeded", False, "hello-2", "default", "sim", FROZEN_AT - 600, FROZEN_AT - 590, 0),
        RunRow("r3", "fetch", "Failed", False, "fetch-3", "batch", "sim", FROZEN_AT - 300, FROZEN_AT - 290,
               reason="ErrImagePull"),
        RunRow("r4", "hello", "Running", True, "hello-4", "default", "sim", FROZEN_AT - 42, detached=True),
    ]


def shown_ids(screen: RunsScreen) -> list[str]:
    return [r.run_id for r in screen.rows]


async def runs_list(pilot) -> RunsScreen:
    app: KpodApp = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and len(app.screen.rows) == 4, what="runs")
    return app.screen  # type: ignore[return-value]


async def test_runs_filter_sort_and_reason_column():
    app = make_app(FakeBackend(rows()), start_mode="runs")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await runs_list(pilot)
        assert shown_ids(screen) == ["r4", "r3", "r2", "r1"]  # live first, newest first
        table = screen.query_one(DataTable)
        assert str(table.get_row("r1")[3]) == "OOMKilled" and str(table.get_row("r3")[3]) == "ErrImagePull"
        await pilot.press("slash", *"hello")
        await wait_for(pilot, lambda: shown_ids(screen) == ["r4", "r2"], what="filtered")
        await pilot.press("enter")
        assert app.screen is screen  # enter closes the filter bar, it does not open a run
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(shown_ids(screen)) == 4, what="filter cleared")
        await pilot.press("S")  # sort by run
        assert shown_ids(screen) == ["r1", "r2", "r3", "r4"]
        await pilot.press("I")
        assert shown_ids(screen) == ["r4", "r3", "r2", "r1"]
        await pilot.press("I", "S", "S", "S")  # task, state, reason
        assert screen.sort_by == "reason" and not screen.descending
        assert shown_ids(screen)[-2:] == ["r3", "r1"]  # ErrImagePull, OOMKilled (after the empty reasons)
        assert "reason ▲" in str(table.columns[table.ordered_columns[3].key].label)
        await pilot.click("#runs-table", offset=(2, 0))  # a click on the "run" header sorts by it
        await wait_for(pilot, lambda: screen.sort_by == "run", what="sorted by a click")
        await pilot.click("#runs-table", offset=(2, 0))  # again: the other way
        await wait_for(pilot, lambda: screen.descending and shown_ids(screen) == ["r4", "r3", "r2", "r1"],
                       what="the other way")


async def test_tasks_filter_and_sort(monkeypatch):
    monkeypatch.setattr("kpodtui.paths.sample_tasks_dir", lambda: None)
    app = make_app(FakeBackend(), spec_paths=[DATA / "tasks"])
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, TasksScreen) and len(app.screen.entries) == 2,
                       what="tasks")
        screen: TasksScreen = app.screen  # type: ignore[assignment]
        assert [e.task_id for e in screen.entries] == ["hello", "nightly-report"]
        await pilot.press("I")
        assert [e.task_id for e in screen.entries] == ["nightly-report", "hello"]
        await pilot.press("slash", *"night", "enter")
        assert [e.task_id for e in screen.entries] == ["nightly-report"]
        await pilot.press("escape")
        assert len(screen.entries) == 2


async def test_new_task_asks_for_a_name_and_folder_and_refuses_a_taken_id(tmp_path, monkeypatch):
    monkeypatch.setattr("kpodtui.paths.sample_tasks_dir", lambda: None)
    monkeypatch.setenv("KPODTUI_CONFIG_DIR", str(tmp_path / "config"))
    app = make_app(FakeBackend(), spec_paths=[DATA / "tasks"])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(app.task_entries()) == 2, what="tasks")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NewTaskDialog), what="the question")
        dialog = app.screen
        folder = dialog.query_one("#new-task-folder", Input)
        assert folder.value.endswith("config/tasks")  # the default, shown
        task_id = dialog.query_one("#new-task-id", Input)
        task_id.value = "hello"
        await pilot.pause()
        assert dialog.query_one("#new-task-file", Input).value == "hello.yaml"  # follows the id
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog
        assert "already listed" in str(dialog.query_one("#new-task-error").render())
        task_id.value = "fresh-task"
        dialog.query_one("#new-task-folder", Input).value = str(tmp_path / "elsewhere")
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, EditorScreen), what="the editor")
        editor: EditorScreen = app.screen  # type: ignore[assignment]
        assert editor.path == tmp_path / "elsewhere" / "fresh-task.yaml" and "task_id: fresh-task" in editor.text
        assert editor.unsaved  # nothing written until ctrl+s
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: editor.path.exists(), what="saved")
        assert "task_id: fresh-task" in editor.path.read_text()


async def test_context_and_namespace_are_shown_everywhere_and_switched_for_launches():
    backend = FakeBackend(script=live_run_events("x"))
    app = make_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.target is not None, what="the target")
        assert "context sim · namespace default" in rendered_text(app.screen.query_one(AppHeader))
        await pilot.press("colon")
        await wait_for(pilot, lambda: isinstance(app.screen, TargetDialog), what="the switcher")
        await pilot.press("j", "enter")  # context "other", then the namespace field
        field = app.screen.query_one(Input)
        field.value = "batch"
        await pilot.press("enter")
        await wait_for(pilot, lambda: backend.where == ("other", "batch"), what="switched")
        await wait_for(pilot, lambda: "context other · namespace batch" in rendered_text(
            app.screen.query_one(AppHeader)), what="said")
        screen = await launched(pilot)
        assert "context other · namespace batch" in rendered_text(screen.query_one(AppHeader))


async def test_at_80x24_a_dialogs_help_text_and_the_spec_path_are_not_cut():
    app = KpodApp(lambda: FakeBackend(), start_mode="tasks", spec_paths=[DATA / "tasks"])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.target is not None and app.screen.previewed is not None, what="the list")
        await pilot.pause()
        title = app.screen.query_one("#spec-title")
        row = app.screen._compositor.render_strips()[title.region.y].text[title.region.x:title.region.right]
        # one line ending in an ellipsis: not a path cut mid-word onto a second line
        assert title.region.height == 1 and row.strip().startswith("Spec  tests/") and row.strip().endswith("…")
        await pilot.press("colon")
        await wait_for(pilot, lambda: isinstance(app.screen, TargetDialog), what="the switcher")
        await pilot.pause()
        hint = app.screen.query(".dialog-hint").last()
        assert hint.size.height >= 2  # wrapped inside the dialog
        assert " ".join(rendered_text(hint).split()).endswith("Runs already launched stay where they are.")


def _footer(screen) -> tuple[str, list]:
    footer = screen.query_one(KeyFooter)
    return footer.render().plain, footer.shown()


async def test_at_80x24_the_footer_shows_what_matters_first_whole_words_only():
    backend = FakeBackend(script=live_run_events("x"))
    app = make_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await launched(pilot)
        await pilot.pause()
        text, shown = _footer(screen)
        described = [e.description for e in shown]
        assert described[:2] == ["Kill", "Keep"] and described[-2:] == ["Back", "Help"]
        assert len(text) <= 80
        for entry in shown:  # every entry shown whole: its keys and all of its words
            assert f"{entry.keys} {entry.description}" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, what="the tasks list")
        text, shown = _footer(app.screen)
        assert [e.description for e in shown][-2:] == ["Quit", "Help"]
        for entry in shown:
            assert f"{entry.keys} {entry.description}" in text


async def test_at_80x24_the_header_wraps_instead_of_cutting():
    long_pod = "nightly-report-with-a-very-long-name-abcdef1234"
    events = [PodAssigned("x", long_pod, "team-analytics-prod", "arn-aws-eks-eu-west-1-cluster-prod",
                          containers=("base", "sidecar"))] + live_run_events("x")[1:]
    events = [e for e in events if not (isinstance(e, PodAssigned) and e.pod_name == "hello-abc12")]
    app = make_app(FakeBackend(script=events))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await launched(pilot, ["params.n=3"])
        text = " ".join(rendered_text(screen.query_one(RunHeader)).split())
        for word in (long_pod, "team-analytics-prod", "arn-aws-eks-eu-west-1-cluster-prod", "elapsed",
                     "--set params.n=3"):
            assert word in text


async def test_events_wrap_fold_under_the_logs_below_100_columns_and_widen():
    events = live_run_events("x") + [
        ClusterEvent("x", "Normal", "Created", "Created container: worker-a", timestamp=ts(22), uid="w1"),
        ClusterEvent("x", "Normal", "Created", "Created container: worker-b", timestamp=ts(23), uid="w2"),
    ]
    app = make_app(FakeBackend(script=events))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await launched(pilot)
        listed = screen.query_one(EventsList)
        await wait_for(pilot, lambda: listed.option_count == 5, what="events")
        assert screen.has_class("-narrow")
        side, logs = screen.query_one("#run-side"), screen.query_one("#log-pane")
        assert side.region.y >= logs.region.bottom  # under the logs
        assert side.region.width == 80
        shown = "\n".join(str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count))
        assert "Created container: worker-a" in shown and "Created container: worker-b" in shown
        height = side.region.height
        await pilot.press("plus")
        await pilot.pause()
        assert side.region.height > height
        await pilot.press("E")
        await pilot.pause()
        assert not side.display and logs.region.height > 10
        await pilot.press("E")
        await pilot.pause()
        await pilot.resize_terminal(160, 48)
        await wait_for(pilot, lambda: not screen.has_class("-narrow"), what="wide")
        await pilot.pause()
        assert side.region.x >= logs.region.right  # beside the logs
        width = side.region.width
        await pilot.press("plus")
        await pilot.pause()
        assert side.region.width > width
        # a long message wraps within the pane: each event is whole on screen
        listed.focus()
        listed.highlighted = 4
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is not screen, what="the event in full")
