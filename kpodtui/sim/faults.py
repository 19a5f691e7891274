"""Faults on demand: what the sim does wrong when a test or demo asks it to.

One :class:`Faults` object is shared by the API server (request faults,
latency) and the kubelet's log handler (log stream cuts). Ending watches and
expiring resourceVersions act on the store (:meth:`Store.end_watches`,
:meth:`Store.expire_resource_versions`); :class:`SimCluster` offers them all. All of it is read and changed on the sim's event loop, so
no locking is needed; the few attributes that :class:`SimCluster` sets from
another thread are single assignments, which are atomic in CPython.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class RequestFault:
    """Answer the next ``remaining`` requests that match with ``status``.

    ``verb`` is an HTTP method (``GET``) or a Kubernetes verb (``list``,
    ``watch``, ``get``, ``create``, ``patch``, ``delete``...); ``path`` is a
    regular expression searched in the request path. ``None`` matches all.
    """

    status: int
    remaining: int = 1
    verb: str | None = None
    path: str | None = None
    retry_after: int | None = None
    #: status 0: the request is carried out, and its answer held back this many seconds
    #: (a create whose reply has not come back when the client dies)
    reply_delay: float = 0.0
    _path_re: re.Pattern[str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.path is not None:
            self._path_re = re.compile(self.path)

    def matches(self, method: str, kube_verb: str, path: str) -> bool:
        """Whether a request with this HTTP method, Kubernetes verb and path is targeted."""
        if self.remaining <= 0:
            return False
        if self.verb is not None and self.verb.upper() != method.upper() and self.verb.lower() != kube_verb:
            return False
        return self._path_re is None or self._path_re.search(path) is not None


@dataclass
class LogCut:
    """Cut log streams after ``after_lines`` lines, ``times`` times.

    ``pod`` / ``container`` restrict the cut to one pod or container. The
    stream is ended abruptly (no terminating chunk), as a dropped connection
    would be, so clients must resume.
    """

    after_lines: int
    times: int = 1
    pod: str | None = None
    container: str | None = None


@dataclass
class Forbid:
    """RBAC as the sim plays it: deny ``verbs`` on ``resources`` in ``namespace``.

    ``None`` matches everything (``namespace=None``: every namespace and the
    cluster-scoped paths). Resources are RBAC names: ``pods``, ``pods/log``,
    ``pods/exec``, ``events``... A denied request gets the real apiserver's 403,
    ``pods is forbidden: User "kpodtui-sim" cannot create resource "pods" in API
    group "" in the namespace "locked"``.
    """

    namespace: str | None = None
    verbs: frozenset[str] | None = None
    resources: frozenset[str] | None = None

    def denies(self, kube_verb: str, namespace: str | None, resource: str) -> bool:
        return (
            (self.namespace is None or self.namespace == namespace)
            and (self.verbs is None or kube_verb in self.verbs)
            and (self.resources is None or resource in self.resources)
        )


@dataclass
class Autoscaler:
    """A cluster autoscaler with one node group that scales up from ``size`` nodes.

    When a pod fails to schedule it answers as the real one does, with events from
    ``cluster-autoscaler`` on the pod, ``react_seconds`` later (its scan period): a pod
    that fits the group's ``node`` template gets ``TriggeredScaleUp`` ("pod triggered
    scale-up: [{group 0->1 (max: 3)}]") and a node of that template joins
    ``add_seconds`` after that; one that does not fit, or a group at ``max_size``,
    gets ``NotTriggerScaleUp`` ("pod didn't trigger scale-up: 1 Insufficient cpu").
    ``node`` is a :class:`kpodtui.sim.node.NodeConfig` (kept untyped here: faults
    import nothing of the sim).
    """

    node: object
    group: str = "pool-1"
    max_size: int = 3
    react_seconds: float = 0.5
    add_seconds: float = 1.0
    size: int = 0


class Faults:
    """The shared fault settings. See module docstring."""

    def __init__(self) -> None:
        self.request_faults: list[RequestFault] = []
        self.forbidden: list[Forbid] = []
        #: seconds added before every API request is handled
        self.latency: float = 0.0
        self.log_cut: LogCut | None = None
        #: a cluster autoscaler that adds nodes for pods that do not fit (None: none)
        self.autoscaler: Autoscaler | None = None
        #: bytes per second a log follow stream is served at (None: as fast as it goes), as a
        #: slow link or a busy kubelet would: a chatty container's log then outlasts the container
        self.log_rate: float | None = None

    # -- request faults ----------------------------------------------------------

    def fail_next(
        self,
        n: int,
        status: int,
        verb: str | None = None,
        path: str | None = None,
        retry_after: int | None = None,
    ) -> RequestFault:
        """Answer the next ``n`` matching requests with ``status`` (429, 500, 503...)."""
        if status == 429 and retry_after is None:
            retry_after = 1  # a real 429 always says when to come back
        fault = RequestFault(status=status, remaining=n, verb=verb, path=path, retry_after=retry_after)
        self.request_faults.append(fault)
        return fault

    def delay_replies(self, n: int, seconds: float, verb: str | None = None, path: str | None = None) -> RequestFault:
        """Carry out the next ``n`` matching requests, then hold their answers ``seconds``."""
        fault = RequestFault(status=0, remaining=n, verb=verb, path=path, reply_delay=seconds)
        self.request_faults.append(fault)
        return fault

    def take_request_fault(self, method: str, kube_verb: str, path: str) -> RequestFault | None:
        """The fault that applies to this request (consuming one of its uses), if any."""
        for fault in self.request_faults:
            if fault.matches(method, kube_verb, path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.request_faults.remove(fault)
                return fault
        return None

    def forbid(
        self, namespace: str | None, verbs: list[str] | None = None, resources: list[str] | None = None
    ) -> Forbid:
        """Deny ``verbs`` (Kubernetes verbs: create, get, list, watch...) on ``resources`` in ``namespace``."""
        rule = Forbid(
            namespace,
            None if verbs is None else frozenset(v.lower() for v in verbs),
            None if resources is None else frozenset(resources),
        )
        self.forbidden.append(rule)
        return rule

    def is_forbidden(self, kube_verb: str, namespace: str | None, resource: str) -> bool:
        """Whether an RBAC rule of :meth:`forbid` denies this request."""
        return any(rule.denies(kube_verb, namespace, resource) for rule in self.forbidden)

    def clear(self) -> None:
        """Remove every fault: request faults, RBAC denials, latency, log cuts and rates, the autoscaler."""
        self.request_faults.clear()
        self.forbidden.clear()
        self.latency = 0.0
        self.log_cut = None
        self.log_rate = None
        self.autoscaler = None

    # -- logs --------------------------------------------------------------------

    def cut_logs(
        self, after_lines: int, times: int = 1, pod: str | None = None, container: str | None = None
    ) -> LogCut:
        """Cut the next ``times`` log streams (of ``pod``/``container``) after ``after_lines`` lines."""
        self.log_cut = LogCut(after_lines=after_lines, times=times, pod=pod, container=container)
        return self.log_cut

    def take_log_cut(self, pod: str, container: str) -> int | None:
        """For a log stream starting now: after how many lines to cut it, or None.

        Called by the kubelet's log handler once per stream; consumes one use.
        """
        cut = self.log_cut
        if cut is None or cut.times <= 0:
            return None
        if cut.pod is not None and cut.pod != pod:
            return None
        if cut.container is not None and cut.container != container:
            return None
        cut.times -= 1
        if cut.times <= 0:
            self.log_cut = None
        return cut.after_lines
