"""Starting and stopping a sim: :class:`SimServer` (async, any loop) and :class:`SimCluster`.

``SimCluster`` runs a ``SimServer`` on its own event loop in a background
thread: that is what ``--sim`` and the tests use. ``kpodtui sim`` runs a
``SimServer`` on the main thread's loop instead. Either way everything of the
sim (store, kubelet, handlers) lives on that one loop.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from aiohttp import web

from kpodtui.sim.faults import Autoscaler, Faults, LogCut
from kpodtui.sim.kubeconfig import write_kubeconfig
from kpodtui.sim.kubelet import Kubelet
from kpodtui.sim.node import NodeConfig
from kpodtui.sim.server import ServerContext, build_app
from kpodtui.sim.store import Store
from kpodtui.sim.tls import Certs, openssl_available, process_certs

log = logging.getLogger(__name__)


class SimServer:
    """A sim's store, kubelet and API server on the current event loop."""

    def __init__(self, workdir: Path, port: int = 0, node: Any = None, token: str | None = None,
                 tls: bool | None = None) -> None:
        self.workdir = workdir
        # https unless asked otherwise (kubectl sends tokens over https only); http if openssl is missing
        self.certs: Certs | None = process_certs() if (tls is None and openssl_available()) or tls else None
        self.port = port
        self.token = token or secrets.token_urlsafe(24)
        self.store = Store()
        self.faults = Faults()
        self.kubelet: Any = None
        self._node = node
        self.ctx: ServerContext | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The API server URL."""
        return f"{'https' if self.certs else 'http'}://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Create the kubelet and the node, then listen."""
        node = self._node if self._node is not None else NodeConfig()
        self.kubelet = Kubelet(self.store, node, self.workdir, self.faults)
        self.store.create("nodes", None, self.kubelet.node_object())
        self.ctx = ServerContext(store=self.store, faults=self.faults, token=self.token, kubelet=self.kubelet)
        self.ctx.restart_hook = self.restart_apiserver
        await self._listen()

    async def _listen(self) -> None:
        assert self.ctx is not None
        app = build_app(self.ctx)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2, handle_signals=False)
        await runner.setup()
        ssl_context = self.certs.server_context() if self.certs else None
        site = web.TCPSite(runner, "127.0.0.1", self.port, reuse_address=True, ssl_context=ssl_context)
        await site.start()
        server = getattr(site, "_server", None)
        if server is not None and server.sockets:
            self.port = server.sockets[0].getsockname()[1]
        self.ctx.server_address = f"127.0.0.1:{self.port}"
        self._runner = runner

    async def _unlisten(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        # Open watches finish at once instead of at their next wake-up.
        self.store.end_watches()
        server = runner.server
        if server is not None:
            # Drop open connections (watches, log follows) as a crashed apiserver would.
            for conn in server.connections:
                transport = conn.transport
                if transport is not None:
                    transport.abort()
        await runner.cleanup()

    async def restart_apiserver(self) -> None:
        """Stop listening (dropping every connection), then serve again on the same port."""
        await self._unlisten()
        await self._listen()

    async def stop(self) -> None:
        """Stop serving and kill every container process."""
        await self._unlisten()
        if self.kubelet is not None:
            await self.kubelet.shutdown()
        if self.ctx is not None:
            for task in list(self.ctx.tasks):
                task.cancel()
            if self.ctx.tasks:
                await asyncio.gather(*self.ctx.tasks, return_exceptions=True)


class SimCluster:
    """A sim running on a background thread's event loop. Use :meth:`start`."""

    def __init__(self, workdir: Path, port: int, node: Any, tls: bool | None) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name="kpodtui-sim", daemon=True)
        self._server = SimServer(workdir, port, node, tls=tls)
        self.workdir = workdir
        self.kubeconfig_path = workdir / "kubeconfig"
        self._stopped = False

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    @classmethod
    def start(cls, workdir: Path | None = None, port: int = 0, node: Any = None,
              tls: bool | None = None) -> SimCluster:
        """Start a sim on 127.0.0.1 (a free port unless ``port``) and write its kubeconfig.

        It serves https with a throwaway CA (in the kubeconfig) unless ``tls=False``
        or the ``openssl`` command is missing; kubectl needs https to send the token.
        """
        if workdir is None:
            workdir = Path(tempfile.mkdtemp(prefix="kpodtui-sim-"))
        workdir.mkdir(parents=True, exist_ok=True)
        cluster = cls(workdir, port, node, tls)
        cluster._thread.start()
        try:
            cluster.call(cluster._server.start)
        except BaseException:
            cluster.stop()
            raise
        certs = cluster._server.certs
        write_kubeconfig(cluster.kubeconfig_path, cluster.url, cluster.token, certs.ca_pem() if certs else None)
        return cluster

    # -- attributes -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return self._server.url

    @property
    def port(self) -> int:
        """The listening port."""
        return self._server.port

    @property
    def ca_cert_path(self) -> Path | None:
        """The CA certificate (PEM) to trust, or None when serving plain http."""
        return self._server.certs.ca_cert if self._server.certs else None

    @property
    def token(self) -> str:
        """The bearer token the API server requires."""
        return self._server.token

    @property
    def store(self) -> Store:
        """The object store (use it on the loop thread only, e.g. through :meth:`call`)."""
        return self._server.store

    @property
    def kubelet(self) -> Any:
        """The simulated kubelet (None when the kubelet half is not installed)."""
        return self._server.kubelet

    @property
    def faults(self) -> Faults:
        """The shared fault settings."""
        return self._server.faults

    # -- running things on the loop -----------------------------------------------------------

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float = 30.0) -> Any:
        """Run ``fn(*args)`` on the sim's loop (awaiting it if it returns an awaitable); return the result."""
        async def runner() -> Any:
            result = fn(*args)
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                result = await result
            return result

        fut: Future[Any] = asyncio.run_coroutine_threadsafe(runner(), self._loop)
        return fut.result(timeout)

    def stop(self) -> None:
        """Stop the server, kill every container process and end the loop thread."""
        if self._stopped:
            return
        self._stopped = True
        if self._thread.is_alive():
            try:
                self.call(self._server.stop, timeout=30)
            finally:
                self._loop.call_soon_threadsafe(self._loop.stop)
                self._thread.join(10)
        if not self._thread.is_alive():
            _finish_loop(self._loop)

    def __enter__(self) -> SimCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- faults and admin ----------------------------------------------------------------------

    def restart_apiserver(self) -> None:
        """Drop every connection and serve again on the same port; state is kept."""
        self.call(self._server.restart_apiserver)

    def stop_apiserver(self) -> None:
        """Stop listening (dropping every connection): the cluster cannot be reached until
        :meth:`start_apiserver`; pods and their containers go on."""
        self.call(self._server._unlisten)

    def start_apiserver(self) -> None:
        """Serve again on the same port after :meth:`stop_apiserver`."""
        self.call(self._server._listen)

    def counters(self) -> dict[str, int]:
        """Requests so far per ``"VERB /path/{template}"`` (watches count as ``WATCH``)."""
        return self.call(lambda: dict(self._context().counters))

    def reset_counters(self) -> None:
        """Zero the request counters."""
        self.call(lambda: self._context().counters.clear())

    def _context(self) -> ServerContext:
        ctx = self._server.ctx
        assert ctx is not None  # set by SimServer.start, which SimCluster.start awaits before returning
        return ctx

    def fail_next(self, n: int, status: int, verb: str | None = None, path: str | None = None,
                  retry_after: int | None = None) -> None:
        """Answer the next ``n`` matching requests with ``status`` (429 gets a Retry-After)."""
        self.call(self.faults.fail_next, n, status, verb, path, retry_after)

    def delay_replies(self, n: int, seconds: float, verb: str | None = None, path: str | None = None) -> None:
        """Carry out the next ``n`` matching requests but answer each ``seconds`` late."""
        self.call(self.faults.delay_replies, n, seconds, verb, path)

    def forbid(self, namespace: str | None, verbs: list[str] | None = None,
               resources: list[str] | None = None) -> None:
        """RBAC: deny ``verbs`` on ``resources`` in ``namespace`` (None: all) with a real 403."""
        self.call(self.faults.forbid, namespace, verbs, resources)

    def end_watches(self) -> None:
        """End every open watch now (cleanly)."""
        self.call(self.store.end_watches)

    def expire_resource_versions(self) -> None:
        """Make every resourceVersion handed out so far too old (410); open watches get an ERROR."""
        self.call(self.store.expire_resource_versions)

    def set_latency(self, seconds: float) -> None:
        """Add ``seconds`` before every API request."""
        self.call(setattr, self.faults, "latency", seconds)

    def cut_logs(self, after_lines: int, times: int = 1, pod: str | None = None,
                 container: str | None = None) -> LogCut:
        """Cut the next ``times`` log streams after ``after_lines`` lines."""
        return self.call(self.faults.cut_logs, after_lines, times, pod, container)

    def throttle_logs(self, bytes_per_second: float | None) -> None:
        """Serve log follow streams at ``bytes_per_second`` (None: full speed again)."""
        self.call(setattr, self.faults, "log_rate", bytes_per_second)

    def rotate_logs(self, namespace: str, pod: str, container: str) -> None:
        """Rotate a container's log file now, as the kubelet does at ``containerLogMaxSize``:
        lines written so far can no longer be read by a new request (open streams read on)."""
        buf = self.call(lambda: self.kubelet.container_log(namespace, pod, container))
        if buf is None:
            raise RuntimeError(f"no log for {namespace}/{pod}/{container}")
        self.call(buf.rotate)

    def add_autoscaler(self, node: NodeConfig, group: str = "pool-1", max_size: int = 3,
                       react_seconds: float = 0.5, add_seconds: float = 1.0) -> Autoscaler:
        """A cluster autoscaler whose node group adds nodes like ``node`` for pods that fit none
        (see :class:`~kpodtui.sim.faults.Autoscaler`); :meth:`clear_faults` removes it."""
        scaler = Autoscaler(node, group, max_size, react_seconds, add_seconds)
        self.call(setattr, self.faults, "autoscaler", scaler)
        return scaler

    def clear_faults(self) -> None:
        """Remove request faults, latency and log cuts."""
        self.call(self.faults.clear)

    def kill_container(self, namespace: str, pod: str, container: str, exit_code: int | None = None,
                       signal: int | None = None, reason: str | None = None) -> None:
        """Kill a container's process (with a signal, or making it exit with ``exit_code``);
        ``reason="OOMKilled"`` reports it as the out-of-memory killer's work (exit 137)."""
        if self.kubelet is None:
            raise RuntimeError("this sim has no kubelet")
        self.call(lambda: self.kubelet.kill_container(namespace, pod, container, exit_code=exit_code,
                                                     signal=signal, reason=reason))

    def create_namespace(self, name: str) -> dict:
        """Create a namespace."""
        return self.call(self.store.create, "namespaces", None,
                         {"metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
                          "spec": {"finalizers": ["kubernetes"]},
                          "status": {"phase": "Active"}})

    def create_configmap(self, namespace: str, name: str, data: dict[str, str]) -> dict:
        """Create a ConfigMap."""
        return self.call(self.store.create, "configmaps", namespace,
                         {"metadata": {"name": name}, "data": dict(data)})

    def create_secret(self, namespace: str, name: str, data: dict[str, str]) -> dict:
        """Create an Opaque Secret from plain-text values (stored base64 as the API does)."""
        encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
        return self.call(self.store.create, "secrets", namespace,
                         {"metadata": {"name": name}, "type": "Opaque", "data": encoded})

    def get(self, kind: str, namespace: str | None, name: str) -> dict | None:
        """A snapshot of one stored object (or None)."""
        from kpodtui.sim.store import snapshot

        return self.call(lambda: snapshot(self.store.get(kind, namespace, name)))


def _finish_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Close a stopped loop as ``asyncio.run`` does: cancel what is left and let it unwind first.

    A task destroyed while pending, or a subprocess transport collected after the
    loop closed, would otherwise print (or raise, under pytest) at a random later time.
    """
    try:
        left = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in left:
            t.cancel()
        if left:
            loop.run_until_complete(asyncio.wait(left, timeout=5))
        loop.run_until_complete(loop.shutdown_asyncgens())
    except Exception:  # closing must not fail a stop
        log.debug("sim loop shutdown", exc_info=True)
    finally:
        loop.close()

