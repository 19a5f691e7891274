"""The older provider path (operators.kubernetes_pod) with its spellings, @dag with default_args
and params, a task group with its own default_args, the older Secret import."""

import pendulum
from airflow.decorators import dag, task_group
from airflow.kubernetes.secret import Secret
from airflow.providers.cncf.kubernetes.operators.kubernetes_pod import KubernetesPodOperator
from airflow.utils.task_group import TaskGroup

DEFAULTS = {"namespace": "reports", "image": "python:3.12-slim", "is_delete_operator_pod": True}


@dag(
    dag_id="weekly_reports",
    schedule="@weekly",
    start_date=pendulum.datetime(2024, 1, 1),
    default_args=DEFAULTS,
    params={"region": "eu"},
)
def reports(fmt="pdf", pages=10):
    render = KubernetesPodOperator(
        task_id="render",
        cmds=["python", "-m", "reports.render"],
        arguments=["--region", "{{ params.region }}", "--format", "{{ params.fmt }}"],
        resources={"request_memory": "256Mi", "request_cpu": "250m", "limit_memory": "512Mi"},
        node_selectors={"disk": "ssd"},
        is_delete_operator_pod=False,
        secrets=[Secret("volume", "/etc/reports", "reports-keys")],
    )

    with TaskGroup("deliver", default_args={"image": "curlimages/curl:8.8.0", "labels": {"group": "deliver"}}):
        KubernetesPodOperator(task_id="email", cmds=["curl"], arguments=["https://mail.internal/send"])
        KubernetesPodOperator(
            task_id="archive",
            cmds=["curl"],
            arguments=["-T", "report.pdf", "https://archive.internal/"],
            labels={"group": "archive"},
        )

    @task_group(group_id="cleanup")
    def cleanup():
        KubernetesPodOperator(task_id="tmp", cmds=["rm", "-rf", "/tmp/reports"])

    render >> cleanup()


reports()
