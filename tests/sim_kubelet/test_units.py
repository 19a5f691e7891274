"""Pure parts of the kubelet half, on plain data: logs, images, scheduling, phase rules, env."""

from __future__ import annotations

import pytest

from kpodtui.sim import images
from kpodtui.sim.envvars import ContainerConfigError, expand, resolve_env
from kpodtui.sim.logs import STAMP_LEN, LogBuffer, format_ts, parse_ts
from kpodtui.sim.node import NodeConfig, parse_quantity, pod_requests, qos_class
from kpodtui.sim.podstatus import compute_phase
from kpodtui.sim.scheduler import failed_scheduling_message, unfit_reasons

T0 = 1_700_000_000_000_000_000


def test_log_buffer_stamps_every_line_and_finds_offsets():
    buf = LogBuffer()
    buf.append(b"a\nb\nc", 1, ts=T0)
    buf.append(b"x\n", 2, ts=T0 + 1)  # stderr line between: the partial stdout line waits
    buf.append(b"d\n", 1, ts=T0 + 2)
    assert bytes(buf.raw) == b"a\nb\nx\ncd\n"
    stamped = bytes(buf.stamped).splitlines()
    assert [s[STAMP_LEN:] for s in stamped] == [b"a", b"b", b"x", b"cd"]
    assert stamped[0][:STAMP_LEN] == format_ts(T0) + b" "
    for n, expect in [(1, b"cd\n"), (2, b"x\ncd\n"), (3, b"b\nx\ncd\n"), (9, bytes(buf.raw))]:
        start = buf.start_offset(tail_lines=n)
        assert bytes(buf.raw[start:]) == expect
        assert bytes(buf.stamped[buf.stamped_offset(start):]).splitlines()[0].endswith(expect.split(b"\n")[0])
    assert bytes(buf.raw[buf.start_offset(since_ns=T0 + 1):]) == b"x\ncd\n"


def test_log_buffer_close_flushes_a_partial_line_without_newline():
    buf = LogBuffer()
    buf.append(b"done\nno newline")
    buf.close()
    assert bytes(buf.raw) == b"done\nno newline"
    assert buf.tail_text(max_lines=1) == "no newline"
    assert buf.closed


def test_timestamps_round_trip():
    assert format_ts(T0 + 123) == b"2023-11-14T22:13:20.000000123Z"
    assert parse_ts("2023-11-14T22:13:20.000000123Z") == T0 + 123
    assert parse_ts("2023-11-14T23:13:20+01:00") == T0
    with pytest.raises(ValueError):
        parse_ts("yesterday")


@pytest.mark.parametrize("image,normalized", [
    ("busybox", "docker.io/library/busybox:latest"),
    ("alpine:3.24.2", "docker.io/library/alpine:3.24.2"),
    ("myorg/app:1", "docker.io/myorg/app:1"),
    ("localhost:5000/app", "localhost:5000/app:latest"),
    ("ghcr.io/a/b/c:v1.2", "ghcr.io/a/b/c:v1.2"),
])
def test_image_references(image, normalized):
    assert images.parse_image(image).normalized == normalized


@pytest.mark.parametrize("image", ["", "Busybox", "a b", "busybox:", "-x", "busybox@sha256:12"])
def test_invalid_image_references(image):
    with pytest.raises(images.InvalidImageError, match="invalid reference format"):
        images.parse_image(image)


def test_refused_images_and_pull_policy():
    node = NodeConfig()
    assert images.is_refused(images.parse_image("registry.invalid/x:1"), node.refused_images)
    assert not images.is_refused(images.parse_image("busybox"), node.refused_images)
    assert images.default_pull_policy(images.parse_image("busybox")) == "Always"
    assert images.default_pull_policy(images.parse_image("busybox:1.36")) == "IfNotPresent"


