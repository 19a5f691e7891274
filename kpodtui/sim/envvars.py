"""A container's environment, resolved as the kubelet does it.

``envFrom`` first (with its prefix), then ``env`` on top; values from
ConfigMaps, Secrets, the downward API and resource fields; ``$(VAR)``
references expanded (``$$`` escapes). A missing required ConfigMap, Secret
or key raises :class:`ContainerConfigError` with the kubelet's message,
which becomes ``CreateContainerConfigError``.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable
from typing import Any

from kpodtui.sim.node import NodeConfig, parse_quantity

Obj = dict[str, Any]
Lookup = Callable[[str, str, str], Obj | None]  # (kind, namespace, name) -> object

BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class ContainerConfigError(Exception):
    """The container cannot be created: its config refers to something missing."""


def secret_values(secret: Obj) -> dict[str, str]:
    """A Secret's data decoded (``stringData`` wins, as the apiserver merges it on write)."""
    out: dict[str, str] = {}
    for k, v in (secret.get("data") or {}).items():
        try:
            out[k] = base64.b64decode(v).decode("utf-8", "replace")
        except (ValueError, TypeError):
            out[k] = ""
    out.update(secret.get("stringData") or {})
    return out


def configmap_values(cm: Obj) -> dict[str, str]:
    """A ConfigMap's data (binaryData decoded as text)."""
    out: dict[str, str] = {}
    for k, v in (cm.get("binaryData") or {}).items():
        try:
            out[k] = base64.b64decode(v).decode("utf-8", "replace")
        except (ValueError, TypeError):
            out[k] = ""
    out.update(cm.get("data") or {})
    return out


def _source(lookup: Lookup, kind: str, namespace: str, name: str, optional: bool) -> dict[str, str] | None:
    obj = lookup(kind, namespace, name)
    if obj is None:
        if optional:
            return None
        raise ContainerConfigError(f'{"configmap" if kind == "configmaps" else "secret"} "{name}" not found')
    return configmap_values(obj) if kind == "configmaps" else secret_values(obj)


def _key_ref(lookup: Lookup, kind: str, namespace: str, ref: Obj) -> str | None:
    name = ref.get("name", "")
    optional = bool(ref.get("optional"))
    values = _source(lookup, kind, namespace, name, optional)
    if values is None:
        return None
    key = ref.get("key", "")
    if key not in values:
        if optional:
            return None
        title = "ConfigMap" if kind == "configmaps" else "Secret"
        raise ContainerConfigError(f"couldn't find key {key} in {title} {namespace}/{name}")
    return values[key]


_LABEL_PATH = re.compile(r"^metadata\.(labels|annotations)\['(.+)'\]$")


def field_value(pod: Obj, path: str) -> str:
    """A downward API ``fieldRef`` value of ``pod``."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    m = _LABEL_PATH.match(path)
    if m:
        return str((meta.get(m.group(1)) or {}).get(m.group(2), ""))
    simple = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", "default"),
        "status.hostIP": status.get("hostIP", ""),
        "status.podIP": status.get("podIP", ""),
        "status.hostIPs": ",".join(i.get("ip", "") for i in status.get("hostIPs") or []),
        "status.podIPs": ",".join(i.get("ip", "") for i in status.get("podIPs") or []),
    }
    if path in ("metadata.labels", "metadata.annotations"):
        items = meta.get(path.split(".")[1]) or {}
        return "\n".join(f'{k}="{v}"' for k, v in sorted(items.items()))
    return str(simple.get(path, ""))


def resource_value(pod: Obj, container_name: str, ref: Obj, node: NodeConfig) -> str:
    """A ``resourceFieldRef`` value: the container's limit (node allocatable if none) / divisor."""
    resource = ref.get("resource", "")
    container: Obj = next(
        (c for c in (pod["spec"].get("containers") or []) + (pod["spec"].get("initContainers") or [])
         if c.get("name") == (ref.get("containerName") or container_name)),
        {},
    )
    kind, _, res = resource.partition(".")
    values = ((container.get("resources") or {}).get(kind) or {})
    raw = values.get(res)
    if raw is None:
        raw = {"cpu": node.cpu, "memory": node.memory, "ephemeral-storage": node.ephemeral_storage}.get(res, "0")
        if kind == "requests" and res == "cpu":
            raw = "0"
    divisor = parse_quantity(ref.get("divisor") or "1")
    return str(math.ceil(parse_quantity(raw) / divisor))


_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def expand(text: str, env: dict[str, str]) -> str:
    """Expand ``$(VAR)`` from ``env`` (unknown references stay as written; ``$$`` is ``$``)."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        return env.get(m.group(1), m.group(0))

    return _REF.sub(sub, text)


def resolve_env(pod: Obj, container: Obj, lookup: Lookup, node: NodeConfig) -> dict[str, str]:
    """The container's environment, without the defaults (PATH, HOME, HOSTNAME) added on top."""
    namespace = pod["metadata"].get("namespace", "default")
    env: dict[str, str] = {}
    for src in container.get("envFrom") or []:
        prefix = src.get("prefix") or ""
        if "configMapRef" in src:
            ref = src["configMapRef"] or {}
            values = _source(lookup, "configmaps", namespace, ref.get("name", ""), bool(ref.get("optional")))
        elif "secretRef" in src:
            ref = src["secretRef"] or {}
            values = _source(lookup, "secrets", namespace, ref.get("name", ""), bool(ref.get("optional")))
        else:
            values = None
        for k, v in (values or {}).items():
            env[prefix + k] = v
    for item in container.get("env") or []:
        name = item.get("name", "")
        if "valueFrom" not in item or item.get("valueFrom") is None:
            env[name] = expand(item.get("value") or "", env)
            continue
        vf = item["valueFrom"]
        value: str | None
        if vf.get("configMapKeyRef"):
            value = _key_ref(lookup, "configmaps", namespace, vf["configMapKeyRef"])
        elif vf.get("secretKeyRef"):
            value = _key_ref(lookup, "secrets", namespace, vf["secretKeyRef"])
        elif vf.get("fieldRef"):
            value = field_value(pod, vf["fieldRef"].get("fieldPath", ""))
        elif vf.get("resourceFieldRef"):
            value = resource_value(pod, container.get("name", ""), vf["resourceFieldRef"], node)
        else:
            value = None
        if value is not None:
            env[name] = value
    return env


def full_env(pod: Obj, resolved: dict[str, str]) -> dict[str, str]:
    """What the process gets: the image-ish defaults, then the container's own variables."""
    env = {
        "PATH": BASE_PATH,
        "HOSTNAME": pod["metadata"].get("name", ""),
        "HOME": "/root",
        "LANG": "C.UTF-8",
    }
    env.update(resolved)
    return env
