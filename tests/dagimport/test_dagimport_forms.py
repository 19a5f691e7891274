"""The forms a DAG writes, one rule at a time: import paths, Airflow's default_args and params
precedence, every model of the kubernetes client, constants and expressions, what is left out."""

from __future__ import annotations

import ast
import textwrap

import pytest

from kpodtui.spec.dagimport import DagImportError, ImportedTask, import_source

HEAD = "from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator as KPO\n"


def tasks(source: str, head: str = HEAD) -> list[ImportedTask]:
    return import_source(head + textwrap.dedent(source), "dag.py").tasks


def one(source: str, head: str = HEAD) -> ImportedTask:
    (task,) = tasks(source, head)
    return task


@pytest.mark.parametrize("head, call", [
    ("from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator", "KubernetesPodOperator"),
    ("from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator as K", "K"),
    ("import airflow.providers.cncf.kubernetes.operators.pod as p", "p.KubernetesPodOperator"),
    ("from airflow.providers.cncf.kubernetes.operators import pod", "pod.KubernetesPodOperator"),
    ("import airflow", "airflow.providers.cncf.kubernetes.operators.pod.KubernetesPodOperator"),
    ("from airflow.providers.cncf.kubernetes.operators.kubernetes_pod import KubernetesPodOperator",
     "KubernetesPodOperator"),
    ("from airflow.contrib.operators.kubernetes_pod_operator import KubernetesPodOperator as Old", "Old"),
    ("from airflow.providers.cncf.kubernetes.operators.pod import *", "KubernetesPodOperator"),
])
def test_every_way_of_importing_the_operator_finds_the_call(head, call):
    task = one(f"{call}(task_id='t', image='busybox')\n", head + "\n")
    assert task.values == {"task_id": "t", "image": "busybox"}


def test_other_operators_and_local_look_alikes_are_not_pod_operator_calls():
    source = ("from airflow.operators.bash import BashOperator\n"
              "class KubernetesPodOperator:\n    pass\n"
              "BashOperator(task_id='b', bash_command='echo')\nKubernetesPodOperator()\n")
    with pytest.raises(DagImportError, match="no KubernetesPodOperator call"):
        import_source(source, "dag.py")


DAG_FORMS = {
    "DAG(default_args=...) and dag=": """
        from airflow import DAG
        d = DAG("x", default_args={"namespace": "dag", "image": "dag-image", "labels": {"a": "dag"}})
        KPO(task_id="t", image="mine", dag=d)
    """,
    "with DAG(...)": """
        from airflow.models import DAG
        with DAG(dag_id="x", default_args={"namespace": "dag", "image": "dag-image", "labels": {"a": "dag"}}):
            KPO(task_id="t", image="mine")
    """,
    "@dag": """
        from airflow.decorators import dag
        @dag(default_args={"namespace": "dag", "image": "dag-image", "labels": {"a": "dag"}})
        def x():
            KPO(task_id="t", image="mine")
        x()
    """,
}


@pytest.mark.parametrize("form", list(DAG_FORMS))
def test_dag_default_args_fill_what_the_call_does_not_pass(form):
    task = one(DAG_FORMS[form])
    assert task.values == {"task_id": "t", "image": "mine", "namespace": "dag", "labels": {"a": "dag"}}
    assert task.dag is not None and task.dag.dag_id == "x"
    assert task.from_defaults == ["namespace", "labels"]


def test_precedence_dag_then_groups_then_the_calls_default_args_then_its_arguments():
    task = one("""
        from airflow import DAG
        from airflow.utils.task_group import TaskGroup
        with DAG("x", default_args={"namespace": "dag", "image": "dag", "hostname": "dag", "labels": {"l": "dag"},
                                    "annotations": {"a": "dag"}}):
            with TaskGroup("outer", default_args={"image": "outer", "hostname": "outer", "labels": {"l": "outer"}}):
                with TaskGroup("inner", default_args={"hostname": "inner", "labels": {"l": "inner"}}):
                    KPO(task_id="t", labels={"l": "call"}, namespace=None,
                        default_args={"labels": {"l": "task"}, "annotations": {"a": "task"}})
    """)
    # namespace=None is passed, so no default fills it (and None is the spec's default)
    assert task.values == {"task_id": "outer.inner.t", "labels": {"l": "call"}, "image": "outer",
                           "hostname": "inner", "annotations": {"a": "task"}}


