"""The app at the edges (issue 10): a history it cannot use (one line, exit 2, as every command),
its own --sim cluster stopping with it, a pod deleted by someone else."""

from __future__ import annotations

from kpodtui.tui.app import KpodApp
from tests.history.test_edges_history import _damage_the_runs_table, _runs

from .conftest import wait_for


async def test_the_app_ends_with_the_damaged_line_exit_2(_hermetic_home):
    from kpodtui.tui.data.engine_backend import EngineBackend

    _runs(_hermetic_home)
    _damage_the_runs_table(_hermetic_home)
    app = KpodApp(EngineBackend)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.fatal_error is not None, timeout=30, what="the app to give up")
    assert app.fatal_error is not None and "looks damaged" in str(app.fatal_error)
    assert app.return_value == 2  # what `kpodtui` exits with (tui.main)


async def test_quitting_with_its_own_sim_records_the_runs_killed(make_sim, tmp_path):
    """`kpodtui --sim`, quit, "kill them": the cluster dies with the app, so its runs end with
    it, recorded as killed (they stayed live in the history for ever)."""
    from kpodtui.history import History
    from kpodtui.tui.dialogs.quit_dialog import QuitDialog
    from kpodtui.tui.screens.run_screen import RunScreen

    sim = make_sim()

    def build():
        from kpodtui.tui.data.engine_backend import EngineBackend

        return EngineBackend(kubeconfig=str(sim.kubeconfig_path), sim=sim)  # the app's own cluster

    spec = tmp_path / "looper.yaml"
    spec.write_text("task_id: looper\nimage: busybox\ncmds: [sh, -c, 'echo up; sleep 600']\n")
    app = KpodApp(build)
    async with app.run_test(size=(140, 40)) as pilot:
        app.launch(spec, spec.read_text(), None)
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), timeout=30, what="run screen")
        screen = app.screen
        await wait_for(pilot, lambda: screen.followed is not None and screen.followed.model.pod_name,
                       timeout=30, what="the pod")
        model = screen.followed.model
        await wait_for(pilot, lambda: model.phase == "Running", timeout=60, what="running")
        await app.action_quit()  # q in the run view: back to the list
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, what="the list")
        await app.action_quit()  # q on the list: quit, asking about the live run
        await wait_for(pilot, lambda: isinstance(app.screen, QuitDialog), what="the quit question")
        await pilot.press("k")
        await wait_for(pilot, lambda: app.return_value is not None or not app.is_running, timeout=60,
                       what="the app to end")
    [record] = History.open().list_runs()
    assert (record.state, record.outcome) == ("finished", "killed")


async def test_a_pod_deleted_outside_kpodtui_is_said_so_in_the_app(sim, tmp_path):
    from kubernetes import client, config

    from kpodtui.tui.screens.run_screen import RunScreen

    def build():
        from kpodtui.tui.data.engine_backend import EngineBackend

        return EngineBackend(kubeconfig=str(sim.kubeconfig_path))

    spec = tmp_path / "victim.yaml"
    spec.write_text("task_id: victim\nimage: busybox\ntermination_grace_period: 1\n"
                    "cmds: [sh, -c, 'echo up; sleep 60']\n")
    app = KpodApp(build)
    async with app.run_test(size=(140, 40)) as pilot:
        app.launch(spec, spec.read_text(), None)
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), what="run screen")
        screen = app.screen
        await wait_for(pilot, lambda: screen.followed is not None and screen.followed.model.pod_name, what="pod")
        model = screen.followed.model
        await wait_for(pilot, lambda: model.phase == "Running", timeout=60, what="running")
        api = config.new_client_from_config(config_file=str(sim.kubeconfig_path))
        client.CoreV1Api(api).delete_namespaced_pod(model.pod_name, "default")  # kubectl delete pod
        api.close()
        await wait_for(pilot, lambda: model.finished is not None, timeout=60, what="verdict")
        assert model.finished.outcome == "failed" and model.finished.pod_deleted
        assert model.finished.report.startswith(f"Pod {model.pod_name} was deleted outside kpodtui")
