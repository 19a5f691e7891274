"""The operator under an alias and through module aliases; models positional, imported three ways;
default_args as a module-level name given to DAG(...); tasks attached with dag=."""

import airflow.providers.cncf.kubernetes.operators.pod as kpod
import kubernetes.client as kc
import pendulum
from airflow.models.dag import DAG
from airflow.providers.cncf.kubernetes.operators import pod
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator as KPO
from kubernetes.client import V1EnvVar, V1Toleration
from kubernetes.client import models as k8s

ARGS = {
    "owner": "ops",
    "namespace": "ops",
    "image": "busybox:1.36",
    "startup_timeout_seconds": 60,
    "env_vars": {"FROM_DEFAULTS": "yes"},
}
DAG_ID = "ops_" + "checks"

dag = DAG(DAG_ID, default_args=ARGS, schedule=None, start_date=pendulum.datetime(2024, 1, 1))

ping = KPO(
    task_id="ping",
    cmds=["sh", "-c", "ping -c 1 db"],
    env_vars=[V1EnvVar("TARGET", "db"), k8s.V1EnvVar("COUNT", "1")],
    tolerations=[V1Toleration("NoSchedule", "dedicated", "Equal", None, "ops")],
    image_pull_secrets=[kc.V1LocalObjectReference("regcred")],
    ports=[k8s.V1ContainerPort(9090)],
    dag=dag,
)

disk = kpod.KubernetesPodOperator(
    task_id="disk",
    image="alpine:3.20",
    cmds=["df", "-h"],
    dag=dag,
)

dns = pod.KubernetesPodOperator(
    task_id="dns",
    arguments=["nslookup", "kubernetes.default"],
    host_aliases=[kc.models.V1HostAlias(["db.internal"], "10.0.0.1")],
    dag=dag,
)
