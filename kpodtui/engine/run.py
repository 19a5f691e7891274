"""The engine's public face: ``Run`` and the ``RunService`` that makes them.

A :class:`Run` is one task's pod carried through the lifecycle of LIFECYCLE.md 2-7::

    reattach / create  ->  await_start  ->  follow_logs + wait for the base
    container  ->  extract_xcom  ->  cleanup (verdict, report, on_finish_action)

A front end holds it: :meth:`Run.start` / :meth:`Run.wait` (or :meth:`Run.execute`
in the caller's thread), :meth:`Run.kill`, :meth:`Run.hurry`, :meth:`Run.keep`,
:meth:`Run.detach_now`, and read-only views of what the run knows. The run's
state lives in its :class:`~kpodtui.engine.context.RunContext` (``run.context``),
which the steps receive; everything the run learns about its pod comes from the
session's shared pod and event watches (pushed within milliseconds, no polling).
Events go to subscribers (:meth:`Run.subscribe`) from engine threads.

The :class:`RunService` is what both front ends do to start, take up and act on
runs: headless mode (``run``, ``attach``, ``logs -f``, ``kill``) and the app (its
engine backend) go through one, so a task is picked, a cluster chosen and a run
started or reattached the same way everywhere:

- :func:`cluster_target`: where a run talks to (the command line's choice, or a
  recorded run's own kubeconfig and context);
- :meth:`RunService.launch` / :meth:`RunService.reattach`: a :class:`Run` of a
  task (loaded with :func:`kpodtui.tasks.load_task`) or of a recorded run, on
  a cluster session shared by every run to the same target;
- :func:`recorded_spec`, :meth:`RunService.kill_recorded`,
  :meth:`RunService.keep`: recorded runs this process does not follow.

Nothing here prints: the front ends say what happens in their own way. This is
the top of the engine: no other engine module imports it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

from kpodtui.engine import observe, steps
from kpodtui.engine.context import RunAbort, RunContext, RunDetached, RunNeverStarted, Subscriber
from kpodtui.engine.events import ClusterEvent, RunFinished
from kpodtui.engine.report import kill_report
from kpodtui.engine.session import ClusterSession
from kpodtui.errors import BadInputError, ClusterError
from kpodtui.history import History, RunRecord, new_run_id
from kpodtui.history.tail import LogTail
from kpodtui.kube.api import KubeApi, explain, unreachable
from kpodtui.kube.config import ClusterTarget
from kpodtui.spec import TaskSpec
from kpodtui.tasks import load_spec_text, pick_task

Json = dict[str, Any]
T = TypeVar("T")

__all__ = [
    "Run", "RunAbort", "RunDetached", "RunService", "Subscriber", "cluster_target", "kill_recorded_run",
    "recorded_spec",
]


class _Seen(Generic[T]):
    """A read-only view of the attribute of the same name of the run's :class:`RunContext`."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, run: None, owner: type) -> _Seen[T]: ...

    @overload
    def __get__(self, run: Run, owner: type) -> T: ...

    def __get__(self, run: Run | None, owner: type) -> _Seen[T] | T:
        return self if run is None else getattr(run.context, self.name)


