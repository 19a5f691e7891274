"""``follow_logs``: every selected container followed at once, every line kept.

The pump owns one :class:`~kpodtui.kube.logs.LogFollower` per container,
started as soon as that container has run (init containers while the pod is
still Pending). Each batch a follower reads is, in this order: appended to the
container's log file (so a crash never loses a line that was shown), passed to
``progress_callback`` (line by line, only when there is one), and published as
one ``LogBatch``: a chunk of bytes, never an object per line. Cursors go to the
history every ~0.5 s.

A log file that cannot be written (no space left) does not stop the lines: they
are still shown; the failure is said once for the run and the file is marked
incomplete from the line where it stopped (:attr:`LogPump.incomplete`). Lines
the cluster no longer has (the pod deleted before its log was read to the end,
a log rotated away while its stream was down) are said and kept in
:attr:`LogPump.losses`, so the verdict can say what is missing and where.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from kpodtui.engine.events import LogBatch, LogChunk, LogGap, LogLine, LogStreamState, StatusMessage
from kpodtui.engine.outcome import find_state
from kpodtui.history import History, LogFileWriter
from kpodtui.kube.api import KubeApi
from kpodtui.kube.logs import LogFollower
from kpodtui.loglines import LogCursor

CURSOR_FLUSH_SECONDS = 0.5


class LogPump:
    """Followers for one run; see the module docstring."""

    def __init__(
        self,
        run_id: str,
        api: KubeApi,
        namespace: str,
        pod_name: str,
        history: History,
        publish: Callable[[Any], None],
        current_pod: Callable[[], dict[str, Any] | None],
        on_line: Callable[[LogLine], None] | None = None,
        on_end: Callable[[], None] | None = None,
    ) -> None:
        self.run_id = run_id
        self.api = api
        self.namespace = namespace
        self.pod_name = pod_name
        self.history = history
        self.publish = publish
        self.current_pod = current_pod
        self.on_line = on_line
        self.on_end = on_end or (lambda: None)  # a follower reached its end (wakes a waiting step)
        self.selected: list[str] = []
        self.ended: set[str] = set()  # containers whose follower reached its stream's end
        #: lines the cluster no longer had when they were to be read (see the module docstring)
        self.losses: list[LogGap] = []
        #: container -> (lines in its file, why): log files that stopped being written
        self.incomplete: dict[str, tuple[int, str]] = {}
        #: the run was killed: its pod going before the logs end is kpodtui's doing, not a loss
        self.expect_gone = False
        self.followers: dict[str, LogFollower] = {}
        self._writers: dict[str, LogFileWriter] = {}
        self._lock = threading.Lock()
        self._last_flush = 0.0
        self._saved: dict[str, LogCursor] = {}
        self._closed = False

    def select(self, containers: list[str]) -> None:
        """Which containers to follow (init and regular, in start order)."""
        self.selected = list(containers)

    def names(self) -> list[str]:
        """The containers followed so far (a copy: the watch thread may add one meanwhile)."""
        with self._lock:
            return list(self.followers)

    def finished(self, container: str) -> bool:
        """Whether ``container`` has ended for good (or the pod is gone)."""
        pod = self.current_pod()
        if pod is None:
            return True
        state = find_state(pod, container)
        return state is not None and state.state == "terminated"

    def poke(self, pod: dict[str, Any] | None) -> None:
        """Start followers for selected containers that have started (called on each pod change)."""
        if pod is None or self._closed:
            return
        for f in list(self.followers.values()):
            f.notify()
        with self._lock:
            for name in self.selected:
                if name in self.followers:
                    continue
                state = find_state(pod, name)
                if state is None or state.state not in ("running", "terminated"):
                    continue
                writer = self.history.open_log(self.run_id, name)
                self._writers[name] = writer
                follower = LogFollower(
                    self.api,
                    self.namespace,
                    self.pod_name,
                    name,
                    writer.cursor,
                    deliver=self._deliverer(name, writer),
                    finished=partial(self.finished, name),
                    on_state=partial(self._on_state, name),
                )
                self.followers[name] = follower.start()

    def all_ended(self, containers: list[str]) -> bool:
        """Whether the followers of ``containers`` have all reached their stream's end."""
        return all(name in self.ended or name not in self.followers for name in containers)

    def _on_state(self, name: str, state: str, detail: str) -> None:
        if state == "gap":  # a resumed stream: the kubelet no longer has what followed the cursor
            self._lost(name, detail, "the kubelet no longer had them when the stream resumed (its log "
                                     "was rotated away meanwhile)")
            return
        if state == "lost":  # the pod went before its log was read to the end
            self._lost(name, None, detail)
            state, detail = "ended", detail
        if state == "refused":  # the log cannot be read at all: say so, as the stream's end
            self.publish(StatusMessage(self.run_id, f"cannot read the log of {name}: {detail}", "warning"))
            state = "ended"
        elif state == "failed":  # read, but not kept: the rest of this container's log is not followed
            self.publish(StatusMessage(
                self.run_id, f"cannot record the log of {name} ({detail}); it is no longer followed", "error"))
            state = "ended"
        self.publish(LogStreamState(self.run_id, name, state, detail))  # type: ignore[arg-type]
        if state == "ended":
            self.ended.add(name)
            self.on_end()

    def _lost(self, name: str, until: str | None, why: str) -> None:
        if self.expect_gone:
            return
        follower = self.followers.get(name)
        cursor = follower.cursor if follower is not None else LogCursor()
        gap = LogGap(name, cursor.lines, cursor.last_ts or None, until, why)
        self.losses.append(gap)
        self.publish(StatusMessage(self.run_id, f"lines lost: {gap.describe()}", "warning"))

    def _deliverer(self, name: str, writer: LogFileWriter) -> Callable[[LogChunk], None]:
        def deliver(chunk: LogChunk) -> None:
            if name not in self.incomplete:
                try:
                    writer.append(chunk)  # disk first: what is shown is always recorded
                except OSError as exc:
                    self._cannot_write(name, writer, exc)
            if self.on_line is not None:  # a progress_callback: the one per-line path
                for line in chunk.lines():
                    self.on_line(line)
            self.publish(LogBatch(self.run_id, (chunk,)))
            now = time.monotonic()
            if now - self._last_flush >= CURSOR_FLUSH_SECONDS:
                self._last_flush = now
                self.flush_cursors()

        return deliver

    def _cannot_write(self, name: str, writer: LogFileWriter, exc: OSError) -> None:
        """The log file of ``name`` cannot be written: the lines go on, the file stays as it is."""
        first = not self.incomplete
        self.incomplete[name] = (writer.cursor.lines, exc.strerror or str(exc))
        if first:  # said once for the run, not once per container or per batch
            self.publish(StatusMessage(
                self.run_id, f"cannot write the log files of run {self.run_id} ({exc.strerror or exc}): the "
                f"lines are still shown here, but the log of {name} on disk stops at line "
                f"{writer.cursor.lines:,}", "error"))

    def flush_cursors(self) -> None:
        """Save changed cursors to the history (batched: one transaction)."""
        with self._lock:
            current = {n: w.cursor for n, w in self._writers.items()}
        changed = {n: c for n, c in current.items() if self._saved.get(n) != c}
        if changed:
            try:
                self.history.save_cursors(self.run_id, changed)
                self._saved.update(changed)
            except Exception:  # noqa: BLE001 - a busy database must not stop the logs
                pass

    def wait(self, containers: list[str], timeout: float) -> bool:
        """Wait for the followers of ``containers`` to reach their stream's end."""
        deadline = time.monotonic() + timeout
        ok = True
        for name in containers:
            f = self.followers.get(name)
            if f is not None and not f.join(max(0.0, deadline - time.monotonic())):
                ok = False
        return ok

    def stop(self, containers: list[str] | None = None) -> None:
        """Stop followers (all when ``containers`` is None)."""
        for name, f in list(self.followers.items()):
            if containers is None or name in containers:
                f.stop()

    def close(self) -> None:
        """Stop everything, flush cursors, close files."""
        self._closed = True
        self.stop()
        for f in list(self.followers.values()):
            f.join(2.0)
        self.flush_cursors()
        with self._lock:
            for w in self._writers.values():
                w.close()
