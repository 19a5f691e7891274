"""The reference's ``reconcile_pods`` on plain camelCase dicts.

"base" is the template side, "client" the overriding side. Generic rule: the
client's value wins unless it is falsy (None, "", [], {}, False, 0), in which
case a non-None base value is kept. kpodtui's improvement: a client value whose
path ``explicit(path)`` says the user wrote wins even when falsy, so
``hostnetwork: false`` or ``cmds: []`` can override a template.

Nested objects (securityContext, resources...) and maps such as ``nodeSelector``
and ``overhead`` are replaced whole when the client's is not empty, as in the
reference; only ``metadata.labels`` and ``metadata.annotations`` merge by key.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

Path = tuple[Any, ...]
Explicit = Callable[[Path], bool]

_CONTAINER_LISTS = ("volumeMounts", "env", "envFrom", "ports", "volumeDevices")
_META_LISTS = ("managedFields", "finalizers", "ownerReferences")
_KEYED_MAPS = ("labels", "annotations")  # metadata only: the reference merges nothing else by key


def never(_path: Path) -> bool:
    """Nothing was written explicitly (the reference's semantics)."""
    return False


def always(_path: Path) -> bool:
    """Everything present was written explicitly (e.g. ``full_pod_spec``)."""
    return True


def _generic(base: dict, client: dict, explicit: Explicit, path: Path) -> dict:
    out = copy.deepcopy(client)
    for key, bval in base.items():
        cval = client.get(key)
        client_wins = bool(cval) or (key in client and cval is not None and explicit((*path, key)))
        if not client_wins and bval is not None:
            out[key] = copy.deepcopy(bval)
    return out


def _keyed(base: Any, client: Any) -> Any:
    if isinstance(base, dict) and isinstance(client, dict):
        return {**base, **client}
    return copy.deepcopy(client if client else base)


def _concat(base: Any, client: Any) -> list:
    return copy.deepcopy(list(base or []) + list(client or []))


def merge_container(base: dict, client: dict, explicit: Explicit, path: Path) -> dict:
    """One container pair: list fields concatenated (base first), the rest generic."""
    out = _generic(base, client, explicit, path)
    for key in _CONTAINER_LISTS:
        if base.get(key) or client.get(key):
            out[key] = _concat(base.get(key), client.get(key))
    return out


def _by_position(base: list, client: list, explicit: Explicit, path: Path) -> list:
    out = []
    for i in range(max(len(base), len(client))):
        if i < len(base) and i < len(client):
            out.append(merge_container(base[i], client[i], explicit, (*path, i)))
        else:
            out.append(copy.deepcopy(base[i] if i < len(base) else client[i]))
    return out


def _by_name(base: list, client: list, explicit: Explicit, path: Path) -> list:
    if not base or not client:
        return copy.deepcopy(client or base)
    client_by_name = {c.get("name"): c for c in client}
    out = []
    for b in base:
        c = client_by_name.pop(b.get("name"), None)
        out.append(merge_container(b, c, explicit, (*path, b.get("name"))) if c else copy.deepcopy(b))
    out.extend(copy.deepcopy(c) for c in client if c.get("name") in client_by_name)
    return out


def merge_metadata(base: dict, client: dict, explicit: Explicit) -> dict:
    """Labels/annotations by key, ownership lists concatenated, the rest generic."""
    out = _generic(base, client, explicit, ("metadata",))
    for key in _KEYED_MAPS:
        if key in base or key in client:
            out[key] = _keyed(base.get(key), client.get(key))
    for key in _META_LISTS:
        if base.get(key) or client.get(key):
            out[key] = _concat(base.get(key), client.get(key))
    return out


def merge_spec(base: dict, client: dict, explicit: Explicit) -> dict:
    """Containers by position, init containers by name, volumes concatenated."""
    path = ("spec",)
    out = _generic(base, client, explicit, path)
    out["containers"] = _by_position(base.get("containers") or [], client.get("containers") or [],
                                     explicit, (*path, "containers"))
    init = _by_name(base.get("initContainers") or [], client.get("initContainers") or [],
                    explicit, (*path, "initContainers"))
    if init:
        out["initContainers"] = init
    if base.get("volumes") or client.get("volumes"):
        out["volumes"] = _concat(base.get("volumes"), client.get("volumes"))
    return out


def merge_pods(base: dict | None, client: dict | None, explicit: Explicit = never) -> dict:
    """``client`` merged on top of ``base`` (either may be empty)."""
    if not base:
        return copy.deepcopy(client or {})
    if not client:
        return copy.deepcopy(base)
    out = _generic(base, client, explicit, ())
    out["metadata"] = merge_metadata(base.get("metadata") or {}, client.get("metadata") or {}, explicit)
    out["spec"] = merge_spec(base.get("spec") or {}, client.get("spec") or {}, explicit)
    return out
