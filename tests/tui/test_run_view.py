"""The run view driven by real engine events through a fake backend."""

from __future__ import annotations

from kpodtui.engine.events import ClusterEvent, LogBatch, LogLine, LogStreamState
from kpodtui.tui.app import KpodApp
from kpodtui.tui.screens.run_screen import RunScreen
from kpodtui.tui.widgets.log_view import LogView

from .conftest import rendered_text, wait_for
from .fakes import FakeBackend, finished_events, live_run_events, ts


def make_app(backend: FakeBackend) -> KpodApp:
    return KpodApp(lambda: backend, start_mode="tasks")


async def launch(app: KpodApp, pilot) -> RunScreen:
    app.launch(None, "task_id: hello\n", "hello")
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), what="run screen")
    screen = app.screen
    await wait_for(pilot, lambda: screen.followed is not None, what="run screen attached")  # composed, too
    return screen  # type: ignore[return-value]


async def test_lines_reach_the_log_pane_and_phase_shows():
    backend = FakeBackend(script=live_run_events("x"))
    app = make_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await launch(app, pilot)
        view = screen.query_one(LogView)
        await wait_for(pilot, lambda: view.count == 30, what="30 lines")
        assert view.follow
        assert view.visible_lines()[-1].text == "step 29: processing item 203"
        handle = backend.handles["run1"]
        for ev in finished_events("run1"):
            handle.emit(ev)
        await wait_for(pilot, lambda: screen.followed.model.finished is not None, what="finish")
        assert screen.followed.model.phase == "Succeeded"


async def test_follow_search_filter_and_tabs():
    backend = FakeBackend(script=live_run_events("x", lines=300))
    app = make_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await launch(app, pilot)
        view = screen.query_one(LogView)
        await wait_for(pilot, lambda: view.count == 300)
        await pilot.press("up", "up")
        assert not view.follow and view.cursor is not None
        handle = backend.handles["run1"]
        handle.emit(LogBatch("run1", tuple(LogLine("base", "", f"more {i}") for i in range(50))))
        await wait_for(pilot, lambda: view.count == 350)
        assert not view.follow  # stays where the person is reading
        await pilot.press("end")
        assert view.follow and view.visible_lines()[-1].text == "more 49"
        # search highlights and jumps, keeping context
        await pilot.press("slash", *"item 70", "enter")
        assert view.match_count >= 1
        assert view.cursor is not None and "item 70" in view.buffer[view.cursor].text
        assert len(view.visible_lines()) > 5
        # filter hides the rest
        await pilot.press("F", *"heartbeat", "enter")
        await pilot.pause()
        assert all("heartbeat" in line.text for line in view.visible_lines())
        await pilot.press("F", "ctrl+u", "enter")
        assert view.count == 350
        # container tab
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: view.container == "base")
        assert all(line.container == "base" for line in view.visible_lines())


async def test_stream_broken_is_shown_and_failure_report():
    backend = FakeBackend(script=live_run_events("x"))
    app = make_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await launch(app, pilot)
        handle = backend.handles["run1"]
        handle.emit(LogStreamState("run1", "base", "broken", "connection reset"))
        status = screen.query_one("#log-status")
        await wait_for(pilot, lambda: "stream broken" in str(status.render()))
        for ev in finished_events("run1", failed=True):
            handle.emit(ev)
        outcome = screen.query_one("#outcome-body")
        await wait_for(pilot, lambda: "no such table" in str(outcome.render()))
        assert "FAILED" in str(outcome.render())


async def test_kill_asks_first():
    backend = FakeBackend(script=live_run_events("x"))
    app = make_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await launch(app, pilot)
        await pilot.press("x")
        await wait_for(pilot, lambda: app.screen is not screen)
        await pilot.press("y")
        await wait_for(pilot, lambda: backend.handles["run1"].killed)
        await wait_for(pilot, lambda: screen.followed.model.finished is not None)
        assert screen.followed.model.finished.outcome == "killed"


async def test_detach_then_reattach():
    backend = FakeBackend(script=live_run_events("x"))
    app = make_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await launch(app, pilot)
        view = screen.query_one(LogView)
        await wait_for(pilot, lambda: view.count == 30, what="lines")
        await pilot.press("D")  # (d is describe, as k9s)
        await wait_for(pilot, lambda: not app.followed.is_followed("run1"), what="detached")
        assert backend.handles["run1"].detached and not backend.handles["run1"].killed
        # the view stays, with its lines, and says what happened and what to do
        assert app.screen is screen and view.count == 30
        await wait_for(pilot, lambda: "detached" in rendered_text(screen.query_one("#run-header")))
        assert "a: reattach" in rendered_text(screen.query_one("#outcome-body"))
        await pilot.press("a")
        await wait_for(pilot, lambda: app.followed.is_followed("run1"), what="reattached")
        assert backend.handles["run1"] is not None and not backend.handles["run1"].detached  # a new handle
        handle = backend.handles["run1"]
        handle.emit(LogBatch("run1", (LogLine("base", "", "after reattach"),)))
        await wait_for(pilot, lambda: screen.followed is app.followed.followed("run1"), what="view follows again")
        await wait_for(pilot, lambda: any(line.text == "after reattach" for line in view.visible_lines()))


