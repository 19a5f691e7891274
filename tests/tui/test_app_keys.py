"""The keys a k9s, less and kubectl user reaches for: back and quit, help, keep (asked, undone),
delete a kept pod, rerun with its overrides, describe, shell, previous log, windows, report."""

from __future__ import annotations

import contextlib
from pathlib import Path

from textual.widgets import Input, TextArea

from kpodtui.engine.events import LogBatch, LogLine, PodAssigned, PodStatusChanged, RunFinished
from kpodtui.tui.app import KpodApp
from kpodtui.tui.data.backend import RunDetails, RunRow
from kpodtui.tui.dialogs.confirm_dialog import ConfirmDialog
from kpodtui.tui.dialogs.overrides_dialog import OverridesDialog
from kpodtui.tui.dialogs.shell_dialog import ShellDialog
from kpodtui.tui.screens.help_screen import HelpScreen, key_groups
from kpodtui.tui.screens.run_screen import RunScreen
from kpodtui.tui.screens.runs_screen import RunsScreen
from kpodtui.tui.screens.text_screen import TextScreen
from kpodtui.tui.widgets.log_view import LogView
from kpodtui.tui.widgets.run_header import RunHeader

from .conftest import FROZEN_AT, rendered_text, wait_for
from .fakes import FakeBackend, finished_events, live_run_events, ts

DATA = Path(__file__).parent / "data"


def make_app(backend: FakeBackend, **kw) -> KpodApp:
    kw.setdefault("start_mode", "tasks")
    return KpodApp(lambda: backend, reattach_on_start=False, **kw)


async def launched(pilot, overrides: list[str] | None = None) -> RunScreen:
    app: KpodApp = pilot.app
    await wait_for(pilot, lambda: app.backend is not None, what="backend")
    app.launch(DATA / "tasks/hello.yaml", "", "hello", overrides or [])
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), what="run screen")
    screen = app.screen
    await wait_for(pilot, lambda: screen.followed is not None and screen._built, what="attached")
    await wait_for(pilot, lambda: screen.followed.model.pod_name is not None, what="the pod")
    return screen  # type: ignore[return-value]


def header(screen: RunScreen) -> str:
    return " ".join(rendered_text(screen.query_one(RunHeader)).split())


async def test_q_and_escape_go_back_one_screen_and_q_quits_only_from_a_list():
    backend = FakeBackend(script=live_run_events("x"))
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await launched(pilot)
        await pilot.press("d")  # describe: a screen over the run view
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen), what="describe")
        await pilot.press("q")
        await wait_for(pilot, lambda: app.screen is screen, what="back to the run, not out of the app")
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, what="back to the tasks list")
        assert app.is_running and not backend.handles["run1"].killed
        await pilot.press("escape")  # nothing above the list: escape does not quit
        await pilot.pause()
        assert app.is_running
        await pilot.press("q")  # the top screen: quit, asking about the live run (as before)
        await wait_for(pilot, lambda: type(app.screen).__name__ == "QuitDialog", what="the quit question")


async def test_help_lists_every_key_of_the_screen_grouped():
    backend = FakeBackend(script=live_run_events("x"))
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await launched(pilot)
        groups = dict(key_groups(screen))
        assert {"Run", "Log", "Events", "Everywhere"} <= set(groups)
        run_keys = {k.keys: k.description for k in groups["Run"]}
        assert run_keys.get("K") in ("Keep", "Don't keep") and run_keys.get("d") == "Describe"
        assert run_keys.get("s") == "Shell" and "D" in run_keys and "x" in run_keys
        log_keys = {k.description: k.keys for k in groups["Log"]}
        assert "k" in log_keys["Up"] and "j" in log_keys["Down"] and "G" in log_keys["Live tail"]
        assert "ctrl+d" in log_keys["Half page down"].replace("^d", "ctrl+d")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        shown = rendered_text(app.screen.query_one("#help-text"))
        for word in ("Run", "Log", "Events", "Everywhere", "Describe", "Shell", "Half page down"):
            assert word in shown
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="back")
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help on F1")
        body = app.screen.query_one("#help-body")
        await pilot.press("G")  # longer than the screen: G to its end, g back, j down, as in less
        await wait_for(pilot, lambda: body.scroll_y == body.max_scroll_y > 0, what="the end")
        await pilot.press("g", "j")
        await wait_for(pilot, lambda: body.scroll_y == 1, what="one row down")


