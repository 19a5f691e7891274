"""The sim's API server: an aiohttp application with the core/v1 routes.

Middlewares wrap every route, the kubelet's log/exec routes included: request
counters, bearer-token auth (401), injected latency and faults (429/500/503),
and turning any error into a ``Status`` body (a handler bug becomes a 500
Status, never a dropped connection).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from kpodtui.sim import discovery, errors
from kpodtui.sim.admin import add_admin_routes
from kpodtui.sim.faults import Faults
from kpodtui.sim.http import error_response, json_response
from kpodtui.sim.resources import Resources
from kpodtui.sim.store import Store

try:  # the kubelet half lands separately; without it there are no log/exec routes
    from kpodtui.sim import kubelet_api
except ImportError:  # pragma: no cover - depends on the checkout
    kubelet_api = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from kpodtui.sim.kubelet import Kubelet

log = logging.getLogger(__name__)

ADMIN_PREFIX = "/_sim/"
NAMESPACED_KINDS = ("pods", "events", "configmaps", "secrets")
#: how large a request body may be (the real apiserver's limit is 3 MiB)
MAX_BODY = 3 * 1024 * 1024


@dataclass
class ServerContext:
    """What the handlers share: the store, faults, the kubelet, the token and the counters."""

    store: Store
    faults: Faults
    token: str
    kubelet: Kubelet | None = None
    counters: Counter[str] = field(default_factory=Counter)
    #: seconds between watch bookmarks (when the client allows them)
    bookmark_interval: float = 1.0
    server_address: str = "127.0.0.1:0"
    open_watches: int = 0
    #: set by SimCluster: restart the listener (admin API)
    restart_hook: Any = None
    #: background tasks (pod deletions...) kept alive across API server restarts
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)


def _kube_verb(request: web.Request) -> str:
    method = request.method
    if method == "GET":
        if request.query.get("watch", "").lower() in ("true", "1"):
            return "watch"
        return "get" if "name" in request.match_info else "list"
    if method == "DELETE":
        return "delete" if "name" in request.match_info else "deletecollection"
    return {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method, method.lower())


def _route_template(request: web.Request) -> str:
    info = request.match_info
    route = getattr(info, "route", None)
    resource = getattr(route, "resource", None)
    if resource is None or info.http_exception is not None:
        return "<unknown>"
    return resource.canonical


#: the user name the sim's kubeconfig authenticates as (what RBAC messages name)
SIM_USER = "kpodtui-sim"


def _rbac_target(path: str) -> tuple[str | None, str, str | None]:
    """``(namespace, RBAC resource, name)`` of an API path (``pods/log`` for a subresource)."""
    parts = [p for p in path.split("/") if p]
    if parts[:2] != ["api", "v1"]:
        return None, "", None
    rest = parts[2:]
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not rest:
        return namespace, "", None
    resource, name = rest[0], rest[1] if len(rest) > 1 else None
    if len(rest) > 2:
        resource = f"{resource}/{rest[2]}"
    return namespace, resource, name


def _forbidden(kube_verb: str, namespace: str | None, resource: str, name: str | None) -> errors.ApiError:
    """The real apiserver's RBAC denial."""
    kind = resource.split("/")[0]
    what = f'{kind} "{name}"' if name else kind
    where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
    return errors.ApiError(
        403,
        f'{what} is forbidden: User "{SIM_USER}" cannot {kube_verb} resource "{resource}" in API group ""{where}',
        "Forbidden",
        {"name": name, "kind": kind} if name else {"kind": kind},
    )


