"""One truth across processes: the app, ``kpodtui run`` / ``keep`` / ``kill`` in other processes, and
``kpodtui runs`` tell the same story in the same words. Real engine, real history, the sim."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from textual.widgets import DataTable, TextArea

from kpodtui.history import History
from kpodtui.runstate import format_duration
from kpodtui.tui.app import KpodApp
from kpodtui.tui.screens.run_screen import RunScreen
from kpodtui.tui.screens.runs_screen import RunsScreen
from kpodtui.tui.screens.text_screen import TextScreen
from kpodtui.tui.widgets.log_view import LogView
from kpodtui.tui.widgets.run_header import RunHeader

from .conftest import rendered_text, wait_for
from .test_e2e_sim import LOOP_SPEC, launch, pod_exists

SAMPLES = Path(__file__).resolve().parents[2] / "sample_tasks"
WITHIN = 2.0  # seconds: "within a second" (a quarter-second poll), with room for two busy cores


@pytest.fixture(autouse=True)
def _real_clock():
    from kpodtui.tui.data import clock

    clock.freeze(None)


def engine_app(sim, **kw) -> KpodApp:
    def build():
        from kpodtui.tui.data.engine_backend import EngineBackend

        return EngineBackend(kubeconfig=str(sim.kubeconfig_path))

    kw.setdefault("start_mode", "runs")
    return KpodApp(build, reattach_on_start=False, **kw)


def kpodtui(*args: str, wait: bool = True) -> subprocess.Popen | subprocess.CompletedProcess:
    """``kpodtui ARGS`` in another process (the test's history: KPODTUI_HOME)."""
    cmd = [sys.executable, "-m", "kpodtui", *args]
    if not wait:
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy())
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=os.environ.copy())


def state_cell(screen: RunsScreen, run_id: str) -> str:
    table = screen.query_one(DataTable)
    try:
        return str(table.get_row(run_id)[2])
    except Exception:  # noqa: BLE001 - not listed (yet)
        return ""


async def within(pilot, condition, what: str) -> float:
    """Seconds until ``condition`` held (fails after WITHIN)."""
    started = time.monotonic()
    await wait_for(pilot, condition, timeout=WITHIN, what=what)
    return time.monotonic() - started


async def test_the_runs_list_follows_what_other_processes_do_within_a_second(sim, tmp_path):
    spec = tmp_path / "looper.yaml"
    spec.write_text(LOOP_SPEC)
    kc = str(sim.kubeconfig_path)
    app = engine_app(sim)
    async with app.run_test(size=(140, 36)) as pilot:
        await wait_for(pilot, lambda: app.backend is not None and isinstance(app.screen, RunsScreen),
                       timeout=60, what="runs list")
        screen: RunsScreen = app.screen  # type: ignore[assignment]
        started = kpodtui("run", "--detach", "--kubeconfig", kc, str(spec))
        assert started.returncode == 0, started.stderr
        run_id = History.open().list_runs()[0].id
        await within(pilot, lambda: state_cell(screen, run_id).startswith(("Pending", "Running")), "started")
        assert kpodtui("keep", run_id).returncode == 0
        await within(pilot, lambda: "keep" in state_cell(screen, run_id), "kept")
        assert kpodtui("kill", run_id, "--kubeconfig", kc).returncode == 0
        await within(pilot, lambda: state_cell(screen, run_id).startswith("Killed"), "killed")
        # a run another process follows to its end
        short = tmp_path / "short.yaml"
        short.write_text(LOOP_SPEC.replace("600", "20"))
        follower = kpodtui("run", "--kubeconfig", kc, str(short), wait=False)
        await wait_for(pilot, lambda: len(History.open().list_runs()) == 2, timeout=30, what="the second run")
        second = History.open().list_runs()[0].id
        await within(pilot, lambda: state_cell(screen, second).startswith(("Pending", "Running")), "listed")
        await wait_for(pilot, lambda: follower.poll() is not None, timeout=60, what="the follower's end")
        await within(pilot, lambda: state_cell(screen, second).startswith("Succeeded"), "finished")
        assert "detached" not in state_cell(screen, second)


