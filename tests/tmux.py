"""A real terminal for tests: one tmux server of its own, one pane, keys in, screen out."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid

import pytest


class Tmux:
    """One tmux server of its own (``-L``), one pane, driven by send-keys and read by capture-pane."""

    def __init__(self, width: int, height: int, command: str) -> None:
        self.socket = f"kpodtui-test-{uuid.uuid4().hex[:8]}"
        env = " ".join(f"{k}={_quote(v)}" for k, v in os.environ.items() if k.startswith(("KPODTUI_", "PYTHON")))
        self.run("new-session", "-d", "-x", str(width), "-y", str(height), "-s", "t",
                 f"env {env} {command}; echo exited-$?; sleep 30")

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              timeout=30).stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "t")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "t", *keys)

    def wait_for(self, *texts: str, timeout: float = 30) -> str:
        """Until the pane shows one of ``texts``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if any(text in shown for text in texts):
                return shown
            time.sleep(0.1)
        raise AssertionError(f"{texts!r} never showed; the pane shows:\n{self.screen()}")

    def wait_for_size(self, size: str, tries: int = 6) -> None:
        """``stty size`` in the pane's shell says ``size`` ("rows cols"), asked again while it does
        not yet (a kubelet applies an exec's resize frame on its own, a moment after it arrives)."""
        for _ in range(tries):
            self.keys("clear; stty size", "Enter")
            try:
                self.wait_for(size, timeout=5)
                return
            except AssertionError:
                continue
        raise AssertionError(f"the terminal never became {size}; the pane shows:\n{self.screen()}")

    def close(self) -> None:
        self.run("kill-server")


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


@pytest.fixture
def tmux_pane(tmp_path):
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    panes: list[Tmux] = []

    def make(width: int, height: int, command: str) -> Tmux:
        pane = Tmux(width, height, command)
        panes.append(pane)
        return pane

    yield make
    for pane in panes:
        pane.close()