def test_a_group_without_its_prefix_passes_the_parents_on():
    task = one("""
        from airflow.sdk import DAG, TaskGroup
        with DAG("x"):
            with TaskGroup("outer"):
                with TaskGroup("flat", prefix_group_id=False):
                    KPO(task_id="t", image="i")
    """)
    assert task.task_id == "outer.t"


def test_params_precedence_as_airflow_merges_them():
    task = one("""
        from airflow.decorators import dag
        from airflow.models.param import Param
        @dag(params={"a": "dag", "b": "dag", "c": "dag", "d": "dag", "e": "dag"},
             default_args={"params": {"b": "dag-defaults", "c": "dag-defaults", "d": "dag-defaults",
                                      "e": "dag-defaults"}})
        def x(c="function", d="function", e="function"):
            KPO(task_id="t", image="i", params={"d": "task", "e": Param("task", type="string")},
                default_args={"params": {"e": "task-defaults"}})
    """)
    assert task.values["params"] == {"a": "dag", "b": "dag-defaults", "c": "function", "d": "task",
                                     "e": "task-defaults"}


def test_constants_and_simple_expressions_of_them():
    task = one("""
        import os.path
        from pathlib import Path
        BASE = "registry.example.com"
        TAG = "1.2"
        N = 3
        IMAGE = BASE + "/app:" + TAG
        ARGS = ["--n", str(N)] + ["--v"] * 2
        ENV = {"A": "1"}
        MODE = "prod"
        KPO(
            task_id=f"t_{N:02d}",
            image=IMAGE,
            cmds=["run", f"{BASE!r}", "%s-%d" % (TAG, N), "{}/{}".format(BASE, TAG), ",".join(["a", "b"])],
            arguments=[*ARGS, "--last"],
            env_vars={**ENV, "B": ENV["A"] * 2, "C": "yes" if MODE == "prod" else "no", "D": TAG.upper()},
            startup_timeout_seconds=60 * 10,
            pod_template_file=os.path.join(os.path.dirname(__file__), "pod.yaml"),
            config_file=str(Path(__file__).parent / "kube" / "config"),
        )
    """)
    assert task.values == {
        "task_id": "t_03",
        "image": "registry.example.com/app:1.2",
        "cmds": ["run", "'registry.example.com'", "1.2-3", "registry.example.com/1.2", "a,b"],
        "arguments": ["--n", "3", "--v", "--v", "--last"],
        "env_vars": {"A": "1", "B": "11", "C": "yes", "D": "1.2"},
        "startup_timeout_seconds": 600,
        "pod_template_file": "pod.yaml",  # import_source without a path: __file__ is "dag.py"
        "config_file": "kube/config",
    }


def test_dunder_file_is_the_dag_files_own_path(tmp_path):
    from kpodtui.spec.dagimport import import_dag

    dag = tmp_path / "dags" / "d.py"
    dag.parent.mkdir()
    dag.write_text(HEAD + "import os\nKPO(task_id='t', image='i', "
                          "pod_template_file=os.path.join(os.path.dirname(__file__), 'pod.yaml'))\n")
    (task,) = import_dag(dag).tasks
    assert task.values["pod_template_file"] == str(dag.parent.resolve() / "pod.yaml")


def test_every_model_of_the_installed_client_by_keyword_and_by_position():
    """Not a hand list: every model, each field under its API name from the client's attribute_map."""
    import kubernetes.client.models as models

    samples = {"str": "'x'", "int": "7", "bool": "True", "float": "1.5", "object": "'o'", "datetime": "'d'"}
    calls, expected = [], []
    for name in sorted(dir(models)):
        cls = getattr(models, name)
        types = getattr(cls, "openapi_types", None)
        if not isinstance(cls, type) or not types:
            continue
        values = {a: samples.get(t, "[]" if t.startswith("List[") else "{}") for a, t in types.items()}
        kw = ", ".join(f"{a}={v}" for a, v in values.items())
        pos = ", ".join(values.values())
        calls += [f"k8s.{name}({kw})", f"k8s.{name}({pos})"]
        want = {cls.attribute_map[a]: ast.literal_eval(v) for a, v in values.items()}
        expected += [want, want]
    task = one(f"KPO(task_id='t', image='i', init_containers=[{', '.join(calls)}])\n",
               HEAD + "from kubernetes.client import models as k8s\n")
    assert task.unresolved == []
    assert len(expected) > 1000
    assert task.values["init_containers"] == expected


