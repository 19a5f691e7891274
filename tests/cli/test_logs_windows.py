"""``kpodtui logs``: --since / --tail windows, stern's container include/exclude, -p (previous instance)."""

from __future__ import annotations

import time

from kpodtui.cli import main
from kpodtui.engine.events import LogLine
from kpodtui.history import History, RunRecord
from kpodtui.kube.watch import wait_for
from kpodtui.loglines import rfc3339


def _seed(home) -> None:
    now = time.time()
    h = History.open(home)
    h.add_run(RunRecord(id="win111", task_id="t", state="finished", outcome="succeeded", created_at=now - 600))
    h.open_log("win111", "api").append([LogLine("api", rfc3339(now - 600 + i), f"api old {i}") for i in range(3)]
                                       + [LogLine("api", rfc3339(now - 30 + i), f"api new {i}") for i in range(3)])
    h.open_log("win111", "api-sidecar").append([LogLine("api-sidecar", rfc3339(now - 20), "side new")])
    h.open_log("win111", "worker").append([LogLine("worker", rfc3339(now - 10), "worker new")])
    h.close()


def _lines(capsys) -> list[str]:
    return capsys.readouterr().out.splitlines()


def test_since_tail_and_container_regexes(_hermetic_home, capsys):
    _seed(_hermetic_home)
    assert main(["logs", "win111", "--since", "1m"]) == 0
    assert _lines(capsys) == ["[api] api new 0", "[api] api new 1", "[api] api new 2", "[api-sidecar] side new",
                              "[worker] worker new"]
    assert main(["logs", "win111", "--tail", "2"]) == 0
    assert _lines(capsys) == ["[api-sidecar] side new", "[worker] worker new"]
    assert main(["logs", "win111", "--containers", "^api", "-E", "sidecar", "--tail", "4"]) == 0
    assert _lines(capsys) == ["[api] api old 2", "[api] api new 0", "[api] api new 1", "[api] api new 2"]
    assert main(["logs", "win111", "--containers", "work|side", "--since", "15s"]) == 0
    assert _lines(capsys) == ["[worker] worker new"]
    assert main(["logs", "win111", "--tail", "0"]) == 0
    assert _lines(capsys) == []


def test_bad_windows_and_regexes_are_one_line_each(_hermetic_home, capsys):
    _seed(_hermetic_home)
    import pytest

    for argv, said in ((["--since", "5x"], "'5x' is not a duration"), (["--containers", "("], "not a regular"),
                       (["-p", "-f"], "drop -f")):
        assert main(["logs", "win111", *argv]) == 2
        err = capsys.readouterr().err
        assert said in err and err.count("\n") == 1 and "Traceback" not in err
    with pytest.raises(SystemExit) as info:  # argparse's own: usage, then the one line
        main(["logs", "win111", "--tail", "-3"])
    assert info.value.code == 2 and "'-3' is not a number of lines" in capsys.readouterr().err


def test_previous_shows_the_log_of_the_container_before_its_restart(sim, tmp_path, _hermetic_home, capsys):
    import kubernetes

    marker = tmp_path / "ran-once"
    script = (f"if [ -f {marker} ]; then echo second life; sleep 60; "
              f"else touch {marker}; echo first life; exit 1; fi")
    api = kubernetes.client.CoreV1Api(kubernetes.config.new_client_from_config(str(sim.kubeconfig_path)))
    api.create_namespaced_pod("default", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "restarter"},
        "spec": {"restartPolicy": "OnFailure", "containers": [
            {"name": "base", "image": "busybox", "command": ["sh", "-c", script]}]},
    })

    def restarted_and_running() -> bool:
        status = api.read_namespaced_pod("restarter", "default").status
        cs = (status.container_statuses or [None])[0]
        return cs is not None and cs.restart_count >= 1 and cs.state.running is not None

    assert wait_for(restarted_and_running, 30)
    h = History.open()
    h.add_run(RunRecord(id="prev11", task_id="t", pod_name="restarter", namespace="default",
                        kubeconfig=str(sim.kubeconfig_path), spec_text="task_id: t\nimage: busybox\n",
                        created_at=time.time()))
    h.close()
    assert main(["logs", "prev11", "-p"]) == 0
    assert _lines(capsys) == ["[base] first life"]
    assert main(["logs", "prev11", "-p", "--timestamps"]) == 0
    (line,) = _lines(capsys)
    assert line.startswith("[base] 20") and line.endswith(" first life")
