"""Manifest text: YAML that ``kubectl apply -f -`` accepts, or JSON."""

from __future__ import annotations

import json
from typing import Any

import yaml

_Base: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_Base):  # type: ignore[misc, valid-type]
    """Block style; multi-line strings (scripts) as readable literal blocks."""


def _str(dumper: Any, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def manifest_yaml(pod: dict[str, Any]) -> str:
    """The manifest as YAML, keys in the order built (apiVersion, kind, metadata, spec)."""
    return yaml.dump(pod, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=1000)


def manifest_json(pod: dict[str, Any]) -> str:
    """The manifest as indented JSON."""
    return json.dumps(pod, indent=2, ensure_ascii=False) + "\n"
