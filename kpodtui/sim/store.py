"""The object store: plain-dict Kubernetes objects, one global resourceVersion, watchers.

Only ever used from the sim's event loop thread, so there is no locking. The
store keeps a window of recent changes so a watch can resume from a
resourceVersion; anything older than the window is "compacted" and answered
with 410 Gone, as etcd does.

Objects handed out by :meth:`Store.get` / :meth:`Store.list` are the live
ones (no copy, because the server serializes them at once): change them only
through :meth:`Store.mutate`. Watchers get a snapshot per change.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kpodtui.sim import errors

Obj = dict[str, Any]
Key = tuple[str, str]  # (namespace or "", name)

#: kinds without a namespace
CLUSTER_SCOPED = frozenset({"namespaces", "nodes"})
#: the Kind and apiVersion written into objects of each resource
KINDS: dict[str, tuple[str, str]] = {
    "pods": ("Pod", "v1"),
    "events": ("Event", "v1"),
    "configmaps": ("ConfigMap", "v1"),
    "secrets": ("Secret", "v1"),
    "namespaces": ("Namespace", "v1"),
    "nodes": ("Node", "v1"),
}
#: how many changes are kept for watches that resume from a resourceVersion
HISTORY_WINDOW = 5000
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def now_rfc3339() -> str:
    """Current time as a Kubernetes ``Time`` (second precision, ``Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_micro() -> str:
    """Current time as a Kubernetes ``MicroTime``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def snapshot(value: Any) -> Any:
    """A deep copy of JSON-like data, several times faster than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {k: snapshot(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snapshot(v) for v in value]
    return value


@dataclass
class WatchEvent:
    """One change as a watcher sees it. ``obj`` is a snapshot: never mutate it."""

    type: str  # ADDED, MODIFIED, DELETED, ERROR; END asks the watch to finish (BOOKMARKs are made by the server)
    obj: Obj
    rv: int


@dataclass(eq=False)
class Watcher:
    """A registered watch: changes of ``kind`` in ``namespace`` (None: all) that ``match``."""

    kind: str
    namespace: str | None
    match: Callable[[Obj], bool]
    queue: asyncio.Queue[WatchEvent] = field(default_factory=asyncio.Queue)

    def offer(self, type_: str, obj: Obj, old: Obj | None, rv: int) -> None:
        """Queue a change, translated as a filtered watch does (leaving/entering the selection)."""
        now_in = type_ != "DELETED" and self.match(obj)
        if type_ == "ADDED":
            if now_in:
                self.queue.put_nowait(WatchEvent("ADDED", obj, rv))
        elif type_ == "DELETED":
            if self.match(obj):
                self.queue.put_nowait(WatchEvent("DELETED", obj, rv))
        else:
            was_in = old is not None and self.match(old)
            if was_in and now_in:
                self.queue.put_nowait(WatchEvent("MODIFIED", obj, rv))
            elif now_in:
                self.queue.put_nowait(WatchEvent("ADDED", obj, rv))
            elif was_in:
                # as the apiserver's watch cache: the object as it was when it still matched,
                # at the change's resourceVersion
                assert old is not None
                gone = {**old, "metadata": {**old.get("metadata", {}), "resourceVersion": str(rv)}}
                self.queue.put_nowait(WatchEvent("DELETED", gone, rv))


class Store:
    """All objects of the simulated cluster. See the module docstring."""

    def __init__(self, history_window: int = HISTORY_WINDOW) -> None:
        self._objects: dict[str, dict[Key, Obj]] = {kind: {} for kind in KINDS}
        self._rv = 0
        # (rv, kind, namespace, type, snapshot, previous snapshot) of recent changes
        self._history: deque[tuple[int, str, str, str, Obj, Obj | None]] = deque(maxlen=history_window)
        # watches may resume from any RV >= this one; older ones are gone (410)
        self._compacted_rv = 0
        self._last: dict[tuple[str, Key], Obj] = {}  # last snapshot per object, for MODIFIED filtering
        self._watchers: set[Watcher] = set()
        self._event_index: dict[tuple[Any, ...], Key] = {}  # aggregation key -> event
        self._last_event_ns = 0
        for ns in DEFAULT_NAMESPACES:
            self.create("namespaces", None, {"metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
                                             "spec": {"finalizers": ["kubernetes"]},
                                             "status": {"phase": "Active"}})

    # -- resourceVersions ------------------------------------------------------

    def _event_name_clock(self) -> int:
        """Nanoseconds since the epoch, strictly increasing (two events in one tick stay ordered)."""
        self._last_event_ns = max(time.time_ns(), self._last_event_ns + 1)
        return self._last_event_ns

    @property
    def resource_version(self) -> int:
        """The newest resourceVersion handed out."""
        return self._rv

    @property
    def compacted_rv(self) -> int:
        """Watches from resourceVersions older than this get 410 Gone."""
        return self._compacted_rv

    def _next_rv(self) -> int:
        self._rv += 1
        return self._rv

    def expire_resource_versions(self) -> None:
        """Forget all history: every resourceVersion handed out so far is now too old.

        Open watches get a 410 ERROR event and end, as watches lagging behind
        a compaction do; clients must re-list.
        """
        self._next_rv()
        self._compacted_rv = self._rv
        self._history.clear()
        for w in list(self._watchers):
            w.queue.put_nowait(WatchEvent("ERROR", self.expired_status(0), self._rv))

    def end_watches(self) -> None:
        """End every open watch cleanly now (clients without a timeout re-watch from their last RV)."""
        for w in list(self._watchers):
            w.queue.put_nowait(WatchEvent("END", {}, self._rv))

    def expired_status(self, rv: int) -> Obj:
        """The Status of a watch ERROR event for a too old resourceVersion."""
        return errors.expired(f"too old resource version: {rv} ({self._compacted_rv})").status()

    # -- reading -----------------------------------------------------------------

    @staticmethod
    def _key(kind: str, namespace: str | None, name: str) -> Key:
        return ("" if kind in CLUSTER_SCOPED else (namespace or ""), name)

    def get(self, kind: str, namespace: str | None, name: str) -> Obj | None:
        """The live object, or None."""
        return self._objects[kind].get(self._key(kind, namespace, name))

    def list(self, kind: str, namespace: str | None = None) -> list[Obj]:
        """Live objects of ``kind`` (in ``namespace``, or all), sorted by namespace and name."""
        items = self._objects[kind]
        keys = sorted(k for k in items if namespace is None or k[0] == namespace)
        return [items[k] for k in keys]

    # -- writing -----------------------------------------------------------------

    def _emit(self, kind: str, key: Key, type_: str, obj: Obj) -> None:
        rv = int(obj["metadata"]["resourceVersion"])
        snap = snapshot(obj)
        old = self._last.pop((kind, key), None) if type_ == "DELETED" else self._last.get((kind, key))
        if type_ != "DELETED":
            self._last[(kind, key)] = snap
        self._history.append((rv, kind, key[0], type_, snap, old))
        if self._history.maxlen and len(self._history) == self._history.maxlen:
            self._compacted_rv = max(self._compacted_rv, self._history[0][0] - 1)
        for w in self._watchers:
            if w.kind == kind and (w.namespace is None or w.namespace == key[0]):
                w.offer(type_, snap, old, rv)

    def create(self, kind: str, namespace: str | None, obj: Obj) -> Obj:
        """Store a new object (filling uid, resourceVersion, creationTimestamp, namespace); ADDED.

        Raises 409 AlreadyExists, or 404 when the namespace does not exist.
        """
        meta = obj.setdefault("metadata", {})
        name = meta.get("name")
        if not name:
            raise errors.invalid(KINDS[kind][0], "", [{"reason": "FieldValueRequired",
                                 "message": "Required value: name or generateName is required",
                                 "field": "metadata.name"}])
        if kind not in CLUSTER_SCOPED:
            if not namespace:
                raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the request")
            if self.get("namespaces", None, namespace) is None and self._objects["namespaces"]:
                raise errors.not_found("namespaces", namespace)
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        key = self._key(kind, namespace, name)
        if key in self._objects[kind]:
            raise errors.already_exists(kind, name)
        obj_kind, api_version = KINDS[kind]
        obj["kind"] = obj_kind
        obj["apiVersion"] = api_version
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now_rfc3339()
        meta["resourceVersion"] = str(self._next_rv())
        meta.pop("deletionTimestamp", None)
        meta.pop("deletionGracePeriodSeconds", None)
        if kind == "pods":
            meta.setdefault("generation", 1)
        self._objects[kind][key] = obj
        self._emit(kind, key, "ADDED", obj)
        return obj

    def mutate(self, kind: str, namespace: str | None, name: str, fn: Callable[[Obj], Any]) -> Obj | None:
        """Edit an object in place with ``fn(obj)``, bump its resourceVersion, emit MODIFIED.

        Returns the object, or None when it does not exist (``fn`` not called).
        """
        key = self._key(kind, namespace, name)
        obj = self._objects[kind].get(key)
        if obj is None:
            return None
        fn(obj)
        obj["metadata"]["resourceVersion"] = str(self._next_rv())
        self._emit(kind, key, "MODIFIED", obj)
        return obj

    def replace(self, kind: str, namespace: str | None, name: str, new: Obj) -> Obj:
        """Put ``new`` in place of the stored object (keeping uid and creationTimestamp); MODIFIED."""
        key = self._key(kind, namespace, name)
        old = self._objects[kind].get(key)
        if old is None:
            raise errors.not_found(kind, name)
        meta = new.setdefault("metadata", {})
        for keep in ("uid", "creationTimestamp", "namespace", "name", "deletionTimestamp",
                     "deletionGracePeriodSeconds"):
            if keep in old["metadata"]:
                meta[keep] = old["metadata"][keep]
        new["kind"], new["apiVersion"] = KINDS[kind]
        meta["resourceVersion"] = str(self._next_rv())
        # Keep the dict's identity: the kubelet may hold a reference to the live object.
        old.clear()
        old.update(new)
        self._emit(kind, key, "MODIFIED", old)
        return old

    def remove(self, kind: str, namespace: str | None, name: str) -> Obj | None:
        """Delete an object now; emits DELETED with its last state (and a new resourceVersion)."""
        key = self._key(kind, namespace, name)
        obj = self._objects[kind].pop(key, None)
        if obj is None:
            return None
        obj["metadata"]["resourceVersion"] = str(self._next_rv())
        self._emit(kind, key, "DELETED", obj)
        if kind == "events":
            self._event_index = {k: v for k, v in self._event_index.items() if v != key}
        return obj

    # -- watching ----------------------------------------------------------------

    def watch(
        self, kind: str, namespace: str | None, match: Callable[[Obj], bool], since_rv: int | None
    ) -> Watcher:
        """Register a watcher; its queue first gets the catch-up events.

        ``since_rv`` None means "from now, starting with ADDED for every existing
        object" (what a watch without a resourceVersion, or with "0", does);
        otherwise the changes after ``since_rv``. Raises 410 when ``since_rv``
        is older than the kept window (the server turns that into an ERROR event).
        """
        w = Watcher(kind, namespace, match)
        if since_rv is None:
            for obj in self.list(kind, namespace):
                if match(obj):
                    w.queue.put_nowait(WatchEvent("ADDED", snapshot(obj), int(obj["metadata"]["resourceVersion"])))
        else:
            if since_rv < self._compacted_rv:
                raise errors.expired(f"too old resource version: {since_rv} ({self._compacted_rv})")
            for rv, h_kind, h_ns, type_, snap, old in self._history:
                if rv > since_rv and h_kind == kind and (namespace is None or h_ns == namespace):
                    w.offer(type_, snap, old, rv)
        self._watchers.add(w)
        return w

    def unwatch(self, watcher: Watcher) -> None:
        """Stop delivering to ``watcher``."""
        self._watchers.discard(watcher)

    @property
    def watcher_count(self) -> int:
        """How many watches are open."""
        return len(self._watchers)

    # -- events --------------------------------------------------------------------

    def record_event(
        self,
        namespace: str,
        involved: Obj,
        type_: str,
        reason: str,
        message: str,
        field_path: str | None = None,
        component: str = "kubelet",
    ) -> Obj:
        """Create a core/v1 Event about ``involved``, or count a repeat of the same one."""
        imeta = involved.get("metadata", {})
        ref: Obj = {
            "kind": involved.get("kind", "Pod"),
            "namespace": imeta.get("namespace", namespace),
            "name": imeta.get("name", ""),
            "uid": imeta.get("uid", ""),
            "apiVersion": involved.get("apiVersion", "v1"),
            "resourceVersion": imeta.get("resourceVersion", ""),
        }
        if field_path:
            ref["fieldPath"] = field_path
        host = (involved.get("spec") or {}).get("nodeName")
        agg = (namespace, ref["kind"], ref["name"], ref["uid"], field_path, type_, reason, message, component)
        ts, micro = now_rfc3339(), now_micro()
        existing_key = self._event_index.get(agg)
        if existing_key is not None and existing_key in self._objects["events"]:
            def bump(ev: Obj) -> None:
                ev["count"] = int(ev.get("count", 1)) + 1
                ev["lastTimestamp"] = ts
                ev["involvedObject"]["resourceVersion"] = ref["resourceVersion"]

            result = self.mutate("events", namespace, existing_key[1], bump)
            assert result is not None
            return result
        source: Obj = {"component": component}
        if host:
            source["host"] = host
        event: Obj = {
            # <object>.<hex of UnixNano>, as the kubelet's recorder names them: name order is time order
            "metadata": {"name": f"{ref['name']}.{self._event_name_clock():x}"},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": ts,
            "lastTimestamp": ts,
            "eventTime": micro,
            "count": 1,
            "type": type_,
            "reportingComponent": component,
            "reportingInstance": host or "",
        }
        created = self.create("events", namespace, event)
        self._event_index[agg] = self._key("events", namespace, created["metadata"]["name"])
        return created
