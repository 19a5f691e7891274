"""The simulated node: its configuration, capacity arithmetic and its ``Node`` object.

One node, ``kpodtui-sim-node``. The API-server half imports :class:`NodeConfig`
to build the cluster; the kubelet uses it to schedule pods and refuse images.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from typing import Any

from kpodtui import apiformats as formats

_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
    platform.machine().lower(), platform.machine().lower() or "amd64"
)

#: the default refusal: any image whose registry host ends in ``.invalid`` (RFC 2606)
DEFAULT_REFUSED_IMAGES = ["*.invalid/*"]


@dataclass
class NodeConfig:
    """What the single simulated node offers.

    ``refused_images`` are :mod:`fnmatch` patterns matched against the image
    reference as written in the pod and against its normalised form
    (``docker.io/library/busybox:latest``); a match fails the pull with
    ``ErrImagePull`` then ``ImagePullBackOff``.
    """

    name: str = "kpodtui-sim-node"
    cpu: str = "4"
    memory: str = "8Gi"
    pods: str = "110"
    ephemeral_storage: str = "100Gi"
    labels: dict[str, str] = field(default_factory=dict)
    refused_images: list[str] = field(default_factory=lambda: list(DEFAULT_REFUSED_IMAGES))
    #: first image-pull back-off (doubles each retry, capped at 300 s), as the kubelet's 10 s
    image_backoff_seconds: float = 10.0
    #: first crash-loop back-off for restartPolicy Always/OnFailure, as the kubelet's 10 s
    crash_backoff_seconds: float = 10.0
    #: how long a "pull" takes; real pulls are slower, but tests should not wait
    pull_seconds: float = 0.0
    kubelet_version: str = "v1.31.4"
    #: False: the scheduler is stopped, so new pods stay Pending with no status at all (as on a
    #: control plane whose scheduler is down). API-level tests use it to see only their own writes.
    scheduler_running: bool = True

    def __post_init__(self) -> None:
        base = {
            "kubernetes.io/hostname": self.name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": _ARCH,
            "beta.kubernetes.io/os": "linux",
            "beta.kubernetes.io/arch": _ARCH,
            "node-role.kubernetes.io/control-plane": "",
        }
        base.update(self.labels)
        self.labels = base

    @property
    def capacity(self) -> dict[str, str]:
        """The node's ``status.capacity`` (also its allocatable: nothing is reserved)."""
        return {
            "cpu": self.cpu,
            "memory": self.memory,
            "pods": self.pods,
            "ephemeral-storage": self.ephemeral_storage,
        }


# -- quantities ------------------------------------------------------------------

def parse_quantity(value: Any) -> float:
    """A Kubernetes quantity (``100m``, ``1.5``, ``512Mi``, ``1e3``) as a float of base units.

    Raises ValueError for a malformed quantity.
    """
    if isinstance(value, int | float):
        return float(value)
    amount = formats.parse_quantity(str(value).strip())
    if amount is None:
        raise ValueError(f"{formats.QUANTITY_MSG}: {value!r}")
    return float(amount)


def pod_requests(spec: dict[str, Any]) -> dict[str, float]:
    """Effective requests of a pod as the scheduler sees them.

    Per resource: max(sum over containers, max over init containers). A
    container without requests but with limits requests its limits (the
    apiserver defaults requests to limits).
    """

    def container_req(c: dict[str, Any]) -> dict[str, float]:
        res = c.get("resources") or {}
        req = dict(res.get("limits") or {})
        req.update(res.get("requests") or {})
        out: dict[str, float] = {}
        for k, v in req.items():
            try:
                out[k] = parse_quantity(v)
            except ValueError:
                continue
        return out

    total: dict[str, float] = {}
    for c in spec.get("containers") or []:
        for k, v in container_req(c).items():
            total[k] = total.get(k, 0.0) + v
    for c in spec.get("initContainers") or []:
        for k, v in container_req(c).items():
            total[k] = max(total.get(k, 0.0), v)
    return total


def qos_class(spec: dict[str, Any]) -> str:
    """``Guaranteed``, ``Burstable`` or ``BestEffort`` by the real rules (cpu and memory only)."""
    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    any_set = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        limits = res.get("limits") or {}
        requests = dict(limits)
        requests.update(res.get("requests") or {})
        for r in ("cpu", "memory"):
            if r in requests or r in limits:
                any_set = True
            if r not in limits or parse_quantity(requests[r]) != parse_quantity(limits[r]):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def node_object(config: NodeConfig, created: str, heartbeat: str, allocated_pods: int = 0) -> dict[str, Any]:
    """The core/v1 ``Node`` as a kubelet registers it (Ready, no pressure).

    ``created`` is the registration time, ``heartbeat`` the last status update
    (both RFC 3339). Capacity and allocatable are equal: nothing is reserved.
    """
    del allocated_pods  # the real Node object does not report it either
    cap = config.capacity

    def cond(type_: str, status: str, reason: str, message: str) -> dict[str, str]:
        return {
            "type": type_, "status": status, "reason": reason, "message": message,
            "lastHeartbeatTime": heartbeat, "lastTransitionTime": created,
        }

    return {
        "kind": "Node",
        "apiVersion": "v1",
        "metadata": {
            "name": config.name,
            "labels": dict(config.labels),
            "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                            "volumes.kubernetes.io/controller-managed-attach-detach": "true"},
            "creationTimestamp": created,
        },
        "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"]},
        "status": {
            "capacity": dict(cap),
            "allocatable": dict(cap),
            "conditions": [
                cond("MemoryPressure", "False", "KubeletHasSufficientMemory",
                     "kubelet has sufficient memory available"),
                cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"},
                          {"type": "Hostname", "address": config.name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": "", "systemUUID": "", "bootID": "",
                "kernelVersion": platform.release(),
                "osImage": "kpodtui simulated node",
                "containerRuntimeVersion": "containerd://1.7.22",
                "kubeletVersion": config.kubelet_version,
                "kubeProxyVersion": config.kubelet_version,
                "operatingSystem": "linux",
                "architecture": _ARCH,
            },
            "images": [],
        },
    }
