"""Generates ``kpodtui/spec/apischema.json``: the pod's field types from the official client.

The client's models (``openapi_types`` / ``attribute_map``) give every field's JSON name
and type; the API's OpenAPI schema (shipped by kubernetes-validate for the same
Kubernetes version) adds what the models flatten: int32 vs int64, Quantity and
IntOrString, and which fields are required. ``status`` is left out: kpodtui never
sends it.

Run ``.venv/bin/python tests/spec/gen_apischema.py`` after upgrading the client;
``test_apischema_is_current`` fails until then.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

TARGET = Path(__file__).resolve().parents[2] / "kpodtui" / "spec" / "apischema.json"
_LIST = re.compile(r"^[Ll]ist\[(.+)\]$")
_DICT = re.compile(r"^(?:Dict\[str, (.+)\]|dict\(str, (.+)\))$")
_SKIP = {("V1Pod", "status")}


def _definitions() -> tuple[dict[str, Any], str]:
    import kubernetes
    import kubernetes_validate

    major = kubernetes.__version__.split(".")[0]
    version = f"1.{major}.0"
    base = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / f"v{version}-local-strict"
    return json.loads((base / "_definitions.json").read_text())["$defs"], version


def _deref(prop: dict[str, Any]) -> str | None:
    ref = prop.get("$ref") or next((p.get("$ref") for p in prop.get("allOf", []) if "$ref" in p), None)
    return ref.rsplit("/", 1)[-1] if ref else None


def _type(client_type: str, prop: dict[str, Any], defs: dict[str, Any], out: dict[str, Any]) -> str:
    from kubernetes.client import models

    if m := _LIST.match(client_type):
        return "[" + _type(m.group(1), prop.get("items", {}), defs, out) + "]"
    if m := _DICT.match(client_type):
        return "{" + _type(m.group(1) or m.group(2), prop.get("additionalProperties", {}), defs, out) + "}"
    ref = _deref(prop)
    if ref and ref.endswith(".Quantity"):
        return "quantity"
    if ref and ref.endswith(".IntOrString"):
        return "intorstr"
    if client_type == "int":
        return prop.get("format", "int64")
    if client_type in ("str", "bool", "float", "object", "datetime", "date"):
        return client_type
    cls = getattr(models, client_type)
    _model(client_type, cls, defs[ref] if ref else {}, defs, out)
    return client_type


def _model(name: str, cls: Any, schema: dict[str, Any], defs: dict[str, Any], out: dict[str, Any]) -> None:
    if name in out:
        return
    entry: dict[str, Any] = {"fields": {}, "required": sorted(schema.get("required", []))}
    out[name] = entry
    props = schema.get("properties", {})
    for attr, client_type in cls.openapi_types.items():
        json_name = cls.attribute_map[attr]
        if (name, json_name) in _SKIP:
            entry["fields"][json_name] = "object"
            continue
        entry["fields"][json_name] = _type(client_type, props.get(json_name, {}), defs, out)


def generate() -> dict[str, Any]:
    """The schema of a pod, keyed by the client's model names."""
    from kubernetes.client import models

    defs, version = _definitions()
    out: dict[str, Any] = {}
    _model("V1Pod", models.V1Pod, defs["io.k8s.api.core.v1.Pod"], defs, out)
    return {"kubernetes": version, "models": dict(sorted(out.items()))}


def render() -> str:
    return json.dumps(generate(), indent=1, sort_keys=False) + "\n"


if __name__ == "__main__":
    TARGET.write_text(render())
    print(f"wrote {TARGET}", file=sys.stderr)
