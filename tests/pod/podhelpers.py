"""Helpers: specs from YAML text, built pods, schema validation."""

from __future__ import annotations

import random
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import kubernetes_validate
import pytest

from kpodtui.pod import RunIdentity, build_pod
from kpodtui.spec import render_spec
from kpodtui.tasks import load_spec_text

TS = datetime(2024, 1, 1, tzinfo=UTC)
K8S_VERSION = kubernetes_validate.latest_version()


def spec_of(text: str, base_dir: Path | None = None, render: bool = True):
    spec = load_spec_text(textwrap.dedent(text), source="test.yaml", base_dir=base_dir)[0]
    return render_spec(spec, run_id="manual__2024-01-01T00:00:00+00:00", ts=TS) if render else spec


def pod_of(text: str, identity: RunIdentity | None = None, base_dir: Path | None = None, seed: int = 0) -> dict:
    return build_pod(spec_of(text, base_dir), identity, rng=random.Random(seed))


def assert_valid_manifest(pod: dict) -> None:
    """The official schema (strict: unknown fields are errors) accepts ``pod``."""
    try:
        kubernetes_validate.validate(pod, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        pytest.fail(f"schema rejects the manifest: {exc.message} at {list(exc.path)}")


def base(pod: dict) -> dict:
    return pod["spec"]["containers"][0]
