"""The pod log endpoint: parameters, container choice, errors, follow streams and the log-cut fault."""

from __future__ import annotations

import json
import re
import time

import pytest
import urllib3
from kubernetes import watch
from kubernetes.client.exceptions import ApiException

from .helpers import pod, sh, wait_for, wait_phase

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ")


@pytest.fixture
def counted(api):
    """A finished pod ``counted`` whose log is ``line 1`` .. ``line 10``."""
    api.create_namespaced_pod("default", pod("counted", sh("main", "for i in $(seq 1 10); do echo line $i; done")))
    wait_phase(api, "counted")
    return "counted"


def test_plain_log_is_text(api, counted):
    text = api.read_namespaced_pod_log(counted, "default")
    assert text == "".join(f"line {i}\n" for i in range(1, 11))


def test_timestamps(api, counted):
    lines = api.read_namespaced_pod_log(counted, "default", timestamps=True).splitlines()
    assert len(lines) == 10
    assert all(STAMP.match(line) for line in lines)
    assert lines[0].endswith(" line 1")


def test_tail_lines(api, counted):
    assert api.read_namespaced_pod_log(counted, "default", tail_lines=3) == "line 8\nline 9\nline 10\n"
    assert api.read_namespaced_pod_log(counted, "default", tail_lines=0) == ""
    stamped = api.read_namespaced_pod_log(counted, "default", tail_lines=2, timestamps=True).splitlines()
    assert [STAMP.sub("", s) for s in stamped] == ["line 9", "line 10"]


def test_limit_bytes_cuts_mid_line(api, counted):
    assert api.read_namespaced_pod_log(counted, "default", limit_bytes=10) == "line 1\nlin"


def test_since_seconds(api):
    api.create_namespaced_pod("default", pod("slow", sh("main", "echo early; sleep 1.5; echo late")))
    wait_phase(api, "slow")
    # "early" is always older than 1 s here; "late" is younger unless this machine stalls
    assert api.read_namespaced_pod_log("slow", "default", since_seconds=1) in ("late\n", "")
    assert api.read_namespaced_pod_log("slow", "default", since_seconds=60) == "early\nlate\n"


def test_since_time_low_level(api, counted):
    """``sinceTime`` is not in the Python client; send it the way kubectl does."""
    stamped = api.read_namespaced_pod_log(counted, "default", timestamps=True).splitlines()
    since = stamped[0].split(" ", 1)[0]
    client = api.api_client
    params = client.param_serialize(method="GET", resource_path="/api/v1/namespaces/default/pods/counted/log",
                                    query_params=[("sinceTime", since)], auth_settings=["BearerToken"])
    resp = client.call_api(*params)
    resp.read()
    assert resp.data.decode().startswith("line 1\n")
    params = client.param_serialize(method="GET", resource_path="/api/v1/namespaces/default/pods/counted/log",
                                    query_params=[("sinceTime", "2999-01-01T00:00:00Z")], auth_settings=["BearerToken"])
    resp = client.call_api(*params)
    resp.read()
    assert resp.data == b""


def test_container_must_be_named_for_multi_container_pods(api):
    body = pod("multi", sh("a", "echo from a"), sh("b", "echo from b"), init=[sh("i", "true")])
    api.create_namespaced_pod("default", body)
    wait_phase(api, "multi")
    with pytest.raises(ApiException) as e:
        api.read_namespaced_pod_log("multi", "default")
    assert e.value.status == 400
    status = json.loads(e.value.body)
    assert status["message"] == ("a container name must be specified for pod multi, choose one of: [a b] "
                                 "or one of the init containers: [i]")
    assert status["reason"] == "BadRequest"
    assert api.read_namespaced_pod_log("multi", "default", container="b") == "from b\n"
    with pytest.raises(ApiException) as e:
        api.read_namespaced_pod_log("multi", "default", container="zzz")
    assert e.value.status == 400 and "container zzz is not valid for pod multi" in e.value.body


def test_missing_pod_is_404(api):
    with pytest.raises(ApiException) as e:
        api.read_namespaced_pod_log("nope", "default")
    assert e.value.status == 404


def test_previous_without_restart_is_400(api, counted):
    with pytest.raises(ApiException) as e:
        api.read_namespaced_pod_log(counted, "default", previous=True)
    assert e.value.status == 400
    assert json.loads(e.value.body)["message"] == 'previous terminated container "main" in pod "counted" not found'


