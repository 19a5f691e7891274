"""How fast the simulated cluster serves: simple GETs, log lines, pods run to completion.

Runs ``kpodtui sim`` as a separate process (so the readers here do not share
its GIL) and talks raw HTTP(S) to it:

* simple GETs per second on one keep-alive connection (``GET .../pods/{name}``);
* log lines per second (100-byte lines) read by a raw HTTP reader from one
  ``follow=true`` stream, and from 20 concurrent ones;
* pods created and run to completion per second, 200 at once.

Figures are printed, nothing is asserted. The log and pod figures need the
kubelet half of the sim; without it they are reported as unavailable.

    .venv/bin/python bench/sim_throughput.py [--seconds 2] [--lines 300000] [--pods 200]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

NS = "default"
PODS = f"/api/v1/namespaces/{NS}/pods"


class Sim:
    """A ``kpodtui sim`` subprocess and what is needed to talk to it."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="kpodtui-bench-"))
        kc = self.dir / "kubeconfig"
        self.proc = subprocess.Popen([sys.executable, "-m", "kpodtui", "sim", "--kubeconfig", str(kc)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if "export KUBECONFIG=" in line:
                break
        else:
            raise RuntimeError("kpodtui sim did not start")
        cfg = yaml.safe_load(kc.read_text())
        cluster = cfg["clusters"][0]["cluster"]
        self.url = cluster["server"]
        self.token = cfg["users"][0]["user"]["token"]
        self.host, port = self.url.split("://", 1)[1].split(":")
        self.port = int(port)
        self.ssl: ssl.SSLContext | None = None
        if "certificate-authority-data" in cluster:
            ca = self.dir / "ca.crt"
            ca.write_bytes(base64.b64decode(cluster["certificate-authority-data"]))
            self.ssl = ssl.create_default_context(cafile=str(ca))

    def connect(self, timeout: float = 120) -> http.client.HTTPConnection:
        if self.ssl is not None:
            return http.client.HTTPSConnection(self.host, self.port, context=self.ssl, timeout=timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    def request(self, method: str, path: str, body: Any = None, conn: http.client.HTTPConnection | None = None) -> Any:
        own = conn is None
        conn = conn or self.connect()
        try:
            conn.request(method, path, body=None if body is None else json.dumps(body), headers=self.headers())
            resp = conn.getresponse()
            data = resp.read()
            if resp.status >= 300:
                raise RuntimeError(f"{method} {path}: {resp.status} {data[:300]!r}")
            return json.loads(data) if data else None
        finally:
            if own:
                conn.close()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def bench_gets(sim: Sim, seconds: float) -> float:
    """Sequential GETs of one pod on one keep-alive connection."""
    sim.request("POST", PODS, {"metadata": {"name": "get-target"},
                               "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"]}]}})
    conn = sim.connect()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        sim.request("GET", f"{PODS}/get-target", conn=conn)
        n += 1
    elapsed = time.perf_counter() - start
    conn.close()
    return n / elapsed


