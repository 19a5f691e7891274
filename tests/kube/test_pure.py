"""Pure parts of the kube layer: retry classification, log splitting and resume."""

from __future__ import annotations

import urllib3
from kubernetes.client.exceptions import ApiException

from kpodtui.kube.logs import ChunkSplitter, ResumeFilter, normalize_ts, since_time
from kpodtui.kube.retry import RetryPolicy, call_with_retry, refused, retry_delay, tls_failure
from kpodtui.loglines import LogCursor, LogLine


def _api(status: int, retry_after: str | None = None) -> ApiException:
    exc = ApiException(status=status, reason="x")
    exc.headers = {"Retry-After": retry_after} if retry_after else {}
    return exc


def test_retry_classification():
    assert retry_delay(_api(429, "3"), 1) == 3.0
    assert 0 < retry_delay(_api(503), 1) <= 5
    assert retry_delay(_api(404), 1) is None
    assert retry_delay(_api(409), 1) is None
    assert retry_delay(urllib3.exceptions.ProtocolError("cut"), 1) is not None
    assert retry_delay(ConnectionRefusedError(), 1) is not None
    assert retry_delay(_api(503), 99) is None


def test_call_with_retry_rides_out_transients():
    calls = []

    def fn():
        calls.append(1)
        if len(calls) < 4:
            raise _api(503, "0")
        return "ok"

    assert call_with_retry(fn, RetryPolicy(base=0.001, cap=0.002)) == "ok"
    assert len(calls) == 4


TS = "2026-01-01T00:00:01.000000001Z"
TS2 = "2026-01-01T00:00:01.000000002Z"


def test_splitter_carries_partial_lines_and_skips_delivered():
    s = ChunkSplitter("base")
    flt = ResumeFilter(LogCursor())
    first = s.feed(f"{TS} a\n{TS} b".encode(), flt)
    assert first is not None and first.lines() == [LogLine("base", TS, "a")]
    assert s.feed(b"b", flt) is None  # still no newline: nothing complete yet
    second = s.feed(b"b\n", flt)
    assert second is not None and second.lines() == [LogLine("base", TS, "bbb")]
    # resume after two lines stamped TS: the third TS line and later ones pass
    s2 = ChunkSplitter("base")
    cursor = LogCursor(TS, 2, 2)
    flt2 = ResumeFilter(cursor)
    data = f"2026-01-01T00:00:00.5Z old\n{TS} a\n{TS} bb\n{TS} c\n{TS2} d\n".encode()
    chunk = s2.feed(data, flt2)
    assert chunk is not None and [ln.text for ln in chunk.lines()] == ["c", "d"]
    assert flt2.skipped == 3
    assert cursor.after(chunk) == LogCursor(TS2, 1, 4)
    # a resumed stream that brings only old lines delivers nothing
    assert ChunkSplitter("base").feed(f"{TS} a\n{TS} b\n".encode(), ResumeFilter(cursor)) is None


def test_a_resume_compares_stamps_of_any_precision():
    # the cursor holds the stamp as the server sent it (trailing zeros dropped); lines resent
    # at full precision are still recognised as delivered, and a later one (.12 after .1) is new
    cursor = LogCursor("2026-01-01T00:00:01.1Z", 1, 1)
    chunk = ChunkSplitter("base").feed(b"2026-01-01T00:00:01.100000000Z a\n2026-01-01T00:00:01.12Z b\n",
                                       ResumeFilter(cursor))
    assert chunk is not None and [ln.text for ln in chunk.lines()] == ["b"]


def test_timestamps_and_since_time():
    assert normalize_ts("2026-01-01T00:00:00.5Z") == "2026-01-01T00:00:00.500000000Z"
    assert normalize_ts(TS) == TS
    assert since_time(LogCursor(TS, 1, 1)) == "2026-01-01T00:00:01Z"
    assert since_time(LogCursor()) is None


def test_tls_failures_are_final_but_a_cut_handshake_is_not():
    untrusted = urllib3.exceptions.MaxRetryError(None, "/api", urllib3.exceptions.SSLError(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)"))
    bad_ca = ApiException(status=0, reason="SSLError\n[X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found (_ssl.c:4154)")
    cut = urllib3.exceptions.MaxRetryError(None, "/api", urllib3.exceptions.SSLError(
        "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol (_ssl.c:1006)"))
    assert tls_failure(untrusted) == ("verify", "certificate verify failed: unable to get local issuer certificate")
    assert tls_failure(bad_ca) == ("ca", "no certificate or crl found")
    assert retry_delay(untrusted, 1) is None and retry_delay(bad_ca, 1) is None
    assert tls_failure(cut) is None and retry_delay(cut, 1) is not None  # an API server restarting
    assert refused(untrusted) and refused(_api(403)) and not refused(_api(503)) and not refused(cut)
