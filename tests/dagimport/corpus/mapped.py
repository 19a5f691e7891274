"""Dynamic task mapping: partial(...).expand(...) and expand_kwargs; the call's own default_args
and params over the DAG's (Airflow 3's airflow.sdk)."""

from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow.sdk import DAG

SHARDS = [["--shard", str(n)] for n in range(4)]

with DAG(
    "backfill",
    default_args={"namespace": "backfill", "image": "backfill:1", "params": {"source": "dag-defaults"}},
    params={"source": "dag", "batch": 100},
):
    shards = KubernetesPodOperator.partial(
        task_id="shard",
        cmds=["backfill"],
        get_logs=True,
        default_args={"namespace": "backfill-shards", "params": {"batch": 500}},
        params={"batch": 200, "mode": "fast"},
    ).expand(arguments=SHARDS)

    regions = KubernetesPodOperator.partial(task_id="region", image="backfill:2").expand_kwargs(
        [{"arguments": ["eu"]}, {"arguments": ["us"], "labels": {"region": "us"}}]
    )
