"""Validation like the apiserver's, answering 422 ``Invalid`` with causes that name the field.

Message texts follow ``k8s.io/apimachinery/pkg/util/validation`` so that a
user who knows a real cluster's errors recognises them.
"""

from __future__ import annotations

import re
from typing import Any

from kpodtui import apiformats as formats
from kpodtui.sim import errors

Obj = dict[str, Any]
Cause = dict[str, str]

_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")

RESTART_POLICIES = ("Always", "Never", "OnFailure")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")

# The string formats and their messages are shared with kpodtui's offline checks
# (kpodtui.apiformats, a module with no other kpodtui imports): one transcription
# of apimachinery's rules, so the sim and `kpodtui validate` say the same thing.
dns1123_label_errors = formats.is_dns1123_label
dns1123_subdomain_errors = formats.is_dns1123_subdomain
label_key_errors = formats.is_qualified_name
label_value_errors = formats.is_label_value
port_name_errors = formats.is_port_name


def _required(field: str, detail: str = "") -> Cause:
    msg = "Required value" + (f": {detail}" if detail else "")
    return {"reason": "FieldValueRequired", "message": msg, "field": field}


def _invalid(field: str, value: Any, detail: str) -> Cause:
    shown = f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    return {"reason": "FieldValueInvalid", "message": f"Invalid value: {shown}: {detail}", "field": field}


def _duplicate(field: str, value: str) -> Cause:
    return {"reason": "FieldValueDuplicate", "message": f'Duplicate value: "{value}"', "field": field}


def _not_supported(field: str, value: Any, supported: tuple[str, ...]) -> Cause:
    choices = ", ".join(f'"{s}"' for s in supported)
    return {"reason": "FieldValueNotSupported", "message": f'Unsupported value: "{value}": supported values: {choices}',
            "field": field}


def _type_error(field: str, value: Any, expected: str) -> Cause:
    return _invalid(field, value if isinstance(value, str | int | bool) else type(value).__name__,
                    f"must be {expected}")


# -- metadata ---------------------------------------------------------------------


def validate_metadata(meta: Any, name_check: str = "subdomain", namespaced: bool = True) -> list[Cause]:
    """Causes for ``metadata``: the name (``subdomain`` or ``label`` rules), labels and annotations."""
    if not isinstance(meta, dict):
        return [_type_error("metadata", meta, "an object")]
    causes: list[Cause] = []
    name = meta.get("name")
    if not name:
        if not meta.get("generateName"):
            causes.append(_required("metadata.name", "name or generateName is required"))
    elif not isinstance(name, str):
        causes.append(_type_error("metadata.name", name, "a string"))
    else:
        check = dns1123_subdomain_errors if name_check == "subdomain" else dns1123_label_errors
        causes += [_invalid("metadata.name", name, e) for e in check(name)]
    for which in ("labels", "annotations"):
        mapping = meta.get(which)
        if mapping is None:
            continue
        if not isinstance(mapping, dict):
            causes.append(_type_error(f"metadata.{which}", mapping, "an object"))
            continue
        for k, v in mapping.items():
            causes += [_invalid(f"metadata.{which}", k, e) for e in label_key_errors(k)]
            if not isinstance(v, str):
                causes.append(_type_error(f"metadata.{which}", v, "a string"))
            elif which == "labels":
                causes += [_invalid("metadata.labels", v, e) for e in label_value_errors(v)]
    return causes


def raise_if(causes: list[Cause], kind_title: str, name: str | None) -> None:
    """Raise 422 Invalid when there are causes."""
    if causes:
        raise errors.invalid(kind_title, name or "", causes)


# -- pods ---------------------------------------------------------------------------


