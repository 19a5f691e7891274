"""Noticing, cheaply, that another process changed the run table.

``PRAGMA data_version`` moves on a connection whenever any *other* connection
commits, and reading it costs no I/O beyond the shared-memory index. Only then
is the ``runs`` counter (moved by triggers on every insert, update and delete
of a run, :mod:`kpodtui.history.schema`) read: log cursors, saved every second
while a run lives, move ``data_version`` but not the counter, so they never
cause a reload of the list.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kpodtui.history.store import DB_NAME, default_home


class RunsWatch:
    """Polled by its owner (a thread): :meth:`changed` says whether any run changed since the last call."""

    def __init__(self, home: str | Path | None = None) -> None:
        root = Path(home).expanduser() if home is not None else default_home()
        # its own connection, never writing: every commit it sees is someone else's
        self._conn = sqlite3.connect(root / DB_NAME, timeout=5.0, isolation_level=None, check_same_thread=False)
        self._version = self._data_version()
        self._count = self._counter()

    def _data_version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def _counter(self) -> int:
        try:
            rows = self._conn.execute("SELECT value FROM counters WHERE name = 'runs'").fetchall()
        except sqlite3.OperationalError:  # not migrated yet (another process is creating it)
            return -1
        return int(rows[0][0]) if rows else -1

    def changed(self) -> bool:
        """Whether a run was added, changed or deleted since the last call (or since opening)."""
        version = self._data_version()
        if version == self._version:
            return False
        self._version = version
        count = self._counter()
        if count == self._count:
            return False
        self._count = count
        return True

    def close(self) -> None:
        self._conn.close()
