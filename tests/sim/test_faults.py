"""Faults on demand and request counters, through the official client and the admin HTTP API."""

from __future__ import annotations

import json
import threading
import time

import pytest
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException, ServiceException

from kpodtui.sim.faults import Faults

from .helpers import pod_body

POD = "GET /api/v1/namespaces/{namespace}/pods/{name}"


def test_429_with_retry_after_is_retried_by_the_client_for_gets(v1, sim):
    v1.create_namespaced_pod("default", pod_body("p"))
    sim.reset_counters()
    sim.fail_next(1, 429, verb="GET", retry_after=0)
    assert v1.read_namespaced_pod("p", "default").metadata.name == "p"
    assert sim.counters()[POD] == 2  # the 429, then the retry


def test_429_on_post_reaches_the_caller_with_retry_after(v1, sim):
    sim.fail_next(1, 429, verb="create", retry_after=3)
    with pytest.raises(ApiException) as info:
        v1.create_namespaced_pod("default", pod_body("p"))
    assert info.value.status == 429 and info.value.headers["Retry-After"] == "3"
    body = json.loads(info.value.body)
    assert body["reason"] == "TooManyRequests" and body["details"]["retryAfterSeconds"] == 3
    assert v1.create_namespaced_pod("default", pod_body("p")).metadata.name == "p"  # only the next one


def test_500_and_503_for_the_next_n_matching_requests(v1, sim):
    v1.create_namespaced_pod("default", pod_body("p"))
    sim.fail_next(2, 500, path=r"/pods/p$")
    for _ in range(2):
        with pytest.raises(ServiceException) as info:
            v1.read_namespaced_pod("p", "default")
        assert info.value.status == 500 and json.loads(info.value.body)["reason"] == "InternalError"
    v1.list_namespaced_pod("default")  # not matching: served
    v1.read_namespaced_pod("p", "default")
    sim.fail_next(1, 503, verb="list")
    with pytest.raises(ServiceException) as info:
        v1.list_namespaced_pod("default")
    assert info.value.status == 503 and json.loads(info.value.body)["reason"] == "ServiceUnavailable"
    v1.list_namespaced_pod("default")


def test_faults_match_watch_verb(v1, sim):
    sim.fail_next(1, 500, verb="watch")
    v1.list_namespaced_pod("default")
    with pytest.raises(ApiException) as info:
        list(watch.Watch().stream(v1.list_namespaced_pod, "default", timeout_seconds=1))
    assert info.value.status == 500


def test_added_latency(v1, sim):
    v1.list_namespaced_pod("default")  # warm the connection
    sim.set_latency(2.0)  # far above what a list takes, even on a busy machine
    start = time.monotonic()
    v1.list_namespaced_pod("default")
    assert time.monotonic() - start >= 2.0
    sim.set_latency(0)
    start = time.monotonic()
    v1.list_namespaced_pod("default")
    assert time.monotonic() - start < 2.0


def test_restart_apiserver_keeps_state_and_clients_reconnect(v1, sim):
    v1.create_namespaced_pod("default", pod_body("p"))
    port = sim.port
    errors: list[BaseException] = []

    def watch_forever():
        try:
            for _ in watch.Watch().stream(v1.list_namespaced_pod, "default", timeout_seconds=30):
                pass
        except BaseException as exc:  # the dropped connection
            errors.append(exc)

    t = threading.Thread(target=watch_forever)
    t.start()
    deadline = time.monotonic() + 5
    while sim.call(lambda: sim.store.watcher_count) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    sim.restart_apiserver()
    t.join(5)
    assert not t.is_alive()
    assert sim.port == port
    assert v1.read_namespaced_pod("p", "default").metadata.name == "p"  # the same client reconnects
    assert v1.create_namespaced_pod("default", pod_body("q")).metadata.name == "q"


def test_counters_from_python_and_http(v1, sim, raw):
    v1.create_namespaced_pod("default", pod_body("p"))
    v1.read_namespaced_pod("p", "default")
    v1.read_namespaced_pod("p", "default")
    list(watch.Watch().stream(v1.list_namespaced_pod, "default", timeout_seconds=1))
    counters = sim.counters()
    assert counters[POD] == 2
    assert counters["POST /api/v1/namespaces/{namespace}/pods"] == 1
    assert counters["WATCH /api/v1/namespaces/{namespace}/pods"] == 1
    over_http = raw("GET", "/_sim/counters").json()
    assert over_http == counters  # admin requests are not counted
    assert raw("DELETE", "/_sim/counters").status == 200
    assert sim.counters() == {}


