"""Pods through the unmodified official client: create, get, list, patch, replace, delete, status."""

from __future__ import annotations

import json

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException, ConflictException, NotFoundException

from .helpers import pod_body, stopped_scheduler_sim

# Pods here must stay as written: no kubelet status writes interleaving with the API checks.
sim = pytest.fixture(name="sim")(stopped_scheduler_sim)


def test_create_fills_server_fields_and_defaults(v1):
    pod = v1.create_namespaced_pod("default", pod_body("p1"))
    assert pod.kind == "Pod" and pod.api_version == "v1"
    assert pod.metadata.uid and pod.metadata.resource_version.isdigit()
    assert pod.metadata.namespace == "default" and pod.metadata.creation_timestamp is not None
    assert pod.status.phase == "Pending"
    assert pod.spec.restart_policy == "Always"
    assert pod.spec.containers[0].termination_message_path == "/dev/termination-log"
    assert pod.spec.containers[0].image_pull_policy == "IfNotPresent"


def test_generate_name(v1):
    pod = v1.create_namespaced_pod("default", {"metadata": {"generateName": "job-"},
                                               "spec": pod_body("x")["spec"]})
    assert pod.metadata.name.startswith("job-") and len(pod.metadata.name) == len("job-") + 5


def test_resource_versions_are_one_global_counter(v1):
    a = v1.create_namespaced_pod("default", pod_body("a"))
    b = v1.create_namespaced_pod("default", pod_body("b"))
    assert int(b.metadata.resource_version) > int(a.metadata.resource_version)
    listed = v1.list_namespaced_pod("default")
    assert int(listed.metadata.resource_version) >= int(b.metadata.resource_version)


def test_get_and_404(v1):
    v1.create_namespaced_pod("default", pod_body("p1"))
    assert v1.read_namespaced_pod("p1", "default").metadata.name == "p1"
    with pytest.raises(NotFoundException) as info:
        v1.read_namespaced_pod("nope", "default")
    status = json.loads(info.value.body)
    assert status["kind"] == "Status" and status["reason"] == "NotFound" and status["code"] == 404
    assert status["message"] == 'pods "nope" not found'
    assert status["details"] == {"name": "nope", "kind": "pods"}


def test_create_duplicate_is_409_already_exists(v1):
    v1.create_namespaced_pod("default", pod_body("p1"))
    with pytest.raises(ConflictException) as info:
        v1.create_namespaced_pod("default", pod_body("p1"))
    assert json.loads(info.value.body)["reason"] == "AlreadyExists"


def test_create_in_missing_namespace_is_404(v1):
    with pytest.raises(NotFoundException) as info:
        v1.create_namespaced_pod("nowhere", pod_body("p1"))
    assert json.loads(info.value.body)["message"] == 'namespaces "nowhere" not found'


def test_list_with_label_selectors(v1):
    v1.create_namespaced_pod("default", pod_body("a", {"app": "runner", "tier": "a"}))
    v1.create_namespaced_pod("default", pod_body("b", {"app": "runner", "tier": "b"}))
    v1.create_namespaced_pod("default", pod_body("c", {"app": "other"}))
    v1.create_namespaced_pod("default", pod_body("d"))

    def names(sel: str) -> list[str]:
        return [p.metadata.name for p in v1.list_namespaced_pod("default", label_selector=sel).items]

    assert names("app=runner") == ["a", "b"]
    assert names("app==runner") == ["a", "b"]
    assert names("app!=runner") == ["c", "d"]
    assert names("app=runner,tier in (a,c)") == ["a"]
    assert names("tier notin (a)") == ["b", "c", "d"]
    assert names("tier") == ["a", "b"]
    assert names("!tier") == ["c", "d"]
    assert names("app in (runner, other),!tier") == ["c"]


def test_list_with_field_selectors(v1, sim):
    for name in ("p1", "p2", "p3"):
        v1.create_namespaced_pod("default", pod_body(name))
    sel = v1.list_namespaced_pod("default", field_selector="metadata.name=p2").items
    assert [p.metadata.name for p in sel] == ["p2"]
    sel = v1.list_namespaced_pod("default", field_selector="metadata.name!=p2,status.phase=Pending").items
    assert [p.metadata.name for p in sel] == ["p1", "p3"]
    assert v1.list_namespaced_pod("default", field_selector="status.phase=Running").items == []
    assert [p.metadata.name for p in v1.list_pod_for_all_namespaces(field_selector="metadata.namespace=default").items] \
        == ["p1", "p2", "p3"]


