"""Kubernetes objects in a spec, checked against the API's types and converted to them.

Every object a spec can write (``volumes``, ``tolerations``, ``affinity``, a pod
template, ``full_pod_spec``...) is walked along the pod's schema
(``apischema.json``, generated from the official client's models): each value is
converted to its API type as the reference's deserializer does and checked by the
rules of :mod:`kpodtui.spec.apirules` (the API server's own limits and words).

Conversions (the reference converts with Python's ``str()`` / ``int()``; kpodtui
converts only where the text stays what was written):

- a string field takes a string; a plain decimal integer is taken as its text
  (``revision: 2`` -> ``"2"``) and a YAML date as its text (``2024-05-01``); any
  other unquoted scalar YAML would change (``3.10``, ``0022``, ``true``, ``yes``)
  is an error asking to quote it (the reference would send ``"3.1"``, ``"18"``,
  ``"True"``);
- a whole-number field takes an integer or a string of digits (``"8080"`` -> 8080),
  within the field's int32 / int64 range; a fraction is an error (the reference
  truncates it);
- a quantity takes a string or a number (``cpu: 1`` -> ``"1"``) in Kubernetes'
  quantity syntax;
- a boolean field takes ``true`` / ``false`` only (the reference reads ``"false"``
  as true).
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path as FsPath
from typing import Any

from kpodtui import apiformats as formats
from kpodtui.spec.context import CheckContext, type_name
from kpodtui.spec.yamlpos import Path

#: a field with a problem keeps its value (so later checks do not trip), the problem is recorded
_INT_RANGE = {"int32": (-(2**31), formats.INT32_MAX), "int64": (-(2**63), formats.INT64_MAX)}
_SHOWN_MAX = 60


@cache
def models() -> dict[str, Any]:
    """The pod's schema: model name -> ``{"fields": {json name: type}, "required": [...]}``."""
    text = FsPath(__file__).with_name("apischema.json").read_text(encoding="utf-8")
    return json.loads(text)["models"]


def field_type(model: str, field: str) -> str | None:
    """The type of ``model.field`` (``"int32"``, ``"[V1Volume]"``...), None if there is no such field."""
    return models()[model]["fields"].get(field)


