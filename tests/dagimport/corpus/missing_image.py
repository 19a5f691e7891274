"""An image only known at run time: the spec cannot be valid without it."""

from airflow import DAG
from airflow.models import Variable
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

with DAG("train_model", schedule=None) as dag:
    train = KubernetesPodOperator(
        task_id="train",
        image=Variable.get("trainer_image"),
        cmds=["python", "train.py"],
        arguments=["--epochs", "{{ dag_run.conf['epochs'] }}"],
    )
