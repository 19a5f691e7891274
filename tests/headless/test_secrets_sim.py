"""Secret values never reach stdout, the JSON summary, the history or the failure report."""

from __future__ import annotations

import json

from kpodtui.history import History
from tests.headless.test_cli_sim import Proc

SECRET = "S3cr3t-V4lue-9f8e7d"
OTHER = "an0ther-s3cret-c0de"


def test_secret_values_never_leak(cluster, tmp_path, _hermetic_home):
    cluster.create_secret(cluster.namespace, "creds", {"password": SECRET, "api_key": OTHER})
    spec = tmp_path / "secret.yaml"
    spec.write_text(
        "task_id: secretive\nimage: busybox\n"
        # The task uses the values without printing them, then fails so the report has the pod.
        """cmds: [sh, -c, 'echo "password has ${#PASSWORD} chars, key has ${#api_key}"; exit 2']\n"""
        "secrets:\n"
        "  - {deploy_type: env, deploy_target: PASSWORD, secret: creds, key: password}\n"
        "env_from:\n"
        "  - secretRef: {name: creds}\n"
        "env_vars:\n"
        "  DB_PASSWORD: literal-pass-0101\n"
        "log_pod_spec_on_failure: true\n"
        "log_events_on_failure: true\n"
    )
    proc = Proc("run", str(spec), "--kubeconfig", str(cluster.kubeconfig_path), "--json")
    assert proc.finish() == 1, proc.err
    assert proc.out[0] == f"[base] password has {len(SECRET)} chars, key has {len(OTHER)}"
    summary = json.loads(proc.out[-1])
    assert "pod (secret values masked)" in summary["report"]
    assert "secretKeyRef" in summary["report"] and "***" in summary["report"]
    everything = "\n".join(proc.out + proc.err)
    history = History.open()
    record = history.get_run(summary["run_id"])
    stored = b"".join(p.read_bytes() for p in _hermetic_home.rglob("*") if p.is_file())
    for value in (SECRET, OTHER, "literal-pass-0101"):
        assert value not in everything
        assert value not in (record.failure_report or "")
    for value in (SECRET, OTHER):  # (the literal is in the spec file the user wrote, kept in history)
        assert value.encode() not in stored