def test_container_argv_follows_docker_rules():
    busybox = images.parse_image("busybox")
    assert images.container_argv(busybox, ["echo"], ["hi"]) == ["echo", "hi"]
    assert images.container_argv(busybox, None, ["echo", "hi"]) == ["echo", "hi"]
    assert images.container_argv(busybox, None, None) == ["sh"]
    assert images.container_argv(images.parse_image("example.com/unknown"), None, None) is None


def test_quantities_requests_and_qos():
    assert parse_quantity("250m") == 0.25 and parse_quantity("1Gi") == 2**30 and parse_quantity("1e3") == 1000
    spec = {"containers": [{"resources": {"requests": {"cpu": "1"}}}, {"resources": {"limits": {"cpu": "2"}}}],
            "initContainers": [{"resources": {"requests": {"cpu": "5"}}}]}
    assert pod_requests(spec)["cpu"] == 5
    assert qos_class(spec) == "Burstable"
    assert qos_class({"containers": [{}]}) == "BestEffort"


def test_scheduler_messages():
    node = NodeConfig(cpu="2")
    big = {"spec": {"containers": [{"resources": {"requests": {"cpu": "1500m"}}}]}}
    assert unfit_reasons(big, node, []) == []
    assert unfit_reasons(big, node, [big]) == ["Insufficient cpu"]
    assert failed_scheduling_message([["Insufficient cpu"]]) == (
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
        "1 No preemption victims found for incoming pod.")
    # a node per reason list, counted per reason as the scheduler counts nodes
    assert failed_scheduling_message([["Insufficient cpu"], ["Insufficient cpu", "Insufficient memory"]]) == (
        "0/2 nodes are available: 2 Insufficient cpu, 1 Insufficient memory. preemption: 0/2 nodes are "
        "available: 2 No preemption victims found for incoming pod.")
    arm = {"spec": {"containers": [{}], "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "kubernetes.io/os", "operator": "In",
                                                     "values": ["windows"]}]}]}}}}}
    assert unfit_reasons(arm, node, []) == ["node(s) didn't match Pod's node affinity/selector"]


def _st(kind, code=0, last=None):
    state = {"terminated": {"exitCode": code}} if kind == "terminated" else {kind: {}}
    return {"name": "c", "state": state, "lastState": {"terminated": {"exitCode": last}} if last is not None else {}}


def test_phase_rules():
    assert compute_phase("Never", [], [_st("running"), _st("terminated", 0)]) == "Running"
    assert compute_phase("Never", [], [_st("terminated", 0), _st("terminated", 0)]) == "Succeeded"
    assert compute_phase("Never", [], [_st("terminated", 0), _st("terminated", 1)]) == "Failed"
    assert compute_phase("Never", [], [_st("waiting"), _st("running")]) == "Pending"
    assert compute_phase("Never", [_st("terminated", 1)], [_st("waiting")]) == "Failed"
    assert compute_phase("OnFailure", [_st("running")], [_st("waiting")]) == "Pending"
    assert compute_phase("OnFailure", [], [_st("waiting", last=1)]) == "Running"
    assert compute_phase("Always", [], [_st("terminated", 0)]) == "Running"


def test_env_resolution_and_errors():
    objects = {("configmaps", "cm"): {"data": {"k": "v"}}}

    def lookup(kind, ns, name):
        return objects.get((kind, name))

    podobj = {"metadata": {"name": "p", "namespace": "default", "labels": {"app": "x"}}, "spec": {}, "status": {}}
    c = {"env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k"}}},
                 {"name": "L", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
                 {"name": "B", "value": "$(A)-$$(A)-$(NOPE)"}]}
    assert resolve_env(podobj, c, lookup, NodeConfig()) == {"A": "v", "L": "x", "B": "v-$(A)-$(NOPE)"}
    with pytest.raises(ContainerConfigError, match='configmap "gone" not found'):
        resolve_env(podobj, {"envFrom": [{"configMapRef": {"name": "gone"}}]}, lookup, NodeConfig())
    assert expand("$(X)$$", {"X": "1"}) == "1$"
