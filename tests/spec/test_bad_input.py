"""Every kind of bad input: one clear line naming file:line:col, the key and the problem; exit 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CASES = [
    # (spec text, expected fragments of the one error line)
    ("task_id: t\nimage: [\n", ["task.yaml:2:8: image: invalid YAML: this '[' is never closed"]),
    ("- a\n- b\n", ["task.yaml:1:1:", "must be a mapping", "got a list"]),
    ("task_id: t\nimage: busybox\nimgae: x\n", ["task.yaml:3:1: imgae: unknown key", "did you mean 'image'?"]),
    ("task_id: t\nimage: busybox\nstartup_timeout_seconds: soon\n",
     ["task.yaml:3:1: startup_timeout_seconds: expected a whole number", "'soon'"]),
    ("task_id: t\nimage: busybox\ncmds: echo hi\n", ["task.yaml:3:1: cmds: expected a list of strings"]),
    ("task_id: t\nimage: busybox\ndo_xcom_push: yes please\n", ["do_xcom_push: expected true or false"]),
    ("image: busybox\ncmds: ['true']\n", ["task.yaml:1:1: task_id: missing"]),
    ("task_id: t\nimage: busybox\nenv_vars:\n  - name: A\n    value: '1'\n  - B: '2'\n",
     ["task.yaml:6:5: env_vars[1]:", "mapping form inside the list form"]),
    ("task_id: t\nimage: busybox\non_finish_action: keep\n",
     ["task.yaml:3:1: on_finish_action: 'keep' is not one of", "did you mean 'keep_pod'?"]),
    ("task_id: t\nimage: busybox\nname: my pod!\n", ["task.yaml:3:1: name:", "not a valid pod name"]),
    ("task_id: t\nimage: busybox\nlabels:\n  'bad key!': x\n", ["task.yaml:4:3: labels.bad key!:", 'Invalid value: "bad key!": name part must consist of']),
    ("task_id: t\nimage: busybox\nlabels:\n  tier: -front-\n", ["task.yaml:4:3: labels.tier:", 'Invalid value: "-front-": a valid label must']),
    ("task_id: t\nimage: busybox\nbase_container_name: Base_C\n", ["task.yaml:3:1: base_container_name:", "RFC 1123 label"]),
    ("task_id: t\nimage: busybox\nenv_vars: {A: x}\npod_runtime_info_envs:\n  - name: A\n    value: y\n",
     ["task.yaml:5:5: pod_runtime_info_envs[0].name: env var 'A' is set twice", "the other is at env_vars.A (task.yaml:3)"]),
    ("task_id: t\nimage: busybox\nvolumes: [{name: v, emptyDir: {}}]\n"
     "full_pod_spec:\n  spec:\n    volumes: [{name: v, emptyDir: {}}]\n",
     ["task.yaml:3:12: volumes[0].name: Duplicate value: \"v\"", "already defined at full_pod_spec.spec.volumes[0] (task.yaml:6)"]),
    ("task_id: t\nimage: busybox\npod_template_file: nowhere.yaml\n",
     ["task.yaml:3:1: pod_template_file: no such file", "nowhere.yaml"]),
    ("task_id: t\nimage: busybox\ncmds: ['echo {{ params.nope }}']\n",
     ["task.yaml:3:8: cmds[0]: the template uses an undefined name: params.nope"]),
    ("task_id: t\nimage: busybox\ncmds: '{{ params.c }}'\nparams: {c: '[a, b'}\n",
     ["task.yaml:3:1: cmds: the template renders to invalid YAML"]),
    ("task_id: t\nimage: busybox\ncmds: ['{{ oops }']\n", ["task.yaml:3:8: cmds[0]: the template is broken"]),
    ("task_id: t\nimage: busybox\nimage: alpine\n", ["task.yaml:3:1: image: duplicate key (first written at line 2)"]),
    ("task_id: t\nimage: busybox\nsecrets:\n  - deploy_type: file\n    secret: s\n    deploy_target: /x\n",
     ["task.yaml:4:5: secrets[0].deploy_type: 'file' is not one of env, volume"]),
    ("task_id: t\nimage: busybox\ncallbacks: not a path\n", ["callbacks:", "module", "MyCallbacks"]),
    ("task_id: t\nimage: busybox\nskip_on_exit_code: [1, x]\n", ["skip_on_exit_code: expected an exit code"]),
    ("task_id: t\nimage: busybox\nresources: {limit_memroy: 1Gi}\n",
     ["resources.limit_memroy: unknown resources key", "did you mean 'limit_memory'?"]),
    ("task_id: t\nimage: busybox\nvolume_mounts: [{name: data, mountPath: /data}]\n",
     ["task.yaml:3:18: volume_mounts[0].name: Not found: \"data\"", "mounts volume 'data', which the pod does not define"]),
    ("task_id: t\n", ["image: missing"]),
    ("task_id: t\nimage: busybox\nactive_deadline_seconds: 0\n", ["active_deadline_seconds: must be at least 1"]),
    ("task_id: t\nimage: busybox\nnamespace: My_NS\n", ["task.yaml:3:1: namespace:", "RFC 1123 label"]),
    ("task_id: t\nimage: busybox\nfull_pod_spec:\n  containers: []\n",
     ["full_pod_spec.containers: unknown pod field", "under 'spec:'"]),
    ("", ["task.yaml: holds no task spec"]),
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n",
     ["task.yaml:1:1:", "a Kubernetes Pod manifest, not a task spec", "pod_template_file"]),
]


@pytest.mark.parametrize(("text", "fragments"), CASES, ids=[c[1][-1][:40] for c in CASES])
def test_bad_spec_gets_one_clear_line(write, cli, text, fragments):
    path = write(text)
    code, out, err = cli("validate", path)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    line = lines[0].replace(str(path), "task.yaml")
    assert line.startswith("kpodtui: error: task.yaml")
    for fragment in fragments:
        assert fragment in line
    assert "Traceback" not in err


def test_validate_reports_every_problem_in_every_file(write, cli):
    a = write("task_id: a\nimage: busybox\nimgae: x\ncmds: echo\n", "a.yaml")
    b = write("task_id: b\nimage: busybox\n", "b.yaml")
    c = write("task_id: c\non_finish_action: nope\n", "c.yaml")
    code, out, err = cli("validate", a, b, c)
    assert code == 2
    assert f"{b}: ok (b)" in out
    assert len(err.strip().splitlines()) == 3
    assert "imgae" in err and "cmds" in err and "on_finish_action" in err


def test_missing_and_unreadable_files(tmp_path, cli):
    code, _, err = cli("validate", tmp_path / "missing.yaml")
    assert code == 2 and "missing.yaml: no such file" in err
    code, _, err = cli("validate", tmp_path)
    assert code == 2 and "is a directory" in err
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    code, _, err = cli("validate", binary)
    assert code == 2 and "not UTF-8" in err


def test_unreadable_file_permission(tmp_path, cli):
    path = tmp_path / "secret.yaml"
    path.write_text("task_id: t\nimage: busybox\n")
    path.chmod(0)
    if os.access(path, os.R_OK):
        pytest.skip("running as root: permissions do not stop reading")
    code, _, err = cli("validate", path)
    assert code == 2 and "cannot read" in err


def test_bad_template_file_points_into_the_template(write, cli):
    write("spec:\n  containers:\n    - name: base\n      image: [oops\n", "tpl.yaml")
    path = write("task_id: t\npod_template_file: tpl.yaml\n")
    code, _, err = cli("validate", path)
    assert code == 2
    assert "tpl.yaml:" in err and "pod template: invalid YAML" in err


def test_dry_run_bad_input_and_multiple_tasks(write, cli):
    path = write("task_id: a\nimage: busybox\n---\ntask_id: b\nimage: busybox\n")
    code, _, err = cli("dry-run", path)
    assert code == 2 and "holds 2 tasks (a, b): pick one with --task" in err
    code, _, err = cli("dry-run", path, "--task", "c")
    assert code == 2 and "no task 'c'" in err
    code, out, _ = cli("dry-run", path, "--task", "b")
    assert code == 0 and "name: b-" in out


def test_duplicate_task_ids_in_one_file(write, cli):
    path = write("task_id: a\nimage: busybox\n---\ntask_id: a\nimage: busybox\n")
    code, _, err = cli("validate", path)
    assert code == 2 and ":4:1: task_id: 'a' is used twice" in err


def test_bad_set_syntax(write, cli):
    path = write("task_id: a\nimage: busybox\n")
    code, _, err = cli("validate", path, "--set", "novalue")
    assert code == 2 and "expected KEY=VALUE" in err
    code, _, err = cli("validate", path, "--set", "imgae=x")
    assert code == 2 and "--set imgae=x: imgae: unknown key (did you mean 'image'?)" in err


def test_real_process_exit_code_and_no_traceback(write):
    path = write("task_id: t\nimage: busybox\nimgae: x\n")
    proc = subprocess.run([sys.executable, "-m", "kpodtui", "validate", str(path)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("imgae: unknown key (did you mean 'image'?)")
    assert "Traceback" not in proc.stderr


def test_dry_run_set_reaches_nested_params(cli):
    from pathlib import Path

    sample = Path(__file__).resolve().parents[2] / "sample_tasks" / "templated.yaml"
    code, out, err = cli("dry-run", sample, "--set", "params.count=2", "--set", "params.greeting=hi")
    assert code == 0, err
    assert "seq 2" in out and 'echo "hi $i from templated on ' in out
