"""Process hygiene: nothing outlives a pod or the sim; the no-namespace fallback still runs pods."""

from __future__ import annotations

import gc
import os
import random
import sys

import pytest

from kpodtui.sim import containers

from .helpers import events, pod, sh, wait_for, wait_phase


def _marker() -> str:
    """A unique sleep duration: the processes of one test are found by their command line."""
    return f"1000.{random.randrange(10**8):08d}"


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


def _client(sim):
    from kubernetes import client, config

    return client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))


def test_stopping_the_sim_kills_every_container_process(make_sim):
    sim = make_sim()
    api = _client(sim)
    marker = _marker()
    # a background child in its own session, and an exec'd command: all must go with the sim
    script = f"setsid sleep {marker} & sleep {marker}; wait"
    api.create_namespaced_pod("default", pod("lingering", sh("main", script)))
    wait_phase(api, "lingering", ("Running",))
    wait_for(lambda: len(_processes_with(marker)) >= 2, what="the container's processes")
    sim.stop()
    wait_for(lambda: not _processes_with(marker), timeout=5, what="no process left")


def test_deleting_a_pod_kills_its_background_processes(api):
    marker = _marker()
    api.create_namespaced_pod("default", pod("bg", sh("main", f"sleep {marker} & wait")))
    wait_phase(api, "bg", ("Running",))
    wait_for(lambda: _processes_with(marker), what="the background process")
    api.delete_namespaced_pod("bg", "default", grace_period_seconds=0)
    wait_for(lambda: not _processes_with(marker), timeout=5, what="no process left")


@pytest.fixture
def no_namespaces(monkeypatch):
    """Pretend the host cannot give containers namespaces (not root, no unshare)."""
    monkeypatch.setattr(containers, "_probe_result", False)


def test_fallback_without_namespaces_runs_pods_and_says_volumes_are_not_mounted(no_namespaces, make_sim):
    sim = make_sim()
    api = _client(sim)
    c = sh("main", "echo plain; exit 5", volumeMounts=[{"name": "v", "mountPath": "/tmp/kpodtui-sim/fallback"}])
    api.create_namespaced_pod("default", pod("flat", c, volumes=[{"name": "v", "emptyDir": {}}]))
    p = wait_phase(api, "flat")
    assert p.status.phase == "Failed"
    assert p.status.container_statuses[0].state.terminated.exit_code == 5
    assert api.read_namespaced_pod_log("flat", "default") == "plain\n"
    assert any(e[1] == "VolumesNotMounted" and e[0] == "Warning" for e in events(api, "flat"))


def test_fallback_delete_signals_the_process_group(no_namespaces, make_sim):
    sim = make_sim()
    api = _client(sim)
    marker = _marker()
    api.create_namespaced_pod("default", pod("grp", sh("main", f"sleep {marker} & wait")))
    wait_phase(api, "grp", ("Running",))
    wait_for(lambda: _processes_with(marker), what="the background process")
    api.delete_namespaced_pod("grp", "default", grace_period_seconds=5)
    wait_for(lambda: not _processes_with(marker), timeout=5, what="no process left")


@pytest.fixture
def unraisable(monkeypatch) -> list[str]:
    """What Python could not raise where it happened (a pipe collected after its loop closed
    says "Event loop is closed" so, on the user's terminal), collected during the test."""
    seen: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(f"{u.exc_value!r} in {u.object!r}"))
    return seen


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_stopping_the_sim_while_pods_start_leaves_nothing_behind(make_sim, unraisable):
    sim = make_sim()
    api = _client(sim)
    marker = _marker()
    for i in range(20):
        api.create_namespaced_pod("default", pod(f"rush{i}", sh("main", f"sleep {marker}")))
    sim.stop()
    wait_for(lambda: not _processes_with(marker), timeout=5, what="no process left")
    # a process whose start the stop cut short must not keep its pipes open past the loop's end
    gc.collect()
    assert unraisable == []


def test_stopping_the_sim_right_after_a_forced_delete_reaps_the_deleted_pods_processes(make_sim, unraisable):
    """A pod deleted with grace 0 is forgotten at once while its processes are still being
    killed; a stop right then once closed the loop under them, and asyncio complained
    "Event loop is closed" about their pipes later, at a random point."""
    sim = make_sim()
    api = _client(sim)
    marker = _marker()
    # many processes per pod: killing them all takes the kernel a while, so their pipes
    # close well after the delete has answered
    script = f"for i in $(seq 150); do sleep {marker} & done; wait"
    names = [f"gone{i}" for i in range(6)]
    for name in names:
        api.create_namespaced_pod("default", pod(name, sh("main", script)))
    for name in names:
        wait_phase(api, name, ("Running",))
    wait_for(lambda: len(_processes_with(marker)) >= 150 * len(names), what="every process started")
    for name in names:
        api.delete_namespaced_pod(name, "default", grace_period_seconds=0)
    sim.stop()
    wait_for(lambda: not _processes_with(marker), timeout=5, what="no process left")
    gc.collect()  # an unclosed transport complains here
    assert unraisable == []


def test_stopping_the_sim_during_its_namespace_probe_reaps_the_probe(make_sim, monkeypatch, caplog):
    """The first pod's worker starts the probe shielded; a stop right then (``run --sim
    --detach`` does it) once left the probe's process to be reaped after the loop closed,
    and asyncio warned 'Loop ... that handles pid N is closed' on the user's terminal."""
    import asyncio
    import logging
    import threading

    from kpodtui.sim import kubelet

    marker = _marker()
    probing = threading.Event()

    async def slow_probe() -> bool:
        proc = await asyncio.create_subprocess_exec("sh", "-c", "sleep 0.5", marker)  # $0: found by marker
        probing.set()
        return await proc.wait() == 0 and False

    monkeypatch.setattr(kubelet, "namespaces_supported", slow_probe)
    sim = make_sim()
    _client(sim).create_namespaced_pod("default", pod("first", sh("main", "true")))
    assert probing.wait(10), "the probe started"
    with caplog.at_level(logging.WARNING, logger="asyncio"):
        sim.stop()
        wait_for(lambda: not _processes_with(marker), timeout=5, what="the probe's process gone")
        for t in threading.enumerate():
            if t.name.startswith("waitpid-"):
                t.join(5)
    assert not [r for r in caplog.records if "is closed" in r.getMessage()], caplog.text
