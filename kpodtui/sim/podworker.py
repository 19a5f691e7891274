"""One pod's life on the node: schedule, set up, pull, run, report, stop.

A :class:`PodWorker` owns the pod's containers and is the only writer of its
``status`` (through ``store.mutate``). It reports the way the kubelet does:
container ``waiting`` / ``running`` / ``terminated`` states with their real
reasons, phase and conditions by the kubelet's rules, and events with the
real reasons and message shapes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpodtui.sim import images, podstatus
from kpodtui.sim.containers import ContainerProcess, StartError, exit_code_of, find_executable
from kpodtui.sim.envvars import ContainerConfigError, expand, full_env, resolve_env
from kpodtui.sim.logs import LogBuffer
from kpodtui.sim.node import qos_class
from kpodtui.sim.scheduler import failed_scheduling_message, unfit_reasons
from kpodtui.sim.volumes import (
    Mount,
    VolumeError,
    container_mounts,
    prepare_volumes,
    read_only_volumes,
)

if TYPE_CHECKING:
    from kpodtui.sim.kubelet import Kubelet

Obj = dict[str, Any]
log = logging.getLogger(__name__)

#: how often a container blocked on a missing ConfigMap/Secret or volume is retried
CONFIG_RETRY_SECONDS = 1.0
MAX_BACKOFF = 300.0
DEFAULT_TERMINATION_MESSAGE_PATH = "/dev/termination-log"


def now() -> str:
    """RFC 3339 with second precision, as status times are."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass
class ContainerRun:
    """One container of the pod: its spec, reported status, log instances and process."""

    spec: Obj
    init: bool
    status: Obj
    logs: list[LogBuffer] = field(default_factory=list)
    process: ContainerProcess | None = None
    exit_task: asyncio.Task[int] | None = None
    forced_exit: int | None = None
    forced_reason: str | None = None
    #: time.monotonic() when the current instance started
    started_mono: float = 0.0
    image_ref: images.ImageRef | None = None

    @property
    def name(self) -> str:
        return str(self.spec.get("name", ""))

    @property
    def field_path(self) -> str:
        return f"spec.{'initContainers' if self.init else 'containers'}{{{self.name}}}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.running

    def state_kind(self) -> str:
        return next(iter(self.status["state"]))


