"""The history database schema and its migrations.

The version lives in ``PRAGMA user_version``; each entry of :data:`MIGRATIONS`
moves the database from version ``i`` to ``i + 1`` inside one transaction, so a
newer kpodtui upgrades an older database in place and two processes opening it
at once cannot both migrate (the second waits, then sees the new version).
"""

from __future__ import annotations

import sqlite3

from kpodtui.errors import BadInputError

# An entry is one script split on ";", or a list of statements (a trigger's body holds ";").
MIGRATIONS: list[str | list[str]] = [
    # 0 -> 1: runs and log cursors.
    """
    CREATE TABLE runs (
        id              TEXT PRIMARY KEY,
        task_id         TEXT NOT NULL,
        spec_path       TEXT,
        spec_text       TEXT,
        pod_name        TEXT,
        namespace       TEXT,
        context         TEXT,
        kubeconfig      TEXT,
        state           TEXT NOT NULL DEFAULT 'live',
        phase           TEXT,
        created_at      REAL NOT NULL,
        started_at      REAL,
        finished_at     REAL,
        exit_code       INTEGER,
        outcome         TEXT,
        xcom            TEXT,
        failure_report  TEXT,
        on_finish_action TEXT,
        kill_requested  INTEGER NOT NULL DEFAULT 0,
        detached        INTEGER NOT NULL DEFAULT 0,
        owner_pid       INTEGER,
        detail          TEXT
    );
    CREATE INDEX runs_state_created ON runs(state, created_at);
    CREATE TABLE log_cursors (
        run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        container   TEXT NOT NULL,
        last_ts     TEXT NOT NULL DEFAULT '',
        same_ts     INTEGER NOT NULL DEFAULT 0,
        lines       INTEGER NOT NULL DEFAULT 0,
        updated_at  REAL NOT NULL,
        PRIMARY KEY (run_id, container)
    );
    """,
    # 1 -> 2: the run list's order (live runs first, newest first) as an index, so the first
    # page of a list of 100k runs is read in a fraction of a millisecond, not a full scan and sort.
    """
    CREATE INDEX runs_list ON runs((state = 'live'), created_at);
    """,
    # 2 -> 3: the --set overrides a run was launched with (rerun keeps them); its pod as created
    # and as last seen, and its events (describe and YAML once the pod is gone); a counter
    # every change of the run table moves, so another process notices a change with one read.
    [
        "ALTER TABLE runs ADD COLUMN overrides TEXT",
        """CREATE TABLE run_pods (
            run_id      TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
            manifest    TEXT,
            last_pod    TEXT,
            events      TEXT
        )""",
        "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
        "INSERT INTO counters (name, value) VALUES ('runs', 0)",
        *(f"""CREATE TRIGGER runs_{what}_counted AFTER {what.upper()} ON runs BEGIN
              UPDATE counters SET value = value + 1 WHERE name = 'runs';
           END""" for what in ("insert", "update", "delete")),
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring ``conn``'s database to :data:`SCHEMA_VERSION`; return the version found."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = conn.execute("PRAGMA user_version").fetchone()[0]
        if found > SCHEMA_VERSION:
            conn.execute("ROLLBACK")
            # Never touch it (nothing recorded is lost): say how to go on.
            raise BadInputError(
                f"the run history in {_db_path(conn)} was written by a newer kpodtui (schema {found} > "
                f"{SCHEMA_VERSION}): upgrade kpodtui, or set KPODTUI_HOME to use another history"
            )
        for version in range(found, SCHEMA_VERSION):
            step = MIGRATIONS[version]
            for statement in step.split(";") if isinstance(step, str) else step:
                if statement.strip():
                    conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return found


def _db_path(conn: sqlite3.Connection) -> str:
    row = conn.execute("PRAGMA database_list").fetchone()
    return row[2] if row and row[2] else "the database"
