"""Acting on a recorded run this process does not follow: its spec, and a kill from outside.

Shared by ``kpodtui attach`` / ``logs -f`` / ``kill`` and the app (a run detached,
or followed by another process).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def recorded_spec(record: Any) -> Any:
    """The spec a recorded run was launched from (its text as recorded, templates beside its
    file, the run's own task of a file holding several)."""
    from kpodtui.tasks import load_spec_text

    base_dir = Path(record.spec_path).parent if record.spec_path else None
    specs = load_spec_text(record.spec_text or "", source=record.spec_path or "<history>", base_dir=base_dir)
    return next((s for s in specs if s.task_id == record.task_id), specs[0])


def kill_recorded_run(history: Any, record: Any, api: Any) -> tuple[str, bool]:
    """Kill a live run from outside, as ``on_kill`` would: ``(what was done, pod deleted)``.

    The pod is deleted with the run's ``termination_grace_period`` unless its
    ``on_kill_action`` is ``keep_pod``; the process following the run (if any)
    sees ``kill_requested`` and judges it; if nobody follows it, the verdict is
    recorded here.
    """
    grace, on_kill = None, "delete_pod"
    try:
        spec = recorded_spec(record)
        grace, on_kill = spec.termination_grace_period, spec.on_kill_action
    except Exception:  # noqa: BLE001 - a spec that no longer loads: the defaults
        pass
    history.update_run(record.id, kill_requested=1)
    from kpodtui.engine.report import kill_report

    pod = f"{record.namespace}/{record.pod_name}" if record.pod_name else None
    if on_kill == "keep_pod" or not record.pod_name:
        deleted, fate = False, "kept"
    else:
        deleted = True
        fate = "deleted" if api.delete_pod(record.namespace, record.pod_name, grace) else "was already gone"
    report = kill_report(pod, fate)
    history.record_kill_if_unfollowed(record.id, report, deleted)
    return report, deleted