class PodWorker:
    """Runs one pod; see the module docstring."""

    def __init__(self, kubelet: Kubelet, pod: Obj) -> None:
        self.kubelet = kubelet
        meta = pod["metadata"]
        self.namespace: str = meta.get("namespace", "default")
        self.name: str = meta["name"]
        self.uid: str = meta.get("uid", "")
        self.spec: Obj = pod.get("spec") or {}
        self.restart_policy: str = self.spec.get("restartPolicy") or "Always"
        self.pod_dir = kubelet.workdir / "pods" / (self.uid or f"{self.namespace}_{self.name}")
        self.init = [ContainerRun(c, True, self._initial_status(c, "PodInitializing"))
                     for c in self.spec.get("initContainers") or []]
        first_wait = "PodInitializing" if self.init else "ContainerCreating"
        self.regular = [ContainerRun(c, False, self._initial_status(c, first_wait))
                        for c in self.spec.get("containers") or []]
        self.bound = False  # holds node resources
        self.scheduled = False
        self.unschedulable_message: str | None = None
        self.sandbox_ready = False
        self.started = False
        self.start_time: str | None = None
        self.ip: str | None = None
        self.phase_override: str | None = None
        self.reason: str | None = None
        self.message: str | None = None
        self.terminal = False
        self.stopping = False
        self._cond_times: dict[str, tuple[str, str]] = {}
        self._last_status: Obj | None = None
        self.task: asyncio.Task[None] | None = None
        self._deadline_task: asyncio.Task[None] | None = None
        self.volumes: dict[str, Path] = {}

    # -- lookups -----------------------------------------------------------------

    @property
    def containers(self) -> list[ContainerRun]:
        """Init containers, then regular ones."""
        return self.init + self.regular

    def container(self, name: str) -> ContainerRun | None:
        """The container called ``name``, or None."""
        return next((c for c in self.containers if c.name == name), None)

    def live_pod(self) -> Obj | None:
        """The pod object in the store (None once removed or replaced by a namesake)."""
        pod = self.kubelet.store.get("pods", self.namespace, self.name)
        if pod is None or pod["metadata"].get("uid", "") != self.uid:
            return None
        return pod

    @staticmethod
    def _initial_status(c: Obj, reason: str) -> Obj:
        return {
            "name": c.get("name", ""),
            "state": {"waiting": {"reason": reason}},
            "lastState": {},
            "ready": False,
            "restartCount": 0,
            "image": c.get("image", ""),
            "imageID": "",
            "started": False,
        }

    # -- reporting -----------------------------------------------------------------

    def event(self, type_: str, reason: str, message: str, c: ContainerRun | None = None,
              component: str = "kubelet") -> None:
        """Record an Event about the pod (or one of its containers)."""
        pod = self.live_pod()
        if pod is None:
            return
        self.kubelet.store.record_event(self.namespace, pod, type_, reason, message,
                                        field_path=c.field_path if c else None, component=component)

    def phase(self) -> str:
        if self.phase_override:
            return self.phase_override
        if not self.started:
            return "Pending"
        return podstatus.compute_phase(self.restart_policy, [c.status for c in self.init],
                                       [c.status for c in self.regular])

    def build_status(self) -> Obj:
        """The pod ``status`` as the kubelet would report it now."""
        phase = self.phase()
        status: Obj = {"phase": phase}
        if self.scheduled:
            conds = podstatus.compute_conditions(phase, True, self.sandbox_ready,
                                                 [c.status for c in self.init], [c.status for c in self.regular])
            if not self.started:
                conds = [c for c in conds if c[0] == "PodScheduled"]
        else:
            conds = [("PodScheduled", "False", "Unschedulable", self.unschedulable_message)] \
                if self.unschedulable_message else []
        status["conditions"] = [self._condition(*c) for c in conds]
        if self.reason:
            status["reason"] = self.reason
        if self.message:
            status["message"] = self.message
        if self.started:
            status["hostIP"] = "127.0.0.1"
            status["hostIPs"] = [{"ip": "127.0.0.1"}]
            if self.ip:
                status["podIP"] = self.ip
                status["podIPs"] = [{"ip": self.ip}]
            status["startTime"] = self.start_time
            if self.init:
                status["initContainerStatuses"] = [dict(c.status) for c in self.init]
            status["containerStatuses"] = [dict(c.status) for c in self.regular]
        status["qosClass"] = qos_class(self.spec)
        return status

    def _condition(self, type_: str, status: str, reason: str | None, message: str | None) -> Obj:
        prev = self._cond_times.get(type_)
        if prev is None or prev[0] != status:
            prev = (status, now())
            self._cond_times[type_] = prev
        cond: Obj = {"type": type_, "status": status, "lastProbeTime": None, "lastTransitionTime": prev[1]}
        if reason:
            cond["reason"] = reason
        if message:
            cond["message"] = message
        return cond

    def publish(self) -> None:
        """Write the status to the store if it changed; notice the pod becoming terminal."""
        status = self.build_status()
        if status["phase"] in ("Succeeded", "Failed") and not self.terminal:
            self.terminal = True
            self.sandbox_ready = False  # the sandbox is torn down once everything has stopped
            self.kubelet.release(self)
            status = self.build_status()
        if status == self._last_status:
            return
        self._last_status = status

        def write(pod: Obj) -> None:
            pod["status"] = status

        if self.live_pod() is not None:
            self.kubelet.store.mutate("pods", self.namespace, self.name, write)

    # -- the life of the pod ---------------------------------------------------------

    def start(self) -> None:
        """Begin the pod's life in a task."""
        self.task = asyncio.get_running_loop().create_task(self._run(), name=f"pod {self.namespace}/{self.name}")

    async def _run(self) -> None:
        try:
            await self.kubelet.probe()
            if not await self._schedule():
                return
            await self._start_sandbox()
            for c in self.init:
                code = await self._run_container(c)
                if code != 0:
                    self.publish()
                    return
            await asyncio.gather(*(self._run_container(c) for c in self.regular))
            self.publish()
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug here must not take the sim down; say it where users look
            log.exception("pod worker %s/%s failed", self.namespace, self.name)
            self.event("Warning", "FailedSync", "error syncing pod in the simulated kubelet, see the sim's log")

    async def _schedule(self) -> bool:
        node_name = self.spec.get("nodeName")
        if node_name and node_name not in (n.name for n in self.kubelet.nodes):
            return False  # no such node: Pending forever, as on a real cluster
        if not node_name:
            while True:
                pod = self.live_pod()
                if pod is None:
                    return False
                bound = self.kubelet.bound_pods(exclude=self)
                per_node = [(n, unfit_reasons(pod, n, [p for p in bound if p["spec"].get("nodeName") == n.name]))
                            for n in self.kubelet.nodes]
                node = next((n for n, reasons in per_node if not reasons), None)
                if node is not None:
                    break
                msg = failed_scheduling_message([reasons for _n, reasons in per_node])
                self.unschedulable_message = msg
                self.publish()
                self.event("Warning", "FailedScheduling", msg, component="default-scheduler")
                self.kubelet.pod_unschedulable(self, pod)
                await self.kubelet.wait_for_capacity()

            def bind(p: Obj) -> None:
                p["spec"]["nodeName"] = node.name

            self.kubelet.store.mutate("pods", self.namespace, self.name, bind)
            self.spec["nodeName"] = node.name
            self.event("Normal", "Scheduled", f"Successfully assigned {self.namespace}/{self.name} to {node.name}",
                       component="default-scheduler")
        self.bound = True
        self.scheduled = True
        self.unschedulable_message = None
        return True

    async def _start_sandbox(self) -> None:
        self.ip = self.kubelet.allocate_ip()
        self.start_time = now()
        self.sandbox_ready = True
        self.started = True
        self.publish()
        deadline = self.spec.get("activeDeadlineSeconds")
        if deadline is not None:
            self._deadline_task = asyncio.get_running_loop().create_task(self._deadline(float(deadline)))
        if not self.kubelet.isolated and any(c.spec.get("volumeMounts") for c in self.containers):
            self.event("Warning", "VolumesNotMounted",
                       "the simulated node cannot give containers their own mount namespace here "
                       "(needs root and unshare): volumes are not mounted at their mountPath")
        while True:
            pod = self.live_pod()
            if pod is None:
                raise asyncio.CancelledError
            try:
                self.volumes = prepare_volumes(pod, self.pod_dir, self.kubelet.lookup, self.kubelet.service_account_token)
                return
            except VolumeError as e:
                self.event("Warning", "FailedMount", str(e))
                await asyncio.sleep(CONFIG_RETRY_SECONDS)

    async def _deadline(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        if self.terminal or self.stopping:
            return
        msg = "Pod was active on the node longer than the specified deadline"
        self.event("Warning", "DeadlineExceeded", msg)
        self.phase_override, self.reason, self.message = "Failed", "DeadlineExceeded", msg
        self.publish()  # the kubelet reports Failed/DeadlineExceeded at once, then kills with grace
        await self.stop(self._grace())

    def _grace(self) -> int:
        value = self.spec.get("terminationGracePeriodSeconds")
        return 30 if value is None else int(value)

    def _should_restart(self, c: ContainerRun, code: int) -> bool:
        if self.stopping or self.phase_override or self.restart_policy == "Never":
            return False
        # init containers are retried until they succeed, whatever the policy (but Never)
        return code != 0 or (self.restart_policy == "Always" and not c.init)

    async def _run_container(self, c: ContainerRun) -> int:
        """Run ``c`` until it ends for good (restarts included); its last exit code."""
        backoff = self.kubelet.node.crash_backoff_seconds
        while True:
            await self._pull(c)
            env = await self._resolve_env(c)
            code = await self._start_and_wait(c, env)
            if not self._should_restart(c, code):
                return code
            term = c.status["state"]["terminated"]
            if not c.status.get("restartCount"):
                # the kubelet's back-off starts at the second failure: the first restart is at once
                c.status["lastState"] = {"terminated": term}
                c.status["restartCount"] = 1
                continue
            msg = f"back-off {int(backoff)}s restarting failed container={c.name} pod={self.name}_{self.namespace}({self.uid})"
            c.status["lastState"] = {"terminated": term}
            c.status["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message": msg}}
            c.status["ready"] = False
            c.status["started"] = False
            self.publish()
            self.event("Warning", "BackOff", f"Back-off restarting failed container {c.name} in pod "
                       f"{self.name}_{self.namespace}({self.uid})", c)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
            c.status["restartCount"] += 1

    def _set_waiting(self, c: ContainerRun, reason: str, message: str | None = None) -> None:
        waiting: Obj = {"reason": reason}
        if message:
            waiting["message"] = message
        c.status["state"] = {"waiting": waiting}
        self.publish()

    async def _pull(self, c: ContainerRun) -> None:
        """Make the image present, reporting like the kubelet; never returns for a bad reference."""
        image = str(c.spec.get("image") or "")
        try:
            ref = images.parse_image(image)
        except images.InvalidImageError as e:
            invalid = str(e)
        else:
            invalid = ""
        if invalid:
            self._set_waiting(c, "InvalidImageName", invalid)
            self.event("Warning", "InspectFailed", invalid, c)
            self.event("Warning", "Failed", "Error: InvalidImageName", c)
            await asyncio.Event().wait()  # stays so until the pod goes, as the kubelet's
        c.image_ref = ref
        node = self.kubelet.node
        policy = c.spec.get("imagePullPolicy") or images.default_pull_policy(ref)
        refused = images.is_refused(ref, node.refused_images)
        backoff = node.image_backoff_seconds
        if policy != "Always" and ref.normalized in self.kubelet.present_images or (
                policy == "Never" and not refused):
            self.event("Normal", "Pulled", f'Container image "{image}" already present on machine', c)
        elif policy == "Never":
            msg = f'Container image "{image}" is not present with pull policy of Never'
            self._set_waiting(c, "ErrImageNeverPull", msg)
            self.event("Warning", "ErrImageNeverPull", msg, c)
            await asyncio.Event().wait()
        else:
            while True:
                self.event("Normal", "Pulling", f'Pulling image "{image}"', c)
                started = time.monotonic()
                if node.pull_seconds:
                    await asyncio.sleep(node.pull_seconds)
                if not refused:
                    took = f"{max(1, int((time.monotonic() - started) * 1000))}ms"
                    self.event("Normal", "Pulled", f'Successfully pulled image "{image}" in {took} ({took} '
                               f"including waiting). Image size: {ref.size} bytes.", c)
                    self.kubelet.present_images.add(ref.normalized)
                    break
                full = images.pull_error_message(ref)
                self._set_waiting(c, "ErrImagePull", full.split('": ', 1)[1])
                self.event("Warning", "Failed", full, c)
                self.event("Warning", "Failed", "Error: ErrImagePull", c)
                # the kubelet's next sync (about a second later) reports the back-off
                await asyncio.sleep(min(1.0, backoff / 10))
                msg = f'Back-off pulling image "{image}"'
                self._set_waiting(c, "ImagePullBackOff", msg)
                self.event("Normal", "BackOff", msg, c)
                self.event("Warning", "Failed", "Error: ImagePullBackOff", c)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
        c.status["image"] = ref.normalized
        c.status["imageID"] = ref.image_id

    async def _resolve_env(self, c: ContainerRun) -> dict[str, str]:
        while True:
            pod = self.live_pod()
            if pod is None:
                raise asyncio.CancelledError
            try:
                return full_env(pod, resolve_env(pod, c.spec, self.kubelet.lookup, self.kubelet.node))
            except ContainerConfigError as e:
                self._set_waiting(c, "CreateContainerConfigError", str(e))
                self.event("Warning", "Failed", f"Error: {e}", c)
                await asyncio.sleep(CONFIG_RETRY_SECONDS)

    def _termination_file(self, c: ContainerRun) -> Path:
        folder = self.pod_dir / "containers" / f"{c.name}-{c.status['restartCount']}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "termination-log"
        path.write_bytes(b"")
        return path

    async def _start_and_wait(self, c: ContainerRun, env: dict[str, str]) -> int:
        assert c.image_ref is not None
        argv = images.container_argv(c.image_ref, c.spec.get("command"), c.spec.get("args"))
        if argv is not None:
            argv = [expand(a, env) for a in argv]
        mounts = container_mounts(c.spec, self.volumes, read_only_volumes({"spec": self.spec}))
        term_file = self._termination_file(c)
        term_path = c.spec.get("terminationMessagePath") or DEFAULT_TERMINATION_MESSAGE_PATH
        mounts.append(Mount(str(term_file), term_path))
        container_id = "containerd://" + secrets.token_hex(32)
        c.status["containerID"] = container_id
        error: str | None = None
        if argv is None:
            error = (f"failed to create containerd task: the simulated node does not know the default command "
                     f'of image "{c.spec.get("image")}": give the container a command')
        elif not find_executable(argv[0], env.get("PATH", ""), [m.target for m in mounts]):
            error = ("failed to create containerd task: failed to create shim task: OCI runtime create failed: "
                     "runc create failed: unable to start container process: error during container init: "
                     f'exec: "{argv[0]}": executable file not found in $PATH: unknown')
        log_buffer = LogBuffer()
        c.logs.append(log_buffer)
        self.event("Normal", "Created", f"Created container: {c.name}", c)
        if error is None:
            assert argv is not None
            proc = ContainerProcess(argv, env, c.spec.get("workingDir") or "/", mounts, self.name,
                                    log_buffer, self.kubelet.isolated)
            c.process = proc
            starting = asyncio.get_running_loop().create_task(proc.start())
            try:
                await asyncio.shield(starting)
            except asyncio.CancelledError:
                # the pod is going: whatever got started must not outlive it
                self.kubelet.track(_reap(starting, proc))
                raise
            except StartError as e:
                c.process = None
                error = f"failed to create containerd task: {e}"
        if error is not None:
            log_buffer.close()
            c.status["state"] = {"terminated": {"exitCode": 128, "reason": "StartError", "message": error,
                                                "startedAt": "1970-01-01T00:00:00Z", "finishedAt": now(),
                                                "containerID": container_id}}
            self.event("Warning", "Failed", f"Error: {error}", c)
            self.publish()
            return 128
        started_at = now()
        c.started_mono = time.monotonic()
        c.status["state"] = {"running": {"startedAt": started_at}}
        c.status["ready"] = True
        c.status["started"] = True
        self.publish()
        self.event("Normal", "Started", f"Started container {c.name}", c)
        c.exit_task = asyncio.get_running_loop().create_task(self._watch_exit(c, started_at, term_file))
        return await asyncio.shield(c.exit_task)

    async def _watch_exit(self, c: ContainerRun, started_at: str, term_file: Path) -> int:
        """Wait for the container's process and report it terminated (survives pod cancellation)."""
        assert c.process is not None
        code = await c.process.wait()
        if c.forced_exit is not None:
            code = c.forced_exit
        reason = c.forced_reason or ("Completed" if code == 0 else "Error")
        c.forced_exit = c.forced_reason = None  # a fault ends this instance, not the restarted one
        c.logs[-1].close()
        term: Obj = {"exitCode": code, "reason": reason,
                     "startedAt": started_at, "finishedAt": now(),
                     "containerID": c.status.get("containerID", "")}
        message = _read_message(term_file)
        policy = c.spec.get("terminationMessagePolicy") or "File"
        if not message and code != 0 and policy == "FallbackToLogsOnError":
            message = c.logs[-1].tail_text()
        if message:
            term["message"] = message
        c.status["state"] = {"terminated": term}
        c.status["ready"] = False
        c.status["started"] = False
        self.publish()
        return code

    # -- stopping ------------------------------------------------------------------

    async def stop(self, grace: int) -> None:
        """Kill the containers as the kubelet does: SIGTERM, SIGKILL after ``grace`` seconds."""
        grace = min(grace, 10**9)  # (a grace of centuries is waited out like one of decades)
        self.stopping = True
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
        running = [c for c in self.containers if c.running]
        for c in running:
            self.event("Normal", "Killing", f"Stopping container {c.name}", c)
            assert c.process is not None
            c.process.send_signal(signal.SIGTERM if grace > 0 else signal.SIGKILL)
        waits = [c.exit_task for c in running if c.exit_task is not None]
        if waits:
            _done, pending = await asyncio.wait(waits, timeout=max(grace, 0))
            if pending:
                for c in running:
                    if c.process is not None:
                        c.process.kill()
                await asyncio.wait(pending)
        self._finish_stopped()

    def _finish_stopped(self) -> None:
        """After a stop: a terminal phase as the kubelet reports for stopped pods."""
        if self.phase_override is None and self.started:
            codes = [c.status["state"]["terminated"]["exitCode"] for c in self.regular
                     if c.state_kind() == "terminated"]
            all_ok = len(codes) == len(self.regular) and all(code == 0 for code in codes)
            self.phase_override = "Succeeded" if all_ok else "Failed"
        self.publish()

    def kill_now(self) -> None:
        """SIGKILL every process of the pod, at once (sim shutdown)."""
        self.stopping = True
        for c in self.containers:
            if c.process is not None:
                c.process.kill()
        for t in (self.task, self._deadline_task):
            if t is not None and not t.done():
                t.cancel()

    def kill_container(self, name: str, exit_code: int | None, sig: int | None, reason: str | None = None) -> bool:
        """Fault: end container ``name``'s process now; it reports ``exit_code`` (or 128 + signal)
        and ``reason`` when given."""
        c = self.container(name)
        if c is None or not c.running or c.process is None:
            return False
        c.forced_exit = exit_code if exit_code is not None else 128 + int(sig or signal.SIGKILL)
        c.forced_reason = reason
        c.process.kill()
        return True


async def _reap(starting: asyncio.Task[None], proc: ContainerProcess) -> None:
    """Finish a start that was abandoned half-way: kill what it started and collect it."""
    with contextlib.suppress(Exception):
        await starting
    proc.kill()
    if proc.proc is not None:
        with contextlib.suppress(Exception):
            await proc.wait()
    proc.abandon()  # its pipes are closed on this loop, whatever held them


def _read_message(path: Path) -> str:
    """The termination message file, at most 4096 bytes as the kubelet reads it."""
    try:
        with open(path, "rb") as f:
            return f.read(4096).decode("utf-8", "replace")
    except OSError:
        return ""


__all__ = ["PodWorker", "ContainerRun", "exit_code_of"]
