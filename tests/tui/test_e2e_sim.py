"""The real app, the real engine, a cluster (the sim, and the real control plane): pilot tests end to end."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kpodtui.tui.app import KpodApp
from kpodtui.tui.screens.run_screen import RunScreen
from kpodtui.tui.widgets.log_view import LogView

from .conftest import wait_for

SAMPLES = Path(__file__).resolve().parents[2] / "sample_tasks"
LOOP_SPEC = """\
task_id: looper
image: busybox:1.36
cmds: [sh, -c, 'i=0; while [ $i -lt 600 ]; do echo "tick $i"; i=$((i+1)); sleep 0.05; done']
"""


@pytest.fixture(autouse=True)
def _real_clock():
    from kpodtui.tui.data import clock

    clock.freeze(None)


def engine_app(cluster, start_mode: str = "tasks", **kw) -> KpodApp:
    def build():
        from kpodtui.tui.data.engine_backend import EngineBackend

        return EngineBackend(kubeconfig=str(cluster.kubeconfig_path))

    return KpodApp(build, start_mode=start_mode, **kw)


async def launch(pilot, path: Path, text: str | None = None) -> RunScreen:
    app: KpodApp = pilot.app
    text = text if text is not None else path.read_text()
    app.launch(path, text, None)
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), timeout=30, what="run screen")
    screen = app.screen
    await wait_for(pilot, lambda: screen.followed is not None, what="the run shown")
    return screen  # type: ignore[return-value]


def pod_exists(cluster, namespace: str, name: str) -> bool:
    return cluster.get("pods", namespace, name) is not None


async def test_launch_sample_shows_lines_and_succeeds(cluster):
    async with engine_app(cluster).run_test(size=(140, 40)) as pilot:
        screen = await launch(pilot, SAMPLES / "hello.yaml")
        model = screen.followed.model
        await wait_for(pilot, lambda: model.finished is not None, timeout=60, what="verdict")
        view = screen.query_one(LogView)
        await wait_for(pilot, lambda: view.count >= 3, what="lines")
        texts = [line.text for line in view.visible_lines()]
        assert "hello from kpodtui" in texts and "bye" in texts
        assert model.finished.outcome == "succeeded"
        assert model.phase == "Succeeded"


async def test_failing_task_shows_report(cluster):
    async with engine_app(cluster).run_test(size=(140, 40)) as pilot:
        screen = await launch(pilot, SAMPLES / "failing.yaml")
        model = screen.followed.model
        await wait_for(pilot, lambda: model.finished is not None, timeout=60, what="verdict")
        assert model.finished.outcome == "failed" and model.finished.exit_code == 3
        outcome = str(screen.query_one("#outcome-body").render())
        assert "FAILED" in outcome and model.finished.report and model.finished.report.splitlines()[0] in outcome
        assert "pod deleted" in outcome
    # later, from history: the same verdict, and the pod still said deleted (not "kept")
    app = engine_app(cluster, reattach_on_start=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: app.backend is not None, timeout=60, what="backend")
        app.open_run(model.run_id)

        def outcome_text() -> str:
            found = app.screen.query("#outcome-body")
            return str(found.first().render()) if found else ""

        await wait_for(pilot, lambda: "FAILED" in outcome_text(), timeout=30, what="the recorded verdict")
        outcome = outcome_text()
        assert "exit code 3" in outcome and "pod deleted" in outcome and "pod kept" not in outcome


async def test_kill_deletes_the_pod(cluster, tmp_path):
    spec = tmp_path / "looper.yaml"
    spec.write_text(LOOP_SPEC)
    async with engine_app(cluster).run_test(size=(140, 40)) as pilot:
        screen = await launch(pilot, spec)
        model = screen.followed.model
        view = screen.query_one(LogView)
        await wait_for(pilot, lambda: view.count >= 3, timeout=60, what="lines")
        pod = model.pod_name
        await pilot.press("x")
        await wait_for(pilot, lambda: pilot.app.screen is not screen, what="confirm dialog")
        await pilot.press("y")
        await wait_for(pilot, lambda: model.finished is not None, timeout=60, what="verdict")
        assert model.finished.outcome == "killed"
        await wait_for(pilot, lambda: not pod_exists(cluster, model.namespace, pod), timeout=30, what="pod gone")


async def test_pod_yaml_masks_values_that_look_secret(cluster, tmp_path):
    from textual.widgets import TextArea

    from kpodtui.tui.screens.text_screen import TextScreen

    spec = tmp_path / "envy.yaml"
    spec.write_text(LOOP_SPEC + "termination_grace_period: 1\nenv_vars: {API_TOKEN: tok-not-for-eyes-77, MODE: fast}\n")
    async with engine_app(cluster).run_test(size=(140, 40)) as pilot:
        screen = await launch(pilot, spec)
        model = screen.followed.model
        await wait_for(pilot, lambda: model.pod_name is not None, timeout=60, what="pod")
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TextScreen), timeout=30, what="pod YAML")
        text = pilot.app.screen.query_one(TextArea).text
        assert f"name: {model.pod_name}" in text and "value: fast" in text
        assert "tok-not-for-eyes-77" not in text and "masked" in text
        await pilot.press("escape")
        await pilot.press("x")
        await wait_for(pilot, lambda: pilot.app.screen is not screen, what="confirm dialog")
        await pilot.press("y")
        await wait_for(pilot, lambda: model.finished is not None, timeout=60, what="killed")


async def test_keep_leaves_the_pod(cluster, tmp_path):
    from kpodtui.history import History

    gate = tmp_path / "go"
    spec = tmp_path / "gated.yaml"
    # the task waits for the gate: still live when "K" is pressed, however busy the machine
    spec.write_text(f"task_id: gated\nimage: busybox\ncmds: [sh, -c, 'echo up; while [ ! -e {gate} ]; "
                    "do sleep 0.02; done; echo done']\n")
    async with engine_app(cluster).run_test(size=(140, 40)) as pilot:
        screen = await launch(pilot, spec)
        model = screen.followed.model
        await wait_for(pilot, lambda: model.pod_name is not None, timeout=60, what="pod")
        assert model.finished is None, "the run ended before keep was pressed: the test proves nothing"
        await pilot.press("K")  # (k moves up, as in k9s)
        await wait_for(pilot, lambda: pilot.app.screen is not screen, what="keep confirmation")
        await pilot.press("y")
        history = History.open()
        await wait_for(pilot, lambda: history.get_run(model.run_id).on_finish_action == "keep_pod", timeout=30,
                       what="the keep recorded")
        assert model.finished is None
        gate.touch()
        await wait_for(pilot, lambda: model.finished is not None, timeout=60, what="verdict")
        assert model.finished.outcome == "succeeded"
        assert not model.finished.pod_deleted
        assert pod_exists(cluster, model.namespace, model.pod_name)


async def test_spec_with_errors_cannot_be_launched(cluster, tmp_path):
    from kpodtui.tui.screens.editor_screen import EditorScreen

    bad = "task_id: broken\nimage: busybox:1.36\ncmdz: [sh]\n"
    async with engine_app(cluster).run_test(size=(140, 40)) as pilot:
        app: KpodApp = pilot.app
        await wait_for(pilot, lambda: app.backend is not None, timeout=30, what="backend")
        editor = EditorScreen(tmp_path / "broken.yaml", text=bad)
        await app.push_screen(editor)
        await wait_for(pilot, lambda: editor.checked_generation == editor.generation and editor.problems)
        assert editor.problems[0].line == 3
        assert "line 3" in str(editor.query_one("#editor-problems").render())
        await pilot.press("ctrl+r")
        await pilot.pause(0.3)
        assert app.screen is editor and not app.followed


async def test_rerun_of_a_task_gone_from_its_file_is_refused_as_the_cli_refuses_it(sim, tmp_path, capsys):
    """The file of a recorded run no longer holds its task (renamed since): ``r`` says so, in the
    words of ``kpodtui run --task``, and launches nothing (it used to run the file's first task)."""
    from kpodtui.cli import main
    from kpodtui.history import History, RunRecord

    spec = tmp_path / "pair.yaml"
    spec.write_text("task_id: first\nimage: busybox\n---\ntask_id: second\nimage: busybox\n")
    with History.open() as history:
        history.add_run(RunRecord(id="r0ld0000aa", task_id="old", spec_path=str(spec), state="finished",
                                  outcome="succeeded", created_at=1.0))
    assert main(["run", str(spec), "--task", "old", "--kubeconfig", str(sim.kubeconfig_path)]) == 2
    cli_error = capsys.readouterr().err.strip()
    assert cli_error == f"kpodtui: error: {spec}: no task 'old' in this file (it holds: first, second)"
    app = engine_app(sim, start_mode="runs", reattach_on_start=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: app.backend is not None and app.run_rows(), timeout=60, what="history")
        await pilot.press("r")
        await wait_for(pilot, lambda: bool(list(app._notifications)), timeout=30, what="the refusal")
        toast = list(app._notifications)[-1]
        assert toast.severity == "error"
        assert toast.message == "launch: " + cli_error.removeprefix("kpodtui: error: ")
        await pilot.pause(0.3)
        assert not app.followed and not isinstance(app.screen, RunScreen)


async def test_quit_detached_then_restart_reattaches(cluster, tmp_path):
    import subprocess
    import sys

    spec = tmp_path / "counter.yaml"
    spec.write_text(LOOP_SPEC.replace("600", "120"))
    driver = Path(__file__).with_name("detach_driver.py")
    out = subprocess.run(
        [sys.executable, str(driver), str(cluster.kubeconfig_path), str(spec)],
        capture_output=True, text=True, timeout=120,
    )
    run_id, seen = out.stdout.split()[-2:]
    assert int(seen) >= 10, out.stderr[-2000:]
    app = engine_app(cluster)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: app.followed.is_followed(run_id), timeout=60, what="reattached")
        model = app.followed.followed(run_id).model
        assert model.reattached
        await wait_for(pilot, lambda: model.finished is not None, timeout=60, what="verdict")
        assert model.finished.outcome == "succeeded"
        texts = [line.text for _, line in model.logs.iter_from(model.logs.first)]
        assert texts == [f"tick {i}" for i in range(120)]  # continued: nothing lost, nothing twice


