"""Every REST call kpodtui makes, as raw JSON through the official client's transport.

Requests are built with ``ApiClient.param_serialize`` and sent with
``ApiClient.call_api`` (auth, TLS, proxies exactly as the client does them);
bodies are read as raw JSON (``_preload_content=False`` semantics), never
decoded into models. Each call is wrapped in the retry policy of
:mod:`kpodtui.kube.retry`, except the create, which is made safe differently
(:meth:`KubeApi.create_pod`: a reply that was lost never makes a second pod).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from kpodtui.errors import BadInputError, ClusterError, KpodtuiError
from kpodtui.kube.config import KubeClient
from kpodtui.kube.retry import (
    DEFAULT_POLICY,
    RetryPolicy,
    call_with_retry,
    exception_status,
    is_connection_error,
    retry_delay,
    tls_failure,
)

log = logging.getLogger(__name__)

Json = dict[str, Any]
# (connect, read) seconds for plain requests; streams pass their own.
REQUEST_TIMEOUT = (10, 60)
#: retry budget (seconds) while no request has ever reached the server and it
#: refuses connections or its name does not resolve: most likely the wrong
#: cluster or one that is down, so say so soon, as kubectl does (once it has
#: answered, a refusal is an API server restarting and gets the full budget)
FIRST_CONTACT_BUDGET = 2.0


class KubeApi:
    """Thin, raw-JSON access to the pod, event and log endpoints of one cluster."""

    def __init__(self, client: KubeClient, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.client = client
        self.policy = policy
        self.stop = threading.Event()  # set to cut retry waits short on shutdown
        #: told about each retried failure: (what, exception, delay)
        self.on_retry: Callable[[str, BaseException, float], None] | None = None
        #: whether the server has ever answered (any HTTP status)
        self.reached = False

    def budget_for(self, exc: BaseException) -> float:
        """The retry budget for failure ``exc`` (see :data:`FIRST_CONTACT_BUDGET`)."""
        if not self.reached and never_sent(exc):
            return min(FIRST_CONTACT_BUDGET, self.policy.budget)
        return self.policy.budget

    # -- transport ---------------------------------------------------------------

    def open(
        self,
        method: str,
        path: str,
        query: list[tuple[str, Any]] | None = None,
        body: Any = None,
        content_type: str | None = None,
        timeout: Any = REQUEST_TIMEOUT,
    ) -> Any:
        """Send one request; return the urllib3 response unread (2xx) or raise ``ApiException``."""
        # start-up: kubernetes loads on first request
        from kubernetes.client.exceptions import ApiException

        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        api = self.client.api_client
        req = api.param_serialize(
            method=method,
            resource_path=path,
            query_params=query or [],
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        resp = api.call_api(*req, _request_timeout=timeout)
        self.reached = True
        if not 200 <= resp.status <= 299:
            resp.read()
            raise ApiException.from_response(http_resp=resp, body=None, data=None)
        return resp.response

    def json(self, method: str, path: str, what: str, **kw: Any) -> Json:
        """One request with retries; the body parsed as JSON."""

        def once() -> Json:
            resp = self.open(method, path, **kw)
            try:
                return json.loads(resp.data or b"{}")
            finally:
                resp.release_conn()

        return self.retrying(once, what)

    def retrying(self, fn: Callable[[], Any], what: str) -> Any:
        """``fn()`` under the retry policy, reporting retries to :attr:`on_retry`."""

        def report(exc: BaseException, delay: float) -> None:
            if self.on_retry is not None:
                self.on_retry(what, exc, delay)

        return call_with_retry(fn, self.policy, self.stop, report, self.budget_for)

    # -- pods --------------------------------------------------------------------

    @staticmethod
    def pods_path(ns: str, name: str | None = None, sub: str | None = None) -> str:
        path = f"/api/v1/namespaces/{quote(ns, safe='')}/pods"
        if name is not None:
            path += "/" + quote(name, safe="")
        if sub:
            path += "/" + sub
        return path

    def get_pod(self, ns: str, name: str) -> Json | None:
        """The pod, or None when it does not exist."""
        try:
            return self.json("GET", self.pods_path(ns, name), f"read pod {name}")
        except Exception as exc:
            if exception_status(exc) == 404:
                return None
            raise

    def list_pods(self, ns: str, label_selector: str | None = None) -> Json:
        """A pod list (``items`` and ``metadata.resourceVersion``)."""
        query = [("labelSelector", label_selector)] if label_selector else []
        return self.json("GET", self.pods_path(ns), "list pods", query=query)

    def create_pod(self, ns: str, manifest: Json, find_existing: Callable[[], Json | None]) -> Json:
        """Create a pod exactly once.

        A create whose reply is lost (connection cut, timeout, 5xx) may still
        have made the pod, so before retrying it ``find_existing`` (a lookup of
        the pod's unique name and run label) is asked first; a 409 means our own
        earlier attempt won and the pod is fetched instead. A create that never
        left (connection refused) is simply retried. Attempts and total time
        follow the retry policy.
        """
        name = manifest.get("metadata", {}).get("name", "?")
        started = time.monotonic()
        attempt = 0
        maybe_created = False
        while True:
            try:
                if maybe_created:
                    found = find_existing()
                    if found is not None:
                        log.info("create of %s: reply lost, pod found by lookup", name)
                        return found
                resp = self.open("POST", self.pods_path(ns), body=manifest)
                try:
                    return json.loads(resp.data)
                finally:
                    resp.release_conn()
            except Exception as exc:
                status = exception_status(exc)
                if status == 409:
                    # Ours from an earlier attempt (or an earlier process), if the lookup says so.
                    found = find_existing()
                    if found is not None:
                        return found
                    raise
                attempt += 1
                delay = retry_delay(exc, attempt, self.policy)
                if delay is None or time.monotonic() - started + delay > self.budget_for(exc):
                    raise
                maybe_created = maybe_created or not never_sent(exc)
                if self.on_retry is not None:
                    self.on_retry(f"create pod {name}", exc, delay)
                if self.stop.wait(delay):
                    raise

    def delete_pod(self, ns: str, name: str, grace_period: int | None = None) -> bool:
        """Delete a pod; False when it was already gone."""
        return self.request_delete(ns, name, grace_period) is not None

    def request_delete(self, ns: str, name: str, grace_period: int | None = None) -> int | None:
        """Delete a pod: the grace period the API server gave it (0: it is gone now; more: it is
        terminating, its containers being stopped), or None when there was no such pod."""
        body: Json = {"apiVersion": "v1", "kind": "DeleteOptions"}
        if grace_period is not None:
            body["gracePeriodSeconds"] = int(grace_period)
        try:
            answer = self.json("DELETE", self.pods_path(ns, name), f"delete pod {name}", body=body)
        except Exception as exc:
            if exception_status(exc) == 404:
                return None
            raise
        # the pod as deleted: a graceful deletion leaves it there with its grace period; a Status
        # (or a grace of 0) means it is gone
        if answer.get("kind") == "Pod":
            return int((answer.get("metadata") or {}).get("deletionGracePeriodSeconds") or 0)
        return 0

    def patch_labels(self, ns: str, name: str, labels: dict[str, str]) -> Json | None:
        """Merge ``labels`` into the pod's labels (None when the pod is gone)."""
        try:
            return self.json(
                "PATCH",
                self.pods_path(ns, name),
                f"label pod {name}",
                body={"metadata": {"labels": labels}},
                content_type="application/merge-patch+json",
            )
        except Exception as exc:
            if exception_status(exc) == 404:
                return None
            raise

    # -- events --------------------------------------------------------------------

    def list_events(self, ns: str, pod_name: str | None = None) -> Json:
        """Core/v1 events of the namespace, or of one pod."""
        query = []
        if pod_name:
            query.append(("fieldSelector", f"involvedObject.name={pod_name},involvedObject.kind=Pod"))
        path = f"/api/v1/namespaces/{quote(ns, safe='')}/events"
        return self.json("GET", path, "list events", query=query)


def never_sent(exc: BaseException) -> bool:
    """Whether a request failed before reaching the server (so it cannot have had an effect)."""
    reason = getattr(exc, "reason", None)  # urllib3's MaxRetryError wraps the cause
    for e in (exc, reason):
        if e is None:
            continue
        if isinstance(e, ConnectionRefusedError) or type(e).__name__ in ("NewConnectionError", "NameResolutionError"):
            return True
    return "Connection refused" in str(exc)


def unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it was raised from) is a failure to reach the API server at all
    (refused, timed out, no route): nothing was learnt of the cluster, nothing was refused."""
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            return False
        if exception_status(seen) in (None, 0) and (is_connection_error(seen) or never_sent(seen)):
            return tls_failure(seen) is None
        seen = seen.__cause__
    return False


def explain(exc: BaseException, client: KubeClient, ns: str | None = None) -> KpodtuiError:
    """Turn an API or transport failure into one line naming the problem and the fix.

    The one place where ``ApiException`` / urllib3 / ssl errors become what a user
    reads: every message is a single line (no ``HTTPSConnectionPool(...)`` repr),
    says what went wrong, and what to do about it.
    """
    status = exception_status(exc)
    where = f"{client.server}" + (f" (context {client.context})" if client.context else "")
    tls = tls_failure(exc)
    if tls is not None:
        kind, detail = tls
        if kind == "ca":
            return ClusterError(
                f"TLS: the certificate authority for {where} cannot be loaded ({detail}): "
                "fix certificate-authority / certificate-authority-data of this cluster in the kubeconfig"
            )
        return ClusterError(
            f"TLS: the server at {where} is not trusted ({detail}): check that the kubeconfig's "
            "certificate-authority(-data) is this cluster's CA and its server address is right"
        )
    if status in (401,):
        return ClusterError(f"the cluster at {where} refused the credentials (401): log in again or fix the kubeconfig user")
    if status == 403:
        msg = _one_line(_status_message(exc)) or "forbidden"
        if "forbidden" not in msg.lower():
            msg = f"forbidden: {msg}"
        can_i = "kubectl auth can-i --list" + (f" -n {ns}" if ns else "")
        return ClusterError(f"{msg} (403): check your RBAC permissions (`{can_i}`) or pick another namespace with -n")
    if status == 422:
        # The request itself is wrong (a field the API server or an admission policy refuses): bad input,
        # not a cluster that cannot be used. Its own words say which field.
        msg = _one_line(_status_message(exc)) or "invalid"
        return BadInputError(f"the API server at {where} refused it as invalid (422): {msg}")
    if status == 404 and ns and "namespaces" in _status_message(exc).lower():
        return ClusterError(f"namespace {ns!r} does not exist on {where}: create it or choose another with -n")
    if is_connection_error(exc):
        return ClusterError(
            f"cannot reach the cluster at {where}: {_short(exc)}; is it running? "
            "(check `kubectl cluster-info`, or try --sim)"
        )
    msg = _one_line(_status_message(exc)) or _short(exc)
    return ClusterError(f"the API server at {where} answered {status}: {msg}")


def describe_failure(exc: BaseException) -> str:
    """A few words on a failed request, for a "retrying" notice: no URL, no credentials."""
    status = exception_status(exc)
    if status:
        reason = _one_line(str(getattr(exc, "reason", "") or ""))
        return f"the API server answered {status}" + (f" ({reason})" if reason else "")
    if is_connection_error(exc):
        return f"cannot reach the API server ({_short(exc)})"
    return _short(exc)


def refusal_text(exc: BaseException) -> str:
    """The API server's own words for a refused request, on one line, with the status."""
    status = exception_status(exc)
    text = _one_line(_status_message(exc)) or _short(exc)
    return f"{text} ({status})" if status else text


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _status_message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if body:
        try:
            return str(json.loads(body).get("message", ""))
        except (ValueError, AttributeError):
            return str(body)[:200]
    return str(getattr(exc, "reason", "") or "")


def _short(exc: BaseException) -> str:
    text = str(exc)
    markers = ("Connection refused", "Name or service not known", "Temporary failure in name resolution",
               "timed out", "No route to host", "Connection reset by peer", "Network is unreachable")
    for marker in markers:
        if marker in text:
            return marker.lower()
    # urllib3's MaxRetryError says "HTTPSConnectionPool(...): Max retries exceeded ... (Caused by X)":
    # X alone is what matters.
    reason = getattr(exc, "reason", None)
    if isinstance(reason, BaseException):
        text = str(reason)
    return _one_line(text)[:160] or type(exc).__name__
