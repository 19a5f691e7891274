"""Kubernetes spelling and naming rules shared by the spec checker and the pod builder.

Objects inside a spec are written as in a manifest (camelCase); snake_case (the
Python client's attribute names) is accepted and converted here.
"""

from __future__ import annotations

import re
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


_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


def dns_label_problem(value: str) -> str | None:
    """Why ``value`` is not a DNS-1123 label (container names), or None."""
    if len(value) > 63:
        return f"{value!r} is longer than 63 characters"
    if not _DNS_LABEL.match(value):
        return f"{value!r} is not a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit)"
    return None


def dns_subdomain_problem(value: str, max_len: int = 253) -> str | None:
    """Why ``value`` is not a DNS-1123 subdomain of at most ``max_len`` chars, or None."""
    if len(value) > max_len:
        return f"{value!r} is longer than {max_len} characters"
    if not _DNS_SUBDOMAIN.match(value):
        return f"{value!r} is not a DNS-1123 name (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)"
    return None


def label_key_problem(key: str) -> str | None:
    """Why ``key`` is not a valid label/annotation key (``[prefix/]name``), or None."""
    prefix, _, name = key.rpartition("/")
    if "/" in key and (not prefix or dns_subdomain_problem(prefix)):
        return f"label key {key!r} has an invalid prefix {prefix!r} (must be a DNS-1123 subdomain)"
    if not name or len(name) > 63 or not _LABEL_NAME.match(name):
        return (f"label key {key!r} is invalid: the name part must be 1-63 characters of letters, digits, "
                "'-', '_' or '.', starting and ending with a letter or digit")
    return None


def label_value_problem(value: str) -> str | None:
    """Why ``value`` is not a valid label value, or None (empty is valid)."""
    if value == "":
        return None
    if len(value) > 63 or not _LABEL_NAME.match(value):
        return (f"label value {value!r} is invalid: at most 63 characters of letters, digits, '-', '_' "
                "or '.', starting and ending with a letter or digit")
    return None
