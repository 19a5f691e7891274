"""Spec -> pod: each parameter's effect, the reference's merge rules and examples."""

from __future__ import annotations

import copy
import random
import re

import pytest
from podhelpers import assert_valid_manifest, base, pod_of, spec_of

from kpodtui.pod import (
    XCOM_MOUNT,
    XCOM_SIDECAR_NAME,
    RunIdentity,
    build_pod,
    make_safe_label_value,
    manifest_json,
    manifest_yaml,
    reattach_selector,
    run_labels,
)
from kpodtui.pod.merge import merge_pods
from kpodtui.pod.names import name_from_task_id
from kpodtui.spec import SpecError

RUN = RunIdentity(run_id="manual__2024-01-01T00:00:00+00:00", try_number=2)


def test_hello_manifest_is_minimal_and_valid():
    pod = pod_of("task_id: hello\nimage: busybox:1.36\ncmds: [echo, hi]\n")
    assert pod == {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": pod["metadata"]["name"]},  # no namespace: the cluster context's, as kubectl
        "spec": {"containers": [{"name": "base", "image": "busybox:1.36", "command": ["echo", "hi"],
                                 "terminationMessagePolicy": "File"}],
                 "restartPolicy": "Never"},
    }
    assert re.fullmatch(r"hello-[a-z0-9]{8}", pod["metadata"]["name"])
    assert_valid_manifest(pod)
    assert "null" not in manifest_yaml(pod) and "{}" not in manifest_yaml(pod)


def test_every_pod_level_parameter_lands_in_the_manifest():
    pod = pod_of("""
task_id: all
image: busybox
namespace: team-a
name: My_Pod.Name
random_name_suffix: false
cmds: [sh, -c]
arguments: [echo hi]
ports: [{container_port: 8080, name: http}]
env_vars: {A: "1"}
pod_runtime_info_envs: [{name: POD_IP, value_from: {field_ref: {field_path: status.podIP}}}]
env_from: [{secret_ref: {name: s1}}]
configmaps: [cm1, cm2]
image_pull_policy: IfNotPresent
container_resources: {limits: {memory: 64Mi}, requests: {cpu: 10m}}
container_security_context: {run_as_non_root: true}
termination_message_policy: FallbackToLogsOnError
base_container_name: main
labels: {app: demo}
annotations: {example.com/note: hi there}
init_containers: [{name: setup, image: busybox, command: ["true"]}]
affinity: {node_affinity: {required_during_scheduling_ignored_during_execution: {node_selector_terms: [{match_expressions: [{key: k, operator: Exists}]}]}}}
tolerations: [{key: k, operator: Exists, effect: NoSchedule}]
node_selector: {disk: ssd}
runtime_class_name: rc
priority_class_name: high
schedulername: my-scheduler
dnspolicy: ClusterFirst
dns_config: {nameservers: [1.1.1.1]}
hostname: box
subdomain: sub
host_aliases: [{ip: 10.0.0.1, hostnames: [db]}]
service_account_name: runner
automount_service_account_token: false
hostnetwork: true
security_context: {fs_group: 1000}
image_pull_secrets: reg1,reg2
termination_grace_period: 7
active_deadline_seconds: 60
volumes: [{name: data, empty_dir: {size_limit: 1Gi}}]
volume_mounts: [{name: data, mount_path: /data}]
""", RUN)
    assert_valid_manifest(pod)
    meta, spec, c = pod["metadata"], pod["spec"], base(pod)
    assert meta["name"] == "my-pod-name" and meta["namespace"] == "team-a"
    assert meta["labels"]["app"] == "demo" and meta["annotations"] == {"example.com/note": "hi there"}
    assert c["name"] == "main" and c["command"] == ["sh", "-c"] and c["args"] == ["echo hi"]
    assert c["ports"] == [{"containerPort": 8080, "name": "http"}]
    assert c["env"] == [{"name": "A", "value": "1"},
                        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}]
    assert c["envFrom"] == [{"secretRef": {"name": "s1"}}, {"configMapRef": {"name": "cm1"}},
                            {"configMapRef": {"name": "cm2"}}]
    assert c["imagePullPolicy"] == "IfNotPresent"
    assert c["resources"] == {"limits": {"memory": "64Mi"}, "requests": {"cpu": "10m"}}
    assert c["securityContext"] == {"runAsNonRoot": True}
    assert c["terminationMessagePolicy"] == "FallbackToLogsOnError"
    assert c["volumeMounts"] == [{"name": "data", "mountPath": "/data"}]
    assert spec["initContainers"] == [{"name": "setup", "image": "busybox", "command": ["true"]}]
    assert spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert spec["tolerations"] == [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}]
    assert spec["nodeSelector"] == {"disk": "ssd"}
    assert (spec["runtimeClassName"], spec["priorityClassName"], spec["schedulerName"]) == ("rc", "high", "my-scheduler")
    assert spec["dnsPolicy"] == "ClusterFirst" and spec["dnsConfig"] == {"nameservers": ["1.1.1.1"]}
    assert (spec["hostname"], spec["subdomain"]) == ("box", "sub")
    assert spec["hostAliases"] == [{"ip": "10.0.0.1", "hostnames": ["db"]}]
    assert spec["serviceAccountName"] == "runner" and spec["automountServiceAccountToken"] is False
    assert spec["hostNetwork"] is True and spec["securityContext"] == {"fsGroup": 1000}
    assert spec["imagePullSecrets"] == [{"name": "reg1"}, {"name": "reg2"}]
    assert spec["terminationGracePeriodSeconds"] == 7 and spec["activeDeadlineSeconds"] == 60
    assert spec["restartPolicy"] == "Never"
    assert spec["volumes"] == [{"name": "data", "emptyDir": {"sizeLimit": "1Gi"}}]