def test_admin_http_api_sets_faults(v1, sim, raw):
    v1.create_namespaced_pod("default", pod_body("p"))
    assert raw("POST", "/_sim/faults/fail", json.dumps({"n": 1, "status": 503, "verb": "POST"})).status == 200
    with pytest.raises(ServiceException):
        v1.create_namespaced_pod("default", pod_body("q"))
    assert raw("POST", "/_sim/faults/latency", '{"seconds": 0.01}').status == 200
    assert sim.faults.latency == 0.01
    assert raw("POST", "/_sim/faults/cut-logs", '{"after_lines": 3, "pod": "p"}').status == 200
    assert sim.faults.log_cut is not None and sim.faults.log_cut.after_lines == 3
    assert raw("POST", "/_sim/faults/clear").status == 200
    assert sim.faults.latency == 0 and sim.faults.log_cut is None
    assert raw("POST", "/_sim/faults/expire").status == 200
    assert raw("POST", "/_sim/faults/end-watches").status == 200
    assert raw("POST", "/_sim/faults/fail", '{"status": "x"}').status == 400
    assert raw("GET", "/_sim/counters", token=False).status == 401


def test_admin_restart_over_http(v1, sim, raw):
    v1.create_namespaced_pod("default", pod_body("p"))
    assert raw("POST", "/_sim/restart-apiserver").status == 200
    deadline = time.monotonic() + 5
    while True:  # the restart happens just after the answer
        try:
            assert v1.read_namespaced_pod("p", "default").metadata.name == "p"
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def test_log_cut_is_taken_per_stream():
    faults = Faults()
    assert faults.take_log_cut("p", "c") is None
    faults.cut_logs(5, times=2, pod="p")
    assert faults.take_log_cut("other", "c") is None
    assert faults.take_log_cut("p", "c") == 5
    assert faults.take_log_cut("p", "c") == 5
    assert faults.take_log_cut("p", "c") is None
    faults.cut_logs(1, container="side")
    assert faults.take_log_cut("p", "main") is None
    assert faults.take_log_cut("p", "side") == 1


def test_client_go_retries_honour_retry_after_for_500(sim):
    cfg = client.Configuration()
    config.load_kube_config(config_file=str(sim.kubeconfig_path), client_configuration=cfg)
    cfg.client_go_retries = True
    sim.fail_next(2, 500, verb="list", retry_after=0)
    with client.ApiClient(cfg) as api:
        assert client.CoreV1Api(api).list_namespaced_pod("default").items == []
    assert sim.counters()["GET /api/v1/namespaces/{namespace}/pods"] == 3


def test_forbid_answers_real_rbac_403s(v1, sim, raw):
    sim.create_namespace("locked")
    sim.forbid("locked")
    with pytest.raises(ApiException) as info:
        v1.create_namespaced_pod("locked", pod_body("p"))
    body = json.loads(info.value.body)
    assert info.value.status == 403 and body["reason"] == "Forbidden"
    assert body["message"] == (
        'pods is forbidden: User "kpodtui-sim" cannot create resource "pods" in API group "" '
        'in the namespace "locked"'
    )
    v1.create_namespaced_pod("default", pod_body("p"))  # other namespaces are allowed
    # A narrower rule: reading logs is denied, the pod itself is not.
    assert raw("POST", "/_sim/faults/forbid",
               json.dumps({"namespace": "default", "verbs": ["get"], "resources": ["pods/log"]})).status == 200
    assert v1.read_namespaced_pod("p", "default").metadata.name == "p"
    with pytest.raises(ApiException) as info:
        v1.read_namespaced_pod_log("p", "default")
    assert 'pods "p" is forbidden' in json.loads(info.value.body)["message"]
    assert 'resource "pods/log"' in json.loads(info.value.body)["message"]
    sim.clear_faults()
    v1.create_namespaced_pod("locked", pod_body("q"))
