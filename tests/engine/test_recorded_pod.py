"""What the history keeps of a run for later: its --set overrides, its pod (as created and as
last seen, secrets masked), its events, its phase while it lives, its end."""

from __future__ import annotations

from kpodtui.engine.run import RunService
from kpodtui.history import History
from kpodtui.kube.config import ClusterTarget
from kpodtui.kube.watch import wait_for
from kpodtui.tasks import load_task

SPEC = """\
task_id: recorded
image: busybox:1.36
cmds: [sh, -c, 'echo "n=$N"; sleep 0.3']
env_vars: {N: '{{ params.n }}', API_TOKEN: hunter2}
params: {n: 1}
"""


def test_overrides_pod_events_phase_and_end_are_recorded(sim, tmp_path):
    spec_file = tmp_path / "recorded.yaml"
    spec_file.write_text(SPEC)
    history = History.open()
    service = RunService(ClusterTarget(kubeconfig=str(sim.kubeconfig_path)), history)
    try:
        spec, text = load_task(spec_file, None, None, ["params.n=7"])
        run = service.launch(spec, spec_path=str(spec_file), spec_text=text, overrides=["params.n=7"], start=False)
        phases: list[str | None] = []
        run.subscribe(lambda ev: phases.append(history.get_run(run.run_id).phase) if type(ev).__name__ ==
                      "PodStatusChanged" and ev.phase == "Running" else None)
        result = run.execute()
    finally:
        service.close()
    assert result.outcome == "succeeded"
    record = history.get_run(run.run_id)
    assert record.overrides == ("params.n=7",)
    assert "Running" in phases  # written by the owner as the pod moved, not only once at create
    assert record.finished_at == result.detail["finished_at"]
    assert record.duration is not None and record.duration >= 0.3
    kept = history.pod_record(run.run_id)
    env = {e["name"]: e.get("value") for e in kept["manifest"]["spec"]["containers"][0]["env"]}
    assert env["N"] == "7" and env["API_TOKEN"] != "hunter2"
    assert kept["last_pod"]["metadata"]["name"] == record.pod_name
    assert "hunter2" not in str(kept)
    assert any(ev["reason"] == "Started" for ev in kept["events"])
    history.close()


def test_keep_can_be_undone_while_the_run_lives(sim, tmp_path):
    spec_file = tmp_path / "long.yaml"
    spec_file.write_text("task_id: long\nimage: busybox\ncmds: [sh, -c, 'sleep 1']\n")
    history = History.open()
    service = RunService(ClusterTarget(kubeconfig=str(sim.kubeconfig_path)), history)
    try:
        spec, text = load_task(spec_file, None, None, [])
        run = service.launch(spec, spec_path=str(spec_file), spec_text=text)
        assert wait_for(lambda: bool(run.pod_name), 30)
        service.keep(run.run_id)
        assert history.get_run(run.run_id).on_finish_action == "keep_pod"
        service.keep(run.run_id, keep=False)
        assert history.get_run(run.run_id).on_finish_action == "delete_pod"
        result = run.wait(60)
    finally:
        service.close()
    assert result is not None and result.pod_deleted
    history.close()
