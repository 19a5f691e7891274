"""Fixtures for the app's tests: SVG snapshots in ``snapshots/``, frozen clock, no cursor blink.

Snapshots live in the repository's top-level ``snapshots/tui/<test module>/``
(DESIGN.md). syrupy only "owns" snapshots under the paths given on the command
line, so partial runs would report the others as unused: they are downgraded to
a warning here. Update snapshots only with a full ``tests/tui`` run, never with ``-k``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import pytest_textual_snapshot as pts

from kpodtui.tui.data import clock

SNAPSHOT_ROOT = Path(__file__).resolve().parents[2] / "snapshots" / "tui"
FROZEN_AT = 1_767_268_800.0  # 2026-01-01 12:00:00 UTC


class _SnapshotsDir(pts.SVGImageExtension):
    @classmethod
    def dirname(cls, *, test_location) -> str:
        return str(SNAPSHOT_ROOT / Path(test_location.filepath).stem)


pts.SVGImageExtension = _SnapshotsDir


def pytest_configure(config: pytest.Config) -> None:
    if not getattr(config.option, "update_snapshots", False):
        config.option.warn_unused_snapshots = True


@pytest.fixture(autouse=True)
def _stable_ui(monkeypatch):
    """Frozen clock, no blinking cursors, no colour/theme overrides from the environment."""
    from textual.widgets import Input, TextArea

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TEXTUAL_THEME", raising=False)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)
    clock.freeze(FROZEN_AT)
    yield
    clock.freeze(None)


async def wait_for(pilot, condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    """Pause the pilot until ``condition()`` holds (fails after ``timeout`` seconds)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.02)


async def settled(pilot, frames: int = 3, timeout: float = 10.0) -> None:
    """Pause until the screen stops changing: ``frames`` screenshots in a row, 30 ms apart, identical.

    A snapshot taken right after the data arrived can catch a frame in which a
    widget shows its new content at its old size (the layout pass runs on the
    screen's next update, later under load). Call this last in ``run_before``,
    after waiting for the condition that says the data is all there.
    """
    deadline = asyncio.get_running_loop().time() + timeout
    last, same = None, 0
    while same < frames:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the screen kept changing")
        await pilot.pause(0.03)
        shot = pilot.app.export_screenshot()
        same = same + 1 if shot == last else 0
        last = shot


def rendered_text(widget) -> str:
    """What a ``Static`` shows, as plain text (its content printed at the widget's width)."""
    import io

    from rich.console import Console

    console = Console(width=max(widget.size.width, 40), file=io.StringIO(), record=True, color_system=None)
    console.print(widget.content)
    return console.export_text()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function):
    """Run ``async def`` tests of this folder in a fresh event loop (no asyncio plugin needed)."""
    if asyncio.iscoroutinefunction(pyfuncitem.obj):
        names = pyfuncitem._fixtureinfo.argnames
        kwargs = {name: pyfuncitem.funcargs[name] for name in names}
        asyncio.run(pyfuncitem.obj(**kwargs))
        return True
    return None
