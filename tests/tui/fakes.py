"""A backend with fixed data for widget, screen and snapshot tests (no engine, no cluster)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kpodtui.engine.events import (
    ClusterEvent,
    ContainerState,
    LogBatch,
    LogLine,
    PodAssigned,
    PodStatusChanged,
    RunEvent,
    RunFinished,
    XComResult,
)
from kpodtui.tui.data.backend import RunDetails, RunRow, Subscriber

T0 = 1_767_268_800.0 - 42


def ts(second: int, frac: int = 0) -> str:
    return f"2026-01-01T11:59:{second % 60:02d}.{frac:09d}Z"


class FakeHandle:
    def __init__(self, backend: FakeBackend, run_id: str, subscriber: Subscriber) -> None:
        self.backend = backend
        self.run_id = run_id
        self.emit = subscriber
        self.killed = self.kept = self.detached = False

    def kill(self) -> None:
        self.killed = True
        self.emit(RunFinished(self.run_id, "killed", None, "killed by the user", None, pod_deleted=True))

    def keep(self, keep: bool = True) -> None:
        self.kept = keep

    def detach(self) -> None:
        self.detached = True


class FakeBackend:
    """Records what the app asked; tests push events through ``handles[run_id].emit``."""

    def __init__(self, rows: Sequence[RunRow] = (), records: dict | None = None, logs: dict | None = None,
                 script: Sequence[RunEvent] = ()) -> None:
        self.rows = list(rows)
        self.records: dict[str, RunDetails] = dict(records or {})
        self.logs: dict[str, list[LogLine]] = dict(logs or {})
        self.script = list(script)  # events sent to every launched run at once
        self.handles: dict[str, FakeHandle] = {}
        self.launched: list[tuple] = []
        self.closed = False
        self.changed = False  # history_changed() says so once (tests set it)
        self.deleted: list[str] = []
        self.shells: list[tuple[str, str, list[str]]] = []
        self.pod_containers: list[tuple[str, str]] = [("base", "running"), ("sidecar", "running")]
        self.where: tuple[str | None, str] = ("sim", "default")
        self.previous: dict[tuple[str, str], list[LogLine]] = {}

    def list_runs(self, limit: int = 200) -> list[RunRow]:
        return self.rows[:limit]

    def get_run(self, run_id: str) -> RunDetails | None:
        return self.records.get(run_id)

    def read_log(self, run_id: str) -> list[LogLine]:
        return list(self.logs.get(run_id, []))

    def launch(self, path: Path | None, text: str, task_id: str | None, overrides: Sequence[str],
               subscriber: Subscriber) -> FakeHandle:
        run_id = f"run{len(self.launched) + 1}"
        self.launched.append((path, task_id, list(overrides)))
        handle = FakeHandle(self, run_id, subscriber)
        self.handles[run_id] = handle
        for ev in self.script:
            subscriber(_retag(ev, run_id))
        return handle

    def reattach(self, run_id: str, subscriber: Subscriber) -> FakeHandle:
        handle = FakeHandle(self, run_id, subscriber)
        self.handles[run_id] = handle
        return handle

    def history_changed(self) -> bool:
        changed, self.changed = self.changed, False
        return changed

    def kill(self, run_id: str) -> None:
        self.handles[run_id].kill()

    def keep(self, run_id: str, keep: bool = True) -> None:
        self.handles[run_id].keep(keep)

    def delete_pod(self, run_id: str) -> str:
        self.deleted.append(run_id)
        return f"pod default/pod-{run_id} deleted"

    def pod_yaml(self, run_id: str) -> str:
        return f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{run_id}\n"

    def describe(self, run_id: str) -> str:
        return f"Name:             pod-{run_id}\nNamespace:        default\nStatus:           Running\n"

    def previous_log(self, run_id: str, container: str) -> list[LogLine]:
        if (run_id, container) not in self.previous:
            raise LookupError(f'previous terminated container "{container}" not found')
        return self.previous[(run_id, container)]

    def containers(self, run_id: str) -> list[tuple[str, str]]:
        return list(self.pod_containers)

    def shell(self, run_id: str, container: str, command: list[str]) -> tuple[int, str | None]:
        self.shells.append((run_id, container, command))
        return 0, None

    def target(self) -> tuple[str | None, str]:
        return self.where

    def contexts(self) -> list[str]:
        return ["sim", "other"]

    def namespaces(self) -> list[str]:
        return ["default", "batch"]

    def set_target(self, context: str | None, namespace: str | None) -> tuple[str | None, str]:
        self.where = (context, namespace or "default")
        return self.where

    def close(self) -> None:
        self.closed = True


def _retag(ev: RunEvent, run_id: str) -> RunEvent:
    import dataclasses

    return dataclasses.replace(ev, run_id=run_id)


def live_run_events(run_id: str = "run1", lines: int = 30) -> list[RunEvent]:
    """A two-container run in the middle of its life."""
    out: list[RunEvent] = [
        PodAssigned(run_id, "hello-abc12", "default", "sim", containers=("base", "sidecar")),
        ClusterEvent(run_id, "Normal", "Scheduled", "Successfully assigned default/hello-abc12 to sim-node",
                     timestamp=ts(18), uid="e1"),
        ClusterEvent(run_id, "Warning", "BackOff", "Back-off pulling image \"busybox:1.36\"",
                     timestamp=ts(19), uid="e2", count=2),
        ClusterEvent(run_id, "Normal", "Started", "Started container base", timestamp=ts(20), uid="e3"),
        PodStatusChanged(run_id, "Running", containers=(
            ContainerState("base", "running"),
            ContainerState("sidecar", "running"),
        )),
    ]
    batch = []
    for i in range(lines):
        container = "base" if i % 3 else "sidecar"
        text = f"step {i}: processing item {i * 7}" if container == "base" else f"heartbeat {i}"
        if i == 10:
            text = '{"level": "info", "msg": "checkpoint", "n": 10}'
        batch.append(LogLine(container, ts(20 + i // 10, i * 1000), text))
    out.append(LogBatch(run_id, tuple(batch)))
    return out


def finished_events(run_id: str = "run1", failed: bool = False) -> list[RunEvent]:
    if failed:
        return [
            PodStatusChanged(run_id, "Failed", containers=(
                ContainerState("base", "terminated", reason="Error", exit_code=3),
                ContainerState("sidecar", "terminated", reason="Completed", exit_code=0),
            )),
            RunFinished(run_id, "failed", 3,
                        "Pod hello-abc12 failed: container base exited 3 (Error).\n"
                        "Last log lines of base:\n  step 28: processing item 196\n  error: no such table",
                        pod_deleted=True),
        ]
    return [
        PodStatusChanged(run_id, "Succeeded", containers=(
            ContainerState("base", "terminated", reason="Completed", exit_code=0),
            ContainerState("sidecar", "terminated", reason="Completed", exit_code=0),
        )),
        XComResult(run_id, {"rows": 42, "table": "results"}),
        RunFinished(run_id, "succeeded", 0, None, {"rows": 42, "table": "results"}, pod_deleted=True),
    ]
