"""A pod described as ``kubectl describe pod`` lays it out, from its JSON and its events.

Pure: the pod (live, or as the history recorded it when it is gone) and its
events in, text out, in kubectl's order: metadata, each init container and
container (state, last state, reason, exit code, restarts, image, command,
resources, environment, mounts), conditions, volumes, QoS, node selectors,
tolerations, events with counts and ages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

Json = dict[str, Any]
W = 18  # the value column, as kubectl's


def _age(ts: str | None, now: float) -> str:
    """``12s``, ``4m5s``, ``3h``, ``2d`` as kubectl's ages; ``<unknown>`` without a time."""
    when = _parse(ts)
    if when is None:
        return "<unknown>"
    s = max(0, int(now - when))
    if s < 120:
        return f"{s}s"
    if s < 600:
        return f"{s // 60}m{s % 60}s" if s % 60 else f"{s // 60}m"
    if s < 3 * 3600:
        return f"{s // 60}m"
    if s < 48 * 3600:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


def _parse(ts: str | None) -> float | None:
    if not ts:
        return None
    try:
        return dt.datetime.fromisoformat(ts).timestamp()
    except ValueError:
        return None


def _when(ts: str | None) -> str:
    when = _parse(ts)
    if when is None:
        return ts or "<unknown>"
    return dt.datetime.fromtimestamp(when, dt.UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def _field(out: list[str], indent: int, name: str, value: Any) -> None:
    """``Name:  value``, the value in the column kubectl's tabwriter puts it (a container's fields
    two further right than the pod's), at least two spaces after the name."""
    pad = " " * indent
    column = W if indent == 0 else W + 2
    out.append(f"{pad}{name + ':':<{max(len(name) + 3, column - indent)}}{'' if value is None else value}".rstrip())


def _mapping(out: list[str], indent: int, name: str, values: dict[str, Any] | None, sep: str = "=") -> None:
    items = sorted((values or {}).items())
    if not items:
        _field(out, indent, name, "<none>")
        return
    first, *rest = items
    _field(out, indent, name, f"{first[0]}{sep}{first[1]}")
    for k, v in rest:
        out.append(" " * max(W, indent + len(name) + 1) + f"{k}{sep}{v}")


def _state(out: list[str], indent: int, title: str, state: Json | None) -> None:
    if not state:
        if title == "State":
            _field(out, indent, title, "Waiting")
        return
    kind, detail = next(iter(state.items()))
    _field(out, indent, title, kind.capitalize())
    detail = detail or {}
    if detail.get("reason"):
        _field(out, indent + 2, "Reason", detail["reason"])
    if detail.get("message"):
        _field(out, indent + 2, "Message", " ".join(str(detail["message"]).split()))
    if kind == "terminated":
        _field(out, indent + 2, "Exit Code", detail.get("exitCode"))
    if detail.get("startedAt"):
        _field(out, indent + 2, "Started", _when(detail["startedAt"]))
    if detail.get("finishedAt"):
        _field(out, indent + 2, "Finished", _when(detail["finishedAt"]))


def _container(out: list[str], c: Json, status: Json | None) -> None:
    status = status or {}
    out.append(f"  {c.get('name', '?')}:")
    if status.get("containerID"):
        _field(out, 4, "Container ID", status["containerID"])
    _field(out, 4, "Image", c.get("image"))
    if status.get("imageID"):
        _field(out, 4, "Image ID", status["imageID"])
    ports = ", ".join(f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}" for p in c.get("ports") or [])
    _field(out, 4, "Port", ports or "<none>")
    for name, key in (("Command", "command"), ("Args", "args")):
        if c.get(key):
            _field(out, 4, name, "")
            # each line of a multi-line argument on its own line, as kubectl describe splits them
            out.extend(f"      {line}" for arg in c[key] for line in str(arg).split("\n") if line or arg == "")
    _state(out, 4, "State", status.get("state"))
    if status.get("lastState"):
        _state(out, 4, "Last State", status.get("lastState"))
    _field(out, 4, "Ready", str(bool(status.get("ready"))))
    _field(out, 4, "Restart Count", status.get("restartCount", 0))
    resources = c.get("resources") or {}
    for name in ("limits", "requests"):
        if resources.get(name):
            _field(out, 4, name.capitalize(), "")
            out.extend(f"      {k}:{' ' * max(1, W - 7 - len(k))}{v}" for k, v in sorted(resources[name].items()))
    env = c.get("env") or []
    if env:
        _field(out, 4, "Environment", "")
        for e in env:
            value = e.get("value")
            if value is None and e.get("valueFrom"):
                ref = e["valueFrom"]
                kind = next(iter(ref), "valueFrom")
                value = f"<set to the key '{(ref[kind] or {}).get('key', '?')}' of '{(ref[kind] or {}).get('name', '?')}'>"
            out.append(f"      {e.get('name')}:{' ' * max(1, W - 7 - len(str(e.get('name'))))}{value}")
    else:
        _field(out, 4, "Environment", "<none>")
    mounts = c.get("volumeMounts") or []
    if mounts:
        _field(out, 4, "Mounts", "")
        out.extend(f"      {m.get('mountPath')} from {m.get('name')} ({'ro' if m.get('readOnly') else 'rw'})"
                   for m in mounts)
    else:
        _field(out, 4, "Mounts", "<none>")


def _volume_type(v: Json) -> str:
    kind = next((k for k in v if k != "name"), "unknown")
    source = v.get(kind) or {}
    ref = source.get("name") or source.get("secretName") or source.get("claimName") or source.get("path")
    return f"{kind[:1].upper()}{kind[1:]}" + (f" ({ref})" if ref else "")


def normalize_events(items: list[Json]) -> list[Json]:
    """Events of the API (``involvedObject``...) or as recorded (``timestamp``) as one shape."""
    out = []
    for ev in items:
        last = ev.get("lastTimestamp") or ev.get("eventTime") or ev.get("timestamp")
        out.append({
            "type": ev.get("type") or "Normal", "reason": ev.get("reason") or "", "message": ev.get("message") or "",
            "count": int(ev.get("count") or 1), "first": ev.get("firstTimestamp") or last, "last": last,
            "from": (ev.get("source") or {}).get("component") or ev.get("reportingComponent") or "",
        })
    out.sort(key=lambda e: e["last"] or "")
    return out


def describe_pod(pod: Json, events: list[Json], now: float, note: str | None = None) -> str:
    """``kubectl describe pod`` of ``pod`` (``events`` already :func:`normalize_events`)."""
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    out: list[str] = []
    if note:
        out += [f"# {note}", ""]
    _field(out, 0, "Name", meta.get("name"))
    _field(out, 0, "Namespace", meta.get("namespace"))
    _field(out, 0, "Priority", spec.get("priority", 0))
    _field(out, 0, "Service Account", spec.get("serviceAccountName") or "default")
    node = spec.get("nodeName")
    _field(out, 0, "Node", f"{node}/{status.get('hostIP')}" if node and status.get("hostIP") else node or "<none>")
    _field(out, 0, "Start Time", _when(status.get("startTime")) if status.get("startTime") else "<unset>")
    _mapping(out, 0, "Labels", meta.get("labels"))
    _mapping(out, 0, "Annotations", meta.get("annotations"), sep=": ")
    _field(out, 0, "Status", status.get("phase") or "Pending")
    for key in ("reason", "message"):
        if status.get(key):
            _field(out, 0, key.capitalize(), status[key])
    _field(out, 0, "IP", status.get("podIP") or "")
    statuses = {s.get("name"): s for group in ("initContainerStatuses", "containerStatuses")
                for s in status.get(group) or []}
    for title, group in (("Init Containers", "initContainers"), ("Containers", "containers")):
        if spec.get(group):
            out.append(f"{title}:")
            for c in spec[group]:
                _container(out, c, statuses.get(c.get("name")))
    conditions = status.get("conditions") or []
    if conditions:
        out.append("Conditions:")
        out.append(f"  {'Type':<27} Status")
        out.extend(f"  {c.get('type', '?'):<27} {c.get('status', '?')}" for c in conditions)
    volumes = spec.get("volumes") or []
    out.append("Volumes:" + ("" if volumes else f"{' ' * (W - 8)}<none>"))
    for v in volumes:
        out.append(f"  {v.get('name')}:")
        _field(out, 4, "Type", _volume_type(v))
    _field(out, 0, "QoS Class", status.get("qosClass") or "BestEffort")
    _mapping(out, 0, "Node-Selectors", spec.get("nodeSelector"))
    tolerations = [f"{t.get('key', '')}{':' + t['effect'] if t.get('effect') else ''}"
                   + (f" op={t['operator']}" if t.get("operator") else "")
                   + (f" for {t['tolerationSeconds']}s" if t.get("tolerationSeconds") is not None else "")
                   for t in spec.get("tolerations") or []]
    _field(out, 0, "Tolerations", tolerations[0] if tolerations else "<none>")
    out.extend(" " * W + t for t in tolerations[1:])
    if not events:
        _field(out, 0, "Events", "<none>")
        return "\n".join(out) + "\n"
    out.append("Events:")
    rows = [("Type", "Reason", "Age", "From", "Message"), ("----", "------", "----", "----", "-------")]
    for ev in events:
        age = _age(ev["last"], now)
        if ev["count"] > 1:
            age = f"{age} (x{ev['count']} over {_age(ev['first'], now)})"
        rows.append((ev["type"], ev["reason"], age, ev["from"], " ".join(ev["message"].split())))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    out.extend("  " + "  ".join(cell.ljust(w) for cell, w in zip(r[:4], widths, strict=True)) + "  " + r[4]
               for r in rows)
    return "\n".join(line.rstrip() for line in out) + "\n"
