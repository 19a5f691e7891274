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
    state: str  # the status word (kpodtui.runstate): "Running", "Pending"... or "Succeeded", "Failed"...
    live: bool
    pod_name: str | None = None
    namespace: str | None = None
    context: str | None = None
    started_at: float | None = None  # the run's start (its launch)
    finished_at: float | None = None
    exit_code: int | None = None
    spec_path: str | None = None
    reason: str | None = None  # kubectl's word for why (OOMKilled, ErrImagePull, DeadlineExceeded...)
    overrides: tuple[str, ...] = ()  # the --set items it was launched with
    detached: bool = False  # live, and no kpodtui process follows it
    keep: bool = False  # its pod is kept when it ends (keep_pod, or a keep)
    pod_left: bool = False  # finished, and its pod was not deleted (kpodtui delete / x removes it)


@dataclass
class RunDetails:
    """What history knows about a run, to show it without the engine."""

    row: RunRow
    outcome: str | None = None
    report: str | None = None
    xcom: Any = None
    containers: list[str] = field(default_factory=list)  # in the pod's order (init containers first)
    pod_deleted: bool = False
    reason: str | None = None  # kubectl's word for a failure (OOMKilled...), when recorded


class RunHandle(Protocol):
    """A run the app started or reattached to (events go to its subscriber)."""

    run_id: str

    def kill(self) -> None: ...

    def keep(self, keep: bool = True) -> None: ...

    def detach(self) -> None: ...


Target = tuple[str | None, str]  # (context, namespace) where launches go


class Backend(Protocol):
    """Everything the app needs from the rest of kpodtui. All methods may block."""

    def list_runs(self, limit: int = 200) -> list[RunRow]: ...

    def history_changed(self) -> bool: ...  # another process (or a run here) changed the run table

    def get_run(self, run_id: str) -> RunDetails | None: ...

    def read_log(self, run_id: str) -> list[LogLine]: ...

    def launch(
        self, path: Path | None, text: str, task_id: str | None, overrides: Sequence[str], subscriber: Subscriber
    ) -> RunHandle: ...

    def reattach(self, run_id: str, subscriber: Subscriber) -> RunHandle: ...

    def kill(self, run_id: str) -> str | None: ...  # what was done, when said here

    def keep(self, run_id: str, keep: bool = True) -> None: ...

    def delete_pod(self, run_id: str) -> str: ...  # the pod a finished run kept; what was done

    def pod_yaml(self, run_id: str) -> str: ...  # the live pod, else the manifest recorded

    def describe(self, run_id: str) -> str: ...  # kubectl describe pod (live, else as recorded)

    def previous_log(self, run_id: str, container: str) -> list[LogLine]: ...

    def containers(self, run_id: str) -> list[tuple[str, str]]: ...  # (name, state) of the live pod's containers

    def shell(self, run_id: str, container: str, command: list[str]) -> tuple[int, str | None]: ...  # in the terminal

    def target(self) -> Target: ...

    def contexts(self) -> list[str]: ...

    def namespaces(self) -> list[str]: ...  # best effort ([] when listing is refused)

    def set_target(self, context: str | None, namespace: str | None) -> Target: ...

    def close(self) -> None: ...
