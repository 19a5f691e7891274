"""A connection to one cluster shared by every run that uses it.

Holds the client, the raw API and the shared watches: one pod watch and one
event watch per namespace, started on first use and fanned out to runs. Runs
against the same cluster in one process (the app runs many) share them, so
ten runs cost the API server two watches, not ten polling loops.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from kpodtui.constants import MANAGED_SELECTOR
from kpodtui.kube.api import KubeApi
from kpodtui.kube.config import ClusterTarget, KubeClient, connect
from kpodtui.kube.watch import Watcher, event_key, pod_key


class ClusterSession:
    """Client + API + shared watchers for one cluster (see module docstring)."""

    def __init__(self, client: KubeClient) -> None:
        self.client = client
        self.api = KubeApi(client)
        self._lock = threading.Lock()
        self._pods: dict[str, Watcher] = {}
        self._events: dict[str, Watcher] = {}
        self._retry_listeners: list[Callable[[str, BaseException, float], None]] = []
        self.api.on_retry = self._retrying

    @classmethod
    def open(cls, target: ClusterTarget) -> ClusterSession:
        """Connect (reads the kubeconfig; no request is sent yet)."""
        return cls(connect(target))

    @property
    def context(self) -> str | None:
        return self.client.context

    def pods(self, namespace: str) -> Watcher:
        """The shared watch of kpodtui's pods in ``namespace``."""
        return self._shared(self._pods, namespace, lambda: Watcher(
            self.api, namespace, "pods", label_selector=MANAGED_SELECTOR, key=pod_key))

    def events(self, namespace: str) -> Watcher:
        """The shared watch of pod events in ``namespace``."""
        return self._shared(self._events, namespace, lambda: Watcher(
            self.api, namespace, "events", field_selector="involvedObject.kind=Pod", key=event_key))

    def _shared(self, watchers: dict[str, Watcher], namespace: str, make: Callable[[], Watcher]) -> Watcher:
        with self._lock:
            w = watchers.get(namespace)
            if w is not None and w.mode == "refused":
                # refused earlier (RBAC, a rotated token): a new run asks again now, not at the
                # next slow retry; the same watcher, so the runs subscribed to it hear too
                w.retry_now()
            if w is None:
                w = watchers[namespace] = make().start()
            return w

    def on_retry(self, listener: Callable[[str, BaseException, float], None]) -> Callable[[], None]:
        """Be told of every retried request (what, error, delay); returns the unsubscribe."""
        with self._lock:
            self._retry_listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._retry_listeners:
                    self._retry_listeners.remove(listener)

        return unsubscribe

    def _retrying(self, what: str, exc: BaseException, delay: float) -> None:
        with self._lock:
            listeners = list(self._retry_listeners)
        for listener in listeners:
            listener(what, exc, delay)

    def close(self) -> None:
        """Stop every watch and cut retry waits short."""
        self.api.stop.set()
        with self._lock:
            watchers = list(self._pods.values()) + list(self._events.values())
            self._pods.clear()
            self._events.clear()
        for w in watchers:
            w.stop()
        try:
            self.client.api_client.close()
        except Exception:  # noqa: BLE001 - closing pools of a dead connection
            pass