def _wait_phase(sim: Sim, name: str, phases: set[str], timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    conn = sim.connect()
    try:
        while time.monotonic() < deadline:
            phase = sim.request("GET", f"{PODS}/{name}", conn=conn)["status"].get("phase", "")
            if phase in phases:
                return phase
            time.sleep(0.05)
    finally:
        conn.close()
    raise TimeoutError(f"pod {name} not in {phases}")


def read_log(sim: Sim, name: str) -> tuple[int, int, float]:
    """Read a whole follow stream; (lines, bytes, seconds from request to the terminating chunk)."""
    conn = sim.connect()
    start = time.perf_counter()
    conn.request("GET", f"{PODS}/{name}/log?follow=true", headers=sim.headers())
    resp = conn.getresponse()
    if resp.status != 200:
        raise RuntimeError(f"log {name}: {resp.status} {resp.read()[:200]!r}")
    lines = nbytes = 0
    while True:
        chunk = resp.read1(1 << 20) if hasattr(resp, "read1") else resp.read(1 << 20)
        if not chunk:
            break
        lines += chunk.count(b"\n")
        nbytes += len(chunk)
    elapsed = time.perf_counter() - start
    conn.close()
    return lines, nbytes, elapsed


def bench_logs(sim: Sim, lines: int, streams: int) -> tuple[float, float, int]:
    """Lines/s on one stream and, in total, on ``streams`` concurrent ones (a finished container's log)."""
    # 99 characters + newline = 100-byte lines, produced as fast as the container can.
    script = f"yes {'x' * 98} | head -n {lines}"
    sim.request("POST", PODS, {"metadata": {"name": "logs"}, "spec": {"restartPolicy": "Never", "containers": [
        {"name": "c", "image": "busybox", "command": ["sh", "-c", script]}]}})
    _wait_phase(sim, "logs", {"Succeeded", "Failed"})
    got, _, secs = read_log(sim, "logs")
    one = got / secs
    start = time.perf_counter()
    with ThreadPoolExecutor(streams) as pool:
        results = list(pool.map(lambda _: read_log(sim, "logs"), range(streams)))
    total = sum(r[0] for r in results) / (time.perf_counter() - start)
    return one, total, got


def bench_pods(sim: Sim, count: int) -> tuple[float, float]:
    """Create ``count`` pods at once (8 client threads) and wait until all have Succeeded."""
    done = threading.Event()
    succeeded: set[str] = set()
    rv = sim.request("GET", f"{PODS}?limit=1")["metadata"]["resourceVersion"]

    def watcher() -> None:
        conn = sim.connect()
        conn.request("GET", f"{PODS}?watch=true&labelSelector=bench%3Dpods&resourceVersion={rv}&timeoutSeconds=300",
                      headers=sim.headers())
        resp = conn.getresponse()
        buf = b""
        while not done.is_set():
            chunk = resp.read1(1 << 16)
            if not chunk:
                break
            buf += chunk
            *complete, buf = buf.split(b"\n")
            for line in complete:
                if not line:
                    continue
                obj = json.loads(line)["object"]
                if obj.get("status", {}).get("phase") in ("Succeeded", "Failed"):
                    succeeded.add(obj["metadata"]["name"])
                    if len(succeeded) >= count:
                        done.set()
        conn.close()

    t = threading.Thread(target=watcher, daemon=True)
    t.start()
    time.sleep(0.2)  # let the watch open before the first create
    local = threading.local()

    def create(i: int) -> None:
        if not hasattr(local, "conn"):
            local.conn = sim.connect()
        sim.request("POST", PODS, {"metadata": {"name": f"bench-{i}", "labels": {"bench": "pods"}},
                                   "spec": {"restartPolicy": "Never", "containers": [
                                       {"name": "c", "image": "busybox", "command": ["true"]}]}}, conn=local.conn)

    start = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(count)))
    created = time.perf_counter() - start
    if not done.wait(300):
        raise TimeoutError(f"only {len(succeeded)}/{count} pods finished")
    total = time.perf_counter() - start
    return count / created, count / total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="how long to run the GET benchmark")
    ap.add_argument("--lines", type=int, default=300_000, help="log lines the benchmark container writes")
    ap.add_argument("--streams", type=int, default=20, help="concurrent log streams")
    ap.add_argument("--pods", type=int, default=200, help="pods created at once")
    args = ap.parse_args(argv)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sim = Sim()
    try:
        print(f"sim: {sim.url}")
        print(f"simple GETs:            {bench_gets(sim, args.seconds):10,.0f} /s  (one keep-alive connection)")
        has_kubelet = bool(sim.request("GET", "/api/v1/nodes")["items"])
        if not has_kubelet:
            print("log lines and pods:     n/a (the sim's kubelet half is not installed)")
            return 0
        try:
            one, many, n = bench_logs(sim, args.lines, args.streams)
            print(f"log lines, 1 stream:    {one:10,.0f} /s  ({n:,} lines of 100 bytes, follow=true)")
            print(f"log lines, {args.streams} streams:  {many:10,.0f} /s  (total)")
        except Exception as exc:  # report and go on: one broken figure should not hide the others
            print(f"log lines:              failed: {exc}")
        try:
            created, completed = bench_pods(sim, args.pods)
            print(f"pods created:           {created:10,.1f} /s  ({args.pods} at once)")
            print(f"pods run to completion: {completed:10,.1f} /s")
        except Exception as exc:
            print(f"pods:                   failed: {exc}")
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
