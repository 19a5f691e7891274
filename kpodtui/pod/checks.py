"""Problems only visible once the pod is merged, reported as spec errors.

The reference sends these to the server and gets a 422 (or, for duplicate env
names, silently keeps one); kpodtui names the line that caused each one: list items
carry their origin through the merge (:mod:`kpodtui.pod.origins`), so a duplicate
volume points at its second definition, in the spec, ``full_pod_spec`` or the pod
template file, and says where the first one is. The rules and words are the API
server's (``validateContainers``, ``ValidateVolumeMounts``, ``validateContainerPorts``...).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kpodtui import apiformats as formats
from kpodtui.pod.origins import Origin, origin
from kpodtui.spec.apicheck import duplicate, forbidden, invalid, not_found, required, unsupported
from kpodtui.spec.errors import SpecError
from kpodtui.spec.taskspec import TaskSpec

_SOURCES = ("full_pod_spec", "pod_template_file", "pod_template_dict")
_POD_NAME_MAX = 63  # the pod name is also its hostname and a label value: keep it to a DNS label's length


def _origin(spec: TaskSpec, *params: str) -> tuple[str]:
    """The spec key to blame for a pod-level value: the first of ``params`` the user wrote, else the template."""
    for p in (*params, *_SOURCES):
        if spec.written(p) and getattr(spec, p):
            return (p,)
    return (params[0],)


class _Problems:
    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec
        self.found: list[SpecError] = []

    def at(self, item: Any, what: str, *field: Any, fallback: tuple[str, ...] = ()) -> None:
        """A problem with a list item (or one of its fields), located where the item was written."""
        o = origin(item)
        if o is not None:
            self.found.append(o.error(self.spec, what, *field))
        else:
            self.found.append(self.spec.error(_origin(self.spec, *fallback) if fallback else (), what))

    def param(self, what: str, *params: str) -> None:
        self.found.append(self.spec.error(_origin(self.spec, *params), what))

    def where(self, item: Any) -> str:
        """Where ``item`` was written, for "first defined at" in a message."""
        o: Origin | None = origin(item)
        if o is None:
            return "the pod"
        err = o.error(self.spec, "")
        place = err.source or ""
        if err.line is not None:
            place += f":{err.line}"
        return f"{err.key} ({place})" if err.key else place


def _dups(items: Iterable[Any], key: str) -> Iterable[tuple[Any, Any]]:
    """(first, later) pairs of items with the same non-empty ``key``."""
    seen: dict[Any, Any] = {}
    for item in items:
        value = item.get(key) if isinstance(item, dict) else None
        if value in (None, ""):
            continue
        if value in seen:
            yield seen[value], item
        else:
            seen[value] = item


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def pod_problems(spec: TaskSpec, pod: dict[str, Any]) -> list[SpecError]:
    """Every problem of the merged ``pod`` (tagged with origins), as spec errors."""
    p = _Problems(spec)
    meta, pod_spec = pod["metadata"], pod["spec"]
    name = meta["name"]
    problems = formats.is_dns1123_subdomain(name)
    if len(name) > _POD_NAME_MAX and not problems:
        problems = [formats.max_len_error(_POD_NAME_MAX)]
    for problem in problems:
        p.param(f"pod name {invalid(name, problem)}", "name", "task_id")
    if meta.get("namespace"):
        for problem in formats.is_dns1123_label(meta["namespace"]):
            p.param(f"namespace {invalid(meta['namespace'], problem)}", "namespace")
    containers, inits = _dicts(pod_spec.get("containers")), _dicts(pod_spec.get("initContainers"))
    _containers(p, containers, inits)
    volumes = _dicts(pod_spec.get("volumes"))
    for first, later in _dups(volumes, "name"):
        p.at(later, f"{duplicate(later['name'])}: volume {later['name']!r} is already defined at {p.where(first)}",
             "name", fallback=("volumes",))
    by_name = {v.get("name"): v for v in volumes}
    for c in containers + inits:
        _container_lists(p, c, by_name)
    _pod_level(p, pod_spec, containers)
    return p.found


def _containers(p: _Problems, containers: list[dict[str, Any]], inits: list[dict[str, Any]]) -> None:
    base = containers[0] if containers else {}
    if not base.get("image"):
        p.found.append(p.spec.error(("image",), "missing: neither the spec nor its pod template gives the "
                                                f"container {base.get('name')!r} an image"))
    for c in containers[1:] + inits:
        if not c.get("image"):
            p.at(c, required(f"container {c.get('name')!r} has no image"), "image", fallback=("init_containers",))
    for c in containers + inits:
        if not c.get("name"):
            p.at(c, required("each container needs a name"), "name", fallback=("init_containers",))
    for first, later in _dups(containers + inits, "name"):
        p.at(later, f"{duplicate(later['name'])}: two containers are named {later['name']!r} after merging "
                    f"(the other one is at {p.where(first)})", "name", fallback=("init_containers", "base_container_name"))
    for c in containers:
        if c.get("restartPolicy") is not None:
            p.at(c, forbidden("may not be set for non-init containers"), "restartPolicy")
    for c in inits:
        policy = c.get("restartPolicy")
        if policy not in (None, "Always"):
            p.at(c, unsupported(policy, ("Always",)), "restartPolicy", fallback=("init_containers",))
        if policy != "Always":
            for field in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
                if c.get(field) is not None:
                    p.at(c, forbidden("may not be set for init containers without restartPolicy=Always"), field,
                         fallback=("init_containers",))


def _container_lists(p: _Problems, c: dict[str, Any], volumes: dict[Any, dict[str, Any]]) -> None:
    label = repr(c.get("name"))
    for first, later in _dups(_dicts(c.get("env")), "name"):
        p.at(later, f"env var {later['name']!r} is set twice in container {label} after merging the pod template, "
                    f"full_pod_spec and the spec (Kubernetes would keep only one; the other is at {p.where(first)})",
             "name", fallback=("env_vars",))
    for first, later in _dups(_dicts(c.get("ports")), "name"):
        p.at(later, f"{duplicate(later['name'])}: container {label} has two ports named {later['name']!r} "
                    f"(the other one is at {p.where(first)})", "name", fallback=("ports",))
    for first, later in _dups(_dicts(c.get("volumeMounts")), "mountPath"):
        p.at(later, invalid(later["mountPath"], f"must be unique (container {label} also mounts there at "
                                                f"{p.where(first)})"), "mountPath", fallback=("volume_mounts",))
    privileged = isinstance(c.get("securityContext"), dict) and c["securityContext"].get("privileged") is True
    for m in _dicts(c.get("volumeMounts")):
        if m.get("name") and m["name"] not in volumes:
            p.at(m, f"{not_found(m['name'])}: container {label} mounts volume {m['name']!r}, which the pod does "
                    "not define (add it to volumes)", "name", fallback=("volume_mounts",))
        if m.get("mountPropagation") == "Bidirectional" and not privileged:
            p.at(m, forbidden("Bidirectional mount propagation is available only to privileged containers"),
                 "mountPropagation", fallback=("volume_mounts",))
    for d in _dicts(c.get("volumeDevices")):
        source = volumes.get(d.get("name"))
        if source is None:
            p.at(d, not_found(d.get("name") or ""), "name")
        elif source.get("persistentVolumeClaim") is None and source.get("ephemeral") is None:
            p.at(d, invalid(d["name"], "can only use volume source type of PersistentVolumeClaim or Ephemeral "
                                       "for block mode"), "name")


def _pod_level(p: _Problems, pod_spec: dict[str, Any], containers: list[dict[str, Any]]) -> None:
    host_ports: dict[str, Any] = {}
    for c in containers:
        for port in _dicts(c.get("ports")):
            hp, cp = port.get("hostPort") or 0, port.get("containerPort")
            if pod_spec.get("hostNetwork") and hp and hp != cp:
                p.at(port, invalid(hp, "must match `containerPort` when `hostNetwork` is true"), "hostPort",
                     fallback=("ports",))
            if hp:
                key = f"{port.get('protocol') or 'TCP'}/{port.get('hostIP') or ''}/{hp}"
                if key in host_ports:
                    p.at(port, f"{duplicate(key)} (also at {p.where(host_ports[key])})", "hostPort", fallback=("ports",))
                host_ports[key] = port
    if pod_spec.get("dnsPolicy") == "None":
        config = pod_spec.get("dnsConfig") if isinstance(pod_spec.get("dnsConfig"), dict) else None
        if config is None:
            p.param(required("must provide `dnsConfig` when `dnsPolicy` is None"), "dnspolicy", "dns_config")
        elif not config.get("nameservers"):
            p.param(required("must provide at least one DNS nameserver when `dnsPolicy` is None"),
                    "dns_config", "dnspolicy")


def check_pod(spec: TaskSpec, pod: dict[str, Any]) -> None:
    """Raise the problems of the merged ``pod`` (one :class:`SpecErrors` holding them all)."""
    from kpodtui.spec.errors import SpecErrors

    found = pod_problems(spec, pod)
    if found:
        raise SpecErrors(found)