class Run:
    """One run of one task spec (or of a recorded run, for attach)."""

    # -- what the run knows (read-only; ``run.context`` holds it all)
    run_id: _Seen[str] = _Seen()
    spec: _Seen[TaskSpec] = _Seen()  # rendered once the run has started
    session: _Seen[ClusterSession] = _Seen()
    history: _Seen[History] = _Seen()
    namespace: _Seen[str] = _Seen()
    pod_name: _Seen[str] = _Seen()
    manifest: _Seen[Json] = _Seen()  # the pod as built from the spec (empty until prepared)
    pod: _Seen[Json | None] = _Seen()  # as the watch last saw it (None: not seen yet, or gone)
    events: _Seen[list[ClusterEvent]] = _Seen()  # the pod's cluster events, in the order they happened
    result: _Seen[RunFinished | None] = _Seen()  # the verdict (None until judged, or when detached)
    failed_with: _Seen[BaseException | None] = _Seen()  # what ended the run (a cluster error...)

    def __init__(
        self,
        spec: TaskSpec,
        session: ClusterSession,
        history: History,
        *,
        run_id: str | None = None,
        namespace: str | None = None,
        spec_path: str | None = None,
        spec_text: str | None = None,
        record: RunRecord | None = None,
        detach: bool | None = None,
        try_number: int = 1,
        overrides: tuple[str, ...] = (),
    ) -> None:
        self.context = RunContext(
            spec, session, history, record.id if record else (run_id or new_run_id()),
            record=record, cli_namespace=namespace, spec_path=spec_path, spec_text=spec_text,
            detach=bool(spec.deferrable) if detach is None else detach, try_number=try_number,
            overrides=tuple(record.overrides if record else overrides),
        )  # fmt: skip
        self.done = threading.Event()  # set once the run let go (verdict recorded, detached, or failed)
        self._thread: threading.Thread | None = None

    @property
    def observing(self) -> int | None:
        """While another kpodtui process owns the run and this one only shows it: that
        process's pid (0 if unknown); None otherwise."""
        return self.context.observing_pid

    @property
    def caught_up(self) -> LogTail | None:
        return self.context.caught_up

    @caught_up.setter
    def caught_up(self, tail: LogTail | None) -> None:
        """Where the caller's own read of the log files ended (the app's catch-up): a run that
        another process follows publishes from there, so nothing written meanwhile is skipped."""
        self.context.caught_up = tail

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        """Receive every event of this run (called from engine threads; must not block)."""
        return self.context.subscribe(fn)

    # -- control -------------------------------------------------------------------------

    def start(self) -> Run:
        """Run in a background thread; see :meth:`wait`.

        An exception that ends the run stays in :attr:`failed_with` for the front
        end to report in its own way (one line), instead of reaching threading's
        excepthook, which would print a traceback over the output or the app.
        """
        self._thread = threading.Thread(target=self._execute_in_thread, name=f"run-{self.run_id}", daemon=True)
        self._thread.start()
        return self

    def _execute_in_thread(self) -> None:
        try:
            self.execute()
        except BaseException as exc:  # noqa: BLE001 - kept for the caller, see start()
            if self.context.failed_with is None:
                self.context.failed_with = exc

    def wait(self, timeout: float | None = None) -> RunFinished | None:
        """Wait for the verdict (None if the run detached or ``timeout`` passed)."""
        self.done.wait(timeout)
        return self.result

    def kill(self) -> None:
        """``on_kill``: delete the pod with ``termination_grace_period``; the run ends as killed."""
        ctx = self.context
        if not ctx.request_kill():
            return
        try:
            try:
                ctx.history.update_run(ctx.run_id, kill_requested=1)
            except Exception:  # noqa: BLE001 - the pod still gets deleted
                pass
            if ctx.pod_name and ctx.spec.on_kill_action != "keep_pod":
                ctx.deleted_by_kill = True
                given = ctx.delete_pod(ctx.spec.termination_grace_period, f"could not delete pod {ctx.pod_name}",
                                       "error")
                if given == 0:
                    ctx.say(f"killed: pod {ctx.pod_name} deleted", "warning")
                elif given:
                    ctx.say(f"killed: deletion of pod {ctx.pod_name} requested (grace {given} s)", "warning")
                else:
                    # not created yet (the create is under way) or already gone: the run's own
                    # thread deletes what the create brings (see steps.reattach_or_create)
                    ctx.say(f"killed: pod {ctx.pod_name} not there (yet); it is deleted if it appears", "warning")
            elif ctx.pod_name:
                ctx.say(f"killed: pod {ctx.pod_name} kept (on_kill_action: keep_pod)", "warning")
        finally:
            ctx.kill_settled()

    def hurry(self) -> None:
        """After :meth:`kill`: stop waiting for the pod's grace period and last log lines.

        The pod is already being deleted; the run is judged ``killed`` at once
        (a second Ctrl-C). The lines its containers print while stopping are lost.
        """
        self.context.request_hurry()

    def keep(self, keep: bool = True) -> None:
        """Switch this run to ``keep_pod`` while it runs: its pod survives the end.

        ``keep`` False undoes it: back to what the spec says (``on_finish_action``).
        """
        ctx = self.context
        action = "keep_pod" if keep else ctx.spec.on_finish_action
        ctx.on_finish_action = action
        ctx.history.update_run(ctx.run_id, on_finish_action=action)
        ctx.say("the pod will be kept when the run ends (keep_pod)" if keep else
                f"keep undone: the pod goes as the spec says when the run ends ({action})")

    def detach_now(self) -> None:
        """Stop following without a verdict: the pod goes on, the run stays live in the history.

        A later ``attach`` (or the app) takes the run up again from the log files' ends.
        """
        self.context.request_detach()

    # -- the lifecycle -------------------------------------------------------------------

    def execute(self) -> RunFinished | None:
        """Carry the pod through its lifecycle; the verdict (None when detached).

        Only the process holding the run's lock (:mod:`kpodtui.history.runlock`)
        writes its logs and judges it; another process following the same run
        observes (:mod:`kpodtui.engine.observe`) until it can take over.
        """
        ctx = self.context
        cause: str | None = None
        error: BaseException | None = None
        judge = False
        # kept apart from the watch subscriptions: taking over from another process leaves
        # those, not this
        stop_retry_notices = ctx.session.on_retry(ctx.on_retry)
        try:
            steps.prepare(ctx)
            if not observe.become_owner(ctx):
                return ctx.result
            ctx.record_owner()
            judge = True
            steps.reattach_or_create(ctx)
            if ctx.detach and not ctx.reattached:
                judge = False
                ctx.history.update_run(ctx.run_id, detached=1, owner_pid=None)
                ctx.say(f"detached: run {ctx.run_id} goes on in pod {ctx.namespace}/{ctx.pod_name}")
                return None
            ctx.track()
            steps.await_start(ctx)
            ctx.fire("on_pod_starting", pod=ctx.pod)
            steps.follow_until_base_done(ctx)
            ctx.fire("on_pod_completion", pod=ctx.pod)
            ctx.fire("on_pod_teardown", pod=ctx.pod)
            if ctx.spec.do_xcom_push and not ctx.killed:
                steps.extract_xcom(ctx)
        except RunDetached:
            judge = False
            self._leave()
        except RunNeverStarted as exc:
            cause = str(exc)
            ctx.ending = "never_started"
        except RunAbort as exc:
            cause = str(exc)
        except BaseException as exc:  # cluster errors, bad input, Ctrl-C: judged, then re-raised
            error = ctx.failed_with = exc
            cause = str(exc) or type(exc).__name__
            if judge and unreachable(exc) and ctx.pod_name:
                # Not reaching the cluster never ends a run whose pod may be running: it stays
                # live, nobody following it, for a later attach, kill or the app to take up.
                judge = False
                self._let_go(f"the cluster cannot be reached: run {ctx.run_id} stays live (its pod "
                             f"{ctx.namespace}/{ctx.pod_name} may still run); attach to it again later")
            elif isinstance(exc, ClusterError):
                ctx.ending = "error"  # refused, or never reached: not a verdict about the pod
        finally:
            try:
                if judge:
                    ctx.result = steps.cleanup(ctx, cause)
                elif error is not None and not ctx.lock.held and ctx.result is None and ctx.observing_pid is None:
                    # failed before the run was ours (the spec, a damaged or locked history): no
                    # verdict to record, but whoever shows the run must not wait for one forever
                    ctx.publish(RunFinished(ctx.run_id, "error", None, str(error) or type(error).__name__,
                                            detail={"error": type(error).__name__}))
            finally:
                # Even if cleanup itself fails: whoever waits on `done` must not wait forever.
                stop_retry_notices()
                ctx.untrack()
                ctx.lock.release()  # after the verdict is recorded: followers read it, not take over
                self.done.set()
        if error is not None:
            raise error
        return ctx.result

    def _leave(self) -> None:
        """Detached on request: record that nobody follows the run any more."""
        self._let_go(f"stopped following run {self.context.run_id}; its pod goes on (attach to follow it again)")

    def _let_go(self, why: str) -> None:
        """Stop following without a verdict: the run stays live, recorded as followed by nobody."""
        ctx = self.context
        if ctx.pump is not None:
            ctx.pump.close()
        if ctx.lock.held:  # an observer leaving must not erase the owner's pid
            try:
                ctx.history.update_run(ctx.run_id, owner_pid=None)
            except Exception:  # noqa: BLE001 - the history is advisory here
                pass
        ctx.say(why, "warning" if ctx.failed_with is not None else "info")


