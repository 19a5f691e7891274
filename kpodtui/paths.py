"""Every path kpodtui reads or writes, in one place (posting's ``locations.py`` habit).

Environment overrides keep tests hermetic and let a person relocate things:

- ``KPODTUI_CONFIG_DIR``: the config folder (default: platformdirs user config dir);
  the user's task specs live in its ``tasks/`` sub-folder.
- ``KPODTUI_HOME``: the data folder (run history, log files; owned by the history layer).

Only ``platformdirs`` is imported here, so any command may use this module cheaply.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "kpodtui"


def config_dir() -> Path:
    """The config folder (not created)."""
    env = os.environ.get("KPODTUI_CONFIG_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs  # start-up: only when no environment variable says where

    return Path(platformdirs.user_config_dir(APP_NAME))


def tasks_dir() -> Path:
    """The user's task folder: specs listed in the app next to ``sample_tasks/``."""
    return config_dir() / "tasks"


def data_dir() -> Path:
    """The data folder (history and log files)."""
    env = os.environ.get("KPODTUI_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs  # start-up: only when no environment variable says where

    return Path(platformdirs.user_data_dir(APP_NAME))


def saved_logs_dir() -> Path:
    """Where the app saves whole logs on request (``save log``)."""
    return data_dir() / "saved-logs"


def sample_tasks_dir() -> Path | None:
    """The ``sample_tasks/`` folder shipped beside the package, if present (a source checkout)."""
    candidate = Path(__file__).resolve().parent.parent / "sample_tasks"
    return candidate if candidate.is_dir() else None


def display_path(path: str | Path) -> str:
    """How to show a path to a person: relative to the working directory when under it,
    ``~/...`` under the home directory, else absolute (as shells and kubectl users read them)."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        pass
    try:
        return "~/" + str(p.resolve().relative_to(Path.home().resolve()))
    except (ValueError, OSError, RuntimeError):
        return str(p)
