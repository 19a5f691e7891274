"""Retry policy for API calls: which failures are transient, and how long to wait.

Transient: HTTP 429 / 500 / 502 / 503 / 504, and connection-level failures
(refused, reset, timed out, a stream cut mid-body). The wait is exponential
with jitter, capped, and a ``Retry-After`` header wins when the server sends
one. Everything else (404, 403, 409, 422...) is final and raised at once.

The classification is pure (:func:`retry_delay`) so it is tested with plain
exceptions; :func:`call_with_retry` is the loop the API layer wraps calls in.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How many times and how long to retry transient failures."""

    attempts: int = 8
    base: float = 0.1
    cap: float = 5.0
    max_retry_after: float = 30.0
    #: total time budget across attempts (seconds); an API server restart is ~seconds
    budget: float = 60.0

    def backoff(self, attempt: int) -> float:
        """Wait before retry number ``attempt`` (1-based): exponential with full jitter."""
        return random.uniform(self.base, min(self.cap, self.base * (2 ** attempt)))


DEFAULT_POLICY = RetryPolicy()


def exception_status(exc: BaseException) -> int | None:
    """The HTTP status of an API exception, or None when it is not one."""
    status = getattr(exc, "status", None)
    return status if isinstance(status, int) else None


def is_connection_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a transport failure (no HTTP answer was read)."""
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    module = type(exc).__module__ or ""
    if module.startswith("urllib3"):
        return True  # MaxRetryError, ProtocolError, ReadTimeoutError, NewConnectionError...
    status = exception_status(exc)
    # The websocket layer and the REST layer turn socket failures into ApiException(status=0).
    return status == 0 and "Handshake status" not in str(getattr(exc, "reason", ""))


# An OpenSSL error as urllib3 / the kubernetes client render it:
#   "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)"
#   "[X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found (_ssl.c:4154)"
_SSL_ERROR = re.compile(r"\[(SSL|X509|PEM)(?:: ?([A-Z_]+))?\] (.+?)\.?\s*(?:\(_ssl\.c:\d+\)|$)", re.M)
# Codes that no retry can fix: the server's certificate is not trusted, or the CA
# given in the kubeconfig cannot even be loaded. (An EOF or reset mid-handshake, as
# an API server restarting gives, stays transient.)
_TLS_FINAL = ("CERTIFICATE_VERIFY_FAILED", "NO_CERTIFICATE_OR_CRL_FOUND", "PEM", "X509")


def tls_failure(exc: BaseException) -> tuple[str, str] | None:
    """``(kind, detail)`` when ``exc`` is a TLS failure that retrying cannot fix, else None.

    ``kind`` is ``"verify"`` (the server's certificate is not trusted, or is for
    another host) or ``"ca"`` (the kubeconfig's certificate authority cannot be
    loaded); ``detail`` is OpenSSL's own words. The client reports these as
    urllib3's ``MaxRetryError(SSLError(...))``, as ``ApiException(status=0,
    reason="SSLError\n...")``, or as a bare ``ssl.SSLError`` when the CA is loaded.
    """
    texts = [str(exc), str(getattr(exc, "reason", "") or "")]
    cause = exc.__cause__ or exc.__context__
    if cause is not None:
        texts.append(str(cause))
    for text in texts:
        for m in _SSL_ERROR.finditer(text):
            lib, code, detail = m.group(1), m.group(2) or "", m.group(3).strip()
            if code == "CERTIFICATE_VERIFY_FAILED":
                return "verify", detail
            if lib in ("X509", "PEM") or code in _TLS_FINAL:
                return "ca", detail
    return None


def refused(exc: BaseException) -> bool:
    """Whether the cluster answered ``exc`` for good: an HTTP error that is not transient
    (401, 403, 404...) or a TLS failure no retry can fix. Waiting will not help."""
    status = exception_status(exc)
    if status is not None and status >= 400:
        return status not in TRANSIENT_STATUSES
    return tls_failure(exc) is not None


def retry_after_seconds(exc: BaseException) -> float | None:
    """The ``Retry-After`` the server sent with ``exc`` (seconds), if any."""
    headers = getattr(exc, "headers", None)
    if not headers:
        return None
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def retry_delay(exc: BaseException, attempt: int, policy: RetryPolicy = DEFAULT_POLICY) -> float | None:
    """Seconds to wait before retrying after ``exc`` on ``attempt`` (1-based), or None: give up."""
    if attempt >= policy.attempts:
        return None
    status = exception_status(exc)
    if status in TRANSIENT_STATUSES:
        after = retry_after_seconds(exc)
        if after is not None:
            return min(after, policy.max_retry_after)
        return policy.backoff(attempt)
    if is_connection_error(exc) and tls_failure(exc) is None:
        return policy.backoff(attempt)
    return None


def call_with_retry(
    fn: Callable[[], T],
    policy: RetryPolicy = DEFAULT_POLICY,
    stop: threading.Event | None = None,
    on_retry: Callable[[BaseException, float], None] | None = None,
    budget: Callable[[BaseException], float] | None = None,
) -> T:
    """Call ``fn`` until it succeeds, retrying transient failures per ``policy``.

    ``stop`` cuts waits short (the last error is raised). ``on_retry`` is told
    about each retry (to surface "API server busy, retrying in 1 s").
    ``budget`` gives the time budget for a given failure (default: the policy's).
    """
    started = time.monotonic()
    attempt = 0
    while True:
        try:
            return fn()
        except Exception as exc:
            attempt += 1
            delay = retry_delay(exc, attempt, policy)
            limit = policy.budget if budget is None else budget(exc)
            if delay is None or time.monotonic() - started + delay > limit:
                raise
            if on_retry is not None:
                on_retry(exc, delay)
            if stop is not None:
                if stop.wait(delay):
                    raise
            else:
                time.sleep(delay)
