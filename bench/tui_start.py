"""Time from ``kpodtui`` to its first frame, with a history of 1,000 runs, in a real terminal (tmux).

For each round, a fresh tmux pane runs the command and ``tmux capture-pane`` is
polled every 5 ms:

- *first frame*: the app's title/footer is on screen;
- *history shown*: a run id from the history is on screen (the runs screen is
  the start screen; rows come from sqlite before the engine loads);

Baselines in the same run: ``python -c pass`` (the polling floor plus the
interpreter) and a minimal Textual app (``App`` with a ``Footer``).

Run: ``.venv/bin/python bench/tui_start.py [--rounds 7] [--runs 1000]``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

MINIMAL_APP = """
from textual.app import App
from textual.widgets import Footer, Label
class Minimal(App):
    def compose(self):
        yield Label("minimal-ready")
        yield Footer()
Minimal().run()
"""


def make_history(home: Path, runs: int) -> str:
    """A history of ``runs`` finished runs (and a few live ones); returns a run id to look for."""
    os.environ["KPODTUI_HOME"] = str(home)
    from kpodtui.history import History, RunRecord

    history = History.open(home)
    now = time.time()
    newest = ""
    for i in range(runs):
        run_id = f"bench{i:05d}"
        history.add_run(
            RunRecord(
                id=run_id, task_id=f"task-{i % 13}", pod_name=f"task-{i}-abcd", namespace="default",
                state="finished", phase="Succeeded", created_at=now - 10_000 + i, started_at=now - 10_000 + i,
                finished_at=now - 9_990 + i, exit_code=0, outcome="succeeded",
            )
        )
        newest = run_id
    history.close()
    return newest


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def measure(command: str, markers: dict[str, str], env: dict[str, str], timeout: float = 10.0) -> dict[str, float]:
    """Seconds until each marker text shows in a fresh 160x50 tmux pane."""
    session = f"kpodtui-start-{os.getpid()}"
    tmux("kill-session", "-t", session)
    env_prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    t0 = time.perf_counter()
    tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "50", f"cd {ROOT} && {env_prefix} {command}; sleep 5")
    found: dict[str, float] = {}
    while len(found) < len(markers) and time.perf_counter() - t0 < timeout:
        screen = tmux("capture-pane", "-p", "-t", session)
        now = time.perf_counter() - t0
        for name, text in markers.items():
            if name not in found and text in screen:
                found[name] = now
        time.sleep(0.005)
    tmux("kill-session", "-t", session)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    if subprocess.run(["which", "tmux"], capture_output=True).returncode != 0:
        sys.exit("tmux is needed")
    tmux("start-server")
    work = Path(tempfile.mkdtemp(prefix="kpodtui-start-"))
    newest = make_history(work / "home", args.runs)
    (work / "minimal.py").write_text(MINIMAL_APP)
    env = {"KPODTUI_HOME": str(work / "home"), "KPODTUI_CONFIG_DIR": str(work / "config"), "TERM": "xterm-256color"}
    kpodtui = f"{PY} -m kpodtui"
    cases = {
        "python -c 'print(ready)' (floor)": (f"{PY} -c 'print(\"floor-ready\")'", {"first frame": "floor-ready"}),
        "minimal Textual app": (f"{PY} {work / 'minimal.py'}", {"first frame": "minimal-ready"}),
        f"kpodtui, history of {args.runs:,} runs": (
            kpodtui,
            {"first frame": "palette", "history shown": newest},
        ),
    }
    results: dict[str, dict[str, list[float]]] = {name: {} for name in cases}
    try:
        for _ in range(args.rounds):  # interleaved rounds: a noisy host hits every case alike
            for name, (command, markers) in cases.items():
                for marker, seconds in measure(command, markers, env).items():
                    results[name].setdefault(marker, []).append(seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"time to screen in a real tmux pane (160x50), {args.rounds} rounds, median (min-max) in ms")
    for name, markers in results.items():
        for marker, values in markers.items():
            print(
                f"  {name:42s} {marker:14s} {statistics.median(values) * 1000:7.0f} "
                f"({min(values) * 1000:.0f}-{max(values) * 1000:.0f})  n={len(values)}"
            )
    ours = results[f"kpodtui, history of {args.runs:,} runs"].get("first frame", [float("inf")])
    print(f"target first frame < 500 ms: {'met' if statistics.median(ours) < 0.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
