"""The fast paths stay fast: no Textual, no kubernetes client, no jinja2 unless needed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HELLO = Path(__file__).resolve().parents[2] / "sample_tasks" / "hello.yaml"


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def _heavy(modules: set[str]) -> set[str]:
    return {m for m in modules if m.split(".")[0] in ("textual", "kubernetes", "aiohttp", "rich")}


def test_spec_pod_cli_imports_pull_nothing_heavy():
    mods = _modules_after("import kpodtui.spec, kpodtui.pod, kpodtui.cli")
    assert _heavy(mods) == set()
    assert "jinja2" not in mods


def test_validate_of_a_plain_spec_imports_nothing_heavy():
    mods = _modules_after(f"from kpodtui.cli import main\nmain(['validate', {str(HELLO)!r}])")
    assert _heavy(mods) == set()
    assert "jinja2" not in mods  # hello.yaml has no templates
