"""What the app tells its screens, as protocols.

The app finds the screens that show the tasks, the history or one run by what
they can do, not by their class: their modules load on first use (the first
frame needs only one screen), and the app never names a screen's class to find it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from kpodtui.tui.data.backend import RunRow, TaskEntry
    from kpodtui.tui.data.followed import FollowedRun


@runtime_checkable
class ShowsTasks(Protocol):
    """A screen listing the tasks found (the tasks screen)."""

    def show_tasks(self, entries: list[TaskEntry]) -> None: ...


@runtime_checkable
class ShowsRuns(Protocol):
    """A screen listing the history (the runs screen); ``following``: the runs followed live here."""

    def show_runs(self, rows: list[RunRow], following: set[str]) -> None: ...


@runtime_checkable
class ShowsRun(Protocol):
    """A screen showing one run (the run view)."""

    run_id: str

    def attach(self, followed: FollowedRun) -> None: ...

    def model_changed(self, changes: set[str]) -> None: ...
