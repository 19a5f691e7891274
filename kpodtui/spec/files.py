"""Reading spec and template files: once, bounded, never a device or a named pipe.

A spec is read exactly once (``validate <(cat spec.yaml)`` works: a pipe cannot be
read twice), at most :data:`MAX_FILE_BYTES`; a character or block device
(``/dev/zero``), a socket, a directory or a named FIFO (which would hang waiting for
a writer) is refused before any byte is read. ``-`` is standard input; a path under
``/dev/fd`` or ``/proc/self/fd`` (what a shell's ``<(...)`` gives) is read as the
pipe it is. Errors name the file and what is wrong, never its contents.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from kpodtui.spec.errors import SpecError

#: the most a spec or a pod template may hold (a pod's whole API object is at most ~1.5 MB)
MAX_FILE_BYTES = 1024 * 1024
STDIN = "-"
_PIPE_DIRS = ("/dev/fd/", "/proc/self/fd/", "/dev/stdin")


def shown_path(path: str | Path) -> str:
    """How a file is named in messages: ``<stdin>`` for ``-``, else as given."""
    return "<stdin>" if str(path) == STDIN else str(path)


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    return "not a regular file"


def _read_bounded(fd: int, source: str, limit: int, what: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise SpecError(f"is larger than {limit // 1024} KiB: {what} must be smaller", source=source)
        chunks.append(chunk)


def read_bytes(path: str | Path, *, what: str = "a spec file", limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of ``path`` (``-``: standard input), read once; :class:`SpecError` naming the file."""
    source = shown_path(path)
    if str(path) == STDIN:
        return _read_bounded(sys.stdin.fileno(), source, limit, what)
    text_path = str(path)
    is_pipe_path = text_path.startswith(_PIPE_DIRS)
    try:
        # O_NONBLOCK: opening a named pipe with no writer must not hang; regular files ignore it.
        fd = os.open(text_path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise SpecError("no such file", source=source) from None
    except IsADirectoryError:
        raise SpecError(f"is a directory, not {what}", source=source) from None
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror or exc}", source=source) from None
    try:
        mode = os.fstat(fd).st_mode
        kind = _kind(mode)
        if kind is not None and not (is_pipe_path and stat.S_ISFIFO(mode)):
            pipe = stat.S_ISFIFO(mode) and what == "a spec file"
            hint = " (pass it through a pipe with `-` or <(...) instead)" if pipe else ""
            raise SpecError(f"is {kind}, not {what}{hint}", source=source)
        if stat.S_ISFIFO(mode):
            os.set_blocking(fd, True)  # a shell's <(...): read it as `cat` would
        return _read_bounded(fd, source, limit, what)
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror or exc}", source=source) from None
    finally:
        os.close(fd)


def read_text(path: str | Path, *, what: str = "a spec file", limit: int = MAX_FILE_BYTES) -> str:
    """:func:`read_bytes` decoded as UTF-8 (a file that is not text is an error, not echoed)."""
    data = read_bytes(path, what=what, limit=limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError("is not UTF-8 text", source=shown_path(path)) from None