async def test_f2_and_f3_go_to_the_lists_themselves_and_the_run_goes_on():
    from kpodtui.tui.screens.runs_screen import RunsScreen
    from kpodtui.tui.screens.tasks_screen import TasksScreen

    backend = FakeBackend(script=live_run_events("x"))
    app = make_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await launch(app, pilot)
        view = screen.query_one(LogView)
        await wait_for(pilot, lambda: view.count == 30, what="lines")
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen), what="runs list")
        # back to the tasks list, not to the run view last opened from it
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, TasksScreen), what="tasks list")
        assert len(app.screen_stack) == 1
        assert app.followed.is_followed("run1") and not backend.handles["run1"].killed  # the run goes on


async def test_enter_on_an_event_shows_it_in_full():
    from textual.widgets import TextArea

    from kpodtui.tui.dialogs.text_dialog import TextDialog
    from kpodtui.tui.widgets.events_list import EventsList

    backend = FakeBackend(script=live_run_events("x"))
    app = make_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await launch(app, pilot)
        table = screen.query_one(EventsList)
        await wait_for(pilot, lambda: table.option_count == 3, what="events")
        table.focus()
        table.highlighted = 1
        # a new event arrives while the person reads an older one: the cursor stays on it
        handle = backend.handles[screen.run_id]
        handle.emit(ClusterEvent(handle.run_id, "Normal", "Pulled", "Pulled image", timestamp=ts(21), uid="e4"))
        await wait_for(pilot, lambda: table.option_count == 4, what="the new event")
        assert table.selected_event().reason == "BackOff"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog), what="event dialog")
        text = app.screen.query_one(TextArea).text
        assert text.startswith("Warning  BackOff  (x2)")
        assert 'Back-off pulling image "busybox:1.36"' in text  # the whole message, not the pane's cut
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="back to the run")


async def test_a_run_that_never_made_a_pod_does_not_claim_a_pod_was_kept():
    from kpodtui.engine.events import RunFinished

    report = "no pod was created: cannot reach the cluster at https://127.0.0.1:1: connection refused"
    backend = FakeBackend(script=[RunFinished("x", "failed", None, report, pod_deleted=False)])
    app = make_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await launch(app, pilot)
        await wait_for(pilot, lambda: "FAILED" in rendered_text(screen.query_one("#outcome-body")), what="verdict")
        text = " ".join(rendered_text(screen.query_one("#outcome-body")).split())
        assert "no pod was created: cannot reach the cluster" in text and "pod kept" not in text


async def test_the_header_drops_a_pending_cause_once_the_pod_runs():
    from kpodtui.engine.events import PodAssigned, PodStatusChanged, StatusMessage
    from kpodtui.tui.widgets.run_header import RunHeader

    script = [
        PodAssigned("x", "hello-abc12", "default", "sim", containers=("base",)),
        PodStatusChanged("x", "Pending"),
        StatusMessage("x", "Pending: base: ContainerCreating"),
    ]
    backend = FakeBackend(script=script)
    app = make_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await launch(app, pilot)
        header = screen.query_one(RunHeader)
        await wait_for(pilot, lambda: "ContainerCreating" in rendered_text(header), what="the pending cause")
        handle = backend.handles[screen.run_id]
        handle.emit(PodStatusChanged(handle.run_id, "Running"))
        await wait_for(pilot, lambda: "Running" in rendered_text(header), what="Running")
        assert "ContainerCreating" not in rendered_text(header)
        # a warning said while running stays until something replaces it
        handle.emit(StatusMessage(handle.run_id, "cannot read events: forbidden", "warning"))
        await wait_for(pilot, lambda: "cannot read events" in rendered_text(header), what="the warning")
        handle.emit(PodStatusChanged(handle.run_id, "Succeeded"))
        await wait_for(pilot, lambda: "Succeeded" in rendered_text(header), what="Succeeded")
        assert "cannot read events" in rendered_text(header)


