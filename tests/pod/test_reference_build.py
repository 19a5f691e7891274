"""The pod matches the reference's ``build_pod_request_obj``: maps replaced whole, template values
converted to the API's types as its deserializer does, YAML dates taken as text.

The reference's own behaviour is that of ``kpo-behaviour.md`` §2 (merge rules) and of the
client's deserializer (``ApiClient.__deserialize``), which the reference runs on a template.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import textwrap

import kubernetes_validate
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from podhelpers import K8S_VERSION, assert_valid_manifest, base, pod_of

from kpodtui.cli import main
from kpodtui.pod import build_pod
from kpodtui.spec import SpecError, render_spec
from kpodtui.spec.apicheck import models
from kpodtui.spec.apirules import FIELD_RULES, Enum
from kpodtui.tasks import load_spec_text

TS = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def _template(tmp_path, text: str) -> None:
    (tmp_path / "tpl.yaml").write_text(textwrap.dedent(text))


# -- maps the reference replaces whole ------------------------------------------------------


def test_node_selector_and_overhead_of_the_parameters_replace_the_templates_whole(tmp_path):
    _template(tmp_path, """
        spec:
          nodeSelector: {disk: ssd, zone: a}
          overhead: {cpu: 100m, memory: 10Mi}
          containers: [{name: base, image: tmpl}]
    """)
    pod = pod_of("task_id: t\npod_template_file: tpl.yaml\nnode_selector: {zone: b}\n", base_dir=tmp_path)
    assert pod["spec"]["nodeSelector"] == {"zone": "b"}  # not {disk: ssd, zone: b}
    assert pod["spec"]["overhead"] == {"cpu": "100m", "memory": "10Mi"}  # no parameter: the template's
    pod = pod_of("task_id: t\npod_template_file: tpl.yaml\n", base_dir=tmp_path)
    assert pod["spec"]["nodeSelector"] == {"disk": "ssd", "zone": "a"}


def test_full_pod_spec_replaces_the_templates_maps_whole_too(tmp_path):
    _template(tmp_path, "spec:\n  nodeSelector: {disk: ssd, zone: a}\n  overhead: {cpu: 1}\n"
                        "  containers: [{name: base, image: tmpl}]\n")
    pod = pod_of("task_id: t\npod_template_file: tpl.yaml\n"
                 "full_pod_spec: {spec: {nodeSelector: {zone: c}, overhead: {memory: 1Mi}}}\n", base_dir=tmp_path)
    assert pod["spec"]["nodeSelector"] == {"zone": "c"}
    assert pod["spec"]["overhead"] == {"memory": "1Mi"}


def test_labels_and_annotations_still_merge_by_key(tmp_path):
    _template(tmp_path, "metadata: {labels: {a: t, b: t}, annotations: {x: t}}\nspec: {containers: [{name: base}]}\n")
    pod = pod_of("task_id: t\nimage: i\npod_template_file: tpl.yaml\nlabels: {b: p}\nannotations: {y: p}\n",
                 base_dir=tmp_path)
    assert pod["metadata"]["labels"] == {"a": "t", "b": "p"}
    assert pod["metadata"]["annotations"] == {"x": "t", "y": "p"}


def test_an_explicit_empty_map_clears_the_templates(tmp_path):
    """A deliberate difference: the reference cannot clear a template's nodeSelector ({} is falsy)."""
    _template(tmp_path, "spec: {nodeSelector: {disk: ssd}, containers: [{name: base, image: i}]}\n")
    pod = pod_of("task_id: t\npod_template_file: tpl.yaml\nnode_selector: {}\n", base_dir=tmp_path)
    assert "nodeSelector" not in pod["spec"]


# -- template values converted to the API's types ------------------------------------------------


def test_template_values_are_converted_as_the_reference_deserializer_does(tmp_path):
    _template(tmp_path, """
        metadata:
          labels: {revision: 2, tier: db}
          annotations: {replicas: 3, updated: 2024-05-01, at: 2024-05-01T10:00:00Z}
        spec:
          nodeSelector: {rack: 12}
          overhead: {cpu: 1}
          activeDeadlineSeconds: "600"
          containers:
            - name: base
              image: busybox
              env: [{name: N, value: 4}]
              ports: [{containerPort: "8080", name: http}]
              resources: {limits: {cpu: 0.5, memory: 64Mi}}
    """)
    pod = pod_of("task_id: t\npod_template_file: tpl.yaml\n", base_dir=tmp_path)
    assert pod["metadata"]["labels"] == {"revision": "2", "tier": "db"}
    assert pod["metadata"]["annotations"] == {"replicas": "3", "updated": "2024-05-01", "at": "2024-05-01T10:00:00Z"}
    assert pod["spec"]["nodeSelector"] == {"rack": "12"}
    assert pod["spec"]["overhead"] == {"cpu": "1"}
    assert pod["spec"]["activeDeadlineSeconds"] == 600
    c = base(pod)
    assert c["env"] == [{"name": "N", "value": "4"}]
    assert c["ports"] == [{"containerPort": 8080, "name": "http"}]
    assert c["resources"] == {"limits": {"cpu": "0.5", "memory": "64Mi"}}
    assert_valid_manifest(pod)


