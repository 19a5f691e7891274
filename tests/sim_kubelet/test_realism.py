"""Details a client sees on a real cluster and must see on the sim too."""

from __future__ import annotations

from kubernetes import watch

from .helpers import pod, sh, wait_for, wait_phase


def test_events_listed_come_in_the_order_they_happened(api):
    """Event names are <pod>.<hex UnixNano>: a list (name order) is time order."""
    api.create_namespaced_pod("default", pod("ordered", sh("main", "echo hi")))
    wait_phase(api, "ordered")
    wait_for(lambda: len(api.list_namespaced_event("default").items) >= 5, what="events")
    reasons = [e.reason for e in api.list_namespaced_event("default").items
               if e.involved_object.name == "ordered"]
    assert reasons.index("Scheduled") < reasons.index("Created") < reasons.index("Started"), reasons


def test_a_filtered_watch_says_deleted_with_the_object_as_it_last_matched(api):
    body = pod("moving", sh("main", "sleep 30"))
    body["metadata"]["labels"] = {"stage": "one"}
    api.create_namespaced_pod("default", body)
    w = watch.Watch()
    seen = []
    rv = api.list_namespaced_pod("default", label_selector="stage=one").metadata.resource_version
    stream = w.stream(api.list_namespaced_pod, "default", label_selector="stage=one", resource_version=rv,
                      timeout_seconds=10, _preload_content=False)
    api.patch_namespaced_pod("moving", "default", {"metadata": {"labels": {"stage": "two"}}})
    for ev in stream:
        seen.append(ev)
        if ev["type"] == "DELETED":
            w.stop()
    gone = seen[-1]
    assert gone["type"] == "DELETED"
    assert gone["raw_object"]["metadata"]["labels"]["stage"] == "one"  # as it was when it matched
    assert int(gone["raw_object"]["metadata"]["resourceVersion"]) > int(rv)
    api.delete_namespaced_pod("moving", "default", grace_period_seconds=0)


def test_a_failed_pod_is_not_ready_because_it_failed(api):
    api.create_namespaced_pod("default", pod("broken", sh("main", "exit 2")))
    assert wait_phase(api, "broken").status.phase == "Failed"
    conditions = {c.type: c for c in api.read_namespaced_pod("broken", "default").status.conditions}
    for kind in ("Ready", "ContainersReady"):
        assert (conditions[kind].status, conditions[kind].reason, conditions[kind].message) == \
            ("False", "PodFailed", None)


def test_since_time_counts_to_the_second_as_the_kubelet_does(api, sim):
    """The apiserver hands sinceTime to the kubelet in whole seconds: a resume gets the
    whole second again (a client must skip what it already has)."""
    import urllib.parse

    from tests.sim.helpers import raw_request

    api.create_namespaced_pod("default", pod("secs", sh("main", "echo one; echo two; echo three; sleep 30")))
    wait_phase(api, "secs", ("Running",))
    wait_for(lambda: api.read_namespaced_pod_log("secs", "default").count("\n") == 3, what="3 lines")
    lines = api.read_namespaced_pod_log("secs", "default", timestamps=True).splitlines()
    stamps = [ln.split(" ", 1)[0] for ln in lines]
    since = stamps[1]  # nanoseconds: the second line's own time
    expected = [ln.split(" ", 1)[1] for ln, ts in zip(lines, stamps, strict=True) if ts[:19] >= since[:19]]
    resp = raw_request(sim, "GET", "/api/v1/namespaces/default/pods/secs/log?"
                       + urllib.parse.urlencode({"sinceTime": since}))
    assert resp.status == 200
    assert resp.body.decode().splitlines() == expected
    assert len(expected) >= 2  # the first line of that second too, unless it was in an earlier one


def test_an_update_that_changes_nothing_keeps_the_resource_version(api):
    """etcd is not written for a no-op update: same resourceVersion, no watch event."""
    api.create_namespaced_config_map("default", {"metadata": {"name": "same"}, "data": {"a": "1"}})
    first = api.patch_namespaced_config_map("same", "default", {"data": {"a": "1"}})
    again = api.patch_namespaced_config_map("same", "default", {"data": {"a": "1"}})
    assert again.metadata.resource_version == first.metadata.resource_version
    changed = api.patch_namespaced_config_map("same", "default", {"data": {"a": "2"}})
    assert int(changed.metadata.resource_version) > int(first.metadata.resource_version)
