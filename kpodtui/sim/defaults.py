"""Defaulting as the apiserver (and its admission plugins) does it on create.

Clients read these fields back (``restartPolicy``, ``terminationMessagePath``,
``imagePullPolicy``...), so a pod from the sim must look like one from a real
cluster.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

Obj = dict[str, Any]

_NOT_READY_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
]


def generate_name(meta: Obj) -> None:
    """Fill ``metadata.name`` from ``generateName`` (5 random characters, as the apiserver)."""
    if not meta.get("name") and meta.get("generateName"):
        alphabet = "bcdfghjklmnpqrstvwxz2456789"
        suffix = "".join(alphabet[b % len(alphabet)] for b in uuid.uuid4().bytes[:5])
        meta["name"] = f"{meta['generateName']}{suffix}"


def _pull_policy(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    tag = last.partition(":")[2]
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _default_container(c: Obj) -> None:
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    if isinstance(c.get("image"), str):
        c.setdefault("imagePullPolicy", _pull_policy(c["image"]))
    c.setdefault("resources", {})
    for port in c.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    for env in c.get("env") or []:
        ref = (env.get("valueFrom") or {}).get("fieldRef") if isinstance(env, dict) else None
        if isinstance(ref, dict):
            ref.setdefault("apiVersion", "v1")


def _qos_class(spec: Obj) -> str:
    containers = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
    any_set, all_guaranteed = False, bool(containers)
    for c in containers:
        res = c.get("resources") or {}
        limits, requests = res.get("limits") or {}, res.get("requests") or {}
        if limits or requests:
            any_set = True
        for r in ("cpu", "memory"):
            if r not in limits or str(requests.get(r, limits[r])) != str(limits[r]):
                all_guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if all_guaranteed else "Burstable"


def default_pod(pod: Obj) -> None:
    """Fill the defaults of a new pod in place (spec defaults, an initial Pending status)."""
    spec = pod.setdefault("spec", {})
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    tgps = spec["terminationGracePeriodSeconds"]
    if isinstance(tgps, int) and not isinstance(tgps, bool) and tgps < 0:
        spec["terminationGracePeriodSeconds"] = 1  # the apiserver takes a negative one as 1
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("serviceAccountName", spec.get("serviceAccount") or "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("priority", 0)
    if "tolerations" not in spec:
        spec["tolerations"] = [dict(t) for t in _NOT_READY_TOLERATIONS]
    for field in ("initContainers", "containers"):
        for c in spec.get(field) or []:
            if isinstance(c, dict):
                _default_container(c)
    for vol in spec.get("volumes") or []:
        if not isinstance(vol, dict):
            continue
        for src in ("configMap", "secret"):
            if isinstance(vol.get(src), dict):
                vol[src].setdefault("defaultMode", 420)
    # Status is the kubelet's: whatever a client sent is replaced, as on a real cluster.
    pod["status"] = {"phase": "Pending", "qosClass": _qos_class(spec)}


def default_secret(secret: Obj) -> None:
    """Fold ``stringData`` into base64 ``data`` and default ``type`` to Opaque."""
    string_data = secret.pop("stringData", None)
    if isinstance(string_data, dict):
        data = secret.get("data")
        if not isinstance(data, dict):
            data = secret["data"] = {}
        for k, v in string_data.items():
            data[k] = base64.b64encode(str(v).encode()).decode()
    secret.setdefault("type", "Opaque")


def default_namespace(ns: Obj) -> None:
    """New namespaces are Active with the kubernetes finalizer."""
    ns.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    meta = ns.setdefault("metadata", {})
    if isinstance(meta, dict) and meta.get("name"):
        # the NamespaceDefaultLabelName label every namespace gets
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
    ns["status"] = {"phase": "Active"}
