"""The spec and pod layers as the app uses them: check editor text, preview a task, import a DAG file.

Called from workers only (they read files and render templates); the layers
themselves are imported there, so the app's first frame does without them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kpodtui.termsafe import escape
from kpodtui.tui.data import clock

if TYPE_CHECKING:
    from kpodtui.spec.dagimport.output import Output


@dataclass(frozen=True)
class Problem:
    """One validation error, located for the editor (1-based line/column)."""

    message: str
    line: int | None = None
    column: int | None = None
    key: str | None = None

    def describe(self) -> str:
        where = f"line {self.line}" if self.line else "?"
        if self.line and self.column:
            where += f", col {self.column}"
        key = f"{self.key}: " if self.key else ""
        return f"{where}: {key}{self.message}"


def _problem(exc: Exception) -> Problem:
    what = getattr(exc, "what", None) or str(exc)
    suggestion = getattr(exc, "suggestion", None)
    if suggestion:
        what += f" (did you mean {suggestion!r}?)"
    key = getattr(exc, "key", None)
    return Problem(escape(" ".join(str(what).split()), newlines=False), getattr(exc, "line", None),
                   getattr(exc, "column", None), escape(key, newlines=False) if key else None)


def check_text(text: str, path: Path | None, overrides: Sequence[str] = ()) -> tuple[list[Problem], list]:
    """Validate editor text (with ``--set``-style overrides); returns (every problem, task specs)."""
    # start-up: the spec and pod layers load in the worker that checks, not for the first frame
    from kpodtui.tasks import load_spec_text_all

    source = str(path) if path else "<editor>"
    base = path.parent if path else Path.cwd()
    specs, errors = load_spec_text_all(text, source, base, overrides)  # one render, not a check and a load
    if errors:
        return [_problem(exc) for exc in errors], []
    return [], specs


def dry_run(path: Path, index: int = 0) -> tuple[str, str]:
    """(spec text, manifest YAML or the error that prevents building it)."""
    # start-up: (as in check_text)
    from kpodtui.pod import build_pod, manifest_yaml
    from kpodtui.spec import render_spec
    from kpodtui.tasks import load_file

    specs, errors, text = load_file(path)  # read once, bounded (a listed file may be anything)
    try:
        if errors:
            raise errors[0]
        spec = specs[min(index, len(specs) - 1)]
        spec = render_spec(spec, run_id="dry-run", ts=datetime.fromtimestamp(clock.now(), UTC))
        # a fixed seed: the preview stays put while browsing (the real name suffix is random)
        return text, manifest_yaml(build_pod(spec, None, rng=random.Random(0)))
    except Exception as exc:
        return text, f"# this spec cannot be built:\n# {_problem(exc).describe()}"


def import_dag(path: Path, folder: Path) -> list[Output]:
    """``kpodtui import`` of one DAG file into ``folder`` under names no file has yet, each
    spec checked as ``kpodtui validate`` would; raises DagImportError for bad input."""
    # start-up: (as in check_text)
    from kpodtui.spec.dagimport.output import import_to_folder
    from kpodtui.tasks import check_spec_text

    return import_to_folder(path, folder, check_spec_text)
