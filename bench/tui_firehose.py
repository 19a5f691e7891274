"""The app under a firehose, through a real terminal, beside a minimal Textual app under the same load.

A simulated cluster runs in its own process. Each round, in a fresh 200x50 tmux pane:

- **kpodtui**: ``kpodtui --kubeconfig KC flood.yaml``; the bench presses ``l`` to launch the
  task and the run view opens; the pod (a real sim pod) sleeps 2 s, then ``cat``s a file of
  ``--lines`` numbered lines as fast as a pipe goes (far faster than any reader: the app is
  saturated until it has caught up). The real engine follows the log (HTTPS from the sim,
  log file, cursors) and the app shows it.
- **peer**: a minimal Textual app (a ``Log(max_lines=200k)`` and a status line), fed by a
  thread that follows an identical pod's log with the kubernetes client
  (``_preload_content=False``, ``resp.stream()``, lines split in bulk) and hands the lines
  over every 33 ms with ``call_from_thread`` + ``write_lines`` (the pattern
  /work/shared/reference/perf-envelope.md recommends).

While the lines flow (``--seconds`` at most), a key is pressed every 150-350 ms through
``tmux send-keys`` (``t``: timestamps on/off in kpodtui, a flag in the peer's status line)
and the pane is captured (tmux control mode, ~0.1 ms a capture) until the screen shows the
change: keypress -> changed frame, as a person sees it. Ingest: lines reaching the pane per
second, from the first line shown to the last, read from each app's status line (kpodtui:
``N lines`` + ``N older lines only in the log file``; it also says ``behind by N lines``
when it takes in less than arrived). Every line must arrive: the count reaches ``--lines``
and the last line shown is the file's last. RSS of each app at the end.

    .venv/bin/python bench/tui_firehose.py [--rounds 5] [--lines 5000000] [--seconds 60]

The pod prints 5M lines by default, not for 60 s: the sim keeps every log in memory twice
(raw and stamped), and 60 s of a flat-out printer is tens of GB. Both apps stay saturated
from their first line until they have caught up.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    KPODTUI,
    PY,
    SimProcess,
    TmuxPane,
    _peak_rss,
    bench_env,
    compile_sources,
    interleave,
    median,
    pct,
    quiet_machine_note,
    rss_mb,
    spread,
)

PEER_APP = r'''
import sys, threading, time
from textual.app import App
from textual.widgets import Log, Static

KUBECONFIG, POD = sys.argv[1], sys.argv[2]


class Peer(App):
    BINDINGS = [("t", "flip", "time")]
    CSS = "Log { height: 1fr; } #status { height: 1; }"

    def compose(self):
        yield Log(max_lines=200_000)
        yield Static("peer: 0 lines", id="status")

    def on_mount(self):
        self.flag, self.received, self.pending, self.lock = False, 0, [], threading.Lock()
        threading.Thread(target=self.read, daemon=True).start()
        self.set_interval(1 / 30, self.drain)

    def read(self):
        from kubernetes import client, config
        config.load_kube_config(KUBECONFIG)
        resp = client.CoreV1Api().read_namespaced_pod_log(POD, "default", follow=True, _preload_content=False)
        rest = b""
        for chunk in resp.stream(amt=None, decode_content=False):
            data = rest + chunk
            cut = data.rfind(b"\n") + 1
            rest = data[cut:]
            if cut:
                lines = data[:cut - 1].decode("utf-8", "replace").split("\n")
                with self.lock:
                    self.pending.extend(lines)

    def drain(self):
        with self.lock:
            lines, self.pending = self.pending, []
        if lines:
            log = self.query_one(Log)
            log.write_lines(lines)
            log.refresh()  # Log(max_lines) repaints stale rows otherwise (Textual 8.2.8)
            self.received += len(lines)
        self.show()

    def show(self):
        self.query_one("#status", Static).update(
            f"peer: {self.received:,} lines" + ("  [time]" if self.flag else ""))

    def action_flip(self):
        self.flag = not self.flag
        self.show()


Peer().run()
'''

_COUNT = re.compile(r"([\d,]+) lines?\b")
_OLDER = re.compile(r"([\d,]+) older lines")
_BEHIND = re.compile(r"behind by ([\d,]+)")


def status_of(screen: list[str], marker: str) -> str | None:
    return next((ln for ln in reversed(screen) if marker in ln), None)


def kpodtui_state(screen: list[str]) -> tuple[int, int, bool] | None:
    """(lines taken in, behind by, timestamps shown) from the log pane's status line."""
    # following or paused while the run lives; "ended" once it finished (the pod may end before
    # the pane has taken every line in: the count still grows then)
    line = status_of(screen, "● following") or status_of(screen, "‖ paused") or status_of(screen, "■ ended")
    if line is None:
        return None
    count = _COUNT.search(line)
    older = _OLDER.search(line)
    behind = _BEHIND.search(line)
    total = (int(count.group(1).replace(",", "")) if count else 0) + (
        int(older.group(1).replace(",", "")) if older else 0)
    return total, int(behind.group(1).replace(",", "")) if behind else 0, "[time" in line


