"""The engine end to end against the simulated cluster (containers run as processes)."""

from __future__ import annotations

import time

import pytest

from kpodtui.engine.events import RunFinished, StatusMessage, XComResult
from kpodtui.kube.watch import wait_for
from tests.engine.conftest import Collector


@pytest.mark.parametrize(
    ("sample", "outcome", "code"),
    [("hello.yaml", "succeeded", 0), ("failing.yaml", "failed", 3), ("skip.yaml", "skipped", 42)],
)
def test_samples_reach_their_outcome(run_spec, sample, outcome, code):
    result, col, _ = run_spec(sample)
    assert (result.outcome, result.exit_code) == (outcome, code)
    assert col.of(RunFinished) == [result]


def test_hello_logs_and_pod_deleted(run_spec, sim):
    sim.reset_counters()
    result, col, run = run_spec("hello.yaml")
    assert col.lines("base") == ["hello from kpodtui", "running as task hello", "bye"]
    assert result.pod_deleted
    assert [ln.text for ln in run.history.read_log(run.run_id, "base")] == col.lines("base")
    # one log request for one container: a follow stream that ends cleanly after the container
    # stopped is the whole log (no second request to check it)
    assert sim.counters().get("GET /api/v1/namespaces/{namespace}/pods/{name}/log") == 1, sim.counters()


def test_xcom_result(run_spec):
    result, col, _ = run_spec("xcom.yaml")
    assert result.outcome == "succeeded"
    assert result.xcom == {"answer": 42, "items": ["a", "b"]}
    assert col.of(XComResult)[0].value == result.xcom


def test_bad_image_fails_fast_with_reason(run_spec):
    result, _, _ = run_spec("bad_image.yaml")
    assert result.outcome == "failed"
    assert "ErrImagePull" in result.report or "ImagePullBackOff" in result.report


def test_missing_secret_volume_fails_fast(run_spec):
    started = time.monotonic()
    result, _, _ = run_spec("configmap_secret.yaml", "startup_timeout_seconds=60")
    assert result.outcome == "failed"
    assert "does not exist" in result.report and "demo-secret" in result.report
    assert time.monotonic() - started < 20


def test_missing_configmap_fails_fast(run_spec):
    spec = "task_id: cm\nimage: busybox\ncmds: [sh, -c, 'echo $COLOR']\nconfigmaps: [no-such-config]\nstartup_timeout_seconds: 60\n"
    started = time.monotonic()
    result, _, _ = run_spec(spec)
    assert result.outcome == "failed"
    assert "CreateContainerConfigError" in result.report and "no-such-config" in result.report
    assert time.monotonic() - started < 20


def test_unschedulable_waits_when_the_user_asked_to(run_spec):
    # An explicit schedule_timeout_seconds means "I expect to wait for capacity".
    spec = "task_id: nowhere\nimage: busybox\ncmds: ['true']\nnode_selector: {disk: none}\nschedule_timeout_seconds: 2\n"
    started = time.monotonic()
    result, _, _ = run_spec(spec)
    assert result.outcome == "failed"
    assert "not scheduled within 2s" in result.report and "Unschedulable" in result.report
    assert time.monotonic() - started >= 2


def test_sidecar_that_never_exits_does_not_hang(run_spec):
    spec = """
task_id: sidecar
image: busybox
cmds: [sh, -c, 'echo done']
container_logs: true
full_pod_spec:
  spec:
    containers:
      - name: base
      - name: forever
        image: busybox
        command: [sh, -c, 'while true; do sleep 1; done']
"""
    result, _, _ = run_spec(spec, timeout=30)
    assert result.outcome == "succeeded"


def test_cut_log_streams_lose_and_repeat_nothing(run_spec, sim):
    n = 3000
    spec = f"task_id: many\nimage: busybox\ncmds: [sh, -c, 'i=0; while [ $i -lt {n} ]; do echo line-$i; i=$((i+1)); done']\n"
    sim.cut_logs(after_lines=250, times=8)
    result, col, _ = run_spec(spec)
    assert result.outcome == "succeeded"
    assert col.lines("base") == [f"line-{i}" for i in range(n)]


