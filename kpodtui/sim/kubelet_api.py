"""The kubelet's HTTP endpoints: pod ``log``, ``exec``, ``attach``, served two ways.

- In the sim (:func:`add_routes`), on the API server's own paths
  (``/api/v1/namespaces/NS/pods/NAME/log``...), with the API server's errors:
  404 for a missing pod, 400 with the real messages for a missing or unknown
  container name, a container that is waiting to start, a missing previous
  instance, or a plain GET on exec.
- On a node joined to a real cluster (:func:`node_app`), on the kubelet's own
  paths (``/containerLogs/NS/NAME/CONTAINER``, ``/exec/NS/NAME/CONTAINER``
  with ``input``/``output``/``error``/``tty``, ``/attach/...``), which the
  real API server's proxy calls after its own checks; errors are plain text
  with their HTTP code, as the kubelet writes them (the API server turns a 400
  into a ``BadRequest`` Status carrying the text).

Both run the same handlers on the same pod workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from kpodtui.sim import errors
from kpodtui.sim.exec import run_attach, run_exec
from kpodtui.sim.logs import LogBuffer, parse_ts

if TYPE_CHECKING:
    from kpodtui.sim.kubelet import Kubelet
    from kpodtui.sim.podworker import ContainerRun

Obj = dict[str, Any]
POD_PATH = "/api/v1/namespaces/{namespace}/pods/{name}"
#: the largest chunk a follow stream writes at once (bounds the copies of a big backlog)
CHUNK = 1 << 20


def add_routes(app: web.Application, kubelet: Kubelet) -> None:
    """Register the log, exec and attach routes for ``kubelet`` on ``app``."""
    api = KubeletApi(kubelet)
    app.router.add_get(POD_PATH + "/log", api.log)
    for verb in ("exec", "attach"):
        handler = api.exec if verb == "exec" else api.attach
        app.router.add_get(f"{POD_PATH}/{verb}", handler)
        app.router.add_post(f"{POD_PATH}/{verb}", handler)


def _flag(query: Any, name: str) -> bool:
    return str(query.get(name, "")).lower() in ("true", "1", "yes")


def _log_options_invalid(pod_name: str, field: str, reason: str, message: str) -> errors.ApiError:
    """422 for bad PodLogOptions, as the apiserver words it."""
    return errors.ApiError(422, f'PodLogOptions "{pod_name}" is invalid: {field}: {message}', "Invalid",
                           {"name": pod_name, "kind": "PodLogOptions",
                            "causes": [{"reason": reason, "message": message, "field": field}]})


def _int_param(query: Any, name: str, minimum: int, pod_name: str = "") -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise errors.bad_request(f'strconv.ParseInt: parsing "{raw}": invalid syntax') from None
    if value < minimum:
        what = "greater than 0" if minimum == 1 else "greater than or equal to 0"
        raise _log_options_invalid(pod_name, name, "FieldValueInvalid", f"Invalid value: {value}: must be {what}")
    return value


def _names(containers: list[Obj]) -> str:
    return " ".join(c.get("name", "") for c in containers)


def choose_container(pod: Obj, requested: str | None) -> str:
    """The container a log/exec request means, or the apiserver's 400."""
    spec = pod.get("spec") or {}
    name = pod["metadata"]["name"]
    containers = spec.get("containers") or []
    inits = spec.get("initContainers") or []
    if not requested:
        if len(containers) == 1:
            return str(containers[0].get("name", ""))
        msg = f"a container name must be specified for pod {name}, choose one of: [{_names(containers)}]"
        if inits:
            msg += f" or one of the init containers: [{_names(inits)}]"
        raise errors.bad_request(msg)
    if not any(c.get("name") == requested for c in containers + inits):
        raise errors.bad_request(f"container {requested} is not valid for pod {name}")
    return requested


