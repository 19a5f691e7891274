"""Every sample task validates, and its dry-run manifest passes the official schema."""

from __future__ import annotations

import json
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from kpodtui.cli import main

SAMPLES = Path(__file__).resolve().parent.parent / "sample_tasks"
# Every top-level file is a task spec (pod templates live in sample_tasks/templates/), so
# `kpodtui validate sample_tasks/*.yaml` is clean for a newcomer.
SPECS = sorted(SAMPLES.glob("*.yaml"))
REQUIRED = {"hello", "multi_container", "xcom", "failing", "skip", "template", "full_pod_spec",
            "init_containers", "keep_pod", "deadline", "bad_image", "templated"}


def test_the_issue_samples_exist_with_a_how_to_run_header():
    assert all("task_id" in yaml.safe_load(p.read_text()) for p in SPECS)
    assert {p.stem for p in SPECS} >= REQUIRED
    for path in SPECS:
        header = path.read_text().split("\n", 1)[0]
        assert header.startswith(f"# {path.name} — "), path
        assert f"sample_tasks/{path.name}" in path.read_text(), f"{path.name} says how to run it"


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_sample_validates_and_dry_run_is_schema_valid(path, capsys):
    assert main(["validate", str(path)]) == 0
    assert "ok" in capsys.readouterr().out
    assert main(["dry-run", str(path), "-o", "json"]) == 0
    pod = json.loads(capsys.readouterr().out)
    kubernetes_validate.validate(pod, kubernetes_validate.latest_version(), strict=True)
    assert main(["dry-run", str(path)]) == 0
    as_yaml = yaml.safe_load(capsys.readouterr().out)
    # Random parts (name suffix, secret volume names) differ between the two runs.
    assert as_yaml["spec"]["containers"][0].keys() == pod["spec"]["containers"][0].keys()
    assert as_yaml["spec"]["containers"][0]["command"] == pod["spec"]["containers"][0]["command"]
    base = pod["spec"]["containers"][0]
    # The sim runs command+args as local processes: every sample must say what to run.
    assert base.get("command"), f"{path.name} needs explicit cmds"


@pytest.mark.kubectl
@pytest.mark.parametrize("name", ["xcom", "configmap_secret", "init_containers"])
def test_kubectl_accepts_the_dry_run_manifest(name, request, capsys):
    """`kubectl apply --dry-run=client -f -` against the simulated cluster accepts dry-run output."""
    import shutil
    import subprocess

    if not shutil.which("kubectl"):
        pytest.skip("kubectl not installed")
    pytest.importorskip("kpodtui.sim.cluster")
    kubeconfig = request.getfixturevalue("sim_kubeconfig")
    assert main(["dry-run", str(SAMPLES / f"{name}.yaml")]) == 0
    manifest = capsys.readouterr().out
    # The sim serves no OpenAPI document; the schema itself is checked with kubernetes_validate above.
    proc = subprocess.run(["kubectl", "--kubeconfig", kubeconfig, "apply", "--dry-run=client",
                           "--validate=false", "-f", "-"],
                          input=manifest, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "created (dry run)" in proc.stdout