def test_list_paging_with_limit_and_continue(v1):
    for i in range(5):
        v1.create_namespaced_pod("default", pod_body(f"p{i}"))
    first = v1.list_namespaced_pod("default", limit=2)
    assert [p.metadata.name for p in first.items] == ["p0", "p1"]
    assert first.metadata.remaining_item_count == 3
    second = v1.list_namespaced_pod("default", limit=2, _continue=first.metadata._continue)
    assert [p.metadata.name for p in second.items] == ["p2", "p3"]
    third = v1.list_namespaced_pod("default", limit=2, _continue=second.metadata._continue)
    assert [p.metadata.name for p in third.items] == ["p4"] and third.metadata._continue is None


def test_patch_strategic_merge_merges_containers_by_name(v1):
    body = pod_body("p1", {"a": "1"}, containers=[
        {"name": "main", "image": "busybox:1", "command": ["true"]},
        {"name": "side", "image": "busybox:1"}])
    v1.create_namespaced_pod("default", body)
    patched = v1.patch_namespaced_pod("p1", "default", {
        "metadata": {"labels": {"b": "2"}},
        "spec": {"containers": [{"name": "side", "image": "busybox:2"}]}})
    assert patched.metadata.labels == {"a": "1", "b": "2"}
    assert [(c.name, c.image) for c in patched.spec.containers] == [("main", "busybox:1"), ("side", "busybox:2")]


def test_patch_merge_patch_null_deletes(v1):
    v1.create_namespaced_pod("default", pod_body("p1", {"a": "1", "b": "2"}))
    patched = v1.patch_namespaced_pod("p1", "default", {"metadata": {"labels": {"b": None}}},
                                      _content_type="application/merge-patch+json")
    assert patched.metadata.labels == {"a": "1"}


def test_patch_json_patch(v1):
    v1.create_namespaced_pod("default", pod_body("p1", {"a": "1"}))
    patched = v1.patch_namespaced_pod("p1", "default", [
        {"op": "add", "path": "/metadata/labels/jp", "value": "1"},
        {"op": "remove", "path": "/metadata/labels/a"},
        {"op": "test", "path": "/metadata/name", "value": "p1"},
    ])
    assert patched.metadata.labels == {"jp": "1"}
    with pytest.raises(ApiException) as info:
        v1.patch_namespaced_pod("p1", "default", [{"op": "test", "path": "/metadata/name", "value": "zz"}])
    assert info.value.status == 422


def test_patch_may_not_change_immutable_spec(v1):
    v1.create_namespaced_pod("default", pod_body("p1"))
    with pytest.raises(ApiException) as info:
        v1.patch_namespaced_pod("p1", "default", {"spec": {"restartPolicy": "Never"}})
    assert info.value.status == 422
    assert json.loads(info.value.body)["details"]["causes"][0]["field"] == "spec"
    # the image may change
    patched = v1.patch_namespaced_pod("p1", "default", {"spec": {"containers": [{"name": "main", "image": "x:2"}]}})
    assert patched.spec.containers[0].image == "x:2"


def test_replace_with_stale_resource_version_is_409_conflict(v1):
    pod = v1.create_namespaced_pod("default", pod_body("p1"))
    pod.metadata.labels = {"x": "1"}
    updated = v1.replace_namespaced_pod("p1", "default", pod)
    assert updated.metadata.labels == {"x": "1"}
    pod.metadata.labels = {"x": "2"}  # still carries the old resourceVersion
    with pytest.raises(ConflictException) as info:
        v1.replace_namespaced_pod("p1", "default", pod)
    assert json.loads(info.value.body)["reason"] == "Conflict"


def test_status_subresource(v1):
    v1.create_namespaced_pod("default", pod_body("p1"))
    whole = v1.read_namespaced_pod_status("p1", "default")
    assert isinstance(whole, client.V1Pod) and whole.spec.containers[0].name == "main"
    patched = v1.patch_namespaced_pod_status("p1", "default", {"status": {"phase": "Running",
                                                                          "podIP": "10.0.0.9"}})
    assert patched.status.phase == "Running" and patched.status.pod_ip == "10.0.0.9"
    # the main resource never changes status
    again = v1.patch_namespaced_pod("p1", "default", {"status": {"phase": "Failed"}})
    assert again.status.phase == "Running"


