"""The three patch types a client may send: JSON patch, merge patch, strategic merge patch.

Strategic merge is done for the core/v1 kinds the sim serves: lists of
containers, volumes, env vars, ports, mounts, conditions... merge by their
key (``name``, ``containerPort``, ``mountPath``, ``type``), as the
``patchMergeKey`` tags of the Go types say; other lists are replaced. The
``$patch`` (delete/replace), ``$retainKeys``, ``$setElementOrder`` and
``$deleteFromPrimitiveList`` directives are honoured.
"""

from __future__ import annotations

from typing import Any

from kpodtui.sim import errors
from kpodtui.sim.store import snapshot

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH)

#: list field name -> merge key (patchMergeKey of the core/v1 Go types)
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "imagePullSecrets": "name",
    "env": "name",
    "ports": "containerPort",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "resourceClaims": "name",
    "topologySpreadConstraints": "topologyKey",
}
#: lists of scalars merged as sets
MERGED_PRIMITIVE_LISTS = frozenset({"finalizers"})


def _invalid_patch(message: str) -> errors.ApiError:
    """A JSON patch that cannot be applied: the apiserver says no more than this (``message`` is
    for the sim's log)."""
    del message
    return errors.ApiError(422, "the server rejected our request due to an error in our request", "Invalid", {})


# -- RFC 7386 merge patch ----------------------------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, ``null`` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return snapshot(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        else:
            result[k] = merge_patch(result.get(k), v)
    return result


# -- strategic merge patch -------------------------------------------------------------