def _verified_example(tmp_path, extra: str = "", full_env: str = "A") -> dict:
    (tmp_path / "tpl.yaml").write_text("""
metadata: {name: from-template, namespace: tmpl-ns, labels: {b: tmpl}}
spec:
  restartPolicy: Always
  hostNetwork: true
  serviceAccountName: tmpl-sa
  nodeSelector: {zone: a}
  containers:
    - {name: base, image: tmpl-image, command: [tmpl-cmd], env: [{name: A, value: tmpl}]}
    - {name: second, image: second-image}
  initContainers:
    - {name: i1, image: init-tmpl, env: [{name: I, value: tmpl}]}
  volumes: [{name: v1, emptyDir: {}}]
""")
    return spec_of(f"""
task_id: verified
pod_template_file: tpl.yaml
full_pod_spec:
  metadata: {{labels: {{b: full, c: full}}}}
  spec:
    containers: [{{name: base, image: full-image, env: [{{name: {full_env}, value: full}}]}}]
    initContainers:
      - {{name: i1, env: [{{name: J, value: full}}]}}
      - {{name: i2, image: init2}}
    volumes: [{{name: v2, emptyDir: {{}}}}]
labels: {{a: op}}
volumes: [{{name: v3, emptyDir: {{}}}}]
{extra}""", tmp_path)


def test_reference_verified_merge_example(tmp_path):
    """Reference 2.2: template + full_pod_spec + parameters, with the reference's own merge."""
    from kpodtui.pod.builder import operator_pod, template_pod

    # Loading would refuse the duplicate (kpodtui's improvement), so add the env after loading.
    spec = _verified_example(tmp_path, full_env="F")
    full = copy.deepcopy(spec.full_pod_spec)
    full["spec"]["containers"][0]["env"][0]["name"] = "A"
    spec = spec.replace(env_vars=[{"name": "A", "value": "op"}], full_pod_spec=full)
    merged = merge_pods(template_pod(spec), operator_pod(spec))
    c = merged["spec"]["containers"]
    assert c[0]["image"] == "full-image"
    assert c[0]["command"] == ["tmpl-cmd"]  # cmds=[] (not written) never overrides
    assert [e["value"] for e in c[0]["env"] if e["name"] == "A"] == ["tmpl", "full", "op"]
    assert merged["spec"]["hostNetwork"] is True
    assert c[1] == {"name": "second", "image": "second-image"}
    inits = merged["spec"]["initContainers"]
    assert [i["name"] for i in inits] == ["i1", "i2"]
    assert inits[0]["image"] == "init-tmpl" and inits[0]["env"] == [
        {"name": "I", "value": "tmpl"}, {"name": "J", "value": "full"}]
    assert [v["name"] for v in merged["spec"]["volumes"]] == ["v1", "v2", "v3"]
    assert merged["metadata"]["labels"] == {"b": "full", "c": "full", "a": "op"}
    assert merged["spec"]["serviceAccountName"] == "tmpl-sa" and merged["spec"]["nodeSelector"] == {"zone": "a"}


def test_verified_example_through_build_pod(tmp_path):
    pod = build_pod(_verified_example(tmp_path, full_env="F"), RUN, rng=random.Random(1))
    assert_valid_manifest(pod)
    assert pod["spec"]["restartPolicy"] == "Never"  # the template's Always never wins
    assert re.fullmatch(r"from-template-[a-z0-9]{8}", pod["metadata"]["name"])
    assert pod["metadata"]["namespace"] == "tmpl-ns"
    assert pod["spec"]["hostNetwork"] is True
    assert {k: pod["metadata"]["labels"][k] for k in "abc"} == {"a": "op", "b": "full", "c": "full"}