async def test_k_moves_up_and_keep_is_K_asked_first_and_undone_while_live():
    backend = FakeBackend(script=live_run_events("x"))
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await launched(pilot)
        await pilot.press("k")
        assert app.screen is screen and not backend.handles["run1"].kept  # k moved the cursor, kept nothing
        assert screen.pane.view.cursor is not None
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="keep question")
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is screen, what="cancelled")
        assert not backend.handles["run1"].kept
        await pilot.press("K", "y")
        await wait_for(pilot, lambda: backend.handles["run1"].kept, what="kept")
        await wait_for(pilot, lambda: "pod kept at the end (K: undo)" in header(screen), what="said in the header")
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="undo question")
        assert "Stop keeping" in rendered_text(app.screen.query_one(".dialog-title"))
        await pilot.press("y")
        await wait_for(pilot, lambda: not backend.handles["run1"].kept, what="undone")
        await wait_for(pilot, lambda: "pod kept" not in header(screen), what="header")


def _kept_run() -> FakeBackend:
    events = live_run_events("x")
    events += [PodStatusChanged("x", "Succeeded"), RunFinished("x", "succeeded", 0, None, pod_deleted=False)]
    return FakeBackend(script=events)


async def test_x_deletes_the_pod_a_finished_run_kept_after_asking():
    backend = _kept_run()
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await launched(pilot)
        await wait_for(pilot, lambda: screen.followed.model.finished is not None, what="finished")
        await wait_for(pilot, lambda: screen.check_action("delete_pod", ()) is True, what="delete offered")
        assert screen.check_action("kill", ()) is False
        assert "pod kept (x: delete it)" in header(screen)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="delete question")
        assert "hello-abc12" in rendered_text(app.screen.query_one(".dialog-message"))
        await pilot.press("y")
        await wait_for(pilot, lambda: backend.deleted == ["run1"], what="deleted")
        await wait_for(pilot, lambda: screen.followed.model.finished.pod_deleted, what="the view says so")
        assert screen.check_action("delete_pod", ()) is False


async def test_the_runs_list_deletes_a_kept_pod_too():
    rows = [RunRow("kept1", "hello", "Succeeded", False, "hello-k", "default", "sim", FROZEN_AT - 60,
                   FROZEN_AT - 50, 0, str(DATA / "tasks/hello.yaml"), pod_left=True)]
    backend = FakeBackend(rows)
    app = make_app(backend, start_mode="runs")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.rows, what="the list")
        assert "pod kept" in str(app.screen.query_one("#runs-table").get_row("kept1")[2])
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="delete question")
        await pilot.press("y")
        await wait_for(pilot, lambda: backend.deleted == ["kept1"], what="deleted")


async def test_rerun_keeps_the_overrides_and_rerun_with_edits_changes_them():
    backend = FakeBackend(script=live_run_events("x"))
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await launched(pilot, ["params.n=3", "image=busybox:1.37"])
        assert "--set params.n=3 image=busybox:1.37" in header(screen)
        await pilot.press("r")
        await wait_for(pilot, lambda: len(backend.launched) == 2, what="rerun")
        assert backend.launched[1] == (DATA / "tasks/hello.yaml", "hello", ["params.n=3", "image=busybox:1.37"])
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen is not screen, what="its view")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, OverridesDialog), what="the overrides, to edit")
        field = app.screen.query_one(Input)
        assert field.value == "params.n=3 image=busybox:1.37"
        # to be edited: nothing selected (typing adds to them), the cursor after them
        await wait_for(pilot, lambda: field.has_focus, what="the field focused")
        assert field.selection.is_empty and field.cursor_position == len(field.value)
        field.value = "params.n=4"
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(backend.launched) == 3, what="rerun with edits")
        assert backend.launched[2][2] == ["params.n=4"]


async def test_describe_yaml_and_the_report_are_full_screen_views():
    backend = FakeBackend(script=live_run_events("x") + finished_events("x", failed=True))
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await launched(pilot)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen), what="describe")
        assert "Name:             pod-run1" in app.screen.query_one(TextArea).text
        await pilot.press("j", "G", "g", "q")
        await wait_for(pilot, lambda: app.screen is screen, what="back")
        await wait_for(pilot, lambda: screen.followed.model.finished is not None, what="finished")
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen), what="the report")
        assert "error: no such table" in app.screen.query_one(TextArea).text


