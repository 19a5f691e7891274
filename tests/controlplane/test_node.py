"""The sim's kubelet as the node of a real control plane: what users do through the real API server.

Every request here goes to the real kube-apiserver (built from k8s.io/kubernetes by
scripts/control-plane); logs, exec and attach reach the node through the API server's
proxy, over TLS with its kubelet client certificate.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.sim_kubelet.helpers import sh, wait_for

ROOT = Path(__file__).resolve().parents[2]
NODE = "kpodtui-node"


def kubectl(real_cluster, *args: str, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "KUBECONFIG": str(real_cluster.kubeconfig_path)}
    return subprocess.run([real_cluster.kubectl, *args], capture_output=True, text=True, input=input, env=env,
                          timeout=timeout)


def make_pod(real_cluster, name: str, *containers: dict, restart: str = "Never", **spec) -> None:
    body = {"metadata": {"name": name}, "spec": {"restartPolicy": restart, "containers": list(containers), **spec}}
    real_cluster.core.create_namespaced_pod(real_cluster.namespace, body)


def phase(real_cluster, name: str) -> str:
    return real_cluster.core.read_namespaced_pod(name, real_cluster.namespace).status.phase


def running(real_cluster, name: str, timeout: float = 30) -> None:
    wait_for(lambda: phase(real_cluster, name) == "Running", timeout, f"pod {name} Running")


def test_kpodtui_run_returns_the_xcom_result_from_a_pod_on_the_joined_node(real_cluster):
    proc = subprocess.run([sys.executable, "-m", "kpodtui", "run", "--kubeconfig", str(real_cluster.kubeconfig_path),
                           "--json", "sample_tasks/xcom.yaml"], cwd=ROOT, capture_output=True, text=True,
                          timeout=100)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["xcom"] == {"answer": 42, "items": ["a", "b"]}
    assert summary["outcome"] == "succeeded"


def test_the_node_is_registered_ready_with_its_kubelet_endpoint_and_renews_its_lease(real_cluster):
    out = kubectl(real_cluster, "get", "nodes", "-o", "json")
    assert out.returncode == 0, out.stderr
    (node,) = json.loads(out.stdout)["items"]
    status = node["status"]
    assert node["metadata"]["name"] == NODE
    assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "True"
    assert {"type": "InternalIP", "address": "127.0.0.1"} in status["addresses"]
    assert status["daemonEndpoints"]["kubeletEndpoint"]["Port"] > 0
    assert "ExtendWebSocketsToKubelet" in status["declaredFeatures"]
    assert status["allocatable"]["pods"] == "110"
    assert not node["spec"].get("taints")  # the node lifecycle controller lifted the not-ready taint
    table = kubectl(real_cluster, "get", "nodes")
    assert f"{NODE}   Ready" in table.stdout, table.stdout
    from kubernetes import client

    leases = client.CoordinationV1Api(real_cluster.cp.api_client)
    lease = leases.read_namespaced_lease(NODE, "kube-node-lease")
    assert lease.spec.holder_identity == NODE
    first = lease.spec.renew_time
    assert (datetime.now(UTC) - first).total_seconds() < 25
    # renewed every 10 s
    wait_for(lambda: leases.read_namespaced_lease(NODE, "kube-node-lease").spec.renew_time > first, 25,
             "the lease renewed")


def test_kubectl_logs_follow_and_options_go_through_the_api_server(real_cluster):
    make_pod(real_cluster, "talker", sh("c", "for i in 1 2 3 4 5; do echo line-$i; done; sleep 1; echo late; "
                                             "sleep 300"))
    wait_for(lambda: "late" in kubectl(real_cluster, "logs", "talker").stdout, 30, "the late line")
    assert kubectl(real_cluster, "logs", "talker").stdout == "".join(f"line-{i}\n" for i in range(1, 6)) + "late\n"
    assert kubectl(real_cluster, "logs", "talker", "--tail=2").stdout == "line-5\nlate\n"
    assert kubectl(real_cluster, "logs", "talker", "--limit-bytes=9").stdout == "line-1\nli"
    stamped = kubectl(real_cluster, "logs", "talker", "--timestamps").stdout.splitlines()
    assert len(stamped) == 6 and stamped[0].endswith("Z line-1") and len(stamped[0].split(" ")[0]) == 30
    # -f follows until the container ends; here it is stopped by the timeout after the backlog arrived
    env = {**os.environ, "KUBECONFIG": str(real_cluster.kubeconfig_path)}
    follow = subprocess.Popen([real_cluster.kubectl, "logs", "-f", "talker", "--tail=1"], stdout=subprocess.PIPE,
                              text=True, env=env)
    try:
        assert follow.stdout is not None
        assert follow.stdout.readline() == "late\n"
        assert follow.poll() is None  # still following
    finally:
        follow.kill()
        follow.wait()
    missing = kubectl(real_cluster, "logs", "talker", "-c", "nope")
    assert missing.returncode != 0 and "container nope is not valid for pod talker" in missing.stderr


def test_kubectl_logs_previous_of_a_restarted_container(real_cluster):
    make_pod(real_cluster, "crasher", sh("c", "echo run-$(cat /tmp/n 2>/dev/null || echo 1); exit 1"),
             restart="OnFailure")
    wait_for(lambda: (real_cluster.core.read_namespaced_pod("crasher", real_cluster.namespace)
                      .status.container_statuses or [None])[0] is not None
             and real_cluster.core.read_namespaced_pod("crasher", real_cluster.namespace)
             .status.container_statuses[0].restart_count >= 1, 30, "a restart")
    prev = kubectl(real_cluster, "logs", "crasher", "--previous")
    assert prev.returncode == 0 and prev.stdout.startswith("run-"), prev.stderr


def test_kubectl_exec_runs_in_the_container_with_stdin_and_exit_codes(real_cluster):
    make_pod(real_cluster, "box", sh("c", "sleep 300"), terminationGracePeriodSeconds=1)
    running(real_cluster, "box")
    out = kubectl(real_cluster, "exec", "box", "--", "sh", "-c", "echo out-$HOSTNAME; echo err >&2; exit 3")
    assert out.returncode == 3
    assert out.stdout == "out-box\n" and "err" in out.stderr
    piped = kubectl(real_cluster, "exec", "-i", "box", "--", "sh", "-c", "tr a-z A-Z", input="hello\n")
    assert (piped.returncode, piped.stdout) == (0, "HELLO\n")
    missing = kubectl(real_cluster, "exec", "box", "--", "no-such-command")
    assert missing.returncode != 0 and "executable file not found" in missing.stderr


def test_the_official_clients_exec_reads_output_and_exit_code_through_the_api_server(real_cluster):
    from kubernetes.stream import stream

    make_pod(real_cluster, "box", sh("c", "echo '{\"a\": 1}' > /tmp/r.json; sleep 300"),
             terminationGracePeriodSeconds=1)
    running(real_cluster, "box")
    resp = stream(real_cluster.core.connect_get_namespaced_pod_exec, "box", real_cluster.namespace,
                  command=["sh", "-c", "cat /tmp/r.json; exit 4"], stdout=True, stderr=True, stdin=False,
                  tty=False, _preload_content=False)
    resp.run_forever(timeout=30)
    assert resp.read_stdout().strip() == '{"a": 1}'
    assert resp.returncode == 4


def test_delete_with_grace_sends_sigterm_and_the_pod_goes_when_it_exits(real_cluster):
    make_pod(real_cluster, "graceful", sh("c", "trap 'echo got TERM; exit 0' TERM; echo ready; "
                                               "while true; do sleep 0.1; done"), terminationGracePeriodSeconds=30)
    running(real_cluster, "graceful")
    wait_for(lambda: "ready" in kubectl(real_cluster, "logs", "graceful").stdout, 20, "the trap to be set")
    started = time.monotonic()
    out = kubectl(real_cluster, "delete", "pod", "graceful", "--wait=true")
    assert out.returncode == 0, out.stderr
    assert time.monotonic() - started < 15  # it exited on SIGTERM: no 30 s wait
    events = real_cluster.core.list_namespaced_event(real_cluster.namespace,
                                                     field_selector="involvedObject.name=graceful").items
    killing = [e for e in events if e.reason == "Killing"]
    assert killing and killing[0].source.component == "kubelet" and killing[0].source.host == NODE


def test_pods_use_configmaps_secrets_and_a_real_service_account_token(real_cluster):
    ns = real_cluster.namespace
    real_cluster.create_configmap(ns, "conf", {"COLOR": "blue"})
    real_cluster.create_secret(ns, "creds", {"password": "s3cret"})
    make_pod(real_cluster, "reader", sh("c", "echo color=$COLOR pw=$(cat /etc/creds/password); "
                                             "cat /var/run/secrets/kubernetes.io/serviceaccount/token > /tmp/t; "
                                             "sleep 300",
                                        envFrom=[{"configMapRef": {"name": "conf"}}],
                                        volumeMounts=[{"name": "creds", "mountPath": "/etc/creds"}]),
             volumes=[{"name": "creds", "secret": {"secretName": "creds"}}], terminationGracePeriodSeconds=1)
    running(real_cluster, "reader")
    wait_for(lambda: "color=" in kubectl(real_cluster, "logs", "reader").stdout, 20, "the output")
    assert kubectl(real_cluster, "logs", "reader").stdout == "color=blue pw=s3cret\n"
    # the projected token the ServiceAccount admission added is a real one: the API server knows it
    token = kubectl(real_cluster, "exec", "reader", "--", "cat", "/tmp/t").stdout.strip()
    assert token.count(".") == 2
    from kubernetes import client

    review = client.AuthenticationV1Api(real_cluster.cp.api_client).create_token_review(
        {"spec": {"token": token}})
    assert review.status.authenticated
    assert review.status.user.username == f"system:serviceaccount:{ns}:default"