def test_kill_ends_as_killed(run_spec):
    spec = "task_id: slow\nimage: busybox\ncmds: [sh, -c, 'echo start; sleep 60']\ntermination_grace_period: 1\n"
    run, col = run_spec(spec, start=True)
    assert run.context.wait_until(lambda: any(col.lines("base")), 20)
    run.kill()
    result = run.wait(30)
    assert result is not None and result.outcome == "killed"


CALLBACKS = '''
CALLS = []


class CB:
    @staticmethod
    def on_sync_client_creation(*, client, **kw):
        CALLS.append(("on_sync_client_creation", type(client).__name__))

    @staticmethod
    def on_pod_manifest_created(*, pod_request, **kw):
        CALLS.append(("on_pod_manifest_created", pod_request["metadata"]["name"]))

    @staticmethod
    def on_pod_creation(*, pod, client, mode, **kw):
        CALLS.append(("on_pod_creation", mode))

    @staticmethod
    def on_pod_starting(*, pod, **kw):
        CALLS.append(("on_pod_starting", pod["status"]["phase"]))

    @staticmethod
    def on_pod_completion(*, pod, **kw):
        CALLS.append(("on_pod_completion", None))

    @staticmethod
    def on_pod_teardown(*, pod, **kw):
        CALLS.append(("on_pod_teardown", None))

    @staticmethod
    def on_pod_cleanup(*, pod, **kw):
        CALLS.append(("on_pod_cleanup", None))

    @staticmethod
    def progress_callback(*, line, client, mode, container_name, timestamp, pod, **kw):
        CALLS.append(("line", line))
'''


@pytest.mark.parametrize("code", [0, 4])
def test_callbacks_fire_at_the_reference_points(session, tmp_path, code):
    import importlib
    import sys

    from kpodtui.engine.run import Run
    from kpodtui.history import History
    from kpodtui.tasks import load_specs

    module = f"cbmod{code}"
    (tmp_path / f"{module}.py").write_text(CALLBACKS)
    spec_file = tmp_path / "cb.yaml"
    spec_file.write_text(
        f"task_id: cb\nimage: busybox\ncmds: [sh, -c, 'echo one; echo two; exit {code}']\ncallbacks: '{module}:CB'\n"
    )
    run = Run(load_specs(spec_file)[0], session, History.open(), spec_path=str(spec_file))
    result = run.execute()
    assert result.exit_code == code
    calls = importlib.import_module(module).CALLS
    sys.modules.pop(module, None)
    names = [c[0] for c in calls]
    assert names[:3] == ["on_sync_client_creation", "on_pod_manifest_created", "on_pod_creation"]
    assert calls[0][1] == "CoreV1Api"
    assert [c[1] for c in calls if c[0] == "line"] == ["one", "two"]
    # on_pod_cleanup fires on every ending (the reference skips it on failure), and last
    assert [n for n in names if n != "line"][3:] == [
        "on_pod_starting", "on_pod_completion", "on_pod_teardown", "on_pod_cleanup"
    ]
    assert names.index("on_pod_starting") < names.index("on_pod_completion") < names.index("on_pod_teardown")


def test_cleanup_callback_fires_when_the_pod_never_starts(session, tmp_path):
    import importlib
    import sys

    from kpodtui.engine.run import Run
    from kpodtui.history import History
    from kpodtui.tasks import load_specs

    (tmp_path / "cbfail.py").write_text(CALLBACKS)
    spec_file = tmp_path / "cb.yaml"
    spec_file.write_text("task_id: cb\nimage: registry.invalid/x:1\ncmds: [sh]\ncallbacks: 'cbfail:CB'\n")
    run = Run(load_specs(spec_file)[0], session, History.open(), spec_path=str(spec_file))
    assert run.execute().outcome == "failed"
    names = [c[0] for c in importlib.import_module("cbfail").CALLS]
    sys.modules.pop("cbfail", None)
    assert "on_pod_starting" not in names and names[-1] == "on_pod_cleanup"


