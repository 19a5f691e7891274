"""HTTP helpers shared by the API handlers: JSON responses, request bodies, query parameters."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml
from aiohttp import web

from kpodtui.sim import errors

JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")
BODY_TYPES = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]


def dumps(obj: Any) -> str:
    """Compact JSON, as the apiserver writes it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def json_response(obj: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """A JSON response (``Content-Type: application/json``)."""
    return web.Response(body=dumps(obj).encode(), status=status, content_type="application/json",
                        headers=headers)


def error_response(err: errors.ApiError) -> web.Response:
    """The Status response of an :class:`ApiError`."""
    return json_response(err.status(), status=err.code, headers=err.headers or None)


def media_type(request: web.Request) -> str:
    """The request's Content-Type without parameters, lower case ('' when absent)."""
    return request.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


def parse_body(raw: bytes, media: str) -> Any:
    """Decode a request body as JSON (also when no Content-Type was sent) or YAML; 400 when broken."""
    if not raw.strip():
        raise errors.bad_request("the body of the request was empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.bad_request(f"the body of the request is not valid UTF-8: {exc}") from None
    if media in YAML_TYPES or media == "application/apply-patch+yaml":
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise errors.bad_request(f"error converting YAML to JSON: {exc}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise errors.bad_request(f"couldn't get version/kind; json parse error: {exc}") from None


async def read_object(request: web.Request) -> dict[str, Any]:
    """The body of a create/replace: a JSON (or YAML) object; 415 for other media, 400 otherwise."""
    media = media_type(request)
    if media not in ("", "*/*", *JSON_TYPES, *YAML_TYPES):
        raise errors.unsupported_media_type(media, BODY_TYPES)
    body = parse_body(await request.read(), media)
    if not isinstance(body, dict):
        raise errors.bad_request(
            f"couldn't get version/kind; json parse error: json: cannot unmarshal {_json_type(body)} "
            "into Go value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; "
            "Kind string \"json:\\\"kind,omitempty\\\"\" }")
    return body


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", bool: "bool", type(None): "null"}.get(type(value), "number")


def query_bool(request: web.Request, name: str) -> bool:
    """A boolean query parameter (``true``/``1``)."""
    return request.query.get(name, "").lower() in ("true", "1")


def query_int(request: web.Request, name: str) -> int | None:
    """An integer query parameter; 400 when it is not one."""
    value = request.query.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise errors.bad_request(f'invalid value for "{name}": {value!r} is not an integer') from None
    if not INT64_MIN <= number <= INT64_MAX:  # the query's int64 parameters, as Go parses them
        raise errors.bad_request(f'strconv.ParseInt: parsing "{value}": value out of range')
    return number


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