def strategic_merge(target: Any, patch: Any) -> Any:
    """Apply a strategic merge patch to ``target`` (a new object is returned)."""
    if not isinstance(patch, dict):
        return snapshot(patch)
    if patch.get("$patch") == "replace":
        return {k: snapshot(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = dict(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    for k, v in patch.items():
        if k.startswith("$setElementOrder/") or k in ("$retainKeys", "$patch"):
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            field = k.split("/", 1)[1]
            if isinstance(result.get(field), list) and isinstance(v, list):
                result[field] = [x for x in result[field] if x not in v]
            continue
        if v is None:
            result.pop(k, None)
        elif isinstance(v, dict):
            merged = strategic_merge(result.get(k), v)
            if merged is None:
                result.pop(k, None)
            else:
                result[k] = merged
        elif isinstance(v, list):
            result[k] = _merge_list(k, result.get(k), v)
        else:
            result[k] = v
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _merge_list(field: str, current: Any, patch: list[Any]) -> list[Any]:
    if any(isinstance(x, dict) and x.get("$patch") == "replace" for x in patch):
        return [snapshot(x) for x in patch if not (isinstance(x, dict) and x.get("$patch") == "replace")]
    if field in MERGED_PRIMITIVE_LISTS and isinstance(current, list):
        return list(current) + [x for x in patch if x not in current]
    key = MERGE_KEYS.get(field)
    if key is None or not isinstance(current, list) or not all(isinstance(x, dict) for x in patch):
        return [snapshot(x) for x in patch]
    result = [snapshot(x) for x in current]
    for item in patch:
        if key not in item:
            raise _invalid_patch(f"map: {item} does not contain declared merge key: {key}")
        idx = next((i for i, x in enumerate(result) if isinstance(x, dict) and x.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if idx is not None:
                result.pop(idx)
        elif idx is None:
            result.append(strategic_merge({}, item))
        else:
            result[idx] = strategic_merge(result[idx], item)
    return result


# -- RFC 6902 JSON patch -----------------------------------------------------------------


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _tokens(path: Any, op: str) -> list[str]:
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise _invalid_patch(f"jsonpatch {op} operation: invalid path {path!r}")
    return [_unescape(t) for t in path.split("/")[1:]] if path else []


def _parent(doc: Any, tokens: list[str], op: str, path: str) -> Any:
    cur = doc
    for t in tokens[:-1]:
        if isinstance(cur, dict) and t in cur:
            cur = cur[t]
        elif isinstance(cur, list) and t.isdigit() and int(t) < len(cur):
            cur = cur[int(t)]
        else:
            raise _invalid_patch(f'jsonpatch {op} operation does not apply: doc is missing path: "{path}": missing value')
    return cur


# ``path`` below is the operation's raw "path"/"from" (any JSON value, maybe missing): _tokens rejects non-strings.


def _get(doc: Any, path: Any, op: str) -> Any:
    tokens = _tokens(path, op)
    if not tokens:
        return doc
    parent = _parent(doc, tokens, op, path)
    last = tokens[-1]
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent[int(last)]
    raise _invalid_patch(f'jsonpatch {op} operation does not apply: doc is missing path: "{path}": missing value')


def _remove(doc: Any, path: Any, op: str) -> Any:
    tokens = _tokens(path, op)
    if not tokens:
        raise _invalid_patch(f"jsonpatch {op} operation: cannot remove the root")
    parent = _parent(doc, tokens, op, path)
    last = tokens[-1]
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise _invalid_patch(f'jsonpatch {op} operation does not apply: doc is missing path: "{path}": missing value')


def _add(doc: Any, path: Any, value: Any, op: str, replace: bool = False) -> Any:
    tokens = _tokens(path, op)
    if not tokens:
        return value
    parent = _parent(doc, tokens, op, path)
    last = tokens[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise _invalid_patch(f'jsonpatch {op} operation does not apply: doc is missing key: {path}: missing value')
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent) - (1 if replace else 0):
            if replace:
                parent[int(last)] = value
            else:
                parent.insert(int(last), value)
        else:
            raise _invalid_patch(f'jsonpatch {op} operation does not apply: doc is missing path: "{path}": missing value')
    else:
        raise _invalid_patch(f'jsonpatch {op} operation does not apply: doc is missing path: "{path}": missing value')
    return doc


def json_patch(doc: Any, ops: Any) -> Any:
    """Apply an RFC 6902 patch (a list of operations) to a copy of ``doc``."""
    if not isinstance(ops, list):
        raise errors.bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = snapshot(doc)
    for op in ops:
        if not isinstance(op, dict) or not isinstance(op.get("op"), str):
            raise errors.bad_request(f"the server rejected our request due to an error in our request: invalid operation {op!r}")
        name, path = op["op"], op.get("path")
        if name in ("add", "replace", "test") and "value" not in op:
            raise _invalid_patch(f"jsonpatch {name} operation: missing value")
        if name == "add":
            doc = _add(doc, path, snapshot(op["value"]), name)
        elif name == "replace":
            doc = _add(doc, path, snapshot(op["value"]), name, replace=True)
        elif name == "remove":
            _remove(doc, path, name)
        elif name in ("move", "copy"):
            value = _remove(doc, op.get("from"), name) if name == "move" else snapshot(_get(doc, op.get("from"), name))
            doc = _add(doc, path, value, name)
        elif name == "test":
            if _get(doc, path, name) != op["value"]:
                raise _invalid_patch(f'testing value {path} failed: test failed')
        else:
            raise _invalid_patch(f"Unexpected kind: {name}")
    return doc


def apply_patch(doc: Any, content_type: str, body: Any) -> Any:
    """Apply a patch of the given media type; raises 415 for other types and 400 for bad bodies."""
    ctype = content_type.split(";", 1)[0].strip().lower()
    if ctype == JSON_PATCH:
        return json_patch(doc, body)
    if ctype in (MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH):
        if not isinstance(body, dict):
            raise errors.bad_request(
                f"json: cannot unmarshal {type(body).__name__} into Go value of type map[string]interface {{}}")
        # Server-side apply is approximated by a strategic merge of the applied configuration.
        return merge_patch(doc, body) if ctype == MERGE_PATCH else strategic_merge(doc, body)
    raise errors.unsupported_media_type(content_type, list(PATCH_TYPES))