def test_a_positional_argument_that_does_not_fit_its_field_is_refused_not_misplaced():
    task = one("from kubernetes.client import V1VolumeMount\n"
               "KPO(task_id='t', image='i', volume_mounts=[V1VolumeMount('data', '/data')])\n")
    (u,) = task.unresolved
    assert u.name == "volume_mounts"
    assert u.why.startswith("positional argument 1 of V1VolumeMount() is its field bind_mount_options "
                            "(List[str]) in the installed kubernetes client")
    assert u.why.endswith("'data' does not fit it: write it as a keyword argument")
    assert "volume_mounts" not in task.values


def test_unknown_models_and_fields():
    task = one("from kubernetes.client import models as k8s\n"
               "KPO(task_id='t', image='i', affinity=k8s.V1Affinty(), "
               "ports=[k8s.V1ContainerPort(container_port=80, future_field='x')])\n")
    assert [u.name for u in task.unresolved] == ["affinity"]
    assert "V1Affinty is not a model of the installed kubernetes client" in task.unresolved[0].why
    assert task.values["ports"] == [{"containerPort": 80, "futureField": "x"}]
    assert "V1ContainerPort has no field 'future_field'" in task.notes[0][2]


def test_the_providers_on_finish_action_enum():
    task = one("from airflow.providers.cncf.kubernetes.utils.pod_manager import OnFinishAction\n"
               "KPO(task_id='t', image='i', on_finish_action=OnFinishAction.DELETE_SUCCEEDED_POD)\n")
    assert task.values["on_finish_action"] == "delete_succeeded_pod"


def test_secret_forms():
    task = one("""
        from airflow.providers.cncf.kubernetes.secret import Secret
        from kubernetes.client import models as k8s
        KPO(task_id="t", image="i", secrets=[
            Secret("env", "TOKEN", "s", "token"),
            Secret("env", None, "all"),
            Secret(deploy_type="volume", deploy_target="/etc/s", secret="s",
                   items=[k8s.V1KeyToPath(key="a", path="b", mode=0o400)]),
        ])
    """)
    assert task.values["secrets"] == [
        {"deploy_type": "env", "deploy_target": "TOKEN", "secret": "s", "key": "token"},
        {"deploy_type": "env", "secret": "all"},
        {"deploy_type": "volume", "deploy_target": "/etc/s", "secret": "s",
         "items": [{"key": "a", "mode": 256, "path": "b"}]},
    ]


def test_callbacks_by_module_path():
    task = one("from mypkg.hooks import Callbacks\nKPO(task_id='t', image='i', callbacks=Callbacks)\n")
    assert task.values["callbacks"] == "mypkg.hooks:Callbacks"
    task = one("class Local:\n    pass\nKPO(task_id='t', image='i', callbacks=Local)\n")
    assert task.unresolved[0].why.startswith("Local is defined in the DAG file itself")


