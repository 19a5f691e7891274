"""The run service: what both front ends do to start, take up and act on runs.

Headless mode (``run``, ``attach``, ``logs -f``, ``kill``) and the app (its
engine backend) go through one :class:`RunService`, so a task is picked, a
cluster chosen and a run started or reattached the same way everywhere:

- :func:`cluster_target`: where a run talks to (the command line's choice, or a
  recorded run's own kubeconfig and context);
- :meth:`RunService.launch` / :meth:`RunService.reattach`: a :class:`Run` of a
  task (loaded with :func:`kpodtui.tasks.load_task`) or of a recorded run, on
  a cluster session shared by every run to the same target;
- :func:`recorded_spec`, :meth:`RunService.kill_recorded`,
  :meth:`RunService.keep`: recorded runs this process does not follow.

Nothing here prints: the front ends say what happens in their own way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from kpodtui.engine.events import RunEvent
from kpodtui.engine.report import kill_report
from kpodtui.engine.run import Run
from kpodtui.engine.session import ClusterSession
from kpodtui.history import History, RunRecord
from kpodtui.history.tail import LogTail
from kpodtui.kube.api import KubeApi, explain
from kpodtui.kube.config import ClusterTarget
from kpodtui.spec import TaskSpec
from kpodtui.tasks import load_spec_text, pick_task

Subscriber = Callable[[RunEvent], None]

__all__ = ["RunService", "cluster_target", "kill_recorded_run", "recorded_spec"]


def cluster_target(base: ClusterTarget, record: RunRecord | None = None) -> ClusterTarget:
    """Where a run talks to: ``base`` (``--kubeconfig`` / ``--context`` / ``-n``, or the
    in-process sim's), except that a recorded run, when no kubeconfig was given, goes back
    to the kubeconfig and context it was launched with (a given ``--context`` still wins)."""
    if record is None or base.kubeconfig:
        return base
    return ClusterTarget(kubeconfig=record.kubeconfig, context=base.context or record.context,
                         namespace=base.namespace)


def recorded_spec(record: RunRecord) -> TaskSpec:
    """The spec a recorded run was launched from (its text as recorded, templates beside its
    file, the run's own task of a file holding several)."""
    base_dir = Path(record.spec_path).parent if record.spec_path else None
    source = record.spec_path or "<history>"
    return pick_task(load_spec_text(record.spec_text or "", source=source, base_dir=base_dir), record.task_id, source)


def kill_recorded_run(history: History, record: RunRecord, api: KubeApi) -> tuple[str, bool]:
    """Kill a live run from outside, as ``on_kill`` would: ``(what was done, pod deleted)``.

    The pod is deleted with the run's ``termination_grace_period`` unless its
    ``on_kill_action`` is ``keep_pod``; the process following the run (if any)
    sees ``kill_requested`` and judges it; if nobody follows it, the verdict is
    recorded here.
    """
    grace, on_kill = None, "delete_pod"
    try:
        spec = recorded_spec(record)
        grace, on_kill = spec.termination_grace_period, spec.on_kill_action
    except Exception:  # noqa: BLE001 - a spec that no longer loads: the defaults
        pass
    history.update_run(record.id, kill_requested=1)
    pod = f"{record.namespace}/{record.pod_name}" if record.pod_name else None
    if on_kill == "keep_pod" or not record.pod_name:
        deleted, fate = False, "kept"
    else:
        deleted = True
        fate = "deleted" if api.delete_pod(record.namespace or "default", record.pod_name, grace) else "was already gone"
    report = kill_report(pod, fate)
    history.record_kill_if_unfollowed(record.id, report, deleted)
    return report, deleted


class RunService:
    """Runs against one cluster target, on sessions shared per target (see the module docstring).

    ``history_per_run``: each run writes through its own history connection (the
    app follows many runs at once; one command follows one).
    """

    def __init__(self, target: ClusterTarget, history: History | None = None, *,
                 history_per_run: bool = False) -> None:
        self.target = target
        self.history = history if history is not None else History.open()
        self.history_per_run = history_per_run
        self.runs: dict[str, Run] = {}  # every run started here, by id
        self._lock = threading.Lock()
        self._sessions: dict[ClusterTarget, ClusterSession] = {}

    # -- cluster sessions ----------------------------------------------------------------

    def session(self, target: ClusterTarget) -> ClusterSession:
        """The session to ``target``, opened on first use and shared by every run to it."""
        with self._lock:
            session = self._sessions.get(target)
            if session is None:
                session = self._sessions[target] = ClusterSession.open(target)
            return session

    def session_for(self, record: RunRecord) -> ClusterSession:
        """The session to where a recorded run's pod lives."""
        return self.session(cluster_target(self.target, record))

    def _run_history(self) -> History:
        return History.open(self.history.home) if self.history_per_run else self.history

    # -- runs ----------------------------------------------------------------------------

    def launch(self, spec: TaskSpec, *, spec_path: str | None, spec_text: str | None,
               detach: bool | None = None, subscriber: Subscriber | None = None, start: bool = True) -> Run:
        """A new run of ``spec`` (``detach`` None: as the spec's ``deferrable`` says).

        ``subscriber`` hears every event from the first; ``start`` False leaves the
        starting to the caller (:meth:`Run.start` or :meth:`Run.execute`).
        """
        session = self.session(self.target.merged_with_spec(spec))
        run = Run(spec, session, self._run_history(), namespace=self.target.namespace, spec_path=spec_path,
                  spec_text=spec_text, detach=detach)
        return self._begin(run, subscriber, start)

    def reattach(self, record: RunRecord, *, caught_up: LogTail | None = None,
                 subscriber: Subscriber | None = None, start: bool = True) -> Run:
        """Take up a recorded live run: follow it to its verdict (or observe the process that does).

        ``caught_up``: where the caller's own read of the run's log files ended, so
        nothing written since is skipped (see :mod:`kpodtui.engine.observe`).
        """
        spec = recorded_spec(record)
        session = self.session(cluster_target(self.target, record).merged_with_spec(spec))
        run = Run(spec, session, self._run_history(), record=record, spec_path=record.spec_path, detach=False)
        run.caught_up = caught_up
        return self._begin(run, subscriber, start)

    def _begin(self, run: Run, subscriber: Subscriber | None, start: bool) -> Run:
        if subscriber is not None:
            run.subscribe(subscriber)
        with self._lock:
            self.runs[run.run_id] = run
        if start:
            run.start()
        return run

    def following(self, run_id: str) -> Run | None:
        """The run started here with that id, while it has not ended."""
        with self._lock:
            run = self.runs.get(run_id)
        return run if run is not None and not run.done.is_set() else None

    # -- recorded runs -------------------------------------------------------------------

    def kill_recorded(self, record: RunRecord) -> str:
        """Kill a run this process does not follow, as ``kpodtui kill`` does; what was done."""
        session = self.session_for(record)
        try:
            report, _deleted = kill_recorded_run(self.history, record, session.api)
        except Exception as exc:
            raise explain(exc, session.client, record.namespace) from exc
        return report

    def keep(self, run_id: str) -> None:
        """Switch a live run to ``keep_pod`` (the run followed here, or through the history)."""
        with self._lock:
            run = self.runs.get(run_id)
        if run is not None:
            run.keep()
        else:
            self.history.update_run(run_id, on_finish_action="keep_pod")

    def close(self) -> None:
        """Close every cluster session (their watches stop; runs still going end with them)."""
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for session in sessions:
            session.close()
