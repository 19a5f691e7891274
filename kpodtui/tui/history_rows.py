"""History records as the runs screen shows them (needs only sqlite, not the engine)."""

from __future__ import annotations

from typing import Any

from kpodtui.tui.backend import RunRow


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
