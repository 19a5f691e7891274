"""The newer provider path, a plain import, `with DAG(...)` holding default_args, client models by keyword."""

from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow.providers.cncf.kubernetes.secret import Secret
from kubernetes.client import models as k8s

REGISTRY = "registry.example.com/data"
VERSION = "2.3"
IMAGE = f"{REGISTRY}/etl:{VERSION}"
MODULE = "etl." + "extract"
BASE_ENV = {"LOG_LEVEL": "info", "REGION": "eu-west-1"}
TEAM_LABELS = {"team": "data", "tier": "batch"}

db_password = Secret("env", "DB_PASSWORD", "etl-db", "password")
tls_files = Secret(
    deploy_type="volume",
    deploy_target="/etc/tls",
    secret="etl-tls",
    items=[k8s.V1KeyToPath(key="tls.crt", path="cert.pem")],
)
all_settings = Secret("env", None, "etl-settings")

with DAG(
    dag_id="etl_daily",
    start_date=datetime(2024, 1, 1),
    schedule="@daily",
    default_args={
        "owner": "data",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "namespace": "etl",
        "image_pull_policy": "IfNotPresent",
        "labels": {"from": "defaults"},
    },
    params={"table": "events", "limit": 1000},
) as dag:
    extract = KubernetesPodOperator(
        task_id="extract",
        name="etl-extract",
        image=IMAGE,
        cmds=["python", "-m", MODULE],
        arguments=["--table", "{{ params.table }}", "--date", "{{ ds }}", "--limit", "{{ params.limit }}"],
        env_vars=[
            k8s.V1EnvVar(name="LOG_LEVEL", value=BASE_ENV["LOG_LEVEL"]),
            k8s.V1EnvVar(
                name="POD_IP",
                value_from=k8s.V1EnvVarSource(field_ref=k8s.V1ObjectFieldSelector(field_path="status.podIP")),
            ),
        ],
        labels={**TEAM_LABELS, "step": "extract"},
        annotations={"example.com/owner": "data-team"},
        secrets=[db_password, tls_files, all_settings],
        container_resources=k8s.V1ResourceRequirements(
            requests={"cpu": "500m", "memory": "512Mi"},
            limits={"memory": "1Gi"},
        ),
        volumes=[
            k8s.V1Volume(
                name="scratch",
                empty_dir=k8s.V1EmptyDirVolumeSource(size_limit="1Gi"),
            ),
            k8s.V1Volume(
                name="config",
                config_map=k8s.V1ConfigMapVolumeSource(name="etl-config", default_mode=0o444),
            ),
        ],
        volume_mounts=[
            k8s.V1VolumeMount(name="scratch", mount_path="/scratch"),
            k8s.V1VolumeMount(name="config", mount_path="/etc/etl", read_only=True, sub_path="etl"),
        ],
        tolerations=[k8s.V1Toleration(key="dedicated", operator="Equal", value="batch", effect="NoSchedule")],
        affinity=k8s.V1Affinity(
            node_affinity=k8s.V1NodeAffinity(
                required_during_scheduling_ignored_during_execution=k8s.V1NodeSelector(
                    node_selector_terms=[
                        k8s.V1NodeSelectorTerm(
                            match_expressions=[
                                k8s.V1NodeSelectorRequirement(key="pool", operator="In", values=["batch"]),
                            ]
                        )
                    ]
                )
            )
        ),
        security_context=k8s.V1PodSecurityContext(run_as_user=1000, fs_group=2000),
        container_security_context=k8s.V1SecurityContext(allow_privilege_escalation=False),
        image_pull_secrets=[k8s.V1LocalObjectReference(name="registry-creds")],
        ports=[k8s.V1ContainerPort(container_port=8080, name="metrics")],
        on_finish_action="delete_succeeded_pod",
        get_logs=True,
        do_xcom_push=True,
        startup_timeout_seconds=300,
        retries=3,
        execution_timeout=timedelta(hours=1),
    )

    publish = KubernetesPodOperator(
        task_id="publish",
        image=IMAGE,
        cmds=["sh", "-c"],
        arguments=["echo publishing {{ params.table }} for {{ ds }}\nexit 0"],
        labels={"step": "publish"},
        env_vars={"TARGET": "s3://bucket/" + "events", "DRY_RUN": "false"},
        node_selector={"kubernetes.io/arch": "amd64"},
        skip_on_exit_code=(99,),
        params={"table": "events_final"},
    )

    extract >> publish
