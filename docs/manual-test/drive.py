"""The app's manual test (docs/MANUAL-TEST.md), driven through tmux: the same keys, the same checks.

    .venv/bin/python docs/manual-test/drive.py 160x48
    .venv/bin/python docs/manual-test/drive.py 80x24

Starts ``kpodtui --sim docs/manual-test/walkthrough.yaml`` in a tmux server of its own (``-L``)
with a fresh KPODTUI_HOME, presses what a person would, and waits (with a timeout) for what the
page says each step shows. Prints each step and ``passed``, or the screen where a check failed
(exit 1). ``--keep`` leaves the tmux session for a look (``tmux -L kpodtui-manual attach``).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOCKET = "kpodtui-manual"


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True, timeout=30).stdout


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", "t")


def keys(*pressed: str, literal: bool = False) -> None:
    tmux("send-keys", "-t", "t", *(["-l"] if literal else []), *pressed)
    time.sleep(0.3)


def wait_for(*texts: str, timeout: float = 30, absent: tuple[str, ...] = ()) -> str:
    """Until the pane shows every one of ``texts`` and none of ``absent``."""
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = screen()
        if all(t in shown for t in texts) and not any(t in shown for t in absent):
            return shown
        time.sleep(0.2)
    raise AssertionError(f"waited {timeout:.0f} s for {texts!r} (without {absent!r}); the pane shows:\n{shown}")


def step(title: str) -> None:
    print(f"- {title}", flush=True)


def main() -> int:
    size = next((a for a in sys.argv[1:] if "x" in a and a[0].isdigit()), "160x48")
    width, height = (int(n) for n in size.split("x"))
    home = Path(tempfile.mkdtemp(prefix="kpodtui-manual-"))
    env = {"KPODTUI_HOME": str(home / "home"), "KPODTUI_CONFIG_DIR": str(home / "config")}
    command = (f"cd {shlex.quote(str(ROOT))} && env " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
               + f" {shlex.quote(sys.executable)} -m kpodtui --sim docs/manual-test/walkthrough.yaml;"
               " echo exited-$?; sleep 600")
    tmux("kill-server")  # one left by --keep
    time.sleep(0.5)
    tmux("new-session", "-d", "-x", str(width), "-y", str(height), "-s", "t", command)
    try:
        run(env)
        print(f"passed at {size}")
        return 0
    except AssertionError as exc:
        print(f"FAILED at {size}: {exc}")
        return 1
    finally:
        if "--keep" not in sys.argv:
            tmux("kill-server")


def run(env: dict[str, str]) -> None:
    step("launch: the tasks list shows the given spec first; o asks for --set overrides")
    wait_for("walkthrough", "Launch")
    keys("o")
    wait_for("overrides")
    keys("params.greeting=bonjour", literal=True)
    keys("Enter")
    wait_for("tick 2: bonjour", "Running", "params.greeting=bonjour", timeout=60)

    step("describe (d): kubectl's order; q goes back to the run, not out of the app")
    keys("d")
    wait_for("Name:", "Namespace:", "Containers:")
    keys("G")  # the end, as in less
    wait_for("Events:", "Scheduled")
    keys("q")
    wait_for("tick", "Kill")

    step("shell (s): the app steps aside for sh in the pod, exit comes back")
    keys("s")
    wait_for("exit the shell to go back")
    keys('echo "shell in $(hostname)"', literal=True)
    keys("Enter")
    wait_for("shell in walkthrough-")
    keys("exit", literal=True)
    keys("Enter")
    wait_for("back from sh", "Kill")

    step("keep (K) asks, K again undoes; kill (x) asks, the run ends Killed")
    keys("K")
    wait_for("Keep the pod?")
    keys("y")
    wait_for("pod kept at the end", "Don't keep")
    keys("K")
    wait_for("Stop keeping the pod?")
    keys("y")
    wait_for("keep undone", absent=("pod kept at the end",))
    keys("x")
    wait_for("Kill this run?")
    keys("y")
    wait_for("Killed", "ended", timeout=60)

    step("rerun with edits (e): the overrides are offered, a short run is kept and ends Succeeded")
    keys("e")
    wait_for("params.greeting=bonjour")
    keys(" params.ticks=8", literal=True)
    keys("Enter")
    wait_for("tick 1: bonjour", timeout=60)
    keys("K")
    wait_for("Keep the pod?")
    keys("y")
    wait_for("Succeeded", "done after 8 ticks", "pod kept", timeout=60)

    step("delete the kept pod (x): asked, then gone; the view says so")
    keys("x")
    wait_for("Delete the kept pod?")
    keys("y")
    wait_for("deleted", absent=("pod kept (x",), timeout=30)

    step("runs list (q back, F3): the three runs, their states and reasons; r reruns the killed one, "
         "--set kept")
    keys("q")
    keys("F3")
    wait_for("Killed", "Succeeded")
    keys("G")  # the last row: the oldest run, the killed one (live runs first, then newest first)
    keys("r")
    wait_for("tick 1: bonjour", "params.greeting=bonjour", timeout=60)

    step("help (?) lists the run view's keys; q back, q back to the list; q there asks before quitting")
    keys("?")
    wait_for("Describe", "Shell", "Keep")
    keys("q")
    wait_for("tick", "Kill")
    keys("q")  # the run view: back to the runs list
    wait_for("Killed", "Succeeded", "Quit")
    keys("q")  # the list: quit, asking about the live run
    wait_for("Kill them (k)", timeout=10)
    keys("k")  # kill the live run and quit (with --sim the runs cannot outlive the app)
    wait_for("exited-0", timeout=60)
    os.environ.update(env)


if __name__ == "__main__":
    sys.exit(main())