def test_xcom_sidecar_is_stopped_cleanly(run_spec, cluster):
    result, _, run = run_spec("xcom.yaml", "on_finish_action=keep_pod")
    assert result.xcom == {"answer": 42, "items": ["a", "b"]}

    def sidecar_exit():
        pod = cluster.get("pods", run.namespace, run.pod_name) or {}
        for cs in pod.get("status", {}).get("containerStatuses") or []:
            if cs["name"] == "airflow-xcom-sidecar" and "terminated" in cs["state"]:
                return cs["state"]["terminated"]["exitCode"]
        return None

    assert run.context.wait_until(lambda: sidecar_exit() is not None, 10), "the sidecar was not stopped"
    assert sidecar_exit() == 0  # SIGINT -> its trap -> exit 0


def test_detached_run_then_attach(run_spec, session):
    from kpodtui.engine.run import Run

    spec = "task_id: later\nimage: busybox\ncmds: [sh, -c, 'for i in 1 2 3 4 5; do echo n-$i; sleep 0.1; done']\ndeferrable: true\n"
    result, col, run = run_spec(spec)
    assert result is None and run.history.get_run(run.run_id).live
    record = run.history.get_run(run.run_id)
    again = Run(run.spec, session, run.history, record=record, detach=False)
    col2 = Collector()
    again.subscribe(col2)
    final = again.execute()
    assert final.outcome == "succeeded"
    assert col2.lines("base") == [f"n-{i}" for i in range(1, 6)]


def test_detach_now_leaves_the_run_live_and_attach_continues(run_spec, session):
    from kpodtui.engine.run import Run

    spec = "task_id: long\nimage: busybox\ncmds: [sh, -c, 'for i in $(seq 30); do echo n-$i; sleep 0.05; done']\n"
    run, col = run_spec(spec, start=True)
    assert run.context.wait_until(lambda: len(col.lines("base")) >= 3, 20)
    run.detach_now()
    assert run.wait(10) is None and run.done.is_set()
    record = run.history.get_run(run.run_id)
    assert record.live and record.owner_pid is None
    again = Run(run.spec, session, run.history, record=record, detach=False)
    col2 = Collector()
    again.subscribe(col2)
    assert again.execute().outcome == "succeeded"
    assert col.lines("base") + col2.lines("base") == [f"n-{i}" for i in range(1, 31)]


def test_attach_to_a_run_that_finished_meanwhile_reads_its_verdict(run_spec, session):
    """The run ended between the caller's read of the history (live) and the attach taking the
    run's lock: the attach shows the recorded verdict, as when it waited for the owner. It used to
    look for the pod, say it no longer exists and record the run as failed over its verdict."""
    import dataclasses

    from kpodtui.engine.run import Run

    result, _col, run = run_spec("hello.yaml")
    assert result.outcome == "succeeded"
    finished = run.history.get_run(run.run_id)
    as_read_before = dataclasses.replace(finished, state="live", outcome=None, finished_at=None)
    again = Run(run.spec, session, run.history, record=as_read_before, detach=False)
    col = Collector()
    again.subscribe(col)
    verdict = again.execute()
    assert verdict is not None and verdict.outcome == "succeeded" and verdict.detail.get("recorded_by_other")
    assert not [e.text for e in col.of(StatusMessage) if "no longer exists" in e.text]
    assert run.history.get_run(run.run_id).outcome == "succeeded"


def test_duplicate_pods_keep_the_newest(run_spec, session, cluster):
    import datetime as dt

    from kpodtui.engine.events import StatusMessage
    from kpodtui.engine.run import Run
    from kpodtui.history import History, RunRecord
    from kpodtui.pod import RunIdentity, build_pod
    from kpodtui.spec import render_spec
    from kpodtui.tasks import load_spec_text

    spec = load_spec_text("task_id: dup\nimage: busybox\ncmds: [sh, -c, 'echo from $HOSTNAME; sleep 0.3']\n")[0]
    history = History.open()
    history.add_run(RunRecord(id="dup0000001", task_id="dup", created_at=time.time()))
    rendered = render_spec(spec, run_id="dup0000001", ts=dt.datetime.now(dt.UTC), try_number=1)
    names = []
    for _ in range(2):  # two pods of the same run, as a worker killed mid-create could leave
        manifest = build_pod(rendered, RunIdentity("dup0000001", 1))
        names.append(manifest["metadata"]["name"])
        session.api.create_pod(cluster.namespace, manifest, lambda: None)
        time.sleep(1.1)  # creation times one second apart: the second is the newest
    record = history.get_run("dup0000001")
    run = Run(spec, session, history, record=record)
    col = Collector()
    run.subscribe(col)
    assert run.execute().outcome == "succeeded"
    assert run.pod_name == names[1]
    said = [e.text for e in col.of(StatusMessage)]
    assert any("found 2 pods of this run" in t and names[0] in t for t in said), said
    old = cluster.get("pods", cluster.namespace, names[0])
    assert old is None or old["metadata"]["labels"]["already_checked"] == "True"


