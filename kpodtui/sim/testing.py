"""pytest plugin: each test that asks for ``sim`` gets its own simulated cluster.

Loaded from ``tests/conftest.py``. Imports of the sim happen inside the
fixtures so that collecting tests that never use it stays cheap.

Fixtures:

* ``sim``: a fresh cluster (default node), stopped after the test;
* ``sim_kubeconfig``: its kubeconfig path, also exported as ``KUBECONFIG``;
* ``make_sim``: a factory ``make_sim(node=NodeConfig(...), tls=...)`` for
  clusters with a configured node; every one made is stopped after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from kpodtui.sim.cluster import SimCluster


@pytest.fixture
def make_sim(tmp_path_factory) -> Iterator[Callable[..., SimCluster]]:
    """A factory of simulated clusters (keyword arguments go to ``SimCluster.start``)."""
    from kpodtui.sim.cluster import SimCluster

    started: list[SimCluster] = []

    def make(**kwargs: Any) -> SimCluster:
        kwargs.setdefault("workdir", tmp_path_factory.mktemp("sim"))
        cluster = SimCluster.start(**kwargs)
        started.append(cluster)
        return cluster

    try:
        yield make
    finally:
        for cluster in started:
            cluster.stop()


@pytest.fixture
def sim(make_sim) -> SimCluster:
    """A fresh simulated cluster on a free port, stopped (processes killed) after the test."""
    return make_sim()


@pytest.fixture
def sim_kubeconfig(sim, monkeypatch) -> str:
    """Path of the sim's kubeconfig, also exported as ``KUBECONFIG``."""
    monkeypatch.setenv("KUBECONFIG", str(sim.kubeconfig_path))
    return str(sim.kubeconfig_path)
