"""``runs`` and ``logs``: read the history from disk (no cluster, no ``kubernetes`` import)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import sys
import textwrap
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from typing import Any

from kpodtui.errors import EXIT_INTERRUPTED, EXIT_OK, BadInputError
from kpodtui.headless.logwriter import LogWriter, wants_escapes
from kpodtui.history import History, RunRecord
from kpodtui.loglines import (
    ContainerSelection,
    LineLayout,
    LogChunk,
    LogLine,
    parse_duration,
    rfc3339,
)
from kpodtui.runstate import DETACHED, format_duration
from kpodtui.termsafe import escape


def _when(ts: float | None) -> str:
    if not ts:
        return "-"
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def status_text(history: History, record: Any) -> str:
    """The run's status as the app shows it: ``Running``, ``Running (detached)`` when no kpodtui
    process follows it, ``Failed``..."""
    status = record.status
    if record.live and history.run_lock(record.id).is_free():
        status += f" ({DETACHED})"
    return status


_HEADER = ("RUN", "TASK", "STATUS", "REASON", "EXIT", "DURATION", "STARTED", "POD")


def _cells(r: RunRecord, status: str) -> tuple[str, ...]:
    """A row of ``kpodtui runs``: the status word and duration the app shows too (runstate)."""
    return (
        # (a reason may quote the cluster or a container: one line, nothing that drives a terminal)
        r.id, r.task_id, status, escape(r.reason, newlines=False) if r.reason else "-",
        "-" if r.exit_code is None else str(r.exit_code),
        format_duration(r.duration), _when(r.created_at), f"{r.namespace}/{r.pod_name}" if r.pod_name else "-",
    )  # fmt: skip


def _write_pages(lines: Iterable[str], page: int = 500) -> None:
    """Lines to stdout a page per write (memory stays flat however many)."""
    out: list[str] = []
    for line in lines:
        out.append(line)
        if len(out) >= page:
            sys.stdout.write("\n".join(out) + "\n")
            out = []
    if out:
        sys.stdout.write("\n".join(out) + "\n")


def runs_command(args: Any) -> int:
    """``kpodtui runs``: the history table (live runs first), or JSON.

    Streamed: rows are read a page at a time and written as they come, so
    ``--limit 100000`` costs no more memory than the default 50. The table's
    columns are measured in a first pass over the same rows.
    """
    with History.open() as history:
        if args.json:
            def items() -> Iterator[str]:
                for r in history.iter_runs(args.limit):
                    d = asdict(r)
                    d.pop("spec_text", None)
                    d["status"], d["duration"] = status_text(history, r), r.duration
                    yield textwrap.indent(json.dumps(d, default=str, indent=2), "  ")

            first = True
            sys.stdout.write("[")
            for item in items():  # json.dumps(list, indent=2), one item at a time
                sys.stdout.write(("\n" if first else ",\n") + item)
                first = False
            sys.stdout.write("]\n" if first else "\n]\n")
            return EXIT_OK

        def cells(r: RunRecord) -> tuple[str, ...]:
            return _cells(r, status_text(history, r))

        widths = [len(h) for h in _HEADER]
        rows = 0
        for row in map(cells, history.iter_runs(args.limit)):
            widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
            rows += 1
        if not rows:
            # No header over nothing: a script reading the table gets no output at all.
            sys.stderr.write("kpodtui: no runs yet (try `kpodtui run --sim sample_tasks/hello.yaml`)\n")
            return EXIT_OK

        def line(row: tuple[str, ...]) -> str:
            return "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

        _write_pages(map(line, itertools.chain([_HEADER], map(cells, history.iter_runs(args.limit)))))
    return EXIT_OK


def _spec_containers(record: Any) -> list[str]:
    """The containers of the pod the recorded spec builds (best effort: [] if it cannot be built)."""
    # loaded only for `logs -c` of a live run: `runs` and plain `logs` read the history alone
    from kpodtui.engine.run import recorded_spec
    from kpodtui.pod import RunIdentity, build_pod
    from kpodtui.spec import render_spec

    try:
        spec = render_spec(recorded_spec(record), run_id=record.id, ts=dt.datetime.now(dt.UTC))
        pod_spec = build_pod(spec, RunIdentity(record.id, 1)).get("spec") or {}
    except Exception:  # noqa: BLE001 - a spec that no longer loads only narrows the choices
        return []
    return [c.get("name", "") for group in ("initContainers", "containers") for c in pod_spec.get(group) or []]


EMIT_BYTES = 1 << 20


def logs_command(args: Any) -> int:
    """``kpodtui logs RUN [-c C] [-f]``: from the log files; ``-f`` follows while the run is live."""
    history = History.open()
    record = history.get_run(args.run)
    if args.container:
        with_logs = history.containers(record.id)
        # A live run may not have written a container's first line yet: its pod's
        # containers (from the recorded spec) are valid choices too.
        choices = sorted(set(with_logs) | set(_spec_containers(record) if record.live else ()))
        if args.container not in choices:
            listed = ", ".join(choices) or "none yet"
            raise BadInputError(
                f"run {record.id} has no container {args.container!r} (containers: {listed}): pick one with -c"
            )
    out = sys.stdout.buffer
    writer = LogWriter(out, LineLayout(timestamps=getattr(args, "timestamps", False)),
                       escapes=wants_escapes(out, getattr(args, "raw", False)))

    shown = _selection(args)

    def emit(chunks: Iterable[LogChunk]) -> None:
        # ~1 MiB at a time: memory stays flat for any log size, and containers merged line by
        # line (a chunk of one line each) still go out in large writes
        batch: list[LogChunk] = []
        size = 0
        for chunk in chunks if shown is None else _chosen(chunks, shown):
            batch.append(chunk)
            size += len(chunk.data)
            if size >= EMIT_BYTES:
                writer.write(batch)
                batch, size = [], 0
        if batch:
            writer.write(batch)

    def emit_window(chunks: Iterable[LogChunk]) -> None:
        """What is there already, cut to ``--tail`` (what follows is not cut); only the last
        lines are held, however long the log."""
        if args.tail is None:
            emit(chunks)
        elif args.tail:
            last: deque[LogLine] = deque(maxlen=args.tail)
            for chunk in chunks if shown is None else _chosen(chunks, shown):
                last.extend(chunk.lines())
            emit(LogChunk.group(last))

    if args.previous:
        if args.follow:
            raise BadInputError("--previous shows a log that has ended: drop -f")
        emit_window(LogChunk.group(_previous_log(args, history, record)))
        return EXIT_OK
    if not args.follow or not record.live:
        emit_window(history.read_log_chunks(record.id, args.container))
        return EXIT_OK
    if history.run_lock(record.id).is_free():
        # Live, and no kpodtui process follows it (detached): nobody writes its files,
        # so follow the pod itself, as `kubectl logs -f` would.
        emit_window(history.read_log_chunks(record.id, args.container))
        return _follow_unowned(args, history, record, emit)
    # Follow the files while another process writes them (this one only reads).
    tail = history.tail(record.id, from_end=False, container=args.container)
    emit_window(tail.read_chunks())
    while True:
        emit(tail.read_chunks())
        if not record.live:
            emit(tail.read_chunks())  # the last lines written before the verdict
            return EXIT_OK
        time.sleep(0.2)
        record = history.get_run(record.id)


def _selection(args: Any) -> Callable[[Any], bool] | None:
    """Which lines ``logs`` prints (None: all): the containers chosen (``--containers``, ``-E``),
    newer than ``--since``."""
    try:
        chosen = ContainerSelection(tuple(args.containers), tuple(args.exclude_container))
        cutoff = rfc3339(time.time() - parse_duration(args.since)) if args.since else ""
    except ValueError as exc:
        raise BadInputError(f"logs: {exc}") from None
    if not chosen and not cutoff:
        return None
    return lambda line: chosen.shows(line.container) and line.timestamp >= cutoff


def _chosen(chunks: Iterable[LogChunk], shown: Callable[[Any], bool]) -> Iterator[LogChunk]:
    """``chunks`` cut to the lines ``shown`` keeps (a chunk kept whole when all of it is)."""
    for chunk in chunks:
        lines = [line for line in chunk.lines() if shown(line)]
        if len(lines) == chunk.count:
            yield chunk
        elif lines:
            yield LogChunk.of_lines(chunk.container, lines)


def _previous_log(args: Any, history: Any, record: Any) -> list[Any]:
    """``logs -p``: the previous instance's log, from the pod (only the kubelet keeps it)."""
    from kpodtui.engine.run import recorded_spec  # the engine loads only to reach a pod
    from kpodtui.headless.commands import run_service
    from kpodtui.kube.api import refusal_text
    from kpodtui.kube.logs import previous_log

    with run_service(args, history) as service:
        api, pod = service.pod_of(record)
        if pod is None:
            raise BadInputError(f"run {record.id}: pod {record.namespace}/{record.pod_name} is gone, and with it "
                                "the previous instance's log")
        container = args.container or recorded_spec(record).base_container_name
        try:
            return previous_log(api, record.namespace or "default", record.pod_name or "", container)
        except Exception as exc:
            raise BadInputError(f"run {record.id}: {refusal_text(exc)}") from None


def _follow_unowned(args: Any, history: Any, record: Any, emit: Any) -> int:
    """``logs -f`` of a run nobody follows: carry it on here, as ``attach`` does, printing only
    its lines (after the ones already on disk). The verdict is recorded as usual; Ctrl-C stops
    following and leaves the pod running (unlike ``attach``, where Ctrl-C kills it)."""
    from kpodtui.engine.events import LogBatch  # the engine loads only to follow a pod
    from kpodtui.headless.commands import run_service

    def on_event(event: Any) -> None:
        if isinstance(event, LogBatch):
            emit(c for c in event.chunks if not args.container or c.container == args.container)

    with run_service(args, history) as service:
        run = service.reattach(record, subscriber=on_event)
        try:
            while not run.done.wait(0.2):
                pass
        except KeyboardInterrupt:
            run.detach_now()
            run.done.wait(15)
            print(f"\nkpodtui: stopped following run {record.id}; its pod goes on", file=sys.stderr)
            return EXIT_INTERRUPTED
        if run.failed_with is not None:
            raise run.failed_with
        return EXIT_OK
