"""The real :class:`~kpodtui.tui.data.backend.Backend`: the engine, the history and the cluster.

Imported (and built) in a worker after the app's first frame: building it
imports the engine and the kubernetes client. The app stays a subscriber: a
launch or reattach creates an engine ``Run``, subscribes the app's feed and
starts it; kill and keep call the run's own methods.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kpodtui.engine.events import RunFinished
from kpodtui.engine.report import mask_pod
from kpodtui.engine.run import Run, RunService
from kpodtui.errors import KpodtuiError
from kpodtui.history import History, RunRecord
from kpodtui.history.tail import LogTail
from kpodtui.history.trouble import HistoryDamaged
from kpodtui.history.watch import RunsWatch
from kpodtui.kube.api import refusal_text
from kpodtui.kube.config import ClusterTarget, connect, context_names
from kpodtui.kube.exec import exec_attached
from kpodtui.kube.logs import previous_log
from kpodtui.loglines import LogLine
from kpodtui.pod import manifest_yaml
from kpodtui.tasks import load_task
from kpodtui.tui.data.backend import RunDetails, RunRow, Subscriber, Target
from kpodtui.tui.data.describe import describe_pod, normalize_events
from kpodtui.tui.data.history_rows import row_of, rows_from_history

Json = dict[str, Any]


class EngineHandle:
    """An engine run the app follows."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.run_id = run.run_id

    def kill(self) -> None:
        self.run.kill()

    def keep(self, keep: bool = True) -> None:
        self.run.keep(keep)

    def detach(self, timeout: float = 10.0) -> None:
        """Stop following; the pod goes on and the run stays live in history.

        Returns once the engine has let go (its log files flushed, its lock
        released, nobody recorded as following), so an attach from here or from
        another process continues from the log files' ends.
        """
        self.run.detach_now()
        self.run.wait(timeout)


