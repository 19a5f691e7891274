"""The app's wall clock, in one place so tests (and snapshots) can freeze it."""

from __future__ import annotations

import time

_frozen: float | None = None


def now() -> float:
    """Seconds since the epoch, or the frozen time when tests froze it."""
    return _frozen if _frozen is not None else time.time()


def freeze(at: float | None) -> None:
    """Freeze the clock at ``at`` (``None`` unfreezes)."""
    global _frozen
    _frozen = at


def format_duration(seconds: float | None) -> str:
    """``42s``, ``3m05s``, ``1h02m``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"