async def test_detach_one_run_then_reattach_continues_its_log(cluster, tmp_path):
    spec = tmp_path / "counter.yaml"
    spec.write_text(LOOP_SPEC.replace("600", "120"))
    app = engine_app(cluster)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await launch(pilot, spec)
        run_id, model = screen.run_id, screen.followed.model
        await wait_for(pilot, lambda: len(model.logs) >= 10, timeout=60, what="lines")
        await pilot.press("D")
        await wait_for(pilot, lambda: not app.followed.is_followed(run_id), timeout=30, what="detached")
        assert pod_exists(cluster, model.namespace, model.pod_name)  # the pod goes on
        record = app.backend.get_run(run_id)
        assert record is not None and record.row.live  # history keeps it live
        await pilot.press("a")
        await wait_for(pilot, lambda: app.followed.is_followed(run_id), timeout=30, what="reattached")
        again = app.followed.followed(run_id).model
        assert screen.followed is app.followed.followed(run_id)  # the same view follows it again
        await wait_for(pilot, lambda: again.finished is not None, timeout=60, what="verdict")
        assert again.finished.outcome == "succeeded"
        texts = [line.text for _, line in again.logs.iter_from(again.logs.first)]
        assert texts == [f"tick {i}" for i in range(120)]  # continued: nothing lost, nothing twice


