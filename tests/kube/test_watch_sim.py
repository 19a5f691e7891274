"""The shared watch and the safe create against the simulated API server and its faults."""

from __future__ import annotations

import threading
import time

import pytest

from kpodtui.constants import MANAGED_SELECTOR
from kpodtui.errors import ClusterError
from kpodtui.kube.api import KubeApi, explain
from kpodtui.kube.config import ClusterTarget, connect
from kpodtui.kube.retry import RetryPolicy
from kpodtui.kube.watch import Watcher, wait_for

FAST = RetryPolicy(base=0.01, cap=0.1)


def manifest(name: str) -> dict:
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "kpodtui", "run_id": name}},
        # a node selector nothing matches keeps the pod Pending whatever the sim's kubelet does
        "spec": {"containers": [{"name": "base", "image": "busybox"}], "restartPolicy": "Never",
                 "nodeSelector": {"nowhere": "true"}},
    }  # fmt: skip


@pytest.fixture
def api(sim):
    client = connect(ClusterTarget(kubeconfig=str(sim.kubeconfig_path)))
    a = KubeApi(client, FAST)
    yield a
    a.stop.set()


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, kind: str, obj: dict) -> None:
        with self.lock:
            self.seen.append((kind, (obj["metadata"].get("labels") or {}).get("step", "")))

    def has(self, kind: str, step: str = "") -> bool:
        with self.lock:
            return (kind, step) in self.seen


def _watch(api: KubeApi, rec: Recorder, name: str) -> Watcher:
    w = Watcher(api, "default", "pods", label_selector=MANAGED_SELECTOR).start()
    w.subscribe(name, rec)
    assert w.wait_synced(10)
    return w


def test_watch_survives_ended_watches_410_and_error_bursts(sim, api):
    rec = Recorder()
    w = _watch(api, rec, "p1")
    try:
        api.create_pod("default", manifest("p1"), lambda: None)
        assert wait_for(lambda: rec.has("ADDED"), 5)
        sim.end_watches()
        api.patch_labels("default", "p1", {"step": "after-end"})
        assert wait_for(lambda: rec.has("MODIFIED", "after-end"), 5)
        sim.expire_resource_versions()
        api.patch_labels("default", "p1", {"step": "after-410"})
        assert wait_for(lambda: rec.has("MODIFIED", "after-410"), 5)
        assert w.relists >= 2
        sim.fail_next(4, 503, verb="watch")
        sim.fail_next(2, 429, verb="list", retry_after=0)
        sim.end_watches()
        api.patch_labels("default", "p1", {"step": "after-burst"})
        assert wait_for(lambda: rec.has("MODIFIED", "after-burst"), 10)
        api.delete_pod("default", "p1", 0)
        assert wait_for(lambda: any(k == "DELETED" for k, _ in rec.seen), 10)
    finally:
        w.stop()


def test_watch_survives_apiserver_restart(sim, api):
    rec = Recorder()
    w = _watch(api, rec, "p2")
    try:
        api.create_pod("default", manifest("p2"), lambda: None)
        assert wait_for(lambda: rec.has("ADDED"), 5)
        sim.restart_apiserver()
        api.patch_labels("default", "p2", {"step": "after-restart"})
        assert wait_for(lambda: rec.has("MODIFIED", "after-restart"), 10)
    finally:
        w.stop()


def _pods(api: KubeApi) -> list[str]:
    return [p["metadata"]["name"] for p in api.list_pods("default", MANAGED_SELECTOR)["items"]]


def test_create_rides_out_5xx_without_a_second_pod(sim, api):
    sim.fail_next(2, 503, verb="create")
    pod = api.create_pod("default", manifest("c1"), lambda: api.get_pod("default", "c1"))
    assert pod["metadata"]["name"] == "c1"
    assert _pods(api) == ["c1"]


def test_lost_create_reply_is_found_not_repeated(sim, api):
    # The first POST reached the server but its reply was lost: the pod exists.
    first = api.create_pod("default", manifest("c2"), lambda: None)
    lookups = []

    def lookup():
        lookups.append(1)
        return api.get_pod("default", "c2")

    again = api.create_pod("default", manifest("c2"), lookup)
    assert again["metadata"]["uid"] == first["metadata"]["uid"]
    assert lookups and _pods(api) == ["c2"]


