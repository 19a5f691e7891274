"""Exec in a container over the websocket, with a bounded wait and the exit code.

Uses the client's own ``WSClient`` (v5 then v4 channel protocols) on a URL
built by ``param_serialize``; the generated ``connect_get_namespaced_pod_exec``
would pull in ``CoreV1Api`` (~0.7 s of imports) for no gain.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import time
from collections.abc import Callable, Iterator
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
    from kubernetes.stream.ws_client import WSClient  # start-up: only when exec is used

    url, headers = _exec_url(api, namespace, pod, container, command, stdin=stdin is not None, tty=False)
    client = api.client.api_client
    ws = _connect(lambda: WSClient(client.configuration, url, headers, capture_all=False), pod, container)
    with _failures_said(ws, pod, container):
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


def _connect(open_ws: Callable[[], Any], pod: str, container: str) -> Any:
    """The exec websocket; a refused upgrade is one :class:`ExecError` line."""
    try:
        return open_ws()
    except Exception as exc:
        raise ExecError(f"exec in {pod}/{container} failed: {_why(exc)}") from exc


@contextlib.contextmanager
def _failures_said(ws: Any, pod: str, container: str) -> Iterator[None]:
    """Any failure on ``ws`` becomes one :class:`ExecError` line; ``ws`` is closed at the end."""
    try:
        yield
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


def _exec_url(api: KubeApi, namespace: str, pod: str, container: str, command: list[str], *,
              stdin: bool, tty: bool) -> tuple[str, dict[str, str]]:
    from kubernetes.stream.ws_client import get_websocket_url  # start-up: only when exec is used

    query: list[tuple[str, Any]] = [("command", c) for c in command]
    query += [("container", container), ("stdin", "true" if stdin else "false"), ("stdout", "true"),
              ("stderr", "false" if tty else "true"), ("tty", "true" if tty else "false")]
    client = api.client.api_client
    _method, url, headers, _body, _post = client.param_serialize(
        method="GET", resource_path=KubeApi.pods_path(namespace, pod, "exec"), query_params=[],
        header_params={}, auth_settings=["BearerToken"],
    )
    return get_websocket_url(url, query), headers


def exec_code(status: bytes | str) -> tuple[int, str | None]:
    """The exit code in the final ``Status`` (channel 3), and the server's message when the
    command could not run at all (not found, container not running...)."""
    try:
        data = json.loads(status) if status else {}
    except ValueError:
        return 1, str(status)[:300]
    if not isinstance(data, dict) or data.get("status") == "Success" or not data:
        return 0, None
    for cause in (data.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode" and str(cause.get("message", "")).isdigit():
            return int(cause["message"]), None
    return 1, " ".join(str(data.get("message") or "the command could not run").split())


def exec_stream(
    api: KubeApi,
    namespace: str,
    pod: str,
    container: str,
    command: list[str],
    *,
    tty: bool,
    stdin_fd: int | None,
    stdout_fd: int,
    stderr_fd: int,
    terminal_size: Callable[[], tuple[int, int] | None] = lambda: None,
) -> tuple[int, str | None]:
    """Run ``command`` in ``container`` wired to file descriptors, as ``kubectl exec [-i] [-t]``.

    ``stdin_fd`` None: no input. With ``tty`` the container gets a terminal: its
    output comes on one stream, and ``terminal_size()`` (columns, rows) is sent at
    the start and again whenever it changes (the caller's SIGWINCH, polled here).
    The caller puts its own terminal in raw mode. Returns (exit code, the server's
    message when the command could not run).
    """
    from kubernetes.stream.ws_client import (  # start-up: only when exec is used
        ERROR_CHANNEL,
        RESIZE_CHANNEL,
        STDERR_CHANNEL,
        STDOUT_CHANNEL,
        WSClient,
    )

    url, headers = _exec_url(api, namespace, pod, container, command, stdin=stdin_fd is not None, tty=tty)
    configuration = api.client.api_client.configuration
    ws = _connect(lambda: WSClient(configuration, url, headers, capture_all=False, binary=True), pod, container)
    sent_size: tuple[int, int] | None = None
    status = b""
    reading = stdin_fd is not None
    with _failures_said(ws, pod, container):
        while ws.is_open():
            if tty:
                size = terminal_size()
                if size is not None and size != sent_size:
                    sent_size = size
                    ws.write_channel(RESIZE_CHANNEL, json.dumps({"Width": size[0], "Height": size[1]}))
            waiting = [ws.sock.sock] + ([stdin_fd] if reading and stdin_fd is not None else [])
            ready, _, _ = select.select(waiting, [], [], 0.1)
            if reading and stdin_fd is not None and stdin_fd in ready:
                data = os.read(stdin_fd, 65536)
                if data:
                    ws.write_channel(0, data)
                else:  # end of input: the command sees it (v5), as kubectl exec -i < file
                    reading = False
                    ws.close_channel(0)
            ws.update(timeout=0)
            for channel, fd in ((STDOUT_CHANNEL, stdout_fd), (STDERR_CHANNEL, stderr_fd)):
                out = ws.read_channel(channel)
                if out:
                    _write_all(fd, out)
            status += ws.read_channel(ERROR_CHANNEL) or b""
    for channel, fd in ((STDOUT_CHANNEL, stdout_fd), (STDERR_CHANNEL, stderr_fd)):
        out = ws.read_channel(channel)
        if out:
            _write_all(fd, out)
    status += ws.read_channel(ERROR_CHANNEL) or b""
    return exec_code(status)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def exec_attached(
    api: KubeApi, namespace: str, pod: str, container: str, command: list[str], *, stdin: bool, tty: bool,
) -> tuple[int, str | None]:
    """``kubectl exec [-i] [-t]`` in this process's terminal: stdin/stdout/stderr wired to the
    command; with ``tty`` (and a terminal on stdin) the terminal goes raw for the command, its
    size follows the window (SIGWINCH), and it is restored whatever happens."""
    import signal
    import sys
    import termios
    import tty as ttymod

    in_fd = sys.stdin.fileno() if stdin or tty else None
    out_fd, err_fd = sys.stdout.fileno(), sys.stderr.fileno()
    sys.stdout.flush()
    sys.stderr.flush()
    if tty and (in_fd is None or not os.isatty(in_fd)):
        print("kpodtui: warning: no terminal on stdin: running without one (-t ignored)", file=sys.stderr)
        tty = False
    if not tty:
        return exec_stream(api, namespace, pod, container, command, tty=False,
                           stdin_fd=in_fd if stdin else None, stdout_fd=out_fd, stderr_fd=err_fd)
    assert in_fd is not None
    resized = [True]

    def size() -> tuple[int, int] | None:
        if not resized[0]:
            return None
        resized[0] = False
        try:
            cols, rows = os.get_terminal_size(in_fd)
        except OSError:
            return None
        return cols, rows

    saved = termios.tcgetattr(in_fd)
    previous = signal.signal(signal.SIGWINCH, lambda *_: resized.__setitem__(0, True)) \
        if _main_thread() else None
    try:
        ttymod.setraw(in_fd)
        return exec_stream(api, namespace, pod, container, command, tty=True, stdin_fd=in_fd if stdin else None,
                           stdout_fd=out_fd, stderr_fd=err_fd, terminal_size=size)
    finally:
        termios.tcsetattr(in_fd, termios.TCSADRAIN, saved)
        if previous is not None:
            signal.signal(signal.SIGWINCH, previous)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
