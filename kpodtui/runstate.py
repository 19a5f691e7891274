"""How a run's state and length read, in the same words everywhere (app, ``kpodtui runs``, JSON).

- :func:`run_status`: one word, capitalised as kubectl's pod phases: the pod's phase
  while the run lives (``Pending``, ``Running``...), then its outcome (``Succeeded``,
  ``Failed``, ``Skipped``, ``Killed``);
- :func:`run_duration`: from the run's own start (its launch) to its own end (to now
  while it lives), never from when a front end happened to look;
- :func:`format_duration`: ``42s``, ``3m05s``, ``1h02m``.
"""

from __future__ import annotations

import time

STATUS_WORDS = {"succeeded": "Succeeded", "failed": "Failed", "skipped": "Skipped", "killed": "Killed"}
#: said after the status of a live run that no kpodtui process follows
DETACHED = "detached"


def run_status(live: bool, phase: str | None, outcome: str | None) -> str:
    """The run's status word (see the module docstring)."""
    if not live:
        return STATUS_WORDS.get(outcome or "", (outcome or "Finished").capitalize())
    if not phase or phase in ("Deleted", "live"):
        return "Pending"
    return phase[:1].upper() + phase[1:]


def run_duration(started: float | None, finished: float | None, live: bool, now: float | None = None) -> float | None:
    """Seconds from ``started`` to ``finished`` (to ``now``, default the wall clock, while live)."""
    if not started:
        return None
    if finished is None:
        if not live:
            return None
        finished = now if now is not None else time.time()
    return max(0.0, finished - started)


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
