"""The runs the app shows: followed live, or opened from the history.

A :class:`FollowedRun` pairs one run's :class:`~.run_model.RunModel` with the
:class:`~.run_model.RunFeed` the engine writes its events to and the
:class:`~.backend.RunHandle` that acts on it (kill, keep, detach). A run opened
from the history has no handle and an idle feed; a run this app stops following
(detach) stays viewable that way until it is reattached.

:class:`FollowedRuns` keeps them and folds what the engine delivered into the
models once per frame (:meth:`FollowedRuns.drain`). It lives on the app thread
only; the engine's threads only ever touch the feeds.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kpodtui import paths
from kpodtui.loglines import SAVED_LAYOUT, Line, LogLine
from kpodtui.tui.data.backend import RunDetails, RunHandle, RunRow

if TYPE_CHECKING:  # the run model (and the engine's event classes) load with the first run
    from kpodtui.tui.data.run_model import RunFeed, RunModel

#: lines a frame takes from one run's feed at most (appending them costs ~1 ms; with a
#: filter or a search on, indexing them is per line): the rest waits, shown as "behind"
DRAIN_LINES = 100_000


@dataclass
class FollowedRun:
    """A run the app shows: its model, the inbox the engine writes to, its handle (live only)."""

    model: RunModel
    feed: RunFeed
    handle: RunHandle | None = None


class FollowedRuns:
    """Runs followed live (with a handle) and runs opened from the history (without)."""

    def __init__(self) -> None:
        self._live: dict[str, FollowedRun] = {}
        self._opened: dict[str, FollowedRun] = {}  # finished (or detached) runs opened for reading

    # -- reading -------------------------------------------------------------------------

    def get(self, run_id: str) -> FollowedRun | None:
        """The run as the app shows it, followed live or opened from the history."""
        return self._live.get(run_id) or self._opened.get(run_id)

    def followed(self, run_id: str) -> FollowedRun | None:
        """The run, if this app follows it live."""
        return self._live.get(run_id)

    def is_followed(self, run_id: str) -> bool:
        return run_id in self._live

    def followed_ids(self) -> set[str]:
        return set(self._live)

    def ended_since_detached(self, rows: Sequence[RunRow]) -> list[str]:
        """Runs let go of here while live (detached) that ``rows`` (the history) says have ended:
        killed from the runs list, or followed to their end by another process. Their views still
        show them live until they are read again from the history."""
        return [row.run_id for row in rows
                if not row.live and (opened := self._opened.get(row.run_id)) is not None and opened.model.live]

    def live(self) -> list[FollowedRun]:
        """Runs followed here that are still live (what quitting asks about)."""
        return [f for f in self._live.values() if f.model.live and f.handle is not None]

    # -- changing --------------------------------------------------------------------------

    def follow(self, handle: RunHandle, feed: RunFeed, task_id: str, spec_path: str | None,
               reattached: bool, details: RunDetails | None = None, overrides: Sequence[str] = ()) -> FollowedRun:
        """A run launched or reattached here: its events now flow into a new model. A reattached
        run's ``details`` (its record) give what is known before the first event: its start, its
        pod and its containers in the pod's order, its overrides, whether it is kept."""
        # the run model (and the engine's event classes) load with the first run, not before the first frame
        from kpodtui.tui.data.run_model import RunModel

        old = self._opened.pop(handle.run_id, None)
        model = RunModel(handle.run_id, task_id=task_id, spec_path=spec_path, overrides=tuple(overrides))
        followed = FollowedRun(model, feed, handle)
        if details is not None:
            row = details.row
            model.started_at = row.started_at or model.started_at
            model.pod_name, model.namespace, model.context = row.pod_name, row.namespace, row.context
            model.overrides, model.keep = tuple(row.overrides), row.keep
            model.phase = row.state
            for name in details.containers:  # the pod's order, before the lines on disk come in
                model.add_container(name)
        elif old is not None:
            model.started_at = old.model.started_at
        model.reattached = reattached
        self._live[handle.run_id] = followed
        return followed

    def open_from_history(self, details: RunDetails, lines: Sequence[LogLine]) -> FollowedRun:
        """A run opened from the history (its logs from disk, its recorded verdict)."""
        from kpodtui.tui.data.run_model import RunFeed, RunModel  # (as in follow)

        opened = FollowedRun(RunModel.of_history(details, lines), RunFeed())
        self._opened[details.row.run_id] = opened
        return opened

    def unfollow(self, run_id: str) -> tuple[FollowedRun, set[str]] | None:
        """Stop following a run (detached): it stays viewable, without a handle; what changed."""
        followed = self._live.pop(run_id, None)
        if followed is None:
            return None
        from kpodtui.tui.data.run_model import HEADER, LOGS, OUTCOME  # loaded: a run was followed
        changes = followed.model.apply(followed.feed.drain())  # what came before the engine let go
        followed.model.behind = 0
        followed.handle = None
        followed.model.detached = True
        self._opened[run_id] = followed  # still viewable; a reattach replaces it
        return followed, changes | {HEADER, OUTCOME, LOGS}

    def drain(self) -> dict[str, set[str]]:
        """Fold what the engine delivered since the last call into the models; what changed, by run."""
        from kpodtui.tui.data.run_model import LOGS  # loaded: a run is followed

        changed: dict[str, set[str]] = {}
        for run_id, followed in list(self._live.items()):
            feed, model = followed.feed, followed.model
            events = feed.drain(max_lines=DRAIN_LINES)
            behind = feed.pending_lines
            if events or behind != model.behind:
                changes = model.apply(events)
                if behind != model.behind:
                    model.behind = behind
                    changes.add(LOGS)
                changed[run_id] = changes
        return changed

    def __bool__(self) -> bool:
        """Whether any run is followed live (nothing to drain otherwise)."""
        return bool(self._live)


def save_log(run_id: str, lines: Sequence[Line]) -> Path:
    """Write a run's whole log (``timestamp [container] text``) under the saved-logs folder."""
    folder = paths.saved_logs_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    dest = folder / f"{run_id}.log"
    # private, as everything kpodtui writes (a log may hold what a task should not show others)
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # (a file saved before, with wider rights)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(SAVED_LAYOUT.join(lines))
    return dest
