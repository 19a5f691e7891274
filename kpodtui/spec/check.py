"""Type checks and normalisation of every spec key (one function per kind).

Each checker takes ``(ctx, path, value)`` and returns the normalised value, or
``_BAD`` after recording a problem. Values are normalised to what the pod
builder wants: Kubernetes objects camelCased, ``env_vars`` a list of EnvVar
mappings, ``image_pull_secrets`` a list of ``{name}``, ``skip_on_exit_code`` a
list of ints. A templated string is kept as written and checked after rendering.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kpodtui import apiformats as formats
from kpodtui.spec.apicheck import ApiChecker, as_string, invalid
from kpodtui.spec.apirules import DNS_SUBDOMAIN, each
from kpodtui.spec.context import BAD, CheckContext, type_name
from kpodtui.spec.errors import did_you_mean
from kpodtui.spec.k8s import camelize
from kpodtui.spec.objects import check_pod_object, check_secrets
from kpodtui.spec.schema import CHOICES, DEPRECATED_ALIASES, PARAM_API, PARAMS
from kpodtui.spec.yamlpos import Path

_BAD = BAD
Checker = Callable[[CheckContext, Path, Any], Any]

_TASK_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
_POD_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_OBJPATH = re.compile(rf"^{_IDENT}(\.{_IDENT})*:{_IDENT}(\.{_IDENT})*$")


def _expect(ctx: CheckContext, path: Path, value: Any, what: str) -> Any:
    ctx.error(path, f"expected {what}, got {type_name(value)} {value!r}")
    return _BAD


def _optional(check: Checker) -> Checker:
    def inner(ctx: CheckContext, path: Path, value: Any) -> Any:
        return None if value is None else check(ctx, path, value)

    return inner


def check_str(ctx: CheckContext, path: Path, value: Any) -> Any:
    return value if isinstance(value, str) else _expect(ctx, path, value, "a string")


def check_bool(ctx: CheckContext, path: Path, value: Any) -> Any:
    return value if isinstance(value, bool) else _expect(ctx, path, value, "true or false")


#: the most seconds a timing parameter may say (68 years; more overflows the clocks it is added to)
MAX_SECONDS = formats.INT32_MAX


def check_int(ctx: CheckContext, path: Path, value: Any, minimum: int = 0) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        return _expect(ctx, path, value, "a whole number")
    if value < minimum:
        ctx.error(path, f"must be at least {minimum}, got {value}")
        return _BAD
    if value > MAX_SECONDS:
        ctx.error(path, f"must be at most {MAX_SECONDS}, got {value}")
        return _BAD
    return value


def check_num(ctx: CheckContext, path: Path, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:  # NaN
        return _expect(ctx, path, value, "a number of seconds")
    if not 0 <= value <= MAX_SECONDS:
        ctx.error(path, f"must be between 0 and {MAX_SECONDS}, got {value}")
        return _BAD
    return value


def check_task_id(ctx: CheckContext, path: Path, value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return _expect(ctx, path, value, "a non-empty string")
    if len(value) > 250 or not _TASK_ID.match(value):
        ctx.error(path, f"{value!r} is not a valid task id: use at most 250 letters, digits, '_', '.' and '-'")
        return _BAD
    return value


def check_name(ctx: CheckContext, path: Path, value: Any) -> Any:
    # The reference validates the raw name this way before sanitising it.
    if not isinstance(value, str):
        return _expect(ctx, path, value, "a string")
    if ctx.deferred(value):
        return value
    if len(value) > 220 or not _POD_NAME.match(value) or not re.search(r"[A-Za-z0-9]", value):
        ctx.error(path, f"{value!r} is not a valid pod name: use letters, digits, '_', '.' and '-' "
                        "(at most 220; it is lower-cased and '_'/'.' become '-')")
        return _BAD
    return value


def check_mapping(ctx: CheckContext, path: Path, value: Any) -> Any:
    return value if isinstance(value, dict) else _expect(ctx, path, value, "a mapping")


def _scalar_str(ctx: CheckContext, path: Path, value: Any, what: str) -> Any:
    # Kubernetes wants strings here, and quoting is easy to forget: see as_string.
    text = as_string(ctx, path, value, what)
    return _BAD if text is None else text


def check_labels(ctx: CheckContext, path: Path, value: Any) -> Any:
    if ctx.deferred(value):
        return value
    if not isinstance(value, dict):
        return _expect(ctx, path, value, "a mapping of label keys to values")
    out = {}
    for k, v in value.items():
        kp = (*path, k)
        if not isinstance(k, str):
            ctx.error(kp, f"label key must be a string, got {type_name(k)}")
            continue
        v = _scalar_str(ctx, kp, v, "a label value")
        if v is not _BAD:
            out[k] = v
    return out


def check_annotations(ctx: CheckContext, path: Path, value: Any) -> Any:
    if ctx.deferred(value):
        return value
    if not isinstance(value, dict):
        return _expect(ctx, path, value, "a mapping of annotation keys to values")
    out = {}
    for k, v in value.items():
        kp = (*path, k)
        if not isinstance(k, str):
            ctx.error(kp, f"annotation key must be a string, got {type_name(k)}")
            continue
        v = _scalar_str(ctx, kp, v, "an annotation value")
        if v is not _BAD:
            out[k] = v
    return out


def check_strmap(ctx: CheckContext, path: Path, value: Any) -> Any:
    if ctx.deferred(value):
        return value
    if not isinstance(value, dict):
        return _expect(ctx, path, value, "a mapping of strings")
    out = {}
    for k, v in value.items():
        v = _scalar_str(ctx, (*path, k), v, "a value")
        if v is not _BAD:
            out[str(k)] = v
    return out


def check_strlist(ctx: CheckContext, path: Path, value: Any) -> Any:
    if ctx.deferred(value):
        return value
    if not isinstance(value, list):
        hint = " (write a YAML list, e.g. [sh, -c, 'echo hi'])" if isinstance(value, str) else ""
        ctx.error(path, f"expected a list of strings, got {type_name(value)} {value!r}{hint}")
        return _BAD
    out = []
    for i, item in enumerate(value):
        s = _scalar_str(ctx, (*path, i), item, "each item")
        if s is not _BAD:
            out.append(s)
    return out


def check_objlist(ctx: CheckContext, path: Path, value: Any) -> Any:
    if ctx.deferred(value):
        return value
    if not isinstance(value, list):
        return _expect(ctx, path, value, "a list of mappings")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            _expect(ctx, (*path, i), item, "a mapping")
            continue
        out.append(camelize(item))
    return out


def check_obj(ctx: CheckContext, path: Path, value: Any) -> Any:
    if ctx.deferred(value):
        return value
    return camelize(value) if isinstance(value, dict) else _expect(ctx, path, value, "a mapping")


def check_pod(ctx: CheckContext, path: Path, value: Any) -> Any:
    if ctx.deferred(value):
        return value
    if not isinstance(value, dict):
        return _expect(ctx, path, value, "a pod (a mapping with metadata and spec)")
    pod = camelize(value)
    if check_pod_object(ctx, path, pod):
        pod = ApiChecker(ctx).check(path, pod, "V1Pod")
    return pod


def check_env_vars(ctx: CheckContext, path: Path, value: Any) -> Any:
    """The mapping form ``{NAME: value}`` or the list form ``[{name, value|valueFrom}]``, never both."""
    if ctx.deferred(value):
        return value
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            v = _scalar_str(ctx, (*path, k), v, "an env var value")
            if v is not _BAD:
                out.append({"name": str(k), "value": v})
        return out
    if not isinstance(value, list):
        return _expect(ctx, path, value, "a mapping NAME: value or a list of {name, value}")
    out = []
    for i, item in enumerate(value):
        ip = (*path, i)
        if isinstance(item, dict) and "name" not in item and len(item) == 1:
            ctx.error(ip, f"{item!r} is the mapping form inside the list form: write either a mapping "
                          "NAME: value, or a list of {name: NAME, value: VALUE}, not both")
            continue
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            ctx.error(ip, "each env var needs a name: {name: NAME, value: VALUE}")
            continue
        env = camelize(item)
        if "value" in env:
            v = _scalar_str(ctx, (*ip, "value"), env["value"], "an env var value")
            if v is _BAD:
                continue
            env["value"] = v
        out.append(env)
    return out


def check_pull_secrets(ctx: CheckContext, path: Path, value: Any) -> Any:
    """``"a,b"`` or ``[a, b]`` or ``[{name: a}]`` -> ``[{name: a}, {name: b}]``."""
    if isinstance(value, str):
        return [{"name": s.strip()} for s in value.split(",") if s.strip()]
    if not isinstance(value, list):
        return _expect(ctx, path, value, "a comma-separated string or a list of secret names")
    out = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            out.append({"name": item})
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            out.append({"name": item["name"]})
        else:
            _expect(ctx, (*path, i), item, "a secret name")
    return out


def check_choice(ctx: CheckContext, path: Path, value: Any) -> Any:
    choices = CHOICES[_param_name(path)]
    if value in choices:
        return value
    ctx.error(path, f"{value!r} is not one of {', '.join(choices)}", did_you_mean(str(value), choices))
    return _BAD


def check_dnslabel(ctx: CheckContext, path: Path, value: Any) -> Any:
    if not isinstance(value, str):
        return _expect(ctx, path, value, "a container name")
    return value


def check_logsel(ctx: CheckContext, path: Path, value: Any) -> Any:
    if isinstance(value, bool | str):
        return value
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return value
    return _expect(ctx, path, value, "true, a container name or a list of names")


def check_exitcodes(ctx: CheckContext, path: Path, value: Any) -> Any:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item <= 255:
            return _expect(ctx, path, value, "an exit code (0-255) or a list of them")
    return list(items)


def _objpath(what: str, example: str) -> Checker:
    def inner(ctx: CheckContext, path: Path, value: Any) -> Any:
        if isinstance(value, str) and _OBJPATH.match(value):
            return value
        ctx.error(path, f"{value!r} is not a {what} path (an importable name) like {example!r}")
        return _BAD

    return inner


CHECKERS: dict[str, Checker] = {
    "task_id": check_task_id,
    "mapping": check_mapping,
    "str": check_str,
    "str?": _optional(check_str),
    "bool": check_bool,
    "bool?": _optional(check_bool),
    "int": check_int,
    "int?": _optional(check_int),
    "posint?": _optional(lambda c, p, v: check_int(c, p, v, minimum=1)),
    "num": check_num,
    "name": _optional(check_name),
    "labels": check_labels,
    "annotations": check_annotations,
    "strmap": check_strmap,
    "strlist": check_strlist,
    "objlist": check_objlist,
    "obj": check_obj,
    "obj?": _optional(check_obj),
    "pod?": _optional(check_pod),
    "env_vars": check_env_vars,
    "secrets": check_secrets,
    "pull_secrets": check_pull_secrets,
    "choice": check_choice,
    "choice?": _optional(check_choice),
    "dnslabel?": _optional(check_dnslabel),
    "logsel": _optional(check_logsel),
    "exitcodes": check_exitcodes,
    "classpath?": _optional(_objpath("module:Class", "mypackage.callbacks:MyCallbacks")),
    "funcpath?": _optional(_objpath("module:function", "mypackage.progress:on_line")),
}


def check_value(ctx: CheckContext, key: str, value: Any, written: str | None = None) -> Any:
    """Check and normalise the value of spec key ``key``; ``_BAD`` if it is wrong.

    ``written``: the (deprecated) spelling the user wrote, where problems are reported.
    """
    param = PARAMS[key]
    if value is None and param.default is not None:
        # Writing `key:` with nothing after it means "the default", as in the reference.
        return _copy_default(param.default)
    path = (written or key,)
    out = CHECKERS[param.kind](ctx, path, value)
    if out is _BAD or out is None or ctx.deferred(out):
        return out
    return _check_api(ctx, key, path, value, out)


def _check_api(ctx: CheckContext, key: str, path: Path, written: Any, value: Any) -> Any:
    """The API server's rules on a parameter's value, where it lands in the pod (PARAM_API)."""
    checker = ApiChecker(ctx)
    if key == "env_vars" and isinstance(written, dict):
        # the mapping form: names are keys (report them there), values are strings already
        for k in written:
            for problem in formats.is_relaxed_env_var_name(str(k)):
                ctx.error((*path, k), invalid(str(k), problem))
        return value
    if key == "configmaps":
        each(DNS_SUBDOMAIN)(checker, path, value)
        return value
    if key in ("full_pod_spec", "pod_template_dict"):
        return value  # checked whole by check_pod
    model, field = PARAM_API.get(key, (None, None))
    if model is None:
        return value
    return checker.check_field(path, value, model, field) if field else checker.check(path, value, model)


def _param_name(path: Path) -> Any:
    """The spec key a top-level ``path`` is under (a deprecated spelling resolved)."""
    return DEPRECATED_ALIASES.get(path[-1], path[-1])


def _copy_default(value: Any) -> Any:
    return type(value)(value) if isinstance(value, list | dict) else value