def test_duplicate_env_after_merge_is_a_spec_error_at_the_second_definition(tmp_path):
    # The reference sends A three times; kpodtui stops before anything is sent. The template's A
    # comes first in the merged container, full_pod_spec's second: that is where it points.
    with pytest.raises(SpecError) as info:
        _verified_example(tmp_path, "env_vars: {A: op}\n")
    err = info.value
    assert (err.source, err.key) == ("test.yaml", "full_pod_spec.spec.containers[0].env[0].name")
    assert "env var 'A' is set twice in container 'base'" in err.what
    assert re.search(r"the other is at spec.containers\[0\].env\[0\] \(.*tpl.yaml:\d+\)", err.what)


def test_explicit_false_zero_and_empty_override_the_template(tmp_path):
    spec = _verified_example(tmp_path, "hostnetwork: false\ncmds: []\nautomount_service_account_token: false\n",
                             full_env="F")
    pod = build_pod(spec, None)
    assert pod["spec"]["hostNetwork"] is False
    assert "command" not in base(pod)  # explicit [] removes the template's command: image ENTRYPOINT
    assert pod["spec"]["automountServiceAccountToken"] is False


def test_template_dict_and_file_precedence(tmp_path):
    (tmp_path / "t.yaml").write_text("spec: {containers: [{name: base, image: from-file}]}\n")
    pod = pod_of("task_id: t\npod_template_file: t.yaml\n"
                 "pod_template_dict: {spec: {containers: [{name: base, image: from-dict}]}}\n",
                 base_dir=tmp_path)
    assert base(pod)["image"] == "from-file"
    pod = pod_of("task_id: t\npod_template_dict: {spec: {containers: [{name: x, image: from-dict}]}}\n")
    assert base(pod)["image"] == "from-dict" and base(pod)["name"] == "base"


def test_names_follow_the_reference():
    rng = random.Random(3)
    long_id = "Some_Task.Name__" + "x" * 80
    name = name_from_task_id(long_id, rng)
    assert len(name) == 63 and name.startswith("some-task-name-x") and re.fullmatch(r".*-[a-z0-9]{8}", name)
    assert name_from_task_id("--Ab..c--", None) == "ab-c"
    pod = pod_of("task_id: t\nimage: b\nname: " + "n" * 70 + "\n")
    assert len(pod["metadata"]["name"]) == 63 and pod["metadata"]["name"].startswith("n" * 54 + "-")
    pod = pod_of("task_id: t\nimage: b\nname: Exact.Name\nrandom_name_suffix: false\n")
    assert pod["metadata"]["name"] == "exact-name"
    with pytest.raises(SpecError, match="name: pod name Invalid value: .*: must be no more than 63 characters"):
        pod_of("task_id: t\nimage: b\nname: " + "n" * 70 + "\nrandom_name_suffix: false\n")


def test_label_sanitising_examples():
    assert make_safe_label_value("manual__2024-01-01T00:00:00+00:00") == "manual__2024-01-01T0000000000-701821d7a"
    value = "v" * 70
    safe = make_safe_label_value(value)
    assert len(safe) == 63 and safe.startswith("v" * 53 + "-")
    assert make_safe_label_value("plain-value") == "plain-value"


def test_run_labels_and_selector():
    spec = spec_of("task_id: My_Task\nimage: b\nlabels: {team: data}\n")
    labels = run_labels(spec, RUN)
    assert labels == {"task_id": "My_Task", "run_id": "manual__2024-01-01T0000000000-701821d7a",
                      "try_number": "2", "app.kubernetes.io/managed-by": "kpodtui"}
    pod = build_pod(spec, RUN)
    assert pod["metadata"]["labels"] == {"team": "data", **labels}
    assert "already_checked" not in pod["metadata"]["labels"]
    assert reattach_selector(spec, RUN) == (
        "app.kubernetes.io/managed-by=kpodtui,run_id=manual__2024-01-01T0000000000-701821d7a,"
        "task_id=My_Task,team=data,already_checked!=True")
    assert "labels" not in build_pod(spec_of("task_id: t\nimage: b\n"), None)["metadata"]  # dry run


def test_run_labels_override_user_labels_and_already_checked_is_reserved(tmp_path):
    pod = pod_of("task_id: t\nimage: b\nlabels: {task_id: mine}\n", RUN)
    assert pod["metadata"]["labels"]["task_id"] == "t"
    with pytest.raises(SpecError, match="labels.already_checked: is reserved"):
        pod_of("task_id: t\nimage: b\nlabels: {already_checked: 'True'}\n")
    (tmp_path / "t.yaml").write_text("metadata: {labels: {already_checked: 'True'}}\n")
    pod = pod_of("task_id: t\nimage: b\npod_template_file: t.yaml\n", RUN, base_dir=tmp_path)
    assert "already_checked" not in pod["metadata"]["labels"]


