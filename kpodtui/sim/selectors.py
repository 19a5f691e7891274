"""Label and field selectors, parsed like the apiserver does (errors are 400 BadRequest)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kpodtui.sim import errors
from kpodtui.sim.validation import label_key_errors, label_value_errors

Obj = dict[str, Any]
Predicate = Callable[[Obj], bool]

_KEY_RE = re.compile(r"^\s*(!?)\s*([^\s!=<>(),]+)(.*)$", re.S)
_OP_RE = re.compile(r"^(==|=|!=|in(?=\s*\()|notin(?=\s*\())?\s*(.*?)\s*$", re.S)


def _split_top(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts: list[str] = []
    depth = 0
    cur: list[str] = []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _bad_label(selector: str, why: str) -> errors.ApiError:
    return errors.bad_request(f'unable to parse requirement: {why}' if why else f"invalid selector: {selector!r}")


def parse_label_selector(selector: str | None) -> Predicate:
    """A predicate over objects for a label selector (``=``, ``==``, ``!=``, ``in``, ``notin``, ``key``, ``!key``)."""
    if not selector or not selector.strip():
        return lambda obj: True
    reqs: list[Predicate] = []
    for raw in _split_top(selector):
        part = raw.strip()
        if not part:
            raise _bad_label(selector, "found '', expected: identifier")
        km = _KEY_RE.match(part)
        if km is None:
            raise _bad_label(selector, f"invalid label selector requirement {part!r}")
        neg, key = km.group(1), km.group(2)
        m = _OP_RE.match(km.group(3).strip())
        assert m is not None  # the pattern matches any text
        op, rest = m.group(1) or "", m.group(2)
        key_problems = label_key_errors(key)
        if key_problems:
            raise _bad_label(selector, f"key: Invalid value: {key!r}: {key_problems[0]}")
        if neg:
            if op or rest:
                raise _bad_label(selector, f"unexpected token after '!{key}'")
            reqs.append(_label_absent(key))
            continue
        if not op:
            if rest:
                raise _bad_label(selector, f"found {rest!r}, expected: in, notin, =, ==, !=, or end of string")
            reqs.append(_label_present(key))
            continue
        if op in ("in", "notin"):
            if not (rest.startswith("(") and rest.endswith(")")):
                raise _bad_label(selector, f"found {rest!r}, expected: '('")
            values = {v.strip() for v in rest[1:-1].split(",")}
            if values == {""}:
                raise _bad_label(selector, "for 'in', 'notin' operators, values set can't be empty")
            _check_values(selector, values)
            if op == "in":
                reqs.append(_label_in(key, values))
            else:
                reqs.append(_label_not_in(key, values))
            continue
        _check_values(selector, {rest})
        if op == "!=":
            reqs.append(_label_ne(key, rest))
        else:
            reqs.append(_label_eq(key, rest))
    return lambda obj: all(r(obj) for r in reqs)


# One requirement each; a factory binds the loop's key and values (a lambda in the loop would not).


def _label_absent(k: str) -> Predicate:
    return lambda o: k not in _labels(o)


def _label_present(k: str) -> Predicate:
    return lambda o: k in _labels(o)


def _label_in(k: str, vs: set[str]) -> Predicate:
    return lambda o: _labels(o).get(k) in vs


def _label_not_in(k: str, vs: set[str]) -> Predicate:
    return lambda o: _labels(o).get(k) not in vs


def _label_ne(k: str, v: str) -> Predicate:
    return lambda o: _labels(o).get(k) != v


def _label_eq(k: str, v: str) -> Predicate:
    return lambda o: k in _labels(o) and _labels(o)[k] == v


def _check_values(selector: str, values: set[str]) -> None:
    for v in values:
        problems = label_value_errors(v)
        if problems:
            raise _bad_label(selector, f"values[0]: Invalid value: {v!r}: {problems[0]}")


def _labels(obj: Obj) -> dict[str, str]:
    return obj.get("metadata", {}).get("labels") or {}


def _get_path(obj: Obj, path: str) -> Any:
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


#: field selector labels each resource supports, as the real apiserver (others: 400)
FIELD_LABELS: dict[str, frozenset[str]] = {
    "pods": frozenset({
        "metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
        "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
        "status.podIP", "status.podIPs", "status.nominatedNodeName",
    }),
    "events": frozenset({
        "metadata.name", "metadata.namespace", "involvedObject.kind", "involvedObject.namespace",
        "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion",
        "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
        "reportingComponent", "source", "type",
    }),
    "secrets": frozenset({"metadata.name", "metadata.namespace", "type"}),
    "namespaces": frozenset({"metadata.name", "status.phase"}),
    "nodes": frozenset({"metadata.name", "spec.unschedulable"}),
}


def _field_value(obj: Obj, label: str) -> str:
    """The string a field label has for ``obj`` (missing fields read as "")."""
    if label == "source":
        return str((obj.get("source") or {}).get("component", ""))
    if label == "spec.hostNetwork":
        return "true" if _get_path(obj, label) else "false"
    if label == "spec.unschedulable":
        return "true" if _get_path(obj, label) else "false"
    if label == "status.podIPs":
        ips = _get_path(obj, label) or []
        return ips[0].get("ip", "") if ips else ""
    value = _get_path(obj, label)
    return "" if value is None else str(value)


def _field_ne(f: str, v: str) -> Predicate:
    return lambda o: _field_value(o, f) != v


def _field_eq(f: str, v: str) -> Predicate:
    return lambda o: _field_value(o, f) == v


def parse_field_selector(kind: str, selector: str | None) -> Predicate:
    """A predicate for a field selector (``=``, ``==``, ``!=`` joined by commas) on ``kind``."""
    if not selector or not selector.strip():
        return lambda obj: True
    allowed = FIELD_LABELS.get(kind, frozenset({"metadata.name", "metadata.namespace"}))
    reqs: list[Predicate] = []
    for raw in selector.split(","):
        part = raw.strip()
        m = re.match(r"^([^=!]+?)\s*(==|!=|=)\s*(.*)$", part)
        if m is None:
            raise errors.bad_request(f"invalid selector: '{selector}'; can't understand '{part}'")
        label, op, value = m.group(1).strip(), m.group(2), m.group(3).strip()
        if label not in allowed:
            raise errors.bad_request(f"field label not supported: {label}")
        if op == "!=":
            reqs.append(_field_ne(label, value))
        else:
            reqs.append(_field_eq(label, value))
    return lambda obj: all(r(obj) for r in reqs)