class EngineBackend:
    """Runs tasks with the engine's :class:`RunService` against one cluster target (``--sim`` starts
    one in-process), as the headless commands do."""

    def __init__(
        self,
        kubeconfig: str | None = None,
        context: str | None = None,
        namespace: str | None = None,
        sim: Any = None,
    ) -> None:
        self.sim = sim
        #: told (from an engine thread) of an error that must end the app: a damaged history
        self.on_fatal: Callable[[KpodtuiError], None] | None = None
        self.history = History.open()
        self._lock = threading.Lock()
        base = ClusterTarget(kubeconfig=kubeconfig, context=context, namespace=namespace)
        # the app follows many runs at once: each writes through its own history connection
        self.service = RunService(base, self.history, history_per_run=True)
        self._launch_target = base  # where launches go (the context switcher changes it)
        self._read_to: dict[str, LogTail] = {}  # run id -> where read_log stopped (see reattach)
        self._watch = RunsWatch(self.history.home)
        # Pay the kubernetes client's first-use cost here, in the worker, not at the first launch.
        import kubernetes.client  # noqa: F401

        kubernetes.client.CoreV1Api  # noqa: B018

    # -- history ----------------------------------------------------------------

    def list_runs(self, limit: int = 200) -> list[RunRow]:
        with self._lock:
            return rows_from_history(self.history, limit)

    def history_changed(self) -> bool:
        return self._watch.changed()

    def _record(self, run_id: str) -> RunRecord:
        with self._lock:
            return self.history.get_run(run_id)

    def get_run(self, run_id: str) -> RunDetails | None:
        with self._lock:
            record = self.history.get_run(run_id)
            on_disk = self.history.containers(record.id)
            kept = self.history.pod_record(record.id)
            detached = record.live and self.history.run_lock(record.id).is_free()
        return RunDetails(
            row=row_of(record, detached),
            outcome=record.outcome,
            report=record.failure_report,
            xcom=record.xcom,
            containers=_in_pod_order(kept.get("manifest") or kept.get("last_pod"), on_disk),
            pod_deleted=record.pod_deleted,
            reason=record.reason,
        )

    def read_log(self, run_id: str) -> list[LogLine]:
        """Every line on disk, merged by time. Where the read ended is kept for a
        :meth:`reattach` that follows, so lines another process writes in between are
        not skipped."""
        history = History.open(self.history.home)  # its own connection: this may run beside a launch
        try:
            tail = history.tail(run_id, from_end=False)
            lines = sorted(tail.read(), key=lambda line: line.timestamp)
        finally:
            history.close()
        with self._lock:
            self._read_to[run_id] = tail
            while len(self._read_to) > 64:  # (finished runs opened for reading are never reattached)
                self._read_to.pop(next(iter(self._read_to)))
        return lines

    # -- runs ------------------------------------------------------------------------

    def launch(
        self, path: Path | None, text: str, task_id: str | None, overrides: Sequence[str], subscriber: Subscriber
    ) -> EngineHandle:
        """Launch the task ``task_id`` of the file (or of the editor's unsaved ``text``); an unknown
        task id is refused, as ``kpodtui run --task`` refuses it."""
        spec, text = load_task(path, text, task_id, overrides)
        run = self.service.launch(spec, spec_path=str(path.resolve()) if path else None, spec_text=text,
                                  detach=False, subscriber=subscriber, start=False, overrides=overrides,
                                  target=self._launch_target)
        run.subscribe(self._fatal_watch(run))
        run.start()
        return EngineHandle(run)

    def _fatal_watch(self, run: Run) -> Subscriber:
        """A damaged history met by a run ends the app as it ends every command (one line, exit 2)."""

        def watch(event: Any) -> None:
            if isinstance(event, RunFinished) and isinstance(run.failed_with, HistoryDamaged) and self.on_fatal:
                self.on_fatal(run.failed_with)

        return watch

    def reattach(self, run_id: str, subscriber: Subscriber) -> EngineHandle:
        with self._lock:
            record = self.history.get_run(run_id)
            caught_up = self._read_to.pop(run_id, None)
        return EngineHandle(self.service.reattach(record, caught_up=caught_up, subscriber=subscriber))

    def kill(self, run_id: str) -> str | None:
        """Kill a live run (one nobody in this app follows as ``kpodtui kill``); what was done."""
        run = self.service.following(run_id)
        if run is not None:
            run.kill()
            return None  # the run says what it did
        # detached in this app, or followed by another process: as `kpodtui kill`
        return self.service.kill_recorded(self._record(run_id))

    def keep(self, run_id: str, keep: bool = True) -> None:
        self.service.keep(run_id, keep)

    def delete_pod(self, run_id: str) -> str:
        return self.service.delete_pod(self._record(run_id))

    # -- the pod -----------------------------------------------------------------------

    def _pod_now(self, record: RunRecord) -> Json | None:
        """The run's pod as the cluster has it (None: gone, or never made)."""
        if not record.pod_name:
            return None
        _api, pod = self.service.pod_of(record)
        return pod

    def pod_yaml(self, run_id: str) -> str:
        record = self._record(run_id)
        if not record.pod_name or not record.namespace:
            return "# this run has no pod yet"
        pod = self._pod_now(record)
        if pod is None:
            with self._lock:
                kept = self.history.pod_record(record.id)
            if kept["manifest"] is None:
                return f"# pod {record.namespace}/{record.pod_name} is gone, and no manifest was recorded"
            return (f"# pod {record.namespace}/{record.pod_name} is gone: the manifest kpodtui created it from "
                    "(values that look secret are masked)\n" + manifest_yaml(kept["manifest"]))
        pod.get("metadata", {}).pop("managedFields", None)
        # as in the failure report: env values and annotations whose names look secret are masked
        masked = mask_pod(pod)
        note = "# values that look secret are masked (kubectl get pod -o yaml shows them)\n"
        return note + manifest_yaml(masked) if masked != pod else manifest_yaml(masked)

    def describe(self, run_id: str) -> str:
        record = self._record(run_id)
        if not record.pod_name:
            return f"run {record.id} has no pod{' yet' if record.live else ''}\n"
        pod = self._pod_now(record)
        if pod is not None:
            api, _ = self.service.pod_of(record)
            try:
                events = api.list_events(record.namespace or "default", record.pod_name).get("items") or []
            except Exception:  # noqa: BLE001 - describe without events when they cannot be read
                events = []
            return describe_pod(mask_pod(pod), normalize_events(events), time.time())
        with self._lock:
            kept = self.history.pod_record(record.id)
        last = kept["last_pod"] or kept["manifest"]
        if last is None:
            return f"pod {record.namespace}/{record.pod_name} is gone, and nothing of it was recorded\n"
        return describe_pod(last, normalize_events(kept["events"] or []), time.time(),
                            note=f"pod {record.namespace}/{record.pod_name} is gone: as last recorded")

    def previous_log(self, run_id: str, container: str) -> list[LogLine]:
        record = self._record(run_id)
        api, pod = self.service.pod_of(record)
        if pod is None:
            raise LookupError(f"pod {record.namespace}/{record.pod_name} is gone, and with it the previous log")
        try:
            return previous_log(api, record.namespace or "default", record.pod_name or "", container)
        except Exception as exc:
            raise LookupError(refusal_text(exc)) from None

    def containers(self, run_id: str) -> list[tuple[str, str]]:
        record = self._record(run_id)
        pod = self._pod_now(record)
        if pod is None:
            return []
        states = {s.get("name"): next(iter(s.get("state") or {"waiting": None}))
                  for s in (pod.get("status") or {}).get("containerStatuses") or []}
        return [(c.get("name", ""), states.get(c.get("name"), "waiting"))
                for c in (pod.get("spec") or {}).get("containers") or []]

    def shell(self, run_id: str, container: str, command: list[str]) -> tuple[int, str | None]:
        """``command`` in ``container`` with this process's terminal (the app is suspended)."""
        record = self._record(run_id)
        api, _pod = self.service.pod_of(record)
        return exec_attached(api, record.namespace or "default", record.pod_name or "", container, command,
                             stdin=True, tty=True)

    # -- where launches go -------------------------------------------------------------

    def target(self) -> Target:
        client = connect(self._launch_target)
        return client.context, client.namespace

    def contexts(self) -> list[str]:
        return context_names(self._launch_target)

    def namespaces(self) -> list[str]:
        try:
            api = self.service.session(self._launch_target).api
            items = api.json("GET", "/api/v1/namespaces", "list namespaces").get("items") or []
        except Exception:  # noqa: BLE001 - not allowed to list them: the user types one
            return []
        return sorted(i.get("metadata", {}).get("name", "") for i in items)

    def set_target(self, context: str | None, namespace: str | None) -> Target:
        target = dataclasses.replace(self._launch_target, context=context or None, namespace=namespace or None)
        client = connect(target)  # a context the kubeconfig lacks is refused here, with its choices
        self._launch_target = target
        return client.context, client.namespace

    def close(self) -> None:
        """Leave live runs to their pods (their daemon threads end with the process); with an
        in-process sim (``--sim``) they end with it instead, recorded as killed."""
        if self.sim is not None:
            self._end_runs_with_the_sim()
        with self._lock:
            self.history.close()
        self._watch.close()
        if self.sim is not None:
            self.sim.stop()

    def _end_runs_with_the_sim(self, patience: float = 20.0) -> None:
        """The cluster lives in this process: its runs cannot outlive it. Each is killed (not
        waiting for grace periods) and its verdict recorded before the cluster stops."""
        runs = [run for run in list(self.service.runs.values()) if not run.done.is_set()]
        for run in runs:
            try:
                run.kill()
                run.hurry()
            except Exception:  # noqa: BLE001 - the verdict below still comes
                pass
        deadline = time.monotonic() + patience
        for run in runs:
            run.done.wait(max(0.0, deadline - time.monotonic()))
        # runs on this cluster nobody here follows (detached earlier): killed with it
        kubeconfig = str(self.sim.kubeconfig_path)
        with self._lock:
            for record in self.history.live_runs():
                if record.kubeconfig == kubeconfig:
                    self.history.update_run(record.id, kill_requested=1)
                    self.history.record_kill_if_unfollowed(
                        record.id, "killed on request: the simulated cluster stopped with the app", True)

def _in_pod_order(pod: Json | None, on_disk: list[str]) -> list[str]:
    """The containers as the pod lists them (init containers first), then any other with a log file."""
    spec = (pod or {}).get("spec") or {}
    ordered = [c.get("name", "") for group in ("initContainers", "containers") for c in spec.get(group) or []]
    return ordered + [c for c in on_disk if c not in ordered]