async def test_shell_asks_which_container_then_hands_the_terminal_over(monkeypatch):
    backend = FakeBackend(script=live_run_events("x"))
    backend.pod_containers = [("base", "running"), ("sidecar", "running"), ("done", "terminated")]
    app = make_app(backend)
    handed: list[bool] = []

    @contextlib.contextmanager
    def suspend():  # the headless test driver has no terminal to hand over (tmux tests do)
        handed.append(True)
        yield

    monkeypatch.setattr(app, "suspend", suspend)
    monkeypatch.setenv("KPODTUI_SHELL", "bash -l")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await launched(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ShellDialog), what="container question")
        assert app.screen.query_one("#shell-command", Input).value == "bash -l"
        await pilot.press("j", "enter")  # sidecar
        await wait_for(pilot, lambda: backend.shells, what="the shell")
        assert backend.shells == [("run1", "sidecar", ["bash", "-l"])] and handed == [True]
        await wait_for(pilot, lambda: app.screen is screen, what="back in the run view")


async def test_a_shell_without_a_terminal_to_hand_over_says_so():
    backend = FakeBackend(script=live_run_events("x"))
    backend.pod_containers = [("base", "running")]
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await launched(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: any("cannot be handed over" in n.message for n in app._notifications),
                       what="the notice")
        assert backend.shells == []


async def test_previous_log_window_and_containers():
    backend = FakeBackend(script=live_run_events("x", lines=60))
    backend.previous[("run1", "base")] = [LogLine("base", ts(1), "before the restart")]
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await launched(pilot)
        view = screen.query_one(LogView)
        await wait_for(pilot, lambda: view.count == 60, what="lines")
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen), what="previous log")
        assert "before the restart" in app.screen.query_one(TextArea).text
        await pilot.press("q")
        await wait_for(pilot, lambda: app.screen is screen, what="back")
        await pilot.press("L", *"5", "enter")
        assert view.count == 5 and [line.text for line in view.visible_lines()][-1].startswith("step 59")
        await pilot.press("L", "ctrl+u", "enter")
        assert view.count == 60
        await pilot.press("C", *"!side", "enter")
        assert view.count == 40 and all(line.container == "base" for line in view.visible_lines())
        assert "containers !side" in rendered_text(screen.query_one("#log-status"))
        await pilot.press("C", *"(", "enter")
        assert "not a regular expression" in rendered_text(screen.query_one("#log-status"))


async def test_a_finished_run_says_ended_and_no_container_still_runs_after_its_pod_was_deleted():
    events = live_run_events("x") + [RunFinished("x", "succeeded", 0, None, pod_deleted=True)]
    app = make_app(FakeBackend(script=events))
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await launched(pilot)
        await wait_for(pilot, lambda: screen.followed.model.finished is not None, what="finished")
        await wait_for(pilot, lambda: "Succeeded" in header(screen), what="the header")
        text = header(screen)
        assert "sidecar stopped with the pod" in text and "sidecar running" not in text
        status = rendered_text(screen.query_one("#log-status"))
        assert "ended" in status and "following" not in status


async def test_container_tabs_keep_the_pods_order_after_a_reattach():
    row = RunRow("r9", "multi", "Running", True, "multi-x", "default", "sim", FROZEN_AT - 30, detached=True)
    details = RunDetails(row, containers=["zeta", "alpha"])  # the pod's order
    lines = [LogLine("alpha", ts(1), "a1"), LogLine("zeta", ts(2), "z1")]  # on disk, alpha first
    backend = FakeBackend([row], records={"r9": details}, logs={"r9": lines})
    app = make_app(backend, start_mode="runs")
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: app.backend is not None, what="backend")
        app.reattach_run("r9")
        await wait_for(pilot, lambda: app.followed.is_followed("r9"), what="reattached")
        app.open_run("r9")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen._built, what="view")
        screen = app.screen
        assert "not created yet" not in header(screen) and "multi-x" in header(screen)
        backend.handles["r9"].emit(PodAssigned("r9", "multi-x", "default", "sim", True, ("zeta", "alpha")))
        backend.handles["r9"].emit(LogBatch("r9", (LogLine("alpha", ts(3), "a2"),)))
        await wait_for(pilot, lambda: len(screen.pane._tab_ids) == 2, what="tabs")
        await pilot.pause()
        assert list(screen.pane._tab_ids) == ["zeta", "alpha"]
        assert screen.followed.model.started_at == FROZEN_AT - 30  # the run's own start, not the reattach
