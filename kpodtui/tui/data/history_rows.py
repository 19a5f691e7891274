"""History records as the runs screen shows them (needs only sqlite, not the engine)."""

from __future__ import annotations

import dataclasses
from typing import Any

from kpodtui.tui.data.backend import RunRow


def row_of(record: Any, detached: bool = False) -> RunRow:
    """A :class:`RunRow` from a :class:`kpodtui.history.RunRecord` (``detached``: nobody follows it)."""
    return RunRow(
        run_id=record.id,
        task_id=record.task_id,
        state=record.status,
        live=record.live,
        pod_name=record.pod_name,
        namespace=record.namespace,
        context=record.context,
        started_at=record.created_at or None,
        finished_at=record.finished_at,
        exit_code=record.exit_code,
        spec_path=record.spec_path,
        reason=record.reason or (record.phase if record.live and record.phase == "Unknown" else None),
        overrides=tuple(record.overrides),
        detached=record.live and detached,
        keep=record.on_finish_action == "keep_pod",
        pod_left=not record.live and bool(record.pod_name) and not record.pod_deleted,
    )


def rows_from_history(history: Any, limit: int = 200) -> list[RunRow]:
    """The newest runs, live ones first (a live run's lock says whether anyone follows it)."""
    return [row_of(r, r.live and history.run_lock(r.id).is_free())
            for r in history.list_runs(limit=limit, live_first=True)]


def live_row(row: RunRow, model: Any) -> RunRow:
    """``row`` as the app's live model of that run (a :class:`kpodtui.tui.data.run_model.RunModel`) sees it now.

    History writes a live run's phase once, when the pod is made: for a run the app
    follows, its state, end and exit code come from the model. Once history has the
    outcome, history is the reference.
    """
    if not row.live:
        return row
    finished = model.finished
    return dataclasses.replace(
        row,
        state=model.display_phase,
        live=model.live,
        pod_name=row.pod_name or model.pod_name,
        namespace=row.namespace or model.namespace,
        started_at=row.started_at or model.started_at,
        finished_at=model.finished_at if finished is not None else row.finished_at,
        exit_code=finished.exit_code if finished is not None else row.exit_code,
        reason=(finished.detail.get("reason") if finished is not None else model.reason) or row.reason,
        detached=False,  # followed here
    )
