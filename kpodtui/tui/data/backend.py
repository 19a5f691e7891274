"""The seam between the app and the rest of kpodtui (engine, history, spec, pod).

The app only ever talks to a :class:`Backend`, from thread workers (every
method may block on disk or network). :mod:`kpodtui.tui.data.engine_backend` adapts
the real engine; tests use a fake with fixed data. Keeping this seam small is
also what keeps the kubernetes client out of the app's import path: the real
backend is imported in a worker after the first frame.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the engine's event classes are not needed before the first frame
    from kpodtui.engine.events import LogLine, RunEvent

Subscriber = Callable[["RunEvent"], None]


@dataclass(frozen=True)
class TaskEntry:
    """One task found in a spec file (a file may hold several documents)."""

    path: Path
    task_id: str
    origin: str  # "sample", "user" or "given"
    index: int = 0
    error: str | None = None


@dataclass(frozen=True)
class RunRow:
    """One line of the run history."""

    run_id: str
    task_id: str
    state: str  # live state ("running", "pending"...) or outcome
    live: bool
    pod_name: str | None = None
    namespace: str | None = None
    context: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    exit_code: int | None = None
    spec_path: str | None = None


@dataclass
class RunDetails:
    """What history knows about a run, to show it without the engine."""

    row: RunRow
    outcome: str | None = None
    report: str | None = None
    xcom: Any = None
    containers: list[str] = field(default_factory=list)
    pod_deleted: bool = False
    reason: str | None = None  # kubectl's word for a failure (OOMKilled...), when recorded


class RunHandle(Protocol):
    """A run the app started or reattached to (events go to its subscriber)."""

    run_id: str

    def kill(self) -> None: ...

    def keep(self) -> None: ...

    def detach(self) -> None: ...


class Backend(Protocol):
    """Everything the app needs from the rest of kpodtui. All methods may block."""

    def list_runs(self, limit: int = 200) -> list[RunRow]: ...

    def get_run(self, run_id: str) -> RunDetails | None: ...

    def read_log(self, run_id: str) -> list[LogLine]: ...

    def launch(
        self, path: Path | None, text: str, task_id: str | None, overrides: Sequence[str], subscriber: Subscriber
    ) -> RunHandle: ...

    def reattach(self, run_id: str, subscriber: Subscriber) -> RunHandle: ...

    def kill(self, run_id: str) -> str | None: ...  # what was done, when said here

    def keep(self, run_id: str) -> None: ...

    def pod_yaml(self, run_id: str) -> str: ...

    def close(self) -> None: ...
