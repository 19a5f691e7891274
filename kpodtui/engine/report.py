"""The failure report, and the masking that keeps secret values out of everything.

Pure functions over raw pod / event JSON. A secret's value never reaches the
pod object (env refers to Secrets by name), but users also put tokens in plain
``env`` values and annotations; :func:`mask_pod` hides every such value whose
name looks sensitive, and any value the caller knows to be secret.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

import yaml

from kpodtui.engine.events import ClusterEvent
from kpodtui.engine.outcome import container_states, find_state

Json = dict[str, Any]

MASK = "***"
SENSITIVE_NAME = re.compile(r"(pass|secret|token|key|credential|auth|cert|private|api_?key|pwd)", re.I)


def mask_pod(pod: Json, secret_values: Iterable[str] = ()) -> Json:
    """A copy of ``pod`` with sensitive env values, annotations and known secrets masked."""
    out = copy.deepcopy(pod)
    known = {v for v in secret_values if v}
    spec = out.get("spec") or {}
    for group in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(group) or []:
            for env in c.get("env") or []:
                if "value" in env and (SENSITIVE_NAME.search(env.get("name", "")) or env["value"] in known):
                    env["value"] = MASK
    meta = out.get("metadata") or {}
    for k in list((meta.get("annotations") or {}).keys()):
        if SENSITIVE_NAME.search(k) or meta["annotations"][k] in known:
            meta["annotations"][k] = MASK
    meta.pop("managedFields", None)
    return scrub(out, known) if known else out


def scrub(value: Any, secrets: set[str]) -> Any:
    """``value`` with every occurrence of a known secret string replaced by the mask."""
    if isinstance(value, str):
        for s in secrets:
            if s in value:
                value = value.replace(s, MASK)
        return value
    if isinstance(value, dict):
        return {k: scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, secrets) for v in value]
    return value


def kill_report(pod: str | None, fate: str | None) -> str:
    """The report of a killed run: what became of ``pod`` ("deleted", "kept", "was already
    gone"; None: nothing to say of it)."""
    if not pod or fate is None:
        return "killed on request"
    if fate == "kept":
        return f"killed on request: pod {pod} kept (on_kill_action: keep_pod)"
    return f"killed on request: pod {pod} {fate}"


def deleted_outside_report(pod_name: str, last: Json | None, base: str, seen: str, cause: str | None = None) -> str:
    """The report of a run whose pod someone else deleted (kubectl delete, a controller...)
    before its base container ended, with what was last known of its containers."""
    lines = [f"Pod {pod_name} was deleted outside kpodtui (not by this run, a kill or `kpodtui kill`): {seen}."]
    if cause and cause not in lines[0]:
        lines.append(cause)
    states = container_states(last) if last else ()
    if states:
        lines.append("last known container states: " + ", ".join(
            f"{'init ' if s.init else ''}{s.name} {s.describe()}" for s in states))
    else:
        lines.append(f"container {base} never reported a state")
    return "\n".join(lines)


def describe_base(pod: Json | None, base: str) -> str:
    """One line about the base container's end (or why it has none)."""
    state = find_state(pod, base)
    if state is None:
        return f"container {base} never reported a state"
    if state.state == "terminated":
        text = f"container {base} exited with code {state.exit_code}"
        return f"{text} ({state.reason})" if state.reason else text
    status = (pod or {}).get("status") or {}
    if state.state == "running" and status.get("phase") == "Failed":
        # the kubelet reports the pod failed (a deadline, an eviction) before its containers are stopped
        why = f" ({status['reason']})" if status.get("reason") else ""
        return f"container {base} was still running when the pod failed{why}: the kubelet stops it"
    return f"container {base} is {state.describe()}"


_SIGNALS = {1: "SIGHUP", 2: "SIGINT", 6: "SIGABRT", 9: "SIGKILL", 11: "SIGSEGV", 15: "SIGTERM"}


def _container_spec(pod: Json, name: str) -> Json:
    spec = pod.get("spec") or {}
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        if c.get("name") == name:
            return c
    return {}


def hint(pod: Json, base: str) -> str | None:
    """What a person can do about the usual ways a pod fails, in one line (None: nothing to add)."""
    status = pod.get("status") or {}
    if status.get("reason") == "DeadlineExceeded":
        deadline = (pod.get("spec") or {}).get("activeDeadlineSeconds")
        return (f"hint: the pod ran longer than active_deadline_seconds ({deadline}s): "
                "raise it, or make the task finish sooner")
    if status.get("reason") == "Evicted":
        return ("hint: the node evicted the pod (resource pressure on the node): give the containers "
                "resource requests (container_resources) or run on another node")
    state = find_state(pod, base)
    if state is None or state.state != "terminated":
        return None
    code = state.exit_code
    if state.reason == "OOMKilled":
        limit = ((_container_spec(pod, base).get("resources") or {}).get("limits") or {}).get("memory")
        return ("hint: the kernel killed the container for using more memory than "
                + (f"its limit ({limit})" if limit else "the node could give it")
                + ": raise container_resources limits.memory, or make the task use less")
    if code == 127:
        return "hint: exit code 127 is the shell's 'command not found': check cmds / arguments and the image"
    if code == 126:
        return "hint: exit code 126 is the shell's 'not executable': check the file's mode in the image"
    if code is not None and 128 < code <= 128 + 64:
        sig = code - 128
        name = _SIGNALS.get(sig, f"signal {sig}")
        extra = " (often the out-of-memory killer, or a kill from outside)" if sig == 9 else ""
        return f"hint: exit code {code} means the process was killed by {name}{extra}"
    return None


def failure_report(
    pod_name: str,
    pod: Json | None,
    base: str,
    cause: str | None = None,
    events: Iterable[ClusterEvent] = (),
    include_events: bool = True,
    include_spec: bool = False,
    secret_values: Iterable[str] = (),
) -> str:
    """The text a person reads to learn why the run failed.

    Names the container, exit code, reason (OOMKilled...), termination
    message, the recent Warning events and, when asked, the pod (masked).
    """
    lines = [f"Pod {pod_name} returned a failure."]
    if cause:
        lines.append(cause)
    if pod is not None:
        lines.append(describe_base(pod, base))
        state = find_state(pod, base)
        if state is not None and state.message and state.state == "terminated":
            lines.append("termination message: " + state.message.rstrip())
        status = pod.get("status") or {}
        if status.get("reason"):
            lines.append(f"pod: {status.get('phase')} ({status['reason']}): {status.get('message') or ''}".rstrip(": "))
        advice = hint(pod, base)
        if advice:
            lines.append(advice)
    if include_events:
        warnings = [e for e in events if e.type == "Warning"][-10:]
        if warnings:
            lines.append("recent Warning events:")
            lines.extend(f"  {e.reason}: {e.message}" + (f" (x{e.count})" if e.count > 1 else "") for e in warnings)
    if include_spec and pod is not None:
        masked = mask_pod(pod, secret_values)
        lines.append("pod (secret values masked):")
        lines.append(yaml.safe_dump(masked, sort_keys=False, default_flow_style=False).rstrip())
    text = "\n".join(lines)
    known = {v for v in secret_values if v}
    return scrub(text, known) if known else text
