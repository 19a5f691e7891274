"""Log followers: one thread per container, resuming broken streams exactly.

Each follower asks for ``follow=true&timestamps=true`` and hands on what
``resp.stream()`` reads as :class:`~kpodtui.loglines.LogChunk` objects: the
complete lines of each read, bytes as the server sent them (a partial last line
waits for the next read). Nothing is done per line on this path: the cursor
advances per chunk, and the receiver (``deliver``, called in the follower's
thread) writes the bytes to the log file and on in bulk. When a stream
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
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from kpodtui.kube.api import KubeApi, refusal_text
from kpodtui.kube.retry import exception_status, refused
from kpodtui.loglines import NO_TS, LogChunk, LogCursor, LogLine, normalize_ts

__all__ = ["ChunkSplitter", "Deliver", "DeliveryFailed", "LogFollower", "ResumeFilter", "normalize_ts", "since_time"]

log = logging.getLogger(__name__)

READ_TIMEOUT = 300  # seconds of silence before a stream is treated as broken and resumed
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
        self.last_ts = normalize_ts(cursor.last_ts)
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

    def trim(self, data: bytes) -> bytes:
        """``data`` (complete lines) without its leading lines that were already delivered.

        Line by line only while active: a resumed stream's old lines (at most what
        its ``sinceTime`` second holds) come first; once a new line passes, the rest
        is returned as one slice.
        """
        pos, size = 0, len(data)
        while self.active and pos < size:
            end = data.find(b"\n", pos)
            space = data.find(b" ", pos, end)
            stamp = data[pos:space].decode("ascii", "replace") if space >= 0 else ""
            if self.admit(stamp):
                break
            pos = end + 1
        return data[pos:] if pos else data


def first_stamp(data: bytes) -> str:
    """The timestamp of the first line of ``data`` (``""`` when it has none)."""
    space = data.find(b" ", 0, data.find(b"\n"))
    stamp = data[:space].decode("ascii", "replace") if space > 0 else ""
    return "" if stamp == NO_TS else stamp


class ChunkSplitter:
    """Turns one stream's chunks into :class:`LogChunk` of complete lines (a partial line waits
    for the next chunk; each stream gets a new splitter, so a line torn by a break is read
    again on resume). Bytes only: one ``rfind`` and at most one copy per chunk."""

    __slots__ = ("container", "_rest")

    def __init__(self, container: str) -> None:
        self.container = container
        self._rest = b""

    def feed(self, chunk: bytes, flt: ResumeFilter) -> LogChunk | None:
        cut = chunk.rfind(b"\n") + 1
        if not cut:
            self._rest += chunk
            return None
        rest, self._rest = self._rest, chunk[cut:]
        if cut < len(chunk):  # one copy of the complete lines, however the read was cut
            data = b"".join((rest, memoryview(chunk)[:cut])) if rest else chunk[:cut]
        else:
            data = rest + chunk if rest else chunk
        if flt.active:
            data = flt.trim(data)
            if not data:
                return None
        return LogChunk(self.container, data)

    def flush(self, flt: ResumeFilter) -> LogChunk | None:
        """A last line without a newline (only at a clean end: it is complete)."""
        if not self._rest:
            return None
        rest, self._rest = self._rest, b""
        return self.feed(rest + b"\n", flt)


READ_AHEAD = 8  # chunks a stream reads ahead of what its follower has handed on
#: the most one read hands on (a server's chunk is cut there): bounds how long the work on one
#: chunk holds the GIL (~1 ms), which the app's thread would otherwise wait for
READ_SIZE = 256 * 1024
_END = object()


def _read_ahead(resp: Any, name: str) -> Iterator[bytes]:
    """The chunks of ``resp.stream()``, read in a thread of their own up to :data:`READ_AHEAD`
    ahead: the socket, and the TLS decryption (which releases the GIL), overlap the work on
    what was read, so the server is never kept waiting for it. A broken stream raises here
    as it would have in the loop; leaving early (a receiver that failed) shuts the
    stream down and waits for the reader, so the connection is released idle."""
    chunks: queue.Queue[Any] = queue.Queue(READ_AHEAD)
    gone = threading.Event()

    def put(item: Any) -> bool:
        while not gone.is_set():
            try:
                chunks.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for data in resp.stream(amt=READ_SIZE, decode_content=False):
                if not put(data):
                    return
            put(_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the follower, which says what broke
            put(exc)

    reader = threading.Thread(target=read, name=f"{name}-read", daemon=True)
    reader.start()
    ended = False
    try:
        while True:
            item = chunks.get()
            if item is _END:
                ended = True
                return
            if isinstance(item, BaseException):
                ended = True
                raise item
            yield item
    finally:
        gone.set()
        if not ended:
            try:
                resp.shutdown()
            except Exception:  # noqa: BLE001 - racing with the stream's own end
                pass
        reader.join(5)


Deliver = Callable[[LogChunk], None]


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
        splitter = ChunkSplitter(self.container)
        flt = ResumeFilter(self.cursor)
        # A resumed stream starts with the lines of the cursor's second, which were delivered
        # already. If the first line it brings is new, the kubelet no longer has the line the
        # cursor is at: its log was rotated away while the stream was down (see _check_gap).
        resuming = flt.active
        try:
            for data in _read_ahead(resp, self._thread.name):
                chunk = splitter.feed(data, flt)
                if chunk is not None:
                    if resuming:
                        resuming = False
                        self._check_gap(flt, chunk)
                    self._deliver(chunk)
            chunk = splitter.flush(flt)
            if chunk is not None:
                if resuming:
                    self._check_gap(flt, chunk)
                self._deliver(chunk)
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

    def _check_gap(self, flt: ResumeFilter, first: LogChunk) -> None:
        """Say a gap (``on_state("gap", first new timestamp)``) if a resumed stream skipped nothing."""
        if flt.skipped == 0 and self.cursor.same_ts > 0:
            stamp = first_stamp(first.data)
            if stamp:
                self.on_state("gap", stamp)

    def _deliver(self, chunk: LogChunk) -> None:
        try:
            self.deliver(chunk)
        except Exception as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        self.cursor = self.cursor.after(chunk)



def previous_log(api: KubeApi, namespace: str, pod: str, container: str) -> list[LogLine]:
    """The log of the container's previous instance (before its last restart), as ``kubectl logs -p``.

    Raises ``ApiException`` (400) when the container never restarted.
    """
    query = [("container", container), ("previous", "true"), ("timestamps", "true")]
    resp = api.open("GET", KubeApi.pods_path(namespace, pod, "log"), query=query)
    try:
        body = resp.read()
    finally:
        resp.release_conn()
    lines = []
    for raw in body.decode("utf-8", "surrogateescape").splitlines():
        ts, _, text = raw.partition(" ")
        lines.append(LogLine(container, normalize_ts(ts), text))
    return lines
