"""Pure decisions about a pod, from its raw JSON (no I/O, tested with plain data).

What state each container is in, whether the pod has started, which waiting
reasons are fatal, which containers' logs to follow, and how a run ends
(succeeded / failed / skipped) and what happens to its pod afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from kpodtui.constants import XCOM_SIDECAR_NAME
from kpodtui.engine.events import ContainerState, Outcome

Json = dict[str, Any]

# Reference 3.5: image errors that can never heal, and pull errors that are
# fatal unless the kubelet's message says the registry was only busy.
FATAL_IMAGE_REASONS = frozenset({"InvalidImageName", "ErrImageNeverPull"})
PULL_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff"})
TRANSIENT_PULL_MARKERS = (
    "pull qps exceeded",
    "rate limit",
    "too many requests",
    "quota exceeded",
    "temporarily unavailable",
    "timeout",
    "account limit",
    "bad gateway",
    "service unavailable",
    "gateway timeout",
)
# Better than the reference: a missing ConfigMap / Secret never heals by waiting.
CONFIG_REASONS = frozenset({"CreateContainerConfigError"})
# The same for a volume of a missing ConfigMap / Secret: the kubelet only says so in
# FailedMount events ('secret "x" not found') while the pod sits in ContainerCreating.
_MISSING_SOURCE = re.compile(r'\b(secret|configmap)s? "([^"]+)" not found', re.IGNORECASE)


def _statuses(pod: Json, init: bool) -> list[Json]:
    status = pod.get("status") or {}
    return list(status.get("initContainerStatuses" if init else "containerStatuses") or [])


def container_state(cs: Json, init: bool = False) -> ContainerState:
    """One ``containerStatuses`` entry as a :class:`ContainerState`."""
    state = cs.get("state") or {}
    name = cs.get("name", "?")
    restarts = int(cs.get("restartCount") or 0)
    if "terminated" in state and state["terminated"] is not None:
        t = state["terminated"]
        return ContainerState(
            name, "terminated", init, t.get("reason"), t.get("message"), t.get("exitCode"),
            restarts, t.get("startedAt"), t.get("finishedAt"),
        )  # fmt: skip
    if "running" in state and state["running"] is not None:
        return ContainerState(name, "running", init, restart_count=restarts,
                              started_at=state["running"].get("startedAt"))  # fmt: skip
    if "waiting" in state and state["waiting"] is not None:
        w = state["waiting"]
        return ContainerState(name, "waiting", init, w.get("reason"), w.get("message"), restart_count=restarts)
    return ContainerState(name, "unknown", init, restart_count=restarts)


def container_states(pod: Json) -> tuple[ContainerState, ...]:
    """Every container's state: init containers first, in status order."""
    return tuple(container_state(cs, True) for cs in _statuses(pod, True)) + tuple(
        container_state(cs) for cs in _statuses(pod, False)
    )


def find_state(pod: Json | None, name: str) -> ContainerState | None:
    """The state of container ``name`` (init or regular), or None if not reported yet."""
    if not pod:
        return None
    for init in (False, True):
        for cs in _statuses(pod, init):
            if cs.get("name") == name:
                return container_state(cs, init)
    return None


def phase(pod: Json | None) -> str:
    return ((pod or {}).get("status") or {}).get("phase") or "Pending"


def spec_containers(pod: Json, init: bool = False) -> list[str]:
    """Container names in spec order."""
    spec = pod.get("spec") or {}
    return [c.get("name", "") for c in spec.get("initContainers" if init else "containers") or []]


def is_scheduled(pod: Json) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "PodScheduled":
            return cond.get("status") == "True"
    return bool((pod.get("spec") or {}).get("nodeName"))


def has_started(pod: Json) -> bool:
    """The pod left Pending/Unknown (reference 3.5 step 3)."""
    return phase(pod) not in ("Pending", "Unknown")


