"""The run service's choice of cluster for a recorded run (the headless commands and the app share it)."""

from __future__ import annotations

from kpodtui.engine.run import cluster_target
from kpodtui.history import RunRecord
from kpodtui.kube.config import ClusterTarget

RECORD = RunRecord(id="r1", task_id="t", kubeconfig="/launched/with.kubeconfig", context="launch-ctx")


def test_a_recorded_run_goes_back_to_the_cluster_it_was_launched_on():
    assert cluster_target(ClusterTarget(namespace="ns"), RECORD) == ClusterTarget(
        kubeconfig="/launched/with.kubeconfig", context="launch-ctx", namespace="ns")


def test_a_given_context_or_kubeconfig_wins_over_the_record():
    assert cluster_target(ClusterTarget(context="other"), RECORD) == ClusterTarget(
        kubeconfig="/launched/with.kubeconfig", context="other")
    # a kubeconfig given (or the in-process sim's): its own contexts, never the record's
    given = ClusterTarget(kubeconfig="/sim.kubeconfig")
    assert cluster_target(given, RECORD) == given


def test_a_new_run_goes_where_the_command_line_says():
    base = ClusterTarget(kubeconfig=None, context="c", namespace="n")
    assert cluster_target(base) is base
