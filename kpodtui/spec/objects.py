"""The shape of a pod written inside a spec, and the reference's ``Secret`` objects.

The fields of Kubernetes objects are checked against the API's schema and rules by
:mod:`kpodtui.spec.apicheck`; here is only what comes before: is it a pod at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kpodtui.spec.context import BAD, type_name
from kpodtui.spec.errors import did_you_mean
from kpodtui.spec.k8s import camelize

if TYPE_CHECKING:
    from kpodtui.spec.context import CheckContext
    from kpodtui.spec.yamlpos import Path

_SECRET_KEYS = ("deploy_type", "deploy_target", "secret", "key", "items")
POD_KEYS = ("apiVersion", "kind", "metadata", "spec", "status")  # status: ignored (kubectl get -o yaml)
#: metadata the API server sets: a pod saved with `kubectl get pod -o yaml` carries them; dropped
SERVER_SET_METADATA = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields",
                       "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds")


def check_pod_object(ctx: CheckContext, path: Path, pod: dict[str, Any]) -> bool:
    """A pod written as in a manifest: apiVersion/kind/metadata/spec, kind Pod.

    True when it is shaped like one (its fields are then checked against the schema)."""
    errors = len(ctx.errors)
    for k in pod:
        if k not in POD_KEYS:
            hint = " (write the pod spec under 'spec:')" if k in ("containers", "volumes") else ""
            ctx.error((*path, k), f"unknown pod field {k!r}{hint}", did_you_mean(k, POD_KEYS))
    if pod.get("kind") not in (None, "Pod"):
        ctx.error((*path, "kind"), f"expected kind Pod, got {pod['kind']!r}")
    for k in ("metadata", "spec"):
        if k in pod and pod[k] is not None and not isinstance(pod[k], dict):
            ctx.error((*path, k), f"expected a mapping, got {type_name(pod[k])}")
    spec = pod.get("spec")
    if isinstance(spec, dict):
        for k in ("containers", "initContainers"):
            items = spec.get(k)
            if items is not None and (not isinstance(items, list) or not all(isinstance(c, dict) for c in items)):
                ctx.error((*path, "spec", k), "expected a list of containers")
    return len(ctx.errors) == errors


def _secret_names(ctx: CheckContext, path: Path, item: dict[str, Any]) -> bool:
    """The names a secret becomes in the pod, by the API server's rules (see kpodtui.spec.apirules)."""
    from kpodtui import apiformats as formats
    from kpodtui.spec.apicheck import invalid

    errors = len(ctx.errors)
    secret, target = item.get("secret"), item.get("deploy_target")
    if isinstance(secret, str) and secret:
        for problem in formats.is_dns1123_subdomain(secret):
            ctx.error((*path, "secret"), invalid(secret, problem))
    if item.get("deploy_type") == "env" and item.get("key") and isinstance(target, str) and target:
        for problem in formats.is_relaxed_env_var_name(target.upper()):
            ctx.error((*path, "deploy_target"), invalid(target.upper(), problem))
    if item.get("deploy_type") == "env" and isinstance(item.get("key"), str) and item["key"]:
        for problem in formats.is_config_map_key(item["key"]):
            ctx.error((*path, "key"), invalid(item["key"], problem))
    return len(ctx.errors) == errors


def check_secrets(ctx: CheckContext, path: Path, value: Any) -> Any:
    """``[{deploy_type: env|volume, deploy_target, secret, key, items}]`` as the reference's Secret."""
    if not isinstance(value, list):
        ctx.error(path, f"expected a list of secrets, got {type_name(value)}")
        return BAD
    out = []
    for i, item in enumerate(value):
        ip = (*path, i)
        if not isinstance(item, dict):
            ctx.error(ip, f"expected a mapping {{deploy_type, deploy_target, secret, key}}, got {type_name(item)}")
            continue
        ok = True
        for k in item:
            if k not in _SECRET_KEYS:
                ctx.error((*ip, k), "unknown secret field", did_you_mean(str(k), _SECRET_KEYS))
                ok = False
        dtype = item.get("deploy_type")
        if dtype not in ("env", "volume"):
            ctx.error((*ip, "deploy_type"), f"{dtype!r} is not one of env, volume",
                      did_you_mean(str(dtype), ("env", "volume")))
            ok = False
        if not isinstance(item.get("secret"), str) or not item.get("secret"):
            ctx.error(ip, "each secret needs 'secret' (the Secret's name)")
            ok = False
        target = item.get("deploy_target")
        if target is not None and not isinstance(target, str):
            ctx.error((*ip, "deploy_target"), f"expected a string, got {type_name(target)}")
            ok = False
        if dtype == "volume" and not target:
            ctx.error(ip, "a volume secret needs 'deploy_target' (the mount path)")
            ok = False
        if dtype == "env" and item.get("key") and not target:
            ctx.error(ip, "an env secret with 'key' needs 'deploy_target' (the variable name)")
            ok = False
        items = item.get("items")
        if items is not None and not (isinstance(items, list) and all(isinstance(x, dict) for x in items)):
            ctx.error((*ip, "items"), "expected a list of {key, path}")
            ok = False
        ok = _secret_names(ctx, ip, item) and ok
        if ok:
            s = {k: item.get(k) for k in _SECRET_KEYS}
            s["items"] = camelize(items) if items else None
            out.append(s)
    return out
