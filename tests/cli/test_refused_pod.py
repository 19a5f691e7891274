"""A pod the API server refuses as invalid (422) is bad input: exit 2, its words, a history that says so."""

from __future__ import annotations

from pathlib import Path

from kpodtui.cli import main
from kpodtui.history import History

HELLO = str(Path(__file__).resolve().parents[2] / "sample_tasks/hello.yaml")


def test_a_pod_refused_as_invalid_is_bad_input_not_a_cluster_error(sim, sim_kubeconfig, capsys):
    # What offline validation cannot know: an admission policy of this cluster denies the pod (422).
    sim.fail_next(1, 422, verb="create", path="/pods")
    assert main(["run", HELLO]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [ln for ln in err.splitlines() if ln.startswith("kpodtui: error:")]
    assert len(errors) == 1, err
    assert "refused it as invalid (422)" in errors[0]
    assert "spec: Forbidden: denied by an admission policy" in errors[0]
    (record,) = History.open().list_runs()
    assert record.state == "finished" and record.outcome == "failed"
    assert not record.pod_name, "no pod was created"
    assert "refused it as invalid (422)" in (record.failure_report or "")
    assert "no pod was created" in (record.failure_report or "")