def _validate_container(c: Any, path: str, volume_names: set[str]) -> list[Cause]:
    if not isinstance(c, dict):
        return [_type_error(path, c, "an object")]
    causes: list[Cause] = []
    name = c.get("name")
    if not name:
        causes.append(_required(f"{path}.name"))
    elif not isinstance(name, str):
        causes.append(_type_error(f"{path}.name", name, "a string"))
    else:
        causes += [_invalid(f"{path}.name", name, e) for e in dns1123_label_errors(name)]
    image = c.get("image")
    if not image:
        causes.append(_required(f"{path}.image"))
    elif not isinstance(image, str):
        causes.append(_type_error(f"{path}.image", image, "a string"))
    elif image != image.strip():
        causes.append(_invalid(f"{path}.image", image, "must not have leading or trailing whitespace"))
    for field in ("command", "args"):
        val = c.get(field)
        if val is not None and (not isinstance(val, list) or not all(isinstance(x, str) for x in val)):
            causes.append(_type_error(f"{path}.{field}", val, "a list of strings"))
    policy = c.get("imagePullPolicy")
    if policy is not None and policy not in PULL_POLICIES:
        causes.append(_not_supported(f"{path}.imagePullPolicy", policy, PULL_POLICIES))
    for i, env in enumerate(c.get("env") or []):
        epath = f"{path}.env[{i}]"
        if not isinstance(env, dict) or not env.get("name"):
            causes.append(_required(f"{epath}.name"))
            continue
        causes += [_invalid(f"{epath}.name", env["name"], e) for e in formats.is_relaxed_env_var_name(env["name"])]
        if "value" in env and env.get("valueFrom") is not None:
            causes.append(_invalid(f"{epath}.valueFrom", "", "may not be specified when `value` is not empty"))
    seen_ports: set[tuple[Any, Any]] = set()
    port_names: set[str] = set()
    for i, port in enumerate(c.get("ports") or []):
        ppath = f"{path}.ports[{i}]"
        pname = port.get("name") if isinstance(port, dict) else None
        if isinstance(pname, str) and pname:
            msgs = port_name_errors(pname)
            causes += [_invalid(f"{ppath}.name", pname, m) for m in msgs]
            if not msgs and pname in port_names:
                causes.append(_duplicate(f"{ppath}.name", pname))
            port_names.add(pname)
        cp = port.get("containerPort") if isinstance(port, dict) else None
        if cp is None:
            causes.append(_required(f"{ppath}.containerPort"))
        elif not isinstance(cp, int) or not 1 <= cp <= 65535:
            causes.append(_invalid(f"{ppath}.containerPort", cp, "must be between 1 and 65535, inclusive"))
        elif (cp, port.get("protocol", "TCP")) in seen_ports:
            causes.append(_duplicate(f"{ppath}", f"{cp}/{port.get('protocol', 'TCP')}"))
        else:
            seen_ports.add((cp, port.get("protocol", "TCP")))
    mount_paths: set[str] = set()
    for i, vm in enumerate(c.get("volumeMounts") or []):
        mpath = f"{path}.volumeMounts[{i}]"
        if not isinstance(vm, dict):
            causes.append(_type_error(mpath, vm, "an object"))
            continue
        vname = vm.get("name")
        if not vname:
            causes.append(_required(f"{mpath}.name"))
        elif vname not in volume_names:
            causes.append({"reason": "FieldValueNotFound", "message": f'Not found: "{vname}"', "field": f"{mpath}.name"})
        mp = vm.get("mountPath")
        if not mp:
            causes.append(_required(f"{mpath}.mountPath"))
        elif mp in mount_paths:
            causes.append({"reason": "FieldValueInvalid", "message": f'Invalid value: "{mp}": must be unique',
                           "field": f"{mpath}.mountPath"})
        else:
            mount_paths.add(mp)
    resources = c.get("resources") or {}
    if isinstance(resources, dict):
        for section in ("limits", "requests"):
            for res, q in (resources.get(section) or {}).items():
                if not isinstance(q, str | int | float) or formats.parse_quantity(str(q)) is None:
                    causes.append(_invalid(f"{path}.resources.{section}[{res}]", q, formats.QUANTITY_MSG))
    tmp = c.get("terminationMessagePolicy")
    if tmp is not None and tmp not in ("File", "FallbackToLogsOnError"):
        causes.append(_not_supported(f"{path}.terminationMessagePolicy", tmp, ("FallbackToLogsOnError", "File")))
    return causes


