"""Unknown fields, as the apiserver's decoder finds them (``fieldValidation``).

A real apiserver decodes a body into its Go types: a field the type does not
have is dropped, and said per ``fieldValidation`` (since 1.27 the default is
``Warn``): ``Ignore`` drops it silently, ``Warn`` adds a ``Warning`` header per
field (kubectl prints them), ``Strict`` refuses the request with 400 and
``strict decoding error: unknown field "spec.containers[0].imagee"``.

The types here are the official Python client's models (``openapi_types`` and
``attribute_map`` mirror the API's schema), loaded on the first body checked.
Free-form fields (``object``: e.g. a CRD's ``x-kubernetes-preserve-unknown-fields``)
are taken as they are.
"""

from __future__ import annotations

import asyncio
import functools
import re
from typing import Any

from kpodtui.sim import errors

Obj = dict[str, Any]

DIRECTIVES = ("Ignore", "Warn", "Strict")
MODELS = {"pods": "V1Pod", "configmaps": "V1ConfigMap", "secrets": "V1Secret",
          "namespaces": "V1Namespace", "events": "CoreV1Event", "nodes": "V1Node"}
# client 37 writes List[...] / Dict[str, ...]; older ones list[...] / dict(str, ...)
_LIST = re.compile(r"^[Ll]ist\[(.+)\]$")
_DICT = re.compile(r"^(?:Dict\[str, (.+)\]|dict\(str, (.+)\))$")
_SCALARS = frozenset({"str", "int", "float", "bool", "bytes", "datetime", "date", "object"})


def directive(query: Any) -> str:
    """The request's ``fieldValidation`` (default ``Warn``); 400 for anything else."""
    value = query.get("fieldValidation", "") or "Warn"
    if value not in DIRECTIVES:
        raise errors.bad_request(f'fieldValidation must be one of "Ignore", "Warn" or "Strict", not "{value}"')
    return value


_loaded = False


async def ready() -> None:
    """Load the client's models off the event loop (about a second, once per process)."""
    global _loaded
    if not _loaded:
        await asyncio.get_running_loop().run_in_executor(None, _fields, "V1Pod")
        _loaded = True


@functools.cache
def _fields(model: str) -> tuple[dict[str, str], ...] | None:
    """``{json name: type}`` of a client model (None: unknown model, nothing checked)."""
    from kubernetes.client import models

    cls = getattr(models, model, None)
    if cls is None:
        return None
    return ({cls.attribute_map[attr]: typ for attr, typ in cls.openapi_types.items()},)


# maps of Quantity values: a JSON number is read as a quantity and kept as its text
_QUANTITY_MAPS = frozenset({"limits", "requests", "overhead", "capacity", "allocatable", "hard"})
_GO_TYPES = {"str": "string", "int": "int32", "bool": "bool", "float": "float64"}


class WrongType(Exception):
    """A value of the wrong JSON type, as Go's decoder refuses it."""


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _scalar(value: Any, typ: str, path: str) -> Any:
    """A scalar as the apiserver decodes it: a number in a quantity is its text; other
    mismatches are refused (the Python client cannot read such an object back)."""
    if typ == "str" and isinstance(value, int | float) and not isinstance(value, bool):
        parent, _, last = path.rpartition(".")
        if parent.rpartition(".")[2] in _QUANTITY_MAPS or last.split("[")[0] in ("sizeLimit",):
            return str(value)
    want = {"str": str, "int": int, "bool": bool, "float": int | float}.get(typ)
    if want is not None and (not isinstance(value, want) or (typ == "int" and isinstance(value, bool))):
        raise WrongType(f"json: cannot unmarshal {_json_type(value)} into Go struct field .{path} "
                        f"of type {_GO_TYPES[typ]}")
    if typ == "int":
        bits = 64 if path.rpartition(".")[2].split("[")[0] in _INT64_FIELDS else 32
        if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
            raise WrongType(f"json: cannot unmarshal number {value} into Go struct field .{path} of type int{bits}")
    return value


# core/v1 fields that are int64 in Go (the client's models say only "int"); the others are int32
_INT64_FIELDS = frozenset({
    "terminationGracePeriodSeconds", "activeDeadlineSeconds", "deletionGracePeriodSeconds", "generation",
    "observedGeneration", "runAsUser", "runAsGroup", "fsGroup", "supplementalGroups", "gracePeriodSeconds",
    "expirationSeconds", "sizeBytes",
})


def _walk(value: Any, typ: str, path: str, found: list[str]) -> Any:
    """``value`` without the fields ``typ`` does not have; their paths go to ``found``."""
    if value is None:
        return value
    if typ in _SCALARS:
        return _scalar(value, typ, path)
    m = _LIST.match(typ)
    if m:
        if not isinstance(value, list):
            return value
        return [_walk(v, m.group(1), f"{path}[{i}]", found) for i, v in enumerate(value)]
    m = _DICT.match(typ)
    if m:
        if not isinstance(value, dict):
            return value
        inner = m.group(1) or m.group(2)
        return {k: _walk(v, inner, f"{path}.{k}", found) for k, v in value.items()}
    fields = _fields(typ)
    if fields is None or not isinstance(value, dict):
        return value
    known = fields[0]
    out: Obj = {}
    for key, v in value.items():
        where = f"{path}.{key}" if path else key
        if key not in known:
            found.append(where)
            continue
        out[key] = _walk(v, known[key], where, found)
    return out


def prune(kind: str, obj: Obj, how: str) -> tuple[Obj, list[str]]:
    """``obj`` as the apiserver keeps it, and the ``Warning`` header values to send.

    ``Strict`` raises 400 naming every unknown field instead.
    """
    model = MODELS.get(kind)
    if model is None:
        return obj, []
    found: list[str] = []
    kind_name = model.removeprefix("CoreV1").removeprefix("V1")
    try:
        kept = _walk(obj, model, "", found)
    except WrongType as exc:
        raise errors.bad_request(f'{kind_name} in version "v1" cannot be handled as a {kind_name}: {exc}') from None
    if not found:
        return kept, []
    if how == "Strict":
        listed = ", ".join(f'unknown field "{f}"' for f in found)
        raise errors.bad_request(f'{kind_name} in version "v1" cannot be handled as a {kind_name}: '
                                 f"strict decoding error: {listed}")
    warnings = [] if how == "Ignore" else [f'299 - "unknown field \\"{f}\\""' for f in found]
    return kept, warnings
