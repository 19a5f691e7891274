"""The runs list (F3): the cursor stays on its run, followed runs show their live state and duration."""

from __future__ import annotations

from textual.widgets import DataTable

from kpodtui.tui.app import KpodApp
from kpodtui.tui.data import clock
from kpodtui.tui.data.backend import RunRow
from kpodtui.tui.screens.run_screen import RunScreen
from kpodtui.tui.screens.runs_screen import DURATION, EXIT, STATE, RunsScreen

from .conftest import FROZEN_AT, wait_for
from .fakes import FakeBackend, finished_events, live_run_events

SIZE = (130, 36)


def history_rows() -> list[RunRow]:
    # shown live first, then newest first: k3f9s1c4d5, k3f9r8a0b2, k3f9q2m7x1
    return [
        RunRow("k3f9q2m7x1", "nightly-report", "Failed", False, "nightly-report-ab12cd34", "default", "sim",
               FROZEN_AT - 3600, FROZEN_AT - 3540, 3, "/tasks/report.yaml", reason="OOMKilled"),
        RunRow("k3f9r8a0b2", "hello", "Succeeded", False, "hello-xy98zw76", "default", "sim",
               FROZEN_AT - 600, FROZEN_AT - 590, 0, "/tasks/hello.yaml"),
        RunRow("k3f9s1c4d5", "hello", "Running", True, "hello-pq45rs67", "default", "sim",
               FROZEN_AT - 42, None, None, "/tasks/hello.yaml", detached=True),
    ]


def app_with(backend: FakeBackend) -> KpodApp:
    return KpodApp(lambda: backend, reattach_on_start=False)


def cell(table: DataTable, run_id: str, column: int) -> str:
    return str(table.get_row(run_id)[column])


def cursor_run(table: DataTable) -> str | None:
    return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value


async def runs_list(pilot, rows: int) -> tuple[RunsScreen, DataTable]:
    app: KpodApp = pilot.app
    await wait_for(pilot, lambda: app.backend is not None, what="backend")
    await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen), what="runs screen")
    screen = app.screen
    table = screen.query_one("#runs-table", DataTable)
    await wait_for(pilot, lambda: table.row_count == rows, what=f"{rows} rows")
    return screen, table  # type: ignore[return-value]


async def test_the_cursor_stays_on_its_run_when_a_new_run_appears():
    backend = FakeBackend(history_rows())
    app = app_with(backend)
    reruns: list[str] = []
    app.rerun = reruns.append  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await runs_list(pilot, 3)
        await pilot.press("down")
        assert screen.selected is not None and screen.selected.run_id == "k3f9r8a0b2"
        # a new run starts (elsewhere): it is listed first, above the selected one
        backend.rows.append(RunRow("k3f9t7e6f5", "hello", "Pending", True, "hello-new", "default", "sim",
                                   FROZEN_AT - 1, None, None))
        await pilot.press("f5")
        await wait_for(pilot, lambda: table.row_count == 4, what="the new run")
        await pilot.pause()
        assert screen.selected is not None and screen.selected.run_id == "k3f9r8a0b2"
        assert cursor_run(table) == "k3f9r8a0b2"
        await pilot.press("r")
        assert reruns == ["k3f9r8a0b2"]  # the run the user picked, not its new neighbour


async def test_the_cursor_keeps_its_row_when_its_run_is_gone():
    backend = FakeBackend(history_rows())
    app = app_with(backend)
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await runs_list(pilot, 3)
        await pilot.press("down", "down")
        assert screen.selected is not None and screen.selected.run_id == "k3f9q2m7x1"
        backend.rows = [r for r in backend.rows if r.run_id != "k3f9q2m7x1"]
        await pilot.press("f5")
        await wait_for(pilot, lambda: table.row_count == 2, what="the run gone")
        await pilot.pause()
        assert table.cursor_row == 1
        assert screen.selected is not None and screen.selected.run_id == "k3f9r8a0b2"


async def test_the_duration_of_a_live_run_moves_while_the_list_is_shown():
    app = app_with(FakeBackend(history_rows()))
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await runs_list(pilot, 3)
        assert cell(table, "k3f9s1c4d5", DURATION) == "42s"
        clock.freeze(FROZEN_AT + 20)
        await wait_for(pilot, lambda: cell(table, "k3f9s1c4d5", DURATION) == "1m02s", timeout=3,
                       what="duration ticks")
        assert cell(table, "k3f9r8a0b2", DURATION) == "10s"


