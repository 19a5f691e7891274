"""The sim's kubelet as a node of a real cluster (``kpodtui sim --join KUBECONFIG``).

The same :class:`~kpodtui.sim.kubelet.Kubelet` and pod workers that run the
in-process sim's pods run here; only their store differs. In the sim it is
the API server's own object store; here it is a :class:`RemoteStore`, a
mirror of the pods the real scheduler bound to this node, kept by a watch,
whose writes go to the real API server the way a kubelet's do:

- pod status: a JSON merge patch of ``pods/NAME/status`` per change (the
  changes of one pod are sent in order, coalesced while one is on the way);
- events: core/v1 Events from ``kubelet``, repeats counted on the same Event;
- the end of a deleted pod: ``DELETE`` with grace period 0 and the pod's uid
  as precondition, once its containers have stopped;
- ConfigMaps and Secrets a pod uses are read with GET (as the Node authorizer
  allows for pods on this node), service-account tokens asked for with a
  TokenRequest bound to the pod.

:class:`NodeAgent` registers the Node (capacity, Ready, InternalIP
127.0.0.1, the kubelet port, the ``ExtendWebSocketsToKubelet`` declared
feature so the API server passes exec/attach websockets straight through),
renews its Lease in ``kube-node-lease`` every 10 s and serves the kubelet API
(``/containerLogs``, ``/exec``, ``/attach``) over TLS for the API server's
proxy. See docs/CONTROL-PLANE.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import ssl
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from kpodtui.sim.apiclient import ApiError, Credentials, KubeClient
from kpodtui.sim.kubelet import Kubelet
from kpodtui.sim.node import NodeConfig

Obj = dict[str, Any]
log = logging.getLogger(__name__)

LEASE_SECONDS = 40
RENEW_SECONDS = 10.0
#: how often the Node's status (conditions' heartbeat) is written when nothing changed
STATUS_SECONDS = 60.0
#: how long a ConfigMap / Secret read stays fresh in the mirror
OBJECT_TTL = 1.0
#: the declared feature that makes the API server proxy exec/attach websockets to this kubelet
DECLARED_FEATURES = ["ExtendWebSocketsToKubelet"]
#: labels a node may not set on itself (NodeRestriction)
_RESTRICTED_LABEL = "node-role.kubernetes.io/"


def _now_micro() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge_diff(old: Any, new: Any) -> Any:
    """The JSON merge patch (RFC 7386) that turns ``old`` into ``new`` (``{}``: no change).

    Only dicts are merged key by key; anything else (lists included) is
    replaced whole. Keys of ``old`` missing from ``new`` become ``null``.
    """
    if not isinstance(old, dict) or not isinstance(new, dict):
        return new
    patch: Obj = {}
    for k, v in new.items():
        if k not in old:
            patch[k] = v
        elif old[k] != v:
            patch[k] = merge_diff(old[k], v) if isinstance(v, dict) and isinstance(old[k], dict) else v
    for k in old:
        if k not in new:
            patch[k] = None
    return patch


class RemoteStore:
    """The kubelet's view of the cluster, backed by a real API server (see the module docstring).

    Used on the node's event loop only. ``get`` / ``mutate`` / ``remove`` /
    ``record_event`` are what the kubelet and its pod workers call on the
    sim's :class:`~kpodtui.sim.store.Store`; writes are sent in the background.
    """

    def __init__(self, api: KubeClient, node_name: str) -> None:
        self.api = api
        self.node_name = node_name
        self.pods: dict[tuple[str, str], Obj] = {}
        #: (kind, namespace, name) -> (object or None when missing, when read)
        self._objects: dict[tuple[str, str, str], tuple[Obj | None, float]] = {}
        self._refreshing: set[tuple[str, str, str]] = set()
        #: per pod: the status the server has (from our last write), what to send next, the sender
        self._acked: dict[tuple[str, str], Obj] = {}
        self._owned_status: dict[tuple[str, str], Obj] = {}
        self._senders: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._delete: dict[tuple[str, str], str] = {}  # pods to delete once their status is out: uid
        self._events: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        self._event_names: dict[tuple[Any, ...], tuple[str, int]] = {}
        self._event_task: asyncio.Task[None] | None = None
        self._tokens: dict[tuple[str, str, int], str] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- the pod mirror (fed by the node agent's watch) ------------------------------------

    def observe(self, pod: Obj) -> Obj:
        """Take the server's copy of a pod; the status this kubelet wrote stays ours."""
        meta = pod["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        old = self.pods.get(key)
        if old is not None and old["metadata"].get("uid") != meta.get("uid"):
            self._forget_pod(key)
        if key in self._owned_status:
            self._acked.setdefault(key, pod.get("status") or {})
            pod["status"] = self._owned_status[key]
        self.pods[key] = pod
        return pod

    def forget(self, namespace: str, name: str) -> None:
        """The pod is gone from the server."""
        self.pods.pop((namespace, name), None)
        self._forget_pod((namespace, name))

    def _forget_pod(self, key: tuple[str, str]) -> None:
        self._acked.pop(key, None)
        self._owned_status.pop(key, None)
        self._delete.pop(key, None)

    # -- what the kubelet calls ---------------------------------------------------------

    def get(self, kind: str, namespace: str | None, name: str) -> Obj | None:
        if kind == "pods":
            return self.pods.get((namespace or "", name))
        key = (kind, namespace or "", name)
        cached = self._objects.get(key)
        if cached is None or time.monotonic() - cached[1] > OBJECT_TTL:
            self._spawn_refresh(key)
        return cached[0] if cached else None

    def mutate(self, kind: str, namespace: str | None, name: str, fn: Any) -> Obj | None:
        """The kubelet changes a pod's status (its only write): mirror it and send it."""
        if kind != "pods":
            raise ValueError(f"a node does not write {kind}")
        key = (namespace or "", name)
        pod = self.pods.get(key)
        if pod is None:
            return None
        spec_before = pod.get("spec")
        fn(pod)
        if pod.get("spec") is not spec_before:
            raise ValueError("a node does not change a pod's spec")
        self._owned_status[key] = pod.get("status") or {}
        self._kick(key)
        return pod

    def remove(self, kind: str, namespace: str | None, name: str) -> Obj | None:
        """The pod's containers have stopped: delete it for good (after its last status)."""
        key = (namespace or "", name)
        pod = self.pods.get(key)
        if kind != "pods" or pod is None:
            return None
        self._delete[key] = pod["metadata"].get("uid", "")
        self._kick(key)
        return pod

    def record_event(self, namespace: str, involved: Obj, type_: str, reason: str, message: str,
                     field_path: str | None = None, component: str = "kubelet") -> None:
        self._events.put_nowait((namespace, involved, type_, reason, message, field_path, component, _now(),
                                 _now_micro()))
        if self._event_task is None or self._event_task.done():
            self._event_task = asyncio.get_running_loop().create_task(self._send_events())

    def service_account_token(self, pod: Obj, source: Obj) -> str:
        """The token of a projected ``serviceAccountToken`` source (asked for by :meth:`prefetch`)."""
        meta = pod["metadata"]
        return self._tokens.get((meta.get("uid", ""), source.get("audience") or "",
                                 int(source.get("expirationSeconds") or 3600)), "")

    # -- reading ConfigMaps, Secrets and tokens ----------------------------------------

    async def prefetch(self, pod: Obj) -> None:
        """Read what the pod refers to before its containers start (the Node authorizer may need a
        moment to learn that the pod is on this node: 403s are retried for a few seconds)."""
        ns = pod["metadata"].get("namespace", "")
        refs = set(_references(pod))
        await asyncio.gather(*(self._refresh((kind, ns, name), patient=True) for kind, name in refs))
        spec = pod.get("spec") or {}
        for vol in spec.get("volumes") or []:
            for source in ((vol.get("projected") or {}).get("sources") or []):
                sat = source.get("serviceAccountToken")
                if sat is not None:
                    await self._request_token(pod, sat)

    async def _request_token(self, pod: Obj, source: Obj) -> None:
        meta = pod["metadata"]
        expiry = int(source.get("expirationSeconds") or 3600)
        audience = source.get("audience") or ""
        sa = (pod.get("spec") or {}).get("serviceAccountName") or "default"
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                "spec": {"audiences": [audience] if audience else None, "expirationSeconds": expiry,
                         "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": meta["name"],
                                            "uid": meta.get("uid", "")}}}
        for attempt in range(20):
            try:
                resp = await self.api.request("POST", f"/api/v1/namespaces/{meta['namespace']}/serviceaccounts/"
                                              f"{sa}/token", body)
                self._tokens[(meta.get("uid", ""), audience, expiry)] = resp["status"]["token"]
                return
            except ApiError as e:
                if e.status != 403 or attempt == 19:
                    log.warning("token for pod %s/%s: %s", meta["namespace"], meta["name"], e)
                    return
            except Exception as e:  # the server is away: the volume is written without a token
                log.warning("token for pod %s/%s: %s", meta["namespace"], meta["name"], e)
                return
            await asyncio.sleep(0.2)

    def _spawn_refresh(self, key: tuple[str, str, str]) -> None:
        if key in self._refreshing:
            return
        self._track(self._refresh(key))

    async def _refresh(self, key: tuple[str, str, str], patient: bool = False) -> None:
        kind, ns, name = key
        self._refreshing.add(key)
        try:
            for attempt in range(15 if patient else 1):
                try:
                    obj = await self.api.request("GET", f"/api/v1/namespaces/{ns}/{kind}/{name}")
                except ApiError as e:
                    if e.status == 403 and patient and attempt < 14:
                        await asyncio.sleep(0.2)
                        continue
                    obj = None if e.status in (403, 404) else self._objects.get(key, (None, 0))[0]
                except Exception:
                    log.debug("reading %s", key, exc_info=True)
                    return
                self._objects[key] = (obj, time.monotonic())
                return
        finally:
            self._refreshing.discard(key)

    # -- writing pod status and deletions ---------------------------------------------

    def _kick(self, key: tuple[str, str]) -> None:
        task = self._senders.get(key)
        if task is None or task.done():
            self._senders[key] = self._track(self._send_pod(key))

    async def _send_pod(self, key: tuple[str, str]) -> None:
        ns, name = key
        path = f"/api/v1/namespaces/{ns}/pods/{name}"
        failures = 0
        while True:
            pod = self.pods.get(key)
            status = self._owned_status.get(key)
            if pod is None:
                return
            acked = self._acked.get(key) or {}
            patch = merge_diff(_sendable(acked), _sendable(status)) if status is not None else {}
            try:
                if patch:
                    patch_body: Obj = {"metadata": {"uid": pod["metadata"].get("uid")}, "status": patch}
                    resp = await self.api.request("PATCH", path + "/status", patch_body,
                                                  content_type="application/merge-patch+json")
                    self._acked[key] = (resp or {}).get("status") or status or {}
                    if self._owned_status.get(key) is not status:
                        continue  # changed while on the way: send the difference
                uid = self._delete.get(key)
                if uid is not None:
                    body = {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
                            "preconditions": {"uid": uid}}
                    with contextlib.suppress(ApiError):  # already gone, or a namesake
                        await self.api.request("DELETE", path, body)
                    self._delete.pop(key, None)
                return
            except ApiError as e:
                if e.status == 404 or e.status == 409 and "Precondition failed" in str(e):
                    return  # the pod is gone (or replaced by a namesake)
                if e.status == 409:
                    # our idea of the server's status is stale: diff against what it has now
                    with contextlib.suppress(Exception):
                        fresh = await self.api.request("GET", path)
                        self._acked[key] = fresh.get("status") or {}
                        continue
                failures += 1
                log.warning("pod %s/%s status: %s", ns, name, e)
            except Exception as e:  # the API server is away: try again
                failures += 1
                log.debug("pod %s/%s status: %s", ns, name, e)
            await asyncio.sleep(min(5.0, 0.2 * 2 ** min(failures, 5)))

    async def _send_events(self) -> None:
        while not self._events.empty():
            ns, involved, type_, reason, message, field_path, component, ts, micro = self._events.get_nowait()
            imeta = involved.get("metadata", {})
            ref: Obj = {"kind": involved.get("kind", "Pod"), "namespace": imeta.get("namespace", ns),
                        "name": imeta.get("name", ""), "uid": imeta.get("uid", ""),
                        "apiVersion": involved.get("apiVersion", "v1"),
                        "resourceVersion": imeta.get("resourceVersion", "")}
            if field_path:
                ref["fieldPath"] = field_path
            agg = (ns, ref["name"], ref["uid"], field_path, type_, reason, message, component)
            try:
                known = self._event_names.get(agg)
                if known is not None:
                    name, count = known
                    await self.api.request("PATCH", f"/api/v1/namespaces/{ns}/events/{name}",
                                           {"count": count + 1, "lastTimestamp": ts},
                                           content_type="application/merge-patch+json")
                    self._event_names[agg] = (name, count + 1)
                    continue
                name = f"{ref['name']}.{time.time_ns():x}"
                event = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": name, "namespace": ns},
                         "involvedObject": ref, "reason": reason, "message": message,
                         "source": {"component": component, "host": self.node_name},
                         "firstTimestamp": ts, "lastTimestamp": ts, "count": 1, "type": type_,
                         "reportingComponent": component, "reportingInstance": self.node_name}
                await self.api.request("POST", f"/api/v1/namespaces/{ns}/events", event)
                self._event_names[agg] = (name, 1)
            except Exception as e:  # events are best effort, as the kubelet's recorder
                log.debug("event %s %s: %s", reason, ref["name"], e)

    def _track(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def flush(self, timeout: float = 5.0) -> None:
        """Wait (a while) for the writes under way."""
        pending = [t for t in self._tasks if not t.done()]
        if self._event_task is not None and not self._event_task.done():
            pending.append(self._event_task)
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    async def close(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        if self._event_task is not None:
            self._event_task.cancel()


def _sendable(status: Obj) -> Obj:
    """The part of a pod status the kubelet reports (the server computes ``qosClass`` itself)."""
    return {k: v for k, v in status.items() if k not in ("qosClass", "nominatedNodeName", "resize")}


def _references(pod: Obj) -> list[tuple[str, str]]:
    """``(kind, name)`` of every ConfigMap and Secret the pod's containers and volumes use."""
    spec = pod.get("spec") or {}
    out: list[tuple[str, str]] = []
    for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        for src in c.get("envFrom") or []:
            if src.get("configMapRef"):
                out.append(("configmaps", src["configMapRef"].get("name", "")))
            if src.get("secretRef"):
                out.append(("secrets", src["secretRef"].get("name", "")))
        for e in c.get("env") or []:
            vf = e.get("valueFrom") or {}
            if vf.get("configMapKeyRef"):
                out.append(("configmaps", vf["configMapKeyRef"].get("name", "")))
            if vf.get("secretKeyRef"):
                out.append(("secrets", vf["secretKeyRef"].get("name", "")))
    for vol in spec.get("volumes") or []:
        if vol.get("configMap"):
            out.append(("configmaps", vol["configMap"].get("name", "")))
        if vol.get("secret"):
            out.append(("secrets", vol["secret"].get("secretName", "")))
        for source in ((vol.get("projected") or {}).get("sources") or []):
            if source.get("configMap"):
                out.append(("configmaps", source["configMap"].get("name", "")))
            if source.get("secret"):
                out.append(("secrets", source["secret"].get("name", "")))
    return [(k, n) for k, n in out if n]


class NodeAgent:
    """One node of a real cluster: registration, lease, the pod watch and the kubelet API server."""

    def __init__(self, kubeconfig: Path, workdir: Path, node_name: str = "kpodtui-node",
                 kubelet_cert: Path | None = None, kubelet_key: Path | None = None,
                 client_ca: Path | None = None, port: int = 0, context: str | None = None,
                 node: NodeConfig | None = None) -> None:
        self.creds = Credentials(kubeconfig, context)
        self.api = KubeClient(self.creds, user_agent=f"kpodtui-node/{node_name}")
        self.node_name = node_name
        self.workdir = Path(workdir)
        self.port = port
        self._cert, self._key, self._client_ca = kubelet_cert, kubelet_key, client_ca
        config = node or NodeConfig(name=node_name)
        config.labels = {k: v for k, v in config.labels.items() if not k.startswith(_RESTRICTED_LABEL)}
        self.config = config
        self.store = RemoteStore(self.api, node_name)
        self.kubelet = Kubelet(self.store, config, self.workdir)
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._deleting: set[str] = set()
        self.registered = asyncio.Event()

    # -- start and stop ----------------------------------------------------------------

    async def start(self) -> None:
        """Serve the kubelet API, register the Node, then keep the lease and run its pods."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        await self._serve()
        version = await self.api.request("GET", "/version")
        self.config.kubelet_version = version.get("gitVersion", self.config.kubelet_version)
        await self._register()
        self.registered.set()
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._lease_loop()), loop.create_task(self._status_loop()),
                       loop.create_task(self._pod_loop())]

    async def stop(self) -> None:
        """Stop the loops, kill every container and close the kubelet server."""
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.kubelet.shutdown()
        await self.store.flush(2.0)
        await self.store.close()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.api.close()

    async def _serve(self) -> None:
        from kpodtui.sim.kubelet_api import node_app

        app = node_app(self.kubelet)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port, reuse_address=True, ssl_context=self._tls())
        await site.start()
        server = getattr(site, "_server", None)
        if server is not None and server.sockets:
            self.port = server.sockets[0].getsockname()[1]
        self._runner = runner

    def _tls(self) -> ssl.SSLContext:
        """The kubelet's serving certificate; clients (the API server) must show one the cluster CA signed."""
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        if self._cert and self._key:
            ctx.load_cert_chain(str(self._cert), str(self._key))
        else:  # a self-signed one, as a kubelet without --tls-cert-file makes
            from kpodtui.sim.tls import make_certs

            certs = make_certs(self.workdir / "tls")
            ctx.load_cert_chain(str(certs.cert), str(certs.key))
        if self._client_ca is not None:
            ctx.load_verify_locations(cafile=str(self._client_ca))
        elif self.creds.ca_pem is not None:
            ctx.load_verify_locations(cadata=self.creds.ca_pem.decode())
        else:
            return ctx
        ctx.verify_mode = ssl.CERT_REQUIRED
        return ctx

    # -- the Node and its Lease -------------------------------------------------------------

    def node_object(self) -> Obj:
        obj = self.kubelet.node_object()
        obj["metadata"].pop("creationTimestamp", None)
        obj["status"]["daemonEndpoints"] = {"kubeletEndpoint": {"Port": self.port}}
        obj["status"]["declaredFeatures"] = list(DECLARED_FEATURES)
        obj["status"]["nodeInfo"]["bootID"] = self._boot_id
        obj["status"]["nodeInfo"]["machineID"] = self._boot_id
        obj["status"]["nodeInfo"]["systemUUID"] = self._boot_id
        obj["spec"] = {}
        return obj

    _boot_id = secrets.token_hex(16)

    async def _register(self) -> None:
        node = self.node_object()
        try:
            await self.api.request("POST", "/api/v1/nodes", node)
        except ApiError as e:
            if e.status != 409:
                raise
            await self._write_status()

    async def _write_status(self) -> None:
        node = self.node_object()
        patch = {"metadata": {"labels": node["metadata"]["labels"]}, "status": node["status"]}
        await self.api.request("PATCH", f"/api/v1/nodes/{self.node_name}/status", patch,
                               content_type="application/merge-patch+json")

    async def _status_loop(self) -> None:
        while True:
            await asyncio.sleep(STATUS_SECONDS)
            with contextlib.suppress(Exception):
                await self._write_status()

    async def _lease_loop(self) -> None:
        path = f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{self.node_name}"
        while True:
            try:
                await self._renew(path)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("lease renewal: %s", e)
            await asyncio.sleep(RENEW_SECONDS)

    async def _renew(self, path: str) -> None:
        spec = {"holderIdentity": self.node_name, "leaseDurationSeconds": LEASE_SECONDS, "renewTime": _now_micro()}
        try:
            lease = await self.api.request("GET", path)
        except ApiError as e:
            if e.status != 404:
                raise
            node = await self.api.request("GET", f"/api/v1/nodes/{self.node_name}")
            body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": {"name": self.node_name, "namespace": "kube-node-lease",
                                 "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": self.node_name,
                                                      "uid": node["metadata"]["uid"]}]},
                    "spec": spec}
            await self.api.request("POST", path.rsplit("/", 1)[0], body)
            return
        lease["spec"] = {**(lease.get("spec") or {}), **spec}
        await self.api.request("PUT", path, lease)

    # -- pods ---------------------------------------------------------------------------

    async def _pod_loop(self) -> None:
        """List and watch the pods bound to this node; relist after a 410 or a broken watch."""
        params = {"fieldSelector": f"spec.nodeName={self.node_name}"}
        while True:
            try:
                listing = await self.api.request("GET", "/api/v1/pods", params=params)
                seen = set()
                for pod in listing.get("items") or []:
                    meta = pod["metadata"]
                    seen.add((meta["namespace"], meta["name"]))
                    self._pod_changed(pod)
                for key in [k for k in self.store.pods if k not in seen]:
                    self._pod_gone(*key)
                rv = listing["metadata"]["resourceVersion"]
                while True:
                    async for ev in self.api.watch("/api/v1/pods", {**params, "resourceVersion": rv,
                                                                    "allowWatchBookmarks": "true",
                                                                    "timeoutSeconds": "300"}):
                        kind, obj = ev.get("type"), ev.get("object") or {}
                        if kind == "ERROR":
                            raise ApiError(int(obj.get("code") or 500), obj)
                        rv = obj.get("metadata", {}).get("resourceVersion", rv)
                        if kind == "DELETED":
                            self._pod_gone(obj["metadata"]["namespace"], obj["metadata"]["name"],
                                           obj["metadata"].get("uid"))
                        elif kind in ("ADDED", "MODIFIED"):
                            self._pod_changed(obj)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # 410, a dropped connection, an API server restart: list again
                log.debug("pod watch: %s", e)
                await asyncio.sleep(0.5)

    def _pod_changed(self, pod: Obj) -> None:
        meta = pod["metadata"]
        ns, name, uid = meta["namespace"], meta["name"], meta.get("uid", "")
        worker = self.kubelet.worker(ns, name)
        if worker is not None and worker.uid != uid:
            self._pod_gone(ns, name, worker.uid)
            worker = None
        known = (ns, name) in self.store.pods
        pod = self.store.observe(pod)
        if meta.get("deletionTimestamp"):
            if uid not in self._deleting:
                self._deleting.add(uid)
                grace = int(meta.get("deletionGracePeriodSeconds") or 0)
                self._spawn(self.kubelet.pod_deleting(ns, name, grace))
            return
        phase = (pod.get("status") or {}).get("phase")
        if worker is None and not known and phase not in ("Succeeded", "Failed"):
            self._spawn(self._admit(pod))

    async def _admit(self, pod: Obj) -> None:
        await self.store.prefetch(pod)
        meta = pod["metadata"]
        live = self.store.get("pods", meta["namespace"], meta["name"])
        if live is None or live["metadata"].get("uid") != meta.get("uid") or live["metadata"].get("deletionTimestamp"):
            return
        if self.kubelet.worker(meta["namespace"], meta["name"]) is None:
            self.kubelet.pod_added(live)

    def _pod_gone(self, ns: str, name: str, uid: str | None = None) -> None:
        worker = self.kubelet.worker(ns, name)
        if worker is not None and (uid is None or worker.uid == uid):
            self.kubelet.pod_removed(ns, name)
        current = self.store.pods.get((ns, name))
        if current is not None and (uid is None or current["metadata"].get("uid") == uid):
            self.store.forget(ns, name)
        if uid:
            self._deleting.discard(uid)

    def _spawn(self, coro: Any) -> None:
        self.store._track(coro)


async def run_node(kubeconfig: Path, workdir: Path, node_name: str, kubelet_cert: Path | None,
                   kubelet_key: Path | None, stop: asyncio.Event, out: Any, context: str | None = None,
                   port: int = 0) -> None:
    """Join, say so, run until ``stop`` is set, then leave (killing every container)."""
    agent = NodeAgent(kubeconfig, workdir, node_name, kubelet_cert, kubelet_key, context=context, port=port)
    joined = False
    try:
        await agent.start()
        joined = True
        print(f"kpodtui node: {node_name} joined {agent.creds.server}; kubelet API on "
              f"https://127.0.0.1:{agent.port}", file=out, flush=True)
        await stop.wait()
    finally:
        await agent.stop()
        if joined:
            print("kpodtui node: stopped", file=out, flush=True)
