"""Headless commands: ``run``, ``attach``, ``kill``, ``keep`` (:mod:`.commands`), ``runs``,
``logs`` (:mod:`.history_cmds`), ``validate``, ``dry-run`` (:mod:`.spec_cmds`).

Each takes the parsed arguments and returns an exit code: 0 succeeded,
1 failed (or killed), 2 bad input, 3 skipped, 4 cluster error, 130 interrupted.
``cli`` imports only the module of the command it runs: ``runs`` and ``logs``
read the history only and never import the engine or ``kubernetes``.
"""