def _fault_error(status: int, retry_after: int | None) -> errors.ApiError:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    if status == 429:
        return errors.ApiError(429, "Too many requests, please try again later.", "TooManyRequests",
                               {"retryAfterSeconds": retry_after or 1}, headers)
    if status == 500:
        return errors.ApiError(500, "Internal error occurred: injected by kpodtui sim", "InternalError",
                               {"causes": [{"message": "injected by kpodtui sim"}]}, headers)
    if status == 503:
        details = {"retryAfterSeconds": retry_after} if retry_after is not None else None
        return errors.ApiError(503, "the server is currently unable to handle the request", "ServiceUnavailable",
                               details, headers)
    if status == 422:  # as a validating admission policy denies a request
        return errors.invalid("Pod", "", [{"reason": "FieldValueForbidden", "field": "spec",
                                           "message": "Forbidden: denied by an admission policy (injected by kpodtui sim)"}])
    return errors.ApiError(status, f"injected fault {status}", None, None, headers)


PUBLIC_PATHS = frozenset({"/version", "/healthz", "/livez", "/readyz"})


def build_app(ctx: ServerContext) -> web.Application:
    """The aiohttp application serving ``ctx``."""

    @web.middleware
    async def status_errors(request: web.Request, handler: Any) -> web.StreamResponse:
        admin = request.path.startswith(ADMIN_PREFIX)
        if not admin:
            verb = "WATCH" if _kube_verb(request) == "watch" else request.method
            ctx.counters[f"{verb} {_route_template(request)}"] += 1
        try:
            given = request.headers.get("Authorization")
            # /version and the health checks are public (system:public-info-viewer) to a client
            # with no credentials; wrong credentials are refused everywhere
            public = given is None and request.method == "GET" and request.path in PUBLIC_PATHS
            if given != f"Bearer {ctx.token}" and not public:
                raise errors.ApiError(401, "Unauthorized", "Unauthorized")
            if not admin:
                if ctx.faults.latency > 0:
                    if request.body_exists:
                        # a slow server has the request in full before it acts on it: a client
                        # gone meanwhile does not undo a create (aiohttp keeps the body for the handler)
                        await request.read()
                    await asyncio.sleep(ctx.faults.latency)
                kube_verb = _kube_verb(request)
                fault = ctx.faults.take_request_fault(request.method, kube_verb, request.path)
                if fault is not None and fault.status == 0:  # carried out, answered late
                    answer = await handler(request)
                    await asyncio.sleep(fault.reply_delay)
                    return answer
                if fault is not None:
                    raise _fault_error(fault.status, fault.retry_after)
                if ctx.faults.forbidden:
                    namespace, resource, name = _rbac_target(request.path)
                    if resource and ctx.faults.is_forbidden(kube_verb, namespace, resource):
                        raise _forbidden(kube_verb, namespace, resource, name)
            return await handler(request)
        except errors.ApiError as exc:
            return error_response(exc)
        except web.HTTPException as exc:
            if exc.status == 404:
                return error_response(errors.ApiError(404, "the server could not find the requested resource",
                                                      "NotFound", {}))
            if exc.status == 405:
                return error_response(errors.method_not_allowed(request.method))
            if exc.status == 413:
                return error_response(errors.ApiError(413, "Request entity too large: limit is 3145728",
                                                      "RequestEntityTooLarge"))
            if exc.status < 400:
                raise
            return error_response(errors.ApiError(exc.status, exc.reason or "error"))
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception as exc:  # a sim bug: still answer with a Status, and log it
            log.exception("sim: unhandled error for %s %s", request.method, request.path_qs)
            return error_response(errors.ApiError(500, f"Internal error occurred: {exc!r}", "InternalError",
                                                  {"causes": [{"message": repr(exc)}]}))

    app = web.Application(middlewares=[status_errors], client_max_size=MAX_BODY)
    _add_api_routes(app, ctx)
    if kubelet_api is not None and ctx.kubelet is not None:
        kubelet_api.add_routes(app, ctx.kubelet)
    add_admin_routes(app, ctx)
    return app


