"""The :class:`History` store: the run table in SQLite plus the log files."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kpodtui import paths
from kpodtui.errors import BadInputError, KpodtuiError
from kpodtui.history.logfiles import LogFileWriter, merge_chunks, read_chunks
from kpodtui.history.runlock import LOCK_NAME, RunLock
from kpodtui.history.schema import migrate
from kpodtui.history.tail import LogTail
from kpodtui.history.trouble import BUSY_SECONDS, as_history_error
from kpodtui.loglines import LogChunk, LogCursor, LogLine
from kpodtui.runstate import run_duration, run_status

DB_NAME = "history.sqlite3"

_RUN_COLUMNS = (
    "id, task_id, spec_path, spec_text, pod_name, namespace, context, kubeconfig, state, phase, "
    "created_at, started_at, finished_at, exit_code, outcome, xcom, failure_report, "
    "on_finish_action, kill_requested, detached, owner_pid, detail, overrides"
)
#: the run list's order, as the ``runs_list`` index has it (see schema.py)
_LIST_ORDER = "(state = 'live') DESC, created_at DESC"
# Columns a caller may change through :meth:`History.update_run`.
_UPDATABLE = frozenset(_RUN_COLUMNS.replace(" ", "").split(",")) - {"id", "created_at"}


def default_home() -> Path:
    """``$KPODTUI_HOME`` or the platform's user data dir for kpodtui (:func:`kpodtui.paths.data_dir`)."""
    return paths.data_dir()


@dataclass(frozen=True)
class RunRecord:
    """One row of the run table (times are Unix seconds)."""

    id: str
    task_id: str
    spec_path: str | None = None
    spec_text: str | None = None
    pod_name: str | None = None
    namespace: str | None = None
    context: str | None = None
    kubeconfig: str | None = None
    state: str = "live"  # live / finished
    phase: str | None = None
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    exit_code: int | None = None
    outcome: str | None = None  # succeeded / failed / skipped / killed
    xcom: Any = None
    failure_report: str | None = None
    on_finish_action: str | None = None  # set when changed live (keep)
    kill_requested: bool = False
    detached: bool = False
    owner_pid: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    overrides: tuple[str, ...] = ()  # the --set KEY=VALUE items it was launched with (a rerun keeps them)

    @property
    def pod_deleted(self) -> bool:
        """Whether the run's ending deleted its pod (older records: its phase says so)."""
        return bool(self.detail.get("pod_deleted", self.phase == "Deleted"))

    @property
    def reason(self) -> str | None:
        """kubectl's word for why the run failed (OOMKilled, ErrImagePull...), when recorded."""
        return self.detail.get("reason")

    @property
    def live(self) -> bool:
        """Whether the run has no verdict yet."""
        return self.state == "live"

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> RunRecord:
        values = list(row)
        values[15] = json.loads(values[15]) if values[15] is not None else None  # xcom
        values[18] = bool(values[18])
        values[19] = bool(values[19])
        values[21] = json.loads(values[21]) if values[21] else {}
        values[22] = tuple(json.loads(values[22])) if values[22] else ()
        return cls(*values)

    @property
    def status(self) -> str:
        """The one word every front end shows for the run, capitalised as kubectl's phases:
        the pod's phase while it lives (Pending, Running...), then the outcome (Succeeded,
        Failed, Skipped, Killed)."""
        return run_status(self.live, self.phase, self.outcome)

    @property
    def duration(self) -> float | None:
        """Seconds from the run's start (its launch) to its end (or to now while it lives)."""
        return run_duration(self.created_at, self.finished_at, self.live)


