"""Scripts start fast: the headless commands never import Textual, and the app's
first frame never waits for the kubernetes client."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
from kpodtui import cli
sys.argv = ["kpodtui", *{argv!r}]
try:
    cli.main({argv!r})
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "kubernetes", "kpodtui"))), file=sys.__stdout__)
"""


def modules_after(argv: list[str]) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True, timeout=60
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_runs_never_imports_textual():
    mods = modules_after(["runs"])
    assert not [m for m in mods if m.startswith("textual")]
    assert not [m for m in mods if m.startswith("kpodtui.tui")]


def test_run_never_imports_textual(tmp_path):
    spec = tmp_path / "broken.yaml"
    spec.write_text("task_id: x\nimagez: busybox\n")  # bad input: exits 2 before any cluster work
    mods = modules_after(["run", str(spec)])
    assert not [m for m in mods if m.startswith("textual")]


def test_app_module_imports_no_kubernetes():
    code = (
        "import sys, kpodtui.tui.app, kpodtui.tui.main; "
        "print([m for m in sys.modules if m.startswith(('kubernetes', 'kpodtui.kube', 'kpodtui.engine.run', 'kpodtui.sim'))])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


FIRST_FRAME_PROBE = """
import asyncio, json, sys
from pathlib import Path
import kpodtui.tui.app
from kpodtui.tui.app import KpodApp

class Probe(KpodApp):
    CSS_PATH = str(Path(kpodtui.tui.app.__file__).parent / "app.tcss")

    def _after_first_frame(self):
        self.seen = sorted(sys.modules)
        self.exit()

async def main():
    app = Probe(lambda: None)
    async with app.run_test(size=(120, 40)) as pilot:
        while not hasattr(app, "seen"):
            await pilot.pause(0.01)
    print(json.dumps(app.seen))

asyncio.run(main())
"""


def test_first_frame_needs_only_the_first_screen(tmp_path):
    """History, engine and the run view (pygments for syntax) load after the first frame, not before."""
    probe = tmp_path / "probe.py"  # a file: Textual looks up the app class's source file
    probe.write_text(FIRST_FRAME_PROBE)
    out = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    mods = json.loads(out.stdout.strip().splitlines()[-1])
    assert "kpodtui.tui.screens.runs_screen" in mods  # the probe did reach the first screen
    early = [
        m
        for m in mods
        if m.startswith(("pygments", "kpodtui.engine", "kpodtui.history", "kubernetes", "kpodtui.tui.screens.run_screen"))
    ]
    assert early == []


def test_missing_spec_path_is_one_line_before_the_app_opens(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "kpodtui", "tui", str(tmp_path / "nope.yaml")],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 2
    assert out.stderr.strip() == f"kpodtui: error: no such spec file or folder: {tmp_path / 'nope.yaml'}"
    assert "\x1b[" not in out.stdout  # the terminal was never switched to the app
