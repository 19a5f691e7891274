"""REST handlers for the core/v1 resources: create, get, list, watch, replace, patch, delete.

Kind-specific rules (validation, defaulting, what DELETE returns, the kubelet
hand-off for pods) are looked up per resource; the request flow is shared.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web
from multidict import CIMultiDict

from kpodtui.sim import defaults, errors, patch, schema, tables, validation
from kpodtui.sim.http import (
    INT64_MAX,
    INT64_MIN,
    dumps,
    json_response,
    media_type,
    parse_body,
    query_bool,
    query_int,
    read_object,
)
from kpodtui.sim.selectors import parse_field_selector, parse_label_selector
from kpodtui.sim.store import KINDS, WatchEvent, snapshot

if TYPE_CHECKING:
    from kpodtui.sim.server import ServerContext

Obj = dict[str, Any]

#: immutable identity fields a replace/patch may not change
_IDENTITY = ("name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
             "generateName")
#: the apiserver's default watch length when the client sets no timeoutSeconds (minRequestTimeout)
DEFAULT_WATCH_SECONDS = 1800


def _validator(kind: str) -> Callable[[Obj], None]:
    return {
        "pods": validation.validate_pod,
        "configmaps": validation.validate_configmap,
        "secrets": validation.validate_secret,
        "namespaces": validation.validate_namespace,
    }.get(kind, lambda obj: validation.raise_if(validation.validate_metadata(obj.get("metadata")),
                                                KINDS[kind][0], (obj.get("metadata") or {}).get("name")))


def _apply_defaults(kind: str, obj: Obj) -> None:
    if kind == "pods":
        defaults.default_pod(obj)
    elif kind == "secrets":
        defaults.default_secret(obj)
    elif kind == "namespaces":
        defaults.default_namespace(obj)
    elif kind == "events":
        obj.setdefault("count", 1)
        obj.setdefault("involvedObject", {})


def _strip_server_fields(obj: Obj) -> None:
    meta = obj.setdefault("metadata", {})
    if isinstance(meta, dict):
        for f in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
                  "deletionGracePeriodSeconds", "selfLink", "managedFields"):
            meta.pop(f, None)


def _check_kind(kind: str, obj: Obj) -> None:
    expected, version = KINDS[kind]
    if obj.get("kind") not in (None, "", expected):
        raise errors.bad_request(f"the object provided is unrecognized (must be of type {expected}): "
                                 f"unexpected kind {obj.get('kind')!r}")
    if obj.get("apiVersion") not in (None, "", version):
        raise errors.bad_request(f"the API version in the data ({obj.get('apiVersion')}) does not match "
                                 f"the expected API version ({version})")


def _after(seconds: int) -> datetime:
    """Now plus ``seconds`` as the apiserver computes it: ``time.Duration(s) * time.Second``
    wraps around in int64 nanoseconds (a huge grace period gives a strange time, not an error);
    kept within what a timestamp can say."""
    ns = (seconds * 1_000_000_000 + 2**63) % 2**64 - 2**63
    try:
        return datetime.now(UTC) + timedelta(microseconds=ns // 1000)
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC) if ns > 0 else datetime.min.replace(tzinfo=UTC)


def _micro_rfc3339(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class Resources:
    """Handlers bound to one server context."""

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx

    @property
    def store(self):  # noqa: ANN201 - the Store
        return self.ctx.store

    def _spawn(self, coro: Any) -> None:
        # The set lives on the context so tasks survive an API server restart (and are not GC'd).
        task = asyncio.ensure_future(coro)
        self.ctx.tasks.add(task)
        task.add_done_callback(self.ctx.tasks.discard)

    def _require(self, kind: str, namespace: str | None, name: str) -> Obj:
        obj = self.store.get(kind, namespace, name)
        if obj is None:
            raise errors.not_found(kind, name)
        return obj

    def _require_namespace(self, namespace: str | None) -> None:
        if namespace is not None and self.store.get("namespaces", None, namespace) is None:
            raise errors.not_found("namespaces", namespace)

    # -- list / watch ---------------------------------------------------------------

    async def collection_get(self, request: web.Request, kind: str, namespace: str | None) -> web.StreamResponse:
        """GET on a collection: a list, a Table, or a watch (``watch=true``)."""
        label = parse_label_selector(request.query.get("labelSelector"))
        field = parse_field_selector(kind, request.query.get("fieldSelector"))

        def match(obj: Obj) -> bool:
            return label(obj) and field(obj)

        if query_bool(request, "watch"):
            return await self.watch(request, kind, namespace, match)
        return self.list(request, kind, namespace, match)

    def list(self, request: web.Request, kind: str, namespace: str | None, match: Callable[[Obj], bool]) -> web.Response:
        """A List (or Table) of the matching objects, paged by ``limit``/``continue``."""
        store = self.store
        rv_param = request.query.get("resourceVersion")
        if rv_param and request.query.get("resourceVersionMatch") == "Exact":
            rv = _parse_rv(rv_param)
            if rv < store.compacted_rv:
                raise errors.expired(f"too old resource version: {rv} ({store.compacted_rv})")
        limit = query_int(request, "limit")
        start_after: tuple[str, str] | None = None
        list_rv = store.resource_version
        token = request.query.get("continue")
        if token:
            try:
                state = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
                start_after, list_rv = (state["ns"], state["name"]), int(state["rv"])
            except (ValueError, KeyError, TypeError, binascii.Error):
                raise errors.bad_request("continue key is not valid: incorrect encoded start resourceVersion") from None
            if list_rv < store.compacted_rv:
                raise errors.expired("The provided continue parameter is too old to display a consistent list "
                                     "result. You can start a new list without the continue parameter, or use "
                                     "the continue token in this response to retrieve the remainder of the results.")
        items = []
        for obj in store.list(kind, namespace):
            meta = obj["metadata"]
            if start_after is not None and (meta.get("namespace", ""), meta["name"]) <= start_after:
                continue
            if match(obj):
                items.append(obj)
        next_token, remaining = None, 0
        if limit and limit > 0 and len(items) > limit:
            remaining = len(items) - limit
            items = items[:limit]
            last = items[-1]["metadata"]
            next_token = base64.urlsafe_b64encode(dumps(
                {"rv": list_rv, "ns": last.get("namespace", ""), "name": last["name"]}).encode()).decode()
        if tables.wants_table(request.headers.get("Accept", "")):
            return json_response(tables.table(kind, items, str(list_rv), request.query.get("includeObject", "Metadata"),
                                              next_token))
        list_meta: Obj = {"resourceVersion": str(list_rv)}
        if next_token:
            list_meta["continue"] = next_token
            list_meta["remainingItemCount"] = remaining
        obj_kind = KINDS[kind][0]
        return json_response({"kind": f"{obj_kind}List", "apiVersion": "v1", "metadata": list_meta, "items": items})

    async def watch(self, request: web.Request, kind: str, namespace: str | None,
                    match: Callable[[Obj], bool]) -> web.StreamResponse:
        """A chunked watch stream: catch-up events, then live ones, bookmarks, and a clean end."""
        store = self.store
        rv_param = request.query.get("resourceVersion", "")
        since = None if rv_param in ("", "0") else _parse_rv(rv_param)
        if since is not None and request.query.get("sendInitialEvents") == "true":
            since = None
        timeout = query_int(request, "timeoutSeconds") or DEFAULT_WATCH_SECONDS
        bookmarks = query_bool(request, "allowWatchBookmarks")
        initial_end = bookmarks and request.query.get("sendInitialEvents") == "true"
        resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json",
                                                       "Cache-Control": "no-cache, private"})
        resp.enable_chunked_encoding()
        obj_kind = KINDS[kind][0]
        if tables.wants_table(request.headers.get("Accept", "")):
            # `kubectl get -w`: each event's object is a one-row Table (READY, STATUS... columns)
            include = request.query.get("includeObject", "Metadata")

            def line(ev: WatchEvent) -> str:
                if ev.type not in ("ADDED", "MODIFIED", "DELETED"):
                    return _event_line(ev)
                row = tables.table(kind, [ev.obj], str(ev.rv), include)
                return f'{{"type":"{ev.type}","object":{dumps(row)}}}\n'
        else:
            line = _event_line
        try:
            watcher = store.watch(kind, namespace, match, since)
        except errors.ApiError as exc:
            # Too old: a 200 with one ERROR event, which is what clients handle (a 410 status is not retried).
            await resp.prepare(request)
            await resp.write(f'{{"type":"ERROR","object":{dumps(exc.status())}}}\n'.encode())
            await resp.write_eof()
            return resp
        self.ctx.open_watches += 1
        try:
            await resp.prepare(request)
            deadline = time.monotonic() + timeout
            interval = self.ctx.bookmark_interval
            next_bookmark = time.monotonic() + interval
            if initial_end:
                # Catch-up (ADDED of everything) is queued already; flush it, then mark its end.
                pending = _drain(watcher.queue)
                lines = [line(e) for e in pending if e.type not in ("END", "ERROR")]
                lines.append(dumps({"type": "BOOKMARK", "object": {
                    "kind": obj_kind, "apiVersion": "v1",
                    "metadata": {"resourceVersion": str(store.resource_version),
                                 "annotations": {"k8s.io/initial-events-end": "true"}}}}) + "\n")
                await resp.write("".join(lines).encode())
            while True:
                now = time.monotonic()
                if now >= deadline:
                    break
                events = _drain(watcher.queue)
                if not events:
                    # Wake at least every second to notice a client that went away.
                    wait = min(deadline - now, 1.0, (next_bookmark - now) if bookmarks else 1.0)
                    try:
                        events = [await asyncio.wait_for(watcher.queue.get(), max(wait, 0.001))]
                        events += _drain(watcher.queue)
                    except TimeoutError:
                        if request.transport is None or request.transport.is_closing():
                            return resp
                        if bookmarks and time.monotonic() >= next_bookmark:
                            next_bookmark = time.monotonic() + interval
                            await resp.write((dumps({"type": "BOOKMARK", "object": {
                                "kind": obj_kind, "apiVersion": "v1",
                                "metadata": {"resourceVersion": str(store.resource_version)}}}) + "\n").encode())
                        continue
                stop = False
                lines = []
                for ev in events:
                    if ev.type == "END":
                        stop = True
                        break
                    lines.append(line(ev))
                    if ev.type == "ERROR":
                        stop = True
                        break
                if lines:
                    await resp.write("".join(lines).encode())
                if stop:
                    break
            await resp.write_eof()
        except ConnectionResetError:
            # The client went away (or the server is stopping): nothing to tell anyone.
            return resp
        finally:
            store.unwatch(watcher)
            self.ctx.open_watches -= 1
        return resp

    # -- single objects ----------------------------------------------------------------

    async def get(self, request: web.Request, kind: str, namespace: str | None, name: str) -> web.Response:
        """GET one object (as a Table when asked)."""
        self._require_namespace(namespace)
        obj = self._require(kind, namespace, name)
        if tables.wants_table(request.headers.get("Accept", "")):
            return json_response(tables.table(kind, [obj], obj["metadata"]["resourceVersion"],
                                              request.query.get("includeObject", "Metadata")))
        return json_response(obj)

    async def create(self, request: web.Request, kind: str, namespace: str | None) -> web.Response:
        """POST a new object: validate, default, store, hand pods to the kubelet; 201."""
        obj = await read_object(request)
        _check_kind(kind, obj)
        await schema.ready()
        return self._create(request, kind, namespace, obj)

    def _create(self, request: web.Request, kind: str, namespace: str | None, obj: Obj) -> web.Response:
        obj, warnings = schema.prune(kind, obj, schema.directive(request.query))
        meta = obj.get("metadata")
        if meta is None:
            obj["metadata"] = meta = {}
        if isinstance(meta, dict):
            for empty in ("labels", "annotations"):
                if meta.get(empty) == {}:
                    del meta[empty]  # an empty map is not kept (Go's omitempty)
            body_ns = meta.get("namespace")
            if namespace is not None and body_ns not in (None, "", namespace):
                raise errors.bad_request("the namespace of the provided object does not match the namespace "
                                         "sent on the request")
            defaults.generate_name(meta)
        _validator(kind)(obj)
        _strip_server_fields(obj)
        _apply_defaults(kind, obj)
        if namespace is not None:
            self._require_namespace(namespace)
            ns_obj = self.store.get("namespaces", None, namespace)
            if ns_obj and (ns_obj.get("status") or {}).get("phase") == "Terminating":
                raise errors.ApiError(403, f'{kind} "{obj["metadata"]["name"]}" is forbidden: unable to create new '
                                      f"content in namespace {namespace} because it is being terminated",
                                      "Forbidden", {"name": obj["metadata"]["name"], "kind": kind})
        if request.query.get("dryRun") == "All":
            return json_response(obj, status=201, headers=_warning_headers(warnings))
        created = self.store.create(kind, namespace, obj)
        body = dumps(created).encode()
        if kind == "pods" and self.ctx.kubelet is not None:
            self.ctx.kubelet.pod_added(created)
        return web.Response(body=body, status=201, content_type="application/json",
                            headers=_warning_headers(warnings))

    async def replace(self, request: web.Request, kind: str, namespace: str | None, name: str,
                      status_only: bool = False) -> web.Response:
        """PUT a whole object (optimistic concurrency on ``metadata.resourceVersion``)."""
        obj = await read_object(request)
        _check_kind(kind, obj)
        await schema.ready()
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            raise errors.invalid(KINDS[kind][0], name, [{"reason": "FieldValueRequired",
                                                         "message": "Required value", "field": "metadata"}])
        if meta.get("name") not in (None, name):
            raise errors.bad_request(f"the name of the object ({meta.get('name')}) does not match the name "
                                     f"on the URL ({name})")
        return self._update(request, kind, namespace, name, obj, status_only)

    async def patch(self, request: web.Request, kind: str, namespace: str | None, name: str,
                    status_only: bool = False) -> web.Response:
        """PATCH with any of the three patch types (415 for others)."""
        ctype = media_type(request)
        if ctype not in patch.PATCH_TYPES:
            raise errors.ApiError(415, "415: Unsupported Media Type", "UnsupportedMediaType", {})
        body = parse_body(await request.read(), ctype)
        await schema.ready()
        if ctype == patch.APPLY_PATCH:
            if not request.query.get("fieldManager"):
                raise errors.ApiError(422, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
                                      "is required for apply patch", "Invalid",
                                      {"group": "meta.k8s.io", "kind": "PatchOptions",
                                       "causes": [{"reason": "FieldValueRequired", "field": "fieldManager",
                                                   "message": "Required value: is required for apply patch"}]})
            if self.store.get(kind, namespace, name) is None and isinstance(body, dict):
                # server-side apply of an object that does not exist creates it
                _check_kind(kind, body)
                meta = body.setdefault("metadata", {})
                if isinstance(meta, dict) and meta.get("name") not in (None, name):
                    raise errors.bad_request(f"the name of the object ({meta.get('name')}) does not match the "
                                             f"name on the URL ({name})")
                if isinstance(meta, dict):
                    meta["name"] = name
                return self._create(request, kind, namespace, body)
        current = self._require(kind, namespace, name)
        patched = patch.apply_patch(snapshot(current), ctype, body)
        if not isinstance(patched, dict):
            raise errors.bad_request("the patch turned the object into something that is not an object")
        rv = (patched.get("metadata") or {}).get("resourceVersion") if isinstance(patched.get("metadata"), dict) else None
        if rv == current["metadata"]["resourceVersion"]:
            patched["metadata"].pop("resourceVersion", None)  # unchanged: not a precondition
        return self._update(request, kind, namespace, name, patched, status_only)

    def _update(self, request: web.Request, kind: str, namespace: str | None, name: str, new: Obj,
                status_only: bool) -> web.Response:
        new, warnings = schema.prune(kind, new, schema.directive(request.query))
        current = self._require(kind, namespace, name)
        meta = new.get("metadata")
        if not isinstance(meta, dict):
            meta = new["metadata"] = {}
        rv = meta.get("resourceVersion")
        if rv not in (None, "") and str(rv) != current["metadata"]["resourceVersion"]:
            raise errors.conflict(kind, name)
        for f in _IDENTITY:
            if f in current["metadata"]:
                meta[f] = current["metadata"][f]
            else:
                meta.pop(f, None)
        if status_only:
            # The status subresource changes status only (and never the spec or metadata).
            new = {**snapshot(current), "status": new.get("status", current.get("status"))}
        elif kind == "pods":
            new["status"] = current.get("status")  # the main resource never changes status
            validation.validate_pod_update(current, new)
        else:
            _validator(kind)(new)
            if kind == "secrets":
                defaults.default_secret(new)
            if current.get("immutable") and (new.get("data") != current.get("data")
                                             or new.get("binaryData") != current.get("binaryData")):
                raise errors.invalid(KINDS[kind][0], name, [{
                    "reason": "FieldValueForbidden", "message": "Forbidden: field is immutable when `immutable` is set",
                    "field": "data"}])
        if request.query.get("dryRun") == "All":
            return json_response(new, headers=_warning_headers(warnings))
        if _unchanged(current, new):
            # as etcd's guaranteed update: nothing to write, no new resourceVersion, no watch event
            return json_response(current, headers=_warning_headers(warnings))
        return json_response(self.store.replace(kind, namespace, name, new), headers=_warning_headers(warnings))

    # -- delete ---------------------------------------------------------------------------

    async def _delete_options(self, request: web.Request) -> Obj:
        raw = await request.read()
        if raw.strip():
            media = media_type(request)
            body = parse_body(raw, media)
            if not isinstance(body, dict):
                raise errors.bad_request("couldn't get version/kind; json parse error: body is not a DeleteOptions object")
            opts = dict(body)
        else:
            # The apiserver reads the query only when there is no body.
            opts = {}
            grace = query_int(request, "gracePeriodSeconds")
            if grace is not None:
                opts["gracePeriodSeconds"] = grace
            if "propagationPolicy" in request.query:
                opts["propagationPolicy"] = request.query["propagationPolicy"]
            if "dryRun" in request.query:
                opts["dryRun"] = [request.query["dryRun"]]
        grace = opts.get("gracePeriodSeconds")
        if grace is not None and (not isinstance(grace, int) or isinstance(grace, bool)):
            raise errors.bad_request(f"gracePeriodSeconds must be an integer, got {grace!r}")
        if grace is not None and not INT64_MIN <= grace <= INT64_MAX:
            # Go's decoder refuses it before anything is done: the pod stays as it is
            raise errors.bad_request(f"json: cannot unmarshal number {grace} into Go struct field "
                                     "DeleteOptions.gracePeriodSeconds of type int64")
        policy = opts.get("propagationPolicy")
        if policy is not None and policy not in ("Orphan", "Background", "Foreground"):
            raise errors.invalid("DeleteOptions", "", [{
                "reason": "FieldValueNotSupported", "field": "propagationPolicy",
                "message": f'Unsupported value: "{policy}": supported values: "Foreground", "Background", "Orphan"'}])
        return opts

    async def delete(self, request: web.Request, kind: str, namespace: str | None, name: str) -> web.Response:
        """DELETE one object. Pods: deletionTimestamp, 200 with the Pod, the kubelet ends it."""
        opts = await self._delete_options(request)
        obj = self._require(kind, namespace, name)
        pre = opts.get("preconditions") or {}
        if (pre.get("uid") and pre["uid"] != obj["metadata"]["uid"]) or (
                pre.get("resourceVersion") and pre["resourceVersion"] != obj["metadata"]["resourceVersion"]):
            raise errors.conflict(kind, name)
        dry_run = "All" in (opts.get("dryRun") or [])
        if kind == "pods":
            return self._delete_pod(obj, opts, dry_run)
        if kind == "namespaces":
            return self._delete_namespace(obj, dry_run)
        if not dry_run:
            self.store.remove(kind, namespace, name)
        return json_response({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                              "details": {"name": name, "kind": kind, "uid": obj["metadata"]["uid"]}})

    def _delete_pod(self, pod: Obj, opts: Obj, dry_run: bool) -> web.Response:
        meta = pod["metadata"]
        ns, name = meta["namespace"], meta["name"]
        grace = opts.get("gracePeriodSeconds")
        if grace is None:
            grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
        # the pod strategy's CheckGracefulDelete: a pod on no node, or one whose containers have
        # all ended, goes at once; a negative grace period means 1 s
        phase = (pod.get("status") or {}).get("phase")
        if not (pod.get("spec") or {}).get("nodeName") or phase in ("Succeeded", "Failed"):
            grace = 0
        grace = 1 if int(grace) < 0 else int(grace)
        if dry_run:
            return json_response(pod)
        previous = meta.get("deletionGracePeriodSeconds")
        if previous is not None and grace >= previous:
            return json_response(pod)  # already terminating, and no shorter grace asked for

        def mark(p: Obj) -> None:
            p["metadata"]["deletionTimestamp"] = _micro_rfc3339(_after(grace))
            p["metadata"]["deletionGracePeriodSeconds"] = grace

        updated = self.store.mutate("pods", ns, name, mark)
        assert updated is not None
        body = dumps(updated).encode()
        kubelet = self.ctx.kubelet
        if kubelet is None:
            self.store.remove("pods", ns, name)  # no kubelet: nothing runs, so nothing to wait for
        else:
            self._spawn(kubelet.pod_deleting(ns, name, grace))
        return web.Response(body=body, status=200, content_type="application/json")

    def _delete_namespace(self, ns_obj: Obj, dry_run: bool) -> web.Response:
        name = ns_obj["metadata"]["name"]
        if not dry_run and (ns_obj.get("status") or {}).get("phase") != "Terminating":
            self.store.mutate("namespaces", None, name, lambda o: o.__setitem__("status", {"phase": "Terminating"}))
            self._spawn(self._finalize_namespace(name))
        return json_response({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                              "details": {"name": name, "kind": "namespaces", "uid": ns_obj["metadata"]["uid"]}})

    async def _finalize_namespace(self, name: str) -> None:
        """Delete everything in a terminating namespace, then the namespace itself."""
        kubelet = self.ctx.kubelet
        deletions = []
        for pod in list(self.store.list("pods", name)):
            pname = pod["metadata"]["name"]
            if kubelet is None:
                self.store.remove("pods", name, pname)
            else:
                deletions.append(kubelet.pod_deleting(name, pname, 0))
        if deletions:
            await asyncio.gather(*deletions, return_exceptions=True)
        for kind in ("configmaps", "secrets", "events", "pods"):
            for obj in list(self.store.list(kind, name)):
                self.store.remove(kind, name, obj["metadata"]["name"])
        self.store.remove("namespaces", None, name)

    async def delete_collection(self, request: web.Request, kind: str, namespace: str | None) -> web.Response:
        """DELETE on a collection: each matching object as a single delete would; returns the List."""
        label = parse_label_selector(request.query.get("labelSelector"))
        field = parse_field_selector(kind, request.query.get("fieldSelector"))
        opts = await self._delete_options(request)
        dry_run = "All" in (opts.get("dryRun") or [])
        items = [o for o in self.store.list(kind, namespace) if label(o) and field(o)]
        out = []
        for obj in items:
            if kind == "pods":
                self._delete_pod(obj, opts, dry_run)
                out.append(self.store.get("pods", namespace, obj["metadata"]["name"]) or obj)
            else:
                if not dry_run:
                    self.store.remove(kind, namespace, obj["metadata"]["name"])
                out.append(obj)
        return json_response({"kind": f"{KINDS[kind][0]}List", "apiVersion": "v1",
                              "metadata": {"resourceVersion": str(self.store.resource_version)}, "items": out})


def _parse_rv(value: str) -> int:
    try:
        rv = int(value)
    except ValueError:
        raise errors.bad_request(f'invalid resource version "{value}"') from None
    if rv < 0:
        raise errors.bad_request(f'invalid resource version "{value}"')
    return rv


def _drain(queue: asyncio.Queue[WatchEvent]) -> list[WatchEvent]:
    out = []
    while True:
        try:
            out.append(queue.get_nowait())
        except asyncio.QueueEmpty:
            return out


def _event_line(ev: WatchEvent) -> str:
    return f'{{"type":"{ev.type}","object":{dumps(ev.obj)}}}\n'


def _warning_headers(warnings: list[str]) -> CIMultiDict[str] | None:
    """One ``Warning`` header per unknown field (kubectl prints each)."""
    return CIMultiDict(("Warning", w) for w in warnings) if warnings else None


def _unchanged(current: Obj, new: Obj) -> bool:
    """Whether ``new`` is ``current`` again (its resourceVersion aside)."""
    def bare(obj: Obj) -> Obj:
        meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "resourceVersion"}
        return {**obj, "metadata": meta}

    return bare(current) == bare(new)