# -- the run service ---------------------------------------------------------------------


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
               detach: bool | None = None, subscriber: Subscriber | None = None, start: bool = True,
               overrides: Sequence[str] = (), target: ClusterTarget | None = None) -> Run:
        """A new run of ``spec`` (``detach`` None: as the spec's ``deferrable`` says).

        ``subscriber`` hears every event from the first; ``start`` False leaves the
        starting to the caller (:meth:`Run.start` or :meth:`Run.execute`). ``overrides``:
        the ``--set`` items ``spec`` was loaded with, recorded with the run (a rerun keeps them).
        ``target``: where this run goes instead of the service's (the app's context switcher);
        recorded runs always go back to their own cluster.
        """
        target = target or self.target
        session = self.session(target.merged_with_spec(spec))
        run = Run(spec, session, self._run_history(), namespace=target.namespace, spec_path=spec_path,
                  spec_text=spec_text, detach=detach, overrides=tuple(overrides))
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

    def pod_of(self, record: RunRecord) -> tuple[KubeApi, Json | None]:
        """The API of a recorded run's cluster and its pod as the cluster has it now (None: gone)."""
        if not record.pod_name:
            raise BadInputError(f"run {record.id} has no pod{' yet' if record.live else ''}")
        session = self.session_for(record)
        try:
            return session.api, session.api.get_pod(record.namespace or "default", record.pod_name)
        except Exception as exc:
            raise explain(exc, session.client, record.namespace) from exc

    def delete_pod(self, record: RunRecord) -> str:
        """Delete the pod a finished run left behind (kept by ``keep_pod`` or a keep); what was done.

        A live run is killed, not deleted (``kill``): refused here.
        """
        if record.live:
            raise BadInputError(f"run {record.id} is still live: kill it instead (kpodtui kill {record.id})")
        if not record.pod_name or record.pod_deleted:
            raise BadInputError(f"run {record.id} left no pod behind (its pod was deleted when it ended)")
        session = self.session_for(record)
        ns = record.namespace or "default"
        try:
            deleted = session.api.delete_pod(ns, record.pod_name)
        except Exception as exc:
            raise explain(exc, session.client, record.namespace) from exc
        self.history.update_run(record.id, detail={**record.detail, "pod_deleted": True})
        return f"pod {ns}/{record.pod_name} {'deleted' if deleted else 'was already gone'}"

    def keep(self, run_id: str, keep: bool = True) -> None:
        """Switch a live run to ``keep_pod`` (the run followed here, or through the history);
        ``keep`` False: back to its spec's ``on_finish_action``."""
        with self._lock:
            run = self.runs.get(run_id)
        if run is not None:
            run.keep(keep)
        elif keep:
            self.history.update_run(run_id, on_finish_action="keep_pod")
        else:
            record = self.history.get_run(run_id)
            self.history.update_run(run_id, on_finish_action=recorded_spec(record).on_finish_action)

    def close(self) -> None:
        """Close every cluster session (their watches stop; runs still going end with them)."""
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for session in sessions:
            session.close()