@pytest.mark.parametrize("expr, why", [
    ("Variable.get('x')", "is an Airflow Variable, read at run time"),
    ("Variable.get('x', deserialize_json=True)['k']", "is an Airflow Variable, read at run time"),
    ("BaseHook.get_connection('c').host", "is an Airflow connection, looked up at run time"),
    ("os.environ['HOME']", "is an environment variable of the machine that parses the DAG"),
    ("os.getenv('HOME')", "is an environment variable of the machine that parses the DAG"),
    ("upstream.output", "is a task's XCom, known at run time"),
    ("helper()", "is a function call (import does not run the DAG's code)"),
    ("SHIFTING", "SHIFTING is assigned more than once (lines"),
    ("MAYBE", "MAYBE is assigned under a if (line"),
    ("undefined_name", "undefined_name is not defined in this file"),
    ("imported_value", "imported_value is imported from another module"),
    ("'{{ var.value.image }}'", "the template uses 'var', which only Airflow provides at run time"),
    ("'{{ ti.xcom_pull(task_ids=\"a\") }}'", "the template uses 'ti', which only Airflow provides"),
    ("9 ** 9 ** 9", "is too large to compute"),
])
def test_what_cannot_be_known_before_run_time_is_left_out_with_why(expr, why):
    upstream, task = tasks(f"""
        import os
        from airflow.hooks.base import BaseHook
        from airflow.models import Variable
        from config import imported_value
        SHIFTING = 1
        SHIFTING = 2
        if os.getenv("X"):
            MAYBE = 1
        upstream = KPO(task_id="up", image="i")
        def helper():
            return "x"
        KPO(task_id="t", arguments=[{expr}])
    """)
    (u,) = task.unresolved
    assert (u.name, u.line) == ("arguments", 14)
    assert why in u.why
    assert task.values == {"task_id": "t"}


def test_a_mapping_argument_loses_only_the_entries_it_cannot_know():
    task = one("""
        from airflow.models import Variable
        KPO(task_id="t", image="i", env_vars={"A": "1", "B": Variable.get("b")},
            labels={"app": "x", "run": "{{ run_id }}", "ds": "{{ macros.ds_add(ds, 1) }}"})
    """)
    assert task.values == {"task_id": "t", "image": "i", "env_vars": {"A": "1"},
                           "labels": {"app": "x", "run": "{{ run_id }}"}}
    assert [u.name for u in task.unresolved] == ["env_vars.B", "labels.ds"]


def test_a_dag_params_reference_in_a_dag_function_says_how_to_write_it():
    task = one("""
        from airflow.decorators import dag
        @dag
        def d(table="events"):
            KPO(task_id="t", image="i", arguments=["--table", table])
    """)
    assert task.values["params"] == {"table": "events"}
    assert task.unresolved[0].why \
        == "table is a parameter of d(), known when it is called (a DAG param: write '{{ params.table }}')"


def test_a_call_outside_any_dag_and_positional_operator_arguments():
    from kpodtui.spec.dagimport.output import header

    task = one("""
        def make(name):
            return KPO("positional", task_id=name, image="i")
    """)
    assert task.dag is None
    assert [u.name for u in task.unresolved] == ["positional argument 1", "task_id"]
    assert header(task, "dag.py")[0] == ("# imported by kpodtui from dag.py:4, no DAG: the call is in make(), "
                                         "outside any DAG context")


def test_a_partial_expanded_later_and_groups_or_dags_passed_by_name():
    from kpodtui.spec.dagimport.output import header

    first, second = tasks("""
        from airflow import DAG
        from airflow.utils.task_group import TaskGroup
        from elsewhere import shared_dag
        d = DAG("named")
        g = TaskGroup("grp", dag=d)
        p = KPO.partial(task_id="mapped", image="i", dag=d, task_group=g)
        p.expand(arguments=[["a"], ["b"]])
        KPO(task_id="lost", image="i", dag=shared_dag)
    """)
    assert (first.task_id, first.mapped) == ("grp.mapped", [("arguments", '[["a"], ["b"]]')])
    assert first.dag is not None and first.dag.dag_id == "named"
    assert header(second, "dag.py")[0] == ("# imported by kpodtui from dag.py:10, DAG unknown: dag=shared_dag "
                                          "is not a DAG made in this file")


def test_a_subclass_defined_in_the_file_is_imported_with_a_note():
    task = one("""
        class Base(KPO):
            pass
        class Team(Base):
            def __init__(self, **kwargs):
                super().__init__(namespace="team", **kwargs)
        Team(task_id="t", image="i")
    """)
    assert task.values == {"task_id": "t", "image": "i"}
    assert task.notes[0][2] == ("Team is a subclass of KubernetesPodOperator defined in the DAG file: what it "
                                "changes itself is not imported")
