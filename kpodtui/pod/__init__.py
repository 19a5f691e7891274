"""Rendered task spec -> pod manifest: pure functions, no network, no clock.

Run identity labels are the reference's ``task_id``, ``run_id``, ``try_number``
(values sanitised as the reference sanitises them) plus
``app.kubernetes.io/managed-by: kpodtui``. ``already_checked`` is never set at
creation; the engine patches it after judging a pod.
"""

from __future__ import annotations

from kpodtui.constants import (
    BASE_CONTAINER_NAME,
    ISTIO_CONTAINER_NAME,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    POD_CHECKED_KEY,
    RUN_ID_LABEL,
    TASK_ID_LABEL,
    TRY_NUMBER_LABEL,
    XCOM_MOUNT,
    XCOM_RESULT_FILE,
    XCOM_SIDECAR_NAME,
)
from kpodtui.pod.builder import build_pod
from kpodtui.pod.labels import RunIdentity, reattach_selector, run_labels
from kpodtui.pod.manifest import manifest_json, manifest_yaml
from kpodtui.pod.names import make_safe_label_value

__all__ = [
    "BASE_CONTAINER_NAME", "ISTIO_CONTAINER_NAME", "MANAGED_BY_LABEL", "MANAGED_BY_VALUE",
    "POD_CHECKED_KEY", "RUN_ID_LABEL", "TASK_ID_LABEL", "TRY_NUMBER_LABEL", "XCOM_MOUNT",
    "XCOM_RESULT_FILE", "XCOM_SIDECAR_NAME", "RunIdentity", "build_pod", "make_safe_label_value",
    "manifest_json", "manifest_yaml", "reattach_selector", "run_labels",
]
