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
        assert started < 3  # generous for a loaded CI box; typically ~0.4 s
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
