"""How fast log lines reach the app's log pane, and how fast keys take effect meanwhile.

A producer thread plays the engine: it builds ``LogBatch`` events of unique
100-byte lines (two containers) and hands them to the run's feed exactly as an
engine subscriber is called. The app (headless, 200x50) drains the feed on its
timer into the ring buffer and the log view.

Phases (kpodtui's log pane, then a baseline in the same run: Textual's own
``Log`` widget fed by the same kind of drain timer with ``write_lines``):

1. paced: ``--rate`` lines/s offered for ``--seconds``; a key that toggles
   timestamps is pressed every 100 ms and the time until it took effect is
   recorded (p50 / p99 / max);
2. flat out: lines until ``--total`` have reached the pane; lines/s and the
   process RSS at the end (the ring keeps the last 200k lines; the rest is
   counted as dropped, as in the app).

``--pod``: a real pod instead of the producer thread. An in-process simulated
cluster runs a container (a host ``python3``) that writes ``--pod-lines`` lines
of 100 bytes as fast as it can; the real engine follows its log stream (HTTP
from the sim's kubelet, log files and cursors in a temporary history) and the
app shows it in its run view, launched as a person would. Printed: lines/s
reaching the pane between its first and last line, keypress latency while the
lines flow, whether every line arrived, RSS; then the synthetic figures above,
in the same run, for comparison.

Run: ``.venv/bin/python bench/tui_logs.py`` (``--quick`` for a short run;
``--pod [--pod-lines N]`` for the real pod).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time

from textual import events

from kpodtui.engine.events import LogBatch, LogLine
from kpodtui.tui.data.run_model import RunFeed

PAD = "x" * 100


def make_batch(start: int, n: int) -> tuple[LogLine, ...]:
    ts = "2026-01-01T12:00:00.000000000Z"
    return tuple(
        LogLine("base" if i % 4 else "sidecar", ts, f"line {i:09d} {PAD}"[:100]) for i in range(start, start + n)
    )


class Producer(threading.Thread):
    """Feeds batches of 1,000 lines, paced to ``rate`` lines/s (0: flat out with back-pressure)."""

    def __init__(self, feed, rate: float, total: int, start_at: int = 0, backlog=None) -> None:
        super().__init__(daemon=True)
        self.feed, self.rate, self.total, self.sent = feed, rate, total, start_at
        self.stop = threading.Event()
        self.backlog = backlog or (lambda: 0)

    def run(self) -> None:
        t0 = time.perf_counter()
        first = self.sent
        while not self.stop.is_set() and self.sent < self.total:
            if self.rate:
                due = t0 + (self.sent - first) / self.rate
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            elif self.backlog() > 200_000:  # the engine's reader is bounded by the network; so are we
                time.sleep(0.002)
                continue
            n = min(1000, self.total - self.sent)
            self.feed(make_batch(self.sent, n))
            self.sent += n


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


# -- kpodtui's log pane ---------------------------------------------------------------


async def bench_kpodtui(rate: float, seconds: float, total: int) -> dict:
    from kpodtui.tui.app import KpodApp
    from kpodtui.tui.screens.run_screen import RunScreen
    from kpodtui.tui.widgets.log_view import LogView

    class NoBackend:
        def list_runs(self, limit=200):
            return []

        def close(self):
            pass

    app = KpodApp(lambda: NoBackend(), start_mode="tasks", reattach_on_start=False)
    out: dict = {}
    async with app.run_test(size=(200, 50)) as pilot:
        class NoHandle:
            run_id = "bench"

            def kill(self):
                pass

            keep = detach = kill

        feed = RunFeed()
        app.followed.follow(NoHandle(), feed, "flood", None, False)
        await app.push_screen(RunScreen("bench"))
        await pilot.pause(0.2)
        view = app.screen.query_one(LogView)

        def deliver(lines):
            feed(LogBatch("bench", lines))

        # phase 1: paced, with key presses
        latencies: list[float] = []
        prod = Producer(deliver, rate, int(rate * seconds))
        t0 = time.perf_counter()
        start_total = view.buffer.total
        prod.start()
        while prod.is_alive():
            before = view.timestamps
            k0 = time.perf_counter()
            app.post_message(events.Key("t", "t"))  # as the terminal driver does
            while view.timestamps == before:
                await asyncio.sleep(0)
            latencies.append((time.perf_counter() - k0) * 1000)
            await asyncio.sleep(0.1)
        while view.buffer.total < prod.total:
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - t0
        out["paced_rate"] = (view.buffer.total - start_total) / elapsed
        out["lat"] = latencies

        # phase 2: flat out to `total`
        prod = Producer(deliver, 0, total, start_at=view.buffer.total, backlog=lambda: len(feed) * 1000)
        t0 = time.perf_counter()
        start_total = view.buffer.total
        prod.start()
        while view.buffer.total < total:
            await asyncio.sleep(0.02)
        await pilot.pause()
        elapsed = time.perf_counter() - t0
        out["flat_rate"] = (view.buffer.total - start_total) / elapsed
        out["rss"] = rss_mb()
        out["held"] = len(view.buffer)
        out["dropped"] = view.buffer.dropped
        out["last_visible"] = view.visible_lines()[-1].text[:14] if view.visible_lines() else ""
    return out


# -- baseline: Textual's Log -----------------------------------------------------------


async def bench_textual_log(rate: float, seconds: float, total: int) -> dict:
    from textual.app import App, ComposeResult
    from textual.binding import Binding
    from textual.widgets import Log

    feed = RunFeed()

    class LogApp(App):
        BINDINGS = [Binding("t", "flip", "flip")]

        def compose(self) -> ComposeResult:
            yield Log(max_lines=200_000)

        def on_mount(self) -> None:
            self.flipped = False
            self.received = 0
            self.set_interval(1 / 30, self.drain)

        def action_flip(self) -> None:
            self.flipped = not self.flipped

        def drain(self) -> None:
            events = feed.drain()
            if not events:
                return
            lines = [f"[{ln.container}] {ln.text}" for ev in events for ln in ev.lines]
            log = self.query_one(Log)
            log.write_lines(lines)
            log.refresh()  # Log(max_lines) repaints stale rows otherwise (Textual 8.2.8)
            self.received += len(lines)

    app = LogApp()
    out: dict = {}
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause(0.2)

        def deliver(lines):
            feed(LogBatch("bench", lines))

        latencies: list[float] = []
        prod = Producer(deliver, rate, int(rate * seconds))
        t0 = time.perf_counter()
        prod.start()
        while prod.is_alive():
            before = app.flipped
            k0 = time.perf_counter()
            app.post_message(events.Key("t", "t"))  # as the terminal driver does
            while app.flipped == before:
                await asyncio.sleep(0)
            latencies.append((time.perf_counter() - k0) * 1000)
            await asyncio.sleep(0.1)
        while app.received < prod.total:
            await asyncio.sleep(0.005)
        out["paced_rate"] = app.received / (time.perf_counter() - t0)
        out["lat"] = latencies
        start = app.received
        prod = Producer(deliver, 0, total, start_at=0, backlog=lambda: len(feed) * 1000)
        t0 = time.perf_counter()
        prod.start()
        while app.received - start < total:
            await asyncio.sleep(0.02)
        out["flat_rate"] = total / (time.perf_counter() - t0)
    return out


# -- a real pod on the simulated cluster, through the real engine -----------------------------

FLOOD = """\
import sys
pad = "x" * 85
out = sys.stdout
n = {lines}
step = 10000
for start in range(0, n, step):
    out.write("".join(f"line {{i:09d}} {{pad}}\\n" for i in range(start, min(n, start + step))))
