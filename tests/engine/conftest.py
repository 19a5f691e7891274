"""Helpers for engine tests: run a spec against the sim and collect its events."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kpodtui.engine.events import LogBatch, RunEvent
from kpodtui.engine.run import Run
from kpodtui.engine.session import ClusterSession
from kpodtui.history import History
from kpodtui.kube.config import ClusterTarget
from kpodtui.tasks import load_spec_text, load_specs

ROOT = Path(__file__).resolve().parents[2]


class Collector:
    """Every event of a run, thread-safe."""

    def __init__(self) -> None:
        self.events: list[RunEvent] = []
        self.lock = threading.Lock()

    def __call__(self, event: RunEvent) -> None:
        with self.lock:
            self.events.append(event)

    def lines(self, container: str | None = None) -> list[str]:
        with self.lock:
            return [ln.text for e in self.events if isinstance(e, LogBatch) for ln in e.lines
                    if container is None or ln.container == container]  # fmt: skip

    def of(self, kind: type) -> list:
        with self.lock:
            return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def session(cluster):
    """A session on the test's cluster: the sim, and (for tests that do not need the sim itself)
    the real control plane too (see tests/backends.py)."""
    s = ClusterSession.open(ClusterTarget(kubeconfig=str(cluster.kubeconfig_path)))
    yield s
    s.close()


@pytest.fixture
def run_spec(session):
    """``run_spec(sample_or_yaml, *overrides) -> (RunFinished, Collector, Run)``."""
    history = History.open()

    def go(source: str, *overrides: str, timeout: float = 60, start: bool = False):
        if source.endswith(".yaml"):
            spec = load_specs(ROOT / "sample_tasks" / source, list(overrides))[0]
        else:
            spec = load_spec_text(source)[0]
        run = Run(spec, session, history)
        col = Collector()
        run.subscribe(col)
        if start:
            return run.start(), col
        result = run.execute()
        return result, col, run

    yield go
    history.close()
