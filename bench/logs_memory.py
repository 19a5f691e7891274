"""``kpodtui logs RUN`` of a big recorded log: peak RSS and time, beside ``cat`` of the same files.

A history is made with one finished run whose two containers (``base`` and ``side``) have
log files of ``--mb`` MB together (100 B lines, the stamps interleaved, so the two files are
merged by time as ``logs RUN`` does for any run of several containers; they take turns every
``--run-lines`` lines). Each round runs,
interleaved (the order alternating):

- ``kpodtui logs RUN`` (its stdout a pipe the bench drains in 1 MiB reads);
- ``cat`` of the two log files (the peer: reading the same bytes, in constant memory).

Every line printed is counted (all of them must arrive). No cluster is involved.

    .venv/bin/python bench/logs_memory.py [--mb 1024] [--rounds 5] [--run-lines 1000]

Printed: peak RSS (MB) and wall seconds, median (min-max), for each; the goal for kpodtui is
a peak RSS under 80 MB for a 1 GB log (streamed: constant memory whatever the log's size).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    KPODTUI,
    bench_env,
    compile_sources,
    interleave,
    median,
    quiet_machine_note,
    run_metered,
    spread,
)

LINE_BYTES = 100
BLOCK = 50_000  # lines written per chunk


def make_history(work: Path, mb: int, run_lines: int) -> tuple[str, list[Path], int]:
    """A history under ``work/home`` with one finished run of ``mb`` MB of logs, its two containers
    taking turns every ``run_lines`` lines: (run id, files, lines)."""
    os.environ["KPODTUI_HOME"] = str(work / "home")
    from kpodtui.history import History, RunRecord
    from kpodtui.loglines import LogChunk

    history = History.open(work / "home")
    now = time.time()
    rec = history.add_run(RunRecord(
        id="bench000001", task_id="big", pod_name="big-abcd", namespace="default", state="finished",
        phase="Succeeded", created_at=now - 3600, started_at=now - 3600, finished_at=now - 60,
        exit_code=0, outcome="succeeded", spec_text="task_id: big\nimage: busybox\n",
    ))  # fmt: skip
    text = b"x" * (LINE_BYTES - 31 - 9 - 1)  # a stamp, a space, a number, a space, the text, a newline
    per = mb * 1024 * 1024 // LINE_BYTES // 2  # lines per container
    writers = {c: history.open_log(rec.id, c) for c in ("base", "side")}
    t0 = 1_767_225_600  # 2026-01-01T00:00:00Z
    for start in range(0, per, BLOCK):
        for k, (container, writer) in enumerate(writers.items()):
            lines = []
            for i in range(start, min(per, start + BLOCK)):
                # runs of run_lines lines each, the containers taking turns: line i of a
                # container is stamped i // run_lines turns and its place in its run
                turn, place = divmod(i, run_lines)
                tick = (2 * turn + k) * run_lines + place  # microseconds since t0
                sec, micro = divmod(tick, 1_000_000)
                ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t0 + sec)).encode()
                lines.append(b"%s.%06d000Z %08d %s" % (ts, micro, i, text))
            writer.append(LogChunk(container, b"\n".join(lines) + b"\n"))
    files = [history.log_path(rec.id, c) for c in writers]
    history.save_cursors(rec.id, {c: w.cursor for c, w in writers.items()})
    for w in writers.values():
        w.close()
    history.close()
    lines_total = sum(w.cursor.lines for w in writers.values())
    return rec.id, files, lines_total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=1024, help="MB of log (both containers together)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--run-lines", type=int, default=1000,
                    help="lines a container prints before the other's next (1: line by line, the slowest merge)")
    args = ap.parse_args()
    compile_sources()
    work = Path(tempfile.mkdtemp(prefix="kpodtui-logsmem-"))
    try:
        run_id, files, lines = make_history(work, args.mb, args.run_lines)
        size = sum(f.stat().st_size for f in files) / 1024 / 1024
        env = bench_env(work)

        def case(argv: list[str]) -> object:
            def go() -> tuple[float, float]:
                done, meter = run_metered(argv, env)
                if done.code != 0 or meter.lines != lines:
                    raise SystemExit(f"{argv[-1]}: exit {done.code}, {meter.lines:,} of {lines:,} lines\n{done.stderr}")
                return done.rss_mb, done.wall
            return go

        results = interleave({
            "kpodtui logs RUN": case([*KPODTUI, "logs", run_id]),
            "cat (the log files)": case(["cat", *map(str, files)]),
        }, args.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\na recorded log of {size:,.0f} MB ({lines:,} lines, 2 containers taking turns every "
          f"{args.run_lines:,} lines), {args.rounds} interleaved rounds "
          f"({quiet_machine_note()})")
    for name, rows in results.items():
        print(f"  {name:22s} peak RSS {spread([r[0] for r in rows], '{:.0f}')} MB, "
              f"wall {spread([r[1] for r in rows], '{:.2f}')} s")
    k = results["kpodtui logs RUN"]
    c = results["cat (the log files)"]
    print(f"  kpodtui peak RSS {median([r[0] for r in k]):.0f} MB (goal < 80 MB for 1 GB); "
          f"wall ratio kpodtui/cat {median([r[1] for r in k]) / median([r[1] for r in c]):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