class History:
    """The run history: one SQLite database (WAL) and a folder of log files.

    Safe to share between threads (one connection behind a lock) and between
    processes (SQLite WAL with a busy timeout; each log file has one writer).
    """

    def __init__(self, home: Path, conn: sqlite3.Connection) -> None:
        self.home = home
        self._conn = conn
        self._lock = threading.Lock()

    # -- opening -----------------------------------------------------------------

    @classmethod
    def open(cls, home: str | Path | None = None) -> History:
        """Open (creating and migrating if needed) the history under ``home``."""
        root = Path(home).expanduser() if home is not None else default_home()
        db = root / DB_NAME
        conn: sqlite3.Connection | None = None
        try:
            root.mkdir(parents=True, exist_ok=True, mode=0o700)
            _private_dir(root / "logs")
            if not db.exists():
                # Create it 0600 ourselves: sqlite would honour the umask, and the
                # -wal/-shm files copy the database file's mode.
                os.close(os.open(db, os.O_CREAT | os.O_WRONLY, 0o600))
            conn = sqlite3.connect(db, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_SECONDS * 1000)}")
            _switch_to_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn)
        except (sqlite3.DatabaseError, OSError) as exc:
            if conn is not None:
                conn.close()
            # Never repaired or replaced here: what it holds may still be read by hand.
            said = as_history_error(exc, db)
            if said is not None:
                raise said from None
            raise BadInputError(f"the run history {db} cannot be opened ({exc}): check the folder's permissions "
                                "and free space, or set KPODTUI_HOME to use another history") from None
        return cls(root, conn)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def db_path(self) -> Path:
        return self.home / DB_NAME

    def _write(self, sql: str, params: tuple[Any, ...] | list[tuple[Any, ...]], many: bool = False) -> int:
        with self._lock:
            conn = self._conn
            for attempt in (1, 2):
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        cur = conn.executemany(sql, params) if many else conn.execute(sql, params)
                        conn.execute("COMMIT")
                    except BaseException:
                        if conn.in_transaction:  # (SQLite already rolled back a full disk's write)
                            conn.execute("ROLLBACK")
                        raise
                    return cur.rowcount
                except sqlite3.DatabaseError as exc:
                    if attempt == 1 and _full(exc) and self._checkpoint():
                        continue  # the WAL's space is used again once checkpointed: once more
                    raise as_history_error(exc, self.db_path) or exc from None
            raise AssertionError("unreachable")

    def _checkpoint(self) -> bool:
        """Move the WAL into the database so its space is written over again (a full disk)."""
        try:
            busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
            return not busy
        except sqlite3.DatabaseError:
            return False

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise as_history_error(exc, self.db_path) or exc from None

    # -- runs --------------------------------------------------------------------

    def add_run(self, record: RunRecord) -> RunRecord:
        """Insert a new run (``created_at`` defaults to now)."""
        if not record.created_at:
            record = _replace(record, created_at=time.time())
        values = _to_row(record)
        marks = ", ".join("?" * len(values))
        self._write(f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES ({marks})", values)
        return record

    def update_run(self, run_id: str, **changes: Any) -> None:
        """Change some columns of one run (``xcom`` and ``detail`` are stored as JSON)."""
        bad = set(changes) - _UPDATABLE
        if bad:
            raise ValueError(f"cannot update {sorted(bad)}")
        if not changes:
            return
        if "xcom" in changes:
            changes["xcom"] = json.dumps(changes["xcom"])
        if "detail" in changes:
            changes["detail"] = json.dumps(changes["detail"])
        if "overrides" in changes:
            changes["overrides"] = json.dumps(list(changes["overrides"]))
        sets = ", ".join(f"{k} = ?" for k in changes)
        self._write(f"UPDATE runs SET {sets} WHERE id = ?", (*changes.values(), run_id))

    # -- a verdict when the database cannot be written (a full disk) ----------------

    def reserve_verdict(self, run_id: str) -> None:
        """Take room for the run's verdict beside its logs now, while there is space: if the
        database cannot be written when the verdict comes, it is written there instead
        (:meth:`record_verdict`) and moved into the database by the next command that opens
        the run (:meth:`settle`)."""
        path = self.log_dir(run_id) / VERDICT_FILE
        if path.exists():
            return
        _private_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.write(fd, b" " * VERDICT_ROOM)
        except OSError:
            os.ftruncate(fd, 0)  # no room even for this: record_verdict will say so
        finally:
            os.close(fd)

    def record_verdict(self, run_id: str, **changes: Any) -> BaseException | None:
        """:meth:`update_run` with a verdict; if the database cannot take it, the verdict goes to
        the room :meth:`reserve_verdict` took. None when it is in the database; else the error
        the database gave (raised when the verdict could not be kept at all)."""
        try:
            self.update_run(run_id, **changes)
            return None
        except (sqlite3.Error, KpodtuiError) as exc:
            failed: BaseException = exc
        data = _verdict_bytes(changes)
        try:
            fd = os.open(self.log_dir(run_id) / VERDICT_FILE, os.O_WRONLY)
            try:
                if os.fstat(fd).st_size < VERDICT_ROOM:
                    raise OSError(f"no room was taken for the verdict of run {run_id}")
                os.pwrite(fd, data.ljust(VERDICT_ROOM), 0)  # in place: no new block is needed
            finally:
                os.close(fd)
        except OSError:
            raise failed from None
        return failed

    def settle(self, record: RunRecord) -> RunRecord:
        """A live run whose verdict waits beside its logs (see :meth:`record_verdict`): the
        verdict moved into the database now (as it is, if that still fails)."""
        if not record.live:
            return record
        path = self.log_dir(record.id) / VERDICT_FILE
        try:
            with open(path, "rb") as fh:
                data = fh.read(VERDICT_ROOM).strip()
            changes = json.loads(data) if data.startswith(b"{") else None
        except (OSError, ValueError):
            return record
        if not isinstance(changes, dict):
            return record
        try:
            self.update_run(record.id, **{k: v for k, v in changes.items() if k in _UPDATABLE})
            os.truncate(path, 0)
        except (sqlite3.Error, KpodtuiError, OSError):
            return record
        rows = self._read(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (record.id,))
        return RunRecord.from_row(rows[0]) if rows else record

    def record_kill_if_unfollowed(self, run_id: str, report: str, pod_deleted: bool) -> bool:
        """Record a kill's verdict if no process follows the run (its lock is free).

        The follower of a followed run sees ``kill_requested`` and judges it itself.
        """
        lock = self.run_lock(run_id)
        if not lock.try_acquire():
            return False
        try:
            self.update_run(run_id, state="finished", outcome="killed", failure_report=report, owner_pid=None,
                            finished_at=time.time(), detail={"pod_deleted": pod_deleted})
        finally:
            lock.release()
        return True

    def get_run(self, id_or_prefix: str) -> RunRecord:
        """The run whose id is ``id_or_prefix`` or uniquely starts with it.

        Raises :class:`~kpodtui.errors.BadInputError` when no run or several match, or when
        ``id_or_prefix`` cannot be the start of a run id (empty, or wildcard-looking: it must
        never match runs it does not name).
        """
        wanted = id_or_prefix.strip().lower()
        if not RUN_ID_CHARS.fullmatch(wanted):
            raise BadInputError(f"{id_or_prefix!r} is not a run id: give a run id or the start of one "
                                "(letters and digits, as `kpodtui runs` lists them)")
        rows = self._read(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (wanted,))
        if not rows:
            rows = self._read(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE id >= ? AND id < ? LIMIT 6", (wanted, wanted + "~")
            )
        if not rows:
            raise BadInputError(f"no run {id_or_prefix!r} in the history (see `kpodtui runs`)")
        if len(rows) > 1:
            ids = ", ".join(r[0] for r in rows[:5])
            raise BadInputError(f"run {id_or_prefix!r} is ambiguous: {ids}; give more characters")
        return self.settle(RunRecord.from_row(rows[0]))

    def list_runs(self, limit: int = 50, live_first: bool = True) -> list[RunRecord]:
        """The newest ``limit`` runs; live ones first when ``live_first`` (in the ``runs_list``
        index's order: the rows are read from the index, no table scan or sort)."""
        order = _LIST_ORDER if live_first else "created_at DESC"
        rows = self._read(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY {order} LIMIT ?", (limit,))
        return [self.settle(RunRecord.from_row(r)) for r in rows]

    def iter_runs(self, limit: int, page: int = 500) -> Iterator[RunRecord]:
        """The newest ``limit`` runs, live ones first, read a page at a time through a connection
        of its own (memory stays flat however many; the shared connection stays free)."""
        conn = sqlite3.connect(self.db_path, timeout=BUSY_SECONDS, isolation_level=None)
        try:
            cur = conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY {_LIST_ORDER} LIMIT ?", (limit,))
            while rows := cur.fetchmany(page):
                for row in rows:
                    yield self.settle(RunRecord.from_row(row))
        except sqlite3.DatabaseError as exc:
            raise as_history_error(exc, self.db_path) or exc from None
        finally:
            conn.close()

    def live_runs(self) -> list[RunRecord]:
        """Every run without a verdict yet, newest first."""
        rows = self._read(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE state = 'live' ORDER BY created_at DESC"
        )
        return [r for r in (self.settle(RunRecord.from_row(row)) for row in rows) if r.live]

    def changes(self) -> int:
        """A number that moves whenever any process adds, changes or deletes a run (cheap:
        watch ``PRAGMA data_version`` first, see :class:`kpodtui.history.watch.RunsWatch`)."""
        rows = self._read("SELECT value FROM counters WHERE name = 'runs'")
        return int(rows[0][0]) if rows else 0

    # -- the pod of a run ------------------------------------------------------------

    def record_pod(self, run_id: str, **parts: Any) -> None:
        """Keep the run's pod: ``manifest`` (as created), ``last_pod`` (as last seen), ``events``
        (JSON-able; secret-looking values masked by the caller)."""
        bad = set(parts) - {"manifest", "last_pod", "events"}
        if bad:
            raise ValueError(f"cannot record {sorted(bad)}")
        if not parts:
            return
        names = ", ".join(parts)
        marks = ", ".join("?" * len(parts))
        sets = ", ".join(f"{k} = excluded.{k}" for k in parts)
        self._write(
            f"INSERT INTO run_pods (run_id, {names}) VALUES (?, {marks}) ON CONFLICT(run_id) DO UPDATE SET {sets}",
            (run_id, *(json.dumps(v) for v in parts.values())),
        )

    def pod_record(self, run_id: str) -> dict[str, Any]:
        """What :meth:`record_pod` kept of the run's pod (``manifest``, ``last_pod``, ``events``;
        each None when never recorded)."""
        rows = self._read("SELECT manifest, last_pod, events FROM run_pods WHERE run_id = ?", (run_id,))
        values = rows[0] if rows else (None, None, None)
        return {k: json.loads(v) if v else None for k, v in zip(("manifest", "last_pod", "events"), values,
                                                                 strict=True)}

    # -- logs --------------------------------------------------------------------

    def log_dir(self, run_id: str) -> Path:
        """The folder holding a run's log files."""
        return self.home / "logs" / run_id

    def log_path(self, run_id: str, container: str) -> Path:
        """The log file of one container of a run (it may not exist yet)."""
        return self.log_dir(run_id) / f"{container}.log"

    def containers(self, run_id: str) -> list[str]:
        """Containers that have a log file for this run, sorted by name."""
        folder = self.log_dir(run_id)
        if not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.glob("*.log"))

    def open_log(self, run_id: str, container: str) -> LogFileWriter:
        """A writer appending to a container's log file, its cursor at the file's end."""
        return LogFileWriter.open(self.log_path(run_id, container))

    def run_lock(self, run_id: str) -> RunLock:
        """The writer lock of a run (see :mod:`kpodtui.history.runlock`); not taken yet."""
        return RunLock(self.log_dir(run_id) / LOCK_NAME)

    def tail(self, run_id: str, from_end: bool = True, container: str | None = None) -> LogTail:
        """A :class:`LogTail` of a run's log files (all containers, or one)."""
        return LogTail(self.log_dir(run_id), from_end, [container] if container else None)

    def read_log(self, run_id: str, container: str | None = None) -> Iterator[LogLine]:
        """A run's log lines from disk: one container, or all merged by timestamp."""
        for chunk in self.read_log_chunks(run_id, container):
            yield from chunk.lines()

    def read_log_chunks(self, run_id: str, container: str | None = None) -> Iterator[LogChunk]:
        """A run's log from disk in chunks (constant memory): one container, or all merged by timestamp."""
        if container is not None:
            return read_chunks(self.log_path(run_id, container), container)
        return merge_chunks([(c, read_chunks(self.log_path(run_id, c), c)) for c in self.containers(run_id)])

    def save_cursors(self, run_id: str, cursors: dict[str, LogCursor]) -> None:
        """Record how far each container's log is on disk (batched by the caller)."""
        now = time.time()
        rows = [(run_id, c, cur.last_ts, cur.same_ts, cur.lines, now) for c, cur in cursors.items()]
        self._write(
            "INSERT INTO log_cursors (run_id, container, last_ts, same_ts, lines, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(run_id, container) DO UPDATE SET "
            "last_ts = excluded.last_ts, same_ts = excluded.same_ts, lines = excluded.lines, "
            "updated_at = excluded.updated_at",
            rows,
            many=True,
        )

    def cursors(self, run_id: str) -> dict[str, LogCursor]:
        """The saved log cursors of a run (may lag the files by up to a flush period)."""
        rows = self._read(
            "SELECT container, last_ts, same_ts, lines FROM log_cursors WHERE run_id = ?", (run_id,)
        )
        return {c: LogCursor(ts, same, n) for c, ts, same, n in rows}


RUN_ID_CHARS = re.compile(r"[0-9a-z]+")
VERDICT_FILE = ".verdict"  # a verdict the database could not take (see History.record_verdict)
VERDICT_ROOM = 16 * 1024


def _verdict_bytes(changes: dict[str, Any]) -> bytes:
    """The verdict as JSON that fits the room taken for it (a long report is cut)."""
    data = json.dumps(changes, default=str).encode()
    report = changes.get("failure_report")
    if len(data) > VERDICT_ROOM and isinstance(report, str):
        keep = max(0, len(report) - (len(data) - VERDICT_ROOM) - 200)
        data = json.dumps({**changes, "failure_report": report[:keep] + "\n[cut: the disk was full]"},
                          default=str).encode()
    if len(data) > VERDICT_ROOM:
        data = json.dumps({k: changes.get(k) for k in ("state", "finished_at", "outcome", "exit_code")}).encode()
    return data


def _full(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "full" in str(exc).lower()


def _private_dir(path: Path) -> None:
    """``path`` as a folder only its owner can enter (made 0700; an older, wider one narrowed)."""
    path.mkdir(mode=0o700, exist_ok=True)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        os.chmod(path, mode & 0o700)


def _to_row(record: RunRecord) -> tuple[Any, ...]:
    return (
        record.id, record.task_id, record.spec_path, record.spec_text, record.pod_name,
        record.namespace, record.context, record.kubeconfig, record.state, record.phase,
        record.created_at, record.started_at, record.finished_at, record.exit_code,
        record.outcome, json.dumps(record.xcom), record.failure_report,
        record.on_finish_action, int(record.kill_requested), int(record.detached),
        record.owner_pid, json.dumps(record.detail), json.dumps(list(record.overrides)),
    )  # fmt: skip


def _replace(record: RunRecord, **changes: Any) -> RunRecord:
    return replace(record, **changes)


def _switch_to_wal(conn: sqlite3.Connection, patience: float = BUSY_SECONDS) -> None:
    """``PRAGMA journal_mode = WAL``, waiting out another process doing the same.

    Switching a new database's journal mode needs an exclusive lock, and SQLite
    answers "database is locked" at once instead of using the busy timeout when
    two processes (the app and a headless run) open a fresh history together.
    """
    deadline = time.monotonic() + patience
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
