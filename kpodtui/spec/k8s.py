"""Kubernetes spelling shared by the spec checker and the pod builder (names: :mod:`kpodtui.apiformats`).

Objects inside a spec are written as in a manifest (camelCase); snake_case (the
Python client's attribute names) is accepted and converted here.
"""

from __future__ import annotations

from typing import Any

# Keys whose values are free-form maps: their own keys are data, not API fields,
# so they must never be camel-cased (a label ``app_tier`` stays ``app_tier``).
FREEFORM_MAPS = frozenset(
    {"labels", "annotations", "nodeSelector", "limits", "requests", "matchLabels",
     "volumeAttributes", "options", "overhead", "data", "binaryData", "parameters"}
)

# The API fields of a pod whose camelCase is not the mechanical conversion (the Python
# client's attribute names, from its models' attribute_map; ``_exec`` avoids a keyword).
_IRREGULAR = {
    "host_ip": "hostIP", "host_ips": "hostIPs", "pod_ip": "podIP", "pod_ips": "podIPs",
    "host_ipc": "hostIPC", "host_pid": "hostPID", "target_wwns": "targetWWNs", "_exec": "exec",
    "downward_api": "downwardAPI", "set_hostname_as_fqdn": "setHostnameAsFQDN", "scale_io": "scaleIO",
    "volume_id": "volumeID", "disk_uri": "diskURI", "pd_id": "pdID", "share_id": "shareID",
    "storage_policy_id": "storagePolicyID", "dataset_uuid": "datasetUUID", "container_id": "containerID",
    "image_id": "imageID", "pod_uid": "podUID", "resource_id": "resourceID",
}


def camel(key: str) -> str:
    """``mount_path`` -> ``mountPath``; camelCase keys are returned unchanged."""
    if key in _IRREGULAR:
        return _IRREGULAR[key]
    if "_" not in key or key.startswith("_"):
        return key
    first, *rest = key.split("_")
    return first + "".join(p[:1].upper() + p[1:] for p in rest)


def camelize(obj: Any) -> Any:
    """Convert every API key of a Kubernetes object written in snake_case to camelCase."""
    if isinstance(obj, dict):
        out: dict[Any, Any] = {}
        for k, v in obj.items():
            ck = camel(k) if isinstance(k, str) else k
            out[ck] = v if (ck in FREEFORM_MAPS and isinstance(v, dict)) else camelize(v)
        return out
    if isinstance(obj, list):
        return [camelize(x) for x in obj]
    return obj