def test_xcom_sidecar_exactly_as_the_reference():
    pod = pod_of("task_id: t\nimage: b\ndo_xcom_push: true\nvolumes: [{name: v, emptyDir: {}}]\n"
                 "volume_mounts: [{name: v, mountPath: /v}]\n")
    assert_valid_manifest(pod)
    assert pod["spec"]["volumes"][0] == {"name": "xcom", "emptyDir": {}}
    assert base(pod)["volumeMounts"][0] == {"name": "xcom", "mountPath": XCOM_MOUNT}
    sidecar = pod["spec"]["containers"][-1]
    assert sidecar == {
        "name": XCOM_SIDECAR_NAME, "image": "alpine:3.24.2",
        "command": ["sh", "-c", 'trap "exit 0" INT; while true; do sleep 1; done;'],
        "volumeMounts": [{"name": "xcom", "mountPath": "/airflow/xcom"}],
        "resources": {"requests": {"cpu": "1m", "memory": "10Mi"}},
    }


def test_secrets_env_envfrom_and_volume():
    pod = pod_of("""
task_id: t
image: b
env_vars: {A: "1"}
configmaps: [cm]
secrets:
  - {deploy_type: env, deploy_target: db_password, secret: db, key: password}
  - {deploy_type: env, secret: whole}
  - {deploy_type: volume, deploy_target: /etc/creds, secret: creds, items: [{key: k, path: p}]}
""", seed=5)
    assert_valid_manifest(pod)
    c = base(pod)
    assert c["env"][-1] == {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}
    assert c["envFrom"] == [{"configMapRef": {"name": "cm"}}, {"secretRef": {"name": "whole"}}]
    vol = pod["spec"]["volumes"][0]
    assert re.fullmatch(r"secretvol[0-9a-f-]{36}", vol["name"])
    assert vol["secret"] == {"secretName": "creds", "items": [{"key": "k", "path": "p"}]}
    assert c["volumeMounts"] == [{"name": vol["name"], "mountPath": "/etc/creds", "readOnly": True}]


def test_env_vars_list_form_and_value_from():
    pod = pod_of("task_id: t\nimage: b\nenv_vars:\n  - {name: A, value: x}\n"
                 "  - {name: B, value_from: {config_map_key_ref: {name: cm, key: k}}}\n")
    assert base(pod)["env"] == [{"name": "A", "value": "x"},
                                {"name": "B", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k"}}}]


def test_manifest_text_round_trips():
    import json

    import yaml

    pod = pod_of("task_id: t\nimage: b\ncmds: [sh, -c, \"echo 1\\necho 2\\n\"]\nlabels: {v: 'True'}\n")
    assert yaml.safe_load(manifest_yaml(pod)) == pod
    assert json.loads(manifest_json(pod)) == pod
    assert "- |" in manifest_yaml(pod)  # scripts stay readable
    assert list(yaml.safe_load(manifest_yaml(pod))) == ["apiVersion", "kind", "metadata", "spec"]


def test_a_key_with_no_value_means_the_default_not_an_override(tmp_path):
    pod = build_pod(_verified_example(tmp_path, "hostnetwork:\n", full_env="F"), None)
    assert pod["spec"]["hostNetwork"] is True


def test_an_empty_selector_is_kept_it_matches_everything():
    """An empty labelSelector matches every pod; a missing one matches none: pruning it
    turned a pod anti-affinity rule into a rule about nothing."""
    pod = pod_of("""task_id: t
image: busybox
affinity:
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - {topologyKey: kubernetes.io/hostname, labelSelector: {}, namespaceSelector: {}}
""")
    (term,) = pod["spec"]["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term == {"topologyKey": "kubernetes.io/hostname", "labelSelector": {}, "namespaceSelector": {}}
    assert_valid_manifest(pod)


def test_a_template_saved_from_a_cluster_is_taken_without_what_the_server_sets(tmp_path):
    """`kubectl get pod x -o yaml > template.yaml` carries status, uid, resourceVersion...:
    the server would refuse a create with a resourceVersion; they are left out, and said."""
    (tmp_path / "saved.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: old\n  uid: abc\n  resourceVersion: '99'\n"
        "  creationTimestamp: '2026-01-01T00:00:00Z'\n  labels: {team: a}\n"
        "spec:\n  containers: [{name: base, image: busybox}]\nstatus: {phase: Running}\n")
    text = "task_id: t\npod_template_file: saved.yaml\ncmds: [sh, -c, 'echo hi']\n"
    spec = spec_of(text, tmp_path)
    assert any("looks saved from a cluster" in w and "resourceVersion" in w for w in spec.warnings)
    pod = pod_of(text, base_dir=tmp_path)
    assert "status" not in pod and pod["metadata"]["labels"]["team"] == "a"
    assert not {"uid", "resourceVersion", "creationTimestamp"} & set(pod["metadata"])
    assert_valid_manifest(pod)
