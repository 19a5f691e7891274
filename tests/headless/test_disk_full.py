"""A full disk under the history during a run (issue 10, item 2): ``kpodtui run`` as a real
process, its history home on a 2 MB tmpfs (or, where mounting is not allowed, under a 1.5 MB
file size limit), a task printing 200,000 lines."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys

import pytest

from tests.headless.test_cli_sim import ROOT

N = 200_000


@pytest.fixture
def small_home(tmp_path, monkeypatch):
    """A history home with little room: ``(home, file size limit or None)``."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mnt)], capture_output=True).returncode == 0
    home = mnt / "home"
    monkeypatch.setenv("KPODTUI_HOME", str(home))
    try:
        yield home, (None if mounted else 1_500_000), mnt if mounted else None
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _kpodtui(*args: str, limit: int | None = None) -> subprocess.CompletedProcess:
    def limited() -> None:
        if limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "kpodtui", *args], capture_output=True, text=True,
                          cwd=ROOT, env=dict(os.environ), preexec_fn=limited, timeout=110)


def test_a_full_disk_loses_no_line_and_keeps_the_tasks_verdict(small_home, tmp_path):
    home, limit, mnt = small_home
    spec = tmp_path / "flood.yaml"
    spec.write_text(f"task_id: flood\nimage: busybox\ncmds: [sh, -c, 'seq 1 {N}']\n")
    proc = _kpodtui("run", "--sim", str(spec), limit=limit)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout.splitlines()
    assert len(out) == N and out == [f"[base] {i}" for i in range(1, N + 1)], "stdout kept every line"
    err = proc.stderr.splitlines()
    said = [ln for ln in err if "cannot write the log files of run" in ln]
    assert len(said) == 1, proc.stderr  # said once
    assert "Traceback" not in proc.stderr and "no transaction is active" not in proc.stderr
    assert err[-1].endswith("succeeded (exit code 0)"), err[-3:]
    assert any("the log file of base is incomplete: it stops at line" in ln for ln in err)
    if mnt is not None:  # the user frees some space; what was kept is now all readable
        subprocess.run(["mount", "-o", "remount,size=16m", str(mnt)], check=True)
    runs = json.loads(_kpodtui("runs", "--json").stdout)
    assert [(r["state"], r["outcome"], r["exit_code"]) for r in runs] == [("finished", "succeeded", 0)]
    kept = runs[0]["detail"]["log_incomplete"]["base"]["lines"]
    assert 0 < kept < N
    logs = _kpodtui("logs", runs[0]["id"])
    assert logs.stdout.splitlines() == out[:kept], "the file holds whole lines up to where it stopped"
