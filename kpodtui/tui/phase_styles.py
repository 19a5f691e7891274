"""Colours of run phases and outcomes, shared by the runs table and the run header."""

from __future__ import annotations

PHASE_STYLES = {
    "Pending": "yellow",
    "Running": "bold cyan",
    "Succeeded": "bold green",
    "succeeded": "bold green",
    "Failed": "bold red",
    "failed": "bold red",
    "killed": "bold red",
    "skipped": "bold yellow",
    "Unknown": "magenta",
}