out.flush()
"""


async def bench_pod(lines: int, work) -> dict:
    """Launch the flood task on a sim through the app; measure the pane and the keys meanwhile."""
    import os

    os.environ["KPODTUI_HOME"] = str(work / "home")  # history and log files of this bench only
    os.environ["KPODTUI_CONFIG_DIR"] = str(work / "config")
    from kpodtui.sim.cluster import SimCluster
    from kpodtui.tui.app import KpodApp
    from kpodtui.tui.screens.run_screen import RunScreen
    from kpodtui.tui.widgets.log_view import LogView

    spec = work / "flood.yaml"
    import json

    spec.write_text(
        "task_id: flood\nimage: python:3.12-slim\n"
        f"cmds: [python3, -c, {json.dumps(FLOOD.format(lines=lines))}]\n"
    )
    sim = SimCluster.start(workdir=work / "sim")

    def build():
        from kpodtui.tui.data.engine_backend import EngineBackend

        return EngineBackend(kubeconfig=str(sim.kubeconfig_path))

    app = KpodApp(build, start_mode="tasks", reattach_on_start=False)
    out: dict = {}
    try:
        async with app.run_test(size=(200, 50)):
            deadline = time.perf_counter() + 60
            while app.backend is None:
                if app.backend_error or time.perf_counter() > deadline:
                    raise SystemExit(f"engine did not load: {app.backend_error}")
                await asyncio.sleep(0.02)
            t_launch = time.perf_counter()
            app.launch(spec, spec.read_text(), None)
            while not (isinstance(app.screen, RunScreen) and app.screen.followed is not None):
                await asyncio.sleep(0.005)
            screen = app.screen
            model = screen.followed.model
            view = screen.query_one(LogView)
            while model.logs.total == 0 and model.finished is None:
                await asyncio.sleep(0.001)
            t_first = time.perf_counter()
            latencies: list[float] = []
            while model.logs.total < lines and model.finished is None:
                before = view.timestamps
                k0 = time.perf_counter()
                app.post_message(events.Key("t", "t"))  # as the terminal driver does
                while view.timestamps == before:
                    await asyncio.sleep(0)
                latencies.append((time.perf_counter() - k0) * 1000)
                await asyncio.sleep(0.1)
            # the last lines may still be in the feed when the verdict lands
            while model.logs.total < lines and time.perf_counter() < t_first + 600:
                if model.finished is not None and not screen.followed.feed:
                    await asyncio.sleep(0.5)  # a final drain
                    break
                await asyncio.sleep(0.002)
            t_last = time.perf_counter()
            while model.finished is None and time.perf_counter() < t_last + 60:
                await asyncio.sleep(0.02)
            out["lines"] = model.logs.total
            out["first_line_after"] = t_first - t_launch
            out["rate"] = model.logs.total / max(t_last - t_first, 1e-9)
            out["lat"] = latencies or [float("nan")]
            out["rss"] = rss_mb()
            out["outcome"] = model.finished.outcome if model.finished else "not finished"
            out["last"] = model.logs[model.logs.total - 1].text[:14] if len(model.logs) else ""
    finally:
        sim.stop()
    return out


def report_pod(r: dict, lines: int) -> None:
    lat = r["lat"]
    print(f"\nreal pod on the sim through the engine ({lines:,} lines of 100 bytes, written flat out)")
    print(f"  first line in the pane {r['first_line_after'] * 1000:.0f} ms after launch (pod creation, start, stream)")
    print(f"  {r['rate']:,.0f} lines/s reached the pane (first to last line); {r['lines']:,} of {lines:,} arrived; "
          f"run {r['outcome']}; last line {r['last']!r}")
    print(
        f"  keypress latency while lines flow: p50 {statistics.median(lat):.1f} ms, "
        f"p99 {pct(lat, 0.99):.1f} ms, max {max(lat):.1f} ms (n={len(lat)})"
    )
    print(f"  RSS at the end {r['rss']:.0f} MB (app, engine and the in-process sim)")


def report(name: str, r: dict, rate: float) -> None:
    lat = r["lat"]
    print(f"\n{name}")
    print(f"  paced {rate:,.0f} lines/s offered: {r['paced_rate']:,.0f} lines/s reached the pane")
    print(
        f"  keypress latency while paced: p50 {statistics.median(lat):.1f} ms, "
        f"p99 {pct(lat, 0.99):.1f} ms, max {max(lat):.1f} ms (n={len(lat)})"
    )
    print(f"  flat out: {r['flat_rate']:,.0f} lines/s reached the pane")
    if "rss" in r:
        print(
            f"  after {r['held'] + r['dropped']:,} lines: RSS {r['rss']:.0f} MB; "
            f"{r['held']:,} in view, {r['dropped']:,} counted as dropped (they stay in the log file)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100_000)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--total", type=int, default=5_000_000)
    parser.add_argument("--baseline-total", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="2 s paced, 1M lines flat out")
    parser.add_argument("--no-baseline", action="store_true", help="skip the Textual Log baseline")
    parser.add_argument("--pod", action="store_true", help="a real pod on an in-process sim, then the synthetic run")
    parser.add_argument("--pod-lines", type=int, default=1_000_000)
    parser.add_argument("--pod-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.total, args.baseline_total = 2, 1_000_000, 300_000
    if args.pod_only:
        import shutil
        import tempfile
        from pathlib import Path

        work = Path(tempfile.mkdtemp(prefix="kpodtui-bench-pod-"))
        try:
            report_pod(asyncio.run(bench_pod(args.pod_lines, work)), args.pod_lines)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    if args.pod:
        # its own process: the sim, the engine's threads and their memory stay out of the figures below
        import subprocess
        import sys

        subprocess.run([sys.executable, __file__, "--pod-only", "--pod-lines", str(args.pod_lines)], check=True)
        print("\nfor comparison, the synthetic feed (no pod, no engine), in a fresh process:")
    print("100-byte lines, batches of 1,000 from a producer thread, headless 200x50, drain at 30 Hz")
    ours = asyncio.run(bench_kpodtui(args.rate, args.seconds, args.total))
    report("kpodtui log pane (ring buffer 200k lines, Line API view)", ours, args.rate)
    if not args.no_baseline:
        base = asyncio.run(bench_textual_log(args.rate, args.seconds, args.baseline_total))
        report("baseline: textual.widgets.Log(max_lines=200k), write_lines per drain + refresh", base, args.rate)
    ok = ours["paced_rate"] >= 0.95 * args.rate and pct(ours["lat"], 0.99) < 100 and ours["rss"] < 400
    print(f"\ntargets (>=100k lines/s, keypress p99 < 100 ms, RSS < 400 MB): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