def launch_failure(pod: Json) -> str | None:
    """Why the pod failed before its containers started, or None."""
    if phase(pod) == "Failed" and not _statuses(pod, False):
        status = pod.get("status") or {}
        why = status.get("message") or status.get("reason") or "no container ever started"
        return f"pod failed before its containers started: {why}"
    return None


def is_transient_pull(message: str | None) -> bool:
    text = (message or "").lower()
    return any(marker in text for marker in TRANSIENT_PULL_MARKERS)


def fatal_waiting(pod: Json) -> str | None:
    """A failure to report at once, if any container waits for something that never comes."""
    for cs in container_states(pod):
        if cs.state != "waiting" or not cs.reason:
            continue
        kind = "init container" if cs.init else "container"
        if cs.reason in FATAL_IMAGE_REASONS or (cs.reason in PULL_REASONS and not is_transient_pull(cs.message)):
            return f"image cannot be pulled, unable to start ({kind} {cs.name}): {cs.reason}: {cs.message or ''}".rstrip(": ")
        if cs.reason in CONFIG_REASONS:
            return f"{kind} {cs.name} cannot be created: {cs.reason}: {cs.message or ''}".rstrip(": ")
    return None


def unschedulable(pod: Json) -> str | None:
    """The scheduler's verdict when it found no node for the pod, or None.

    ``PodScheduled=False`` with reason ``Unschedulable`` (too big for every node,
    a nodeSelector or affinity nothing matches...). As the reference, a run waits
    for it up to ``schedule_timeout`` (a cluster autoscaler may add a node).
    """
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False" \
                and cond.get("reason") == "Unschedulable":
            return f"the pod cannot be scheduled: Unschedulable: {cond.get('message') or 'no node fits'}"
    return None


# A cluster autoscaler's events about a pending pod (shown as they come, Normal as they are).
AUTOSCALER_REASONS = frozenset({"TriggeredScaleUp", "NotTriggerScaleUp", "FailedScaleUp"})
# Why the autoscaler skipped a node group for now (kubernetes/autoscaler's skipped-group reasons):
# these can change (a node leaves, a back-off ends), unlike a group whose nodes cannot fit the pod.
_SKIPPED_GROUP = ("max node group size reached", "backoff", "not ready for scale-up", "max total nodes",
                  "limit reached", "not safe to scale")


def no_node_group_fits(reason: str, message: str) -> str | None:
    """The failure to report at once when the cluster autoscaler says no node group can ever
    fit the pod (``NotTriggerScaleUp`` whose every reason is about the pod not fitting a
    group's nodes, or the older "it wouldn't fit if a new node is added"); None otherwise
    (a group at its maximum or backing off may help later)."""
    if reason != "NotTriggerScaleUp":
        return None
    head, _, reasons = message.partition("pod didn't trigger scale-up")
    if head or not message:
        return None
    said = reasons.lstrip(":").strip()
    if "it wouldn't fit if a new node is added" in said:
        return f"no node group of the cluster autoscaler can fit the pod ({message})"
    parts = [p.strip() for p in said.split(",") if p.strip()]
    if not parts or any(marker in p for p in parts for marker in _SKIPPED_GROUP):
        return None
    return f"no node group of the cluster autoscaler can fit the pod: {message}"


def fatal_event(event_type: str, reason: str, message: str) -> str | None:
    """A failure to report at once for a pod event (a volume of a missing ConfigMap / Secret)."""
    if event_type != "Warning" or reason != "FailedMount":
        return None
    m = _MISSING_SOURCE.search(message or "")
    if m is None:
        return None
    kind = "Secret" if m.group(1).lower() == "secret" else "ConfigMap"
    return f"a volume cannot be mounted: {kind} {m.group(2)!r} does not exist (FailedMount: {message})"


