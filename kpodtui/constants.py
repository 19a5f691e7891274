"""Names the reference fixes and kpodtui keeps (see DESIGN.md, "Decisions already taken").

Each is written here once and imported wherever it is needed: the spec (the base
container's default name), the pod builder, the engine (the sidecar it reads
from, the label it patches, the pods it watches) and the app. This module
imports nothing, so every layer may use it.
"""

from __future__ import annotations

BASE_CONTAINER_NAME = "base"
ISTIO_CONTAINER_NAME = "istio-proxy"
POD_CHECKED_KEY = "already_checked"

XCOM_SIDECAR_NAME = "airflow-xcom-sidecar"
XCOM_MOUNT = "/airflow/xcom"
XCOM_VOLUME = "xcom"
XCOM_RESULT_FILE = XCOM_MOUNT + "/return.json"
# Pinned as the reference (10.25) pins it, so the pull policy defaults to IfNotPresent.
XCOM_SIDECAR_IMAGE = "alpine:3.24.2"
# Sleeps until SIGINT, then exits 0: the engine stops it after reading the result.
XCOM_SIDECAR_COMMAND = ["sh", "-c", 'trap "exit 0" INT; while true; do sleep 1; done;']
XCOM_SIDECAR_RESOURCES = {"requests": {"cpu": "1m", "memory": "10Mi"}}

# Run identity labels: the reference's keys (so its tooling and habits still
# apply) plus the standard managed-by marker that says which tool created the pod.
TASK_ID_LABEL = "task_id"
RUN_ID_LABEL = "run_id"
TRY_NUMBER_LABEL = "try_number"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "kpodtui"
#: the label selector of every pod kpodtui made (what the engine's shared pod watch lists)
MANAGED_SELECTOR = f"{MANAGED_BY_LABEL}={MANAGED_BY_VALUE}"
