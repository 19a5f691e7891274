"""``Run``: one task's pod carried through the lifecycle of LIFECYCLE.md 2-7.

    reattach / create  ->  await_start  ->  follow_logs + wait for the base
    container  ->  extract_xcom  ->  cleanup (verdict, report, on_finish_action)

Everything the run learns about its pod comes from the session's shared pod
and event watches (pushed within milliseconds, no polling); the steps wait on
one condition variable that every pod change notifies. Events go to
subscribers (:meth:`Run.subscribe`) from engine threads.
"""

from __future__ import annotations

import bisect
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kpodtui.engine import observe, steps
from kpodtui.engine.callbacks import Callbacks
from kpodtui.engine.events import (
    ClusterEvent,
    PodStatusChanged,
    RunEvent,
    RunFinished,
    StatusMessage,
)
from kpodtui.engine.logpump import LogPump
from kpodtui.engine.outcome import container_states, fatal_event, pending_reason, phase
from kpodtui.engine.session import ClusterSession
from kpodtui.history import History, RunRecord, new_run_id
from kpodtui.history.tail import LogTail
from kpodtui.kube.api import describe_failure, explain, refusal_text
from kpodtui.kube.retry import refused
from kpodtui.kube.watch import REFUSED_RETRY_SECONDS

Json = dict[str, Any]
Subscriber = Callable[[RunEvent], None]


#: a run says the cluster is not answering at most this often (seconds)
RETRY_NOTICE_SECONDS = 5.0

class RunAbort(Exception):
    """The run cannot go on; ``str(exc)`` is the cause shown in the failure report."""


class RunDetached(Exception):
    """:meth:`Run.detach_now` was called: stop following, leave the run live."""


