"""What every bench shares: interleaved repeats, median and spread, a sim in its own process,
child processes timed with their own CPU and peak RSS, and a pipe reader that times the output.

The rule every bench here follows: a figure is printed beside its peer, measured in the same
run, the two interleaved round by round (the order alternating), repeated (>= 5 by default),
as median (min-max) and the ratio of the medians.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
KPODTUI = [PY, "-m", "kpodtui"]


# -- figures -------------------------------------------------------------------------------


def spread(values: Sequence[float], fmt: str = "{:,.0f}") -> str:
    """``median (min-max) n=N``."""
    if not values:
        return "(no samples)"
    med = statistics.median(values)
    return f"{fmt.format(med)} ({fmt.format(min(values))}-{fmt.format(max(values))}) n={len(values)}"


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def pct(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def interleave(cases: dict[str, Callable[[], Any]], rounds: int) -> dict[str, list[Any]]:
    """Run every case once per round, alternating the order each round; results by case."""
    out: dict[str, list[Any]] = {name: [] for name in cases}
    names = list(cases)
    for r in range(rounds):
        for name in names if r % 2 == 0 else reversed(names):
            out[name].append(cases[name]())
    return out


def quiet_machine_note() -> str:
    """The load average, printed with every result (the machine is shared)."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


# -- processes -----------------------------------------------------------------------------


@dataclass
class Finished:
    """A child process that ended: exit code, wall seconds, CPU seconds (user+sys), peak RSS MB."""

    code: int
    wall: float
    cpu: float
    rss_mb: float
    stderr: str = ""


def _status_mb(pid: int | str, field: str, missing: float) -> float:
    """A ``/proc/PID/status`` size field (``VmRSS``, ``VmHWM``) in MB; ``missing`` if unreadable."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return missing


def _peak_rss(pid: int) -> float:
    """The process's peak RSS so far in MB (``VmHWM``: of its own program, unlike the rusage
    figure, which keeps the forking parent's size from before ``exec``)."""
    return _status_mb(pid, "VmHWM", 0.0)


def wait_child(proc: subprocess.Popen, t0: float) -> Finished:
    """Reap ``proc`` with :func:`os.wait4` (its own CPU time), its peak RSS sampled meanwhile."""
    peak = [0.0]

    def watch() -> None:
        while proc.returncode is None:
            peak[0] = max(peak[0], _peak_rss(proc.pid))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    watcher.join(1)
    return Finished(proc.returncode, wall, usage.ru_utime + usage.ru_stime, peak[0])


