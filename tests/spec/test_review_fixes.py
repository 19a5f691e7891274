"""Fixes from review: numbers in string fields, --set on lists / dotted keys / error
locations, old-style resources mixed with new ones, errors under deprecated aliases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kpodtui.spec import SpecError, TaskSpec, render_spec
from kpodtui.spec.context import override_key, split_override
from kpodtui.tasks import check_spec_text, load_spec_text

TS = datetime(2024, 3, 5, tzinfo=UTC)


def one(text: str, **kw) -> TaskSpec:
    return load_spec_text(text, source="t.yaml", **kw)[0]


def problems(text: str, **kw) -> list[str]:
    return [str(p) for p in check_spec_text(text, "t.yaml", **kw)]


# 1. Unquoted numbers whose text YAML changes are errors, not silent changes.

def test_numbers_yaml_would_change_must_be_quoted():
    text = (
        "task_id: t\n"
        "image: python\n"
        "env_vars:\n"
        "  PYTHON_VERSION: 3.10\n"
        "  UMASK: 0022\n"
        "  BIG: 12345678901234567890123\n"
        "labels: {release: 1.20}\n"
        "arguments: [--ratio, 0.50]\n"
    )
    found = problems(text)
    assert len(found) == 4, found
    assert found[0].startswith("t.yaml:4:3: env_vars.PYTHON_VERSION: an env var value must be a string")
    assert "3.10" in found[0] and "quote it" in found[0]
    assert found[1].startswith("t.yaml:5:3: env_vars.UMASK:") and "0022" in found[1] and "quote it" in found[1]
    assert found[2].startswith("t.yaml:7:10: labels.release:") and "1.20" in found[2]
    assert found[3].startswith("t.yaml:8:22: arguments[1]:") and "0.50" in found[3]


@pytest.mark.parametrize("written", ["0x1F", "1_000", "+5", "017", "0b101", "1:20", "1.0", "1.0e+3", ".inf", "0.5"])
def test_every_changed_number_is_an_error(written):
    for field in (f"node_selector: {{k: {written}}}\n", f"annotations:\n  k: {written}\n",
                  f"cmds: [a, {written}]\n", f"env_vars: [{{name: K, value: {written}}}]\n"):
        found = problems(f"task_id: t\nimage: b\n{field}")
        assert len(found) == 1 and "quote it" in found[0] and written in found[0], (field, found)
        assert found[0].startswith("t.yaml:3:") or found[0].startswith("t.yaml:4:3:"), found


def test_plain_decimal_ints_stay_accepted_as_their_text():
    spec = one("task_id: t\nimage: b\nenv_vars: {PORT: 8080, NEG: -5, ZERO: 0}\nlabels: {version: 3}\n"
               "arguments: [--port, 8080]\nnode_selector: {n: 12345678901234567890123}\n")
    assert spec.env_vars == [{"name": "PORT", "value": "8080"}, {"name": "NEG", "value": "-5"},
                             {"name": "ZERO", "value": "0"}]
    assert spec.labels == {"version": "3"} and spec.arguments == ["--port", "8080"]
    assert spec.node_selector == {"n": "12345678901234567890123"}
    # anchors and aliases: the text is the anchored node's
    spec = one("task_id: t\nimage: b\nparams: {p: &p 8080}\nenv_vars: {A: *p, B: &q 9}\nlabels: {b: *q}\n")
    assert spec.env_vars == [{"name": "A", "value": "8080"}, {"name": "B", "value": "9"}]
    assert spec.labels == {"b": "9"}


def test_set_keeps_a_string_a_string():
    spec = one("task_id: t\nimage: b\nenv_vars: {A: x}\n",
               overrides=["env_vars.V=3.10", "env_vars.U=0022", "labels.release=1.20", "node_selector.n=1e3",
                          "env_vars.T=true", "params.n=3.10"])
    assert {"name": "V", "value": "3.10"} in spec.env_vars
    assert {"name": "U", "value": "0022"} in spec.env_vars
    assert {"name": "T", "value": "true"} in spec.env_vars
    assert spec.labels == {"release": "1.20"} and spec.node_selector == {"n": "1e3"}
    assert spec.params == {"n": 3.1}  # params are YAML values, not strings
    # inside a YAML list given with --set, the YAML rules apply: point at the --set
    found = check_spec_text("task_id: t\nimage: b\n", "t.yaml", overrides=["arguments=[--ratio, 0.50, 8080]"])
    assert len(found) == 1
    assert found[0].source == "--set arguments=[--ratio, 0.50, 8080]" and found[0].key == "arguments[1]"
    assert "0.50" in str(found[0]) and "quote it" in str(found[0])


# 2. --set on lists, numeric indexes, quoted keys, errors located at the --set.

ENV_LIST = "task_id: t\nimage: b\nenv_vars: [{name: A, value: '1'}, {name: B, value_from: {field_ref: {field_path: x}}}]\n"


def test_set_env_var_in_list_form_updates_or_appends_by_name():
    spec = one(ENV_LIST, overrides=["env_vars.C=3"])
    assert spec.env_vars == [{"name": "A", "value": "1"},
                             {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "x"}}},
                             {"name": "C", "value": "3"}]
    spec = one(ENV_LIST, overrides=["env_vars.A=9", "env_vars.B=2.50"])
    assert spec.env_vars == [{"name": "A", "value": "9"}, {"name": "B", "value": "2.50"}]
    (err,) = check_spec_text(ENV_LIST, "t.yaml", overrides=["env_vars.C=[x]"])
    assert err.source == "--set env_vars.C=[x]"


def test_set_a_named_key_under_another_list_is_an_error():
    text = "task_id: t\nimage: b\ncmds: [sh, -c, 'echo a']\n"
    (err,) = check_spec_text(text, "t.yaml", overrides=["cmds.x=1"])
    assert err.source == "--set cmds.x=1" and "list" in err.what and "cmds.0" in err.what
    (err,) = check_spec_text(ENV_LIST, "t.yaml", overrides=["env_vars.A.b=1"])
    assert err.source == "--set env_vars.A.b=1" and "list" in err.what


def test_set_numeric_segments_index_lists():
    text = "task_id: t\nimage: b\ncmds: [sh, -c, 'echo a']\nvolumes: [{name: v, empty_dir: {}}]\n"
    assert one(text, overrides=["cmds.2=echo b"]).cmds == ["sh", "-c", "echo b"]
    assert one(text, overrides=["cmds.3=x"]).cmds == ["sh", "-c", "echo a", "x"]
    assert one(text, overrides=["arguments.0=x"]).arguments == ["x"]
    assert one(text, overrides=["volumes.0.name=w", "volume_mounts.0.name=w",
                                "volume_mounts.0.mount_path=/w"]).volumes == [{"name": "w", "emptyDir": {}}]
    (err,) = check_spec_text(text, "t.yaml", overrides=["cmds.5=x"])
    assert err.source == "--set cmds.5=x" and "3 items" in err.what
    # a number on a mapping is a key, as before
    assert one(text, overrides=["params.2=x"]).params == {"2": "x"}


def test_set_quoted_segment_holds_dots():
    text = "task_id: t\nimage: b\nnode_selector:\n  kubernetes.io/arch: amd64\n"
    spec = one(text, overrides=['node_selector."kubernetes.io/arch"=arm64'])
    assert spec.node_selector == {"kubernetes.io/arch": "arm64"}
    spec = one(text, overrides=['labels."app.kubernetes.io/name"=x', 'annotations."example.com/v"=1.0'])
    assert spec.labels == {"app.kubernetes.io/name": "x"} and spec.annotations == {"example.com/v": "1.0"}
    assert split_override('a. "b=c" .2."d\\"e"=x=y') == (("a", "b=c", 2, 'd"e'), "x=y")
    assert override_key(("a", "b=c", 2, 'd"e', "f.g")) == 'a."b=c".2."d\\"e"."f.g"'
    (err,) = check_spec_text(text, "t.yaml", overrides=['labels."bad key!"=x'])
    assert err.source == "--set labels.\"bad key!\"=x" and err.key == "labels.bad key!"
    for bad in ['labels."open=x', 'labels."a"b=x', 'labels.""=x']:
        (err,) = check_spec_text(text, "t.yaml", overrides=[bad])
        assert "expected KEY=VALUE" in str(err), bad


def test_errors_caused_by_a_set_point_at_it():
    # env_vars come first in the container: the duplicate is the file's, and it names the --set.
    text = "task_id: t\nimage: b\npod_runtime_info_envs: [{name: A, value: y}]\n"
    (err,) = check_spec_text(text, "t.yaml", overrides=["env_vars.A=x"])
    assert err.source == "t.yaml" and err.line == 3 and "set twice" in err.what
    assert "the other is at env_vars.A (--set env_vars.A=x)" in err.what
    (err,) = check_spec_text("task_id: t\nimage: b\nenv_vars: {A: y}\n", "t.yaml",
                             overrides=["pod_runtime_info_envs=[{name: A, value: x}]"])
    assert err.source == "--set pod_runtime_info_envs=[{name: A, value: x}]" and "set twice" in err.what
    text = "task_id: t\nimage: b\nvolumes: [{name: v, empty_dir: {}}]\nvolume_mounts: [{name: v, mount_path: /v}]\n"
    (err,) = check_spec_text(text, "t.yaml", overrides=["volume_mounts.0.name=w"])
    assert err.source == "--set volume_mounts.0.name=w" and "mounts volume 'w'" in err.what


# 3. Old-style resources keys mixed with new ones.

def test_old_and_new_resources_keys_merge():
    spec = one("task_id: t\nimage: b\nresources:\n  limits: {cpu: '1'}\n  request_memory: 1Gi\n")
    assert spec.container_resources == {"limits": {"cpu": "1"}, "requests": {"memory": "1Gi"}}
    assert spec.warnings == ["t.yaml:3:1: resources: deprecated, use 'container_resources'"]
    spec = one("task_id: t\nimage: b\nresources: {requests: {cpu: '1'}, request_memory: 1Gi, limit_gpu: 1}\n")
    assert spec.container_resources == {"requests": {"cpu": "1", "memory": "1Gi"},
                                        "limits": {"nvidia.com/gpu": "1"}}
    (err,) = problems("task_id: t\nimage: b\nresources:\n  limits: {cpu: '1'}\n  limit_cpu: 2\n")
    assert err.startswith("t.yaml:5:3: resources.limit_cpu:") and "limits" in err


# 4. Errors under a deprecated spelling point at what was written.

def test_errors_under_deprecated_alias_use_the_written_key():
    (err,) = problems("task_id: t1\nimage: busybox\nnode_selectors:\n  disk: [a, b]\n")
    assert err.startswith("t.yaml:4:3: node_selectors.disk:")
    (err,) = problems("task_id: t\nimage: b\nnode_selectors: [a]\n")
    assert err.startswith("t.yaml:3:1: node_selectors:")
    (err,) = problems("task_id: t\nimage: b\nnode_selectors: {disk: 0022}\n")
    assert err.startswith("t.yaml:3:18: node_selectors.disk:") and "quote it" in err
    (err,) = problems("task_id: t\nimage: b\nnode_selectors: {disk: '{{ params.nope }}'}\n")
    assert err.startswith("t.yaml:3:18: node_selectors.disk:") and "undefined name: params.nope" in err
    spec = one("task_id: t\nimage: b\nnode_selectors: {disk: '{{ params.d }}'}\nparams: {d: ssd}\n")
    assert render_spec(spec, run_id="r", ts=TS).node_selector == {"disk": "ssd"}
    with pytest.raises(SpecError, match=r"^--set node_selectors.disk=\[1\]: node_selectors.disk:"):
        one("task_id: t\nimage: b\n", overrides=["node_selectors.disk=[1]"])