def peer_state(screen: list[str]) -> tuple[int, int, bool] | None:
    line = status_of(screen, "peer: ")
    if line is None:
        return None
    count = _COUNT.search(line)
    return int(count.group(1).replace(",", "")) if count else 0, 0, "[time]" in line


def drive(pane: TmuxPane, state, lines: int, seconds: float, last_text: str) -> dict:
    """Press keys while the lines flow; measure keypress -> changed frame, ingest, RSS."""
    pid = pane.pid()
    got = pane.wait_for(lambda s: (st := state(s)) is not None and st[0] > 0 and st, 120, poll=0.002)
    if not got:
        raise SystemExit("no lines reached the pane:\n" + "\n".join(pane.screen()))
    t_first = time.perf_counter()
    latencies: list[float] = []
    behind_max = 0
    timeline: list[tuple[float, int]] = [(t_first, got[0])]
    shown = got[2]
    rnd = random.Random(1)
    total = got[0]
    while total < lines and time.perf_counter() - t_first < seconds:
        k0 = time.perf_counter()
        pane.keys("t")
        while True:
            st = state(pane.screen())
            now = time.perf_counter()
            if st is not None:
                total = max(total, st[0])
                behind_max = max(behind_max, st[1])
                timeline.append((now, st[0]))
                if st[2] != shown:
                    shown = st[2]
                    latencies.append((now - k0) * 1000)
                    break
            if now - k0 > 10:
                latencies.append(10_000)  # counted as 10 s
                break
            time.sleep(0.003)
        time.sleep(rnd.uniform(0.15, 0.35))
    # the rest of the lines (no more keys): until every line is in
    deadline = time.perf_counter() + 600
    while total < lines and time.perf_counter() < deadline:
        st = state(pane.screen())
        if st is not None:
            total = max(total, st[0])
            behind_max = max(behind_max, st[1])
        time.sleep(0.002)
    t_last = time.perf_counter()
    if total != lines:
        raise SystemExit(f"{total:,} of {lines:,} lines reached the pane")
    time.sleep(0.3)
    if shown:  # timestamps off again, to read the last line as printed
        pane.keys("t")
        time.sleep(0.5)
    screen = pane.screen()
    if not any(last_text in ln for ln in screen):
        raise SystemExit(f"the last line {last_text!r} is not on screen:\n" + "\n".join(screen))
    return {"lat": latencies, "rate": (lines - timeline[0][1]) / max(t_last - t_first, 1e-9),
            "rss": rss_mb(pid), "peak": _peak_rss(pid), "behind": behind_max, "seconds": t_last - t_first}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--lines", type=int, default=5_000_000)
    ap.add_argument("--size", type=int, default=100, help="bytes per line, newline included")
    ap.add_argument("--seconds", type=float, default=60, help="at most this long pressing keys per round")
    ap.add_argument("--only", choices=["kpodtui", "peer"])
    args = ap.parse_args()
    if shutil.which("tmux") is None or shutil.which("kubectl") is None:
        sys.exit("tmux and kubectl are needed")
    compile_sources()
    work = Path(tempfile.mkdtemp(prefix="kpodtui-firehose-"))
    data = work / "lines.txt"
    pad = b"x" * args.size
    with data.open("wb") as fh:
        for start in range(0, args.lines, 10_000):
            fh.write(b"".join(b"line %012d " % i + pad[: args.size - 19] + b"\n"
                              for i in range(start, min(args.lines, start + 10_000))))
    last_text = f"line {args.lines - 1:012d}"
    spec = work / "flood.yaml"
    spec.write_text(yaml.safe_dump({"task_id": "flood", "image": "busybox:1.36", "cmds": ["sh", "-c"],
                                    "arguments": [f"sleep 2; cat {data}"]}))
    (work / "peer.py").write_text(PEER_APP)
    env = bench_env(work)
    env["TERM"] = "xterm-256color"
    seq = iter(range(10**6))
    try:
        with SimProcess(work / "sim") as sim:
            manifest = yaml.safe_load(
                __import__("subprocess").run([*KPODTUI, "dry-run", str(spec)], env=env, capture_output=True,
                                             text=True, check=True).stdout)

            def kpodtui() -> dict:
                pane = TmuxPane(f"fh-k-{next(seq)}", " ".join([*KPODTUI, "--kubeconfig", str(sim.kubeconfig),
                                                               str(spec)]), env=env)
                try:
                    if not pane.wait_for(lambda s: any("flood" in ln for ln in s), 30):
                        raise SystemExit("the task list did not show:\n" + "\n".join(pane.screen()))
                    time.sleep(0.5)
                    pane.keys("l")
                    return drive(pane, kpodtui_state, args.lines, args.seconds, last_text)
                finally:
                    pane.close()

            def peer() -> dict:
                name = f"peer-{next(seq)}"
                sim.kubectl("create", "-f", "-", stdin=yaml.safe_dump(dict(manifest, metadata={"name": name})))
                sim.kubectl("wait", "--for=jsonpath={.status.phase}=Running", f"pod/{name}", "--timeout=60s",
                            check=False)
                pane = TmuxPane(f"fh-p-{name}", f"{PY} {work / 'peer.py'} {sim.kubeconfig} {name}", env=env)
                try:
                    return drive(pane, peer_state, args.lines, args.seconds, last_text)
                finally:
                    pane.close()
                    sim.kubectl("delete", "pod", name, "--wait=false", check=False)

            cases = {"kpodtui": kpodtui, "peer": peer}
            if args.only:
                cases = {args.only: cases[args.only]}
            results = interleave(cases, args.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nfirehose: {args.lines:,} lines of {args.size} B from a sim pod printing flat out, 200x50 tmux pane, "
          f"{args.rounds} interleaved rounds ({quiet_machine_note()})")
    for name, rows in results.items():
        lat = [x for r in rows for x in r["lat"]]
        label = "kpodtui run view" if name == "kpodtui" else "peer: Textual Log app"
        print(f"  {label}")
        print(f"    keypress -> changed frame: p50 {median(lat):.0f} ms, p99 {pct(lat, 0.99):.0f} ms, "
              f"max {max(lat):.0f} ms (n={len(lat)}; p99 per round: "
              f"{', '.join(format(pct(r['lat'], 0.99), '.0f') for r in rows)})")
        print(f"    ingest lines/s {spread([r['rate'] for r in rows])}; "
              f"RSS at the end {spread([r['rss'] for r in rows], '{:.0f}')} MB "
              f"(peak {spread([r['peak'] for r in rows], '{:.0f}')} MB)"
              + (f"; 'behind by' at most {max(r['behind'] for r in rows):,} lines" if name == "kpodtui" else ""))
    if len(results) == 2:
        ours, peer = results["kpodtui"], results["peer"]
        lo = [x for r in ours for x in r["lat"]]
        lp = [x for r in peer for x in r["lat"]]
        print(f"  ratios kpodtui/peer: keypress p99 {pct(lo, 0.99) / pct(lp, 0.99):.2f}, "
              f"ingest {median([r['rate'] for r in ours]) / median([r['rate'] for r in peer]):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
