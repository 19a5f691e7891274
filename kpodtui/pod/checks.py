"""Problems only visible once the pod is merged, reported as spec errors.

The reference sends these to the server and gets a 422 (or, for duplicate env
names, silently keeps one); kpodtui names the key in the spec instead.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from kpodtui.spec.k8s import dns_label_problem, dns_subdomain_problem
from kpodtui.spec.taskspec import TaskSpec

_SOURCES = ("full_pod_spec", "pod_template_file", "pod_template_dict")


def _origin(spec: TaskSpec, *params: str) -> tuple[str]:
    """The spec key to blame: the first of ``params`` the user wrote, else the template."""
    for p in (*params, *_SOURCES):
        if spec.written(p) and getattr(spec, p):
            return (p,)
    return (params[0],)


def _dups(names: list[Any]) -> list[Any]:
    return [n for n, count in Counter(names).items() if count > 1 and n is not None]


def check_pod(spec: TaskSpec, pod: dict[str, Any]) -> None:
    """Raise the spec's SpecError for the first problem of the merged ``pod``."""
    meta, pod_spec = pod["metadata"], pod["spec"]
    if problem := dns_subdomain_problem(meta["name"], 63):
        raise spec.error(_origin(spec, "name", "task_id"), f"pod name {problem}")
    if meta.get("namespace") and (problem := dns_label_problem(meta["namespace"])):
        raise spec.error(_origin(spec, "namespace"), f"namespace {problem}")
    containers = pod_spec.get("containers") or []
    inits = pod_spec.get("initContainers") or []
    base = containers[0] if containers else {}
    if not base.get("image"):
        raise spec.error(("image",), "missing: neither the spec nor its pod template gives the "
                                     f"container {base.get('name')!r} an image")
    for dup in _dups([c.get("name") for c in containers + inits]):
        raise spec.error(_origin(spec, "init_containers", "base_container_name"),
                         f"two containers are named {dup!r} after merging the pod template and the spec")
    for c in containers + inits:
        if problem := dns_label_problem(str(c.get("name"))):
            raise spec.error(_origin(spec, "base_container_name", "init_containers"), f"container name {problem}")
        for dup in _dups([e.get("name") for e in c.get("env") or []]):
            raise spec.error(_origin(spec, "env_vars", "secrets", "pod_runtime_info_envs"),
                             f"env var {dup!r} is set twice in container {c.get('name')!r} after merging "
                             "the pod template, full_pod_spec and the spec (Kubernetes would keep only one)")
    volumes = [v.get("name") for v in pod_spec.get("volumes") or []]
    for dup in _dups(volumes):
        raise spec.error(_origin(spec, "volumes"),
                         f"volume {dup!r} is defined twice after merging the pod template, "
                         "full_pod_spec and the spec")
    for c in containers + inits:
        for m in c.get("volumeMounts") or []:
            if m.get("name") not in volumes:
                raise spec.error(_origin(spec, "volume_mounts"),
                                 f"container {c.get('name')!r} mounts volume {m.get('name')!r}, "
                                 "which the pod does not define (add it to volumes)")