def validate_pod_spec(spec: Any) -> list[Cause]:
    """Causes for a pod's ``spec``."""
    if not isinstance(spec, dict):
        return [_required("spec")] if spec is None else [_type_error("spec", spec, "an object")]
    causes: list[Cause] = []
    volume_names: set[str] = set()
    volumes = spec.get("volumes") or []
    if not isinstance(volumes, list):
        causes.append(_type_error("spec.volumes", volumes, "a list"))
        volumes = []
    for i, vol in enumerate(volumes):
        vpath = f"spec.volumes[{i}]"
        vname = vol.get("name") if isinstance(vol, dict) else None
        if not vname:
            causes.append(_required(f"{vpath}.name"))
            continue
        causes += [_invalid(f"{vpath}.name", vname, e) for e in dns1123_label_errors(str(vname))]
        if vname in volume_names:
            causes.append(_duplicate(f"{vpath}.name", vname))
        volume_names.add(vname)
    containers = spec.get("containers")
    if not containers:
        causes.append(_required("spec.containers"))
        containers = []
    elif not isinstance(containers, list):
        causes.append(_type_error("spec.containers", containers, "a list"))
        containers = []
    init = spec.get("initContainers") or []
    if not isinstance(init, list):
        causes.append(_type_error("spec.initContainers", init, "a list"))
        init = []
    seen: set[str] = set()
    for field, items in (("spec.initContainers", init), ("spec.containers", containers)):
        for i, c in enumerate(items):
            path = f"{field}[{i}]"
            causes += _validate_container(c, path, volume_names)
            name = c.get("name") if isinstance(c, dict) else None
            if isinstance(name, str) and name:
                if name in seen:
                    causes.append(_duplicate(f"{path}.name", name))
                seen.add(name)
    rp = spec.get("restartPolicy")
    if rp is not None and rp not in RESTART_POLICIES:
        causes.append(_not_supported("spec.restartPolicy", rp, RESTART_POLICIES))
    ads = spec.get("activeDeadlineSeconds")
    if ads is not None and (not isinstance(ads, int) or isinstance(ads, bool) or not 1 <= ads <= 2147483647):
        causes.append(_invalid("spec.activeDeadlineSeconds", ads, "must be between 1 and 2147483647, inclusive"))
    tgps = spec.get("terminationGracePeriodSeconds")
    # a negative grace period is taken as 1 (defaults.default_pod), as the apiserver does
    if tgps is not None and (not isinstance(tgps, int) or isinstance(tgps, bool)):
        causes.append(_invalid("spec.terminationGracePeriodSeconds", tgps, "must be greater than or equal to 0"))
    ns = spec.get("nodeSelector")
    if ns is not None:
        if not isinstance(ns, dict):
            causes.append(_type_error("spec.nodeSelector", ns, "an object"))
        else:
            for k, v in ns.items():
                causes += [_invalid("spec.nodeSelector", k, e) for e in label_key_errors(k)]
                if not isinstance(v, str):
                    causes.append(_type_error("spec.nodeSelector", v, "a string"))
                else:
                    causes += [_invalid("spec.nodeSelector", v, e) for e in label_value_errors(v)]
    return causes


def validate_pod(pod: Obj) -> None:
    """Raise 422 for an invalid new pod."""
    meta = pod.get("metadata")
    causes = validate_metadata(meta)
    causes += validate_pod_spec(pod.get("spec"))
    raise_if(causes, "Pod", (meta or {}).get("name") if isinstance(meta, dict) else None)


