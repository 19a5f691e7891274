"""The app's wall clock, in one place so tests (and snapshots) can freeze it."""

from __future__ import annotations

import time

from kpodtui.runstate import format_duration

__all__ = ["format_duration", "freeze", "now"]

_frozen: float | None = None


def now() -> float:
    """Seconds since the epoch, or the frozen time when tests froze it."""
    return _frozen if _frozen is not None else time.time()


def freeze(at: float | None) -> None:
    """Freeze the clock at ``at`` (``None`` unfreezes)."""
    global _frozen
    _frozen = at
