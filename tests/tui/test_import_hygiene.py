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
