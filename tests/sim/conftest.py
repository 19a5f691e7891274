"""Fixtures for the API-level sim tests: the official client, and a raw HTTP helper."""

from __future__ import annotations

import pytest
from kubernetes import client, config

from .helpers import raw_request


@pytest.fixture
def api_client(sim):
    """An ``ApiClient`` from the sim's kubeconfig (the unmodified official client)."""
    api = config.new_client_from_config(config_file=str(sim.kubeconfig_path))
    yield api
    api.close()


@pytest.fixture
def v1(api_client) -> client.CoreV1Api:
    """``CoreV1Api`` for the sim."""
    return client.CoreV1Api(api_client)


@pytest.fixture
def raw(sim):
    """``raw(method, path, body=None, headers=None, token=True)`` against the sim."""
    return lambda *a, **kw: raw_request(sim, *a, **kw)
