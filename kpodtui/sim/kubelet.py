"""The kubelet half of the simulated cluster: the node's scheduler and pod workers.

The API server calls :meth:`Kubelet.pod_added` for each new pod and
:meth:`Kubelet.pod_deleting` after it set ``deletionTimestamp``; everything
else (status, events) flows back through the store. All on the sim's one
event loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import shutil
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from kpodtui.sim.containers import namespaces_supported
from kpodtui.sim.logs import LogBuffer
from kpodtui.sim.node import NodeConfig, node_object
from kpodtui.sim.podworker import ContainerRun, PodWorker, now
from kpodtui.sim.scheduler import unfit_reasons
from kpodtui.sim.volumes import FAKE_TOKEN

Obj = dict[str, Any]
log = logging.getLogger(__name__)

#: how long stopping the sim waits for killed containers to be reaped
SHUTDOWN_SECONDS = 20.0


class Kubelet:
    """Runs the pods of the one simulated node. See the module docstring."""

    def __init__(self, store: Any, node: NodeConfig, workdir: Path, faults: Any = None) -> None:
        self.store = store
        self.node = node  # the first node: its settings (back-offs, refused images...) are the kubelet's
        #: every node pods can be scheduled to: the first, and those an autoscaler added
        self.nodes: list[NodeConfig] = [node]
        self.workdir = Path(workdir)
        self.faults = faults
        self.workers: dict[tuple[str, str], PodWorker] = {}
        self.present_images: set[str] = set()
        #: whether containers get namespaces; decided by a probe before the first pod starts
        self.isolated = False
        self._probe: asyncio.Task[bool] | None = None
        self._capacity_freed: asyncio.Event | None = None
        self._ip_counter = 0
        self._created = now()
        self._stopped = False
        #: clean-up tasks that must finish before the loop closes
        self._background: set[asyncio.Task[Any]] = set()
        #: workers of pods already forgotten whose processes may not be reaped yet
        self._gone: set[PodWorker] = set()

    # -- called by the API server ------------------------------------------------------

    def pod_added(self, pod: Obj) -> None:
        """Start the life of a new pod (in a task on the running loop)."""
        if self._stopped or not self.node.scheduler_running:
            return
        meta = pod["metadata"]
        worker = PodWorker(self, pod)
        self.workers[(meta.get("namespace", "default"), meta["name"])] = worker
        worker.start()

    async def probe(self) -> bool:
        """Find out once whether containers can get namespaces here; sets :attr:`isolated`."""
        if self._probe is None:
            self._probe = asyncio.get_running_loop().create_task(namespaces_supported())
        self.isolated = await asyncio.shield(self._probe)
        return self.isolated

    async def pod_deleting(self, namespace: str, name: str, grace_seconds: int) -> None:
        """Stop the pod (SIGTERM, SIGKILL after the grace period), then remove it from the store.

        A pod with nothing running, or a grace period of 0, goes at once (its
        processes, if any, are killed right after).
        """
        worker = self.workers.get((namespace, name))
        if worker is None or grace_seconds <= 0 or not any(c.running for c in worker.containers):
            if worker is not None:
                self._forget(worker)
            self.store.remove("pods", namespace, name)
            if worker is not None:
                worker.kill_now()
            return
        await worker.stop(grace_seconds)
        self._forget(worker)
        if worker.live_pod() is not None:
            self.store.remove("pods", namespace, name)

    def pod_removed(self, namespace: str, name: str) -> None:
        """The pod was removed behind the kubelet's back (a forced delete): kill it and forget it."""
        worker = self.workers.get((namespace, name))
        if worker is None:
            return
        self._forget(worker)
        worker.kill_now()

    async def shutdown(self) -> None:
        """Kill every container now and wait for their processes to be reaped.

        Every process got SIGKILL, so waiting ends; the bound is generous because a
        loaded machine can take seconds to finish container set-ups under way. What
        is still running then is logged (the loop's own shutdown cancels it).
        """
        self._stopped = True
        deadline = time.monotonic() + SHUTDOWN_SECONDS
        # pods deleted just before may still have processes being reaped: theirs too
        workers = list(self.workers.values()) + list(self._gone)
        for w in workers:
            w.kill_now()
        tasks: list[asyncio.Task[Any]] = [c.exit_task for w in workers for c in w.containers
                                          if c.exit_task is not None]
        tasks += [w.task for w in workers if w.task is not None]
        if self._probe is not None:
            # the namespace probe runs shielded from the first pod's worker: its process
            # must be reaped on this loop too (else asyncio warns after the loop closed)
            tasks.append(self._probe)
        if tasks:
            await asyncio.wait(tasks, timeout=SHUTDOWN_SECONDS)
        # cancelled workers leave reaping tasks behind; they must end before the loop does
        await asyncio.sleep(0)
        # exit tasks created while the workers were being cancelled
        tasks = [c.exit_task for w in workers for c in w.containers if c.exit_task is not None]
        tasks += list(self._background)
        pending = [t for t in tasks if not t.done()]
        if pending:
            _done, still = await asyncio.wait(pending, timeout=max(0.1, deadline - time.monotonic()))
            if still:
                log.warning("sim shutdown: %d container task(s) did not end in %ss", len(still), SHUTDOWN_SECONDS)
        for w in workers:
            for c in w.containers:
                if c.process is not None:
                    c.process.abandon()
        self.workers.clear()

    def kill_container(self, namespace: str, pod: str, container: str, exit_code: int | None = None,
                       signal: int | None = None, reason: str | None = None) -> bool:
        """Fault: end a running container's process; it reports ``exit_code`` or 128 + ``signal``,
        with ``reason`` as its terminated reason if given (``OOMKilled``: as the kernel's OOM killer).

        Returns whether a running container was found.
        """
        worker = self.workers.get((namespace, pod))
        return worker is not None and worker.kill_container(container, exit_code, signal, reason)

    def node_object(self) -> Obj:
        """The core/v1 Node of this kubelet."""
        now_ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        obj = node_object(self.node, self._created, now_ts)
        obj["status"]["images"] = [{"names": [name], "sizeBytes": 1_000_000} for name in sorted(self.present_images)]
        return obj

    # -- used by the log and exec endpoints --------------------------------------------

    def worker(self, namespace: str, name: str, uid: str | None = None) -> PodWorker | None:
        """The worker of a pod (of that uid when given)."""
        w = self.workers.get((namespace, name))
        if w is None or (uid is not None and w.uid != uid):
            return None
        return w

    def container_run(self, namespace: str, name: str, container: str) -> ContainerRun | None:
        """A container of a pod on this node."""
        w = self.workers.get((namespace, name))
        return w.container(container) if w else None

    def container_log(self, namespace: str, name: str, container: str, previous: bool = False) -> LogBuffer | None:
        """The current (or previous) instance's log of a container, or None."""
        c = self.container_run(namespace, name, container)
        if c is None:
            return None
        index = -2 if previous else -1
        return c.logs[index] if len(c.logs) >= (2 if previous else 1) else None

    # -- used by the pod workers --------------------------------------------------------

    def lookup(self, kind: str, namespace: str, name: str) -> Obj | None:
        """A ConfigMap / Secret from the store."""
        return self.store.get(kind, namespace, name)

    def service_account_token(self, pod: Obj, source: Obj) -> str:
        """The token of a projected ``serviceAccountToken`` volume source: the store's (a real
        cluster's TokenRequest) when it has them, else a fake one."""
        get = getattr(self.store, "service_account_token", None)
        return get(pod, source) if get is not None else FAKE_TOKEN

    def bound_pods(self, exclude: PodWorker | None = None) -> list[Obj]:
        """Pods that hold node resources (scheduled and not terminal)."""
        return [{"spec": w.spec} for w in self.workers.values()
                if w is not exclude and w.bound and not w.terminal]

    def pod_unschedulable(self, worker: PodWorker, pod: Obj) -> None:
        """A pod fits no node: the autoscaler fault (if set) answers it, a scan period later."""
        scaler = self.faults.autoscaler if self.faults is not None else None
        if scaler is not None:
            self.track(self._autoscale(scaler, worker))

    async def _autoscale(self, scaler: Any, worker: PodWorker) -> None:
        await asyncio.sleep(scaler.react_seconds)
        pod = worker.live_pod()
        if pod is None or worker.scheduled or self.faults is None or self.faults.autoscaler is not scaler:
            return
        template: NodeConfig = scaler.node  # type: ignore[assignment]
        reasons = unfit_reasons(pod, template, [])
        if not reasons and scaler.size >= scaler.max_size:
            reasons = ["max node group size reached"]
        if reasons:
            worker.event("Normal", "NotTriggerScaleUp",
                         "pod didn't trigger scale-up: " + ", ".join(f"1 {r}" for r in reasons),
                         component="cluster-autoscaler")
            return
        size = scaler.size
        scaler.size += 1
        worker.event("Normal", "TriggeredScaleUp",
                     f"pod triggered scale-up: [{{{scaler.group} {size}->{size + 1} (max: {scaler.max_size})}}]",
                     component="cluster-autoscaler")
        await asyncio.sleep(scaler.add_seconds)
        name = f"{scaler.group}-{secrets.token_hex(3)}"
        added = dataclasses.replace(template, name=name, labels={
            **{k: v for k, v in template.labels.items()
               if k not in ("kubernetes.io/hostname", "node-role.kubernetes.io/control-plane")},
            "kubernetes.io/hostname": name})
        self.nodes.append(added)
        now_ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.store.create("nodes", None, node_object(added, now_ts, now_ts))
        self._capacity_changed()

    def release(self, worker: PodWorker) -> None:
        """A pod stopped holding resources: let Pending pods try again."""
        worker.bound = False
        self._capacity_changed()

    def _capacity_changed(self) -> None:
        if self._capacity_freed is not None:
            self._capacity_freed.set()
            self._capacity_freed = None

    async def wait_for_capacity(self) -> None:
        """Wait until some pod releases resources (the scheduler's retry)."""
        if self._capacity_freed is None:
            self._capacity_freed = asyncio.Event()
        await self._capacity_freed.wait()

    def track(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run a clean-up coroutine that :meth:`shutdown` waits for."""
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def allocate_ip(self) -> str:
        """The next pod IP in 10.244.0.0/16."""
        self._ip_counter += 1
        n = self._ip_counter % (254 * 256)
        return f"10.244.{n // 254}.{n % 254 + 1}"

    async def _reaped(self, worker: PodWorker) -> None:
        """Wait until a forgotten pod's processes are gone, then drop it from :attr:`_gone`."""
        try:
            if worker.task is not None:
                await asyncio.wait([worker.task])
            exits = [c.exit_task for c in worker.containers if c.exit_task is not None]
            if exits:
                await asyncio.wait(exits)
        finally:
            self._gone.discard(worker)

    def _forget(self, worker: PodWorker) -> None:
        if self.workers.get((worker.namespace, worker.name)) is worker:
            del self.workers[(worker.namespace, worker.name)]
        self.release(worker)
        if any(c.process is not None for c in worker.containers) or (worker.task and not worker.task.done()):
            self._gone.add(worker)
            self.track(self._reaped(worker))
        # the pod's volumes (emptyDir data, termination files) go with it, as on a node;
        # mounts of them live only in the containers' namespaces, so nothing is busy
        if worker.pod_dir.exists():
            asyncio.get_running_loop().run_in_executor(None, shutil.rmtree, worker.pod_dir, True)
