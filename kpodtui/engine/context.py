"""``RunContext``: the state of one run, owned openly by the lifecycle steps.

``Run`` (in the engine's top module) is the public face (start, wait, kill, keep,
detach, execute). The steps (:mod:`~kpodtui.engine.steps`,
:mod:`~kpodtui.engine.observe`, :mod:`~kpodtui.engine.xcom`) receive this
object and nothing else: what the run knows (its spec, its pod as the watch
last saw it, its events, what was asked of it) and the plumbing every step
uses:

- :meth:`publish` / :meth:`say`: events to the subscribers (front ends);
- :meth:`wait_until`: wait on a condition over the run's state, woken by every
  pod change, kill or detach request (and once a second for requests made by
  other processes through the history);
- :meth:`track` / :meth:`untrack`: the run's share of the session's pod and
  event watches, whose callbacks (:meth:`on_pod`, :meth:`on_event`,
  :meth:`on_watch_mode`, :meth:`on_retry`) update the state and publish;
- :meth:`fire`: the spec's callbacks.

Nothing here decides how a run ends: that is :mod:`~kpodtui.engine.outcome`
and :mod:`~kpodtui.engine.cleanup` (pure).
"""

from __future__ import annotations

import bisect
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpodtui.engine.callbacks import Callbacks
from kpodtui.engine.events import (
    ClusterEvent,
    PodStatusChanged,
    RunEvent,
    RunFinished,
    StatusMessage,
)
from kpodtui.engine.logpump import LogPump
from kpodtui.engine.outcome import (
    AUTOSCALER_REASONS,
    container_states,
    fatal_event,
    find_state,
    no_node_group_fits,
    pending_reason,
    phase,
)
from kpodtui.engine.session import ClusterSession
from kpodtui.history import History, RunRecord
from kpodtui.history.tail import LogTail
from kpodtui.kube.api import describe_failure, explain, refusal_text, unreachable
from kpodtui.kube.retry import refused
from kpodtui.kube.watch import REFUSED_RETRY_SECONDS
from kpodtui.spec import TaskSpec

Json = dict[str, Any]
Subscriber = Callable[[RunEvent], None]

#: a run says the cluster is not answering at most this often (seconds)
RETRY_NOTICE_SECONDS = 5.0
#: events a run keeps (the failure report shows the last Warnings)
EVENTS_KEPT = 200

log = logging.getLogger(__name__)


class RunAbort(Exception):
    """The run cannot go on; ``str(exc)`` is the cause shown in the failure report."""


class RunNeverStarted(RunAbort):
    """A recorded run whose pod was never created (its process stopped during the create)."""


class RunDetached(Exception):
    """:meth:`Run.detach_now` was called: stop following, leave the run live."""