async def test_killing_a_run_detached_in_the_app_ends_it_as_killed(cluster, tmp_path):
    """The run's view, still open after the detach, then shows it killed (it used to say 'Running,
    detached' for good, and so did opening it again from the runs list), and still names its pod."""
    from kpodtui.tui.widgets.run_header import RunHeader

    from .conftest import rendered_text

    spec = tmp_path / "looper.yaml"
    spec.write_text(LOOP_SPEC + "termination_grace_period: 1\n")
    app = engine_app(cluster)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await launch(pilot, spec)
        run_id, model = screen.run_id, screen.followed.model
        await wait_for(pilot, lambda: len(model.logs) >= 3, timeout=60, what="lines")
        await pilot.press("D")
        await wait_for(pilot, lambda: not app.followed.is_followed(run_id), timeout=30, what="detached")
        app.kill_run(run_id)  # what x + y on the runs list does
        await wait_for(pilot, lambda: not app.backend.get_run(run_id).row.live, timeout=30, what="the run ended")
        record = app.backend.get_run(run_id)
        assert record.outcome == "killed" and record.pod_deleted
        await wait_for(pilot, lambda: not pod_exists(cluster, model.namespace, model.pod_name), timeout=30,
                       what="pod gone")
        header = screen.query_one(RunHeader)
        await wait_for(pilot, lambda: "Killed" in rendered_text(header), timeout=30, what="the view says killed")
        shown = screen.followed.model
        assert (shown.finished.outcome, shown.live) == ("killed", False)
        assert (shown.namespace, shown.pod_name) == (model.namespace, model.pod_name)  # which pod it was
        text = rendered_text(header)
        assert f"pod {model.pod_name}" in text and f"in {model.namespace}" in text
        assert "  detached" not in text  # (the header's marker; a [real] namespace's name may hold the word)
        assert "pod deleted" in rendered_text(screen.query_one("#outcome-body"))
        await pilot.press("escape")
        app.open_run(run_id)  # opened again from the runs list: the same
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen is not screen
                       and app.screen.followed is not None, timeout=30, what="the run opened again")
        again = app.screen.query_one(RunHeader)
        await wait_for(pilot, lambda: "Killed" in rendered_text(again), timeout=30, what="killed again")
        assert f"pod {model.pod_name}" in rendered_text(again) and "  detached" not in rendered_text(again)


