"""Version and discovery documents (legacy, non-aggregated: kubectl falls back to them)."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]

#: reported as the server version; kubectl's dispatcher picks a kubectl >= 1.31 (websocket exec)
VERSION: Obj = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0-kpodtui-sim",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2024-08-13T00:00:00Z",
    "goVersion": "go1.22.5",
    "compiler": "gc",
    "platform": "linux/amd64",
}

_ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


def _res(name: str, kind: str, namespaced: bool, verbs: list[str], short: list[str] | None = None,
         singular: str = "", categories: list[str] | None = None) -> Obj:
    r: Obj = {"name": name, "singularName": singular, "namespaced": namespaced, "kind": kind, "verbs": verbs}
    if short:
        r["shortNames"] = short
    if categories:
        r["categories"] = categories
    return r


CORE_V1_RESOURCES: Obj = {
    "kind": "APIResourceList",
    "groupVersion": "v1",
    "resources": [
        _res("configmaps", "ConfigMap", True, _ALL_VERBS, ["cm"], "configmap"),
        _res("events", "Event", True, _ALL_VERBS, ["ev"], "event"),
        _res("namespaces", "Namespace", False, ["create", "delete", "get", "list", "patch", "update", "watch"],
             ["ns"], "namespace"),
        _res("nodes", "Node", False, ["get", "list", "watch"], ["no"], "node"),
        _res("pods", "Pod", True, _ALL_VERBS, ["po"], "pod", ["all"]),
        _res("pods/attach", "PodAttachOptions", True, ["create", "get"]),
        _res("pods/exec", "PodExecOptions", True, ["create", "get"]),
        _res("pods/log", "Pod", True, ["get"]),
        _res("pods/status", "Pod", True, ["get", "patch", "update"]),
        _res("secrets", "Secret", True, _ALL_VERBS, None, "secret"),
    ],
}


def api_versions(server_address: str) -> Obj:
    """``GET /api``."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def api_group_list() -> Obj:
    """``GET /apis``: no API groups beyond core/v1."""
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": []}


def _param(name: str, description: str) -> Obj:
    return {"name": name, "in": "query", "description": description, "schema": {"type": "string", "uniqueItems": True}}


_WRITE_PARAMS = [
    _param("dryRun", "When present, indicates that modifications should not be persisted."),
    _param("fieldManager", "A name associated with the actor or entity that is making these changes."),
    _param("fieldValidation", "How the server treats unknown fields: Ignore, Warn (default) or Strict."),
]


def openapi_v3_core() -> Obj:
    """``GET /openapi/v3/api/v1``: the operations of core/v1 with their parameters.

    Enough for kubectl to learn that the server validates fields itself
    (``fieldValidation`` on each kind's PATCH), so ``kubectl apply`` sends
    ``fieldValidation=Strict`` instead of downloading the whole schema; the
    component schemas are left out.
    """
    paths: Obj = {}
    for res in CORE_V1_RESOURCES["resources"]:
        name, kind = res["name"], res["kind"]
        if "/" in name or "patch" not in res["verbs"]:
            continue
        gvk = {"group": "", "version": "v1", "kind": kind}
        scope = "Namespaced" if res["namespaced"] else ""
        coll = f"/api/v1/namespaces/{{namespace}}/{name}" if res["namespaced"] else f"/api/v1/{name}"
        op = {"x-kubernetes-group-version-kind": gvk, "parameters": _WRITE_PARAMS,
              "responses": {"200": {"description": "OK"}}}
        paths[coll] = {"post": {**op, "operationId": f"createCoreV1{scope}{kind}", "x-kubernetes-action": "post"}}
        paths[f"{coll}/{{name}}"] = {
            "patch": {**op, "operationId": f"patchCoreV1{scope}{kind}", "x-kubernetes-action": "patch"},
            "put": {**op, "operationId": f"replaceCoreV1{scope}{kind}", "x-kubernetes-action": "put"},
        }
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": VERSION["gitVersion"]},
            "paths": paths, "components": {"schemas": {}}}


def openapi_v3_root(core_hash: str) -> Obj:
    """``GET /openapi/v3``: where each group-version's document is."""
    return {"paths": {"api/v1": {"serverRelativeURL": f"/openapi/v3/api/v1?hash={core_hash}"}}}
