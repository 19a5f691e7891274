"""Running untrusted work (rendering a spec's templates) within a budget of CPU and memory.

A template is a small program: ``{% for i in range(10**5) %}{% for j in range(10**5) %}``
runs for hours and ``{{ 'a' * 2000000000 }}`` asks for 2 GB. Jinja's sandbox stops
unsafe attribute access, not work. So the work runs in a forked child process with
an address-space limit (:data:`MEMORY_BYTES` above what the process already maps)
and is killed once it has used :data:`CPU_SECONDS` of CPU time (measured, so a busy
machine does not fail a template that is merely slow to be scheduled). The child
shares nothing back but a pickled result; a killed child leaves nothing running
(the app's preview used to keep a core busy after quitting).

Where ``fork`` is unavailable the work runs in-process, bounded only by the
sandbox's own limits.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

CPU_SECONDS = 0.25
MEMORY_BYTES = 128 * 1024 * 1024
#: the most a result may weigh when sent back (rendered fields are limited well below)
RESULT_BYTES = 32 * 1024 * 1024
#: whatever happens, the parent waits no longer than this (a child stopped by a debugger...)
WALL_SECONDS = 30.0


class BudgetExceeded(Exception):
    """The work used more CPU time or memory than allowed; the message says which."""


def _page_size() -> int:
    return os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _mapped_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * _page_size()
    except (OSError, ValueError, IndexError):
        return None


def _cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a child has used, from /proc; None where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _limit_child(memory: int) -> None:
    import resource

    mapped = _mapped_bytes()
    if mapped is not None:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (mapped + memory, mapped + memory))
    # a backstop if the parent could not measure or kill: the kernel ends it
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CPU, (int(CPU_SECONDS) + 2, int(CPU_SECONDS) + 3))
    with contextlib.suppress(ValueError, OSError):
        signal.set_wakeup_fd(-1)  # never poke the parent's event loop
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):
            signal.signal(sig, signal.SIG_DFL)


def _child(write_fd: int, work: Callable[[], Any], memory: int) -> None:
    try:
        _limit_child(memory)
        try:
            result: tuple[str, Any] = ("ok", work())
        except MemoryError:
            result = ("budget", f"it needs more than {memory // (1024 * 1024)} MB of memory")
        except RecursionError:
            result = ("budget", "it recurses too deeply")
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        if len(data) > RESULT_BYTES:
            data = pickle.dumps(("budget", "its result is too large"))
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view):]
    except BaseException:  # noqa: BLE001 - the child must end here, whatever happened
        pass
    finally:
        os._exit(0)


def _wait_result(pid: int, read_fd: int, cpu: float) -> bytes | str:
    """The child's bytes, or the reason it was stopped."""
    chunks: list[bytes] = []
    size = 0
    started = time.monotonic()
    while True:
        ready, _, _ = select.select([read_fd], [], [], 0.05)
        if ready:
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > RESULT_BYTES + 1024:
                return "its result is too large"
            chunks.append(chunk)
            continue
        used = _cpu_seconds(pid)
        elapsed = time.monotonic() - started
        if used is None:
            used = elapsed / 4  # no /proc: assume a share of the wall time
        if used > cpu:
            return f"it takes more than {cpu:g} s of CPU time (a loop too large?)"
        if elapsed > WALL_SECONDS:
            return f"it did not finish within {WALL_SECONDS:g} s"


def run_bounded(work: Callable[[], Any], *, cpu: float = CPU_SECONDS, memory: int = MEMORY_BYTES) -> Any:
    """``work()`` within the budget; its result (picklable), or :class:`BudgetExceeded`.

    Exceptions raised by ``work`` must be handled inside it (return them as data):
    only running out of memory, recursion or time is reported here.
    """
    if not hasattr(os, "fork") or os.environ.get("KPODTUI_NO_FORK"):
        return work()
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "fork() with threads": the child runs only `work`
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(write_fd, work, memory)
    os.close(write_fd)
    try:
        outcome = _wait_result(pid, read_fd, cpu)
    finally:
        os.close(read_fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    if isinstance(outcome, str):
        raise BudgetExceeded(outcome)
    if not outcome:
        raise BudgetExceeded(f"it needs more than {memory // (1024 * 1024)} MB of memory or crashed")
    kind, value = pickle.loads(outcome)  # noqa: S301 - our own child's bytes
    if kind == "budget":
        raise BudgetExceeded(value)
    return value
