"""Containers as local processes: the sim's container runtime.

Where the host allows it (root, ``unshare``), each container gets its own
mount, PID and UTS namespaces, like a real container:

- its volumes are bind-mounted at their ``mountPath`` and its termination
  message file at ``terminationMessagePath`` (mounts die with the namespace);
- its main process is PID 1, with PID 1's signal rules (a SIGTERM it does
  not handle is ignored, so deletes wait for the grace period as they do on
  a real cluster), and ``pgrep`` / ``/proc`` inside see only its processes;
- when PID 1 ends, the kernel kills every other process of the container;
- ``exec`` enters the same namespaces with ``nsenter``.

The launcher is a two-level ``sh``: the outer shell (a child of the sim)
waits for the inner one, which sets up the mounts, reports ``ok`` on a
pipe and execs the command as PID 1; the outer shell's exit status is the
container's (128 + signal when killed, as container runtimes report it).
Every process runs with a parent-death signal, so nothing outlives the sim.

Elsewhere (no root / no unshare) the command runs in its own process group
with no mounts; the kubelet reports that with a Warning event.

Mount points that do not exist on the host (``/airflow/xcom``,
``/dev/termination-log``) are created on the host, empty: a private mount
namespace hides what is mounted on them, not the directories themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import shlex
import shutil
import signal
from collections.abc import Sequence
from dataclasses import dataclass, field

from kpodtui.sim.logs import LogBuffer
from kpodtui.sim.volumes import Mount

_READ_SIZE = 1 << 18
_probe_result: bool | None = None


@functools.cache
def tool(name: str) -> str:
    """The absolute path of a host tool: a container's own PATH must not decide which runs."""
    return shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/usr/bin:/sbin:/bin") or name