#: spec fields a pod update may change (the rest is immutable once created)
_MUTABLE_CONTAINER_FIELDS = ("image",)


def _spec_without_mutable(spec: Obj) -> Obj:
    out = dict(spec)
    for field in ("containers", "initContainers"):
        if isinstance(out.get(field), list):
            out[field] = [
                {k: v for k, v in c.items() if k not in _MUTABLE_CONTAINER_FIELDS} if isinstance(c, dict) else c
                for c in out[field]
            ]
    for field in ("activeDeadlineSeconds", "tolerations"):
        out.pop(field, None)
    return out


def validate_pod_update(old: Obj, new: Obj) -> None:
    """Raise 422 when an update is invalid or changes an immutable part of the spec."""
    meta = new.get("metadata")
    name = old["metadata"]["name"]
    causes = validate_metadata(meta)
    causes += validate_pod_spec(new.get("spec"))
    if not causes and _spec_without_mutable(old.get("spec") or {}) != _spec_without_mutable(new.get("spec") or {}):
        causes.append({
            "reason": "FieldValueForbidden",
            "message": "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
                       "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
                       "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
                       "(allow it to be set to 1 if it was previously negative)",
            "field": "spec",
        })
    raise_if(causes, "Pod", name)


# -- configmaps, secrets, namespaces ----------------------------------------------------


def validate_configmap(cm: Obj) -> None:
    """Raise 422 for an invalid ConfigMap."""
    meta = cm.get("metadata")
    causes = validate_metadata(meta)
    for section in ("data", "binaryData"):
        data = cm.get(section)
        if data is None:
            continue
        if not isinstance(data, dict):
            causes.append(_type_error(section, data, "an object"))
            continue
        for k, v in data.items():
            if not _CONFIG_KEY.match(k) or len(k) > 253:
                causes.append(_invalid(f"{section}[{k}]", k,
                                       "a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
                                       "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation "
                                       "is '[-._a-zA-Z0-9]+')"))
            if not isinstance(v, str):
                causes.append(_type_error(f"{section}[{k}]", v, "a string"))
    raise_if(causes, "ConfigMap", (meta or {}).get("name") if isinstance(meta, dict) else None)


def _base64_error_offset(value: Any) -> int:
    """Where Go's base64 decoder stops on ``value``: the first byte outside the alphabet, else (a
    short input) the length rounded down to a whole quantum."""
    text = str(value)
    for i, ch in enumerate(text):
        if not (ch.isascii() and (ch.isalnum() or ch in "+/=")):
            return i
    return len(text) - len(text) % 4


def validate_secret(secret: Obj) -> None:
    """Raise 422 for an invalid Secret (``data`` values must be base64)."""
    import base64
    import binascii

    meta = secret.get("metadata")
    causes = validate_metadata(meta)
    data = secret.get("data")
    if data is not None:
        if not isinstance(data, dict):
            causes.append(_type_error("data", data, "an object"))
        else:
            for k, v in data.items():
                if not _CONFIG_KEY.match(k):
                    causes.append(_invalid(f"data[{k}]", k, "a valid config key must consist of alphanumeric "
                                           "characters, '-', '_' or '.'"))
                try:
                    base64.b64decode(v, validate=True)
                except (binascii.Error, TypeError, ValueError):
                    # Go's JSON decoder refuses it before any validation: 400, with the offset
                    raise errors.bad_request('Secret in version "v1" cannot be handled as a Secret: illegal '
                                             f"base64 data at input byte {_base64_error_offset(v)}") from None
    raise_if(causes, "Secret", (meta or {}).get("name") if isinstance(meta, dict) else None)


def validate_namespace(ns: Obj) -> None:
    """Raise 422 for an invalid Namespace (names are DNS-1123 labels)."""
    meta = ns.get("metadata")
    raise_if(validate_metadata(meta, name_check="label"), "Namespace",
             (meta or {}).get("name") if isinstance(meta, dict) else None)
