"""How long `kpodtui --help` and `kpodtui validate` take to start (budget: 0.3 s).

    .venv/bin/python bench/cli_start.py [-n RUNS]

Runs each command N times as a fresh subprocess (python -m kpodtui ...) and
prints the best and the median wall time, next to `python -c pass` measured in
the same run, so a slow machine shows up as a slow baseline rather than as a
slow kpodtui.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = 0.3


def measure(argv: list[str], runs: int) -> list[float]:
    """Wall-clock seconds of ``runs`` fresh runs of ``argv``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--runs", type=int, default=15, help="runs per command (default 15)")
    args = parser.parse_args()
    py = sys.executable
    cases = {
        "python -c pass (baseline)": [py, "-c", "pass"],
        "kpodtui --help": [py, "-m", "kpodtui", "--help"],
        "kpodtui validate hello.yaml": [py, "-m", "kpodtui", "validate", "sample_tasks/hello.yaml"],
        "kpodtui validate templated.yaml": [py, "-m", "kpodtui", "validate", "sample_tasks/templated.yaml"],
        "kpodtui dry-run hello.yaml": [py, "-m", "kpodtui", "dry-run", "sample_tasks/hello.yaml"],
    }
    over = False
    print(f"{'command':34} {'best':>8} {'median':>8}   (n={args.runs}, budget {BUDGET_S:.2f} s)")
    for label, argv in cases.items():
        times = measure(argv, args.runs)
        best, median = min(times), statistics.median(times)
        flag = ""
        if label.startswith("kpodtui --help") or label.startswith("kpodtui validate"):
            flag = "  ok" if median < BUDGET_S else "  OVER BUDGET"
            over |= median >= BUDGET_S
        print(f"{label:34} {best:7.3f}s {median:7.3f}s{flag}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