async def namespaces_supported() -> bool:
    """Whether containers can get their own mount/PID/UTS namespaces here (probed once)."""
    global _probe_result
    if _probe_result is None:
        if os.geteuid() != 0 or not all(shutil.which(t) for t in ("unshare", "nsenter", "mount", "setpriv")):
            _probe_result = False
        else:
            try:
                proc = await asyncio.create_subprocess_exec(
                    "unshare", "--mount", "--uts", "--pid", "--fork", "--mount-proc", "--propagation", "private",
                    "--", "true", stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
                _probe_result = await proc.wait() == 0
            except OSError:
                _probe_result = False
    return _probe_result


class StartError(Exception):
    """The runtime could not start the container; ``str()`` is the runtime's message."""


def find_executable(argv0: str, path: str, mount_targets: Sequence[str]) -> bool:
    """Whether ``argv0`` can be exec'd (PATH lookup), judged from the host.

    Paths under a volume's mountPath are assumed fine: only the container
    can see them.
    """
    if "/" in argv0:
        if any(argv0.startswith(t.rstrip("/") + "/") for t in mount_targets):
            return True
        return os.access(argv0, os.X_OK)
    return shutil.which(argv0, path=path) is not None


def _setup_script(mounts: Sequence[Mount], hostname: str, workdir: str, isolated: bool) -> str:
    """The inner shell's setup: proc, binds, hostname, cwd, then ``ok`` on fd 3."""
    q = shlex.quote
    lines = ["exec 5>&2 2>&3", "set -e"]
    if isolated:
        mount, mkdir = q(tool("mount")), q(tool("mkdir"))
        lines.append(f"{mount} -t proc proc /proc")
        for m in mounts:
            if os.path.isdir(m.source):
                lines.append(f"{mkdir} -p {q(m.target)}")
            else:
                lines.append(f"{mkdir} -p {q(os.path.dirname(m.target) or '/')}")
                lines.append(f"[ -e {q(m.target)} ] || : > {q(m.target)}")
            lines.append(f"{mount} --bind {q(m.source)} {q(m.target)}")
            if m.read_only:
                lines.append(f"{mount} -o remount,bind,ro {q(m.target)}")
        lines.append(f"{q(tool('hostname'))} {q(hostname)}")
    if workdir != "/":
        lines.append(f"{q(tool('mkdir'))} -p {q(workdir)}")
    lines.append(f"cd {q(workdir)}")
    lines.append("echo ok >&3")
    lines.append("exec 2>&5 5>&- 3>&-")
    # the parent-death signal makes PID 1 (and so the whole namespace) die with the outer shell
    lines.append(f'exec {q(tool("setpriv"))} --pdeathsig KILL -- "$@"' if isolated else 'exec "$@"')
    return "\n".join(lines)


def exit_code_of(returncode: int) -> int:
    """A wait status as a container runtime reports it (killed by signal N: 128 + N)."""
    return 128 - returncode if returncode < 0 else returncode


@dataclass
class ContainerProcess:
    """One running container instance.

    ``log`` receives stdout and stderr; :meth:`wait` returns the exit code
    once the process has ended and its output is fully read.
    """

    argv: list[str]
    env: dict[str, str]
    workdir: str
    mounts: list[Mount]
    hostname: str
    log: LogBuffer
    isolated: bool
    proc: asyncio.subprocess.Process | None = None
    pid1: int | None = None
    _readers: list[asyncio.Task[None]] = field(default_factory=list)
    _exit_code: int | None = None
    #: set by :meth:`kill`; a start still under way then kills what it spawns at once
    killed: bool = False

    async def start(self) -> None:
        """Launch and wait until the command is exec'd; raise :class:`StartError` if setup fails."""
        script = _setup_script(self.mounts, self.hostname, self.workdir, self.isolated)
        if self.isolated:
            outer = f"exec 3>&0 </dev/null\n(\n{script}\n)\nexit $?"
            argv = [tool("setpriv"), "--pdeathsig", "KILL", "--", tool("unshare"), "--mount", "--uts", "--pid",
                    "--propagation", "private", "--", "/bin/sh", "-c", outer, "sh", *self.argv]
        else:
            outer = f"exec 3>&0 </dev/null\n{script}"
            argv = ["/bin/sh", "-c", outer, "sh", *self.argv]
        # the setup reports on the pipe given as stdin (dash cannot name fds above 9)
        ready_r, ready_w = os.pipe()
        try:
            self.proc = await asyncio.create_subprocess_exec(
                *argv, stdin=ready_w, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                env=self.env, start_new_session=True, limit=_READ_SIZE)
        except OSError as e:
            os.close(ready_r)
            raise StartError(str(e)) from None
        finally:
            os.close(ready_w)
        if self.killed:  # killed while spawning (sim shutdown): do not let it set up
            self.kill()
        report = await _read_report(ready_r)
        if report != "ok":
            code = await self.proc.wait()
            # nothing reads its pipes and no one will abandon it (the caller drops a process
            # that failed to start): close them here, on this loop, not at collection
            self._close_pipes()
            raise StartError(report.strip() or f"container setup exited with code {exit_code_of(code)}")
        self.pid1 = self._find_pid1() if self.isolated else self.proc.pid
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._readers = [
            asyncio.create_task(self._pump(self.proc.stdout, 1)),
            asyncio.create_task(self._pump(self.proc.stderr, 2)),
        ]

    def _find_pid1(self) -> int | None:
        assert self.proc is not None
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                kids = f.read().split()
            return int(kids[0]) if kids else None
        except OSError:
            return None

    async def _pump(self, stream: asyncio.StreamReader, channel: int) -> None:
        while True:
            data = await stream.read(_READ_SIZE)
            if not data:
                return
            self.log.append(data, channel)

    async def wait(self) -> int:
        """The exit code, once the process ended and its output was read to the end."""
        if self._exit_code is not None:
            return self._exit_code
        assert self.proc is not None
        rc = await self.proc.wait()
        if self._readers:
            # isolated: EOF follows at once (the namespace dies with PID 1); otherwise a
            # background child may hold the pipes: do not wait for it forever
            _done, pending = await asyncio.wait(self._readers, timeout=None if self.isolated else 0.5)
            if pending:
                self.kill()
                await asyncio.wait(pending, timeout=1)
                for t in pending:
                    t.cancel()
        self._exit_code = exit_code_of(rc)
        return self._exit_code

    @property
    def running(self) -> bool:
        """Whether the process has not exited yet."""
        return self.proc is not None and self.proc.returncode is None

    def send_signal(self, sig: int) -> None:
        """Signal the container as a runtime does: its PID 1 (isolated) or its process group."""
        if not self.running:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if self.isolated and self.pid1:
                os.kill(self.pid1, sig)
            elif self.proc is not None:
                os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        """SIGKILL everything: PID 1 (which takes the namespace down) and the process group."""
        self.killed = True
        if self.proc is None:
            return
        # the group first: the launcher's outer shell, seeing its PID 1 killed, would print
        # "Killed" into the container's log before its own SIGKILL came
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if self.pid1:
                os.kill(self.pid1, signal.SIGKILL)

    def abandon(self) -> None:
        """Last step of a sim shutdown: kill and close the process's pipes whether it was reaped or not.

        Closing the transport while the loop still runs keeps it from being
        collected (and complaining) after the loop is closed.
        """
        self.kill()
        self._close_pipes()

    def _close_pipes(self) -> None:
        transport = getattr(self.proc, "_transport", None)
        if transport is not None:
            transport.close()

    def exec_argv(self, command: Sequence[str], workdir: str | None = None) -> list[str]:
        """The host argv that runs ``command`` inside this container's namespaces."""
        if not self.isolated or not self.pid1:
            return list(command)
        return [tool("nsenter"), "--target", str(self.pid1), "--mount", "--pid", "--uts",
                f"--wd={workdir or self.workdir}", "--", *command]


async def _read_report(fd: int) -> str:
    """Read the setup report from ``fd`` until an ``ok`` line or EOF (then close it)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", 0))
    lines: list[str] = []
    try:
        while True:
            line = await reader.readline()
            if not line:
                return "".join(lines)
            if line == b"ok\n":
                return "ok"
            lines.append(line.decode("utf-8", "replace"))
    finally:
        transport.close()