class KubeletApi:
    """Handlers bound to one kubelet."""

    def __init__(self, kubelet: Kubelet) -> None:
        self.kubelet = kubelet

    def _pod(self, request: web.Request) -> Obj:
        ns, name = request.match_info["namespace"], request.match_info["name"]
        pod = self.kubelet.store.get("pods", ns, name)
        if pod is None:
            raise errors.not_found("pods", name)
        return pod

    def _container(self, pod: Obj, container: str) -> ContainerRun | None:
        meta = pod["metadata"]
        worker = self.kubelet.worker(meta["namespace"], meta["name"], meta.get("uid"))
        return worker.container(container) if worker else None

    # -- logs --------------------------------------------------------------------------

    def _log_buffer(self, pod: Obj, container: str, previous: bool) -> LogBuffer | None:
        """Which instance's log to serve, with the kubelet's errors; None: an empty log."""
        name = pod["metadata"]["name"]
        c = self._container(pod, container)
        if c is None:
            return None
        state = c.state_kind()
        last = (c.status.get("lastState") or {}).get("terminated")
        if previous:
            if last is None or len(c.logs) < 1:
                raise errors.bad_request(f'previous terminated container "{container}" in pod "{name}" not found')
            return c.logs[-1] if state == "waiting" or len(c.logs) < 2 else c.logs[-2]
        if c.logs and (state != "waiting" or last is not None):
            return c.logs[-1]
        reason = (c.status["state"].get("waiting") or {}).get("reason", "ContainerCreating")
        detail = {"ErrImagePull": "image can't be pulled",
                  "ImagePullBackOff": "trying and failing to pull image"}.get(reason, reason)
        raise errors.bad_request(f'container "{container}" in pod "{name}" is waiting to start: {detail}')

    async def log(self, request: web.Request) -> web.StreamResponse:
        """GET .../log: follow, timestamps, sinceTime/sinceSeconds, tailLines, limitBytes, previous."""
        pod = self._pod(request)
        return await self.serve_log(request, pod, choose_container(pod, request.query.get("container")))

    async def serve_log(self, request: web.Request, pod: Obj, container: str) -> web.StreamResponse:
        """The log of ``container`` of ``pod`` with the options in the query."""
        q = request.query
        follow, timestamps, previous = _flag(q, "follow"), _flag(q, "timestamps"), _flag(q, "previous")
        pod_name = pod["metadata"]["name"]
        tail = _int_param(q, "tailLines", 0, pod_name)
        limit = _int_param(q, "limitBytes", 1, pod_name)
        since_s = _int_param(q, "sinceSeconds", 1, pod_name)
        since_ns: int | None = None
        if q.get("sinceTime"):
            if since_s is not None:
                raise _log_options_invalid(pod_name, "[]", "FieldValueForbidden", "Forbidden: at most one of "
                                           "`sinceTime` or `sinceSeconds` may be specified")
            try:
                # the apiserver passes it on to the kubelet as RFC3339 to the second: every line of
                # that whole second comes back (a resuming client must skip what it has)
                since_ns = parse_ts(q["sinceTime"]) // 1_000_000_000 * 1_000_000_000
            except ValueError:
                raise errors.bad_request(f'parsing time "{q["sinceTime"]}" as RFC3339: cannot parse') from None
        elif since_s is not None:
            since_ns = time.time_ns() - since_s * 1_000_000_000
        buf = self._log_buffer(pod, container, previous) if (pod.get("spec") or {}).get("nodeName") else None
        if buf is None:
            return web.Response(body=b"", content_type="text/plain")
        start = buf.start_offset(since_ns, tail)
        view = buf.view(timestamps)
        pos = buf.stamped_offset(start) if timestamps else start
        if not follow:
            end = len(view) if limit is None else min(len(view), pos + limit)
            return web.Response(body=bytes(view[pos:end]), content_type="text/plain")
        return await self._follow(request, pod, container, buf, view, pos, limit)

    async def _follow(self, request: web.Request, pod: Obj, container: str, buf: LogBuffer,
                      view: bytearray, pos: int, limit: int | None) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        faults = self.kubelet.faults
        lines_left = faults.take_log_cut(pod["metadata"]["name"], container) if faults is not None else None
        bytes_left = limit
        dropped = False  # the fault: the connection goes away mid-stream, no terminating chunk
        try:
            while True:
                end = len(view)
                done = False
                if lines_left is not None and end > pos:
                    cut = _after_lines(view, pos, end, lines_left)
                    if cut is not None:
                        end, done, dropped = cut, True, True
                    else:
                        lines_left -= view.count(b"\n", pos, end)
                if bytes_left is not None and end - pos >= bytes_left:
                    end, done = pos + bytes_left, True
                while pos < end:
                    # everything available goes out in big chunks: no per-line work or awaits
                    rate = faults.log_rate if faults is not None else None
                    step = min(end, pos + (CHUNK if rate is None else max(1, int(rate / 20))))
                    await resp.write(view[pos:step])
                    if rate is not None:
                        await asyncio.sleep((step - pos) / rate)
                    if bytes_left is not None:
                        bytes_left -= step - pos
                    pos = step
                if done or (buf.closed and pos >= len(view)):
                    break
                await buf.wait_for_more(view, pos)
        except ConnectionResetError:
            return resp  # the client went away
        if dropped and request.transport is not None:
            # what was written goes out, then the connection closes without the final chunk:
            # the client sees a broken stream, as with a dropped connection
            request.transport.close()
            return resp
        with contextlib.suppress(ConnectionResetError):
            await resp.write_eof()
        return resp

    # -- exec / attach -------------------------------------------------------------------

    def _running_container(self, pod: Obj, container: str) -> ContainerRun:
        phase = (pod.get("status") or {}).get("phase")
        if phase in ("Succeeded", "Failed"):
            raise errors.bad_request(f"cannot exec into a container in a completed pod; current phase is {phase}")
        c = self._container(pod, container)
        if c is None or c.state_kind() == "waiting" and not c.running:
            reason = ((c.status["state"].get("waiting") or {}).get("reason") if c else None) or "ContainerCreating"
            raise errors.bad_request(f'container "{container}" in pod "{pod["metadata"]["name"]}" is waiting '
                                     f"to start: {reason}")
        if not c.running:
            raise errors.ApiError(500, f'unable to upgrade connection: container not found ("{container}")',
                                  "InternalError")
        return c

    @staticmethod
    def _require_upgrade(request: web.Request) -> None:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            raise errors.bad_request("Upgrade request required")

    async def exec(self, request: web.Request) -> web.StreamResponse:
        """GET/POST .../exec as a websocket: run ``command`` in the container."""
        pod = self._pod(request)
        q = request.query
        return await self.serve_exec(request, pod, choose_container(pod, q.get("container")),
                                     _flag(q, "stdin"), _flag(q, "stdout"), _flag(q, "stderr"), _flag(q, "tty"))

    async def serve_exec(self, request: web.Request, pod: Obj, container: str, use_stdin: bool,
                         use_stdout: bool, use_stderr: bool, tty: bool) -> web.StreamResponse:
        """Run the query's ``command`` in ``container`` of ``pod`` over the request's websocket."""
        command = request.query.getall("command", [])
        c = self._running_container(pod, container)
        self._require_upgrade(request)
        if not command:
            raise errors.bad_request("you must specify at least 1 command")
        if not (use_stdin or use_stdout or use_stderr):
            raise errors.bad_request("you must specify at least 1 of stdin, stdout, stderr")
        assert c.process is not None
        return await run_exec(request, c, list(command), use_stdin, use_stdout, use_stderr, tty, dict(c.process.env))

    async def attach(self, request: web.Request) -> web.StreamResponse:
        """GET/POST .../attach as a websocket: the container's output from now on."""
        pod = self._pod(request)
        return await self.serve_attach(request, pod, choose_container(pod, request.query.get("container")))

    async def serve_attach(self, request: web.Request, pod: Obj, container: str) -> web.StreamResponse:
        """Attach to ``container`` of ``pod`` over the request's websocket."""
        c = self._running_container(pod, container)
        self._require_upgrade(request)
        return await run_attach(request, c)


