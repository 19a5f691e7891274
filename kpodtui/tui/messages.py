"""Messages workers post back to the app thread (small dataclasses named for what happened)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from kpodtui.tui.data.backend import RunDetails, RunRow, TaskEntry


@dataclass
class BackendReady(Message):
    """The engine (and the kubernetes client) finished loading; ``error`` if it could not."""

    error: str | None = None


@dataclass
class RunsLoaded(Message):
    rows: list[RunRow]


@dataclass
class TasksLoaded(Message):
    entries: list[TaskEntry]


@dataclass
class RunAttached(Message):
    """A run was launched or reattached; its events now flow into the app."""

    run_id: str
    reattached: bool


@dataclass
class RunDetailsLoaded(Message):
    """A finished run's record and log lines were read from history."""

    record: RunDetails
    lines: list


@dataclass
class ActionFailed(Message):
    what: str
    error: str


@dataclass
class Notice(Message):
    text: str
    severity: str = "information"
