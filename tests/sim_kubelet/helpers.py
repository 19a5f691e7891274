"""Pod builders and waits for the kubelet-half tests (wait on conditions, never bare sleeps)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def pod(name: str, *containers: dict[str, Any], init: list[dict[str, Any]] | None = None,
        restart: str = "Never", **spec: Any) -> dict[str, Any]:
    """A pod manifest (dict) with the given containers."""
    body: dict[str, Any] = {"metadata": {"name": name},
                            "spec": {"restartPolicy": restart, "containers": list(containers), **spec}}
    if init:
        body["spec"]["initContainers"] = init
    return body


def sh(name: str, script: str, image: str = "busybox:1.36", **extra: Any) -> dict[str, Any]:
    """A container running ``sh -c script``."""
    return {"name": name, "image": image, "command": ["sh", "-c", script], **extra}


def wait_for(check: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy (returned); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def wait_phase(api: Any, name: str, phases: tuple[str, ...] = ("Succeeded", "Failed"), timeout: float = 30.0) -> Any:
    """Wait until pod ``name`` is in one of ``phases``; the pod."""

    def check() -> Any:
        p = api.read_namespaced_pod(name, "default")
        return p if p.status.phase in phases else None

    return wait_for(check, timeout, f"pod {name} in {phases}")


def container_status(p: Any, name: str, init: bool = False) -> Any:
    """The status of container ``name`` of pod ``p`` (None before the kubelet reports it)."""
    statuses = p.status.init_container_statuses if init else p.status.container_statuses
    return next((s for s in statuses or [] if s.name == name), None)


def events(api: Any, name: str) -> list[tuple[str, str, str]]:
    """``(type, reason, message)`` of the events about pod ``name``, oldest first."""
    items = api.list_namespaced_event("default", field_selector=f"involvedObject.name={name}").items
    items.sort(key=lambda e: (e.first_timestamp or e.event_time, e.metadata.resource_version))
    return [(e.type, e.reason, e.message) for e in items]


def wait_event(api: Any, name: str, reason: str, timeout: float = 30.0) -> tuple[str, str, str]:
    """Wait for an event with ``reason`` about pod ``name``; the event."""
    return wait_for(lambda: next((e for e in events(api, name) if e[1] == reason), None), timeout,
                    f"event {reason} for {name}")
