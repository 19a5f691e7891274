"""Shared fixtures.

Every test runs with its own ``KPODTUI_HOME`` (history) and config dir, so a
developer's own history and task folder never leak into tests. The simulated
cluster fixtures (``sim`` and friends) come from :mod:`kpodtui.sim.testing`; ``cluster``
(the sim, and a real control plane with the sim's kubelet as its node) from
``tests/backends.py``.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["kpodtui.sim.testing", "tests.backends", "tests.tmux"]  # tests.tmux: the tmux_pane fixture


@pytest.fixture(autouse=True)
def _hermetic_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("kpodtui-home")
    monkeypatch.setenv("KPODTUI_HOME", str(home))
    monkeypatch.setenv("KPODTUI_CONFIG_DIR", str(home / "config"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    return home