@pytest.mark.parametrize(("written", "why"), [
    ("true", "YAML reads true as a boolean (quote it: 'true')"),
    ("yes", "YAML reads yes as a boolean (quote it: 'yes')"),
    ("3.10", "YAML reads 3.10 as the number 3.1 (quote it: '3.10')"),
    ("0022", "YAML reads 0022 as the number 18 (quote it: '0022')"),
])
def test_a_template_value_yaml_would_change_is_an_error_at_its_line(tmp_path, written, why):
    """The reference sends str(value): "True", "3.1", "18"; kpodtui asks to quote it instead."""
    _template(tmp_path, f"metadata:\n  labels:\n    flag: {written}\nspec: {{containers: [{{name: base, image: i}}]}}\n")
    with pytest.raises(SpecError) as info:
        pod_of("task_id: t\npod_template_file: tpl.yaml\n", base_dir=tmp_path)
    err = info.value
    assert err.source == str(tmp_path / "tpl.yaml") and (err.line, err.column) == (3, 5)
    assert err.key == "metadata.labels.flag" and why in err.what


def test_a_date_in_a_template_prints_as_json_and_as_quoted_yaml(tmp_path, capsys):
    _template(tmp_path, "metadata: {annotations: {updated: 2024-05-01}}\nspec: {containers: [{name: base, image: i}]}\n")
    (tmp_path / "t.yaml").write_text("task_id: t\npod_template_file: tpl.yaml\n")
    assert main(["validate", str(tmp_path / "t.yaml")]) == 0
    capsys.readouterr()
    assert main(["dry-run", str(tmp_path / "t.yaml"), "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["metadata"]["annotations"] == {"updated": "2024-05-01"}
    assert main(["dry-run", str(tmp_path / "t.yaml")]) == 0
    out = capsys.readouterr().out
    assert "updated: '2024-05-01'" in out
    assert yaml.safe_load(out)["metadata"]["annotations"]["updated"] == "2024-05-01"  # a string, read back


def test_a_converted_template_is_accepted_by_the_cluster(tmp_path, sim, sim_kubeconfig, capsys):
    """A label `revision: 2` or an env value `4` was sent as a number: refused with 'cannot unmarshal number'."""
    _template(tmp_path, "metadata: {labels: {revision: 2}}\nspec:\n  containers:\n"
                        "    - {name: base, image: busybox, env: [{name: N, value: 4}], command: [sh, -c, 'echo n=$N']}\n")
    (tmp_path / "t.yaml").write_text("task_id: t\npod_template_file: tpl.yaml\n")
    assert main(["run", str(tmp_path / "t.yaml")]) == 0, capsys.readouterr().err
    assert "[base] n=4" in capsys.readouterr().out


# -- property: any scalar in any field of a template ------------------------------------------------

_SCALAR_TYPES = {"str", "int32", "int64", "bool", "quantity", "intorstr"}
_PY = {"str": str, "int32": int, "int64": int, "bool": bool, "quantity": str}
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12), st.dates(),
    st.from_regex(r"[0-9]{1,6}", fullmatch=True), st.sampled_from(["1Gi", "250m", "Always", "TCP", "web", "a-b"]),
)


def _scalar_fields(model: str) -> list[tuple[str, str]]:
    fields = models()[model]["fields"]
    return [(f, t) for f, t in fields.items() if t in _SCALAR_TYPES or t in ("{str}", "{quantity}", "[str]")]


def _plausible(model: str, field: str, typ: str) -> st.SearchStrategy:
    """A value of the field's kind, often written as another YAML type (what conversion is for)."""
    rule = FIELD_RULES.get((model, field))
    if typ == "str":
        if isinstance(rule, Enum):
            return st.sampled_from(rule.choices)
        if field.lower().endswith("ip"):
            return st.just("10.0.0.1")
        return st.one_of(st.sampled_from(["a-b", "web", "x1"]), st.integers(0, 99), st.dates())
    if typ in ("int32", "int64"):
        return st.one_of(st.integers(1, 100), st.from_regex(r"[1-9][0-9]{0,2}", fullmatch=True))
    if typ == "bool":
        return st.booleans()
    if typ == "quantity":
        return st.one_of(st.sampled_from(["250m", "1Gi", "1"]), st.integers(1, 4), st.just(0.5))
    return st.one_of(st.integers(1, 65535), st.sampled_from(["http", "web"]))  # intorstr


