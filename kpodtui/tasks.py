"""Task files loaded with every check: the spec's own and those of the pod it builds.

:mod:`kpodtui.spec` checks a task document (keys, types, templates) and knows
nothing of pods. Whether a task makes a valid pod once its template,
``full_pod_spec`` and parameters are merged (duplicate env or volume names,
mounts of volumes the pod lacks, an image nobody gives...) is the pod layer's
answer. This module asks both: every task is rendered with a trial identity and
built once, so such a problem is a positioned spec error at load time, before
any cluster is involved.

Everything that loads a spec (the commands, the engine's run service, the app)
loads it here, and picks the one task to act on with :func:`pick_task`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from kpodtui.pod.builder import build_pod
from kpodtui.spec.errors import SpecError, SpecErrors
from kpodtui.spec.files import shown_path
from kpodtui.spec.loader import parse_specs, read_spec_file
from kpodtui.spec.render import render_spec
from kpodtui.spec.taskspec import TaskSpec

TRIAL_TS = datetime(2000, 1, 1, tzinfo=UTC)

__all__ = ["check_spec_text", "load_file", "load_spec_text", "load_spec_text_all", "load_specs", "load_task",
           "pick_task", "trial_build", "validate_file"]


def trial_build(spec: TaskSpec) -> list[SpecError]:
    """The problems building ``spec``'s pod reveals, if any (rendered with a trial identity)."""
    try:
        build_pod(render_spec(spec, run_id="validate", ts=TRIAL_TS), None)
    except SpecErrors as exc:
        return exc.errors
    except SpecError as exc:
        return [exc]
    return []


def load_file(path: str | Path, overrides: Sequence[str] = ()) -> tuple[list[TaskSpec], list[SpecError], str]:
    """(every task, every problem, the text) of a spec file, read once (it may be a pipe or
    ``-``, standard input); never raises for bad input."""
    try:
        spec_file = read_spec_file(path)
    except SpecError as exc:
        return [], [exc], ""
    try:
        specs, errors = parse_specs(spec_file.text, spec_file.source, spec_file.path, spec_file.base_dir,
                                    overrides, trial_build)
    except SpecError as exc:
        return [], [exc], spec_file.text
    return specs, errors, spec_file.text


def load_specs(path: str | Path, overrides: Sequence[str] = ()) -> list[TaskSpec]:
    """Every task of a spec file, checked; raises :class:`SpecError` for the first problem."""
    specs, errors, _text = load_file(path, overrides)
    if errors:
        raise errors[0]
    return specs


def validate_file(path: str | Path, overrides: Sequence[str] = ()) -> list[SpecError]:
    """Every problem of a spec file (empty when it is valid); never raises for bad input."""
    return load_file(path, overrides)[1]


def load_spec_text(text: str, source: str = "<editor>", base_dir: Path | None = None,
                   overrides: Sequence[str] = ()) -> list[TaskSpec]:
    """Specs from text (the app's editor), with ``--set``-style ``overrides``; raises the
    first :class:`SpecError` (with .line/.column/.key). :func:`check_spec_text` lists them all."""
    specs, errors = parse_specs(text, source, None, base_dir, overrides, trial_build)
    if errors:
        raise errors[0]
    return specs


def load_spec_text_all(text: str, source: str = "<editor>", base_dir: Path | None = None,
                       overrides: Sequence[str] = ()) -> tuple[list[TaskSpec], list[SpecError]]:
    """(the tasks, every problem) of spec text, rendered once (the app's live validation)."""
    try:
        return parse_specs(text, source, None, base_dir, overrides, trial_build)
    except SpecError as exc:
        return [], [exc]


def check_spec_text(text: str, source: str = "<editor>", base_dir: Path | None = None,
                    overrides: Sequence[str] = ()) -> list[SpecError]:
    """Every problem of spec text (empty when it is valid), as :func:`validate_file` for a file;
    never raises for bad input (a YAML syntax error or a bad override is the one problem)."""
    try:
        return parse_specs(text, source, None, base_dir, overrides, trial_build)[1]
    except SpecError as exc:
        return [exc]


def pick_task(specs: Sequence[TaskSpec], task_id: str | None, source: str) -> TaskSpec:
    """The one task to act on: ``task_id`` (``--task``, the app's choice), or the file's only task.

    An unknown id, or no id for a file of several tasks, is bad input naming the
    file and its tasks: the commands and the app refuse it alike (none falls back
    to the first task).
    """
    ids = ", ".join(s.task_id for s in specs)
    if task_id:
        for spec in specs:
            if spec.task_id == task_id:
                return spec
        raise SpecError(f"no task {task_id!r} in this file (it holds: {ids or 'none'})", source=source)
    if not specs:
        raise SpecError("holds no task", source=source)
    if len(specs) > 1:
        raise SpecError(f"holds {len(specs)} tasks ({ids}): pick one with --task", source=source)
    return specs[0]


def load_task(path: str | Path | None, text: str | None = None, task_id: str | None = None,
              overrides: Sequence[str] = ()) -> tuple[TaskSpec, str]:
    """The task to run (picked by ``task_id``) and the text it comes from.

    ``text`` None: the file at ``path`` as it is on disk. Otherwise ``text`` is an
    editor's (``path`` its file, or None for a new one): unsaved changes are loaded
    from the text, templates still resolve beside the file.
    """
    source = str(path) if path is not None else "<editor>"
    if text is None:
        if path is None:
            raise ValueError("load_task needs a path or a text")
        specs, errors, text = load_file(path, overrides)  # read once: it may be a pipe
        if errors:
            raise errors[0]
        source = shown_path(path)
    elif path is not None and Path(path).is_file() and Path(path).read_text(encoding="utf-8") == text:
        specs = load_specs(path, overrides)
    else:
        specs = load_spec_text(text, source, Path(path).parent if path is not None else Path.cwd(), overrides)
    return pick_task(specs, task_id, source), text
