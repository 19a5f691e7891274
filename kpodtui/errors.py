"""Errors that end a command with one clear line and an exit code.

Every layer raises a subclass of :class:`KpodtuiError`; ``cli.main`` prints
``kpodtui: error: <message>`` on stderr (no traceback) and exits with
``exit_code``. Messages name the problem and what to do about it.
"""

from __future__ import annotations

# Exit codes shared by every command (documented in --help and the README).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_SKIPPED = 3
EXIT_CLUSTER = 4
EXIT_INTERRUPTED = 130


class KpodtuiError(Exception):
    """Base class: a user-facing error with a one-line message."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class BadInputError(KpodtuiError):
    """A bad spec, a missing file, a bad argument: exit 2."""

    exit_code = EXIT_BAD_INPUT


class ClusterError(KpodtuiError):
    """The cluster cannot be reached or refused a request: exit 4."""

    exit_code = EXIT_CLUSTER
