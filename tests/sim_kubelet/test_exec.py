"""Exec over websocket (v5 and v4), with the official client's ``stream()``, and the XCom pattern."""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import stream

from .helpers import container_status, pod, sh, wait_for, wait_phase

LOOP = "trap 'exit 0' INT TERM; while true; do sleep 0.05; done"


@pytest.fixture
def running(api):
    """A running pod ``box`` with one container ``main`` and an emptyDir at /data."""
    body = pod("box", sh("main", f"echo hello > /data/greeting; {LOOP}", workingDir="/data",
                         env=[{"name": "GREETING", "value": "hi there"}],
                         volumeMounts=[{"name": "data", "mountPath": "/tmp/kpodtui-sim/data"}]),
               volumes=[{"name": "data", "emptyDir": {}}])
    body["spec"]["containers"][0]["command"][2] = body["spec"]["containers"][0]["command"][2].replace(
        "/data/greeting", "/tmp/kpodtui-sim/data/greeting")
    api.create_namespaced_pod("default", body)
    wait_phase(api, "box", ("Running",))
    return "box"


def _exec(api, name, command, protocol=None, **kw):
    kw.setdefault("stderr", True)
    kw.setdefault("stdout", True)
    kw.setdefault("stdin", False)
    kw.setdefault("tty", False)
    if protocol:
        kw["_headers"] = {"sec-websocket-protocol": protocol}
    ws = stream(api.connect_get_namespaced_pod_exec, name, "default", command=command,
                _preload_content=False, **kw)
    ws.run_forever(timeout=10)
    return ws


@pytest.mark.parametrize("protocol", [None, "v4.channel.k8s.io"])
def test_exec_stdout_stderr_and_exit_code(api, running, protocol):
    ws = _exec(api, running, ["sh", "-c", "echo out; echo err >&2; exit 7"], protocol)
    assert ws.returncode == 7
    assert ws.read_stdout() == "out\n"
    assert ws.read_stderr() == "err\n"
    assert ws.subprotocol == (protocol or "v5.channel.k8s.io")
    ok = _exec(api, running, ["true"], protocol)
    assert ok.returncode == 0


def test_exec_with_a_tty_and_no_stdin_runs_the_command(api, running):
    """`kubectl exec -t POD -- cmd` (a terminal, nothing to send): the command runs, its
    output on the terminal, its exit code on the status channel."""
    ws = _exec(api, running, ["sh", "-c", "echo hi; exit 3"], tty=True, stderr=False)
    assert ws.returncode == 3
    assert ws.read_stdout().replace("\r\n", "\n") == "hi\n"


def test_exec_preloaded_returns_the_output(api, running):
    out = stream(api.connect_get_namespaced_pod_exec, running, "default",
                 command=["sh", "-c", "echo $GREETING; pwd; cat /tmp/kpodtui-sim/data/greeting"],
                 stderr=True, stdin=False, stdout=True, tty=False, _request_timeout=10)
    assert out == "hi there\n/data\nhello\n"


def test_exec_stdin_and_v5_close(api, running):
    ws = stream(api.connect_get_namespaced_pod_exec, running, "default", command=["cat"],
                stderr=True, stdin=True, stdout=True, tty=False, _preload_content=False)
    ws.write_stdin("ping\n")
    assert ws.readline_stdout(timeout=5) == "ping"
    ws.close_channel(0)
    ws.run_forever(timeout=10)
    assert ws.returncode == 0


def test_exec_sees_the_containers_processes_only(api, running):
    ws = _exec(api, running, ["sh", "-c", "ps -e -o pid=,args= | head -1; hostname"])
    first, host = ws.read_stdout().splitlines()[:2]
    assert first.split(None, 1)[0] == "1" and "while true" in first
    assert host == "box"


def test_exec_errors(api, running):
    with pytest.raises(ApiException) as e:
        stream(api.connect_get_namespaced_pod_exec, "nope", "default", command=["true"],
               stdout=True, stderr=True, stdin=False, tty=False)
    assert "404" in str(e.value.reason)
    with pytest.raises(ApiException) as e:
        api.connect_get_namespaced_pod_exec(running, "default", command=["true"], stdout=True)
    assert e.value.status == 400 and json.loads(e.value.body)["message"] == "Upgrade request required"
    ws = _exec(api, running, ["no-such-command-xyz"])
    assert "executable file not found" in ws.read_channel(3)


def test_exec_into_completed_pod_is_400(api):
    api.create_namespaced_pod("default", pod("over", sh("main", "true")))
    wait_phase(api, "over")
    with pytest.raises(ApiException) as e:
        api.connect_get_namespaced_pod_exec("over", "default", command=["true"], stdout=True)
    assert e.value.status == 400
    assert "cannot exec into a container in a completed pod" in json.loads(e.value.body)["message"]


