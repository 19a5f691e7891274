"""pytest plugin: each test that asks for ``sim`` gets its own simulated cluster.

Loaded from ``tests/conftest.py``. Imports of the sim happen inside the
fixtures so that collecting tests that never use it stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from kpodtui.sim.cluster import SimCluster


@pytest.fixture
def sim(tmp_path_factory) -> Iterator[SimCluster]:
    """A fresh simulated cluster on a free port, stopped (processes killed) after the test."""
    from kpodtui.sim.cluster import SimCluster

    workdir = tmp_path_factory.mktemp("sim")
    cluster = SimCluster.start(workdir=workdir)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def sim_kubeconfig(sim, monkeypatch) -> str:
    """Path of the sim's kubeconfig, also exported as ``KUBECONFIG``."""
    monkeypatch.setenv("KUBECONFIG", str(sim.kubeconfig_path))
    return str(sim.kubeconfig_path)
