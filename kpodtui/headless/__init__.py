"""Headless commands: ``run``, ``attach``, ``runs``, ``logs``, ``kill``, ``keep``.

Each takes the parsed arguments and returns an exit code: 0 succeeded,
1 failed (or killed), 2 bad input, 3 skipped, 4 cluster error, 130 interrupted.
``runs`` and ``logs`` read the history only and never import ``kubernetes``.
"""

from __future__ import annotations

from kpodtui.headless.commands import attach_command, keep_command, kill_command, run_command
from kpodtui.headless.history_cmds import logs_command, runs_command

__all__ = ["attach_command", "keep_command", "kill_command", "logs_command", "run_command", "runs_command"]
