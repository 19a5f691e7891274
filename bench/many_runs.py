"""Many runs at once on one cluster: API requests and CPU per run, measured per process.

A simulated cluster runs in its own process. For each count N (1, 10, 50 by default), N
clients each run one pod (busybox printing a line a second for ``--run-seconds`` s) at the
same time, one count after the other, the clients interleaved round by round:

- ``kpodtui run SPEC`` (N processes: create, watch, follow the log, record, delete);
- ``kubectl run --rm -i`` of the same pod (N processes: create, wait, attach, delete);
- a poller written with the kubernetes client as the reference operator works: create,
  read the pod every 2 s until it runs, follow its log, read it every 2 s until it ends,
  delete (N processes).

Requests per run: the sim's request counters (every request the API server answered,
the watches included) over the count's runs, divided by N. CPU per run: each process's own
user+system time (``wait4``). Every run must succeed and print all its lines.

    .venv/bin/python bench/many_runs.py [--counts 1,10,50] [--rounds 5] [--run-seconds 6]

Printed, per client and count: requests per run and CPU per run, median (min-max); flat
from 1 to 50 is the goal, and at most 7 requests and 0.8 s CPU per ``kpodtui run``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    KPODTUI,
    PY,
    ROOT,
    SimProcess,
    bench_env,
    compile_sources,
    interleave,
    quiet_machine_note,
    spread,
    wait_child,
)

POLLER = r'''
import sys, time
from kubernetes import client, config
config.load_kube_config(sys.argv[1])
name, script = sys.argv[2], sys.argv[3]
v1 = client.CoreV1Api()
v1.create_namespaced_pod("default", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
    "spec": {"restartPolicy": "Never", "containers": [{"name": "base", "image": "busybox:1.36",
                                                      "command": ["sh", "-c", script]}]}})
while v1.read_namespaced_pod(name, "default").status.phase == "Pending":
    time.sleep(2)
resp = v1.read_namespaced_pod_log(name, "default", follow=True, _preload_content=False)
for chunk in resp.stream(amt=None, decode_content=False):
    sys.stdout.buffer.write(chunk)
sys.stdout.flush()
while v1.read_namespaced_pod(name, "default").status.phase not in ("Succeeded", "Failed"):
    time.sleep(2)
v1.delete_namespaced_pod(name, "default")
'''


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--counts", default="1,10,50")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--run-seconds", type=int, default=6)
    ap.add_argument("--clients", default="kpodtui,kubectl,poller")
    args = ap.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    compile_sources()
    clients = args.clients.split(",")
    work = Path(tempfile.mkdtemp(prefix="kpodtui-many-"))
    script = f"sleep 1; for i in $(seq 1 {args.run_seconds}); do echo tick $i; sleep 1; done"
    spec = work / "many.yaml"
    spec.write_text(yaml.safe_dump({"task_id": "many", "image": "busybox:1.36", "cmds": ["sh", "-c"],
                                    "arguments": [script]}))
    (work / "poller.py").write_text(POLLER)
    env = bench_env(work)
    seq = iter(range(10**6))
    results: dict[tuple[str, int], list[dict]] = {}
    try:
        with SimProcess(work / "sim") as sim:
            kc = str(sim.kubeconfig)

            def argv_of(client: str) -> list[str]:
                name = f"{client}-{next(seq)}"
                if client == "kpodtui":
                    return [*KPODTUI, "run", "--kubeconfig", kc, str(spec)]
                if client == "kubectl":
                    return ["kubectl", "--kubeconfig", kc, "run", name, "--image=busybox:1.36", "--restart=Never",
                            "-i", "--rm", "--quiet", "--command", "--", "sh", "-c", script]
                return [PY, str(work / "poller.py"), kc, name, script]

            def batch(client: str, n: int) -> dict:
                sim.reset_counters()
                procs, outs, threads = [], [], []
                t0 = time.perf_counter()
                for _ in range(n):
                    p = subprocess.Popen(argv_of(client), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL)
                    out: list[bytes] = []
                    th = threading.Thread(target=lambda p=p, out=out: out.append(p.stdout.read()), daemon=True)
                    th.start()
                    procs.append(p)
                    outs.append(out)
                    threads.append(th)
                done = [wait_child(p, t0) for p in procs]
                for th in threads:
                    th.join(30)
                wall = time.perf_counter() - t0
                for d, out in zip(done, outs, strict=True):
                    ticks = b"".join(out).count(b"tick ")
                    if d.code != 0 or ticks < args.run_seconds - (1 if client == "kubectl" else 0):
                        raise SystemExit(f"{client}: a run failed (exit {d.code}, {ticks} of {args.run_seconds} lines)")
                requests = sum(v for k, v in sim.counters().items() if "/_sim/" not in k)
                return {"requests": requests / n, "cpu": sum(d.cpu for d in done) / n, "wall": wall}

            for n in counts:
                got = interleave({c: (lambda c=c, n=n: batch(c, n)) for c in clients}, args.rounds)
                for c, rows in got.items():
                    results[c, n] = rows
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nmany runs at once on one sim: a pod printing {args.run_seconds} lines, {args.rounds} interleaved rounds "
          f"per count ({quiet_machine_note()})")
    for c in clients:
        print(f"  {c}")
        for n in counts:
            rows = results[c, n]
            print(f"    {n:3d} at once: requests/run {spread([r['requests'] for r in rows], '{:.1f}')}, "
                  f"CPU/run {spread([r['cpu'] for r in rows], '{:.2f}')} s, "
                  f"all done in {spread([r['wall'] for r in rows], '{:.1f}')} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