def shown(value: Any) -> str:
    """A value as the API server shows it in a message (``"x"``, ``70000``, ``true``), cut short."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, int | float):
        text = str(value)
    else:
        text = type_name(value)
    return text if len(text) <= _SHOWN_MAX else text[: _SHOWN_MAX - 4] + '..."'


def invalid(value: Any, detail: str) -> str:
    return f"Invalid value: {shown(value)}: {detail}"


def required(detail: str = "") -> str:
    return "Required value" + (f": {detail}" if detail else "")


def unsupported(value: Any, choices: tuple[str, ...]) -> str:
    listed = ", ".join(json.dumps(c) for c in choices)
    return f"Unsupported value: {shown(value)}: supported values: {listed}"


def duplicate(value: Any) -> str:
    return f"Duplicate value: {shown(value)}"


def not_found(value: Any) -> str:
    return f"Not found: {shown(value)}"


def forbidden(detail: str) -> str:
    return f"Forbidden: {detail}"


def plain(value: Any) -> Any:
    """``value`` with YAML dates as their ISO text, so it can be written as JSON."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def as_string(ctx: CheckContext, path: Path, value: Any, what: str) -> Any:
    """``value`` for a string field, or None after recording why it is not one (see the module doc)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, list | dict):
        ctx.error(path, f"{what} must be a string, got {type_name(value)}")
        return None
    if (typed := ctx.set_text(path)) is not None:
        return typed  # `--set env_vars.V=3.10`: what was typed is the string
    written = ctx.scalar_text(path)
    if isinstance(value, dt.date):
        return written if written is not None else value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool) and written in (None, str(value)):
        return str(value)
    if written is not None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            reads = f"got the number {written}" if written == repr(value) else \
                f"YAML reads {written} as the number {value!r}"
        else:
            reads = f"YAML reads {written} as {type_name(value)}"
        ctx.error(path, f"{what} must be a string, {reads} (quote it: '{written}')")
        return None
    ctx.error(path, f"{what} must be a string, got {type_name(value)} {value!r} (quote it)")
    return None


_NOUNS = {"labels": "a label value", "annotations": "an annotation value", "nodeSelector": "a node selector value",
          "matchLabels": "a label value", "value": "an env var value"}


def _noun(path: Path) -> str:
    """What a string field is called in a message (``an annotation value``)."""
    for part in reversed(path[-2:]):
        if isinstance(part, str) and part in _NOUNS:
            return _NOUNS[part]
    return "this field"


class ApiChecker:
    """Walks values along the schema, converting and checking; problems go to ``ctx``.

    ``merged``: the object is a whole pod after merging (container names and images
    are required there, not in a template that the parameters complete).
    """

    def __init__(self, ctx: CheckContext, *, merged: bool = False) -> None:
        self.ctx = ctx
        self.merged = merged

    def error(self, path: Path, what: str) -> None:
        self.ctx.error(path, what)

    def check(self, path: Path, value: Any, typ: str) -> Any:
        """``value`` converted to ``typ``; problems recorded at ``path``."""
        if value is None or self.ctx.deferred(value):
            return value
        if typ.startswith("["):
            return self._list(path, value, typ[1:-1])
        if typ.startswith("{"):
            return self._map(path, value, typ[1:-1])
        if typ in models():
            return self._model(path, value, typ)
        return self._scalar(path, value, typ)

    def check_field(self, path: Path, value: Any, model: str, field: str) -> Any:
        """One field of ``model`` (e.g. a parameter that lands in ``V1PodSpec.hostname``), with its rules."""
        from kpodtui.spec.apirules import FIELD_RULES

        typ = field_type(model, field)
        if typ is None:
            return value
        before = len(self.ctx.errors)
        out = self.check(path, value, typ)
        rule = FIELD_RULES.get((model, field))
        if rule is not None and out is not None and not self.ctx.deferred(out) and len(self.ctx.errors) == before:
            rule(self, path, out)
        return out

    # -- containers --------------------------------------------------------------------

    def _list(self, path: Path, value: Any, item: str) -> Any:
        if not isinstance(value, list):
            self.error(path, f"expected a list, got {type_name(value)}")
            return value
        return [self.check((*path, i), v, item) for i, v in enumerate(value)]

    def _map(self, path: Path, value: Any, item: str) -> Any:
        if not isinstance(value, dict):
            self.error(path, f"expected a mapping, got {type_name(value)}")
            return value
        out = {}
        for k, v in value.items():
            if isinstance(k, bool) or not isinstance(k, str | int):
                self.error((*path, k), f"a key must be a string, got {type_name(k)}")
                continue
            out[str(k)] = self.check((*path, k), v, item)
        return out

    def _model(self, path: Path, value: Any, model: str) -> Any:
        from kpodtui.spec.apirules import (
            FIELD_RULES,
            MODEL_RULES,
            NOT_REQUIRED_BEFORE_MERGE,
            REQUIRED,
        )

        if not isinstance(value, dict):
            self.error(path, f"expected a mapping ({model[2:]}), got {type_name(value)}")
            return value
        spec = models()[model]
        out = dict(value)
        wrong: set[str] = set()  # fields whose type was wrong: their rules would only repeat it
        for key, v in value.items():
            typ = spec["fields"].get(key)
            if typ is None or typ == "object":
                out[key] = plain(v)  # a field the schema does not know, or free-form: kept, as JSON can carry it
                continue
            if v is None:
                continue
            before = len(self.ctx.errors)
            out[key] = self.check((*path, key), v, typ)
            if len(self.ctx.errors) > before:
                wrong.add(key)
        if self.merged or model not in NOT_REQUIRED_BEFORE_MERGE:
            for key in (*spec["required"], *REQUIRED.get(model, ())):
                if out.get(key) in (None, "", []):
                    self.error((*path, key), required())
        for key, v in out.items():
            rule = FIELD_RULES.get((model, key))
            if rule is not None and v is not None and key not in wrong and not self.ctx.deferred(v):
                rule(self, (*path, key), v)
        check = MODEL_RULES.get(model)
        if check is not None:
            check(self, path, out)
        return out

    # -- scalars -----------------------------------------------------------------------

    def _scalar(self, path: Path, value: Any, typ: str) -> Any:
        if typ == "str":
            text = as_string(self.ctx, path, value, _noun(path))
            return value if text is None else text
        if typ in _INT_RANGE:
            return self._int(path, value, typ)
        if typ == "bool":
            if not isinstance(value, bool):
                self.error(path, f"expected true or false, got {type_name(value)} {shown(value)}")
            return value
        if typ == "quantity":
            return self._quantity(path, value)
        if typ == "intorstr":
            if isinstance(value, bool) or not isinstance(value, int | str):
                self.error(path, f"expected a number or a name, got {type_name(value)} {shown(value)}")
            return value
        if typ == "float":
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.error(path, f"expected a number, got {type_name(value)} {shown(value)}")
            return value
        return value  # object, datetime: free-form (dates become text when the manifest is written)

    def _int(self, path: Path, value: Any, typ: str) -> Any:
        if isinstance(value, str) and value.strip().lstrip("+-").isdigit() and value.strip().isascii():
            value = int(value.strip())  # the reference's deserializer converts "8080" as well
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, f"expected a whole number, got {type_name(value)} {shown(value)}")
            return value
        lo, hi = _INT_RANGE[typ]
        if not lo <= value <= hi:
            self.error(path, invalid(value, f"must be a whole number between {lo} and {hi} ({typ})"))
        return value

    def _quantity(self, path: Path, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            written = self.ctx.scalar_text(path)
            value = written if written is not None else str(value)
        if not isinstance(value, str):
            self.error(path, f"expected a quantity such as 500m or 1Gi, got {type_name(value)}")
            return value
        amount = formats.parse_quantity(value)
        if amount is None:
            self.error(path, invalid(value, formats.QUANTITY_MSG))
        elif amount < 0:
            self.error(path, invalid(value, "must be greater than or equal to 0"))
        return value
