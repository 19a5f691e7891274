"""Colours of the status words (:mod:`kpodtui.runstate`), shared by the runs list and the run header."""

from __future__ import annotations

PHASE_STYLES = {
    "Pending": "yellow",
    "Running": "bold cyan",
    "Succeeded": "bold green",
    "Failed": "bold red",
    "Killed": "bold red",
    "Skipped": "bold yellow",
    "Unknown": "magenta",
}