def run_timed(argv: Sequence[str], env: dict[str, str] | None = None, stdin: Any = None,
              stdout: Any = subprocess.DEVNULL) -> Finished:
    """Run ``argv`` to its end; stderr is kept (the last lines) for failures."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE)
    err: list[bytes] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    done = wait_child(proc, t0)
    reader.join(5)
    done.stderr = b"".join(err).decode(errors="replace")[-2000:]
    return done


@dataclass
class PipeMeter:
    """Reads a child's stdout in 1 MiB reads: when the first and the last byte came, how many
    lines, and a hash of everything (to check every line arrived exactly once)."""

    fd: int
    first: float | None = None
    last: float | None = None
    lines: int = 0
    bytes: int = 0
    digest: Any = field(default_factory=lambda: hashlib.blake2b(digest_size=16))

    def run(self) -> None:
        read, count, update = os.read, bytes.count, self.digest.update
        while True:
            data = read(self.fd, 1 << 20)
            if not data:
                break
            now = time.perf_counter()
            if self.first is None:
                self.first = now
            self.last = now
            self.lines += count(data, b"\n")
            self.bytes += len(data)
            update(data)
        os.close(self.fd)

    @property
    def seconds(self) -> float:
        return (self.last or 0.0) - (self.first or 0.0)


def run_metered(argv: Sequence[str], env: dict[str, str] | None = None) -> tuple[Finished, PipeMeter]:
    """Run ``argv`` with its stdout read by a :class:`PipeMeter` (as cheap for the writer as a file)."""
    rfd, wfd = os.pipe()
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=wfd, stderr=subprocess.PIPE)
    os.close(wfd)
    meter = PipeMeter(rfd)
    t = threading.Thread(target=meter.run, daemon=True)
    t.start()
    err: list[bytes] = []
    et = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)  # type: ignore[union-attr]
    et.start()
    done = wait_child(proc, t0)
    t.join(60)
    et.join(5)
    done.stderr = b"".join(err).decode(errors="replace")[-2000:]
    return done, meter


def rss_mb(pid: int | str = "self") -> float:
    """Current RSS of a process in MB."""
    return _status_mb(pid, "VmRSS", float("nan"))


def self_cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


# -- a simulated cluster in its own process --------------------------------------------------


class SimProcess:
    """``kpodtui sim`` in its own process (so it never shares a GIL with what is measured)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.kubeconfig = workdir / "kubeconfig"
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def __enter__(self) -> SimProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen([*KPODTUI, "sim", "--kubeconfig", str(self.kubeconfig)], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 60
        for line in self.proc.stdout:
            if "serving the Kubernetes API on" in line:
                self.url = line.split(" on ")[1].split()[0]
            if line.startswith("kubeconfig:"):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the sim did not start")
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()  # drain what it says later
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kubectl(self, *args: str, stdin: str | None = None, check: bool = True) -> str:
        out = subprocess.run(["kubectl", "--kubeconfig", str(self.kubeconfig), *args], input=stdin,
                             capture_output=True, text=True, check=False)
        if check and out.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)}: {out.stderr.strip()}")
        return out.stdout

    def admin(self, method: str, path: str) -> Any:
        """A call to the sim's admin API (``/_sim/...``), e.g. the request counters."""
        import ssl
        import urllib.request

        import yaml

        cfg = yaml.safe_load(self.kubeconfig.read_text())
        token = cfg["users"][0]["user"]["token"]
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        req = urllib.request.Request(self.url + path, method=method, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
            return json.loads(resp.read() or b"null")

    def counters(self) -> dict[str, int]:
        return self.admin("GET", "/_sim/counters")

    def reset_counters(self) -> None:
        self.admin("DELETE", "/_sim/counters")

    def wait_phase(self, pod: str, phases: Sequence[str], timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            phase = self.kubectl("get", "pod", pod, "-o", "jsonpath={.status.phase}", check=False).strip()
            if phase in phases:
                return phase
            time.sleep(0.05)
        raise RuntimeError(f"pod {pod} did not reach {phases}")


def bench_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment for a kpodtui child: its own history and config, nothing of the user's."""
    env = dict(os.environ)
    env.update(KPODTUI_HOME=str(home / "home"), KPODTUI_CONFIG_DIR=str(home / "config"), **extra)
    env.pop("KUBECONFIG", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's install has its bytecode: so do the benches
    return env


def compile_sources() -> None:
    """Byte-compile kpodtui (what pip does on install): a process started with
    PYTHONDONTWRITEBYTECODE would otherwise compile every module at each start (~40 ms)."""
    import compileall

    compileall.compile_dir(str(ROOT / "kpodtui"), quiet=1)


# -- a real terminal: tmux, driven through a control-mode client ------------------------------


TMUX = ["tmux", "-L", f"kpodtui-bench-{os.getuid()}"]


def stop_tmux() -> None:
    """Stop the benches' tmux server."""
    subprocess.run([*TMUX, "kill-server"], capture_output=True)


class TmuxPane:
    """A command in a fresh tmux session of a fixed size, read and typed into through one
    control-mode client (a capture round trip is a fraction of a millisecond, no process
    started per poll). What the program shows is what the terminal shows."""

    _server_started = False

    def __init__(self, name: str, command: str, width: int = 200, height: int = 50,
                 env: dict[str, str] | None = None) -> None:
        self.name = name
        prefix = " ".join(f"{k}={shlex_quote(v)}" for k, v in (env or {}).items())
        # a server of its own (not the user's), kept up between panes by an idle session:
        # a server that exits with its last session races the next pane's start
        subprocess.run([*TMUX, "new-session", "-d", "-s", "keeper", "sleep 86400"], capture_output=True)
        if not TmuxPane._server_started:  # the server goes when the bench does, however it ends
            TmuxPane._server_started = True
            atexit.register(stop_tmux)
        subprocess.run([*TMUX, "kill-session", "-t", name], capture_output=True)
        subprocess.run([*TMUX, "new-session", "-d", "-s", name, "-x", str(width), "-y", str(height),
                        f"cd {shlex_quote(str(ROOT))} && exec env -u PYTHONDONTWRITEBYTECODE {prefix} {command}"], check=True)
        subprocess.run([*TMUX, "set-option", "-t", name, "window-size", "manual"], check=True, capture_output=True)
        self.ctl = subprocess.Popen([*TMUX, "-C", "attach", "-f", "no-output", "-t", name],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)

    def _cmd(self, command: str) -> list[str]:
        assert self.ctl.stdin is not None and self.ctl.stdout is not None
        self.ctl.stdin.write(command.encode() + b"\n")
        out = self.ctl.stdout
        while True:  # skip notifications and the attach's own block until our command's block
            line = out.readline()
            if not line:
                raise RuntimeError("tmux control client ended")
            if line.startswith(b"%begin ") and line.rstrip().endswith(b" 1"):
                tag = line.split()[1:3]
                break
        lines: list[str] = []
        while True:
            line = out.readline()
            parts = line.split()
            if line.startswith((b"%end ", b"%error ")) and parts[1:3] == tag:
                if line.startswith(b"%error"):
                    raise RuntimeError(f"tmux {command}: {' '.join(lines)}")
                return lines
            lines.append(line.decode("utf-8", "replace").rstrip("\n"))

    def screen(self) -> list[str]:
        return self._cmd(f"capture-pane -p -t {self.name}")

    def keys(self, *keys: str) -> None:
        self._cmd(f"send-keys -t {self.name} {' '.join(keys)}")

    def pid(self) -> int:
        return int(self._cmd(f"display-message -p -t {self.name} '#{{pane_pid}}'")[0])

    def close(self) -> None:
        try:
            if self.ctl.stdin:
                self.ctl.stdin.close()
            self.ctl.wait(5)
        except Exception:  # noqa: BLE001 - best effort
            self.ctl.kill()
        subprocess.run([*TMUX, "kill-session", "-t", self.name], capture_output=True)

    def wait_for(self, test: Callable[[list[str]], Any], timeout: float, poll: float = 0.01) -> Any:
        """Poll the screen until ``test(lines)`` is truthy; its value (None on timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = test(self.screen())
            if found:
                return found
            time.sleep(poll)
        return None


def shlex_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)
