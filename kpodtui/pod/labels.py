"""Labels that identify a run, and the selector that finds its pod again."""

from __future__ import annotations

from dataclasses import dataclass

from kpodtui.constants import (
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    POD_CHECKED_KEY,
    RUN_ID_LABEL,
    TASK_ID_LABEL,
    TRY_NUMBER_LABEL,
)
from kpodtui.pod.names import make_safe_label_value
from kpodtui.spec.taskspec import TaskSpec


@dataclass(frozen=True)
class RunIdentity:
    """Which run a pod belongs to: the run id and the try (1 for the first)."""

    run_id: str
    try_number: int = 1


def run_labels(spec: TaskSpec, identity: RunIdentity, *, include_try_number: bool = True) -> dict[str, str]:
    """``task_id``, ``run_id``, ``try_number`` (values sanitised as the reference does) and
    ``app.kubernetes.io/managed-by: kpodtui``. They override user labels of the same key."""
    labels = {
        TASK_ID_LABEL: make_safe_label_value(spec.task_id),
        RUN_ID_LABEL: make_safe_label_value(identity.run_id),
    }
    if include_try_number:
        labels[TRY_NUMBER_LABEL] = make_safe_label_value(str(identity.try_number))
    labels[MANAGED_BY_LABEL] = MANAGED_BY_VALUE
    return labels


def reattach_selector(spec: TaskSpec, identity: RunIdentity) -> str:
    """Label selector for this run's pod on any try: the spec's labels and the run labels
    without ``try_number``, sorted ``k=v`` joined by commas, then ``already_checked!=True``
    so pods already judged are never adopted again."""
    labels = {**(spec.labels or {}), **run_labels(spec, identity, include_try_number=False)}
    parts = [f"{k}={v}" for k, v in sorted(labels.items())]
    parts.append(f"{POD_CHECKED_KEY}!=True")
    return ",".join(parts)