def _add_api_routes(app: web.Application, ctx: ServerContext) -> None:
    res = Resources(ctx)
    r = app.router

    async def version(request: web.Request) -> web.Response:
        return json_response(discovery.VERSION)

    async def api(request: web.Request) -> web.Response:
        return json_response(discovery.api_versions(ctx.server_address))

    async def api_v1(request: web.Request) -> web.Response:
        return json_response(discovery.CORE_V1_RESOURCES)

    async def apis(request: web.Request) -> web.Response:
        return json_response(discovery.api_group_list())

    core_doc = discovery.openapi_v3_core()
    core_hash = hashlib.sha512(json.dumps(core_doc, sort_keys=True).encode()).hexdigest().upper()

    async def openapi_root(request: web.Request) -> web.Response:
        return json_response(discovery.openapi_v3_root(core_hash))

    async def openapi_core(request: web.Request) -> web.Response:
        return json_response(core_doc)

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok", content_type="text/plain")

    r.add_get("/version", version)
    r.add_get("/api", api)
    r.add_get("/api/", api)
    r.add_get("/api/v1", api_v1)
    r.add_get("/api/v1/", api_v1)
    r.add_get("/apis", apis)
    r.add_get("/apis/", apis)
    r.add_get("/openapi/v3", openapi_root)
    r.add_get("/openapi/v3/api/v1", openapi_core)
    for path in ("/healthz", "/livez", "/readyz"):
        r.add_get(path, healthz)

    def ns(req: web.Request) -> str:
        return req.match_info["namespace"]

    for kind in NAMESPACED_KINDS:
        coll = f"/api/v1/namespaces/{{namespace}}/{kind}"
        item = f"{coll}/{{name}}"
        # default arguments bind the loop variable (late binding would give every route the last kind)
        r.add_get(f"/api/v1/{kind}", _h(lambda q, k=kind: res.collection_get(q, k, None)))
        r.add_get(coll, _h(lambda q, k=kind: _check_ns(res, q, k)))
        r.add_post(coll, _h(lambda q, k=kind: res.create(q, k, ns(q))))
        r.add_delete(coll, _h(lambda q, k=kind: res.delete_collection(q, k, ns(q))))
        r.add_get(item, _h(lambda q, k=kind: res.get(q, k, ns(q), q.match_info["name"])))
        r.add_put(item, _h(lambda q, k=kind: res.replace(q, k, ns(q), q.match_info["name"])))
        r.add_patch(item, _h(lambda q, k=kind: res.patch(q, k, ns(q), q.match_info["name"])))
        r.add_delete(item, _h(lambda q, k=kind: res.delete(q, k, ns(q), q.match_info["name"])))
    status = "/api/v1/namespaces/{namespace}/pods/{name}/status"
    r.add_get(status, _h(lambda q: res.get(q, "pods", ns(q), q.match_info["name"])))
    r.add_put(status, _h(lambda q: res.replace(q, "pods", ns(q), q.match_info["name"], status_only=True)))
    r.add_patch(status, _h(lambda q: res.patch(q, "pods", ns(q), q.match_info["name"], status_only=True)))

    for kind in ("namespaces", "nodes"):
        coll = f"/api/v1/{kind}"
        item = f"{coll}/{{name}}"
        r.add_get(coll, _h(lambda q, k=kind: res.collection_get(q, k, None)))
        r.add_get(item, _h(lambda q, k=kind: res.get(q, k, None, q.match_info["name"])))
        if kind == "namespaces":
            r.add_post(coll, _h(lambda q: res.create(q, "namespaces", None)))
            r.add_put(item, _h(lambda q: res.replace(q, "namespaces", None, q.match_info["name"])))
            r.add_patch(item, _h(lambda q: res.patch(q, "namespaces", None, q.match_info["name"])))
            r.add_delete(item, _h(lambda q: res.delete(q, "namespaces", None, q.match_info["name"])))


def _h(fn: Any) -> Any:
    """An async handler around a lambda returning a coroutine (aiohttp wants coroutine functions)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return await fn(request)

    return handler


async def _check_ns(res: Resources, request: web.Request, kind: str) -> web.StreamResponse:
    # Listing in a namespace that does not exist is allowed (empty list), as on a real cluster.
    return await res.collection_get(request, kind, request.match_info["namespace"])
