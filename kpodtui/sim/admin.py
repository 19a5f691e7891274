"""The admin HTTP API under ``/_sim/`` (a path no real client uses): faults, counters, kills.

Same bearer token as the API. Every endpoint answers JSON.

    GET    /_sim/counters                 request counters {"GET /api/v1/...": n}
    DELETE /_sim/counters                 reset them
    POST   /_sim/faults/fail              {"n", "status", "verb"?, "path"?, "retry_after"?}
    POST   /_sim/faults/forbid            RBAC denial (403): {"namespace"?, "verbs"?, "resources"?}
    POST   /_sim/faults/latency           {"seconds"}
    POST   /_sim/faults/end-watches
    POST   /_sim/faults/expire            expire resourceVersions (410 for older ones)
    POST   /_sim/faults/cut-logs          {"after_lines", "times"?, "pod"?, "container"?}
    POST   /_sim/faults/log-rate          {"bytes_per_second"} (null: full speed)
    POST   /_sim/faults/rotate-logs       {"namespace"?, "pod", "container"}: the kubelet rotates the log now
    POST   /_sim/faults/autoscaler        {"group"?, "cpu"?, "memory"?, "max"?, "react_seconds"?, "add_seconds"?}
    POST   /_sim/faults/clear             remove request faults, denials, latency, log cuts, the autoscaler
    POST   /_sim/kill                     {"namespace"?, "pod", "container", "exit_code"?, "signal"?, "reason"?}
    POST   /_sim/restart-apiserver        drop connections and listen again (state kept)
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiohttp import web

from kpodtui.sim import errors
from kpodtui.sim.faults import Autoscaler
from kpodtui.sim.http import json_response, read_object
from kpodtui.sim.node import NodeConfig

if TYPE_CHECKING:
    from kpodtui.sim.server import ServerContext


def add_admin_routes(app: web.Application, ctx: ServerContext) -> None:
    """Register the ``/_sim/`` routes."""
    ok = {"ok": True}

    async def body(request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        if not raw.strip():
            return {}
        return await read_object(request)

    async def counters(request: web.Request) -> web.Response:
        return json_response(dict(ctx.counters))

    async def reset_counters(request: web.Request) -> web.Response:
        ctx.counters.clear()
        return json_response(ok)

    async def fail(request: web.Request) -> web.Response:
        b = await body(request)
        try:
            ctx.faults.fail_next(int(b.get("n", 1)), int(b["status"]), b.get("verb"), b.get("path"),
                                 None if b.get("retry_after") is None else int(b["retry_after"]))
        except (KeyError, ValueError, TypeError) as exc:
            raise errors.bad_request(f"bad fault: {exc!r}") from None
        return json_response(ok)

    async def forbid(request: web.Request) -> web.Response:
        b = await body(request)
        verbs, resources = b.get("verbs"), b.get("resources")
        if not all(v is None or isinstance(v, list) for v in (verbs, resources)):
            raise errors.bad_request("bad rule: verbs and resources are lists")
        ctx.faults.forbid(b.get("namespace"), verbs, resources)
        return json_response(ok)

    async def latency(request: web.Request) -> web.Response:
        ctx.faults.latency = float((await body(request)).get("seconds", 0))
        return json_response(ok)

    async def end_watches(request: web.Request) -> web.Response:
        ctx.store.end_watches()
        return json_response(ok)

    async def expire(request: web.Request) -> web.Response:
        ctx.store.expire_resource_versions()
        return json_response(ok)

    async def cut_logs(request: web.Request) -> web.Response:
        b = await body(request)
        ctx.faults.cut_logs(int(b.get("after_lines", 0)), int(b.get("times", 1)), b.get("pod"), b.get("container"))
        return json_response(ok)

    async def log_rate(request: web.Request) -> web.Response:
        rate = (await body(request)).get("bytes_per_second")
        ctx.faults.log_rate = None if rate is None else float(rate)
        return json_response(ok)

    async def rotate_logs(request: web.Request) -> web.Response:
        b = await body(request)
        buf = ctx.kubelet.container_log(b.get("namespace", "default"), b.get("pod", ""), b.get("container", "")) \
            if ctx.kubelet is not None else None
        if buf is None:
            raise errors.ApiError(404, "no such container log", "NotFound")
        buf.rotate()
        return json_response(ok)

    async def autoscaler(request: web.Request) -> web.Response:
        b = await body(request)
        try:
            node = NodeConfig(cpu=str(b.get("cpu", "16")), memory=str(b.get("memory", "64Gi")))
            ctx.faults.autoscaler = Autoscaler(node, str(b.get("group", "pool-1")), int(b.get("max", 3)),
                                               float(b.get("react_seconds", 0.5)), float(b.get("add_seconds", 1.0)))
        except (ValueError, TypeError) as exc:
            raise errors.bad_request(f"bad autoscaler: {exc!r}") from None
        return json_response(ok)

    async def clear(request: web.Request) -> web.Response:
        ctx.faults.clear()
        return json_response(ok)

    async def kill(request: web.Request) -> web.Response:
        b = await body(request)
        if ctx.kubelet is None:
            raise errors.ApiError(503, "no kubelet in this sim", "ServiceUnavailable")
        ctx.kubelet.kill_container(b.get("namespace", "default"), b["pod"], b["container"],
                                   exit_code=b.get("exit_code"), signal=b.get("signal"), reason=b.get("reason"))
        return json_response(ok)

    async def restart(request: web.Request) -> web.Response:
        if ctx.restart_hook is None:
            raise errors.ApiError(503, "restart is not available", "ServiceUnavailable")
        # After this response has gone out: the restart drops this very connection.
        asyncio.get_running_loop().call_later(0.05, lambda: asyncio.ensure_future(ctx.restart_hook()))
        return json_response(ok)

    r = app.router
    r.add_get("/_sim/counters", counters)
    r.add_delete("/_sim/counters", reset_counters)
    r.add_post("/_sim/faults/fail", fail)
    r.add_post("/_sim/faults/forbid", forbid)
    r.add_post("/_sim/faults/latency", latency)
    r.add_post("/_sim/faults/end-watches", end_watches)
    r.add_post("/_sim/faults/expire", expire)
    r.add_post("/_sim/faults/cut-logs", cut_logs)
    r.add_post("/_sim/faults/log-rate", log_rate)
    r.add_post("/_sim/faults/rotate-logs", rotate_logs)
    r.add_post("/_sim/faults/autoscaler", autoscaler)
    r.add_post("/_sim/faults/clear", clear)
    r.add_post("/_sim/kill", kill)
    r.add_post("/_sim/restart-apiserver", restart)
