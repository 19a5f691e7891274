"""Time from ``kpodtui`` to its first frame and to its history rows, in a real terminal (tmux),
beside a minimal Textual app, with an empty history and with 100,000 runs.

Each round starts, in a fresh 160x50 tmux pane, one after the other (the order alternating
round by round):

- ``python -c 'print("floor-ready")'`` (the polling floor plus the interpreter);
- a minimal Textual app (an ``App`` with a ``Label`` and a ``Footer``): its first frame;
- ``kpodtui`` with an empty history: its first frame (the header's title: the footer's keys
  come a frame later) and the moment its runs screen says there are no runs (the list has
  been read);
- ``kpodtui`` with a history of ``--runs`` runs: its first frame and the newest run's id on
  screen (the runs screen is the start screen; it reads one page of rows, live runs first).

The pane is captured (tmux control mode) every 5 ms until the marker shows.

    .venv/bin/python bench/tui_start.py [--rounds 7] [--runs 100000]

Printed: median (min-max) per case and marker, the first frame's ratio to the minimal app's
(goal <= 1.2) and how much later the rows of 100k runs show than the empty history's
(goal <= 100 ms).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    KPODTUI,
    PY,
    TmuxPane,
    compile_sources,
    interleave,
    median,
    quiet_machine_note,
    spread,
)

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
    """A history of ``runs`` finished runs and a few live ones; the id the runs screen shows first."""
    import os

    os.environ["KPODTUI_HOME"] = str(home)
    from kpodtui.history import History, RunRecord
    from kpodtui.history.store import _RUN_COLUMNS, _to_row

    history = History.open(home)
    now = time.time()
    rows: list[tuple] = []

    def insert() -> None:
        marks = ", ".join("?" * len(rows[0]))  # as many as the store's columns, whatever they are now
        history._write(f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES ({marks})", rows, many=True)

    for i in range(runs):
        rec = RunRecord(
            id=f"bench{i:06d}", task_id=f"task-{i % 13}", pod_name=f"task-{i}-abcd", namespace="default",
            state="finished", phase="Succeeded", created_at=now - 200_000 + i, started_at=now - 200_000 + i,
            finished_at=now - 199_990 + i, exit_code=0, outcome="succeeded",
            spec_text="task_id: t\nimage: busybox\ncmds: [sh, -c, 'echo hi']\n" * 4,
        )  # fmt: skip
        rows.append(_to_row(rec))
        if len(rows) == 10_000:
            insert()
            rows.clear()
    if rows:
        insert()
    newest = history.list_runs(limit=1)
    history.close()
    return newest[0].id if newest else ""


def measure(name: str, command: str, markers: dict[str, str], env: dict[str, str], timeout: float = 15.0
            ) -> dict[str, float]:
    """Seconds from starting ``command`` until each marker's text is on screen."""
    t0 = time.perf_counter()
    pane = TmuxPane(name, command, width=160, height=50, env=env)
    found: dict[str, float] = {}
    try:
        while len(found) < len(markers) and time.perf_counter() - t0 < timeout:
            screen = "\n".join(pane.screen())
            now = time.perf_counter() - t0
            for marker, text in markers.items():
                if marker not in found and text in screen:
                    found[marker] = now
            time.sleep(0.005)
    finally:
        pane.close()
    missing = set(markers) - set(found)
    if missing:
        raise SystemExit(f"{name}: {', '.join(missing)} never showed")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--runs", type=int, default=100_000)
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("tmux is needed")
    compile_sources()
    work = Path(tempfile.mkdtemp(prefix="kpodtui-start-"))
    try:
        newest = make_history(work / "full", args.runs)
        (work / "empty").mkdir()
        (work / "minimal.py").write_text(MINIMAL_APP)
        kpodtui = " ".join(KPODTUI)

        def env(home: str) -> dict[str, str]:
            return {"KPODTUI_HOME": str(work / home), "KPODTUI_CONFIG_DIR": str(work / "config"),
                    "TERM": "xterm-256color"}

        cases = {
            "python -c print (floor)": lambda: measure(
                "st-floor", f"{PY} -c 'print(\"floor-ready\"); import time; time.sleep(9)'",
                {"first frame": "floor-ready"}, env("empty")),
            "minimal Textual app": lambda: measure(
                "st-min", f"{PY} {work / 'minimal.py'}", {"first frame": "minimal-ready"}, env("empty")),
            "kpodtui, empty history": lambda: measure(
                "st-empty", kpodtui, {"first frame": "kpodtui", "rows shown": "No runs yet"}, env("empty")),
            f"kpodtui, {args.runs:,} runs": lambda: measure(
                "st-full", kpodtui, {"first frame": "kpodtui", "rows shown": newest}, env("full")),
        }
        results = interleave(cases, args.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"time to screen in a real tmux pane (160x50), {args.rounds} interleaved rounds, ms "
          f"({quiet_machine_note()})")
    table: dict[tuple[str, str], list[float]] = {}
    for name, rounds in results.items():
        for marker in rounds[0]:
            values = [r[marker] * 1000 for r in rounds]
            table[name, marker] = values
            print(f"  {name:28s} {marker:12s} {spread(values)}")
    minimal = median(table["minimal Textual app", "first frame"])
    full = f"kpodtui, {args.runs:,} runs"
    print(f"  first frame, kpodtui ({args.runs:,} runs) / minimal app: "
          f"{median(table[full, 'first frame']) / minimal:.2f} (goal <= 1.2); empty history: "
          f"{median(table['kpodtui, empty history', 'first frame']) / minimal:.2f}")
    later = median(table[full, "rows shown"]) - median(table["kpodtui, empty history", "rows shown"])
    per_round = [a - b for a, b in zip(table[full, "rows shown"], table["kpodtui, empty history", "rows shown"],
                                       strict=True)]
    print(f"  rows of {args.runs:,} runs on screen {later:+.0f} ms after the empty history's (goal <= 100; "
          f"per round {', '.join(f'{x:+.0f}' for x in per_round)})")


if __name__ == "__main__":
    main()