def test_create_with_slow_replies_makes_one_pod(sim, api):
    sim.set_latency(0.3)
    started = time.monotonic()
    api.create_pod("default", manifest("c3"), lambda: api.get_pod("default", "c3"))
    sim.set_latency(0)
    assert time.monotonic() - started >= 0.3
    assert _pods(api) == ["c3"]


def test_unreachable_cluster_is_one_clear_line(tmp_path):
    cfg = tmp_path / "kubeconfig"
    cfg.write_text(
        "clusters:\n- name: c\n  cluster: {server: 'http://127.0.0.1:9'}\n"
        "contexts:\n- name: c\n  context: {cluster: c}\ncurrent-context: c\n"
    )
    client = connect(ClusterTarget(kubeconfig=str(cfg)))
    api = KubeApi(client, RetryPolicy(attempts=2, base=0.01, cap=0.01))
    with pytest.raises(Exception) as info:
        api.list_pods("default")
    err = explain(info.value, client, "default")
    assert isinstance(err, ClusterError)
    assert "cannot reach the cluster at http://127.0.0.1:9" in str(err) and "\n" not in str(err)


def test_a_server_never_reached_is_given_up_on_soon_but_a_known_one_gets_the_full_budget(sim, tmp_path):
    """Connection refused before any answer: the wrong or a stopped cluster, said within
    seconds as kubectl does; after an answer it is a restarting API server, worth waiting for."""
    cfg = tmp_path / "kubeconfig"
    cfg.write_text(
        "clusters:\n- name: c\n  cluster: {server: 'http://127.0.0.1:9'}\n"
        "contexts:\n- name: c\n  context: {cluster: c}\ncurrent-context: c\n"
    )
    never = KubeApi(connect(ClusterTarget(kubeconfig=str(cfg))), RetryPolicy(attempts=1000, base=0.05, cap=0.05))
    retries: list[str] = []
    never.on_retry = lambda what, exc, delay: retries.append(what)
    with pytest.raises(Exception) as info:
        never.list_pods("default")
    assert not never.reached
    # 2 s of 0.05 s waits, not the 60 s budget (1000 attempts would take 50 s)
    assert 5 <= len(retries) <= 60, len(retries)
    assert never.budget_for(info.value) == 2.0

    known = KubeApi(connect(ClusterTarget(kubeconfig=str(sim.kubeconfig_path))))
    known.list_pods("default")
    assert known.reached
    assert known.budget_for(info.value) == known.policy.budget == 60.0


def test_a_forbidden_watch_becomes_polling_that_sees_every_change(sim, api):
    sim.forbid("default", verbs=["watch"], resources=["pods"])
    rec = Recorder()
    modes: list[tuple[str, str]] = []
    w = Watcher(api, "default", "pods", label_selector=MANAGED_SELECTOR)
    w.poll_at_most(0.1)
    w.on_mode(lambda mode, detail: modes.append((mode, detail)))
    w.start()
    w.subscribe("p1", rec)
    try:
        assert w.wait_synced(10)
        assert wait_for(lambda: w.mode == "poll", 5)
        assert modes == [("poll", "watching pods is forbidden (403); listing them every 0.1 s instead")]
        api.create_pod("default", manifest("p1"), lambda: None)
        assert wait_for(lambda: rec.has("ADDED"), 5)
        api.patch_labels("default", "p1", {"step": "polled"})
        assert wait_for(lambda: rec.has("MODIFIED", "polled"), 5)
        api.delete_pod("default", "p1", 0)
        assert wait_for(lambda: rec.has("DELETED", "polled"), 5)
    finally:
        w.stop()


def test_a_watcher_refused_listing_says_so_and_recovers_when_asked_again(sim, api):
    from kpodtui.engine.session import ClusterSession

    session = ClusterSession(api.client)
    sim.forbid("default", verbs=["list", "watch"], resources=["events"])
    try:
        events = session.events("default")
        assert not events.wait_synced(10)
        assert events.mode == "refused" and 'cannot list resource "events"' in events.mode_detail
        sim.clear_faults()
        # a new run asks again at once rather than after the slow retry of a refusal, with the
        # same watcher, so a run subscribed before still hears (it was left deaf by a new one)
        again = session.events("default")
        assert again is events and again.wait_synced(10)
        assert wait_for(lambda: again.mode == "watch", 10), again.mode
    finally:
        session.close()
