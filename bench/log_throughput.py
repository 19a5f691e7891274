"""The headless log path end to end, beside ``kubectl logs -f`` of an identical pod.

A simulated cluster runs in its own process (``kpodtui sim``). Each round, for short lines
and for 1 KB lines:

- ``kpodtui run SPEC`` (a fresh process: it creates the pod, watches it, follows its log,
  writes the log file, prints ``[base] line`` to stdout, deletes the pod at the end);
- ``kubectl logs -f`` of a pod built from the same spec (``kpodtui dry-run``, created with
  ``kubectl create``, followed once it runs).

The pod sleeps 1 s, then ``cat``s a prepared file of numbered lines (as fast as a pipe
goes), so both clients are connected before the flood and read it as fast as they can.
Each client's stdout is a pipe the bench drains in 1 MiB reads (as cheap for the writer as
/dev/null); the figure is lines / (last byte - first byte) on that pipe, and everything
printed is hashed against the expected output: every line exactly once, in order. For
kpodtui the log file in the history is checked too (its line count). The two are
interleaved round by round (the order alternating) and repeated.

    .venv/bin/python bench/log_throughput.py [--rounds 5] [--short 2000000] [--long 200000]

Printed: lines/s median (min-max) for each, the ratio kpodtui/kubectl (>= 1.0: as fast),
each client's CPU seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    KPODTUI,
    SimProcess,
    bench_env,
    compile_sources,
    interleave,
    median,
    quiet_machine_note,
    run_metered,
    spread,
)

PREFIX = b"[base] "


def make_lines(path: Path, count: int, size: int) -> tuple[str, str]:
    """A file of ``count`` unique lines of ``size`` bytes (newline included); the hashes of what
    ``kubectl logs`` and ``kpodtui run`` print of it."""
    raw = hashlib.blake2b(digest_size=16)
    ours = hashlib.blake2b(digest_size=16)
    pad = b"x" * size
    with path.open("wb") as fh:
        for start in range(0, count, 10_000):
            block = b"".join(b"line %012d " % i + pad[: size - 19] + b"\n" for i in range(start, min(count, start + 10_000)))
            fh.write(block)
            raw.update(block)
            ours.update(PREFIX + block[:-1].replace(b"\n", b"\n" + PREFIX) + b"\n")
    return raw.hexdigest(), ours.hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--short", type=int, default=2_000_000, help="short lines (64 B) per run")
    ap.add_argument("--long", type=int, default=200_000, help="1 KB lines per run")
    ap.add_argument("--only", choices=["short", "long"])
    args = ap.parse_args()
    if shutil.which("kubectl") is None:
        sys.exit("kubectl is needed (the peer)")
    compile_sources()
    work = Path(tempfile.mkdtemp(prefix="kpodtui-logbench-"))
    cases = {"short": (args.short, 64), "long": (args.long, 1024)}
    if args.only:
        cases = {args.only: cases[args.only]}
    try:
        with SimProcess(work / "sim") as sim:
            for label, (count, size) in cases.items():
                bench_case(sim, work, label, count, size, args.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def bench_case(sim: SimProcess, work: Path, label: str, count: int, size: int, rounds: int) -> None:
    data = work / f"{label}.txt"
    raw_hash, our_hash = make_lines(data, count, size)
    spec = work / f"{label}.yaml"
    spec.write_text(yaml.safe_dump({
        "task_id": f"flood-{label}", "image": "busybox:1.36", "cmds": ["sh", "-c"],
        "arguments": [f"sleep 1; cat {data}"],
    }))  # fmt: skip
    env = bench_env(work)
    manifest = yaml.safe_load(run_timed_out([*KPODTUI, "dry-run", str(spec)], env))
    seq = iter(range(1_000_000))

    def kpodtui() -> dict:
        done, meter = run_metered([*KPODTUI, "run", "--kubeconfig", str(sim.kubeconfig), str(spec)], env)
        if done.code != 0:
            raise SystemExit(f"kpodtui run failed ({done.code}): {done.stderr}")
        check(meter, count, our_hash, "kpodtui run")
        logs = sorted((work / "home" / "logs").glob("*/base.log"), key=lambda p: p.stat().st_mtime)
        on_disk = logs[-1].read_bytes().count(b"\n")
        if on_disk != count:
            raise SystemExit(f"kpodtui run: the log file holds {on_disk:,} lines, not {count:,}")
        shutil.rmtree(logs[-1].parent)
        return {"rate": count / meter.seconds, "cpu": done.cpu, "rss": done.rss_mb, "wall": done.wall}

    def kubectl() -> dict:
        name = f"kubectl-{label}-{next(seq)}"
        pod = dict(manifest, metadata={"name": name})
        sim.kubectl("create", "-f", "-", stdin=yaml.safe_dump(pod))
        sim.kubectl("wait", "--for=jsonpath={.status.phase}=Running", f"pod/{name}", "--timeout=60s", check=False)
        done, meter = run_metered(["kubectl", "--kubeconfig", str(sim.kubeconfig), "logs", "-f", name])
        if done.code != 0:
            raise SystemExit(f"kubectl logs failed ({done.code}): {done.stderr}")
        check(meter, count, raw_hash, "kubectl logs -f")
        sim.kubectl("delete", "pod", name, "--wait=false", check=False)
        return {"rate": count / meter.seconds, "cpu": done.cpu, "rss": done.rss_mb, "wall": done.wall}

    results = interleave({"kpodtui": kpodtui, "kubectl": kubectl}, rounds)
    ours = [r["rate"] for r in results["kpodtui"]]
    peer = [r["rate"] for r in results["kubectl"]]
    print(f"\n{label} lines: {count:,} x {size} B, end to end from a sim pod, {rounds} interleaved rounds "
          f"({quiet_machine_note()})")
    for name, rows in results.items():
        cmd = "kpodtui run SPEC" if name == "kpodtui" else "kubectl logs -f POD"
        print(f"  {cmd:22s} lines/s {spread([r['rate'] for r in rows]):40s} "
              f"CPU {spread([r['cpu'] for r in rows], '{:.2f}')} s, "
              f"peak RSS {spread([r['rss'] for r in rows], '{:.0f}')} MB, "
              f"process wall {spread([r['wall'] for r in rows], '{:.2f}')} s")
    print(f"  ratio kpodtui/kubectl (lines/s): {median(ours) / median(peer):.2f} "
          f"(per round: {', '.join(f'{a / b:.2f}' for a, b in zip(ours, peer, strict=True))})")


def run_timed_out(argv: list[str], env: dict[str, str]) -> str:
    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    return out.stdout


def check(meter, count: int, expected: str, who: str) -> None:
    if meter.lines != count or meter.digest.hexdigest() != expected:
        raise SystemExit(f"{who}: printed {meter.lines:,} lines of {count:,}, or not each exactly once in order")


if __name__ == "__main__":
    sys.exit(main())
