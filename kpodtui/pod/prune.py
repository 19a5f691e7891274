"""Dropping what a manifest should not carry: None, empty lists, empty maps."""

from __future__ import annotations

from typing import Any

# Empty maps that mean something: `emptyDir: {}` is a volume type, and an empty label
# or namespace selector matches everything (a missing one matches nothing).
_KEEP_EMPTY = frozenset({"emptyDir", "labelSelector", "namespaceSelector", "selector"})


def prune(value: Any, key: str | None = None) -> Any:
    """A copy without None values, empty lists and empty maps (except meaningful ones)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            pv = prune(v, k)
            if pv is None or (isinstance(pv, list | dict) and not pv and k not in _KEEP_EMPTY):
                continue
            out[k] = pv
        return out
    if isinstance(value, list):
        return [p for p in (prune(v) for v in value) if p is not None]
    return value