def _value(model: str, field: str, typ: str) -> st.SearchStrategy:
    # mostly plausible, sometimes anything: about half of the templates build, half are refused
    return st.integers(0, 19).flatmap(lambda n: scalars if n == 0 else _plausible(model, field, typ))


@st.composite
def _object(draw, model: str) -> dict:
    out = {}
    fields = dict(_scalar_fields(model))
    chosen = draw(st.lists(st.sampled_from(sorted(fields.items())), max_size=4, unique=True))
    required = [(f, fields[f]) for f in models()[model]["required"] if f in fields]
    for field, typ in {**dict(chosen), **dict(required)}.items():
        if typ.startswith("{"):
            keys = st.sampled_from(["cpu", "memory"] if typ == "{quantity}" else ["a", "b.io/c"])
            out[field] = draw(st.dictionaries(keys, _value(model, field, typ[1:-1]), max_size=2))
        elif typ == "[str]":
            out[field] = draw(st.lists(_value(model, field, "str"), max_size=2))
        else:
            out[field] = draw(_value(model, field, typ))
    return out


@st.composite
def templates(draw) -> dict:
    container = {**draw(_object("V1Container")), "name": "base"}
    for key, model in (("ports", "V1ContainerPort"), ("env", "V1EnvVar"), ("volumeMounts", "V1VolumeMount")):
        if draw(st.booleans()):
            container[key] = [draw(_object(model))]
    if draw(st.booleans()):
        container["resources"] = draw(_object("V1ResourceRequirements"))
    if draw(st.booleans()):
        container["securityContext"] = draw(_object("V1SecurityContext"))
    spec = {**draw(_object("V1PodSpec")), "containers": [container]}
    spec.pop("restartPolicy", None)
    if draw(st.booleans()):
        spec["tolerations"] = [{**draw(_object("V1Toleration")), "key": "k"}]
    if draw(st.booleans()):
        spec["volumes"] = [{**draw(_object("V1Volume")), "name": "v", "emptyDir": draw(_object("V1EmptyDirVolumeSource"))}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": draw(_object("V1ObjectMeta")), "spec": spec}


def _check_types(value, model: str, path=()) -> None:
    """Every value of the built pod has the Python type of its field in the client's schema."""
    fields = models()[model]["fields"]
    for key, v in value.items():
        typ = fields.get(key)
        if typ is None or v is None:
            continue
        if typ in models():
            _check_types(v, typ, (*path, key))
        elif typ.startswith("[") and typ[1:-1] in models():
            for i, item in enumerate(v):
                _check_types(item, typ[1:-1], (*path, key, i))
        elif typ.startswith("{"):
            assert all(isinstance(x, str) for x in v.values()), ((*path, key), v)
        elif typ.startswith("["):
            assert all(isinstance(x, _PY.get(typ[1:-1], object)) for x in v), ((*path, key), v)
        elif typ in _PY:
            assert isinstance(v, _PY[typ]) and (typ == "bool" or not isinstance(v, bool)), ((*path, key), v, typ)
        elif typ == "intorstr":
            assert isinstance(v, int | str) and not isinstance(v, bool), ((*path, key), v)


BUILT: list[int] = []


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(templates())
def test_any_scalar_in_any_template_field_is_converted_or_refused_never_sent_wrong(tmp_path, template):
    (tmp_path / "tpl.yaml").write_text(yaml.safe_dump(template, sort_keys=False, allow_unicode=True))
    try:
        spec = render_spec(load_spec_text("task_id: t\nimage: busybox\npod_template_file: tpl.yaml\n", source="t.yaml",
                                          base_dir=tmp_path)[0], run_id="r", ts=TS)
        pod = build_pod(spec, None, rng=random.Random(0))
    except SpecError as exc:
        assert "\n" not in str(exc) and exc.source and exc.what, exc  # one positioned line
        return
    json.dumps(pod)  # no date, no Python object left
    _check_types(pod, "V1Pod")
    BUILT.append(1)
    try:
        kubernetes_validate.validate(pod, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        pytest.fail(f"schema rejects the built pod: {exc.message} at {list(exc.path)}\n{template}")
