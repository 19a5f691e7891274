"""Error positions: a syntax error at the line of the problem naming its key, a template error at its
list item, a duplicate at its second definition (naming the first), an error inside full_pod_spec or a
pod template file at its own line."""

from __future__ import annotations

import pytest

from kpodtui.tasks import check_spec_text


def one(text: str, **kw):
    (err,) = check_spec_text(text, "t.yaml", **kw)
    return err


@pytest.mark.parametrize(("text", "line", "column", "key", "what"), [
    ("task_id: t\nimage: [\n", 2, 8, "image", "this '[' is never closed"),
    ("task_id: t\nimage: b\nlabels: {a: b\n\n\n# the end\n", 3, 9, "labels", "this '{' is never closed"),
    ('task_id: t\nimage: b\ncmds: ["echo\n', 3, 8, "cmds", "this quote is never closed"),
    ("task_id: t\nfull_pod_spec:\n  spec:\n    containers:\n      - name: x\n        args: [1, 2\n"
     "        image: y\n", 6, 15, "full_pod_spec.spec.containers.args", "this '[' is never closed (at line 7)"),
    ("task_id: t\nimage: b\n  c: d\n", 3, 4, "image.c", "mapping values are not allowed"),
])
def test_a_yaml_syntax_error_points_at_the_problem_and_names_the_key(text, line, column, key, what):
    err = one(text)
    assert (err.line, err.column, err.key) == (line, column, key), str(err)
    assert "invalid YAML" in err.what and what in err.what


def test_an_undefined_name_is_named_with_its_list_index_and_line():
    err = one("task_id: t\nimage: b\narguments:\n  - fine\n  - 'x {{ params.missing }}'\n")
    assert (err.line, err.column, err.key) == (5, 5, "arguments[1]")
    assert err.what == "the template uses an undefined name: params.missing"
    err = one("task_id: t\nimage: b\nenv_vars: {A: '{{ params.a.b }}'}\nparams: {a: {}}\n")
    assert (err.line, err.key, err.what) == (3, "env_vars.A", "the template uses an undefined name: params.a.b")


def test_a_duplicate_volume_points_at_its_second_definition(tmp_path):
    (tmp_path / "tpl.yaml").write_text("spec:\n  containers: [{name: base}]\n  volumes:\n"
                                       "    - {name: v, emptyDir: {}}\n    - {name: v, emptyDir: {}}\n")
    err = one("task_id: t\nimage: b\npod_template_file: tpl.yaml\n", base_dir=tmp_path)
    assert (err.source, err.line, err.key) == (str(tmp_path / "tpl.yaml"), 5, "spec.volumes[1].name")
    assert 'Duplicate value: "v"' in err.what and "already defined at spec.volumes[0]" in err.what
    err = one("task_id: t\nimage: b\nfull_pod_spec:\n  spec:\n    volumes: [{name: v, emptyDir: {}}]\n"
              "volumes:\n  - {name: w, emptyDir: {}}\n  - {name: v, emptyDir: {}}\n")
    assert (err.line, err.column, err.key) == (8, 6, "volumes[1].name")
    assert "already defined at full_pod_spec.spec.volumes[0] (t.yaml:5)" in err.what


def test_an_error_inside_full_pod_spec_or_a_template_file_points_at_its_own_line(tmp_path):
    err = one("task_id: t\nimage: b\nfull_pod_spec:\n  spec:\n    containers:\n      - name: base\n"
              "        env:\n          - {name: A, value: x}\n          - {name: A, value: y}\n")
    assert (err.line, err.key) == (9, "full_pod_spec.spec.containers[0].env[1].name") and "set twice" in err.what
    (tmp_path / "tpl.yaml").write_text("spec:\n  containers:\n    - name: base\n      ports:\n"
                                       "        - containerPort: 99999\n")
    err = one("task_id: t\nimage: b\npod_template_file: tpl.yaml\n", base_dir=tmp_path)
    assert (err.source, err.line, err.column) == (str(tmp_path / "tpl.yaml"), 5, 11)
    assert err.key == "spec.containers[0].ports[0].containerPort"


def test_an_error_a_set_causes_points_at_the_set():
    err = one("task_id: t\nimage: b\n", overrides=["ports=[{containerPort: 99999}]"])
    assert err.source == "--set ports=[{containerPort: 99999}]" and err.key == "ports[0].containerPort"
