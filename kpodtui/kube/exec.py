"""Exec in a container over the websocket, with a bounded wait and the exit code.

Uses the client's own ``WSClient`` (v5 then v4 channel protocols) on a URL
built by ``param_serialize``; the generated ``connect_get_namespaced_pod_exec``
would pull in ``CoreV1Api`` (~0.7 s of imports) for no gain.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from kpodtui.kube.api import KubeApi


class ExecError(Exception):
    """The exec could not run, or did not finish in time."""


@dataclass(frozen=True)
class ExecResult:
    stdout: str
    stderr: str
    returncode: int | None


def exec_in(
    api: KubeApi,
    namespace: str,
    pod: str,
    container: str,
    command: list[str],
    timeout: float = 30.0,
    stdin: str | None = None,
) -> ExecResult:
    """Run ``command`` in ``container``; wait at most ``timeout`` seconds."""
    from kubernetes.stream.ws_client import (  # start-up: only when exec is used
        WSClient,
        get_websocket_url,
    )

    query: list[tuple[str, Any]] = [("command", c) for c in command]
    query += [
        ("container", container),
        ("stderr", "true"),
        ("stdin", "true" if stdin is not None else "false"),
        ("stdout", "true"),
        ("tty", "false"),
    ]
    client = api.client.api_client
    _method, url, headers, _body, _post = client.param_serialize(
        method="GET",
        resource_path=KubeApi.pods_path(namespace, pod, "exec"),
        query_params=[],
        header_params={},
        auth_settings=["BearerToken"],
    )
    url = get_websocket_url(url, query)
    try:
        ws = WSClient(client.configuration, url, headers, capture_all=False)
    except Exception as exc:
        raise ExecError(f"exec in {pod}/{container} failed: {_why(exc)}") from exc
    try:
        if stdin is not None:
            ws.write_stdin(stdin)
            ws.close_channel(0)
        deadline = time.monotonic() + timeout
        out: list[str] = []
        err: list[str] = []
        while ws.is_open():
            left = deadline - time.monotonic()
            if left <= 0:
                raise ExecError(f"exec in {pod}/{container} did not finish within {timeout:g}s")
            ws.update(timeout=min(left, 1.0))
            if ws.peek_stdout():
                out.append(ws.read_stdout())
            if ws.peek_stderr():
                err.append(ws.read_stderr())
        out.append(ws.read_stdout() or "") if ws.peek_stdout() else None
        err.append(ws.read_stderr() or "") if ws.peek_stderr() else None
        try:
            rc = ws.returncode
        except Exception:  # no status frame: the connection dropped
            rc = None
        return ExecResult("".join(out), "".join(err), rc)
    except ExecError:
        raise
    except Exception as exc:
        raise ExecError(f"exec in {pod}/{container} failed: {_why(exc)}") from exc
    finally:
        try:
            ws.close()
        except Exception:  # noqa: BLE001 - already closed by the server
            pass


def _why(exc: BaseException) -> str:
    """One line for a failed exec: the API server's message when the websocket upgrade was refused.

    websocket-client renders a refused upgrade as ``Handshake status 403 Forbidden
    -+-+- {headers} -+-+- {body}``; what a person needs is the body's ``message``.
    """
    status = getattr(exc, "status_code", None)
    body = getattr(exc, "resp_body", None)
    text = str(exc)
    if body is None and " -+-+- " in text:
        head, _headers, body = (text.split(" -+-+- ") + ["", ""])[:3]
        digits = head.split()[2:3] if head.startswith("Handshake status ") else []
        status = int(digits[0]) if digits and digits[0].isdigit() else status
    if body:
        raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        try:
            message = str(json.loads(raw).get("message", ""))
        except (ValueError, AttributeError):
            message = ""
        if message:
            return " ".join(message.split()) + (f" ({status})" if status else "")
    return " ".join(text.split())[:300]
