"""Events, ConfigMaps, Secrets, Namespaces and Nodes through the official client."""

from __future__ import annotations

import base64
import json

import pytest
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException, NotFoundException

from .helpers import pod_body, stopped_scheduler_sim

# Pods here must stay as written: no kubelet status writes interleaving with the API checks.
sim = pytest.fixture(name="sim")(stopped_scheduler_sim)


def _record(sim, pod, reason: str, message: str, type_: str = "Normal", field_path: str | None = None):
    ns = pod.metadata.namespace
    stored = sim.call(lambda: sim.store.get("pods", ns, pod.metadata.name))
    return sim.call(sim.store.record_event, ns, stored, type_, reason, message, field_path)


def test_events_list_with_involved_object_field_selectors(v1, sim):
    p1 = v1.create_namespaced_pod("default", pod_body("p1"))
    p2 = v1.create_namespaced_pod("default", pod_body("p2"))
    _record(sim, p1, "Scheduled", "Successfully assigned default/p1 to node")
    _record(sim, p1, "Pulling", 'Pulling image "busybox"', field_path="spec.containers{main}")
    _record(sim, p2, "Scheduled", "Successfully assigned default/p2 to node")
    events = v1.list_namespaced_event("default", field_selector="involvedObject.name=p1,involvedObject.kind=Pod")
    assert [e.reason for e in events.items] == ["Scheduled", "Pulling"] or \
        sorted(e.reason for e in events.items) == ["Pulling", "Scheduled"]
    ev = next(e for e in events.items if e.reason == "Pulling")
    assert ev.involved_object.field_path == "spec.containers{main}"
    assert ev.involved_object.uid == p1.metadata.uid
    assert ev.count == 1 and ev.type == "Normal" and ev.source.component == "kubelet"
    assert ev.first_timestamp is not None and ev.last_timestamp is not None
    by_uid = v1.list_namespaced_event("default", field_selector=f"involvedObject.uid={p2.metadata.uid}")
    assert [e.involved_object.name for e in by_uid.items] == ["p2"]
    assert v1.list_namespaced_event("default", field_selector="reason=Pulling").items[0].reason == "Pulling"


def test_repeated_events_are_counted(v1, sim):
    p1 = v1.create_namespaced_pod("default", pod_body("p1"))
    _record(sim, p1, "BackOff", "Back-off pulling image", "Warning")
    _record(sim, p1, "BackOff", "Back-off pulling image", "Warning")
    items = v1.list_namespaced_event("default").items
    assert len(items) == 1 and items[0].count == 2


def test_events_watch_with_field_selector(v1, sim):
    p1 = v1.create_namespaced_pod("default", pod_body("p1"))
    p2 = v1.create_namespaced_pod("default", pod_body("p2"))
    rv = v1.list_namespaced_event("default").metadata.resource_version
    _record(sim, p2, "Scheduled", "x")
    _record(sim, p1, "Scheduled", "y")
    w = watch.Watch()
    got = [(e["type"], e["object"].involved_object.name, e["object"].message)
           for e in w.stream(v1.list_namespaced_event, "default", resource_version=rv, timeout_seconds=1,
                             field_selector="involvedObject.name=p1")]
    assert got == [("ADDED", "p1", "y")]


def test_events_can_be_created_by_clients(v1):
    ev = client.CoreV1Event(metadata=client.V1ObjectMeta(name="e1"),
                            involved_object=client.V1ObjectReference(kind="Pod", name="p", namespace="default"),
                            reason="Custom", message="hello", type="Normal")
    created = v1.create_namespaced_event("default", ev)
    assert created.metadata.resource_version and created.reason == "Custom"


def test_configmap_crud(v1):
    cm = v1.create_namespaced_config_map("default", {"metadata": {"name": "cfg"}, "data": {"a.txt": "x"}})
    assert cm.data == {"a.txt": "x"} and cm.kind == "ConfigMap"
    assert v1.read_namespaced_config_map("cfg", "default").data == {"a.txt": "x"}
    patched = v1.patch_namespaced_config_map("cfg", "default", {"data": {"b": "y"}})
    assert patched.data == {"a.txt": "x", "b": "y"}
    status = v1.delete_namespaced_config_map("cfg", "default")
    assert status["status"] == "Success" and status["kind"] == "Status"
    with pytest.raises(NotFoundException):
        v1.read_namespaced_config_map("cfg", "default")


def test_configmap_bad_key_is_422(v1):
    with pytest.raises(ApiException) as info:
        v1.create_namespaced_config_map("default", {"metadata": {"name": "cfg"}, "data": {"bad key": "x"}})
    assert info.value.status == 422
    assert json.loads(info.value.body)["details"]["causes"][0]["field"] == "data[bad key]"


def test_immutable_configmap(v1):
    v1.create_namespaced_config_map("default", {"metadata": {"name": "cfg"}, "data": {"a": "1"}, "immutable": True})
    with pytest.raises(ApiException) as info:
        v1.patch_namespaced_config_map("cfg", "default", {"data": {"a": "2"}})
    assert info.value.status == 422


def test_secret_string_data_is_stored_base64(v1, sim):
    s = v1.create_namespaced_secret("default", {"metadata": {"name": "s"}, "stringData": {"user": "bob"}})
    assert s.type == "Opaque" and base64.b64decode(s.data["user"]) == b"bob"
    sim.create_secret("default", "s2", {"k": "v"})
    assert base64.b64decode(v1.read_namespaced_secret("s2", "default").data["k"]) == b"v"
    assert [x.metadata.name for x in v1.list_namespaced_secret("default").items] == ["s", "s2"]


def test_secret_with_bad_base64_is_refused_by_the_decoder(v1):
    # as kube-apiserver 1.37 answers (tests/conformance): Go's decoder refuses it, 400, with the offset
    with pytest.raises(ApiException) as info:
        v1.create_namespaced_secret("default", {"metadata": {"name": "s"}, "data": {"k": "not base64!"}})
    assert info.value.status == 400
    assert json.loads(info.value.body)["message"] == ('Secret in version "v1" cannot be handled as a Secret: '
                                                      "illegal base64 data at input byte 3")


def test_sim_helpers_create_configmaps(v1, sim):
    sim.create_configmap("default", "c1", {"k": "v"})
    assert v1.read_namespaced_config_map("c1", "default").data == {"k": "v"}


def test_namespaces(v1):
    names = [n.metadata.name for n in v1.list_namespace().items]
    assert "default" in names and "kube-system" in names
    ns = v1.create_namespace({"metadata": {"name": "team-a"}})
    assert ns.status.phase == "Active"
    v1.create_namespaced_pod("team-a", pod_body("p"))
    v1.create_namespaced_config_map("team-a", {"metadata": {"name": "c"}})
    rv = v1.list_namespace().metadata.resource_version
    v1.delete_namespace("team-a")
    # everything in it goes, then the namespace itself
    w = watch.Watch()
    for ev in w.stream(v1.list_namespace, timeout_seconds=5, field_selector="metadata.name=team-a",
                       resource_version=rv):
        if ev["type"] == "DELETED":
            w.stop()
    with pytest.raises(NotFoundException):
        v1.read_namespace("team-a")
    assert v1.list_namespaced_config_map("team-a").items == []


def test_namespace_name_is_validated(v1):
    with pytest.raises(ApiException) as info:
        v1.create_namespace({"metadata": {"name": "Bad_Name"}})
    assert info.value.status == 422


def test_nodes_list(v1, sim):
    nodes = v1.list_node().items
    if sim.kubelet is None:
        assert nodes == []
    else:
        assert len(nodes) == 1 and nodes[0].metadata.name
