"""The run history on local disk: SQLite (WAL) for runs, plain files for logs.

Where: ``$KPODTUI_HOME`` if set, else ``platformdirs.user_data_dir("kpodtui")``.
Layout: ``<home>/history.sqlite3`` and ``<home>/logs/<run_id>/<container>.log``
(every file mode 0600, folders 0700). Two processes may use it at once.

Public API (what the app and headless mode use)::

    from kpodtui.history import History, RunRecord, LogCursor, new_run_id

    h = History.open(home=None)              # creates + migrates as needed
    h.list_runs(limit=50, live_first=True)   # -> list[RunRecord], newest first
    h.live_runs()                            # -> runs without a verdict yet
    h.get_run("a1b2")                        # id or unique prefix; BadInputError otherwise
    h.read_log(run_id, container=None)       # -> iterator of kpodtui.loglines.LogLine
                                             #    (None: all containers merged by time)
    h.log_path(run_id, container)            # -> Path of that container's log file
    h.containers(run_id)                     # -> containers with a log file
    h.add_run(RunRecord(...)); h.update_run(run_id, state="finished", ...)
    h.open_log(run_id, container)            # -> LogFileWriter (engine only)
    h.save_cursors(run_id, {c: LogCursor}) / h.cursors(run_id)
    h.run_lock(run_id)                       # -> RunLock: who writes a live run's logs
    h.tail(run_id, from_end=True)            # -> LogTail: new lines another process wrote

:class:`RunRecord` fields: ``id, task_id, spec_path, spec_text, pod_name,
namespace, context, kubeconfig, state ('live'|'finished'), phase, created_at,
started_at, finished_at (Unix s), exit_code, outcome ('succeeded'|'failed'|
'skipped'|'killed'), xcom, failure_report, on_finish_action (set by keep),
kill_requested, detached, owner_pid, detail`` and the property ``live``.

A log file line is ``<RFC3339Nano timestamp> <text>``; the file's end is the
resume point of a reattached run (see :mod:`kpodtui.history.logfiles`).
"""

from __future__ import annotations

import secrets
import time

from kpodtui.history.logfiles import LogFileWriter
from kpodtui.history.store import History, RunRecord, default_home
from kpodtui.loglines import LogCursor

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford-ish base32: no i, l, o, u


_issued: tuple[int, set[str]] = (0, set())  # ids handed out in the current 0.1 s tick


def new_run_id() -> str:
    """A short, unique, time-ordered run id (``"k3f9q2m7x1"``): 6 chars of time, 4 random.

    Ids made by this process in the same 0.1 s tick never repeat (4 random
    characters alone would collide for one in ~5,000 pairs of a burst).
    """
    global _issued
    t = int(time.time() * 10)  # 0.1 s resolution, wraps after ~34 years per 6 chars
    tick = t
    stamp = ""
    for _ in range(6):
        t, r = divmod(t, 32)
        stamp = _ALPHABET[r] + stamp
    if _issued[0] != tick:
        _issued = (tick, set())
    while True:
        run_id = stamp + "".join(secrets.choice(_ALPHABET) for _ in range(4))
        if run_id not in _issued[1]:
            _issued[1].add(run_id)
            return run_id


__all__ = ["History", "LogCursor", "LogFileWriter", "RunRecord", "default_home", "new_run_id"]
