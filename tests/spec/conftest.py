"""Helpers: run the real CLI, write spec files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kpodtui.cli import main


@pytest.fixture
def write(tmp_path: Path):
    def _write(text: str, name: str = "task.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return _write


@pytest.fixture
def cli(capsys):
    """Run ``kpodtui ARGS`` in-process; returns (exit code, stdout, stderr)."""

    def _run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return _run
