"""What stands in the way of the history database, in one line: damaged, or locked by someone.

SQLite says "database disk image is malformed" for a damaged page (wherever a query meets
it, not only at open) and "database is locked" when another connection holds the write
lock past the busy timeout. :func:`as_history_error` turns either into a
:class:`~kpodtui.errors.KpodtuiError` a command prints as its one error line (exit 2): the
file is never repaired or replaced here (what it holds may still be read by hand).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from kpodtui.errors import BadInputError

#: how long a write waits for another writer before it says who holds the history
BUSY_SECONDS = 5.0


class HistoryDamaged(BadInputError):
    """The history database is damaged (SQLITE_CORRUPT / SQLITE_NOTADB)."""


class HistoryLocked(BadInputError):
    """Another process held the history's write lock for longer than :data:`BUSY_SECONDS`."""


def is_locked(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def is_damaged(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)


def as_history_error(exc: BaseException, db: Path) -> BadInputError | None:
    """The one-line error for ``exc`` met on ``db``, or None when it is neither damage nor a lock."""
    if is_damaged(exc):
        return HistoryDamaged(
            f"the run history {db} looks damaged ({exc}): move it aside (kpodtui then starts a new one; the "
            "file is yours to inspect) or set KPODTUI_HOME to use another history")
    if is_locked(exc):
        return HistoryLocked(f"the run history {db} is locked by {holder(db)}: wait for it to finish, or set "
                             "KPODTUI_HOME to use another history")
    return None


def holder(db: Path) -> str:
    """Who holds a lock on ``db`` (or its ``-shm``/``-wal``), from ``/proc/locks`` on Linux:
    ``another kpodtui process (pid N)``, ``another program (pid N, sqlite3)``, or, when it cannot
    be told, ``another program``."""
    pids = _lock_holders([db, Path(f"{db}-shm"), Path(f"{db}-wal")])
    pids.discard(os.getpid())
    for pid in sorted(pids):
        # `kpodtui ...` is `python .../bin/kpodtui ...` or `python -m kpodtui ...`
        program = _read(f"/proc/{pid}/cmdline").split("\0")[:3]
        if any(Path(arg).name.startswith("kpodtui") for arg in program):
            return f"another kpodtui process (pid {pid})"
    for pid in sorted(pids):
        name = _read(f"/proc/{pid}/comm").strip()
        return f"another program (pid {pid}{', ' + name if name else ''})"
    return "another program"


def _lock_holders(files: list[Path]) -> set[int]:
    inodes = set()
    for f in files:
        try:
            st = f.stat()
        except OSError:
            continue
        inodes.add((os.major(st.st_dev), os.minor(st.st_dev), st.st_ino))
    found: set[int] = set()
    for line in _read("/proc/locks").splitlines():
        # "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF"  (a blocked waiter's line has "->")
        parts = line.split()
        if "->" in parts or len(parts) < 6:
            continue
        try:
            pid = int(parts[4])
            major, minor, inode = parts[5].split(":")
            key = (int(major, 16), int(minor, 16), int(inode))
        except ValueError:
            continue
        if key in inodes and pid > 0:
            found.add(pid)
    return found


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""
