"""What the API server refuses is refused before anything is sent: file:line:col, its words, exit 2.

Each case is one the sim or a real API server answers with 422 (kpodtui used to pass it
through `validate` and fail at create with exit 4); `validate`, `dry-run` and `run` all stop
it with one line per problem.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kpodtui.spec.apicheck import field_type, models
from kpodtui.spec.apirules import FIELD_RULES, MODEL_RULES
from kpodtui.spec.schema import PARAM_API, PARAMS
from kpodtui.tasks import check_spec_text

HERE = Path(__file__).resolve().parent

CASES = [
    # (spec text after "task_id: t\nimage: busybox\n", the error line's start, a fragment of its words)
    ("container_resources: {limits: {cpu: lots}}\n", "3:32: container_resources.limits.cpu",
     "quantities must match the regular expression"),
    ("container_resources: {requests: {memory: -1Gi}}\n", "3:34: container_resources.requests.memory",
     "must be greater than or equal to 0"),
    ("container_resources:\n  limits: {memory: 1Gi}\n  requests: {memory: 2Gi}\n",
     "5:14: container_resources.requests.memory", "must be less than or equal to memory limit of 1Gi"),
    ("container_resources: {limits: {gpu: 1}}\n", "3:32: container_resources.limits.gpu",
     "must be a standard resource for containers"),
    ("container_resources: {limits: {example.com/dev: '1.5'}}\n", "3:32: container_resources.limits.example.com/dev",
     "must be an integer"),
    ("container_resources: {requests: {example.com/dev: 1}}\n", "3:1: container_resources.limits",
     "Limit must be set for non overcommitable resources"),
    ("active_deadline_seconds: 99999999999999999999999\n", "3:1: active_deadline_seconds",
     "must be at most 2147483647"),
    ("startup_timeout_seconds: 99999999999999999999999\n", "3:1: startup_timeout_seconds",
     "must be at most 2147483647"),
    ("poll_interval: .inf\n", "3:1: poll_interval", "must be between 0 and 2147483647"),
    ("active_deadline_seconds: 0\n", "3:1: active_deadline_seconds", "must be at least 1"),
    ("full_pod_spec: {spec: {activeDeadlineSeconds: 3000000000}}\n", "3:24: full_pod_spec.spec.activeDeadlineSeconds",
     "must be between 1 and 2147483647, inclusive"),
    ("ports: [{containerPort: 70000}]\n", "3:10: ports[0].containerPort", "must be between 1 and 65535, inclusive"),
    ("ports: [{containerPort: 80, hostPort: 70000}]\n", "3:29: ports[0].hostPort", "must be between 1 and 65535"),
    ("ports: [{containerPort: 80, name: Web_UI}]\n", "3:29: ports[0].name",
     "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"),
    ("ports: [{containerPort: 80, name: '8080'}]\n", "3:29: ports[0].name", "must contain at least one letter (a-z)"),
    ("ports: [{containerPort: 80, name: a-very-long-port-name}]\n", "3:29: ports[0].name",
     "must be no more than 15 characters"),
    ("ports: [{containerPort: 80, protocol: HTTP}]\n", "3:29: ports[0].protocol",
     'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'),
    ("ports: [{containerPort: http}]\n", "3:10: ports[0].containerPort", "expected a whole number, got a string"),
    ("ports: [{containerPort: 80.5}]\n", "3:10: ports[0].containerPort", "expected a whole number, got a number"),
    ("ports: [{containerPort: 80, name: web}, {containerPort: 81, name: web}]\n", "3:61: ports[1].name",
     'Duplicate value: "web"'),
    ("dnspolicy: ClusterFirst\nfull_pod_spec: {spec: {dnsPolicy: Cluster}}\n", "4:24: full_pod_spec.spec.dnsPolicy",
     'Unsupported value: "Cluster"'),
    ("init_containers: [{name: Init_1, image: busybox}]\n", "3:20: init_containers[0].name",
     "a lowercase RFC 1123 label must consist of"),
    ("init_containers: [{name: base, image: busybox}]\n", "3:20: init_containers[0].name",
     "two containers are named 'base'"),
    ("volumes: [{name: Data, emptyDir: {}}]\nvolume_mounts: [{name: Data, mountPath: /d}]\n", "3:12: volumes[0].name",
     "a lowercase RFC 1123 label"),
    ("volumes: [{name: d}]\n", "3:11: volumes[0]", "Required value: must specify a volume type"),
    ("volumes: [{name: d, emptyDir: {}, hostPath: {path: /x}}]\n", "3:35: volumes[0].hostPath",
     "Forbidden: may not specify more than 1 volume type"),
    ("volumes: [{name: d, emptyDir: {sizeLimit: big}}]\n", "3:32: volumes[0].emptyDir.sizeLimit",
     "quantities must match"),
    ("volumes: [{name: d, secret: {}}]\n", "3:21: volumes[0].secret.secretName", "Required value"),
    ("volumes: [{name: d, configMap: {name: c, defaultMode: 1000}}]\n", "3:42: volumes[0].configMap.defaultMode",
     "must be a number between 0 and 0777 (octal), both inclusive"),
    ("volumes: [{name: d, emptyDir: {}}]\nvolume_mounts: [{name: e, mountPath: /d}]\n", "4:18: volume_mounts[0].name",
     'Not found: "e"'),
    ("volumes: [{name: d, emptyDir: {}}]\nvolume_mounts: [{name: d, mountPath: /d, subPath: /etc}]\n",
     "4:42: volume_mounts[0].subPath", "must be a relative path"),
    ("volumes: [{name: d, emptyDir: {}}]\nvolume_mounts: [{name: d, mountPath: /d, subPath: a/../../b}]\n",
     "4:42: volume_mounts[0].subPath", "must not contain '..'"),
    ("volumes: [{name: d, emptyDir: {}}]\nvolume_mounts: [{name: d, mountPath: /d, subPath: a, subPathExpr: b}]\n",
     "4:54: volume_mounts[0].subPathExpr", "subPathExpr and subPath are mutually exclusive"),
    ("volumes: [{name: d, emptyDir: {}}]\nvolume_mounts: [{name: d, mountPath: /d}, {name: d, mountPath: /d}]\n",
     "4:53: volume_mounts[1].mountPath", "must be unique"),
    ("labels: {'example.com/a/b': x}\n", "3:10: labels.example.com/a/b", "a qualified name must consist of"),
    ("labels: {app: '" + "x" * 64 + "'}\n", "3:10: labels.app", "must be no more than 63 characters"),
    ("annotations: {'bad key': x}\n", "3:15: annotations.bad key", "name part must consist of"),
    ("annotations: {big: '" + "x" * (256 * 1024) + "'}\n", "3:1: annotations",
     "Too long: may not be more than 262144 bytes"),
    ("node_selector: {disk: 'a b'}\n", "3:17: node_selector.disk", "a valid label must be an empty string"),
    ("tolerations: [{operator: Equal, value: x}]\n", "3:16: tolerations[0].operator",
     "operator must be Exists when `key` is empty"),
    ("tolerations: [{key: k, operator: Exists, value: x}]\n", "3:42: tolerations[0].value",
     "value must be empty when `operator` is 'Exists'"),
    ("tolerations: [{key: k, operator: Equals}]\n", "3:24: tolerations[0].operator", 'Unsupported value: "Equals"'),
    ("tolerations: [{key: k, operator: Exists, effect: NoSchedule, tolerationSeconds: 5}]\n",
     "3:42: tolerations[0].effect", "effect must be 'NoExecute' when `tolerationSeconds` is set"),
    ("affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      nodeSelectorTerms:\n"
     "        - matchExpressions: [{key: zone, operator: Near, values: [a]}]\n",
     "7:42: affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
     ".matchExpressions[0].operator", "not a valid selector operator"),
    ("affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      nodeSelectorTerms:\n"
     "        - matchExpressions: [{key: zone, operator: In}]\n",
     "7:30: affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
     ".matchExpressions[0].values", "must be specified when `operator` is 'In' or 'NotIn'"),
    ("affinity:\n  podAntiAffinity:\n    preferredDuringSchedulingIgnoredDuringExecution:\n"
     "      - {weight: 101, podAffinityTerm: {topologyKey: zone}}\n",
     "6:10: affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
     "must be in the range 1-100"),
    ("affinity:\n  podAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {}}]\n",
     "5:54: affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey", "Required value"),
    ("env_vars: {'A=B': x}\n", "3:12: env_vars.A=B",
     "a valid environment variable name must consist only of printable ASCII characters other than '='"),
    ("env_vars: [{name: A, value: x, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]\n",
     "3:32: env_vars[0].valueFrom", "may not be specified when `value` is not empty"),
    ("env_from: [{prefix: P}]\n", "3:12: env_from[0]", "must specify one of: `configMapRef` or `secretRef`"),
    ("configmaps: [Bad_Name]\n", "3:14: configmaps[0]", "a lowercase RFC 1123 subdomain"),
    ("secrets: [{deploy_type: env, deploy_target: my_token, secret: Bad_Secret, key: k}]\n",
     "3:55: secrets[0].secret", "a lowercase RFC 1123 subdomain"),
    ("security_context: {runAsUser: -1}\n", "3:20: security_context.runAsUser", "must be between 0 and 4294967295"),
    ("container_security_context: {privileged: true, allowPrivilegeEscalation: false}\n",
     "3:48: container_security_context.allowPrivilegeEscalation",
     "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"),
    ("hostname: My_Host\n", "3:1: hostname", "a lowercase RFC 1123 label"),
    ("service_account_name: Robot!\n", "3:1: service_account_name", "a lowercase RFC 1123 subdomain"),
    ("host_aliases: [{ip: 300.1.1.1, hostnames: [a]}]\n", "3:17: host_aliases[0].ip", "must be a valid IP address"),
    ("dnspolicy: None\n", "3:1: dnspolicy", "must provide `dnsConfig` when `dnsPolicy` is None"),
    ("full_pod_spec:\n  spec:\n    initContainers: [{name: i, image: b, restartPolicy: OnFailure}]\n",
     "5:42: full_pod_spec.spec.initContainers[0].restartPolicy", 'Unsupported value: "OnFailure"'),
    ("full_pod_spec:\n  spec:\n    containers: [{name: base, livenessProbe: {periodSeconds: 1}}]\n",
     "5:31: full_pod_spec.spec.containers[0].livenessProbe", "must specify a handler type"),
    ("full_pod_spec:\n  spec:\n    topologySpreadConstraints: [{maxSkew: 0, topologyKey: z, "
     "whenUnsatisfiable: DoNotSchedule}]\n", "5:34: full_pod_spec.spec.topologySpreadConstraints[0].maxSkew",
     "must be greater than zero"),
]


@pytest.mark.parametrize(("text", "where", "words"), CASES, ids=[c[1].split(": ", 1)[1][:50] for c in CASES])
def test_what_the_api_server_refuses_is_refused_offline(write, cli, text, where, words):
    path = write("task_id: t\nimage: busybox\n" + text)
    code, _, err = cli("validate", path)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    line = lines[0].replace(str(path), "task.yaml")
    assert line.startswith(f"kpodtui: error: task.yaml:{where}: "), line
    assert words in line, line
    assert "Traceback" not in err


def test_dry_run_and_run_refuse_it_too_before_anything_is_sent(write, cli, sim, sim_kubeconfig):
    path = write("task_id: t\nimage: busybox\nports: [{containerPort: 70000}]\n")
    code, out, err = cli("dry-run", path)
    assert code == 2 and out == "" and ":3:10: ports[0].containerPort:" in err
    sim.reset_counters()
    code, out, err = cli("run", path)
    assert code == 2 and ":3:10: ports[0].containerPort:" in err
    assert sim.counters() == {}, "nothing was sent"


def test_what_modern_clusters_accept_is_accepted(write, cli):
    """Relaxed env var names, numbers written for quantities, port numbers as strings (converted)."""
    path = write("task_id: t\nimage: busybox\n"
                 "env_vars: {'1ST.var-name': a, 'with space': b}\n"
                 "container_resources: {limits: {cpu: 1, memory: 1Gi, example.com/dev: 2}, "
                   "requests: {cpu: 0.5, example.com/dev: 2}}\n"
                   "ports: [{containerPort: '8080', name: http-alt}]\n"
                   "tolerations: [{operator: Exists}]\n")
    code, out, err = cli("dry-run", path, "-o", "json")
    assert code == 0, err
    pod = json.loads(out)
    c = pod["spec"]["containers"][0]
    assert [e["name"] for e in c["env"]] == ["1ST.var-name", "with space"]
    assert c["resources"] == {"limits": {"cpu": "1", "memory": "1Gi", "example.com/dev": "2"},
                              "requests": {"cpu": "0.5", "example.com/dev": "2"}}
    assert c["ports"] == [{"containerPort": 8080, "name": "http-alt"}]


def test_every_problem_of_a_file_is_listed(write, cli):
    path = write("task_id: t\nimage: busybox\nports: [{containerPort: 0, name: X}]\n"
                 "tolerations: [{operator: Maybe}]\n")
    code, _, err = cli("validate", path)
    assert code == 2
    lines = err.strip().splitlines()
    # as the API server lists them: the port, the port name twice (its characters, no letter), the operator twice
    assert len(lines) == 5, err
    assert any("ports[0].containerPort" in ln for ln in lines) and any("tolerations[0].operator" in ln for ln in lines)


def test_the_app_sees_the_same_problems():
    (err,) = check_spec_text("task_id: t\nimage: b\nports: [{containerPort: 70000}]\n", "<editor>")
    assert (err.line, err.column, err.key) == (3, 10, "ports[0].containerPort")
    assert "must be between 1 and 65535" in err.what


def test_rules_are_data_beside_the_clients_model():
    """Every rule names a field the official client's model has; every parameter lands on one."""
    for model, field in FIELD_RULES:
        assert field_type(model, field) is not None, (model, field)
    for model in MODEL_RULES:
        assert model in models(), model
    for param, (model, field) in PARAM_API.items():
        assert param in PARAMS and model in models()
        assert field is None or field_type(model, field) is not None, (param, model, field)


def test_the_schema_file_is_generated_from_the_installed_client():
    import sys

    sys.path.insert(0, str(HERE))
    try:
        import gen_apischema
    finally:
        sys.path.remove(str(HERE))
    current = (HERE.parents[1] / "kpodtui" / "spec" / "apischema.json").read_text()
    assert current == gen_apischema.render(), "run: .venv/bin/python tests/spec/gen_apischema.py"
    schema = json.loads(current)["models"]
    assert schema["V1ContainerPort"]["fields"]["containerPort"] == "int32"
    assert schema["V1PodSpec"]["fields"]["activeDeadlineSeconds"] == "int64"
    assert schema["V1ResourceRequirements"]["fields"]["limits"] == "{quantity}"
    assert schema["V1HTTPGetAction"]["fields"]["port"] == "intorstr"