async def test_quitting_with_a_live_run_on_the_in_process_sim_offers_no_detach():
    from textual.widgets import Button

    from kpodtui.tui.dialogs.quit_dialog import QuitDialog

    backend = FakeBackend(script=live_run_events("x"))
    backend.sim = object()  # what `kpodtui --sim` gives the app: a cluster that stops with it
    app = make_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await launch(app, pilot)
        await pilot.press("q")  # from the run view: back to the list (as less and k9s)
        await wait_for(pilot, lambda: app.screen is not screen and len(app.screen_stack) == 1, what="the list")
        assert not backend.handles[screen.run_id].killed
        await pilot.press("q")  # from the list: quit, asking first
        await wait_for(pilot, lambda: isinstance(app.screen, QuitDialog), what="quit question")
        dialog = app.screen
        assert "stops with kpodtui" in rendered_text(dialog.query_one(".dialog-message"))
        assert [b.id for b in dialog.query(Button)] == ["kill", "stay"]
        await pilot.press("d")  # no detaching a run whose cluster is about to stop
        await pilot.pause()
        assert app.screen is dialog and not backend.handles[screen.run_id].detached
        await pilot.press("k")
        await wait_for(pilot, lambda: backend.handles[screen.run_id].killed, what="the run killed")


async def test_a_damaged_history_quits_the_app_with_one_line_rather_than_show_no_runs(tmp_path, monkeypatch):
    from kpodtui.errors import BadInputError
    from kpodtui.history.store import DB_NAME
    from kpodtui.tui.app import KpodApp

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("KPODTUI_HOME", str(home))
    (home / DB_NAME).write_bytes(b"garbage" * 1000)
    app = KpodApp(lambda: None)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(200):
            if not app.is_running:
                break
            await pilot.pause(0.02)
    assert isinstance(app.fatal_error, BadInputError) and "looks damaged" in str(app.fatal_error)
    assert app.return_value == 2


async def test_rerun_from_the_runs_list_launches_the_runs_own_task(tmp_path):
    from kpodtui.tui.data.backend import RunRow

    spec = tmp_path / "two.yaml"
    spec.write_text("task_id: alpha\nimage: busybox\n---\ntask_id: beta\nimage: busybox\n")
    row = RunRow("r2", "beta", "succeeded", False, "beta-x", "default", "sim", spec_path=str(spec))
    backend = FakeBackend(rows=[row])
    app = KpodApp(lambda: backend, start_mode="runs")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: any(r.run_id == "r2" for r in app.run_rows()), what="the runs list")
        app.rerun("r2")
        await wait_for(pilot, lambda: bool(backend.launched), what="a launch")
        assert backend.launched[0][1] == "beta"


async def test_brackets_in_user_text_are_shown_not_read_as_markup():
    from kpodtui.tui.dialogs.text_dialog import TextDialog
    from kpodtui.tui.messages import ActionFailed

    app = make_app(FakeBackend())
    async with app.run_test(size=(120, 36)) as pilot:
        await app.push_screen(TextDialog("[base] 2026-01-01T12:00:00Z", "[x] a line"))
        await pilot.pause()
        assert "[base] 2026-01-01T12:00:00Z" in str(app.screen.query_one(".dialog-title").render())
        await pilot.press("escape")
        app.post_message(ActionFailed("launch", "labels.[x]: label key '[x]' is invalid"))
        await wait_for(pilot, lambda: bool(list(app._notifications)), what="the error toast")
        toast = list(app._notifications)[-1]
        assert "label key '[x]' is invalid" in toast.message and toast.markup is False  # shown as written


async def test_a_run_loaded_from_history_before_its_view_is_built_is_shown_not_a_crash():
    """A fast history load can hand the run to its view before the panes exist (NoMatches)."""
    from kpodtui.engine.events import LogLine
    from kpodtui.tui.data.backend import RunDetails, RunRow
    from kpodtui.tui.messages import RunDetailsLoaded

    from .fakes import ts

    row = RunRow("h0", "hello", "failed", False, "hello-0", "default", "sim", exit_code=3)
    record = RunDetails(row, outcome="failed", report="exited 3", containers=["base"])
    app = KpodApp(lambda: FakeBackend([row]), start_mode="runs", reattach_on_start=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.backend is not None, what="backend")
        screen = RunScreen("h0")
        app.push_screen(screen)  # not awaited: its panes are built later
        app._record_loaded(RunDetailsLoaded(record, [LogLine("base", ts(1), "line of h0")]))  # the race
        await wait_for(pilot, lambda: screen.is_mounted and screen.query(LogView)
                       and screen.query_one(LogView).count == 1, what="the run shown")
        assert screen.query_one(LogView).visible_lines()[0].text == "line of h0"
        assert "FAILED" in str(screen.query_one("#outcome-body").render())