async def test_the_app_showing_a_run_another_process_follows_misses_no_line(cluster, tmp_path):
    """`kpodtui run` in one terminal, the app opened in another: the app shows what is on disk,
    then what the other process writes. Lines written between the two used to be skipped."""
    import subprocess
    import sys

    from kpodtui.history import History

    n = 100
    spec = tmp_path / "fast.yaml"
    spec.write_text(LOOP_SPEC.replace("600", str(n)))
    proc = subprocess.Popen([sys.executable, "-m", "kpodtui", "run", "--kubeconfig", str(cluster.kubeconfig_path),
                             str(spec)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        history = History.open()
        deadline = time.monotonic() + 60
        while not (history.list_runs() and history.list_runs()[0].pod_name):
            assert time.monotonic() < deadline and proc.poll() is None, "the run never started"
            time.sleep(0.05)
        run_id = history.list_runs()[0].id
        app = engine_app(cluster)
        async with app.run_test(size=(140, 40)) as pilot:
            await wait_for(pilot, lambda: app.followed.is_followed(run_id), timeout=60, what="reattached")
            model = app.followed.followed(run_id).model
            await wait_for(pilot, lambda: model.finished is not None, timeout=60, what="verdict")
            texts = [line.text for _, line in model.logs.iter_from(model.logs.first)]
            assert texts == [f"tick {i}" for i in range(n)]
        assert proc.wait(30) == 0
    finally:
        proc.kill()


HOSTILE_SPEC = r"""task_id: hostile
image: busybox
termination_message_policy: FallbackToLogsOnError
cmds: [sh, -c, 'printf "a\033]52;c;aGFja2Vk\007 b\033]2;owned\033\\ c\033[2J d\033P1\$qm\033\\ \302\233 \033[31mred\033[0m \342\200\256rtl \377 \001\010\r end\n"; exit 3']
"""
_UNSAFE = "[\x00-\x08\x0a-\x1f\x7f-\x9f\u202e\ud800-\udfff]"


def _rendered(widget) -> list[str]:
    """What a widget sends to the terminal, row by row (the segments' text)."""
    from textual.geometry import Region

    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return ["".join(seg.text for seg in strip) for strip in strips]


async def test_nothing_a_container_prints_can_drive_the_terminal(sim, tmp_path):
    import re

    from kpodtui.tui.dialogs.text_dialog import TextDialog
    from kpodtui.tui.widgets.result_panes import OutcomePane

    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE_SPEC)
    async with engine_app(sim).run_test(size=(200, 40)) as pilot:
        screen = await launch(pilot, path)
        model = screen.followed.model
        await wait_for(pilot, lambda: model.finished is not None, timeout=60, what="verdict")
        view = screen.query_one(LogView)
        await wait_for(pilot, lambda: view.count >= 1, what="the line")
        assert "\x1b]52" in view.visible_lines()[0].text  # the line itself is kept as printed
        await pilot.pause(0.1)
        rows = _rendered(view)
        shown = next(r for r in rows if "end" in r)
        assert not re.search(_UNSAFE, "".join(rows)), shown
        for visible in ("a\\x1b]52;c;aGFja2Vk\\x07", "b\\x1b]2;owned\\x1b\\", "c\\x1b[2J", "d\\x1bP1$qm\\x1b\\",
                        "\\x9b", "\\u202ertl", "\\xff", "\\x01\\x08\\r end"):
            assert visible in shown, (visible, shown)
        assert "red" in shown and "\\x1b[31m" not in shown, "a colour is rendered, not shown"
        strip = view.render_line(view.row_of(view.buffer.first) - int(view.scroll_y))
        red = [seg for seg in strip if seg.text == "red"]
        assert red and red[0].style is not None and red[0].style.color is not None
        assert red[0].style.color.number == 1  # ANSI red
        outcome = screen.query_one(OutcomePane).query_one("#outcome-body")
        await wait_for(pilot, lambda: "FAILED" in "".join(_rendered(outcome)), what="the report")
        report = "".join(_rendered(outcome))
        assert not re.search(_UNSAFE, report) and "\\x1b]52;c;aGFja2Vk\\x07" in report
        view.focus()
        view.cursor = view.buffer.first
        await pilot.press("enter")  # the line in full
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TextDialog), what="the line dialog")
        await pilot.pause(0.1)
        dialog_rows = "".join(_rendered(pilot.app.screen.query_one("#text-body")))
        assert not re.search(_UNSAFE, dialog_rows) and "\\x1b]2;owned" in dialog_rows
