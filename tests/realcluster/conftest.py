"""Opt-in: the engine scenarios against a real cluster.

Runs only when ``KPODTUI_TEST_CONTEXT`` names a kubeconfig context (e.g.
``kind-kpodtui``); the kubeconfig is ``KPODTUI_TEST_KUBECONFIG``, else the
``KUBECONFIG`` / ``~/.kube/config`` of the shell that started pytest (read
here, before the hermetic-home fixture clears ``KUBECONFIG``). Pods go to
``KPODTUI_TEST_NAMESPACE`` (default ``default``) and are deleted afterwards.
"""

from __future__ import annotations

import os

import pytest

CONTEXT = os.environ.get("KPODTUI_TEST_CONTEXT")
KUBECONFIG = os.environ.get("KPODTUI_TEST_KUBECONFIG") or os.environ.get("KUBECONFIG")
NAMESPACE = os.environ.get("KPODTUI_TEST_NAMESPACE", "default")


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.realcluster)
            if not CONTEXT:
                item.add_marker(pytest.mark.skip(reason="set KPODTUI_TEST_CONTEXT to a kubeconfig context to run"))


@pytest.fixture(scope="module")
def cluster():
    """A session on the real cluster (one per module: the watches are shared)."""
    from kpodtui.engine.session import ClusterSession
    from kpodtui.kube.config import ClusterTarget

    session = ClusterSession.open(ClusterTarget(kubeconfig=KUBECONFIG, context=CONTEXT, namespace=NAMESPACE))
    yield session
    session.close()
