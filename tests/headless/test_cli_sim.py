"""``kpodtui run`` / ``attach`` as real subprocesses against the simulated cluster.

``--sim`` starts the sim inside the kpodtui process; the other tests share an
in-test sim through its kubeconfig so they can look at the pod afterwards and
so a ``kill -9``'d run can be attached to from a second process.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from kpodtui.history import History

ROOT = Path(__file__).resolve().parents[2]


class Proc:
    """A ``python -m kpodtui`` subprocess whose stdout/stderr lines are collected as they come."""

    def __init__(self, *args: str) -> None:
        self.p = subprocess.Popen(
            [sys.executable, "-m", "kpodtui", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=dict(os.environ), cwd=ROOT,
        )  # fmt: skip
        self.out: list[str] = []
        self.err: list[str] = []
        self._threads = [
            threading.Thread(target=self._pump, args=(self.p.stdout, self.out), daemon=True),
            threading.Thread(target=self._pump, args=(self.p.stderr, self.err), daemon=True),
        ]
        for t in self._threads:
            t.start()

    @staticmethod
    def _pump(stream, into: list[str]) -> None:
        for line in stream:
            into.append(line.rstrip("\n"))

    def wait_for(self, cond, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline or self.p.poll() is not None and not cond():
                raise AssertionError(f"condition not met; rc={self.p.poll()} stderr={self.err}")
            time.sleep(0.02)

    def finish(self, timeout: float = 60) -> int:
        rc = self.p.wait(timeout)
        for t in self._threads:
            t.join(5)
        return rc

    def run_id(self) -> str:
        self.wait_for(lambda: any(re.search(r"run (\w+) of task", e) for e in self.err))
        return next(m.group(1) for e in self.err if (m := re.search(r"run (\w+) of task", e)))


def ticking(tmp_path: Path, n: int, delay: float, name: str = "ticks") -> Path:
    spec = tmp_path / f"{name}.yaml"
    spec.write_text(
        f"task_id: {name}\nimage: busybox\ntermination_grace_period: 1\n"
        f"cmds: [sh, -c, 'i=0; while [ $i -lt {n} ]; do echo tick-$i; i=$((i+1)); sleep {delay}; done']\n"
    )
    return spec


def test_run_sim_hello_as_a_subprocess():
    proc = Proc("run", "--sim", "sample_tasks/hello.yaml")
    assert proc.finish() == 0, proc.err
    assert proc.out == ["[base] hello from kpodtui", "[base] running as task hello", "[base] bye"]
    assert any("succeeded" in e and "exit code 0" in e for e in proc.err), proc.err
    assert not any("Traceback" in e for e in proc.err)


def test_run_sim_json_summary_and_exit_codes():
    proc = Proc("run", "--sim", "sample_tasks/xcom.yaml", "--json")
    assert proc.finish() == 0, proc.err
    summary = json.loads(proc.out[-1])
    assert summary["outcome"] == "succeeded" and summary["xcom"] == {"answer": 42, "items": ["a", "b"]}
    assert summary["log_lines"] == len(proc.out) - 1
    failing = Proc("run", "--sim", "sample_tasks/failing.yaml", "--json")
    skip = Proc("run", "--sim", "sample_tasks/skip.yaml")
    bad_image = Proc("run", "--sim", "sample_tasks/bad_image.yaml", "--json")
    assert failing.finish() == 1
    assert json.loads(failing.out[-1])["exit_code"] == 3
    # the verdict, last on stderr, says why in kubectl's word
    assert bad_image.finish() == 1
    assert re.search(r"run \w+ failed \((ErrImagePull|ImagePullBackOff)\)$", bad_image.err[-1]), bad_image.err[-3:]
    assert json.loads(bad_image.out[-1])["reason"] in ("ErrImagePull", "ImagePullBackOff")
    assert skip.finish() == 3


def test_ctrl_c_kills_the_pod_and_exits_130(cluster, tmp_path):
    spec = ticking(tmp_path, 600, 0.05)
    proc = Proc("run", str(spec), "--kubeconfig", str(cluster.kubeconfig_path))
    run_id = proc.run_id()
    proc.wait_for(lambda: len(proc.out) >= 2)
    proc.p.send_signal(signal.SIGINT)
    assert proc.finish() == 130
    assert any("interrupted: killing pod" in e for e in proc.err), proc.err
    record = History.open().get_run(run_id)
    assert record.outcome == "killed"
    pod = cluster.get("pods", cluster.namespace, record.pod_name)
    assert pod is None or pod["metadata"].get("deletionTimestamp"), "the pod was deleted"


def test_kill_9_then_attach_delivers_the_rest_exactly(cluster, tmp_path):
    n = 60
    spec = ticking(tmp_path, n, 0.05)
    first = Proc("run", str(spec), "--kubeconfig", str(cluster.kubeconfig_path))
    run_id = first.run_id()
    history = History.open()
    log = history.log_path(run_id, "base")

    def quiet_after_10() -> bool:
        # Kill when what was printed equals what is on disk (the writer is between batches).
        on_disk = log.read_text().count("\n") if log.exists() else 0
        return len(first.out) >= 10 and on_disk == len(first.out)

    first.wait_for(quiet_after_10)
    first.p.send_signal(signal.SIGKILL)
    first.finish()
    assert history.get_run(run_id).live
    second = Proc("attach", run_id)
    assert second.finish() == 0, second.err
    expected = [f"[base] tick-{i}" for i in range(n)]
    assert first.out == expected[:len(first.out)]
    assert second.out == expected, "attach catches up from the first line, then delivers the rest exactly"
    assert [ln.text for ln in history.read_log(run_id, "base")] == [f"tick-{i}" for i in range(n)]
    record = history.get_run(run_id)
    assert (record.state, record.outcome) == ("finished", "succeeded")


def test_attach_while_another_process_follows_reads_without_writing(cluster, tmp_path):
    n = 40
    gate = tmp_path / "go"
    spec = tmp_path / "ticks.yaml"
    # after 5 lines the container waits for the gate: the attach starts while the owner runs,
    # however slowly a busy machine starts the second process
    spec.write_text(
        "task_id: ticks\nimage: busybox\ntermination_grace_period: 1\n"
        f"cmds: [sh, -c, 'i=0; while [ $i -lt {n} ]; do echo tick-$i; i=$((i+1)); "
        f"if [ $i -eq 5 ]; then while [ ! -e {gate} ]; do sleep 0.02; done; fi; sleep 0.05; done']\n"
    )
    owner = Proc("run", str(spec), "--kubeconfig", str(cluster.kubeconfig_path))
    run_id = owner.run_id()
    owner.wait_for(lambda: len(owner.out) >= 3)
    watcher = Proc("attach", run_id)
    watcher.wait_for(lambda: any("followed by another kpodtui process" in e for e in watcher.err))
    gate.touch()
    assert owner.finish() == 0, owner.err
    assert watcher.finish() == 0, watcher.err
    assert any("followed by another kpodtui process" in e for e in watcher.err), watcher.err
    # the watcher catches up from the first line and shows the rest; the file holds every line once
    expected = [f"[base] tick-{i}" for i in range(n)]
    assert watcher.out == expected
    history = History.open()
    assert [ln.text for ln in history.read_log(run_id, "base")] == [f"tick-{i}" for i in range(n)]