class Run:
    """One run of one task spec (or of a recorded run, for attach)."""

    def __init__(
        self,
        spec: Any,
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
    ) -> None:
        self.spec = spec
        self.session = session
        self.api = session.api
        self.history = history
        self.record = record
        self.run_id = record.id if record else (run_id or new_run_id())
        self.cli_namespace = namespace
        self.spec_path = spec_path
        self.spec_text = spec_text
        self.detach = bool(spec.deferrable) if detach is None else detach
        self.try_number = try_number
        self.base = spec.base_container_name
        self.on_finish_action: str = spec.on_finish_action
        self.namespace = ""
        self.pod_name = ""
        self.manifest: Json = {}
        self.pod: Json | None = None  # latest state from the watch (None: gone)
        self.pod_seen = False
        self.reattached = False
        self.killed = False
        self.events: list[ClusterEvent] = []
        self.fatal_event: str | None = None  # an event that means the pod can never start
        self.result: RunFinished | None = None
        #: the exception that ended the run (a cluster error...), re-raised by execute()
        self.failed_with: BaseException | None = None
        self.xcom_value: Any = None
        self.cond = threading.Condition()
        self.pump: LogPump | None = None
        self.callbacks: Callbacks | None = None
        self._subscribers: list[Subscriber] = []
        self._unsubs: list[Callable[[], None]] = []
        self._retry_said = -RETRY_NOTICE_SECONDS
        self._event_seen: dict[str, int] = {}
        self._status_sig: Any = None
        self._pending: str | None = None
        self._thread: threading.Thread | None = None
        #: a LogTail positioned where the caller's own read of the log files ended (see observe)
        self.caught_up: LogTail | None = None
        self._we_delete = False
        self.pod_deleted = False  # a delete of this run's pod succeeded (kill or cleanup)
        self._detach_requested = False
        self.hurried = False  # see hurry()
        self.lock = history.run_lock(self.run_id)
        self.done = threading.Event()

    # -- subscribers -----------------------------------------------------------------

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        """Receive every event of this run (called from engine threads; must not block)."""
        self._subscribers.append(fn)
        return lambda: self._subscribers.remove(fn) if fn in self._subscribers else None

    def publish(self, event: RunEvent) -> None:
        for fn in list(self._subscribers):
            try:
                fn(event)
            except Exception:  # a front end's bug must not break the run
                import logging

                logging.getLogger(__name__).exception("subscriber failed")

    def say(self, text: str, level: str = "info") -> None:
        """Publish a :class:`StatusMessage`."""
        self.publish(StatusMessage(self.run_id, text, level))  # type: ignore[arg-type]

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
            if self.failed_with is None:
                self.failed_with = exc

    def wait(self, timeout: float | None = None) -> RunFinished | None:
        """Wait for the verdict (None if the run detached or ``timeout`` passed)."""
        self.done.wait(timeout)
        return self.result

    def kill(self) -> None:
        """``on_kill``: delete the pod with ``termination_grace_period``; the run ends as killed."""
        with self.cond:
            if self.killed:
                return
            self.killed = True
            self.cond.notify_all()
        try:
            self.history.update_run(self.run_id, kill_requested=1)
        except Exception:  # noqa: BLE001 - the pod still gets deleted
            pass
        if self.pod_name and self.spec.on_kill_action != "keep_pod":
            self._we_delete = True
            if self.delete_for_kill():
                self.say(f"killed: pod {self.pod_name} deleted", "warning")
            else:
                # not created yet (the create is under way) or already gone: the run's own
                # thread deletes what the create brings (see reattach_or_create)
                self.say(f"killed: pod {self.pod_name} not there (yet); it is deleted if it appears", "warning")
        elif self.pod_name:
            self.say(f"killed: pod {self.pod_name} kept (on_kill_action: keep_pod)", "warning")

    def delete_for_kill(self) -> bool:
        """Delete the pod for a kill, with ``termination_grace_period``; whether a pod was deleted."""
        try:
            deleted = self.api.delete_pod(self.namespace, self.pod_name, self.spec.termination_grace_period)
        except Exception as exc:  # noqa: BLE001 - said; the run still ends as killed
            self.say(f"could not delete pod {self.pod_name}: {refusal_text(exc)}", "error")
            return False
        self.pod_deleted |= deleted
        return deleted

    def hurry(self) -> None:
        """After :meth:`kill`: stop waiting for the pod's grace period and last log lines.

        The pod is already being deleted; the run is judged ``killed`` at once
        (a second Ctrl-C). The lines its containers print while stopping are lost.
        """
        with self.cond:
            self.hurried = True
            self.cond.notify_all()
        if self.pump is not None:
            self.pump.stop()

    def keep(self) -> None:
        """Switch this run to ``keep_pod`` while it runs: its pod survives the end."""
        self.on_finish_action = "keep_pod"
        self.history.update_run(self.run_id, on_finish_action="keep_pod")
        self.say("the pod will be kept when the run ends (keep_pod)")

    # -- the lifecycle -------------------------------------------------------------------

    def detach_now(self) -> None:
        """Stop following without a verdict: the pod goes on, the run stays live in the history.

        A later ``attach`` (or the app) takes the run up again from the log files' ends.
        """
        with self.cond:
            self._detach_requested = True
            self.cond.notify_all()

    def check_detach(self) -> None:
        """Raise :class:`RunDetached` if :meth:`detach_now` was called."""
        if self._detach_requested:
            raise RunDetached()

    # -- the lifecycle -------------------------------------------------------------------

    def execute(self) -> RunFinished | None:
        """Carry the pod through its lifecycle; the verdict (None when detached).

        Only the process holding the run's lock (:mod:`kpodtui.history.runlock`)
        writes its logs and judges it; another process following the same run
        observes (:mod:`kpodtui.engine.observe`) until it can take over.
        """
        cause: str | None = None
        error: BaseException | None = None
        judge = False
        # kept apart from _unsubs: taking over from another process untracks those, not this
        stop_retry_notices = self.session.on_retry(self._on_retry)
        try:
            steps.prepare(self)
            if not observe.become_owner(self):
                return self.result
            self.record_owner()
            judge = True
            steps.reattach_or_create(self)
            if self.detach and not self.reattached:
                judge = False
                self.history.update_run(self.run_id, detached=1, owner_pid=None)
                self.say(f"detached: run {self.run_id} goes on in pod {self.namespace}/{self.pod_name}")
                return None
            self._track()
            steps.await_start(self)
            self._fire("on_pod_starting", pod=self.pod)
            steps.follow_until_base_done(self)
            self._fire("on_pod_completion", pod=self.pod)
            self._fire("on_pod_teardown", pod=self.pod)
            if self.spec.do_xcom_push and not self.killed:
                steps.extract_xcom(self)
        except RunDetached:
            judge = False
            self._leave()
        except RunAbort as exc:
            cause = str(exc)
        except BaseException as exc:  # cluster errors, bad input, Ctrl-C: judged, then re-raised
            error = self.failed_with = exc
            cause = str(exc) or type(exc).__name__
        finally:
            try:
                if judge:
                    self.result = steps.cleanup(self, cause)
            finally:
                # Even if cleanup itself fails: whoever waits on `done` must not wait forever.
                stop_retry_notices()
                self._untrack()
                self.lock.release()  # after the verdict is recorded: followers read it, not take over
                self.done.set()
        if error is not None:
            raise error
        return self.result

    def _leave(self) -> None:
        """Detached on request: record that nobody follows the run any more."""
        if self.pump is not None:
            self.pump.close()
        if self.lock.held:  # an observer leaving must not erase the owner's pid
            try:
                self.history.update_run(self.run_id, owner_pid=None)
            except Exception:  # noqa: BLE001 - the history is advisory here
                pass
        self.say(f"stopped following run {self.run_id}; its pod goes on (attach to follow it again)")

    # -- plumbing used by the steps ------------------------------------------------------

    def _fire(self, method: str, **kw: Any) -> None:
        if self.callbacks is not None:
            self.callbacks.fire(method, **kw)

    def _track(self, wait: bool = True) -> None:
        """Subscribe to the shared pod and event watches (``wait``: until the pods are listed)."""
        pods = self.session.pods(self.namespace)
        events = self.session.events(self.namespace)
        for w in (pods, events):
            w.poll_at_most(self.spec.poll_interval)
        self._unsubs.append(pods.subscribe(self.pod_name, self._on_pod))
        self._unsubs.append(events.subscribe(self.pod_name, self._on_event))
        self._unsubs.append(pods.on_mode(lambda mode, detail: self._on_watch_mode("pods", mode, detail)))
        self._unsubs.append(events.on_mode(lambda mode, detail: self._on_watch_mode("events", mode, detail)))
        if wait and not pods.wait_synced(30):
            if pods.error is not None and refused(pods.error):
                # Refused for good (RBAC, credentials, TLS): a cluster error, said the usual way.
                raise explain(pods.error, self.session.client, self.namespace)
            raise RunAbort("could not list pods to watch the run (is the API server answering?)")

    def _on_retry(self, what: str, exc: BaseException, delay: float) -> None:
        """Say that the cluster is not answering (at most every few seconds): never a silent wait."""
        now = time.monotonic()
        if now - self._retry_said < RETRY_NOTICE_SECONDS:
            return
        self._retry_said = now
        self.say(f"{what}: {describe_failure(exc)}; retrying in {delay:.1f} s", "warning")

    def _on_watch_mode(self, resource: str, mode: str, detail: str) -> None:
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

    def _untrack(self) -> None:
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        if self.pump is not None:
            self.pump.close()

    def _on_pod(self, kind: str, obj: Json) -> None:
        uid = (self.pod or self.manifest).get("metadata", {}).get("uid")
        if uid and obj.get("metadata", {}).get("uid") not in (None, uid):
            return  # another pod with the same name
        with self.cond:
            if kind != "DELETED" and _older(obj, self.pod):
                return  # a cache replay raced a newer update: keep the newer state
            self.pod = None if kind == "DELETED" else obj
            if kind != "DELETED":
                self.pod_seen = True
            self.cond.notify_all()
        if self.pump is not None:
            self.pump.poke(self.pod)
        self._publish_status(obj, deleted=kind == "DELETED")

    def _publish_status(self, obj: Json, deleted: bool) -> None:
        status = obj.get("status") or {}
        states = container_states(obj)
        sig = (phase(obj), status.get("reason"), states, deleted)
        if sig == self._status_sig:
            return
        self._status_sig = sig
        self.publish(
            PodStatusChanged(self.run_id, phase(obj), status.get("reason"), status.get("message"), states)
        )
        reason = None if deleted else (pending_reason(obj) if phase(obj) == "Pending" else None)
        if reason and reason != self._pending:
            self.say(f"Pending: {reason}")
        self._pending = reason

    def _on_event(self, kind: str, obj: Json) -> None:
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
        del self.events[:-200]
        self.publish(ev)
        fatal = fatal_event(ev.type, ev.reason, ev.message)
        if fatal and self.fatal_event is None:
            with self.cond:
                self.fatal_event = fatal
                self.cond.notify_all()

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
                self._poll_history()
            return True

    def _poll_history(self) -> None:
        """Pick up ``kpodtui kill`` / ``keep`` from other processes (at most once a second)."""
        try:
            rec = self.history.get_run(self.run_id)
        except Exception:  # noqa: BLE001 - history is advisory here
            return
        if rec.on_finish_action and rec.on_finish_action != self.on_finish_action:
            self.on_finish_action = rec.on_finish_action
        if rec.kill_requested and not self.killed:
            self.killed = True

    def record_owner(self) -> None:
        """Note in the history that this process follows the run (it holds the lock)."""
        self.history.update_run(self.run_id, owner_pid=os.getpid())

    def spec_dir(self) -> Path | None:
        path = self.spec_path or (str(self.spec.source_path) if getattr(self.spec, "source_path", None) else None)
        return Path(path).resolve().parent if path else None

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
            )
        )


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
