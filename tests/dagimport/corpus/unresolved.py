"""What import leaves out and says so: Variables, connections, function calls, the environment,
XComs, loop variables, templates only Airflow renders, a dict changed after it was made."""

import os

from airflow import DAG
from airflow.hooks.base import BaseHook
from airflow.models import Variable
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator


def pick_image():
    return "busybox:1.36"


LABELS = {"app": "sync"}
LABELS["owner"] = "someone"

with DAG("sync_nightly", schedule=None) as dag:
    sync = KubernetesPodOperator(
        task_id="sync",
        image="busybox:1.36",
        cmds=["sh", "-c", "echo syncing $SOURCE"],
        env_vars={
            "SOURCE": "warehouse",
            "API_TOKEN": Variable.get("api_token"),
            "DB_HOST": BaseHook.get_connection("warehouse").host,
            "HOME_DIR": os.environ["HOME"],
        },
        labels=LABELS,
        namespace=Variable.get("namespace", default_var="default"),
        arguments=["--since", "{{ prev_ds }}"],
        service_account_name=pick_image(),
        startup_timeout_seconds=int(os.getenv("STARTUP", "120")),
    )

    for region in ["eu", "us"]:
        KubernetesPodOperator(
            task_id="report",
            image="busybox:1.36",
            cmds=["echo", region],
        )