# -- the kubelet's own paths, for a node of a real cluster -------------------------------------

def node_app(kubelet: Kubelet) -> web.Application:
    """The kubelet server of a joined node (see the module docstring)."""
    api = KubeletApi(kubelet)

    @web.middleware
    async def plain_errors(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            return await handler(request)
        except errors.ApiError as exc:
            return web.Response(status=exc.code, text=exc.message, content_type="text/plain")

    def pod_of(request: web.Request) -> Obj:
        info = request.match_info
        pod = kubelet.store.get("pods", info["namespace"], info["name"])
        uid = info.get("uid")
        if pod is None or (uid and pod["metadata"].get("uid") != uid):
            raise errors.ApiError(404, f'pod "{info["name"]}" does not exist')
        return pod

    async def logs(request: web.Request) -> web.StreamResponse:
        return await api.serve_log(request, pod_of(request), request.match_info["container"])

    def streams(request: web.Request) -> tuple[bool, bool, bool, bool]:
        # the kubelet's remotecommand options: "1" means yes (the API server sends nothing else)
        q = request.query
        return tuple(q.get(k) in ("1", "true") for k in ("input", "output", "error", "tty"))  # type: ignore[return-value]

    async def exec_(request: web.Request) -> web.StreamResponse:
        return await api.serve_exec(request, pod_of(request), request.match_info["container"], *streams(request))

    async def attach(request: web.Request) -> web.StreamResponse:
        return await api.serve_attach(request, pod_of(request), request.match_info["container"])

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok", content_type="text/plain")

    app = web.Application(middlewares=[plain_errors])
    r = app.router
    r.add_get("/healthz", healthz)
    r.add_get("/containerLogs/{namespace}/{name}/{container}", logs)
    for verb, handler in (("exec", exec_), ("attach", attach)):
        for path in (f"/{verb}/{{namespace}}/{{name}}/{{container}}", f"/{verb}/{{namespace}}/{{name}}/{{uid}}/{{container}}"):
            r.add_get(path, handler)
            r.add_post(path, handler)
    return app


def _after_lines(view: bytearray, pos: int, end: int, n: int) -> int | None:
    """The offset just after the ``n``-th newline in ``view[pos:end]``, or None if fewer."""
    if n <= 0:
        return pos
    for _ in range(n):
        nl = view.find(b"\n", pos, end)
        if nl < 0:
            return None
        pos = nl + 1
    return pos
