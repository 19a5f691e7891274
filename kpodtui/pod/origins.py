"""Where each list item of a built pod was written, so a problem found after merging
points at the line that caused it (the second definition of a duplicate volume, an
env var inside ``full_pod_spec``, a mount in the pod template file).

Before merging, every item of ``volumes``, ``containers``, ``initContainers`` and a
container's ``env`` / ``envFrom`` / ``ports`` / ``volumeMounts`` / ``volumeDevices`` is
tagged under a hidden key (:data:`ORIGIN`, not a string: a tag left in a manifest
fails loudly when it is written); the merge carries the tags along with the items;
the checks read them; :func:`strip` removes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kpodtui.spec.errors import SpecError

_ITEM_LISTS = ("env", "envFrom", "ports", "volumeMounts", "volumeDevices")


class _OriginKey:
    """The hidden key; copies are itself, so tags survive the merge's deep copies."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<origin>"

    def __copy__(self) -> _OriginKey:
        return self

    def __deepcopy__(self, memo: Any) -> _OriginKey:
        return self


ORIGIN = _OriginKey()


@dataclass(frozen=True)
class Origin:
    """``where``: ``"spec"`` (the task spec, with its --set overrides) or a PodTemplate;
    ``path``: the item's path there. ``flat``: a field of the item has no path of its
    own (an env var written in the mapping form ``NAME: value``)."""

    where: Any
    path: tuple[Any, ...]
    flat: bool = False

    def __deepcopy__(self, memo: Any) -> Origin:
        return self

    def error(self, spec: Any, what: str, *field: Any) -> SpecError:
        path = self.path if self.flat else (*self.path, *field)
        if self.where == "spec":
            return spec.error(path, what)
        return self.where.error(path, what)


def origin(item: Any) -> Origin | None:
    return item.get(ORIGIN) if isinstance(item, dict) else None


def _tag(items: Any, make: Any) -> None:
    for i, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict):
            item[ORIGIN] = make(i)


def tag_pod(pod: dict[str, Any] | None, where: Any, prefix: tuple[Any, ...] = ()) -> None:
    """Tag the items of a template-side pod (a pod template, ``pod_template_dict``, ``full_pod_spec``)."""
    spec = (pod or {}).get("spec")
    if not isinstance(spec, dict):
        return
    _tag(spec.get("volumes"), lambda i: Origin(where, (*prefix, "spec", "volumes", i)))
    for kind in ("containers", "initContainers"):
        _tag_containers(spec.get(kind), where, (*prefix, "spec", kind))


def _tag_containers(containers: Any, where: Any, path: tuple[Any, ...]) -> None:
    """Containers at ``path`` (and the items of their lists)."""
    _tag(containers, lambda i: Origin(where, (*path, i)))
    for i, c in enumerate(containers if isinstance(containers, list) else []):
        if isinstance(c, dict):
            for sub in _ITEM_LISTS:
                _tag(c.get(sub), lambda j, i=i, sub=sub: Origin(where, (*path, i, sub, j)))


def tag_operator_pod(pod: dict[str, Any], spec: Any) -> None:
    """Tag the items of the pod built from the parameters with the parameter each came from."""
    c0 = pod["spec"]["containers"][0]
    c0[ORIGIN] = Origin("spec", ("base_container_name",))
    raw_env = spec.raw.get("env_vars") if isinstance(spec.raw, dict) else None
    names = list(raw_env) if isinstance(raw_env, dict) else None
    env_vars = len(spec.env_vars or [])

    def env_origin(i: int) -> Origin:
        if i < env_vars:
            if names is not None and i < len(names):
                return Origin("spec", ("env_vars", names[i]), flat=True)
            return Origin("spec", ("env_vars", i))
        return Origin("spec", ("pod_runtime_info_envs", i - env_vars))

    env_from = len(spec.env_from or [])
    _tag(c0.get("env"), env_origin)
    _tag(c0.get("envFrom"), lambda i: Origin("spec", ("env_from", i) if i < env_from else ("configmaps", i - env_from)))
    _tag(c0.get("ports"), lambda i: Origin("spec", ("ports", i)))
    _tag(c0.get("volumeMounts"), lambda i: Origin("spec", ("volume_mounts", i)))
    _tag(pod["spec"].get("volumes"), lambda i: Origin("spec", ("volumes", i)))
    _tag_containers(pod["spec"].get("initContainers"), "spec", ("init_containers",))


def strip(value: Any) -> Any:
    """``value`` without any origin tag (in place), for the manifest that is sent."""
    if isinstance(value, dict):
        value.pop(ORIGIN, None)
        for v in value.values():
            strip(v)
    elif isinstance(value, list):
        for v in value:
            strip(v)
    return value
