"""How long the commands that need no cluster take, beside ``python -c pass``, interleaved.

Each round runs every command once as a fresh process (``python -m kpodtui ...``), the order
alternating round by round, so a busy moment of the machine hits every command alike:

- ``python -c pass`` (the peer: the interpreter and the virtualenv's site start-up);
- ``kpodtui --help``;
- ``kpodtui validate hello.yaml`` (a spec without templates: no template engine loads);
- ``kpodtui validate templated.yaml`` (with templates);
- ``kpodtui dry-run hello.yaml``;
- ``kpodtui runs`` with an empty history and with ``--runs`` runs (the first page of 50
  rows read from the index), and ``runs --limit N`` of all of them (streamed: its peak RSS
  beside the first page's).

    .venv/bin/python bench/cli_start.py [--rounds 15] [--runs 100000]

Printed: median (min-max) seconds and the ratio to ``python -c pass`` (goal for ``validate``
of a spec without templates: <= 3), and for ``runs`` the ratio of 100k runs to an empty
history (goal <= 1.5).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    KPODTUI,
    PY,
    bench_env,
    compile_sources,
    interleave,
    median,
    quiet_machine_note,
    run_timed,
    spread,
)  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--runs", type=int, default=100_000)
    args = parser.parse_args()
    compile_sources()
    work = Path(tempfile.mkdtemp(prefix="kpodtui-cli-"))
    try:
        from tui_start import make_history

        make_history(work / "full" / "home", args.runs)
        (work / "empty" / "home").mkdir(parents=True)
        empty, full = bench_env(work / "empty"), bench_env(work / "full")

        def case(argv: list[str], env: dict[str, str] = empty):
            def run() -> tuple[float, float]:
                done = run_timed(argv, env=env)
                if done.code != 0:
                    raise SystemExit(f"{' '.join(argv)} failed ({done.code}): {done.stderr}")
                return done.wall, done.rss_mb

            return run

        cases = {
            "python -c pass": case([PY, "-c", "pass"]),
            "kpodtui --help": case([*KPODTUI, "--help"]),
            "kpodtui validate hello.yaml": case([*KPODTUI, "validate", "sample_tasks/hello.yaml"]),
            "kpodtui validate templated.yaml": case([*KPODTUI, "validate", "sample_tasks/templated.yaml"]),
            "kpodtui dry-run hello.yaml": case([*KPODTUI, "dry-run", "sample_tasks/hello.yaml"]),
            "kpodtui runs (empty history)": case([*KPODTUI, "runs"]),
            f"kpodtui runs ({args.runs:,} runs)": case([*KPODTUI, "runs"], full),
            f"kpodtui runs --limit {args.runs}": case([*KPODTUI, "runs", "--limit", str(args.runs)], full),
        }
        results = interleave(cases, args.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = median([w for w, _ in results["python -c pass"]])
    print(f"fresh processes, {args.rounds} interleaved rounds, seconds ({quiet_machine_note()})")
    for name, rows in results.items():
        walls = [w for w, _ in rows]
        print(f"  {name:34s} {spread(walls, '{:.3f}'):36s} x{median(walls) / base:4.1f} of python -c pass; "
              f"peak RSS {spread([r for _, r in rows], '{:.0f}')} MB")
    empty_runs = median([w for w, _ in results["kpodtui runs (empty history)"]])
    full_runs = median([w for w, _ in results[f"kpodtui runs ({args.runs:,} runs)"]])
    validate = median([w for w, _ in results["kpodtui validate hello.yaml"]])
    print(f"  validate (no templates) / python -c pass: {validate / base:.1f} (goal <= 3); "
          f"runs at {args.runs:,} / empty: {full_runs / empty_runs:.2f} (goal <= 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