# the sidecar and the commands exactly as the reference operator sends them
SIDECAR = 'trap "exit 0" INT; while true; do sleep 1; done;'
READ_XCOM = ("if [ -s /airflow/xcom/return.json ]; then cat /airflow/xcom/return.json; "
             "else echo __airflow_xcom_result_empty__; fi")
KILL_SIDECAR = "kill -2 $(pgrep -u $(id -u) -f 'sh')\n"


def test_xcom_sidecar_pattern_end_to_end(api):
    xcom = [{"name": "xcom", "mountPath": "/airflow/xcom"}]
    body = pod(
        "xcom",
        sh("base", "echo working; echo '{\"answer\": 42}' > /airflow/xcom/return.json", volumeMounts=xcom),
        {"name": "airflow-xcom-sidecar", "image": "alpine:3.24.2", "command": ["sh", "-c", SIDECAR],
         "volumeMounts": xcom, "resources": {"requests": {"cpu": "1m", "memory": "10Mi"}}},
        volumes=[{"name": "xcom", "emptyDir": {}}],
    )
    api.create_namespaced_pod("default", body)

    def base_done():
        # the base may end before the sidecar has even started (both start together; a busy
        # machine starts one late): the state this test is about is both at once
        p = api.read_namespaced_pod("xcom", "default")
        cs, side = container_status(p, "base"), container_status(p, "airflow-xcom-sidecar")
        return p if cs is not None and cs.state.terminated and side is not None and side.state.running else None

    p = wait_for(base_done, what="base container done, the sidecar running")
    assert p.status.phase == "Running"

    result = stream(api.connect_get_namespaced_pod_exec, "xcom", "default", container="airflow-xcom-sidecar",
                    command=["/bin/sh", "-c", READ_XCOM], stdin=False, stdout=True, stderr=True, tty=False,
                    _request_timeout=10)
    assert json.loads(result) == {"answer": 42}

    ws = stream(api.connect_get_namespaced_pod_exec, "xcom", "default", container="airflow-xcom-sidecar",
                command=["/bin/sh"], stdin=True, stdout=True, stderr=True, tty=False, _preload_content=False)
    # as the reference's _exec_pod_command: write the command, pump until the server closes
    ws.write_stdin(KILL_SIDECAR)
    deadline = time.monotonic() + 10
    stderr = ""
    while ws.is_open() and time.monotonic() < deadline:
        ws.update(timeout=1)
        while ws.peek_stderr():
            stderr += ws.read_stderr()
    assert not ws.is_open(), "the exec's own sh is SIGINTed too, which ends the stream"
    assert stderr == ""
    ws.close()

    p = wait_phase(api, "xcom", timeout=10)
    assert p.status.phase == "Succeeded"
    term = container_status(p, "airflow-xcom-sidecar").state.terminated
    assert (term.exit_code, term.reason) == (0, "Completed")


@pytest.mark.kubectl
@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_exec_cat_and_logs(api, running, sim_kubeconfig):
    env = {"KUBECONFIG": sim_kubeconfig, "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp"}
    out = subprocess.run(["kubectl", "exec", running, "--", "cat", "/tmp/kpodtui-sim/data/greeting"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "hello\n"
    out = subprocess.run(["kubectl", "exec", running, "--", "sh", "-c", "exit 3"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 3, out.stderr


def test_attach_streams_the_container_output_until_it_ends(api):
    api.create_namespaced_pod("default", pod("att", sh("main", "echo one; sleep 0.3; echo two")))
    wait_phase(api, "att", ("Running",))
    ws = stream(api.connect_get_namespaced_pod_attach, "att", "default", container="main",
                stdout=True, stderr=True, stdin=False, tty=False, _preload_content=False)
    ws.run_forever(timeout=10)
    assert ws.returncode == 0
    assert ws.read_stdout() == "one\ntwo\n"


def test_exec_with_a_terminal(api, running):
    ws = stream(api.connect_get_namespaced_pod_exec, running, "default", command=["sh"],
                stdin=True, stdout=True, stderr=True, tty=True, _preload_content=False)
    ws.write_channel(4, '{"Width":100,"Height":30}')
    ws.write_stdin("stty size; echo to-stderr >&2; exit 3\n")
    ws.run_forever(timeout=10)
    assert ws.returncode == 3
    out = ws.read_stdout()
    assert "30 100\r\n" in out and "to-stderr\r\n" in out  # a terminal merges stderr into stdout
