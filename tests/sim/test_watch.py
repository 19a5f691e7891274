"""Watches through the official client: from a resourceVersion, bookmarks, timeouts, 410, ends."""

from __future__ import annotations

import threading
import time

import pytest
from kubernetes import watch
from kubernetes.client.exceptions import ApiException

from .helpers import pod_body, stopped_scheduler_sim

# Pods here must stay as written: no kubelet status writes interleaving with the API checks.
sim = pytest.fixture(name="sim")(stopped_scheduler_sim)


def _collect(v1, timeout_seconds: int = 1, **kwargs) -> list[tuple[str, str]]:
    w = watch.Watch()
    out = []
    for ev in w.stream(v1.list_namespaced_pod, "default", timeout_seconds=timeout_seconds, **kwargs):
        out.append((ev["type"], ev["raw_object"]["metadata"].get("name", "")))
    return out


def test_watch_without_rv_starts_with_added_for_existing_pods(v1):
    v1.create_namespaced_pod("default", pod_body("a"))
    v1.create_namespaced_pod("default", pod_body("b"))
    assert _collect(v1) == [("ADDED", "a"), ("ADDED", "b")]


def test_watch_from_resource_version_replays_later_changes(v1):
    v1.create_namespaced_pod("default", pod_body("a"))
    rv = v1.list_namespaced_pod("default").metadata.resource_version
    v1.create_namespaced_pod("default", pod_body("b"))
    v1.patch_namespaced_pod("a", "default", {"metadata": {"labels": {"x": "1"}}})
    v1.delete_namespaced_pod("b", "default", grace_period_seconds=0)
    events = _collect(v1, resource_version=rv)
    assert events[:2] == [("ADDED", "b"), ("MODIFIED", "a")]
    assert events[-1] == ("DELETED", "b")


def test_watch_streams_live_events_and_honours_timeout_seconds(v1):
    # from the list's resourceVersion: the create counts however late the watch itself starts
    rv = v1.list_namespaced_pod("default").metadata.resource_version

    def later():
        time.sleep(0.2)
        v1.create_namespaced_pod("default", pod_body("live"))

    t = threading.Thread(target=later)
    start = time.monotonic()
    t.start()
    w = watch.Watch()
    got = []
    for ev in w.stream(v1.list_namespaced_pod, "default", resource_version=rv, timeout_seconds=6):
        got.append((ev["type"], ev["object"].metadata.name, time.monotonic()))
    ended = time.monotonic()
    t.join()
    assert [g[:2] for g in got] == [("ADDED", "live")]
    assert ended - got[0][2] > 2  # delivered as it happened, not at the end of the stream
    assert 5.9 < ended - start < 40  # the stream ends at timeout_seconds, not before


def test_label_selector_watch_sees_objects_leave_and_enter(v1):
    v1.create_namespaced_pod("default", pod_body("a", {"app": "x"}))
    rv = v1.list_namespaced_pod("default").metadata.resource_version
    v1.patch_namespaced_pod("a", "default", {"metadata": {"labels": {"app": "y"}}})
    v1.patch_namespaced_pod("a", "default", {"metadata": {"labels": {"app": "x"}}})
    assert _collect(v1, resource_version=rv, label_selector="app=x") == [("DELETED", "a"), ("ADDED", "a")]


def test_bookmarks_carry_the_resource_version(v1, sim):
    sim.call(setattr, sim._server.ctx, "bookmark_interval", 0.1)
    v1.create_namespaced_pod("default", pod_body("a"))
    w = watch.Watch()
    types = []
    for ev in w.stream(v1.list_namespaced_pod, "default", timeout_seconds=1, allow_watch_bookmarks=True):
        types.append(ev["type"])
        if ev["type"] == "BOOKMARK":
            assert ev["object"]["metadata"]["resourceVersion"].isdigit()
            assert w.resource_version == ev["object"]["metadata"]["resourceVersion"]
            w.stop()
    assert types[0] == "ADDED" and "BOOKMARK" in types


