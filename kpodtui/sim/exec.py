"""``exec`` and ``attach`` over a websocket, with the channel protocols the kubelet speaks.

Every message is one channel byte and a payload: 0 stdin (client to server),
1 stdout, 2 stderr, 3 the final ``Status`` (then a close frame), 4 terminal
resize, and on ``v5.channel.k8s.io`` 255 "close channel" (``[255, 0]`` is
stdin EOF). Both TEXT and BINARY messages are accepted; the server sends
BINARY, as the real apiserver does. See k8s-wire.md section 6.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import shutil
import signal
import struct
import termios
import time
from collections.abc import Sequence
from typing import Any

from aiohttp import WSMsgType, web

from kpodtui.sim.containers import exit_code_of, find_executable, tool
from kpodtui.sim.podworker import ContainerRun

#: offered in preference order; aiohttp picks the first of the client's list that is here
PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io",
             "channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
_READ = 1 << 16
ATTACH_REPLAY_SECONDS = 2.0

SUCCESS: dict[str, Any] = {"metadata": {}, "status": "Success"}


def exit_status(command: Sequence[str], code: int) -> dict[str, Any]:
    """The channel-3 Status of a finished command (the ExitCode cause first, as clients read it)."""
    if code == 0:
        return SUCCESS
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: error executing command "
                   f"[{' '.join(command)}], exit code {code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


def internal_error(message: str) -> dict[str, Any]:
    """The channel-3 Status of an exec the runtime could not start."""
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"Internal error occurred: {message}",
        "reason": "InternalError",
        "details": {"causes": [{"message": message}]},
        "code": 500,
    }


async def _send(ws: web.WebSocketResponse, channel: int, data: bytes) -> None:
    if data and not ws.closed:
        with contextlib.suppress(ConnectionResetError, RuntimeError):
            await ws.send_bytes(bytes((channel,)) + data)


async def _finish(ws: web.WebSocketResponse, status: dict[str, Any]) -> None:
    """Status on channel 3, then the close frame (the client needs both)."""
    await _send(ws, ERROR, json.dumps(status, separators=(",", ":")).encode())
    with contextlib.suppress(ConnectionResetError, RuntimeError):
        await ws.close()


async def _pump(reader: asyncio.StreamReader, ws: web.WebSocketResponse, channel: int) -> None:
    while True:
        data = await reader.read(_READ)
        if not data:
            return
        await _send(ws, channel, data)


async def _pty_pump(master: int, ws: web.WebSocketResponse) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader),
                                                os.fdopen(master, "rb", 0))
    try:
        while True:
            try:
                data = await reader.read(_READ)
            except OSError:  # EIO once the last writer of the pty is gone
                return
            if not data:
                return
            await _send(ws, STDOUT, data)
    finally:
        transport.close()


def _resize(fd: int, payload: bytes) -> None:
    with contextlib.suppress(ValueError, OSError, TypeError, AttributeError):
        size = json.loads(payload)
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", int(size["Height"]), int(size["Width"]), 0, 0))


async def run_exec(request: web.Request, c: ContainerRun, command: list[str], use_stdin: bool,
                   use_stdout: bool, use_stderr: bool, tty: bool, env: dict[str, str]) -> web.WebSocketResponse:
    """Upgrade ``request`` and run ``command`` in container ``c`` until it ends."""
    ws = web.WebSocketResponse(protocols=PROTOCOLS, max_msg_size=0)
    await ws.prepare(request)
    v5 = ws.ws_protocol == "v5.channel.k8s.io"
    process = c.process
    assert process is not None
    workdir = c.spec.get("workingDir") or "/"
    mounts = [m.target for m in process.mounts]
    if not find_executable(command[0], env.get("PATH", ""), mounts):
        await _finish(ws, internal_error(
            f'error executing command in container: failed to exec in container: failed to start exec: '
            f'OCI runtime exec failed: exec failed: unable to start container process: exec: "{command[0]}": '
            f"executable file not found in $PATH: unknown"))
        return ws
    master = slave = None
    if tty:
        master, slave = os.openpty()
        # the terminal is the command's stdin even when the client sends none (setsid --ctty
        # needs it there, as a runtime's tty does); nothing is written to it then
        stdio: dict[str, Any] = {"stdin": slave, "stdout": slave, "stderr": slave}
    else:
        stdio = {"stdin": asyncio.subprocess.PIPE if use_stdin else asyncio.subprocess.DEVNULL,
                 "stdout": asyncio.subprocess.PIPE, "stderr": asyncio.subprocess.PIPE}
    try:
        # with a terminal, the command gets it as its controlling tty (job control, ^C)
        argv = [tool("setsid"), "--ctty", "--wait", "--", *command] if tty and shutil.which(tool("setsid")) \
            else list(command)
        proc = await asyncio.create_subprocess_exec(
            *process.exec_argv(argv, workdir), env=env, start_new_session=True,
            cwd=None if process.isolated else workdir, **stdio)
    except OSError as e:
        await _finish(ws, internal_error(f"error executing command in container: {e}"))
        return ws
    finally:
        if slave is not None:
            os.close(slave)
    pumps: list[asyncio.Task[None]] = []
    if master is not None:
        pumps.append(asyncio.create_task(_pty_pump(master, ws)))
    else:
        assert proc.stdout is not None and proc.stderr is not None
        pumps.append(asyncio.create_task(_pump(proc.stdout, ws, STDOUT) if use_stdout else _drain(proc.stdout)))
        pumps.append(asyncio.create_task(_pump(proc.stderr, ws, STDERR) if use_stderr else _drain(proc.stderr)))
    reader = asyncio.create_task(_read_client(ws, proc, v5, master))
    waiter = asyncio.create_task(proc.wait())
    try:
        await asyncio.wait([waiter, reader], return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:  # the server is stopping
        _kill_group(proc)
        reader.cancel()
        raise
    if not waiter.done():
        # the client went away: the command goes too
        _kill_group(proc)
        await waiter
        for t in pumps:
            t.cancel()
        return ws
    # output still in the pipes belongs before the status; a background child holding
    # them open must not keep the stream forever
    await asyncio.wait(pumps, timeout=1.0)
    for t in pumps:
        t.cancel()
    reader.cancel()
    _kill_group(proc)
    await _finish(ws, exit_status(command, exit_code_of(waiter.result())))
    return ws


async def _drain(reader: asyncio.StreamReader) -> None:
    while await reader.read(_READ):
        pass


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


async def _read_client(ws: web.WebSocketResponse, proc: asyncio.subprocess.Process, v5: bool,
                       master: int | None) -> None:
    """Feed stdin / resize from the client; returns when the client closes."""
    stdin = proc.stdin
    async for msg in ws:
        if msg.type == WSMsgType.BINARY:
            data = msg.data
        elif msg.type == WSMsgType.TEXT:
            data = msg.data.encode("utf-8")
        else:
            continue
        if not data:
            continue
        channel, payload = data[0], data[1:]
        if channel == STDIN and payload:
            if master is not None:
                with contextlib.suppress(OSError):
                    os.write(master, payload)
            elif stdin is not None and not stdin.is_closing():
                with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                    stdin.write(payload)
                    await stdin.drain()
        elif channel == RESIZE and master is not None:
            _resize(master, payload)
        elif channel == CLOSE and v5 and payload[:1] == bytes((STDIN,)):
            if master is not None:
                with contextlib.suppress(OSError):
                    os.write(master, b"\x04")  # EOF on a terminal
            elif stdin is not None:
                stdin.close()


async def run_attach(request: web.Request, c: ContainerRun) -> web.WebSocketResponse:
    """Attach: stream the container's output from now until it ends (its stdin stays closed)."""
    ws = web.WebSocketResponse(protocols=PROTOCOLS, max_msg_size=0)
    await ws.prepare(request)
    buf = c.logs[-1]
    view = buf.raw
    # A real runtime starts containers slowly enough that an attach right after the start
    # (kubectl run --attach) sees the first output; the sim's start in milliseconds, so a
    # fresh container's output so far is replayed.
    pos = 0 if time.monotonic() - c.started_mono < ATTACH_REPLAY_SECONDS else len(view)

    async def ignore_client() -> None:
        async for _msg in ws:
            pass

    client = asyncio.create_task(ignore_client())
    try:
        while not client.done():
            end = len(view)
            if end > pos:
                await _send(ws, STDOUT, bytes(view[pos:end]))
                pos = end
            if buf.closed:
                break
            more = asyncio.create_task(buf.wait_for_more(view, pos))
            await asyncio.wait([more, client], return_when=asyncio.FIRST_COMPLETED)
            more.cancel()
    finally:
        client.cancel()
    await _finish(ws, SUCCESS)
    return ws
