"""Lines per second from one container's log stream to headless stdout.

The whole client path kpodtui runs for ``kpodtui run``: the official client's
transport (``call_api``, ``resp.stream()``), line splitting with the resume
filter, the log file on disk, the ``LogBatch`` event and the headless printer
(writing to /dev/null). The stream comes from a minimal chunked HTTP server in
this process that serves a pod log the way the kubelet does (``<RFC3339Nano>
<line>\\n``, 100-byte lines, 64 KiB chunks) so the server is never the limit.

    .venv/bin/python bench/log_throughput.py [--lines 1000000] [--chunk 65536]

With ``--sim`` the log comes from the simulated cluster's real log endpoint
instead: a pod whose container writes ``--lines`` lines of 100 bytes (with the
kubelet's timestamp) runs to completion, then its log is followed as
``kpodtui run`` follows it. Server and client then share the machine's cores,
so this is the end-to-end figure; the default mode is the client side alone.

    .venv/bin/python bench/log_throughput.py --sim [--lines 1000000]

Target: at least 200,000 lines/s of 100 bytes.
"""

from __future__ import annotations

import argparse
import os
import socket
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def make_server(lines: int, chunk: int) -> ThreadingHTTPServer:
    ts = "2026-01-01T00:00:00.000000000Z "
    body_line = (ts + "x" * (100 - len(ts) - 1) + "\n").encode()
    per_chunk = max(1, chunk // len(body_line))
    blob = body_line * per_chunk

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):  # quiet
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            left = lines
            while left > 0:
                n = min(per_chunk, left)
                data = blob if n == per_chunk else body_line * n
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                left -= n
            self.wfile.write(b"0\r\n\r\n")

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--chunk", type=int, default=65536)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sim", action="store_true", help="read from the simulated cluster's log endpoint")
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="kpodtui-bench-")
    os.environ["KPODTUI_HOME"] = home
    if args.sim:
        sim_mode(args)
        return

    from kpodtui.engine.events import LogBatch
    from kpodtui.headless.output import HeadlessPrinter
    from kpodtui.history import History, RunRecord
    from kpodtui.kube.api import KubeApi
    from kpodtui.kube.config import ClusterTarget, connect
    from kpodtui.kube.logs import LogFollower

    srv = make_server(args.lines, args.chunk)
    kc = Path(home) / "kubeconfig"
    kc.write_text(
        f"clusters:\n- name: b\n  cluster: {{server: 'http://127.0.0.1:{srv.server_address[1]}'}}\n"
        "contexts:\n- name: b\n  context: {cluster: b}\ncurrent-context: b\n"
    )
    api = KubeApi(connect(ClusterTarget(kubeconfig=str(kc))))
    history = History.open()
    results = []
    for i in range(args.repeat):
        run_id = f"bench{i}"
        history.add_run(RunRecord(id=run_id, task_id="bench"))
        writer = history.open_log(run_id, "base")
        sink = open(os.devnull, "wb")  # noqa: SIM115 - closed below
        printer = HeadlessPrinter(out=sink)

        def deliver(lines, writer=writer, printer=printer, run_id=run_id):
            writer.append(lines)
            printer(LogBatch(run_id, tuple(lines)))

        f = LogFollower(api, "default", "p", "base", writer.cursor, deliver, finished=lambda: True)
        t0 = time.perf_counter()
        f.start().join(300)
        dt = time.perf_counter() - t0
        sink.close()
        writer.close()
        assert printer.lines == args.lines, (printer.lines, args.lines)
        results.append(args.lines / dt)
        print(f"run {i + 1}: {args.lines:,} lines in {dt:.2f}s = {args.lines / dt:,.0f} lines/s")
    results.sort()
    print(f"median: {results[len(results) // 2]:,.0f} lines/s of 100 bytes "
          f"(chunks of {args.chunk} B; target >= 200,000) [{socket.gethostname()}]")
    srv.shutdown()


def follow_once(api, namespace: str, pod: str, run_id: str, expect: int) -> float:
    """Follow one container log to its end through the headless path; seconds taken."""
    from kpodtui.engine.events import LogBatch
    from kpodtui.headless.output import HeadlessPrinter
    from kpodtui.history import History, RunRecord
    from kpodtui.kube.logs import LogFollower

    history = History.open()
    history.add_run(RunRecord(id=run_id, task_id="bench"))
    writer = history.open_log(run_id, "base")
    with open(os.devnull, "wb") as sink:
        printer = HeadlessPrinter(out=sink)

        def deliver(lines):
            writer.append(lines)
            printer(LogBatch(run_id, tuple(lines)))

        f = LogFollower(api, namespace, pod, "base", writer.cursor, deliver, finished=lambda: True)
        t0 = time.perf_counter()
        f.start().join(600)
        took = time.perf_counter() - t0
    writer.close()
    history.close()
    assert printer.lines == expect, (printer.lines, expect)
    return took


def sim_mode(args: argparse.Namespace) -> None:
    """Lines/s from the sim's log endpoint (a finished container's log, followed)."""
    from kpodtui.kube.api import KubeApi
    from kpodtui.kube.config import ClusterTarget, connect
    from kpodtui.sim.cluster import SimCluster

    sim = SimCluster.start(workdir=Path(tempfile.mkdtemp(prefix="kpodtui-sim-")))
    try:
        api = KubeApi(connect(ClusterTarget(kubeconfig=str(sim.kubeconfig_path))))
        text = "x" * (100 - len("2026-01-01T00:00:00.000000000Z ") - 1)  # 100 bytes with the timestamp
        pod = {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "logbench"},
            "spec": {"restartPolicy": "Never", "containers": [{
                "name": "base", "image": "busybox",
                "command": ["sh", "-c", f"yes {text} | head -n {args.lines}"]}]},
        }  # fmt: skip
        api.create_pod("default", pod, lambda: None)
        t0 = time.perf_counter()
        while True:
            p = api.get_pod("default", "logbench") or {}
            if (p.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                break
            time.sleep(0.1)
        print(f"container wrote {args.lines:,} lines in ~{time.perf_counter() - t0:.1f}s (sim kubelet)")
        results = []
        for i in range(args.repeat):
            took = follow_once(api, "default", "logbench", f"simbench{i}", args.lines)
            results.append(args.lines / took)
            print(f"run {i + 1}: {args.lines:,} lines in {took:.2f}s = {args.lines / took:,.0f} lines/s")
        results.sort()
        print(f"median: {results[len(results) // 2]:,.0f} lines/s of 100 bytes from the sim's log endpoint "
              f"to headless stdout (server and client on the same cores; target >= 200,000)")
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
