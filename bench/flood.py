"""A flood: a pod printing millions of lines as fast as it can, through ``kpodtui run``.

Checks, every round, that ``kpodtui run`` delivers every line to stdout and to the run's
log file and exits 0 (a chatty pod used to lose most of its log once the base container
had exited: the pod was deleted 30 s later, mid-read), and times it beside ``kubectl`` doing
the same job on an identical pod in the same run (interleaved, repeated):

- kpodtui: ``kpodtui run SPEC > file`` (create, follow, verdict, delete);
- kubectl: ``kubectl create -f pod.json``, ``kubectl logs -f POD > file`` (retried while the
  container is still being created), ``kubectl delete pod --wait=false``; the ``logs -f``
  part alone is printed too.

Both talk to the same simulated cluster (started here), whose containers are local
processes, so the machine's cores are shared by the container, the sim and the client.

    .venv/bin/python bench/flood.py [--lines 2000000] [--repeat 5]

Needs ``kubectl`` on the PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


def kpodtui_round(spec: Path, kubeconfig: str, out: Path, env: dict[str, str], lines: int) -> float:
    started = time.perf_counter()
    with open(out, "wb") as fh:
        proc = subprocess.run([sys.executable, "-m", "kpodtui", "run", str(spec), "--kubeconfig", kubeconfig],
                              stdout=fh, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    took = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"kpodtui run exited {proc.returncode}: {proc.stderr.decode()[-1000:]}")
    got = count_lines(out)
    run_id = re.search(r"run (\w+) of task", proc.stderr.decode()).group(1)  # type: ignore[union-attr]
    on_disk = count_lines(Path(env["KPODTUI_HOME"]) / "logs" / run_id / "base.log")
    if got != lines or on_disk != lines:
        raise SystemExit(f"kpodtui run delivered {got:,} lines to stdout and {on_disk:,} to its log file, "
                         f"not {lines:,}")
    return took


def kubectl_round(kubectl: str, pod: dict, kubeconfig: str, out: Path, lines: int) -> tuple[float, float]:
    env = {**os.environ, "KUBECONFIG": kubeconfig}
    name = pod["metadata"]["name"]
    started = time.perf_counter()
    subprocess.run([kubectl, "create", "-f", "-"], input=json.dumps(pod).encode(), env=env, check=True,
                   capture_output=True)
    while True:  # `kubectl logs -f` refuses a container still being created: ask again
        logs_started = time.perf_counter()
        with open(out, "wb") as fh:
            proc = subprocess.run([kubectl, "logs", "-f", name], stdout=fh, stderr=subprocess.PIPE, env=env)
        if proc.returncode == 0:
            break
        if b"waiting to start" not in proc.stderr and b"ContainerCreating" not in proc.stderr:
            raise SystemExit(f"kubectl logs failed: {proc.stderr.decode()}")
        time.sleep(0.05)
    logs_took = time.perf_counter() - logs_started
    subprocess.run([kubectl, "delete", "pod", name, "--wait=false"], env=env, check=True, capture_output=True)
    took = time.perf_counter() - started
    got = count_lines(out)
    if got != lines:
        raise SystemExit(f"kubectl logs -f delivered {got:,} lines, not {lines:,}")
    return took, logs_took


def describe(values: list[float]) -> str:
    return f"median {statistics.median(values):6.2f} s  (min {min(values):.2f}, max {max(values):.2f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise SystemExit("kubectl is not on the PATH: the peer this bench measures against")
    from kpodtui.sim.cluster import SimCluster

    work = Path(tempfile.mkdtemp(prefix="kpodtui-flood-"))
    sim = SimCluster.start(workdir=work / "sim")
    env = {**os.environ, "KPODTUI_HOME": str(work / "home")}
    command = ["sh", "-c", f"seq 1 {args.lines}"]
    spec = work / "flood.yaml"
    spec.write_text(f"task_id: flood\nimage: busybox\ncmds: {json.dumps(command)}\n")
    out = work / "out.txt"
    ours: list[float] = []
    theirs: list[float] = []
    theirs_logs: list[float] = []
    try:
        for i in range(args.repeat):
            # interleaved, the order alternating: neither always gets the warmer machine
            legs = ["kpodtui", "kubectl"] if i % 2 == 0 else ["kubectl", "kpodtui"]
            for leg in legs:
                if leg == "kpodtui":
                    ours.append(kpodtui_round(spec, str(sim.kubeconfig_path), out, env, args.lines))
                else:
                    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"flood-kubectl-{i}"},
                           "spec": {"restartPolicy": "Never",
                                    "containers": [{"name": "base", "image": "busybox", "command": command}]}}
                    took, logs_took = kubectl_round(kubectl, pod, str(sim.kubeconfig_path), out, args.lines)
                    theirs.append(took)
                    theirs_logs.append(logs_took)
            print(f"round {i + 1}: kpodtui run {ours[-1]:.2f} s, kubectl {theirs[-1]:.2f} s "
                  f"(logs -f {theirs_logs[-1]:.2f} s)", file=sys.stderr)
    finally:
        sim.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.lines:,} lines, {args.repeat} rounds each, interleaved; every kpodtui run delivered every line "
          "to stdout and to its log file, and exited 0")
    print(f"kpodtui run (create, follow, verdict, delete)   {describe(ours)}   "
          f"{args.lines / statistics.median(ours):,.0f} lines/s")
    print(f"kubectl create + logs -f + delete              {describe(theirs)}   "
          f"{args.lines / statistics.median(theirs):,.0f} lines/s")
    print(f"  kubectl logs -f alone                        {describe(theirs_logs)}")
    print(f"ratio kpodtui / kubectl (medians)              {statistics.median(ours) / statistics.median(theirs):.2f}")


if __name__ == "__main__":
    main()
