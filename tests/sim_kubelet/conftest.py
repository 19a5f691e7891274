"""Fixtures for the kubelet-half tests: the official client on a fresh sim."""

from __future__ import annotations

import pytest


@pytest.fixture
def api(sim):
    """``CoreV1Api`` of the official client, talking to the sim over HTTP(S)."""
    from kubernetes import client, config

    return client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))
