"""Airflow 1.10: the contrib operator and its Volume, VolumeMount, Port and Secret objects;
default_args as a module-level name given to `with DAG(...)`."""

from datetime import datetime

from airflow.contrib.kubernetes.pod import Port
from airflow.contrib.kubernetes.pod_runtime_info_env import PodRuntimeInfoEnv
from airflow.contrib.kubernetes.secret import Secret
from airflow.contrib.kubernetes.volume import Volume
from airflow.contrib.kubernetes.volume_mount import VolumeMount
from airflow.contrib.operators import kubernetes_pod_operator
from airflow.models import DAG

default_args = {
    "owner": "legacy",
    "start_date": datetime(2019, 1, 1),
    "namespace": "legacy",
    "in_cluster": True,
}

volume = Volume(name="shared", configs={"persistentVolumeClaim": {"claimName": "legacy-shared"}})
volume_mount = VolumeMount("shared", mount_path="/shared", sub_path=None, read_only=False)
port = Port("http", 8000)
pod_ip = PodRuntimeInfoEnv("MY_POD_IP", "status.podIP")
secret_env = Secret("env", "API_KEY", "legacy-api", "key")

with DAG("legacy_nightly", default_args=default_args, schedule_interval="@daily") as dag:
    nightly = kubernetes_pod_operator.KubernetesPodOperator(
        task_id="nightly",
        name="nightly",
        image="legacy/nightly:0.9",
        cmds=["/bin/run.sh"],
        arguments=["--full"],
        volumes=[volume],
        volume_mounts=[volume_mount],
        ports=[port],
        pod_runtime_info_envs=[pod_ip],
        secrets=[secret_env],
        resources={"limit_cpu": "2", "limit_memory": "2Gi"},
        get_logs=True,
        xcom_push=False,
    )
