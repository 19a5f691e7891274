"""A cluster that cannot be used: one line naming the problem and the fix, exit 4, a consistent history.

Everything goes through the real CLI (``kpodtui.cli.main``) against the simulated
cluster; the faults are the sim's own (a wrong CA, RBAC-style 403s, a missing
namespace).
"""

from __future__ import annotations

import base64
import time
from pathlib import Path

import yaml

from kpodtui.cli import main
from kpodtui.history import History
from kpodtui.sim.tls import make_certs, openssl_available

ROOT = Path(__file__).resolve().parents[2]
HELLO = str(ROOT / "sample_tasks/hello.yaml")


def _error_lines(err: str) -> list[str]:
    """The lines a user reads as the problem: everything but the progress status lines."""
    return [ln for ln in err.splitlines() if ln.startswith("kpodtui: error:") or not ln.startswith("kpodtui: ")]


def _assert_one_line_error(err: str, *needles: str) -> str:
    assert "Traceback" not in err, err
    lines = _error_lines(err)
    assert len(lines) == 1, f"expected one error line, got {lines!r}"
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def _only_run() -> object:
    runs = History.open().list_runs()
    assert len(runs) == 1, runs
    return runs[0]


def test_wrong_ca_fails_at_once_naming_tls_and_the_kubeconfig(sim, tmp_path, capsys):
    if not openssl_available():
        import pytest

        pytest.skip("the sim serves plain http without openssl")
    other_ca = make_certs(tmp_path / "other").ca_pem()
    cfg = yaml.safe_load(sim.kubeconfig_path.read_text())
    cfg["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(other_ca).decode()
    kc = tmp_path / "wrong-ca.kubeconfig"
    kc.write_text(yaml.safe_dump(cfg))

    started = time.monotonic()
    assert main(["run", HELLO, "--kubeconfig", str(kc)]) == 4
    took = time.monotonic() - started
    line = _assert_one_line_error(capsys.readouterr().err, "certificate", "certificate-authority")
    assert "HTTPSConnectionPool" not in line and "Max retries" not in line
    # A certificate that is not trusted will not become trusted by retrying.
    assert took < 20, f"took {took:.1f}s: a TLS verification failure was retried (for up to 60 s)"
    record = _only_run()
    assert record.outcome == "error" and not record.pod_name
    assert "certificate" in (record.failure_report or "")


def test_garbage_ca_data_says_the_ca_cannot_be_loaded(sim, tmp_path, capsys):
    if not openssl_available():
        import pytest

        pytest.skip("the sim serves plain http without openssl")
    cfg = yaml.safe_load(sim.kubeconfig_path.read_text())
    cfg["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(b"not a cert").decode()
    kc = tmp_path / "garbage-ca.kubeconfig"
    kc.write_text(yaml.safe_dump(cfg))
    assert main(["run", HELLO, "--kubeconfig", str(kc)]) == 4
    _assert_one_line_error(capsys.readouterr().err, "certificate-authority")


def test_missing_namespace_is_one_line_and_recorded_without_a_pod(sim_kubeconfig, capsys):
    assert main(["run", HELLO, "-n", "nope"]) == 4
    err = capsys.readouterr().err
    _assert_one_line_error(err, "namespace 'nope' does not exist", "-n")
    assert "returned a failure" not in err  # no pod ever existed to fail
    record = _only_run()
    assert record.state == "finished" and record.outcome == "error"
    assert not record.pod_name, "a pod that was never created is not shown as the run's pod"
    assert "namespace 'nope' does not exist" in (record.failure_report or "")


def test_wrong_token_is_one_line_401(sim, tmp_path, capsys):
    cfg = yaml.safe_load(sim.kubeconfig_path.read_text())
    cfg["users"][0]["user"]["token"] = "wrong-token-123"
    kc = tmp_path / "badtoken.kubeconfig"
    kc.write_text(yaml.safe_dump(cfg))
    assert main(["run", HELLO, "--kubeconfig", str(kc)]) == 4
    out = capsys.readouterr()
    _assert_one_line_error(out.err, "401", "credentials")
    for token in ("wrong-token-123", sim.token):
        assert token not in out.err + out.out


def test_forbidden_namespace_says_forbidden_and_what_to_do(sim, sim_kubeconfig, capsys):
    sim.create_namespace("locked")
    sim.forbid("locked")  # RBAC: this user may do nothing in "locked"
    assert main(["run", HELLO, "-n", "locked"]) == 4
    line = _assert_one_line_error(capsys.readouterr().err, "forbidden", "RBAC", "-n")
    assert 'cannot create resource "pods"' in line and '"locked"' in line
    record = _only_run()
    assert record.outcome == "error" and not record.pod_name


def test_forbidden_watch_fails_fast_as_a_cluster_error(sim, sim_kubeconfig, capsys):
    # RBAC that lets the user create pods but not list/watch them: the run cannot be followed.
    sim.forbid("default", verbs=["list", "watch"], resources=["pods"])
    started = time.monotonic()
    assert main(["run", HELLO]) == 4
    assert time.monotonic() - started < 25, "a 403 on the watch was waited out (30 s)"
    _assert_one_line_error(capsys.readouterr().err, "forbidden", 'cannot list resource "pods"', "RBAC")
    record = _only_run()
    assert record.state == "finished" and record.outcome == "error"
    # The pod it had created does not outlive the run.
    pod = sim.get("pods", "default", record.pod_name)
    assert pod is None or pod["metadata"].get("deletionTimestamp"), pod


def test_a_forbidden_pod_watch_falls_back_to_listing_and_says_so(sim, sim_kubeconfig, capsys):
    # RBAC that allows listing pods but not watching them: the run is followed by polling.
    sim.forbid("default", verbs=["watch"], resources=["pods"])
    assert main(["run", HELLO]) == 0
    out = capsys.readouterr()
    assert "[base] bye" in out.out
    assert "watching pods is forbidden (403); listing them every 2 s instead" in out.err
    record = _only_run()
    assert record.outcome == "succeeded" and record.exit_code == 0
    pod = sim.get("pods", "default", record.pod_name)
    assert pod is None or pod["metadata"].get("deletionTimestamp"), pod


def test_unreadable_events_do_not_fail_the_run_but_are_said(sim, sim_kubeconfig, capsys):
    # Many RBAC roles leave events out: the run goes on without them, and says so once.
    sim.forbid("default", verbs=["list", "watch"], resources=["events"])
    assert main(["run", HELLO]) == 0
    err = capsys.readouterr().err
    notes = [ln for ln in err.splitlines() if "cluster events cannot be read here" in ln]
    assert len(notes) == 1 and 'cannot list resource "events"' in notes[0], err
    assert _only_run().outcome == "succeeded"


def test_a_forbidden_log_is_said_at_once_and_the_run_is_still_judged(sim, sim_kubeconfig, capsys):
    sim.forbid("default", verbs=["get"], resources=["pods/log"])
    started = time.monotonic()
    assert main(["run", HELLO]) == 0
    assert time.monotonic() - started < 20, "the forbidden log was waited out"
    out = capsys.readouterr()
    assert out.out == ""
    notes = [ln for ln in out.err.splitlines() if "cannot read the log of base" in ln]
    assert len(notes) == 1 and 'cannot get resource "pods/log"' in notes[0] and "(403)" in notes[0], out.err
    assert _only_run().outcome == "succeeded"


def test_a_forbidden_exec_fails_the_xcom_run_with_the_servers_reason_on_one_line(sim, sim_kubeconfig, capsys):
    sim.forbid("default", verbs=["create", "get"], resources=["pods/exec"])
    assert main(["run", str(ROOT / "sample_tasks/xcom.yaml")]) == 1
    err = capsys.readouterr().err
    line = next(ln for ln in err.splitlines() if ln.startswith("kpodtui: xcom error:"))
    assert line.endswith('cannot get resource "pods/exec" in API group "" in the namespace "default" (403)'), line
    assert "-+-+-" not in err and "HTTPHeaderDict" not in err
    record = _only_run()
    assert record.outcome == "failed" and 'cannot get resource "pods/exec"' in (record.failure_report or "")


def test_a_forbidden_delete_is_one_warning_line_and_the_verdict_stands(sim, sim_kubeconfig, capsys):
    sim.forbid("default", verbs=["delete"], resources=["pods"])
    assert main(["run", HELLO]) == 0
    err = capsys.readouterr().err
    warnings = [ln for ln in err.splitlines() if "cleanup of pod" in ln]
    assert len(warnings) == 1 and warnings[0].endswith('cannot delete resource "pods" in API group "" '
                                                       'in the namespace "default" (403)'), err
    assert "HTTP response" not in err
    assert _only_run().outcome == "succeeded"


def test_previously_recorded_runs_survive_cluster_errors(sim, sim_kubeconfig, capsys):
    assert main(["run", HELLO]) == 0
    first = History.open().list_runs()[0]
    assert main(["run", HELLO, "-n", "nope"]) == 4
    runs = {r.id: r for r in History.open().list_runs()}
    assert len(runs) == 2
    assert runs[first.id].outcome == "succeeded" and runs[first.id].pod_name == first.pod_name


def test_an_invalid_namespace_or_port_is_bad_input_before_any_cluster_is_asked(capsys):
    import pytest

    for argv, needle in ((["run", "-n", "Bad_NS", HELLO], "'Bad_NS' is not a valid namespace name"),
                         (["sim", "--port", "99999"], "'99999' is not a port number"),
                         (["runs", "--limit", "0"], "'0' is not a count of runs")):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert needle in err and "Traceback" not in err
    assert not History.open().list_runs()  # nothing was recorded for a run that never started


def test_sim_with_a_kubeconfig_or_context_is_bad_input_not_silently_ignored(capsys):
    assert main(["run", "--sim", "--context", "prod", HELLO]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--sim runs its own cluster and cannot be combined with --context" in err
    assert main(["--sim", "--kubeconfig", "/tmp/kc"]) == 2  # the app, too
    assert "--kubeconfig" in capsys.readouterr().err
    assert not History.open().list_runs()


def test_detach_on_the_in_process_sim_is_bad_input_and_deferrable_runs_to_its_end(tmp_path, capsys):
    # --detach would leave a "live" run whose cluster is gone the moment the command returns
    assert main(["run", "--sim", "--detach", HELLO]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--detach cannot outlive --sim" in err and "kpodtui sim" in err
    assert not History.open().list_runs()
    # a deferrable spec is followed to its verdict instead, and says so
    spec = tmp_path / "deferred.yaml"
    spec.write_text("task_id: deferred\nimage: busybox\ncmds: [sh, -c, 'echo done']\ndeferrable: true\n")
    assert main(["run", "--sim", str(spec)]) == 0
    out, err = capsys.readouterr()
    assert "[base] done" in out and "deferrable is not honoured with --sim" in err
    (record,) = History.open().list_runs()
    assert (record.state, record.outcome) == ("finished", "succeeded")
