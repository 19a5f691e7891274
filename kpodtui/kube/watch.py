"""One shared list+watch per (resource, namespace), fanned out to subscribers.

A :class:`Watcher` keeps a cache of the objects it sees (raw JSON dicts) and
calls every subscriber of an object's key on each change. It lists, then
watches from the list's ``resourceVersion``; when a watch ends (server timeout,
``end_watches``) it re-watches from the last version seen; on ``410 Gone``
(an expired version, as an ERROR event or an HTTP status) it re-lists and
reports the differences as synthetic events, so nothing is missed; on errors it
backs off and reconnects. Where RBAC allows listing but forbids watching, it
falls back to listing every ``poll_interval`` seconds (the same diff gives the
same events, later), and says so to :meth:`Watcher.on_mode` subscribers.
Lines are split by hand from ``resp.stream()``
chunks (the client's ``Watch`` decodes every object into models, 0.3-0.5 ms
per pod; ``json.loads`` is a few µs).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from kpodtui.kube.api import KubeApi, refusal_text
from kpodtui.kube.retry import exception_status, refused

log = logging.getLogger(__name__)

Json = dict[str, Any]
Handler = Callable[[str, Json], None]  # (ADDED|MODIFIED|DELETED, object)

#: how often a watcher that cannot watch lists again (seconds); runs may lower it
DEFAULT_POLL_INTERVAL = 2.0
#: a list refused for good (403...) is tried again this often: RBAC may be fixed meanwhile
REFUSED_RETRY_SECONDS = 30.0

WATCH_SECONDS = 240  # server-side watch timeout; the watch is re-issued at once after
READ_TIMEOUT = WATCH_SECONDS + 30


def pod_key(obj: Json) -> str:
    return obj.get("metadata", {}).get("name", "")


def event_key(obj: Json) -> str:
    inv = obj.get("involvedObject") or {}
    return inv.get("name", "") if inv.get("kind", "Pod") == "Pod" else ""


class Watcher:
    """List+watch of one resource in one namespace; see the module docstring."""

    def __init__(
        self,
        api: KubeApi,
        namespace: str,
        resource: str = "pods",
        label_selector: str | None = None,
        field_selector: str | None = None,
        key: Callable[[Json], str] = pod_key,
    ) -> None:
        self.api = api
        self.namespace = namespace
        self.resource = resource
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.key = key
        self._lock = threading.RLock()
        self._cache: dict[str, dict[str, Json]] = {}  # key -> uid/name -> object
        self._subs: dict[str, list[Handler]] = {}
        self._rv: str | None = None
        self._stop = threading.Event()
        self._synced = threading.Event()
        # Set when the first list is loaded, or has failed in a way retrying will not
        # fix (403, 401, an untrusted certificate): waiters learn that at once.
        self._settled = threading.Event()
        self._resp: Any = None
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None  # last error, for diagnostics
        self.relists = 0
        self.poll_interval = DEFAULT_POLL_INTERVAL
        #: "watch" (normal), "poll" (watching forbidden: listing every poll_interval)
        #: or "refused" (listing forbidden too); see :meth:`on_mode`
        self.mode = "watch"
        self.mode_detail = ""
        self._mode_subs: list[Callable[[str, str], None]] = []
        self._watch_refused = False
        self._retry = threading.Event()  # cuts a retry wait short: stop() and retry_now()

    # -- public ------------------------------------------------------------------

    def start(self) -> Watcher:
        """Start the background thread (idempotent)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"watch-{self.resource}-{self.namespace}", daemon=True
                )
                self._thread.start()
        return self

    def wait_synced(self, timeout: float) -> bool:
        """Wait until the first list has been loaded.

        False after ``timeout``, or as soon as the list failed for good (see
        :attr:`error`); the watcher goes on retrying in the background either way.
        """
        self._settled.wait(timeout)
        return self._synced.is_set()

    def subscribe(self, key: str, handler: Handler, replay: bool = True) -> Callable[[], None]:
        """Call ``handler`` for every change of objects with ``key``; returns an unsubscribe.

        With ``replay`` the objects already cached are delivered first (as ADDED).
        """
        with self._lock:
            self._subs.setdefault(key, []).append(handler)
            current = list(self._cache.get(key, {}).values()) if replay else []
        for obj in current:
            handler("ADDED", obj)

        def unsubscribe() -> None:
            with self._lock:
                handlers = self._subs.get(key, [])
                if handler in handlers:
                    handlers.remove(handler)

        return unsubscribe

    def on_mode(self, fn: Callable[[str, str], None]) -> Callable[[], None]:
        """Call ``fn(mode, detail)`` when :attr:`mode` changes (and now, if it is not "watch")."""
        with self._lock:
            self._mode_subs.append(fn)
            mode, detail = self.mode, self.mode_detail
        if mode != "watch":
            fn(mode, detail)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._mode_subs:
                    self._mode_subs.remove(fn)

        return unsubscribe

    def poll_at_most(self, seconds: float) -> None:
        """Poll at least every ``seconds`` when polling (the smallest asked for wins)."""
        if seconds and seconds > 0:
            self.poll_interval = min(self.poll_interval, float(seconds))

    def _set_mode(self, mode: str, detail: str) -> None:
        with self._lock:
            if mode == self.mode:
                return
            self.mode, self.mode_detail = mode, detail
            subs = list(self._mode_subs)
        log.info("%s in %s: %s %s", self.resource, self.namespace, mode, detail)
        for fn in subs:
            try:
                fn(mode, detail)
            except Exception:  # a subscriber's bug must not kill the shared watch
                log.exception("watch mode subscriber failed")

    def get(self, key: str) -> list[Json]:
        """The cached objects with ``key``."""
        with self._lock:
            return list(self._cache.get(key, {}).values())

    def retry_now(self) -> None:
        """Ask again at once if waiting after a refusal (a new run: RBAC may have been fixed).

        The same watcher, so every run already subscribed keeps its updates.
        """
        if not self._synced.is_set():
            self._settled.clear()  # wait_synced waits for this attempt, not the refusal before
        self._retry.set()

    def stop(self) -> None:
        """Stop watching and close the open response."""
        self._stop.set()
        self._retry.set()
        resp = self._resp
        if resp is not None:
            try:
                resp.shutdown()
            except Exception:  # noqa: BLE001 - best effort on a socket being torn down
                pass

    # -- the loop ------------------------------------------------------------------

    def _path(self) -> str:
        return f"/api/v1/namespaces/{self.namespace}/{self.resource}"

    def _selectors(self) -> list[tuple[str, Any]]:
        q: list[tuple[str, Any]] = []
        if self.label_selector:
            q.append(("labelSelector", self.label_selector))
        if self.field_selector:
            q.append(("fieldSelector", self.field_selector))
        return q

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            watching = False
            try:
                if self._rv is None or self.mode != "watch":
                    self._relist()
                if self.mode != "watch":
                    if self.mode == "refused":
                        self._set_mode("watch" if not self._watch_refused else "poll", self.mode_detail)
                    if self.mode == "poll":
                        failures = 0
                        self._stop.wait(self.poll_interval)
                        continue
                watching = True
                self._watch_once()
                failures = 0
            except Exception as exc:
                if self._stop.is_set():
                    return
                self.error = exc
                status = exception_status(exc)
                if status == 410:
                    self._rv = None  # expired: re-list, then watch from the fresh version
                    continue
                if watching and status in (403, 405):
                    # may list but not watch (RBAC): poll instead, as the reference always does
                    self._watch_refused = True
                    self._set_mode("poll", f"watching {self.resource} is forbidden ({status}); "
                                           f"listing them every {self.poll_interval:g} s instead")
                    continue
                delay = min(2.0, 0.05 * (2 ** min(failures + 1, 6)))
                if refused(exc):
                    self._settled.set()  # final (403, 401, TLS...): tell waiters now
                    self._set_mode("refused", refusal_text(exc))
                    delay = REFUSED_RETRY_SECONDS
                failures += 1
                log.debug("watch %s/%s failed (%s); retrying in %.2fs", self.namespace, self.resource, exc, delay)
                self._retry.wait(delay)
                self._retry.clear()

    def _relist(self) -> None:
        data = self.api.json("GET", self._path(), f"list {self.resource}", query=self._selectors())
        fresh: dict[str, dict[str, Json]] = {}
        for obj in data.get("items") or []:
            fresh.setdefault(self.key(obj), {})[_ident(obj)] = obj
        with self._lock:
            old = self._cache
            self._cache = fresh
            self._rv = data.get("metadata", {}).get("resourceVersion") or "0"
            self.relists += 1
            notes: list[tuple[str, str, Json]] = []
            for key, objs in fresh.items():
                for ident, obj in objs.items():
                    prev = old.get(key, {}).get(ident)
                    if prev is None:
                        notes.append(("ADDED", key, obj))
                    elif _rv_of(prev) != _rv_of(obj):
                        notes.append(("MODIFIED", key, obj))
            for key, objs in old.items():
                for ident, obj in objs.items():
                    if ident not in fresh.get(key, {}):
                        notes.append(("DELETED", key, obj))
        self._synced.set()
        self._settled.set()
        for kind, key, obj in notes:
            self._notify(kind, key, obj)

    def _watch_once(self) -> None:
        query = self._selectors() + [
            ("watch", "true"),
            ("resourceVersion", self._rv),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", WATCH_SECONDS),
        ]
        resp = self.api.open("GET", self._path(), query=query, timeout=(10, READ_TIMEOUT))
        self._resp = resp
        try:
            if self._stop.is_set():
                return
            buf = b""
            for chunk in resp.stream(amt=None, decode_content=False):
                buf += chunk
                if b"\n" not in buf:
                    continue
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    if line.strip():
                        self._handle(json.loads(line))
        finally:
            self._resp = None
            resp.release_conn()

    def _handle(self, event: Json) -> None:
        kind = event.get("type")
        obj = event.get("object") or {}
        if kind == "ERROR":
            from kubernetes.client.exceptions import ApiException  # (loaded by the first request)

            raise ApiException(status=int(obj.get("code") or 500), reason=obj.get("message", ""))
        rv = obj.get("metadata", {}).get("resourceVersion")
        if kind == "BOOKMARK":
            if rv:
                self._rv = rv
            return
        key = self.key(obj)
        with self._lock:
            if rv:
                self._rv = rv
            bucket = self._cache.setdefault(key, {})
            if kind == "DELETED":
                bucket.pop(_ident(obj), None)
            else:
                bucket[_ident(obj)] = obj
        self._notify(kind or "MODIFIED", key, obj)

    def _notify(self, kind: str, key: str, obj: Json) -> None:
        with self._lock:
            handlers = list(self._subs.get(key, ()))
        for handler in handlers:
            try:
                handler(kind, obj)
            except Exception:  # a subscriber's bug must not kill the shared watch
                log.exception("watch subscriber failed")


def _ident(obj: Json) -> str:
    meta = obj.get("metadata", {})
    return meta.get("uid") or meta.get("name", "")


def _rv_of(obj: Json) -> str:
    return obj.get("metadata", {}).get("resourceVersion", "")


def wait_for(cond: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    """Poll ``cond`` until true or ``timeout`` (test and shutdown helper)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(interval)
    return cond()
