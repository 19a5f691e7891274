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

Run: ``.venv/bin/python bench/tui_logs.py`` (``--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time

from textual import events

from kpodtui.engine.events import LogBatch, LogLine
from kpodtui.tui.run_model import RunFeed

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
    from kpodtui.tui.app import KpodApp, RunSession
    from kpodtui.tui.run_model import RunModel
    from kpodtui.tui.screens.run_screen import RunScreen
    from kpodtui.tui.widgets.log_view import LogView

    class NoBackend:
        context_name = None

        def list_runs(self, limit=200):
            return []

        def close(self):
            pass

    app = KpodApp(lambda: NoBackend(), start_mode="tasks", reattach_on_start=False)
    out: dict = {}
    async with app.run_test(size=(200, 50)) as pilot:
        feed = RunFeed()
        model = RunModel("bench", task_id="flood")
        app.sessions["bench"] = RunSession(model, feed)
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
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.total, args.baseline_total = 2, 1_000_000, 300_000
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