def test_send_initial_events_ends_with_the_annotated_bookmark(v1):
    v1.create_namespaced_pod("default", pod_body("a"))
    w = watch.Watch()
    seen = []
    for ev in w.stream(v1.list_namespaced_pod, "default", timeout_seconds=1, allow_watch_bookmarks=True,
                       send_initial_events=True, resource_version_match="NotOlderThan"):
        seen.append(ev["type"])
        if ev["type"] == "BOOKMARK":
            assert ev["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
            w.stop()
    assert seen == ["ADDED", "BOOKMARK"]


def test_expired_resource_version_gives_410_error_event(v1, sim):
    v1.create_namespaced_pod("default", pod_body("a"))
    old = v1.list_namespaced_pod("default").metadata.resource_version
    sim.expire_resource_versions()
    with pytest.raises(ApiException) as info:
        _collect(v1, resource_version=old)
    assert info.value.status == 410 and "too old resource version" in info.value.reason
    # a fresh list works and a watch from its resourceVersion too
    fresh = v1.list_namespaced_pod("default").metadata.resource_version
    assert _collect(v1, resource_version=fresh) == []


def test_expire_sends_410_to_open_watches(v1, sim):
    result: dict = {}

    def run():
        try:
            _collect(v1, timeout_seconds=10)
        except ApiException as exc:
            result["status"] = exc.status

    t = threading.Thread(target=run)
    t.start()
    _wait(lambda: sim.call(lambda: sim.store.watcher_count) == 1)
    sim.expire_resource_versions()
    t.join(5)
    assert result == {"status": 410}


def test_expired_list_continue_and_exact_rv_are_http_410(v1, sim):
    for i in range(3):
        v1.create_namespaced_pod("default", pod_body(f"p{i}"))
    first = v1.list_namespaced_pod("default", limit=1)
    sim.expire_resource_versions()
    with pytest.raises(ApiException) as info:
        v1.list_namespaced_pod("default", limit=1, _continue=first.metadata._continue)
    assert info.value.status == 410
    with pytest.raises(ApiException) as info:
        v1.list_namespaced_pod("default", resource_version=first.metadata.resource_version,
                               resource_version_match="Exact")
    assert info.value.status == 410


def test_end_watches_ends_streams_cleanly(v1, sim):
    done = threading.Event()
    events: list = []

    def run():
        events.extend(_collect(v1, timeout_seconds=30))
        done.set()

    threading.Thread(target=run).start()
    _wait(lambda: sim.call(lambda: sim.store.watcher_count) == 1)
    start = time.monotonic()
    sim.end_watches()
    assert done.wait(20) and time.monotonic() - start < 15  # ended, not at its 30 s timeout
    assert events == []


def test_watch_without_timeout_reconnects_from_last_rv_after_end(v1, sim):
    v1.create_namespaced_pod("default", pod_body("a"))
    w = watch.Watch()
    seen = []

    def run():
        for ev in w.stream(v1.list_namespaced_pod, "default"):
            seen.append((ev["type"], ev["object"].metadata.name))
            if len(seen) == 2:
                w.stop()

    t = threading.Thread(target=run)
    t.start()
    _wait(lambda: len(seen) == 1)
    sim.end_watches()
    _wait(lambda: sim.counters().get("WATCH /api/v1/namespaces/{namespace}/pods", 0) == 2)
    v1.create_namespaced_pod("default", pod_body("b"))
    t.join(5)
    assert seen == [("ADDED", "a"), ("ADDED", "b")]  # no duplicate ADDED a after the reconnect


def test_events_of_other_namespaces_are_not_delivered(v1, sim):
    sim.create_namespace("other")
    rv = v1.list_namespaced_pod("default").metadata.resource_version
    v1.create_namespaced_pod("other", pod_body("o"))
    assert _collect(v1, resource_version=rv) == []


def _wait(cond, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)
