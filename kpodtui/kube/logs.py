"""Log followers: one thread per container, resuming broken streams exactly.

Each follower asks for ``follow=true&timestamps=true`` and splits the chunks
of ``resp.stream()`` into lines itself (the fastest way the client reads:
~0.39M lines/s one line per chunk, millions with bigger chunks). When a stream
breaks it reconnects with ``sinceTime`` = the last timestamp delivered, floored
to the second (the resolution every server honours), and :class:`ResumeFilter`
drops what was already delivered: lines older than the cursor and the first
``same_ts`` lines carrying the cursor's timestamp. So no line is lost and none
is repeated, unlike ``sinceSeconds`` resumption, which repeats up to a second.

``read_namespaced_pod_log`` has no ``since_time`` parameter in client 37.x, so
the request is built low-level (see :meth:`kpodtui.kube.api.KubeApi.open`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from kpodtui.engine.events import LogLine
from kpodtui.history.logfiles import LogCursor
from kpodtui.kube.api import KubeApi, refusal_text
from kpodtui.kube.retry import exception_status, refused

log = logging.getLogger(__name__)

READ_TIMEOUT = 300  # seconds of silence before a stream is treated as broken and resumed
_TS_LEN = len("2026-01-01T00:00:00.000000000Z")
# Inconclusive end checks of a finished container after which its log is taken as
# complete anyway (a server that keeps answering oddly must not hold the run forever).
MAX_END_CHECKS = 5


def is_complete(cursor: LogCursor, tail: list[tuple[str, str]]) -> bool | None:
    """Whether ``cursor`` is at the end of a log whose last lines are ``tail``.

    ``tail`` is the answer to ``tailLines = cursor.same_ts + 1`` as (timestamp,
    text) pairs. Complete: no line newer than the cursor's, and exactly
    ``same_ts`` lines stamped with it (one more means a line we have not seen).
    None: the answer is too short to tell (a cut response).
    """
    expected = min(cursor.same_ts + 1, cursor.lines)
    stamps = [normalize_ts(ts) for ts, _ in tail]
    if any(ts > cursor.last_ts for ts in stamps):
        return False
    same = sum(1 for ts in stamps if ts == cursor.last_ts)
    if same > cursor.same_ts:
        return False
    if len(tail) < expected:
        return None
    return same == cursor.same_ts


def normalize_ts(ts: str) -> str:
    """Any RFC3339 UTC timestamp as fixed-width nanosecond text, so strings compare in time order."""
    if len(ts) == _TS_LEN and ts.endswith("Z"):
        return ts
    if not ts:
        return ts
    head, _, frac = ts.rstrip("Z").partition(".")
    if "+" in head[10:] or head[10:].count("-"):
        return ts  # offsets other than Z: left alone (the API server always sends UTC)
    return f"{head}.{(frac + '000000000')[:9]}Z"


def since_time(cursor: LogCursor) -> str | None:
    """The ``sinceTime`` to resume after ``cursor``: its timestamp floored to the second."""
    if not cursor.last_ts:
        return None
    return cursor.last_ts[:19] + "Z"


class ResumeFilter:
    """Drops the lines of a resumed stream that were already delivered.

    Active until the first new line passes; after that every line is new (a
    stream is in time order), so the hot path is one attribute check.
    """

    __slots__ = ("active", "last_ts", "skip_same", "skipped")

    def __init__(self, cursor: LogCursor) -> None:
        self.active = bool(cursor.last_ts)
        self.last_ts = cursor.last_ts
        self.skip_same = cursor.same_ts
        self.skipped = 0  # old lines dropped so far

    def admit(self, ts: str) -> bool:
        """Whether the line stamped ``ts`` is new."""
        if not self.active:
            return True
        ts = normalize_ts(ts)
        if ts < self.last_ts:
            self.skipped += 1
            return False
        if ts == self.last_ts and self.skip_same > 0:
            self.skip_same -= 1
            self.skipped += 1
            return False
        self.active = False
        return True


class LineSplitter:
    """Turns stream chunks into :class:`LogLine` objects (partial lines carried over)."""

    __slots__ = ("container", "_rest")

    def __init__(self, container: str) -> None:
        self.container = container
        self._rest = b""

    def feed(self, chunk: bytes, flt: ResumeFilter) -> list[LogLine]:
        data = self._rest + chunk if self._rest else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            self._rest = data
            return []
        self._rest = data[cut + 1 :]
        container = self.container
        out: list[LogLine] = []
        append = out.append
        for raw in data[:cut].decode("utf-8", "replace").split("\n"):
            ts, sep, text = raw.partition(" ")
            if not sep or len(ts) < 20 or ts[4] != "-":
                ts, text = "", raw  # not timestamped (should not happen with timestamps=true)
            if flt.active and not flt.admit(ts):
                continue
            append(LogLine(container, ts, text))
        return out

    def flush(self, flt: ResumeFilter) -> list[LogLine]:
        """A last line without a newline (only at a clean end: it is complete)."""
        if not self._rest:
            return []
        rest, self._rest = self._rest, b""
        return self.feed(rest + b"\n", flt)

    def drop_partial(self) -> None:
        """Forget a torn line after a broken stream (it is read again on resume)."""
        self._rest = b""


Deliver = Callable[[list[LogLine]], None]


class LogFollower:
    """Follows one container's log to its end, resuming broken streams (see module doc).

    ``finished()`` says whether the container has terminated for good (from the
    shared pod watch). A clean stream end is not trusted to be the log's end
    (servers close long streams, logs rotate, the sim cuts streams on purpose):
    the follower reconnects from its cursor until a stream opened after the
    container ended brings nothing new. That costs one extra short request
    per container and makes "no line lost" independent of how streams end.
    """

    def __init__(
        self,
        api: KubeApi,
        namespace: str,
        pod: str,
        container: str,
        cursor: LogCursor,
        deliver: Deliver,
        finished: Callable[[], bool],
        on_state: Callable[[str, str], None] | None = None,
    ) -> None:
        self.api = api
        self.namespace = namespace
        self.pod = pod
        self.container = container
        self.cursor = cursor
        self.deliver = deliver
        self.finished = finished
        self.on_state = on_state or (lambda state, detail: None)
        self.reconnects = 0
        self.done = threading.Event()
        self._stop = threading.Event()
        self._wake = threading.Event()  # set on pod changes: ends a pause early
        self._resp: Any = None
        self._thread = threading.Thread(target=self._run, name=f"logs-{pod}-{container}", daemon=True)

    def start(self) -> LogFollower:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop now (lines not read yet are not delivered)."""
        self._stop.set()
        resp = self._resp
        if resp is not None:
            try:
                resp.shutdown()
            except Exception:  # noqa: BLE001 - racing with the stream's own end
                pass

    def notify(self) -> None:
        """The pod changed: a follower pausing before a reconnect looks again at once."""
        self._wake.set()

    def join(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)

    def _open(self) -> Any:
        query: list[tuple[str, Any]] = [
            ("container", self.container),
            ("follow", "true"),
            ("timestamps", "true"),
        ]
        since = since_time(self.cursor)
        if since:
            query.append(("sinceTime", since))
        path = KubeApi.pods_path(self.namespace, self.pod, "log")
        return self.api.open("GET", path, query=query, timeout=(10, READ_TIMEOUT))

    def _run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # never let a follower die silently
            log.exception("log follower %s/%s crashed", self.pod, self.container)
            self.on_state("ended", f"error: {exc}")
        finally:
            self.done.set()

    def _loop(self) -> None:
        failures = 0
        checks = 0
        broken = False
        while not self._stop.is_set():
            try:
                resp = self._open()
            except Exception as exc:
                status = exception_status(exc)
                if status == 404:
                    self.on_state("ended", "pod is gone")
                    return
                if status == 400 and self.finished():
                    self.on_state("ended", "no log")
                    return
                if status != 400 and refused(exc):
                    # RBAC without pods/log, or credentials gone: no retry will help
                    self.on_state("refused", refusal_text(exc))
                    return
                failures += 1
                self._stop.wait(min(2.0, 0.05 * 2 ** min(failures, 6)))
                continue
            if broken:
                self.on_state("resumed", f"resumed from {self.cursor.last_ts or 'the start'}")
                broken = False
            clean = self._read(resp)
            if self._stop.is_set():
                return
            if clean:
                failures = 0
                if not self.finished():
                    # Ended while the container still runs, or its end has not
                    # reached the watch yet (the usual order: the log ends first):
                    # a short pause, cut short by the pod's next change.
                    self._wake.clear()
                    if not self.finished():
                        self._wake.wait(0.1)
                    if not self.finished():
                        continue  # still running: reconnect
                # A clean end is not proof of the log's end (servers close long
                # streams; the sim cuts them on purpose): compare with its last lines.
                checks += 1
                done = self._at_end()
                if done or (done is None and checks >= MAX_END_CHECKS):
                    self.on_state("ended", "")
                    return
            else:
                failures += 1
                broken = True
                self.reconnects += 1
                self.on_state("broken", "log stream broke; resuming")
                self._stop.wait(min(1.0, 0.02 * 2 ** min(failures, 6)))

    def _at_end(self) -> bool | None:
        """Whether everything the finished container wrote was delivered (None: cannot tell)."""
        cursor = self.cursor
        if not cursor.last_ts:
            return cursor.lines > 0 or None
        query: list[tuple[str, Any]] = [
            ("container", self.container),
            ("timestamps", "true"),
            ("tailLines", cursor.same_ts + 1),
        ]
        try:
            data = self.api.retrying(
                lambda: self._get(KubeApi.pods_path(self.namespace, self.pod, "log"), query), "read log tail"
            )
        except Exception as exc:
            return True if exception_status(exc) in (400, 404) else None  # gone: nothing more to read
        tail = [(ts, text) for ts, _, text in (ln.partition(" ") for ln in data.splitlines())]
        return is_complete(cursor, tail)

    def _get(self, path: str, query: list[tuple[str, Any]]) -> str:
        resp = self.api.open("GET", path, query=query)
        try:
            return resp.data.decode("utf-8", "replace")
        finally:
            resp.release_conn()

    def _read(self, resp: Any) -> tuple[bool, int]:
        """Read one stream to its end: (ended cleanly, old lines it resent)."""
        self._resp = resp
        splitter = LineSplitter(self.container)
        flt = ResumeFilter(self.cursor)
        try:
            for chunk in resp.stream(amt=None, decode_content=False):
                lines = splitter.feed(chunk, flt)
                if lines:
                    self._deliver(lines)
            lines = splitter.flush(flt)
            if lines:
                self._deliver(lines)
            return True, flt.skipped
        except Exception as exc:
            if not self._stop.is_set():
                log.debug("log stream %s/%s broke: %s", self.pod, self.container, exc)
            return False, flt.skipped
        finally:
            self._resp = None
            try:
                resp.release_conn()
            except Exception:  # noqa: BLE001 - a broken connection may refuse release
                pass

    def _deliver(self, lines: list[LogLine]) -> None:
        self.deliver(lines)
        self.cursor = self.cursor.advance(lines)

