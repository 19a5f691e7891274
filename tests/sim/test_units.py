"""Pure parts of the sim: selectors, patches, tables, the store's watch window."""

from __future__ import annotations

import asyncio

import pytest

from kpodtui.sim import errors
from kpodtui.sim.patch import json_patch, merge_patch, strategic_merge
from kpodtui.sim.selectors import parse_field_selector, parse_label_selector
from kpodtui.sim.store import Store
from kpodtui.sim.tables import human_duration, pod_status_reason


def _obj(**labels: str) -> dict:
    return {"metadata": {"name": "x", "labels": labels}}


@pytest.mark.parametrize("sel, labels, expected", [
    ("a=1", {"a": "1"}, True), ("a=1", {"a": "2"}, False), ("a!=1", {}, True),
    ("a in (1, 2)", {"a": "2"}, True), ("a notin (1,2)", {"a": "2"}, False), ("a notin (1)", {}, True),
    ("a", {"a": ""}, True), ("!a", {"a": ""}, False), ("a=1,b", {"a": "1"}, False),
    ("example.com/team=x", {"example.com/team": "x"}, True), ("a=", {"a": ""}, True),
])
def test_label_selectors(sel, labels, expected):
    assert parse_label_selector(sel)(_obj(**labels)) is expected


@pytest.mark.parametrize("sel", ["a in b", "!", "a===b", "=x", "a in ()", "a,,b", "a=b c"])
def test_bad_label_selectors(sel):
    with pytest.raises(errors.ApiError) as info:
        parse_label_selector(sel)
    assert info.value.code == 400


def test_field_selectors_on_events():
    ev = {"metadata": {"name": "e"}, "involvedObject": {"name": "p", "kind": "Pod"}, "source": {"component": "kubelet"}}
    assert parse_field_selector("events", "involvedObject.name=p,involvedObject.kind==Pod")(ev)
    assert not parse_field_selector("events", "involvedObject.name!=p")(ev)
    assert parse_field_selector("events", "source=kubelet")(ev)
    with pytest.raises(errors.ApiError):
        parse_field_selector("pods", "involvedObject.name=p")


def test_strategic_merge_directives():
    pod = {"spec": {"containers": [{"name": "a", "image": "1", "env": [{"name": "X", "value": "1"}]},
                                   {"name": "b", "image": "1"}],
                    "volumes": [{"name": "v", "emptyDir": {}}]}}
    out = strategic_merge(pod, {"spec": {"containers": [
        {"name": "a", "env": [{"name": "Y", "value": "2"}]}, {"name": "b", "$patch": "delete"}]}})
    assert out["spec"]["containers"] == [{"name": "a", "image": "1", "env": [{"name": "X", "value": "1"},
                                                                             {"name": "Y", "value": "2"}]}]
    out = strategic_merge(pod, {"spec": {"volumes": [{"name": "w", "emptyDir": {}}, {"$patch": "replace"}]}})
    assert out["spec"]["volumes"] == [{"name": "w", "emptyDir": {}}]
    out = strategic_merge({"metadata": {"finalizers": ["a"]}}, {"metadata": {"finalizers": ["b"]}})
    assert out["metadata"]["finalizers"] == ["a", "b"]
    out = strategic_merge({"a": {"b": 1, "c": 2}}, {"a": {"$patch": "replace", "d": 3}})
    assert out == {"a": {"d": 3}}
    assert pod["spec"]["containers"][1]["name"] == "b"  # the input is untouched


def test_merge_and_json_patch():
    assert merge_patch({"a": {"b": 1, "c": 2}, "l": [1]}, {"a": {"b": None}, "l": [2]}) == {"a": {"c": 2}, "l": [2]}
    doc = {"a": [1, 2], "b": {"c": 1}}
    out = json_patch(doc, [{"op": "add", "path": "/a/-", "value": 3}, {"op": "move", "from": "/b/c", "path": "/d"},
                           {"op": "copy", "from": "/d", "path": "/e"}, {"op": "replace", "path": "/a/0", "value": 0}])
    assert out == {"a": [0, 2, 3], "b": {}, "d": 1, "e": 1}
    assert doc == {"a": [1, 2], "b": {"c": 1}}


def _cs(name: str, **state) -> dict:
    return {"name": name, "ready": False, "restartCount": 0, "image": "i", "imageID": "", "state": state}


@pytest.mark.parametrize("status, expected", [
    ({"phase": "Pending", "containerStatuses": [_cs("c", waiting={"reason": "ImagePullBackOff"})]}, "ImagePullBackOff"),
    ({"phase": "Succeeded", "containerStatuses": [_cs("c", terminated={"exitCode": 0, "reason": "Completed"})]},
     "Completed"),
    ({"phase": "Failed", "containerStatuses": [_cs("c", terminated={"exitCode": 3, "reason": "Error"})]}, "Error"),
    ({"phase": "Failed", "containerStatuses": [_cs("c", terminated={"exitCode": 137})]}, "ExitCode:137"),
    ({"phase": "Pending", "initContainerStatuses": [_cs("i", running={})]}, "Init:0/1"),
    ({"phase": "Pending", "initContainerStatuses": [_cs("i", terminated={"exitCode": 1, "reason": "Error"})]},
     "Init:Error"),
    ({"phase": "Running", "containerStatuses": [_cs("c", running={})]}, "Running"),
    ({"phase": "Failed", "reason": "DeadlineExceeded"}, "DeadlineExceeded"),
])
def test_pod_status_column(status, expected):
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}], "initContainers": [{"name": "i"}]},
           "status": status}
    assert pod_status_reason(pod) == expected


def test_terminating_pod_status_column():
    pod = {"metadata": {"name": "p", "deletionTimestamp": "2024-01-01T00:00:00Z"}, "status": {"phase": "Running"}}
    assert pod_status_reason(pod) == "Terminating"


@pytest.mark.parametrize("seconds, text", [(5, "5s"), (119, "119s"), (150, "2m30s"), (600, "10m"),
                                           (3 * 3600 + 300, "3h5m"), (20 * 3600, "20h"), (3 * 86400, "3d")])
def test_human_duration(seconds, text):
    assert human_duration(seconds) == text


def test_store_watch_window_and_compaction():
    async def go():
        store = Store(history_window=10)
        for i in range(20):
            store.create("configmaps", "default", {"metadata": {"name": f"c{i}"}})
        with pytest.raises(errors.ApiError) as info:
            store.watch("configmaps", "default", lambda o: True, since_rv=1)
        assert info.value.code == 410
        w = store.watch("configmaps", "default", lambda o: True, since_rv=store.resource_version - 2)
        assert [w.queue.get_nowait().obj["metadata"]["name"] for _ in range(2)] == ["c18", "c19"]
        store.mutate("configmaps", "default", "c0", lambda o: o.__setitem__("data", {"a": "1"}))
        ev = w.queue.get_nowait()
        assert ev.type == "MODIFIED" and ev.obj["data"] == {"a": "1"}
        store.remove("configmaps", "default", "c0")
        assert w.queue.get_nowait().type == "DELETED"

    asyncio.run(go())