def _with_followed_run() -> FakeBackend:
    # history wrote "Pending" once when the pod was made; the app follows run1 live
    rows = [*history_rows(), RunRow("run1", "hello", "Pending", True, "hello-abc12", "default", "sim",
                                    FROZEN_AT - 6, None, None)]
    return FakeBackend(rows, script=live_run_events("x"))


async def _launch_and_come_back(pilot) -> tuple[RunsScreen, DataTable]:
    app: KpodApp = pilot.app
    screen, table = await runs_list(pilot, 4)
    app.launch(None, "task_id: hello\n", "hello")
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), what="run screen")
    await wait_for(pilot, lambda: app.followed.is_followed("run1") and app.followed.followed("run1").model.phase == "Running",
                   what="the run runs")
    await pilot.press("escape")
    await wait_for(pilot, lambda: app.screen is screen, what="back to the runs list")
    return screen, table


async def test_a_followed_run_shows_its_live_state_and_its_duration_moves():
    backend = _with_followed_run()
    app = app_with(backend)
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await _launch_and_come_back(pilot)
        await wait_for(pilot, lambda: cell(table, "run1", STATE) == "Running", timeout=3, what="live state")
        assert cell(table, "run1", DURATION) == "6s"
        assert cell(table, "k3f9s1c4d5", DURATION) == "42s"
        await pilot.press("down", "down")
        before = (table.cursor_row, cursor_run(table))
        assert screen.selected is not None and before[1] == screen.selected.run_id
        cleared: list[bool] = []
        clear = table.clear
        table.clear = lambda *a, **kw: (cleared.append(True), clear(*a, **kw))[1]  # type: ignore[method-assign]
        clock.freeze(FROZEN_AT + 60)  # a minute on: the durations of live runs move by themselves
        await wait_for(pilot, lambda: cell(table, "run1", DURATION) == "1m06s", timeout=3, what="duration ticks")
        await wait_for(pilot, lambda: cell(table, "k3f9s1c4d5", DURATION) == "1m42s", timeout=3,
                       what="detached run's duration ticks")
        assert cell(table, "k3f9r8a0b2", DURATION) == "10s"  # finished: fixed
        assert (table.cursor_row, cursor_run(table)) == before  # updated in place: the cursor stays put
        assert not cleared  # the table was not rebuilt


async def test_a_followed_run_that_finished_shows_its_outcome_before_history_does():
    backend = _with_followed_run()
    app = app_with(backend)
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await _launch_and_come_back(pilot)
        clock.freeze(FROZEN_AT + 4)
        for ev in finished_events("run1"):
            backend.handles["run1"].emit(ev)
        await wait_for(pilot, lambda: app.followed.followed("run1").model.finished is not None, what="finished")
        await wait_for(pilot, lambda: cell(table, "run1", STATE) == "Succeeded", timeout=3, what="outcome")
        assert cell(table, "run1", DURATION) == "10s"
        assert cell(table, "run1", EXIT) == "0"
        clock.freeze(FROZEN_AT + 60)
        await wait_for(pilot, lambda: cell(table, "k3f9s1c4d5", DURATION) == "1m42s", timeout=3, what="tick")
        assert cell(table, "run1", DURATION) == "10s"  # stopped with the run
        # the finished run is no longer offered to kill
        row = next(i for i, r in enumerate(screen.rows) if r.run_id == "run1")
        table.move_cursor(row=row)
        await pilot.pause()
        assert screen.check_action("kill", ()) is False


async def test_the_runs_screen_says_loading_until_the_history_is_read_not_no_runs(monkeypatch):
    """Start-up showed 'No runs yet' before the history was read, then the runs replaced it."""
    import threading

    from kpodtui.tui.data import history_rows

    from .conftest import rendered_text

    release = threading.Event()
    listing = history_rows.rows_from_history

    def slow_listing(history, limit=200):
        release.wait(10)
        return listing(history, limit)

    monkeypatch.setattr(history_rows, "rows_from_history", slow_listing)
    app = KpodApp(lambda: FakeBackend([]), reattach_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen), what="runs screen")
        await pilot.pause(0.3)
        said = rendered_text(app.screen.query_one("#runs-empty"))
        assert "loading history" in said and "No runs yet" not in said
        release.set()
        await wait_for(pilot, lambda: "No runs yet" in rendered_text(app.screen.query_one("#runs-empty")),
                       what="the empty history said")