def test_waiting_container_is_400(api):
    api.create_namespaced_pod("default", pod("stuck", {"name": "main", "image": "registry.invalid/x:1"}))

    def refused():
        try:
            api.read_namespaced_pod_log("stuck", "default")
        except ApiException as e:
            return e if "is waiting to start" in e.body else None
        return None

    err = wait_for(refused, what="waiting error")
    assert err.status == 400
    assert json.loads(err.body)["message"].startswith('container "main" in pod "stuck" is waiting to start: ')


def test_follow_streams_until_the_container_ends(api):
    api.create_namespaced_pod("default", pod("talker", sh("main", "for i in 1 2 3; do echo n$i; sleep 0.1; done")))
    wait_phase(api, "talker", ("Running", "Succeeded"))
    lines = list(watch.Watch().stream(api.read_namespaced_pod_log, "talker", "default"))
    assert lines == ["n1", "n2", "n3"]


def test_follow_raw_is_chunked_text_and_ends_cleanly(api):
    api.create_namespaced_pod("default", pod("raw", sh("main", "echo a; sleep 0.2; echo b")))
    wait_phase(api, "raw", ("Running", "Succeeded"))
    resp = api.read_namespaced_pod_log("raw", "default", follow=True, timestamps=True, _preload_content=False)
    assert resp.headers["Content-Type"].startswith("text/plain")
    assert resp.headers.get("Transfer-Encoding") == "chunked"
    data = b"".join(resp.stream(amt=None, decode_content=False))
    resp.release_conn()
    assert [STAMP.sub("", line) for line in data.decode().splitlines()] == ["a", "b"]


def test_follow_ends_when_the_pod_is_deleted(api):
    api.create_namespaced_pod("default", pod("doomed", sh("main", "echo up; while true; do sleep 0.05; done")))
    wait_phase(api, "doomed", ("Running",))
    stream = watch.Watch().stream(api.read_namespaced_pod_log, "doomed", "default")
    assert next(stream) == "up"
    api.delete_namespaced_pod("doomed", "default", grace_period_seconds=0)
    start = time.monotonic()
    assert list(stream) == []
    assert time.monotonic() - start < 20  # ended with the pod (a follow of a live one never ends)


def test_log_cut_fault_drops_a_follow_stream_after_n_lines(api, sim):
    api.create_namespaced_pod("default", pod("cut", sh("main", "for i in $(seq 1 50); do echo l$i; done; sleep 30")))
    wait_phase(api, "cut", ("Running",))
    wait_for(lambda: api.read_namespaced_pod_log("cut", "default").count("\n") == 50, what="50 lines")
    sim.cut_logs(after_lines=5)
    lines: list[str] = []
    # dropped, as a connection is: the lines sent arrive, then the stream breaks (no final chunk)
    with pytest.raises(urllib3.exceptions.ProtocolError):
        for line in watch.Watch().stream(api.read_namespaced_pod_log, "cut", "default"):
            lines.append(line)
    assert lines == [f"l{i}" for i in range(1, 6)]
    # the cut is used up: the next stream is whole again (and waits for more, so read non-follow)
    assert api.read_namespaced_pod_log("cut", "default").count("\n") == 50


def test_big_log_tail_is_fast(api):
    api.create_namespaced_pod("default", pod("big", sh("main", "seq 1 200000")))
    wait_phase(api, "big", timeout=30)
    start = time.monotonic()
    assert api.read_namespaced_pod_log("big", "default", tail_lines=2) == "199999\n200000\n"
    assert len(api.read_namespaced_pod_log("big", "default", timestamps=True).splitlines()) == 200000
    assert time.monotonic() - start < 20  # (its speed: bench/sim_throughput.py)


def test_a_50_mb_line_without_newline_gets_no_timestamps_inside(api):
    """The CRI logger cuts a huge line every 16 KiB, each piece a line of its own. The sim flushed
    the pieces without their newline: a timestamp landed inside the line every 64 KiB read."""
    size = 50 * 1024 * 1024 + 100
    api.create_namespaced_pod("default", pod("huge", sh("main", f"head -c {size} /dev/zero | tr '\\0' x")))
    wait_phase(api, "huge", timeout=60)
    resp = api.read_namespaced_pod_log("huge", "default", follow=True, timestamps=True, _preload_content=False)
    data = b"".join(resp.stream(amt=None, decode_content=False))
    resp.release_conn()
    lines = data.split(b"\n")
    assert len(lines[-1]) == 31 + 100  # the last piece has no newline, as the container wrote none
    assert all(re.match(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z x+$", ln) for ln in lines), "a stamp inside a line"
    bodies = [len(ln) - 31 for ln in lines]
    assert sum(bodies) == size and max(bodies) == 16 * 1024
