"""The real kubectl binary against the sim (skipped where kubectl is missing)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from .helpers import pod_body

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed"),
]


def kubectl(sim, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(sim.kubeconfig_path)}
    return subprocess.run(["kubectl", *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_kubectl_get_pods_shows_a_server_side_table(v1, sim):
    # A nodeSelector no node matches keeps it Pending, as on a real cluster.
    v1.create_namespaced_pod("default", pod_body("alpha", nodeSelector={"disk": "none"}))
    out = kubectl(sim, "get", "pods")
    assert out.returncode == 0, out.stderr
    header, row = out.stdout.splitlines()[:2]
    assert header.split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert row.split()[:4] == ["alpha", "0/1", "Pending", "0"]
    wide = kubectl(sim, "get", "pods", "-o", "wide")
    assert "NODE" in wide.stdout.splitlines()[0]
    as_json = kubectl(sim, "get", "pod", "alpha", "-o", "jsonpath={.metadata.name}")
    assert as_json.stdout == "alpha"


def test_kubectl_get_other_kinds(sim):
    sim.create_configmap("default", "cfg", {"a": "1"})
    out = kubectl(sim, "get", "cm,secrets,ns")
    assert out.returncode == 0, out.stderr
    assert "configmap/cfg" in out.stdout and "namespace/default" in out.stdout
    assert kubectl(sim, "get", "pods", "-n", "kube-system").returncode == 0
    missing = kubectl(sim, "get", "pod", "nope")
    assert missing.returncode == 1 and 'pods "nope" not found' in missing.stderr


def test_kubectl_describe_pod_shows_events(v1, sim):
    pod = v1.create_namespaced_pod("default", pod_body("alpha", {"app": "x"}))
    stored = sim.call(lambda: sim.store.get("pods", "default", "alpha"))
    sim.call(sim.store.record_event, "default", stored, "Warning", "FailedScheduling", "0/1 nodes are available")
    out = kubectl(sim, "describe", "pod", "alpha")
    assert out.returncode == 0, out.stderr
    assert "Name:             alpha" in out.stdout and "app=x" in out.stdout
    assert "FailedScheduling" in out.stdout and "0/1 nodes are available" in out.stdout
    assert pod.metadata.uid


def test_kubectl_delete_pod_waits_for_it_to_go(v1, sim):
    v1.create_namespaced_pod("default", pod_body("alpha"))
    out = kubectl(sim, "delete", "pod", "alpha", "--grace-period=0", "--force" if sim.kubelet is None else "--wait")
    assert out.returncode == 0, out.stderr
    assert 'pod "alpha"' in out.stdout and "deleted" in out.stdout
    assert v1.list_namespaced_pod("default").items == []


def test_kubectl_create_and_label(sim):
    out = kubectl(sim, "create", "configmap", "c1", "--from-literal=a=1")
    assert out.returncode == 0, out.stderr
    out = kubectl(sim, "label", "configmap", "c1", "team=x")
    assert out.returncode == 0, out.stderr
    assert kubectl(sim, "get", "cm", "-l", "team=x", "-o", "name").stdout.strip() == "configmap/c1"


# -- with the kubelet: logs, exec, run --attach ------------------------------------------------

needs_kubelet = pytest.mark.usefixtures("_require_kubelet")


@pytest.fixture
def _require_kubelet(sim):
    if sim.kubelet is None:
        pytest.skip("the sim's kubelet half is not installed")


def _wait_phase(v1, name: str, phases: set[str], timeout: float = 20) -> str:
    from kubernetes import watch

    w = watch.Watch()
    for ev in w.stream(v1.list_namespaced_pod, "default", field_selector=f"metadata.name={name}",
                       timeout_seconds=int(timeout)):
        phase = ev["object"].status.phase
        if phase in phases:
            w.stop()
            return phase
    raise AssertionError(f"pod {name} never reached {phases}")


@needs_kubelet
def test_kubectl_logs_follow(v1, sim):
    v1.create_namespaced_pod("default", {"metadata": {"name": "talk"}, "spec": {"restartPolicy": "Never",
                             "containers": [{"name": "c", "image": "busybox",
                                             "command": ["sh", "-c", "echo one; sleep 0.3; echo two"]}]}})
    _wait_phase(v1, "talk", {"Running", "Succeeded"})
    out = kubectl(sim, "logs", "-f", "talk")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "one\ntwo\n"


@needs_kubelet
def test_kubectl_exec_cat_file(v1, sim):
    sim.create_configmap("default", "cfg", {"greeting.txt": "hello from a configmap\n"})
    v1.create_namespaced_pod("default", {"metadata": {"name": "box"}, "spec": {
        "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "60"],
                        "volumeMounts": [{"name": "cfg", "mountPath": "/etc/cfg"}]}],
        "volumes": [{"name": "cfg", "configMap": {"name": "cfg"}}]}})
    _wait_phase(v1, "box", {"Running"})
    out = kubectl(sim, "exec", "box", "--", "cat", "/etc/cfg/greeting.txt")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "hello from a configmap\n"
    failing = kubectl(sim, "exec", "box", "--", "sh", "-c", "exit 3")
    assert failing.returncode == 3


@needs_kubelet
def test_kubectl_run_attach(sim):
    out = kubectl(sim, "run", "once", "--image=busybox", "--restart=Never", "--attach", "--quiet", "--",
                  "sh", "-c", "echo hello from run")
    assert out.returncode == 0, out.stderr
    assert "hello from run" in out.stdout


@needs_kubelet
def test_kubectl_delete_running_pod(v1, sim):
    v1.create_namespaced_pod("default", {"metadata": {"name": "sleeper"}, "spec": {
        "terminationGracePeriodSeconds": 5,
        "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "60"]}]}})
    _wait_phase(v1, "sleeper", {"Running"})
    out = kubectl(sim, "delete", "pod", "sleeper")
    assert out.returncode == 0, out.stderr
    assert v1.list_namespaced_pod("default").items == []


def test_kubectl_apply_validates_on_the_server(sim, tmp_path):
    """No --validate=false: kubectl learns from /openapi/v3 that the server checks fields."""
    cm = tmp_path / "cm.yaml"
    cm.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: applied}\ndata: {A: '1'}\n")
    out = kubectl(sim, "apply", "-f", str(cm))
    assert out.returncode == 0 and "configmap/applied created" in out.stdout, out.stderr
    cm.write_text(cm.read_text().replace("'1'", "'2'"))
    out = kubectl(sim, "apply", "-f", str(cm))
    assert out.returncode == 0 and "configmap/applied configured" in out.stdout, out.stderr
    assert kubectl(sim, "get", "cm", "applied", "-o", "jsonpath={.data.A}").stdout == "2"
    typo = tmp_path / "typo.yaml"
    typo.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: typo}\ndatta: {A: '1'}\n")
    out = kubectl(sim, "apply", "-f", str(typo))
    assert out.returncode == 1 and 'strict decoding error: unknown field "datta"' in out.stderr, out.stderr
    out = kubectl(sim, "apply", "--validate=warn", "-f", str(typo))
    assert out.returncode == 0 and 'Warning: unknown field "datta"' in out.stderr, out.stderr


def test_every_dry_run_manifest_passes_kubectl_apply_strict(sim):
    """`kpodtui dry-run SPEC | kubectl apply -f -`, the server refusing any unknown field."""
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "KUBECONFIG": str(sim.kubeconfig_path)}
    for spec in sorted((root / "sample_tasks").glob("*.yaml")):
        manifest = subprocess.run([sys.executable, "-m", "kpodtui", "dry-run", str(spec)], cwd=root,
                                  capture_output=True, text=True, timeout=30)
        assert manifest.returncode == 0, manifest.stderr
        out = subprocess.run(["kubectl", "apply", "--dry-run=server", "-f", "-"], input=manifest.stdout,
                             env=env, capture_output=True, text=True, timeout=30)
        assert out.returncode == 0 and "created (server dry run)" in out.stdout, (spec.name, out.stderr)
        assert "Warning" not in out.stderr, (spec.name, out.stderr)


@needs_kubelet
def test_kubectl_get_pods_watch_shows_the_columns(v1, sim):
    """`kubectl get pods -w` asks for Tables on the watch too: READY, STATUS... not only NAME/AGE."""
    v1.create_namespaced_pod("default", pod_body("watched", containers=[
        {"name": "main", "image": "busybox", "command": ["sh", "-c", "sleep 1; echo done"]}]))
    env = {**os.environ, "KUBECONFIG": str(sim.kubeconfig_path)}
    proc = subprocess.Popen(["kubectl", "get", "pods", "-w"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for out in proc.stdout:  # ends when the process is killed below
            lines.append(out)
            if "Completed" in out:
                break
    finally:
        proc.kill()
        proc.wait(10)
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], lines
    assert any(ln.split()[:3] == ["watched", "0/1", "Completed"] for ln in lines[1:]), lines
