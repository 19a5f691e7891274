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

from kpodtui.kube.api import KubeApi, refusal_text
from kpodtui.kube.retry import exception_status, refused
from kpodtui.loglines import LogCursor, LogLine

log = logging.getLogger(__name__)

READ_TIMEOUT = 300  # seconds of silence before a stream is treated as broken and resumed
_TS_LEN = len("2026-01-01T00:00:00.000000000Z")


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
    """Turns one stream's chunks into :class:`LogLine` objects (a partial line waits for the next
    chunk; each stream gets a new splitter, so a line torn by a break is read again on resume)."""

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
        # surrogateescape: a byte that is not UTF-8 is kept (piped output stays byte for byte);
        # whatever shows a line to a person escapes it (kpodtui.termsafe)
        for raw in data[:cut].decode("utf-8", "surrogateescape").split("\n"):
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

Deliver = Callable[[list[LogLine]], None]


class DeliveryFailed(Exception):
    """Lines were read but the receiver failed (not a broken stream: no reconnect helps)."""


class LogFollower:
    """Follows one container's log to its end, resuming broken streams (see module doc).

    ``finished()`` says whether the container has terminated for good (from the
    shared pod watch). A follow stream ends cleanly (with its final chunk) only
    when the kubelet has read the log of a stopped container to its end, so a
    clean end once the container is known to have stopped is the log's end; a
    clean end while it still runs (a server closing a long stream) reconnects
    from the cursor. A dropped connection ends without the final chunk: the
    client raises, and the follower resumes from its cursor.
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
        except DeliveryFailed as exc:
            # the lines were read but could not be kept (disk full, a progress_callback that
            # raises): say it once and stop, rather than re-read the stream forever
            self.on_state("failed", str(exc.__cause__ or exc))
        except Exception as exc:  # never let a follower die silently
            log.exception("log follower %s/%s crashed", self.pod, self.container)
            self.on_state("ended", f"error: {exc}")
        finally:
            self.done.set()

    def _loop(self) -> None:
        failures = 0
        idle = 0  # clean ends in a row that brought nothing while the container seemed to run
        broken = False
        while not self._stop.is_set():
            try:
                resp = self._open()
            except Exception as exc:
                status = exception_status(exc)
                if status == 404:
                    # the pod went before its log was read to the end (a clean end of a
                    # stopped container's stream returns below): the rest is lost
                    self.on_state("lost", "the pod was deleted before its log was read to the end")
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
            before = self.cursor
            clean, _resent = self._read(resp)
            if self._stop.is_set():
                return
            if clean:
                failures = 0
                if not self.finished():
                    # Ended while the container still runs, or its end has not
                    # reached the watch yet (the usual order: the log ends first):
                    # a pause, cut short by the pod's next change. Longer each time a
                    # stream brings nothing (the pod's state may be stale: pods unreadable).
                    idle = idle + 1 if self.cursor == before else 0
                    self._wake.clear()
                    if not self.finished():
                        self._wake.wait(min(5.0, 0.5 * 2 ** min(idle, 4)) if idle > 1 else 0.5)
                    if not self.finished():
                        continue  # still running: reconnect
                self.on_state("ended", "")
                return
            # a stream that brought lines before it broke is not a failing server: resume at once
            failures = 1 if self.cursor != before else failures + 1
            broken = True
            self.on_state("broken", "log stream broke; resuming")
            self._stop.wait(min(1.0, 0.02 * 2 ** min(failures, 6)))

    def _read(self, resp: Any) -> tuple[bool, int]:
        """Read one stream to its end: (ended cleanly, old lines it resent)."""
        self._resp = resp
        if self._stop.is_set():  # stopped while the request was on its way: stop() found no response
            self._resp = None
            resp.release_conn()
            return False, 0
        splitter = LineSplitter(self.container)
        flt = ResumeFilter(self.cursor)
        # A resumed stream starts with the lines of the cursor's second, which were delivered
        # already. If the first line it brings is new, the kubelet no longer has the line the
        # cursor is at: its log was rotated away while the stream was down (see _check_gap).
        resuming = flt.active
        try:
            for chunk in resp.stream(amt=None, decode_content=False):
                lines = splitter.feed(chunk, flt)
                if lines:
                    if resuming:
                        resuming = False
                        self._check_gap(flt, lines[0])
                    self._deliver(lines)
            lines = splitter.flush(flt)
            if lines:
                self._deliver(lines)
            return True, flt.skipped
        except DeliveryFailed:
            raise
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

    def _check_gap(self, flt: ResumeFilter, first: LogLine) -> None:
        """Say a gap (``on_state("gap", first new timestamp)``) if a resumed stream skipped nothing."""
        if flt.skipped == 0 and self.cursor.same_ts > 0 and first.timestamp:
            self.on_state("gap", first.timestamp)

    def _deliver(self, lines: list[LogLine]) -> None:
        try:
            self.deliver(lines)
        except Exception as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        self.cursor = self.cursor.advance(lines)

