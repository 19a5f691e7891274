"""Property: any valid spec builds a manifest the official Kubernetes schema accepts."""

from __future__ import annotations

import random
import re

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from podhelpers import TS, assert_valid_manifest

from kpodtui.pod import RunIdentity, build_pod
from kpodtui.spec import render_spec
from kpodtui.tasks import load_spec_text

LABEL = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,20}[A-Za-z0-9])?"
DNS = r"[a-z0-9]([-a-z0-9]{0,15}[a-z0-9])?"
safe_text = st.text(st.characters(codec="ascii", exclude_characters="{}%\x00\r"), max_size=30)
label_key = st.one_of(st.from_regex(LABEL, fullmatch=True),
                      st.builds(lambda p, n: f"{p}.io/{n}", st.from_regex(DNS, fullmatch=True),
                                st.from_regex(LABEL, fullmatch=True)))
label_value = st.one_of(st.just(""), st.from_regex(LABEL, fullmatch=True))
env_name = st.from_regex(r"[A-Z][A-Z0-9_]{0,10}", fullmatch=True)
quantity = st.sampled_from(["10m", "1", "250m", "64Mi", "1Gi"])


@st.composite
def specs(draw) -> dict:
    spec: dict = {
        "task_id": draw(st.from_regex(r"[A-Za-z][A-Za-z0-9_.-]{0,90}", fullmatch=True)),
        "image": draw(st.sampled_from(["busybox:1.36", "python:3.12-slim", "registry.example.com/a/b:1"])),
    }
    optional = {
        "cmds": st.lists(safe_text, max_size=4),
        "arguments": st.lists(safe_text, max_size=4),
        "env_vars": st.dictionaries(env_name, safe_text, max_size=4),
        "labels": st.dictionaries(label_key, label_value, max_size=4),
        "annotations": st.dictionaries(label_key, safe_text, max_size=3),
        "namespace": st.from_regex(DNS, fullmatch=True),
        "name": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,80}", fullmatch=True),
        "random_name_suffix": st.booleans(),
        "hostnetwork": st.booleans(),
        "do_xcom_push": st.booleans(),
        "termination_grace_period": st.integers(0, 600),
        "active_deadline_seconds": st.integers(1, 10_000),
        "image_pull_policy": st.sampled_from(["Always", "IfNotPresent", "Never"]),
        "termination_message_policy": st.sampled_from(["File", "FallbackToLogsOnError"]),
        "container_resources": st.fixed_dictionaries({"limits": st.dictionaries(
            st.sampled_from(["cpu", "memory"]), quantity, max_size=2)}),
        "node_selector": st.dictionaries(label_key, label_value, max_size=2),
        "configmaps": st.lists(st.from_regex(DNS, fullmatch=True), max_size=2),
        "image_pull_secrets": st.lists(st.from_regex(DNS, fullmatch=True), max_size=2),
        "tolerations": st.lists(st.fixed_dictionaries(
            {"key": st.from_regex(LABEL, fullmatch=True), "operator": st.just("Exists")}), max_size=2),
        "service_account_name": st.from_regex(DNS, fullmatch=True),
        "base_container_name": st.from_regex(DNS, fullmatch=True),
        "security_context": st.fixed_dictionaries({"run_as_user": st.integers(0, 65535)}),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            spec[key] = draw(strategy)
    if spec.get("base_container_name") == "airflow-xcom-sidecar":
        del spec["base_container_name"]
    if spec.get("name") and not re.search(r"[A-Za-z0-9]", spec["name"]):
        del spec["name"]
    if spec.get("random_name_suffix") is False and "name" in spec:
        spec["name"] = spec["name"][:40].strip("-._") or "x"
        spec["name"] = re.sub(r"[^a-z0-9]+$", "", re.sub(r"[^a-z0-9-]+", "-", spec["name"].lower())) or "x"
        spec["name"] = spec["name"].lstrip("-") or "x"
    if draw(st.booleans()):
        n = draw(st.integers(1, 3))
        spec["volumes"] = [{"name": f"vol{i}", "emptyDir": {}} for i in range(n)]
        spec["volume_mounts"] = [{"name": f"vol{i}", "mountPath": f"/mnt/{i}"} for i in range(n)]
    if draw(st.booleans()):
        spec["secrets"] = [
            {"deploy_type": "env", "deploy_target": "secret_token", "secret": "s1", "key": "token"},
            {"deploy_type": "env", "secret": "s2"},
            {"deploy_type": "volume", "deploy_target": "/etc/s3", "secret": "s3"},
        ][: draw(st.integers(1, 3))]
    if draw(st.booleans()):
        spec["init_containers"] = [{"name": f"init-{i}", "image": "busybox:1.36", "command": ["true"]}
                                   for i in range(draw(st.integers(1, 2)))]
    return spec


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs(), st.integers(0, 2**32), st.booleans())
def test_random_valid_specs_build_schema_valid_manifests(raw, seed, with_identity):
    text = yaml.safe_dump(raw, sort_keys=False)
    spec = render_spec(load_spec_text(text)[0], run_id="scheduled__2024-01-01T00:00:00+00:00", ts=TS)
    identity = RunIdentity("scheduled__2024-01-01T00:00:00+00:00", 3) if with_identity else None
    pod = build_pod(spec, identity, rng=random.Random(seed))
    assert_valid_manifest(pod)
    assert pod["spec"]["restartPolicy"] == "Never"
    assert pod["spec"]["containers"][0]["name"] == spec.base_container_name
    name = pod["metadata"]["name"]
    assert len(name) <= 63 and re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", name)
    assert "already_checked" not in pod["metadata"].get("labels", {})
    assert (pod["spec"]["containers"][-1]["name"] == "airflow-xcom-sidecar") == spec.do_xcom_push
    assert not list(_nones(pod))


def _nones(value, path=()):
    """Paths of None values and empty maps/lists (other than emptyDir) in a manifest."""
    if value is None:
        yield path
    elif isinstance(value, dict):
        if not value and path[-1:] != ("emptyDir",):
            yield path
        for k, v in value.items():
            yield from _nones(v, (*path, k))
    elif isinstance(value, list):
        if not value:
            yield path
        for i, v in enumerate(value):
            yield from _nones(v, (*path, i))