def test_delete_returns_the_pod_with_deletion_timestamp(v1, sim):
    v1.create_namespaced_pod("default", pod_body("p1"))
    deleted = v1.delete_namespaced_pod("p1", "default", grace_period_seconds=0)
    assert isinstance(deleted, client.V1Pod)
    assert deleted.metadata.name == "p1" and deleted.metadata.deletion_timestamp is not None
    assert deleted.metadata.deletion_grace_period_seconds == 0


def test_delete_options_body_and_propagation(v1):
    v1.create_namespaced_pod("default", pod_body("p1", nodeName="elsewhere"))  # on a node: graceful
    deleted = v1.delete_namespaced_pod("p1", "default", body=client.V1DeleteOptions(
        grace_period_seconds=5, propagation_policy="Foreground"))
    assert deleted.metadata.deletion_grace_period_seconds == 5
    with pytest.raises(NotFoundException):
        v1.delete_namespaced_pod("missing", "default")


def test_delete_uses_the_pods_grace_period_by_default(v1):
    v1.create_namespaced_pod("default", pod_body("p1", terminationGracePeriodSeconds=7, nodeName="elsewhere"))
    assert v1.delete_namespaced_pod("p1", "default").metadata.deletion_grace_period_seconds == 7


def test_delete_grace_follows_the_pod_strategy(v1):
    """CheckGracefulDelete: a pod on no node, or whose containers all ended, goes at once
    whatever grace was asked; a negative grace period is 1 s."""
    v1.create_namespaced_pod("default", pod_body("p1", nodeName="elsewhere"))
    assert v1.delete_namespaced_pod("p1", "default", grace_period_seconds=-5).metadata \
        .deletion_grace_period_seconds == 1
    v1.create_namespaced_pod("default", pod_body("p2", {"x": "y"}, nodeSelector={"no": "such-node"}))
    assert v1.delete_namespaced_pod("p2", "default", grace_period_seconds=30).metadata \
        .deletion_grace_period_seconds == 0
    with pytest.raises(NotFoundException):
        v1.read_namespaced_pod("p2", "default")


def test_delete_collection(v1):
    v1.create_namespaced_pod("default", pod_body("a", {"x": "1"}))
    v1.create_namespaced_pod("default", pod_body("b"))
    v1.delete_collection_namespaced_pod("default", label_selector="x=1", grace_period_seconds=0)
    v1.read_namespaced_pod("b", "default")


def test_dry_run_create_stores_nothing(v1):
    v1.create_namespaced_pod("default", pod_body("p1"), dry_run="All")
    with pytest.raises(NotFoundException):
        v1.read_namespaced_pod("p1", "default")


def test_grace_periods_beyond_int64_are_refused_as_go_decodes_them(v1, raw):
    """Go's decoder refuses a number beyond int64 with 400 before anything is done: a pod is
    not created, a delete leaves the pod as it was (the sim answered 500 and kept it half-deleted)."""
    too_big = 2**63
    json_type = {"Content-Type": "application/json"}
    r = raw("POST", "/api/v1/namespaces/default/pods",
            json.dumps(pod_body("huge", terminationGracePeriodSeconds=too_big)), json_type)
    assert r.status == 400 and f"cannot unmarshal number {too_big} into Go struct field " \
        ".spec.terminationGracePeriodSeconds of type int64" in r.json()["message"]
    v1.create_namespaced_pod("default", pod_body("p1", nodeName="elsewhere"))
    r = raw("DELETE", "/api/v1/namespaces/default/pods/p1", json.dumps({"gracePeriodSeconds": too_big}), json_type)
    assert (r.status, r.json()["message"]) == (400, f"json: cannot unmarshal number {too_big} into Go struct "
                                                    "field DeleteOptions.gracePeriodSeconds of type int64")
    r = raw("DELETE", f"/api/v1/namespaces/default/pods/p1?gracePeriodSeconds={too_big}")
    assert r.status == 400 and "value out of range" in r.json()["message"]
    assert not v1.read_namespaced_pod("p1", "default").metadata.deletion_timestamp
    # within int64 but centuries long: accepted, as the apiserver accepts it
    deleted = v1.delete_namespaced_pod("p1", "default", grace_period_seconds=10**15)
    assert deleted.metadata.deletion_grace_period_seconds == 10**15 and deleted.metadata.deletion_timestamp
