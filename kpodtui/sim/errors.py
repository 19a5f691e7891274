"""API errors as the real apiserver sends them: an HTTP code and a ``Status`` body.

Anything in the sim may raise :class:`ApiError`; the server's error middleware
turns it into the response. Helpers build the shapes of k8s-wire.md §8.2.
"""

from __future__ import annotations

from typing import Any

REASON_PHRASES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
}


class ApiError(Exception):
    """An error answered to the client as ``code`` with a ``Status`` body."""

    def __init__(
        self,
        code: int,
        message: str,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASON_PHRASES.get(code, "Unknown")
        self.details = details
        self.headers = headers or {}

    def status(self) -> dict[str, Any]:
        """The ``Status`` object for this error."""
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def _details(kind: str, name: str | None, **extra: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"kind": kind}
    if name:
        d["name"] = name
    d.update(extra)
    return d


def not_found(kind: str, name: str) -> ApiError:
    """404 for a missing object (``kind`` is the plural resource, e.g. ``pods``)."""
    return ApiError(404, f'{kind} "{name}" not found', "NotFound", _details(kind, name))


def already_exists(kind: str, name: str) -> ApiError:
    """409 AlreadyExists on create."""
    return ApiError(409, f'{kind} "{name}" already exists', "AlreadyExists", _details(kind, name))


def conflict(kind: str, name: str) -> ApiError:
    """409 Conflict on update with a stale resourceVersion."""
    return ApiError(
        409,
        f'Operation cannot be fulfilled on {kind} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        "Conflict",
        _details(kind, name),
    )


def invalid(kind_title: str, name: str, causes: list[dict[str, str]]) -> ApiError:
    """422 Invalid; ``causes`` are ``{reason, message, field}`` dicts, ``kind_title`` e.g. ``Pod``."""
    summary = ", ".join(f"{c['field']}: {c['message']}" for c in causes)
    if len(causes) > 1:
        summary = f"[{summary}]"
    return ApiError(
        422,
        f'{kind_title} "{name}" is invalid: {summary}',
        "Invalid",
        {"name": name, "kind": kind_title, "causes": causes},
    )


def bad_request(message: str) -> ApiError:
    """400 BadRequest."""
    return ApiError(400, message, "BadRequest")


def expired(message: str) -> ApiError:
    """410 Expired (resourceVersion too old)."""
    return ApiError(410, message, "Expired")


def unsupported_media_type(content_type: str, accepted: list[str]) -> ApiError:
    """415 for a body (or patch) type the endpoint does not take."""
    return ApiError(
        415,
        f"the body of the request was in an unknown format - accepted media types include: "
        f"{', '.join(accepted)}",
        "UnsupportedMediaType",
    )


def method_not_allowed(method: str) -> ApiError:
    """405 for a verb the resource does not support."""
    return ApiError(405, "the server does not allow this method on the requested resource", "MethodNotAllowed")
