"""The objects a DAG builds for the operator, as the plain values a task spec holds.

- Models of the official kubernetes client (``k8s.V1EnvVar(...)``, ``V1Volume``,
  ``V1ResourceRequirements``... any of them): each field goes under its API name
  from the installed client's ``attribute_map``; positional arguments follow its
  ``openapi_types`` order (the order of the client's constructors), and one that
  does not fit its field's type is refused rather than put in the wrong field, as
  that order grows when the client gains fields. The client is imported on the
  first model call only (it takes most of a second).
- The provider's ``Secret(deploy_type, deploy_target, secret, key, items)``: a
  ``secrets`` entry.
- Airflow 1.10's contrib ``Volume``, ``VolumeMount``, ``Port``, ``PodRuntimeInfoEnv``.
- ``Param(default, ...)``: its default.
"""

from __future__ import annotations

import ast
from functools import cache
from typing import TYPE_CHECKING, Any

from kpodtui.spec.dagimport.names import contrib_object, is_param, is_secret, k8s_model
from kpodtui.spec.dagimport.unresolvable import Unresolvable, snippet
from kpodtui.spec.k8s import camel

if TYPE_CHECKING:
    from kpodtui.spec.dagimport.evaluate import Evaluator
    from kpodtui.spec.dagimport.scope import Scope

NOT_AN_OBJECT = object()

_SECRET_ARGS = ("deploy_type", "deploy_target", "secret", "key", "items")
_CONTRIB_ARGS: dict[str, tuple[str, ...]] = {
    "Volume": ("name", "configs"),
    "VolumeMount": ("name", "mount_path", "sub_path", "read_only"),
    "Port": ("name", "container_port"),
    "PodRuntimeInfoEnv": ("name", "field_path"),
}


def construct(ev: Evaluator, node: ast.Call, scope: Scope, qual: str | None) -> Any:
    """The value of an object-building call, or NOT_AN_OBJECT when ``qual`` names none of them."""
    if (model := k8s_model(qual)) is not None:
        return _model(ev, node, scope, model)
    if is_secret(qual):
        return {k: v for k, v in _arguments(ev, node, scope, _SECRET_ARGS, "Secret").items() if v is not None}
    if (kind := contrib_object(qual)) is not None:
        return _contrib(kind, _arguments(ev, node, scope, _CONTRIB_ARGS[kind], kind), node)
    if is_param(qual):
        args = _arguments(ev, node, scope, ("default", "description"), "Param", extra_ok=True)
        if "default" not in args:
            raise Unresolvable(node, f"{snippet(ev.source, node)} has no default: its value is given when the "
                                     "DAG is triggered")
        return args["default"]
    return NOT_AN_OBJECT


def _arguments(ev: Evaluator, node: ast.Call, scope: Scope, names: tuple[str, ...], what: str,
               extra_ok: bool = False) -> dict[str, Any]:
    """A constructor's arguments by parameter name (positional ones by ``names``' order)."""
    out: dict[str, Any] = {}
    for i, arg in enumerate(node.args):
        if isinstance(arg, ast.Starred) or i >= len(names):
            raise Unresolvable(arg, f"{what}() takes at most {len(names)} positional arguments: "
                                    f"{', '.join(names)}")
        out[names[i]] = ev.value(arg, scope)
    for kw in node.keywords:
        if kw.arg is None:
            out.update((k, ev.value(v, s)) for k, v, s in ev.entries(kw.value, scope))
        elif kw.arg in names:
            out[kw.arg] = ev.value(kw.value, scope)
        elif not extra_ok:
            raise Unresolvable(kw, f"{what}() has no argument {kw.arg!r} (it takes {', '.join(names)})")
    return out


def _contrib(kind: str, a: dict[str, Any], node: ast.Call) -> dict[str, Any]:
    if kind == "Volume":
        configs = a.get("configs") or {}
        if not isinstance(configs, dict):
            raise Unresolvable(node, "Volume(configs=...) must be a mapping")
        out = {"name": a.get("name"), **configs}
    elif kind == "VolumeMount":
        out = {"name": a.get("name"), "mountPath": a.get("mount_path"), "subPath": a.get("sub_path"),
               "readOnly": a.get("read_only")}
    elif kind == "Port":
        out = {"name": a.get("name"), "containerPort": a.get("container_port")}
    else:
        out = {"name": a.get("name"), "valueFrom": {"fieldRef": {"fieldPath": a.get("field_path")}}}
    return {k: v for k, v in out.items() if v is not None}


# -- the kubernetes client's models -------------------------------------------------------

@cache
def _client() -> tuple[Any, str]:
    try:
        # start-up: the client loads (most of a second) only when a DAG calls one of its models
        import kubernetes
        import kubernetes.client.models as models
    except ImportError:  # pragma: no cover - a dependency of kpodtui
        return None, "not installed"
    return models, getattr(kubernetes, "__version__", "?")


@cache
def model_fields(name: str) -> tuple[tuple[str, str, str], ...] | None:
    """``(python name, API name, type)`` of every field of client model ``name``, in constructor
    order; None when the installed client has no such model."""
    models, _version = _client()
    cls = getattr(models, name, None) if models is not None else None
    types = getattr(cls, "openapi_types", None)
    if not isinstance(cls, type) or not isinstance(types, dict):
        return None
    names = getattr(cls, "attribute_map", None) or {}
    return tuple((attr, names.get(attr, camel(attr)), typ) for attr, typ in types.items())


def _fits(value: Any, typ: str) -> bool:
    if value is None or typ == "object":
        return True
    if typ in ("str", "datetime", "date"):
        return isinstance(value, str)
    if typ == "bool":
        return isinstance(value, bool)
    if typ == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if typ == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if typ.startswith(("List[", "list[")):
        return isinstance(value, list)
    return isinstance(value, dict)  # Dict[...] or another model


def _model(ev: Evaluator, node: ast.Call, scope: Scope, name: str) -> dict[str, Any]:
    fields = model_fields(name)
    version = _client()[1]
    if fields is None:
        raise Unresolvable(node.func, f"{name} is not a model of the installed kubernetes client ({version})")
    by_attr = {attr: api for attr, api, _typ in fields}
    out: dict[str, Any] = {}
    for i, arg in enumerate(node.args):
        if isinstance(arg, ast.Starred) or i >= len(fields):
            raise Unresolvable(arg, f"{name}() takes at most {len(fields)} positional arguments")
        attr, api, typ = fields[i]
        value = ev.value(arg, scope)
        if not _fits(value, typ):
            raise Unresolvable(arg, f"positional argument {i + 1} of {name}() is its field {attr} ({typ}) in the "
                                    f"installed kubernetes client {version}, and {snippet(ev.source, arg)} does "
                                    f"not fit it: write it as a keyword argument")
        out[api] = value

    def put(attr: Any, value_node: ast.AST, where: Scope) -> None:
        if attr == "local_vars_configuration":
            return
        api = by_attr.get(attr)
        if api is None:
            api = camel(str(attr))
            ev.notes.append((value_node, f"{name} has no field {attr!r} in the installed kubernetes client "
                                         f"{version}; written as {api!r}"))
        out[api] = ev.value(value_node, where)

    for kw in node.keywords:
        if kw.arg is None:
            for k, v, s in ev.entries(kw.value, scope):
                put(k, v, s)
        else:
            put(kw.arg, kw.value, scope)
    return {k: v for k, v in out.items() if v is not None}