def test_events_are_in_the_order_they_happened_even_when_listed_by_name(run_spec, session):
    import random

    from kpodtui.engine.events import ClusterEvent

    _result, col, run = run_spec("multi_container.yaml")
    reasons = [e.reason for e in run.events]
    assert reasons[0] == "Scheduled" and reasons[-1] == "Started", reasons
    assert [e.order for e in run.events] == sorted(e.order for e in run.events)
    # what `attach` gets: the pod's events listed at once, in name (not time) order
    listed = session.api.list_events(run.namespace, run.pod_name)["items"]
    assert len(listed) == len(run.events)
    random.Random(7).shuffle(listed)
    again = type(run)(run.spec, session, run.history)
    for obj in listed:
        again.context.on_event("ADDED", obj)
    assert [e.uid for e in again.events] == [e.uid for e in run.events]
    # each was published once, as it arrived
    assert sorted(e.uid for e in col.of(ClusterEvent)) == sorted(e.uid for e in run.events)


def test_an_oom_killed_base_is_reported_with_its_limit_and_what_to_do(run_spec, sim):
    run, col = run_spec(
        "task_id: hungry\nimage: busybox\ncmds: [sh, -c, 'echo eating; sleep 60']\n"
        "container_resources: {limits: {memory: 64Mi}}\n", start=True)
    assert wait_for(lambda: "eating" in col.lines("base"), 20)
    sim.kill_container("default", run.pod_name, "base", signal=9, reason="OOMKilled")
    result = run.wait(30)
    assert result.outcome == "failed" and result.exit_code == 137
    assert "container base exited with code 137 (OOMKilled)" in result.report
    assert ("hint: the kernel killed the container for using more memory than its limit (64Mi): "
            "raise container_resources limits.memory") in result.report


def test_a_missing_command_gets_the_127_hint(run_spec):
    result, _, _ = run_spec("task_id: typo\nimage: busybox\ncmds: [sh, -c, 'ech hello']\n")
    assert result.outcome == "failed" and result.exit_code == 127
    assert "hint: exit code 127 is the shell's 'command not found'" in result.report


def test_a_kill_while_the_create_is_under_way_leaves_no_pod(run_spec, session, monkeypatch):
    """Ctrl-C while 'create pod' is still on its way (a slow API server): the kill finds no
    pod to delete; the pod the create brings is deleted as soon as it exists."""
    import threading

    spec = "task_id: slowcreate\nimage: busybox\ncmds: [sh, -c, 'sleep 30']\ntermination_grace_period: 1\n"
    from kpodtui.engine.run import Run
    from kpodtui.history import History
    from kpodtui.tasks import load_spec_text

    history = History.open()
    run = Run(load_spec_text(spec)[0], session, history)
    sending = threading.Event()
    create = run.context.api.create_pod

    def slow_create(*args, **kwargs):
        sending.set()
        time.sleep(0.5)  # the request is not sent yet when the kill comes
        return create(*args, **kwargs)

    monkeypatch.setattr(run.context.api, "create_pod", slow_create)
    run.start()
    assert sending.wait(20)
    run.kill()
    result = run.wait(60)
    assert result is not None and result.outcome == "killed"
    assert result.pod_deleted and result.report == f"killed on request: pod {run.pod_name} deleted"
    pod = session.api.get_pod(run.namespace, run.pod_name)
    assert pod is None or pod["metadata"].get("deletionTimestamp"), "the pod outlived the kill"
    history.close()


