"""Runs against the sim's faults: cut log streams, ended watches, 410s, 429/503 bursts,
an API server restart, and a create whose reply is lost. Every run must end with the
right verdict and exactly the lines the container wrote."""

from __future__ import annotations

import pytest

from kpodtui.engine.events import LogStreamState
from kpodtui.engine.run import Run
from kpodtui.engine.session import ClusterSession
from kpodtui.history import History
from kpodtui.kube.config import ClusterTarget
from kpodtui.sim.kubeconfig import write_kubeconfig
from kpodtui.tasks import load_spec_text
from tests.engine.conftest import Collector
from tests.engine.proxy import LosingProxy

N = 40


def ticking(n: int = N, delay: float = 0.05, exit_code: int = 0) -> str:
    """A task printing ``tick-0..n-1`` over about ``n * delay`` seconds."""
    return (
        "task_id: ticks\nimage: busybox\n"
        f"cmds: [sh, -c, 'i=0; while [ $i -lt {n} ]; do echo tick-$i; i=$((i+1)); sleep {delay}; done; exit {exit_code}']\n"
    )


def expected(n: int = N) -> list[str]:
    return [f"tick-{i}" for i in range(n)]


def _started_run(run_spec, source: str = ""):
    run, col = run_spec(source or ticking(), start=True)
    assert run.context.wait_until(lambda: len(col.lines("base")) >= 3, 20), "the task never started logging"
    return run, col


def test_cut_log_streams_many_times_mid_run(run_spec, sim):
    cut = sim.cut_logs(after_lines=4, times=6)
    result, col, run = run_spec(ticking())
    assert cut.times == 0, "every cut happened"
    assert result.outcome == "succeeded"
    assert col.lines("base") == expected()
    # each dropped stream was said, and said resumed (what the app shows as "stream broken, resuming")
    states = [e.state for e in col.of(LogStreamState) if e.container == "base"]
    assert states.count("broken") == 6 and states.count("resumed") == 6, states
    assert [ln.text for ln in run.history.read_log(run.run_id, "base")] == expected()


def test_ended_watches_and_expired_versions_do_not_stall(run_spec, sim):
    run, col = _started_run(run_spec)
    sim.end_watches()
    sim.expire_resource_versions()
    assert run.context.wait_until(lambda: len(col.lines("base")) >= 10, 20)
    sim.expire_resource_versions()
    sim.end_watches()
    result = run.wait(30)
    assert result is not None and result.outcome == "succeeded"
    assert col.lines("base") == expected()


def test_a_refused_pod_watch_asked_again_by_a_new_run_still_serves_the_first(run_spec, sim, session):
    """One 401 on the shared pod watch (a rotated token) sets it refusing; the next run asks
    again at once. The first run, subscribed before, must still get its pod's end."""
    first, col = _started_run(run_spec)
    shared = session.pods("default")
    sim.fail_next(1, 401, verb="watch", path="pods")
    sim.end_watches()
    assert first.context.wait_until(lambda: shared.mode == "refused", 20), shared.mode
    second, _, _ = run_spec("task_id: b\nimage: busybox\ncmds: [sh, -c, 'echo done-b']\n")
    assert second.outcome == "succeeded"
    result = first.wait(40)
    assert result is not None and result.outcome == "succeeded", "the first run was left deaf"
    assert col.lines("base") == expected()


def test_pods_becoming_unreadable_mid_run_is_said_not_waited_out_in_silence(run_spec, sim):
    from kpodtui.engine.events import StatusMessage

    run, col = _started_run(run_spec)
    sim.forbid("default", ["list", "watch"], ["pods"])  # the RoleBinding removed, a token revoked
    sim.end_watches()

    def said() -> list[str]:
        return [e.text for e in col.of(StatusMessage) if e.text.startswith("pods can no longer be read")]

    assert run.context.wait_until(lambda: bool(said()), 20), [e.text for e in col.of(StatusMessage)]
    assert "(403)" in said()[0] and "waits for access" in said()[0]
    run.detach_now()
    run.wait(10)


def test_an_observer_that_detaches_leaves_the_owner_recorded(run_spec, session):
    """A second follower of a run (another window's attach) only observes; when it leaves,
    the history must still say which process follows the run."""
    import os

    from kpodtui.engine.events import StatusMessage

    owner, _ = _started_run(run_spec)
    history = owner.history
    assert history.get_run(owner.run_id).owner_pid == os.getpid()
    observer = Run(owner.spec, session, history, record=history.get_run(owner.run_id), detach=False)
    col = Collector()
    observer.subscribe(col)
    observer.start()
    assert observer.context.wait_until(
        lambda: any("followed by another kpodtui process" in e.text for e in col.of(StatusMessage)), 20)
    observer.detach_now()
    observer.wait(10)
    assert history.get_run(owner.run_id).owner_pid == os.getpid(), "the observer erased the owner"
    owner.detach_now()
    owner.wait(10)


def test_reattaching_to_a_running_pod_does_not_say_it_waits_for_scheduling(run_spec, session):
    from kpodtui.engine.events import StatusMessage

    first, _ = _started_run(run_spec)
    first.detach_now()
    first.wait(10)
    again = Run(first.spec, session, first.history, record=first.history.get_run(first.run_id), detach=False)
    col = Collector()
    again.subscribe(col)
    result = again.execute()
    assert result is not None and result.outcome == "succeeded"
    said = [e.text for e in col.of(StatusMessage)]
    assert any(t.startswith("reattached to pod") for t in said)
    assert not [t for t in said if t.startswith("waiting up to")], said


@pytest.mark.parametrize(("status", "count"), [(503, 6), (429, 3)])
def test_error_bursts_are_ridden_out(run_spec, sim, status, count):
    run, col = _started_run(run_spec)
    sim.fail_next(count, status, retry_after=1 if status == 429 else None)
    sim.end_watches()  # the re-watch and re-list run into the burst
    result = run.wait(40)
    assert result is not None and result.outcome == "succeeded", result and result.report
    assert col.lines("base") == expected()


def test_api_server_restart_mid_run(run_spec, sim):
    run, col = _started_run(run_spec)
    sim.restart_apiserver()
    result = run.wait(40)
    assert result is not None and result.outcome == "succeeded", result and result.report
    assert col.lines("base") == expected()


def test_api_server_restart_mid_run_failing_task(run_spec, sim):
    run, col = _started_run(run_spec, ticking(exit_code=5))
    sim.restart_apiserver()
    result = run.wait(40)
    assert result is not None and (result.outcome, result.exit_code) == ("failed", 5)
    assert col.lines("base") == expected()


def test_lost_create_reply_makes_no_second_pod(make_sim, tmp_path):
    sim = make_sim(tls=False)
    proxy = LosingProxy(sim.port, b"POST /api/v1/namespaces/default/pods ")
    kubeconfig = write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{proxy.port}", sim.token)
    session = ClusterSession.open(ClusterTarget(kubeconfig=str(kubeconfig)))
    history = History.open()
    try:
        run = Run(load_spec_text(ticking(5, 0.01))[0], session, history)
        col = Collector()
        run.subscribe(col)
        result = run.execute()
        assert proxy.lost.is_set(), "the proxy never dropped the create reply"
        assert result.outcome == "succeeded"
        assert col.lines("base") == expected(5)
        creates = sim.counters().get("POST /api/v1/namespaces/{namespace}/pods", 0)
        assert creates == 1, sim.counters()
    finally:
        session.close()
        history.close()
        proxy.close()