async def test_a_run_another_process_follows_shows_live_from_the_pod_watch(sim, tmp_path):
    spec = tmp_path / "looper.yaml"
    spec.write_text(LOOP_SPEC.replace("600", "200"))
    follower = kpodtui("run", "--kubeconfig", str(sim.kubeconfig_path), str(spec), wait=False)
    try:
        app = engine_app(sim)
        async with app.run_test(size=(140, 36)) as pilot:
            await wait_for(pilot, lambda: app.backend is not None, timeout=60, what="backend")
            await wait_for(pilot, lambda: any(r.live and r.pod_name for r in app.run_rows()), timeout=60,
                           what="the other process's run")
            row = next(r for r in app.run_rows() if r.live)
            assert not row.detached  # another process follows it
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), what="its view")
            screen: RunScreen = app.screen  # type: ignore[assignment]
            header = screen.query_one(RunHeader)
            await wait_for(pilot, lambda: "Running" in rendered_text(header), timeout=30, what="live state")
            text = rendered_text(header)
            assert row.pod_name in text and "not created yet" not in text and "detached" not in text
            view = screen.query_one(LogView)
            await wait_for(pilot, lambda: view.count >= 3, timeout=30, what="its lines")
            seen = view.count
            await wait_for(pilot, lambda: view.count > seen, timeout=30, what="more lines, live")
            assert "following" in rendered_text(screen.query_one("#log-status"))
    finally:
        follower.wait(120)


async def test_elapsed_and_duration_come_from_the_runs_own_start_and_end_in_the_app_and_the_cli(sim, tmp_path):
    spec = tmp_path / "two-seconds.yaml"
    spec.write_text(LOOP_SPEC.replace("600", "40"))
    done = kpodtui("run", "--kubeconfig", str(sim.kubeconfig_path), str(spec))
    assert done.returncode == 0, done.stderr
    record = History.open().list_runs()[0]
    took = format_duration(record.duration)
    assert record.duration is not None and record.duration >= 2.0
    await asyncio.sleep(1.5)  # opened later: the duration does not grow with it
    listed = kpodtui("runs")
    line = next(ln for ln in listed.stdout.splitlines() if ln.startswith(record.id))
    assert f" {took} " in line and "Succeeded" in line
    app = engine_app(sim)
    async with app.run_test(size=(140, 36)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.rows, timeout=60,
                       what="the list")
        table = app.screen.query_one(DataTable)
        assert str(table.get_row(record.id)[5]) == took and str(table.get_row(record.id)[2]) == "Succeeded"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), what="its view")
        screen = app.screen
        # the first frame of a finished run shows its verdict: no blank "running…" frame
        assert "SUCCEEDED" in rendered_text(screen.query_one("#outcome-body"))
        assert f"Succeeded  took {took}" in rendered_text(screen.query_one(RunHeader))


async def test_describe_and_yaml_of_a_finished_run_show_the_pod_as_recorded(sim):
    app = engine_app(sim, start_mode="tasks")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await launch(pilot, SAMPLES / "hello.yaml")
        model = screen.followed.model
        await wait_for(pilot, lambda: model.finished is not None, timeout=60, what="verdict")
        assert model.finished.pod_deleted and not pod_exists(sim, model.namespace, model.pod_name)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen), timeout=30, what="describe")
        text = app.screen.query_one(TextArea).text
        assert "is gone: as last recorded" in text
        order = [text.index(k) for k in ("Name:", "Namespace:", "Labels:", "Status:", "Containers:", "Image:",
                                         "State:", "Exit Code:", "Restart Count:", "Conditions:", "Volumes:",
                                         "Events:")]
        assert order == sorted(order)  # kubectl describe's order
        assert f"Name:             {model.pod_name}" in text and "Succeeded" in text and "Started" in text
        await pilot.press("q", "y")
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen), timeout=30, what="YAML")
        text = app.screen.query_one(TextArea).text
        assert "the manifest kpodtui created it from" in text and f"name: {model.pod_name}" in text


async def test_launches_go_to_the_namespace_switched_to(sim, tmp_path):
    from kpodtui.tui.dialogs.target_dialog import TargetDialog

    sim.create_namespace("batch")
    spec = tmp_path / "looper.yaml"
    spec.write_text(LOOP_SPEC.replace("600", "20"))
    app = engine_app(sim, start_mode="tasks")
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: app.target is not None, timeout=60, what="the target")
        assert app.target == ("kpodtui-sim", "default")
        await pilot.press("colon")
        await wait_for(pilot, lambda: isinstance(app.screen, TargetDialog), timeout=30, what="switcher")
        await pilot.press("enter")  # the only context; then the namespace
        await pilot.press("ctrl+u", *"batch", "enter")
        await wait_for(pilot, lambda: app.target == ("kpodtui-sim", "batch"), timeout=30, what="switched")
        screen = await launch(pilot, spec)
        model = screen.followed.model
        await wait_for(pilot, lambda: model.pod_name is not None, timeout=60, what="pod")
        assert model.namespace == "batch" and pod_exists(sim, "batch", model.pod_name)
        await wait_for(pilot, lambda: model.finished is not None, timeout=60, what="verdict")
