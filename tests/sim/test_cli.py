"""``kpodtui sim``: starts fast, prints the kubeconfig, serves, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kubernetes import client, config


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(x) for x in out.stdout.split()]


def test_kpodtui_sim_serves_then_stops_on_sigint(tmp_path: Path):
    kubeconfig = tmp_path / "kc.yaml"
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "kpodtui", "sim", "--kubeconfig", str(kubeconfig)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines = []
        while not any("export KUBECONFIG=" in line for line in lines):
            line = proc.stdout.readline()
            assert line, f"sim exited early: {proc.stderr.read()}"
            lines.append(line)
        started = time.monotonic() - start
        text = "".join(lines)
        assert f"kubeconfig: {kubeconfig}" in text and f"export KUBECONFIG={kubeconfig}" in text
        assert started < 30  # it serves at all (a hang would not); its start-up speed is bench/cli_start.py's
        api = config.new_client_from_config(config_file=str(kubeconfig))
        assert client.CoreV1Api(api).list_namespace().items
        api.close()
        children_before = _children(proc.pid)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
        assert "stopped" in proc.stdout.read()
        for pid in children_before:
            assert not Path(f"/proc/{pid}").exists(), f"child {pid} left behind"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_join_with_a_missing_kubeconfig_is_bad_input(tmp_path: Path):
    proc = subprocess.run([sys.executable, "-m", "kpodtui", "sim", "--join", str(tmp_path / "nope")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"kpodtui sim: error: cannot read kubeconfig {tmp_path / 'nope'}: [Errno 2] No such file or directory: "
        f"'{tmp_path / 'nope'}'"]
    assert proc.stdout == ""


def test_join_of_a_cluster_that_cannot_be_reached_exits_4_with_one_line(tmp_path: Path):
    kc = tmp_path / "kc"
    kc.write_text("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\n"
                  "contexts: [{name: c, context: {cluster: c}}]\ncurrent-context: c\n")
    proc = subprocess.run([sys.executable, "-m", "kpodtui", "sim", "--join", str(kc)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 4
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"kpodtui sim: error: cannot join {kc}: ") and "Traceback" not in proc.stderr
    assert proc.stdout == ""