def test_a_kill_with_keep_pod_says_the_pod_was_kept(run_spec, session):
    spec = ("task_id: keeper\nimage: busybox\ncmds: [sh, -c, 'echo up; sleep 30']\n"
            "on_kill_action: keep_pod\ntermination_grace_period: 1\n")
    run, col = run_spec(spec, start=True)
    assert run.context.wait_until(lambda: "up" in col.lines("base"), 20)
    run.kill()
    run.hurry()
    result = run.wait(60)
    assert result is not None and result.outcome == "killed" and not result.pod_deleted
    assert result.report == f"killed on request: pod {run.pod_name} kept (on_kill_action: keep_pod)"
    assert run.history.get_run(run.run_id).pod_deleted is False
    pod = session.api.get_pod(run.namespace, run.pod_name)
    assert pod is not None and not pod["metadata"].get("deletionTimestamp")
    session.api.delete_pod(run.namespace, run.pod_name, 0)


def test_a_refused_label_patch_still_deletes_the_pod(run_spec, sim, session):
    """RBAC that allows delete but not patch: the already_checked label fails, said once;
    the pod is deleted anyway (as the reference does)."""
    sim.forbid("default", ["patch"], ["pods"])
    result, col, run = run_spec("task_id: f\nimage: busybox\ncmds: [sh, -c, 'exit 3']\n")
    assert (result.outcome, result.exit_code, result.pod_deleted) == ("failed", 3, True)
    said = [e.text for e in col.of(StatusMessage)]
    assert any(t.startswith(f"could not label pod {run.pod_name} already_checked") and "(403)" in t for t in said)
    pod = session.api.get_pod(run.namespace, run.pod_name)
    assert pod is None or pod["metadata"].get("deletionTimestamp")


def test_a_full_disk_is_said_once_not_taken_for_a_broken_stream(run_spec, sim, monkeypatch):
    """Lines that cannot be recorded (no space left) are not a broken stream: re-reading it
    fails the same way, and it used to, once a second, in silence, for 30 s. They are still
    shown, the failure is said once and the verdict says the log file is incomplete."""
    import errno

    from kpodtui.history import logfiles

    def full(self, lines):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(logfiles.LogFileWriter, "append", full)
    sim.reset_counters()
    started = time.monotonic()
    result, col, run = run_spec("task_id: d\nimage: busybox\ncmds: [sh, -c, 'echo one; echo two']\n")
    assert result.outcome == "succeeded" and time.monotonic() - started < 20
    assert col.lines("base") == ["one", "two"], "the lines go on to the subscribers"
    errors = [e.text for e in col.of(StatusMessage) if e.level == "error"]
    assert errors == [f"cannot write the log files of run {run.run_id} (No space left on device): the lines are "
                      "still shown here, but the log of base on disk stops at line 0"]
    assert result.detail["log_incomplete"] == {"base": {"lines": 0, "error": "No space left on device"}}
    assert run.history.get_run(run.run_id).detail["log_incomplete"]["base"]["lines"] == 0
    assert sim.counters().get("GET /api/v1/namespaces/{namespace}/pods/{name}/log") == 1, sim.counters()


def test_the_namespace_comes_from_the_spec_then_the_template_even_default_then_the_context(sim, tmp_path):
    """A template that says namespace: default is obeyed (it lost to the context's namespace)."""
    import yaml

    from kpodtui.engine.run import Run
    from kpodtui.engine.session import ClusterSession
    from kpodtui.history import History
    from kpodtui.kube.config import ClusterTarget
    from kpodtui.tasks import load_spec_text

    sim.create_namespace("team")
    kc = yaml.safe_load(sim.kubeconfig_path.read_text())
    kc["contexts"][0]["context"]["namespace"] = "team"
    (tmp_path / "kc").write_text(yaml.safe_dump(kc))
    session = ClusterSession.open(ClusterTarget(kubeconfig=str(tmp_path / "kc")))
    history = History.open()
    try:
        cases = {
            "": "team",  # nothing says: the context's
            "pod_template_dict: {metadata: {namespace: default}, spec: {containers: [{name: base}]}}\n": "default",
            "namespace: team\npod_template_dict: {metadata: {namespace: default}}\n": "team",
        }
        for extra, expected in cases.items():
            spec = load_spec_text(f"task_id: ns\nimage: busybox\ncmds: [sh, -c, 'true']\n{extra}")[0]
            run = Run(spec, session, history)
            result = run.execute()
            assert (run.namespace, result.outcome) == (expected, "succeeded"), extra
    finally:
        session.close()
        history.close()
