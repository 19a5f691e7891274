"""The per-run writer lock: one process writes a run's logs and verdict, others read.

The app and ``kpodtui attach`` (or two attaches) may follow the same live run
at once; if both appended to the log files every line would be there twice.
The process holding the run's lock is its *owner*: it streams the logs into
the files and judges the run. Everyone else tails the files and waits for the
verdict in the history, trying to take the lock over now and then, so when the
owner dies (even ``kill -9``: the kernel drops a dead process's ``flock``) a
follower carries on from the files' ends.

The lock is ``flock`` on ``<home>/logs/<run_id>/.writer.lock``. Lock files are
never unlinked while in use (unlinking would let two processes lock different
inodes); they are a few bytes each and live with the run's logs.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_NAME = ".writer.lock"


class RunLock:
    """An exclusive, non-blocking ``flock`` on one run's lock file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = -1

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd >= 0

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it (True), else return False at once."""
        if self._fd >= 0:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # BlockingIOError: another open file description holds it
            os.close(fd)
            return False
        # Who holds it, for people looking at the file; the lock itself is the flock.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def release(self) -> None:
        """Give the lock up (idempotent)."""
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def is_free(self) -> bool:
        """Whether nobody holds the lock right now (takes and drops it)."""
        if self.held:
            return False
        if self.try_acquire():
            self.release()
            return True
        return False