def pending_reason(pod: Json) -> str | None:
    """The current cause of a Pending pod, as a person would want it said."""
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
            reason = cond.get("reason") or "not scheduled"
            return f"{reason}: {cond['message']}" if cond.get("message") else reason
    for cs in container_states(pod):
        if cs.state == "waiting" and cs.reason and cs.reason != "PodInitializing":
            text = f"{cs.name}: {cs.reason}"
            return f"{text}: {cs.message}" if cs.message else text
    return None


def failure_reason(pod: Json | None, base: str, warnings: Sequence[str] = ()) -> str | None:
    """The one word a person looks for, as kubectl's STATUS column shows it.

    ``DeadlineExceeded`` / ``Evicted`` (the pod's reason), then the base
    container's: ``OOMKilled`` (terminated), ``ErrImagePull`` or
    ``CreateContainerConfigError`` (waiting), then ``Unschedulable``, then the
    reason of the last Warning event in ``warnings`` (``FailedMount``). None when
    the exit code says it all (a plain ``Error``) or nothing is known.
    """
    if not pod:
        return warnings[-1] if warnings else None
    status = pod.get("status") or {}
    if status.get("reason"):
        return str(status["reason"])
    every = container_states(pod)
    states = [cs for cs in every if cs.name == base] + [cs for cs in every if cs.name != base and cs.state == "waiting"]
    for cs in states:
        if cs.reason and cs.reason not in ("Completed", "Error", "ContainerCreating", "PodInitializing"):
            return cs.reason
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False" and cond.get("reason"):
            return str(cond["reason"])
    if warnings and not has_started(pod):
        return warnings[-1]
    return None


def select_containers(available: Sequence[str], selection: Any, base: str, for_init: bool = False) -> tuple[list[str], list[str]]:
    """Containers to follow, per ``container_logs`` / ``init_container_logs`` (reference 1.6).

    ``True``: all but the XCom sidecar; a name or a list of names: those (in
    spec order; unknown names come back second); ``None``/``False``: the base
    container for regular containers, nothing for init containers.
    """
    if selection is True:
        return [c for c in available if c != XCOM_SIDECAR_NAME], []
    if selection in (None, False):
        if for_init:
            return [], []
        return ([base] if base in available else []), ([] if base in available else [base])
    wanted = [selection] if isinstance(selection, str) else list(selection)
    return [c for c in available if c in wanted], [w for w in wanted if w not in available]


def skip_codes(value: Any) -> list[int]:
    """``skip_on_exit_code`` as a list (an int is wrapped, None is empty)."""
    if value is None:
        return []
    if isinstance(value, int):
        return [value]
    return [int(v) for v in value]


def decide_outcome(pod: Json | None, base: str, skip: Iterable[int], killed: bool = False) -> tuple[Outcome, int | None]:
    """``(outcome, base exit code)`` from the freshest pod state.

    The base container decides (sidecars never do): exit code in ``skip`` ->
    skipped; exit 0 -> succeeded unless the pod itself failed (deadline, another
    container); anything else, or no verdict from the base container -> failed.
    A run killed on request is ``killed`` whatever the container did.
    """
    state = find_state(pod, base)
    code = state.exit_code if state is not None and state.state == "terminated" else None
    if killed:
        return "killed", code
    if code is not None and code in set(skip):
        return "skipped", code
    if code == 0 and phase(pod) != "Failed":
        return "succeeded", code
    return "failed", code


def should_delete(action: str, pod: Json | None, base_exit: int | None) -> bool:
    """Whether ``on_finish_action`` deletes the pod at the end (reference 1.6, item 62)."""
    if pod is None:
        return False
    if action == "delete_pod":
        return True
    if action == "delete_succeeded_pod":
        return phase(pod) == "Succeeded" or base_exit == 0
    if action == "delete_active_pod":
        return phase(pod) in ("Running", "Pending")
    return False


def should_mark_checked(action: str, pod: Json | None) -> bool:
    """Whether to label the pod ``already_checked`` (reference 3.11)."""
    return pod is not None and (phase(pod) != "Succeeded" or action in ("keep_pod", "delete_active_pod"))
