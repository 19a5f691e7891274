"""Pod phase and conditions, computed from container statuses by the kubelet's rules.

Pure functions over the status dicts the kubelet reports; no I/O.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def _state_kind(status: Obj) -> str:
    state = status.get("state") or {}
    for kind in ("running", "terminated", "waiting"):
        if kind in state:
            return kind
    return "waiting"


def compute_phase(restart_policy: str, init_statuses: list[Obj], statuses: list[Obj]) -> str:
    """The phase as the kubelet's ``getPhase`` decides it (no sidecar init containers)."""
    for s in init_statuses:
        kind = _state_kind(s)
        if kind == "terminated" and (s["state"]["terminated"].get("exitCode", 0) == 0):
            continue
        if kind == "terminated" and restart_policy == "Never":
            return "Failed"
        return "Pending"
    running = waiting = stopped = succeeded = 0
    for s in statuses:
        kind = _state_kind(s)
        if kind == "running":
            running += 1
        elif kind == "terminated":
            stopped += 1
            if s["state"]["terminated"].get("exitCode", 0) == 0:
                succeeded += 1
        else:
            last = (s.get("lastState") or {}).get("terminated")
            if last is not None and restart_policy != "Never":
                # crash-looping: counts as stopped-and-restarting
                stopped += 1
                if last.get("exitCode", 0) == 0:
                    succeeded += 1
            else:
                waiting += 1
    if waiting > 0:
        return "Pending"
    if running > 0:
        return "Running"
    if stopped > 0:
        if restart_policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if restart_policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def _names(statuses: list[Obj], pred: Any) -> list[str]:
    return [s["name"] for s in statuses if pred(s)]


def compute_conditions(
    phase: str,
    scheduled: bool,
    sandbox_ready: bool,
    init_statuses: list[Obj],
    statuses: list[Obj],
) -> list[tuple[str, str, str | None, str | None]]:
    """``(type, status, reason, message)`` for each pod condition, in the kubelet's order."""
    out: list[tuple[str, str, str | None, str | None]] = []
    out.append(("PodReadyToStartContainers", "True" if sandbox_ready else "False", None, None))

    incomplete = _names(init_statuses, lambda s: _state_kind(s) != "terminated"
                        or s["state"]["terminated"].get("exitCode", 0) != 0)
    if phase == "Succeeded" and init_statuses:
        out.append(("Initialized", "True", "PodCompleted", None))
    elif incomplete:
        out.append(("Initialized", "False", "ContainersNotInitialized",
                    f"containers with incomplete status: [{' '.join(incomplete)}]"))
    else:
        out.append(("Initialized", "True", None, None))

    unready = _names(statuses, lambda s: not s.get("ready"))
    if phase == "Succeeded":
        ready: tuple[str, str | None, str | None] = ("False", "PodCompleted", None)
    elif phase == "Failed":
        ready = ("False", "PodFailed", None)
    elif incomplete:
        ready = ("False", "ContainersNotInitialized", f"containers with incomplete status: [{' '.join(incomplete)}]")
    elif unready:
        ready = ("False", "ContainersNotReady", f"containers with unready status: [{' '.join(unready)}]")
    else:
        ready = ("True", None, None)
    out.append(("Ready", *ready))
    out.append(("ContainersReady", *ready))
    if scheduled:
        out.append(("PodScheduled", "True", None, None))
    return out
