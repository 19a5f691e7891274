"""Server-side tables (``Accept: application/json;as=Table;...``) as ``kubectl get`` shows them.

The pod STATUS column follows kubectl's ``printPod`` rules: waiting reasons
(``ImagePullBackOff``), ``Completed`` / ``Error``, ``Init:1/2``, ``Terminating``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def human_duration(seconds: float) -> str:
    """kubectl's ``HumanDuration``: ``5s``, ``2m30s``, ``10m``, ``3h5m``, ``2d``..."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 60 * 2:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 60 * 3:
        return f"{m}m"
    h = s // 3600
    if h < 8:
        return f"{h}h{m % 60}m" if m % 60 else f"{h}h"
    if h < 48:
        return f"{h}h"
    if h < 24 * 8:
        return f"{h // 24}d{h % 24}h" if h % 24 else f"{h // 24}d"
    if h < 24 * 365 * 2:
        return f"{h // 24}d"
    return f"{h // (24 * 365)}y{h // 24 % 365}d"


def age(obj: Obj, field: str = "creationTimestamp") -> str:
    """The AGE column of an object."""
    ts = _parse_time(obj.get("metadata", {}).get(field))
    if ts is None:
        return "<unknown>"
    return human_duration((datetime.now(UTC) - ts).total_seconds())


def pod_status_reason(pod: Obj) -> str:
    """The STATUS column of ``kubectl get pods``."""
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Unknown"
    init_specs = (pod.get("spec") or {}).get("initContainers") or []
    initializing = False
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        state = cs.get("state") or {}
        term, waiting = state.get("terminated"), state.get("waiting")
        if term and term.get("exitCode") == 0:
            continue
        initializing = True
        if term:
            if term.get("reason"):
                reason = f"Init:{term['reason']}"
            elif term.get("signal"):
                reason = f"Init:Signal:{term['signal']}"
            else:
                reason = f"Init:ExitCode:{term.get('exitCode')}"
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        break
    if not initializing:
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            state = cs.get("state") or {}
            waiting, term = state.get("waiting"), state.get("terminated")
            if waiting and waiting.get("reason"):
                reason = waiting["reason"]
            elif term and term.get("reason"):
                reason = term["reason"]
            elif term:
                reason = f"Signal:{term['signal']}" if term.get("signal") else f"ExitCode:{term.get('exitCode')}"
            elif cs.get("ready") and state.get("running"):
                has_running = True
        if reason == "Completed" and has_running:
            ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
            reason = "Running" if ready else "NotReady"
    if pod.get("metadata", {}).get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return reason


def _restarts(pod: Obj) -> str:
    status = pod.get("status") or {}
    total, last = 0, None
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        total += int(cs.get("restartCount") or 0)
        finished = _parse_time(((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
        if finished and (last is None or finished > last):
            last = finished
    if total and last:
        return f"{total} ({human_duration((datetime.now(UTC) - last).total_seconds())} ago)"
    return str(total)


def _col(name: str, type_: str = "string", priority: int = 0, format_: str = "", description: str = "") -> Obj:
    return {"name": name, "type": type_, "format": format_, "description": description, "priority": priority}


def _pod_row(pod: Obj) -> list[Any]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    total = len(spec.get("containers") or [])
    ready = sum(1 for cs in status.get("containerStatuses") or [] if cs.get("ready"))
    return [
        pod["metadata"]["name"], f"{ready}/{total}", pod_status_reason(pod), _restarts(pod), age(pod),
        status.get("podIP") or "<none>", spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>", "<none>",
    ]


def _event_row(ev: Obj) -> list[Any]:
    inv = ev.get("involvedObject") or {}
    last = _parse_time(ev.get("lastTimestamp") or ev.get("eventTime"))
    seen = human_duration((datetime.now(UTC) - last).total_seconds()) if last else "<unknown>"
    return [seen, ev.get("type", ""), ev.get("reason", ""), f"{inv.get('kind', '').lower()}/{inv.get('name', '')}",
            ev.get("message", "")]


def _node_row(node: Obj) -> list[Any]:
    conds = (node.get("status") or {}).get("conditions") or []
    ready = next((c for c in conds if c.get("type") == "Ready"), None)
    state = "Ready" if ready and ready.get("status") == "True" else "NotReady"
    roles = sorted(k.split("/", 1)[1] for k in (node["metadata"].get("labels") or {})
                   if k.startswith("node-role.kubernetes.io/")) or ["<none>"]
    version = ((node.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", "")
    return [node["metadata"]["name"], state, ",".join(roles), age(node), version]


_NAME = _col("Name", format_="name", description="Name must be unique within a namespace.")
_AGE = _col("Age", description="CreationTimestamp is a timestamp representing the server time when this object was created.")

#: resource -> (columns, row function)
TABLES: dict[str, tuple[list[Obj], Any]] = {
    "pods": ([_NAME, _col("Ready"), _col("Status"), _col("Restarts"), _AGE, _col("IP", priority=1),
              _col("Node", priority=1), _col("Nominated Node", priority=1), _col("Readiness Gates", priority=1)],
             _pod_row),
    "events": ([_col("Last Seen"), _col("Type"), _col("Reason"), _col("Object"), _col("Message")], _event_row),
    "configmaps": ([_NAME, _col("Data", "integer"), _AGE],
                   lambda o: [o["metadata"]["name"], len(o.get("data") or {}) + len(o.get("binaryData") or {}), age(o)]),
    "secrets": ([_NAME, _col("Type"), _col("Data", "integer"), _AGE],
                lambda o: [o["metadata"]["name"], o.get("type", "Opaque"), len(o.get("data") or {}), age(o)]),
    "namespaces": ([_NAME, _col("Status"), _AGE],
                   lambda o: [o["metadata"]["name"], (o.get("status") or {}).get("phase", ""), age(o)]),
    "nodes": ([_NAME, _col("Status"), _col("Roles"), _AGE, _col("Version")], _node_row),
}


def wants_table(accept: str) -> bool:
    """Whether the Accept header asks for a server-side Table."""
    return "as=Table" in accept


def table(kind: str, items: list[Obj], resource_version: str, include_object: str = "Metadata",
          continue_token: str | None = None) -> Obj:
    """A meta.k8s.io/v1 Table of ``items``; rows carry the object per ``includeObject``."""
    columns, row_fn = TABLES.get(kind, ([_NAME, _AGE], lambda o: [o["metadata"]["name"], age(o)]))
    rows = []
    for obj in items:
        row: Obj = {"cells": row_fn(obj)}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": obj.get("metadata", {})}
        rows.append(row)
    meta: Obj = {"resourceVersion": resource_version}
    if continue_token:
        meta["continue"] = continue_token
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta,
            "columnDefinitions": columns, "rows": rows}