@dataclass(eq=False)
class RunContext:
    """One run's state and plumbing (see the module docstring)."""

    # -- what the run was asked to do
    spec: TaskSpec  # rendered by steps.prepare
    session: ClusterSession
    history: History
    run_id: str
    record: RunRecord | None = None  # the history's row of a run taken up again (attach, reattach)
    cli_namespace: str | None = None  # -n
    spec_path: str | None = None
    spec_text: str | None = None
    detach: bool = False
    try_number: int = 1
    overrides: tuple[str, ...] = ()  # the --set items of the spec, recorded so a rerun keeps them
    # -- what the run learns
    namespace: str = field(default="", init=False)
    pod_name: str = field(default="", init=False)
    manifest: Json = field(default_factory=dict, init=False)
    pod: Json | None = field(default=None, init=False)  # latest state from the watch (None: gone)
    last_pod: Json | None = field(default=None, init=False)  # the last state seen before it went
    pod_seen: bool = field(default=False, init=False)
    reattached: bool = field(default=False, init=False)
    events: list[ClusterEvent] = field(default_factory=list, init=False)
    fatal_event: str | None = field(default=None, init=False)  # an event that means the pod can never start
    #: the cluster autoscaler said no node group can fit the pod (fatal while it is not scheduled)
    no_node_group: str | None = field(default=None, init=False)
    xcom_value: Any = field(default=None, init=False)
    # -- what was asked of it from outside (this process or another)
    killed: bool = field(default=False, init=False)
    hurried: bool = field(default=False, init=False)  # see Run.hurry
    detach_requested: bool = field(default=False, init=False)
    deleted_by_kill: bool = field(default=False, init=False)  # kill() here deleted the pod (cleanup must not again)
    pod_deleted: bool = field(default=False, init=False)  # the pod is gone after a delete by this run
    #: a delete by this run left the pod terminating with this grace period (seconds)
    pod_terminating: int | None = field(default=None, init=False)
    deleting: bool = field(default=False, init=False)  # this run asked for its pod's deletion
    kill_pending: bool = field(default=False, init=False)  # Run.kill (another thread) is deleting the pod
    #: while this process only observes a run another one owns: the owner's pid (0: unknown)
    observing_pid: int | None = field(default=None, init=False)
    #: someone else deleted the pod (kubectl delete...): when kpodtui saw it, in words
    deleted_outside: str | None = field(default=None, init=False)
    outside_before_end: bool = field(default=False, init=False)  # ... before the base container ended
    # -- how it ended
    #: an ending that is no verdict on the pod: "error" (the cluster refused, or was never
    #: reached) or "never_started" (no pod was ever created); None: judged from the pod
    ending: str | None = field(default=None, init=False)
    result: RunFinished | None = field(default=None, init=False)
    #: the exception that ended the run (a cluster error...), re-raised by Run.execute
    failed_with: BaseException | None = field(default=None, init=False)
    # -- plumbing
    cond: threading.Condition = field(default_factory=threading.Condition, init=False, repr=False)
    pump: LogPump | None = field(default=None, init=False, repr=False)
    callbacks: Callbacks | None = field(default=None, init=False, repr=False)
    #: a LogTail positioned where the caller's own read of the log files ended (see observe)
    caught_up: LogTail | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.api = self.session.api
        self.base = self.spec.base_container_name
        self.on_finish_action: str = self.spec.on_finish_action  # keep() switches it to keep_pod
        self.lock = self.history.run_lock(self.run_id)
        self._subscribers: list[Subscriber] = []
        self._unsubs: list[Callable[[], None]] = []
        self._retry_said = -RETRY_NOTICE_SECONDS
        self._event_seen: dict[str, int] = {}
        self._status_sig: Any = None
        self._pending: str | None = None

    # -- events ---------------------------------------------------------------------------

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        """Receive every event of this run (called from engine threads; must not block)."""
        self._subscribers.append(fn)
        return lambda: self._subscribers.remove(fn) if fn in self._subscribers else None

    def publish(self, event: RunEvent) -> None:
        for fn in list(self._subscribers):
            try:
                fn(event)
            except Exception:  # a front end's bug must not break the run
                log.exception("subscriber failed")

    def say(self, text: str, level: str = "info") -> None:
        """Publish a :class:`StatusMessage`."""
        self.publish(StatusMessage(self.run_id, text, level))  # type: ignore[arg-type]

    def fire(self, method: str, **kw: Any) -> None:
        """Call the spec's callbacks' ``method`` (a callback's failure is said, never fatal)."""
        if self.callbacks is not None:
            self.callbacks.fire(method, **kw)

    # -- waiting ----------------------------------------------------------------------------

    def wait_until(self, predicate: Callable[[], bool], timeout: float | None) -> bool:
        """Wait (on pod changes, kill requests) until ``predicate()`` or ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.cond:
            while not predicate():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                # Wake at least every second: kill requests from other processes
                # arrive through the history, not through the condition.
                self.cond.wait(1.0 if left is None else min(left, 1.0))
                self.check_detach()
                self.poll_history()
            return True

    def wait_quietly(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """:meth:`wait_until` without detach or history checks (for the cleanup step)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True

    def check_detach(self) -> None:
        """Raise :class:`RunDetached` if a detach was asked for."""
        if self.detach_requested:
            raise RunDetached()

    def poll_history(self) -> None:
        """Pick up ``kpodtui kill`` / ``keep`` from other processes (at most once a second)."""
        try:
            rec = self.history.get_run(self.run_id)
        except Exception:  # noqa: BLE001 - history is advisory here
            return
        if rec.on_finish_action and rec.on_finish_action != self.on_finish_action:
            self.on_finish_action = rec.on_finish_action
        if rec.kill_requested and not self.killed:
            self.killed = True

    # -- requests ---------------------------------------------------------------------------

    def notify(self) -> None:
        """Wake the waiting step (its condition may hold now)."""
        with self.cond:
            self.cond.notify_all()

    def request_kill(self) -> bool:
        """Mark the run killed and wake the waiting step; False if it already was."""
        with self.cond:
            if self.killed:
                return False
            self.killed = self.kill_pending = True
            if self.pump is not None:
                self.pump.expect_gone = True
            self.cond.notify_all()
            return True

    def kill_settled(self) -> None:
        """:meth:`Run.kill` has done what it does with the pod (the cleanup waits for that)."""
        with self.cond:
            self.kill_pending = False
            self.cond.notify_all()

    def request_hurry(self) -> None:
        """Stop waiting for the pod's grace period and its last log lines (see ``Run.hurry``)."""
        with self.cond:
            self.hurried = True
            self.cond.notify_all()
        if self.pump is not None:
            self.pump.stop()

    def request_detach(self) -> None:
        """Stop following at the next wake-up (:class:`RunDetached`)."""
        with self.cond:
            self.detach_requested = True
            self.cond.notify_all()

    def delete_for_kill(self) -> bool:
        """Delete the pod for a kill, with ``termination_grace_period``; whether a pod was deleted."""
        given = self.delete_pod(self.spec.termination_grace_period, f"could not delete pod {self.pod_name}", "error")
        return given is not None

    def delete_pod(self, grace: int | None = None, failure: str = "", level: str = "warning") -> int | None:
        """Ask for this run's pod to be deleted: the grace period it was given (0: gone; see
        :meth:`KubeApi.request_delete`), None if it was not there or the delete failed (said as
        ``failure``)."""
        self.deleting = True
        try:
            given = self.api.request_delete(self.namespace, self.pod_name, grace)
        except Exception as exc:  # noqa: BLE001 - said; the run still ends
            self.say(f"{failure or f'could not delete pod {self.pod_name}'}: {refusal_text(exc)}", level)
            return None
        if given == 0:
            self.pod_deleted = True
        elif given is not None:
            self.pod_terminating = given
        return given

    # -- the history ------------------------------------------------------------------------

    def record_start(self) -> None:
        """Insert this run into the history (a recorded one is already there)."""
        if self.record is not None:
            return
        self.history.add_run(
            RunRecord(
                id=self.run_id,
                task_id=self.spec.task_id,
                spec_path=self.spec_path,
                spec_text=self.spec_text,
                namespace=self.namespace,
                context=self.session.context,
                kubeconfig=self.session.client.kubeconfig,
                owner_pid=os.getpid(),
                detached=self.detach,
                created_at=time.time(),
                overrides=tuple(self.overrides),
            )
        )

    def record_owner(self) -> None:
        """Note in the history that this process follows the run (it holds the lock), and take
        room for its verdict while there is space (see ``History.reserve_verdict``)."""
        self.history.update_run(self.run_id, owner_pid=os.getpid())
        try:
            self.history.reserve_verdict(self.run_id)
        except OSError:
            pass  # no room: a verdict the database cannot take is then said lost

    def spec_dir(self) -> Path | None:
        """The folder of the spec file (callbacks are imported from there first)."""
        path = self.spec_path or (str(self.spec.source_path) if self.spec.source_path else None)
        return Path(path).resolve().parent if path else None

    # -- the watches ------------------------------------------------------------------------

    def track(self, wait: bool = True) -> None:
        """Subscribe to the shared pod and event watches (``wait``: until the pods are listed)."""
        pods = self.session.pods(self.namespace)
        events = self.session.events(self.namespace)
        for w in (pods, events):
            w.poll_at_most(self.spec.poll_interval)
        self._unsubs.append(pods.subscribe(self.pod_name, self.on_pod))
        self._unsubs.append(events.subscribe(self.pod_name, self.on_event))
        self._unsubs.append(pods.on_mode(lambda mode, detail: self.on_watch_mode("pods", mode, detail)))
        self._unsubs.append(events.on_mode(lambda mode, detail: self.on_watch_mode("events", mode, detail)))
        if wait and not pods.wait_synced(30):
            if pods.error is not None and (refused(pods.error) or unreachable(pods.error)):
                # Refused for good (RBAC, credentials, TLS), or not reached at all: a cluster
                # error, said the usual way.
                raise explain(pods.error, self.session.client, self.namespace) from pods.error
            raise RunAbort("could not list pods to watch the run (is the API server answering?)")

    def untrack(self) -> None:
        """Leave the watches; stop and close the log followers."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        if self.pump is not None:
            self.pump.close()

    def on_retry(self, what: str, exc: BaseException, delay: float) -> None:
        """Say that the cluster is not answering (at most every few seconds): never a silent wait."""
        now = time.monotonic()
        if now - self._retry_said < RETRY_NOTICE_SECONDS:
            return
        self._retry_said = now
        self.say(f"{what}: {describe_failure(exc)}; retrying in {delay:.1f} s", "warning")

    def on_watch_mode(self, resource: str, mode: str, detail: str) -> None:
        """Say how the run learns what happens when the cluster does not allow watching."""
        if mode == "poll":
            self.say(detail, "warning")
        elif mode == "refused" and resource == "events":
            self.say(f"cluster events cannot be read here: {detail}; the run goes on without them", "warning")
        elif mode == "refused":
            # listing pods refused mid-run (a RoleBinding removed, a revoked token): no verdict can
            # come until access is back; say so rather than wait in silence
            self.say(f"pods can no longer be read: {detail}; the run waits for access "
                     f"(asked again every {REFUSED_RETRY_SECONDS:g} s)",
                     "warning")
        elif mode == "watch":
            self.say(f"{resource} can be watched again")

    def on_pod(self, kind: str, obj: Json) -> None:
        """The pod changed (or is gone): keep the newest state, wake the steps, publish."""
        uid = (self.pod or self.manifest).get("metadata", {}).get("uid")
        if uid and obj.get("metadata", {}).get("uid") not in (None, uid):
            return  # another pod with the same name
        gone = kind == "DELETED"
        if (gone or (obj.get("metadata") or {}).get("deletionTimestamp")) and not self.deleted_outside:
            self._deletion_seen(obj, gone)
        with self.cond:
            if not gone and _older(obj, self.pod):
                return  # a cache replay raced a newer update: keep the newer state
            if gone:
                self.last_pod = self.pod or obj
                if self.deleting:
                    self.pod_deleted, self.pod_terminating = True, None
            else:
                self.pod_seen = True
            self.pod = None if gone else obj
            self.cond.notify_all()
        if self.pump is not None:
            self.pump.poke(self.pod)
        self._publish_status(obj, deleted=kind == "DELETED")

    def _deletion_seen(self, obj: Json, gone: bool) -> None:
        """The pod is being deleted, or gone: by this run, a kill (here or `kpodtui kill`), or
        someone else (kubectl delete, a controller): the last is said, and judged so."""
        if self.deleting or self.killed or not self.lock.held:  # (an observer: the owner's business)
            return
        self.poll_history()  # `kpodtui kill` records kill_requested before it deletes
        if self.killed:
            return
        meta = obj.get("metadata") or {}
        when = meta.get("deletionTimestamp")
        grace = meta.get("deletionGracePeriodSeconds")
        state = find_state(self.pod or obj, self.base)
        self.outside_before_end = state is None or state.state != "terminated"
        self.deleted_outside = "the pod was deleted" if gone or not when else (
            f"deletion of the pod was requested (terminating, grace {grace} s)" if grace else "the pod was deleted")
        self.say(f"pod {self.pod_name} was deleted outside kpodtui (kubectl delete, a controller...): "
                 f"{self.deleted_outside}", "warning")

    def _publish_status(self, obj: Json, deleted: bool) -> None:
        status = obj.get("status") or {}
        states = container_states(obj)
        reason = None if deleted else (pending_reason(obj) if phase(obj) == "Pending" else None)
        sig = (phase(obj), status.get("reason"), states, deleted)
        if sig != self._status_sig:
            if not deleted and (self._status_sig is None or self._status_sig[0] != sig[0]) and self.lock.held:
                # the history says the phase too (the runs list and `kpodtui runs` of other processes)
                try:
                    self.history.update_run(self.run_id, phase=sig[0])
                except Exception:  # noqa: BLE001 - advisory: the verdict is recorded at the end
                    pass
            self._status_sig = sig
            self.publish(
                PodStatusChanged(self.run_id, phase(obj), status.get("reason"), status.get("message"), states)
            )
        # (the scheduler's message changes without the phase or a container state changing)
        if reason and reason != self._pending:
            self.say(f"Pending: {reason}")
        self._pending = reason

    def on_event(self, kind: str, obj: Json) -> None:
        """A cluster event about the pod: kept in time order, published once per new count."""
        if kind == "DELETED":
            return
        meta = obj.get("metadata", {})
        uid = meta.get("uid") or meta.get("name", "")
        count = int(obj.get("count") or 1)
        if self._event_seen.get(uid, 0) >= count:
            return
        self._event_seen[uid] = count
        ev = ClusterEvent(
            self.run_id,
            obj.get("type") or "Normal",
            obj.get("reason") or "",
            obj.get("message") or "",
            (obj.get("involvedObject") or {}).get("fieldPath"),
            count,
            obj.get("lastTimestamp") or obj.get("eventTime") or obj.get("firstTimestamp"),
            uid,
            _numeric(meta.get("resourceVersion")),
        )
        # lists come back in name order, not time order: keep them in the order they happened
        self.events = sorted((e for e in self.events if e.uid != uid), key=lambda e: e.order)
        bisect.insort(self.events, ev, key=lambda e: e.order)
        del self.events[:-EVENTS_KEPT]
        self.publish(ev)
        fatal = fatal_event(ev.type, ev.reason, ev.message)
        if fatal and self.fatal_event is None:
            with self.cond:
                self.fatal_event = fatal
                self.cond.notify_all()
        unfit = no_node_group_fits(ev.reason, ev.message)
        if ev.reason in AUTOSCALER_REASONS:
            with self.cond:
                self.no_node_group = unfit  # the autoscaler's latest word counts
                self.cond.notify_all()


def _numeric(value: Any) -> int:
    """A resourceVersion as a number when it is one (etcd revisions are), else 0."""
    return int(value) if isinstance(value, str) and value.isdigit() else 0


def _older(obj: Json, than: Json | None) -> bool:
    """Whether ``obj`` is an older version of the same pod than ``than`` (numeric resourceVersions)."""
    if not than:
        return False
    a, b = obj.get("metadata") or {}, than.get("metadata") or {}
    rv_a, rv_b = str(a.get("resourceVersion", "")), str(b.get("resourceVersion", ""))
    return a.get("uid") == b.get("uid") and rv_a.isdigit() and rv_b.isdigit() and int(rv_a) < int(rv_b)
