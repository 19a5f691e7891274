"""How fast and how small `kpodtui validate` refuses hostile input (target: well under 1 s, ~100 MB).

    .venv/bin/python bench/hostile_inputs.py [-n RUNS]

Each case is a fresh `python -m kpodtui validate` on a spec that used to take minutes,
gigabytes or forever (an alias bomb, nested loops in a template, a 2 GB string, a
recursive macro, /dev/zero, a named pipe...). Cases run interleaved with the peer
`validate hello.yaml` (a valid spec) so a busy machine shows in both; each is repeated
N times and printed as median and spread of the wall time, the ratio to the peer, and
the peak memory (max RSS of the command and the renderer it forks).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 1.0
TARGET_MB = 150

BOMB = "\n".join(["  a0: &a0 [x, x, x, x, x, x, x, x, x]"]
                 + [f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)])
SPECS = {
    "alias bomb (500 B)": f"task_id: t\nimage: b\nparams:\n{BOMB}\n",
    "nested range loops": "task_id: t\nimage: b\narguments: ['{% for i in range(9999) %}{% for j in range(9999) %}"
                          "{% endfor %}{% endfor %}']\n",
    "'a' * 2000000000": "task_id: t\nimage: b\narguments: [\"{{ 'a' * 2000000000 }}\"]\n",
    "center(2000000000)": "task_id: t\nimage: b\narguments: [\"{{ 'x'|center(2000000000) }}\"]\n",
    "recursive macro": "task_id: t\nimage: b\narguments: ['{% macro f(n) %}{{ f(n+1) }}{% endmacro %}{{ f(1) }}']\n",
    "{{ 1/0 }}": "task_id: t\nimage: b\narguments: ['{{ 1/0 }}']\n",
    "deep nesting": "task_id: t\nimage: b\nparams: " + "[" * 200 + "]" * 200 + "\n",
    "pod_template_file: /dev/zero": "task_id: t\nimage: b\npod_template_file: /dev/zero\n",
}


def run(argv: list[str], cwd: Path) -> tuple[float, float, int]:
    """(seconds, peak MB, exit code) of one fresh run."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--runs", type=int, default=5, help="runs per case (default 5)")
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cases: dict[str, list[str]] = {"peer: validate hello.yaml": [py, "-m", "kpodtui", "validate",
                                                                     str(ROOT / "sample_tasks/hello.yaml")]}
        for i, (label, text) in enumerate(SPECS.items()):
            (work / f"{i}.yaml").write_text(text)
            cases[label] = [py, "-m", "kpodtui", "validate", f"{i}.yaml"]
        os.mkfifo(work / "fifo")
        cases["named pipe"] = [py, "-m", "kpodtui", "validate", "fifo"]
        cases["--set with a 5000-level key"] = [py, "-m", "kpodtui", "validate", "0.yaml", "--set",
                                                "params." + ".".join(["a"] * 5000) + "=1"]
        results: dict[str, list[tuple[float, float, int]]] = {label: [] for label in cases}
        for _ in range(args.runs):  # interleaved: every case sees the same moments of the machine
            for label, argv in cases.items():
                results[label].append(run(argv, work))
    peer = statistics.median(t for t, _, _ in results["peer: validate hello.yaml"])
    print(f"{'case':34} {'median':>8} {'spread':>15} {'x peer':>7} {'peak MB':>8} {'exit':>5}   (n={args.runs})")
    bad = False
    for label, runs in results.items():
        times = [t for t, _, _ in runs]
        mb = max(m for _, m, _ in runs)
        codes = {c for _, _, c in runs}
        median = statistics.median(times)
        ok = label.startswith("peer") or (median < TARGET_S and mb < TARGET_MB and codes == {2})
        bad |= not ok
        print(f"{label:34} {median:7.3f}s {min(times):6.3f}-{max(times):6.3f}s {median / peer:6.1f}x "
              f"{mb:7.0f} {','.join(map(str, sorted(codes))):>5}{'' if ok else '   OVER TARGET'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
