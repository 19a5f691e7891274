"""History records as the runs screen shows them (needs only sqlite, not the engine)."""

from __future__ import annotations

import dataclasses
from typing import Any

from kpodtui.tui.data.backend import RunRow


def row_of(record: Any) -> RunRow:
    """A :class:`RunRow` from a :class:`kpodtui.history.RunRecord`."""
    state = (record.phase or "live") if record.live else (record.outcome or record.state)
    return RunRow(
        run_id=record.id,
        task_id=record.task_id,
        state=state,
        live=record.live,
        pod_name=record.pod_name,
        namespace=record.namespace,
        context=record.context,
        started_at=record.started_at or record.created_at or None,
        finished_at=record.finished_at,
        exit_code=record.exit_code,
        spec_path=record.spec_path,
    )


def rows_from_history(history: Any, limit: int = 200) -> list[RunRow]:
    return [row_of(r) for r in history.list_runs(limit=limit, live_first=True)]


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
    )
