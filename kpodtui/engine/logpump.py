"""``follow_logs``: every selected container followed at once, every line kept.

The pump owns one :class:`~kpodtui.kube.logs.LogFollower` per container,
started as soon as that container has run (init containers while the pod is
still Pending). Each batch a follower reads is, in this order: appended to the
container's log file (so a crash never loses a line that was shown), passed to
``progress_callback``, and published as one ``LogBatch``. Cursors go to the
history every ~0.5 s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from kpodtui.engine.events import LogBatch, LogLine, LogStreamState, StatusMessage
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
    ) -> None:
        self.run_id = run_id
        self.api = api
        self.namespace = namespace
        self.pod_name = pod_name
        self.history = history
        self.publish = publish
        self.current_pod = current_pod
        self.on_line = on_line
        self.selected: list[str] = []
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

    def _on_state(self, name: str, state: str, detail: str) -> None:
        if state == "refused":  # the log cannot be read at all: say so, as the stream's end
            self.publish(StatusMessage(self.run_id, f"cannot read the log of {name}: {detail}", "warning"))
            state = "ended"
        elif state == "failed":  # read, but not kept: the rest of this container's log is not followed
            self.publish(StatusMessage(
                self.run_id, f"cannot record the log of {name} ({detail}); it is no longer followed", "error"))
            state = "ended"
        self.publish(LogStreamState(self.run_id, name, state, detail))  # type: ignore[arg-type]

    def _deliverer(self, name: str, writer: LogFileWriter) -> Callable[[list[LogLine]], None]:
        def deliver(lines: list[LogLine]) -> None:
            writer.append(lines)  # disk first: what is shown is always recorded
            if self.on_line is not None:
                for line in lines:
                    self.on_line(line)
            self.publish(LogBatch(self.run_id, tuple(lines)))
            now = time.monotonic()
            if now - self._last_flush >= CURSOR_FLUSH_SECONDS:
                self._last_flush = now
                self.flush_cursors()

        return deliver

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
