"""The look of every screen in its typical states (SVGs in ``snapshots/tui/test_snapshots/``).

Fixed data (a fake backend, spec files under ``tests/tui/data``), a frozen clock,
no cursor blink, a fixed terminal size.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kpodtui.engine.events import LogStreamState
from kpodtui.tui.app import KpodApp
from kpodtui.tui.data.backend import RunDetails, RunRow
from kpodtui.tui.screens.editor_screen import EditorScreen
from kpodtui.tui.screens.run_screen import RunScreen
from kpodtui.tui.widgets.log_view import LogView
from kpodtui.tui.widgets.result_panes import OutcomePane, XComPane

from .conftest import FROZEN_AT, settled, wait_for
from .fakes import FakeBackend, finished_events, live_run_events

SIZE = (130, 36)
DATA = Path(__file__).parent / "data"


def history_rows() -> list[RunRow]:
    return [
        RunRow("k3f9q2m7x1", "nightly-report", "Failed", False, "nightly-report-ab12cd34", "default", "sim",
               FROZEN_AT - 3600, FROZEN_AT - 3540, 3, str(DATA / "tasks/report.yaml")),
        RunRow("k3f9r8a0b2", "hello", "Succeeded", False, "hello-xy98zw76", "default", "sim",
               FROZEN_AT - 600, FROZEN_AT - 590, 0, str(DATA / "tasks/hello.yaml")),
        RunRow("k3f9s1c4d5", "hello", "Running", True, "hello-pq45rs67", "default", "sim",
               FROZEN_AT - 42, None, None, str(DATA / "tasks/hello.yaml")),
    ]


def app_with(backend: FakeBackend, **kw) -> KpodApp:
    return KpodApp(lambda: backend, reattach_on_start=False, **kw)


async def ready(pilot) -> None:
    app: KpodApp = pilot.app
    await wait_for(pilot, lambda: app.backend is not None, what="backend")
    await pilot.pause()


def test_runs_empty_history(snap_compare):
    async def run_before(pilot):
        await ready(pilot)
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#runs-empty").display)
        await settled(pilot)

    assert snap_compare(app_with(FakeBackend()), terminal_size=SIZE, run_before=run_before)


def test_runs_history_live_first(snap_compare):
    async def run_before(pilot):
        await ready(pilot)
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#runs-table").row_count == 3)
        await settled(pilot)

    assert snap_compare(app_with(FakeBackend(history_rows())), terminal_size=SIZE, run_before=run_before)


def test_tasks_with_preview(snap_compare, monkeypatch):
    monkeypatch.setattr("kpodtui.paths.sample_tasks_dir", lambda: None)  # the samples change; fixed data here

    async def run_before(pilot):
        await ready(pilot)
        await wait_for(pilot, lambda: len(pilot.app.task_entries()) == 2, what="tasks")
        await wait_for(pilot, lambda: pilot.app.screen.previewed is not None,
                       what="preview")
        await settled(pilot)

    app = app_with(FakeBackend(), spec_paths=[DATA / "tasks"])
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def _launched(pilot, backend: FakeBackend, *more) -> RunScreen:
    app: KpodApp = pilot.app
    await ready(pilot)
    app.launch(DATA / "tasks/hello.yaml", "", "hello")
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), what="run screen")
    screen = app.screen
    for ev in more:
        backend.handles["run1"].emit(ev)
    await wait_for(pilot, lambda: screen.followed is not None and not screen.followed.feed, what="drained")
    await wait_for(pilot, lambda: screen.query_one(LogView).count == 30, what="lines")
    await settled(pilot)
    return screen


def test_run_live(snap_compare):
    backend = FakeBackend(script=live_run_events("x"))

    async def run_before(pilot):
        await _launched(pilot, backend, LogStreamState("run1", "sidecar", "broken", "connection reset"))

    assert snap_compare(app_with(backend, start_mode="tasks"), terminal_size=SIZE, run_before=run_before)


def test_run_finished_with_xcom(snap_compare):
    backend = FakeBackend(script=live_run_events("x"))

    async def run_before(pilot):
        screen = await _launched(pilot, backend, *finished_events("run1"))
        # the JSON's four lines are laid out, not just painted into the pane's old one-line box
        await wait_for(pilot, lambda: screen.query_one("#xcom-body").size.height == 4
                       and screen.query_one(XComPane).size.height == 4, what="XCom pane laid out")

    assert snap_compare(app_with(backend, start_mode="tasks"), terminal_size=SIZE, run_before=run_before)


def test_run_failed_with_report(snap_compare):
    backend = FakeBackend(script=live_run_events("x"))

    async def run_before(pilot):
        screen = await _launched(pilot, backend, *finished_events("run1", failed=True))
        # the whole report is laid out (8 rows at this width), not painted into the pane's old box
        await wait_for(pilot, lambda: screen.query_one("#outcome-body").size.height == 8
                       and screen.query_one(OutcomePane).size.height == 8, what="outcome pane laid out")

    assert snap_compare(app_with(backend, start_mode="tasks"), terminal_size=SIZE, run_before=run_before)


def test_run_search_timestamps_json(snap_compare):
    backend = FakeBackend(script=live_run_events("x"))

    async def run_before(pilot):
        await _launched(pilot, backend)
        await pilot.press("t", "J", "slash", *"item 4", "enter")
        await wait_for(pilot, lambda: pilot.app.screen.query_one(LogView).match_count > 0, what="search")
        await settled(pilot)

    assert snap_compare(app_with(backend, start_mode="tasks"), terminal_size=SIZE, run_before=run_before)


def test_kill_confirmation(snap_compare):
    backend = FakeBackend(script=live_run_events("x"))

    async def run_before(pilot):
        screen = await _launched(pilot, backend)
        await pilot.press("x")
        await wait_for(pilot, lambda: pilot.app.screen is not screen, what="dialog")
        await settled(pilot)

    assert snap_compare(app_with(backend, start_mode="tasks"), terminal_size=SIZE, run_before=run_before)


def test_editor_with_error(snap_compare):
    text = "task_id: hello\nimage: busybox:1.36\ncmds: [sh, -c]\nargumentz: ['echo hi']\n"

    async def run_before(pilot):
        await ready(pilot)
        screen = EditorScreen(DATA / "tasks/hello.yaml", text=text)
        await pilot.app.push_screen(screen)
        await wait_for(pilot, lambda: screen.checked_generation == screen.generation and screen.problems,
                       what="validation")
        await settled(pilot)

    assert snap_compare(app_with(FakeBackend(), start_mode="tasks"), terminal_size=SIZE, run_before=run_before)


def test_finished_run_from_history(snap_compare):
    rows = history_rows()
    from kpodtui.engine.events import LogLine

    from .fakes import ts

    record = RunDetails(rows[0], outcome="failed", report="container base exited 3 (Error)", containers=["base"])
    logs = {rows[0].run_id: [LogLine("base", ts(i), f"report line {i}") for i in range(12)]}
    backend = FakeBackend(rows, records={rows[0].run_id: record}, logs=logs)

    async def run_before(pilot):
        await ready(pilot)
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#runs-table").row_count == 3)
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, RunScreen)
                       and pilot.app.screen.query_one(LogView).count == 12, what="history logs")
        await settled(pilot)

    assert snap_compare(app_with(backend), terminal_size=SIZE, run_before=run_before)


# -- the two sizes the issue names: 80x24 (folded, the footer's first keys) and 160x48 -------------

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])

POD = {
    "metadata": {"name": "hello-abc12", "namespace": "default", "labels": {"app.kubernetes.io/managed-by": "kpodtui"}},
    "spec": {"nodeName": "sim-node", "containers": [
        {"name": "base", "image": "busybox:1.36", "command": ["sh", "-c", "echo hi"],
         "resources": {"limits": {"memory": "64Mi"}},
         "volumeMounts": [{"name": "xcom", "mountPath": "/airflow/xcom"}]}],
        "volumes": [{"name": "xcom", "emptyDir": {}}]},
    "status": {"phase": "Failed", "hostIP": "127.0.0.1", "startTime": "2026-01-01T11:59:10Z",
               "containerStatuses": [{"name": "base", "restartCount": 1, "image": "busybox:1.36",
                                      "state": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}],
               "conditions": [{"type": "Ready", "status": "False"}]},
}


class DescribingBackend(FakeBackend):
    def describe(self, run_id: str) -> str:
        from kpodtui.tui.data.describe import describe_pod, normalize_events

        events = [{"type": "Warning", "reason": "BackOff", "message": "Back-off restarting failed container base",
                   "count": 3, "firstTimestamp": "2026-01-01T11:59:20Z", "lastTimestamp": "2026-01-01T11:59:50Z"}]
        return describe_pod(POD, normalize_events(events), FROZEN_AT)


@SIZES
def test_runs_list_at(snap_compare, size):
    async def run_before(pilot):
        await ready(pilot)
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#runs-table").row_count == 3)
        await settled(pilot)

    assert snap_compare(app_with(FakeBackend(history_rows())), terminal_size=size, run_before=run_before)


@SIZES
def test_run_live_at(snap_compare, size):
    backend = FakeBackend(script=live_run_events("x"))

    async def run_before(pilot):
        await _launched(pilot, backend)

    assert snap_compare(app_with(backend, start_mode="tasks"), terminal_size=size, run_before=run_before)


@SIZES
def test_run_failed_at(snap_compare, size):
    backend = FakeBackend(script=live_run_events("x"))

    async def run_before(pilot):
        await _launched(pilot, backend, *finished_events("run1", failed=True))
        await settled(pilot)

    assert snap_compare(app_with(backend, start_mode="tasks"), terminal_size=size, run_before=run_before)


@SIZES
def test_keep_confirmation_at(snap_compare, size):
    backend = FakeBackend(script=live_run_events("x"))

    async def run_before(pilot):
        screen = await _launched(pilot, backend)
        await pilot.press("K")
        await wait_for(pilot, lambda: pilot.app.screen is not screen, what="dialog")
        await settled(pilot)

    assert snap_compare(app_with(backend, start_mode="tasks"), terminal_size=size, run_before=run_before)


@SIZES
def test_help_of_the_run_view_at(snap_compare, size):
    backend = FakeBackend(script=live_run_events("x"))

    async def run_before(pilot):
        screen = await _launched(pilot, backend)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: pilot.app.screen is not screen, what="help")
        await settled(pilot)

    assert snap_compare(app_with(backend, start_mode="tasks"), terminal_size=size, run_before=run_before)


@SIZES
def test_describe_at(snap_compare, size):
    backend = DescribingBackend(script=live_run_events("x"))

    async def run_before(pilot):
        screen = await _launched(pilot, backend)
        await pilot.press("d")
        await wait_for(pilot, lambda: pilot.app.screen is not screen, what="describe")
        await settled(pilot)

    assert snap_compare(app_with(backend, start_mode="tasks"), terminal_size=size, run_before=run_before)


@SIZES
def test_tasks_at(snap_compare, monkeypatch, size):
    monkeypatch.setattr("kpodtui.paths.sample_tasks_dir", lambda: None)  # the samples change; fixed data here

    async def run_before(pilot):
        await ready(pilot)
        await wait_for(pilot, lambda: len(pilot.app.task_entries()) == 2, what="tasks")
        await wait_for(pilot, lambda: pilot.app.screen.previewed is not None, what="preview")
        await settled(pilot)

    app = app_with(FakeBackend(), spec_paths=[DATA / "tasks"])
    assert snap_compare(app, terminal_size=size, run_before=run_before)
