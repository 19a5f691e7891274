"""Finding task specs: ``sample_tasks/``, the user's task folder and paths given on the command line.

Runs in a worker: it reads files. It only needs YAML to name the tasks; the
full validation happens in the preview and the editor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from kpodtui import paths
from kpodtui.tui.data.backend import TaskEntry

SPEC_SUFFIXES = (".yaml", ".yml")


def _spec_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in SPEC_SUFFIXES and p.is_file() and not _is_helper(p))


def _is_helper(path: Path) -> bool:
    """Pod template files beside the specs are not tasks (no ``task_id``)."""
    try:
        with path.open("rb") as f:
            head = f.read(4096).decode("utf-8", errors="replace")
    except OSError:
        return False
    return "task_id" not in head


def tasks_in_file(path: Path, origin: str) -> list[TaskEntry]:
    """One entry per document holding a ``task_id`` (an entry with ``error`` if unreadable)."""
    from kpodtui.spec.errors import SpecError
    from kpodtui.spec.files import read_text
    from kpodtui.spec.yamlpos import parse_documents

    try:  # bounded: a path given on the command line may be anything (/dev/zero, an alias bomb)
        docs = [d.value for d in parse_documents(read_text(path), str(path))]
    except SpecError as exc:
        return [TaskEntry(path, path.stem, origin, 0, exc.what)]
    entries = []
    for index, doc in enumerate(d for d in docs if d is not None):
        task_id = doc.get("task_id") if isinstance(doc, dict) else None
        if task_id is None:
            entries.append(TaskEntry(path, path.stem, origin, index, "no task_id"))
        else:
            entries.append(TaskEntry(path, str(task_id), origin, index))
    return entries


def discover_tasks(given: Sequence[Path] = ()) -> list[TaskEntry]:
    """Every task, given paths first, then the user's folder, then the samples."""
    sources: list[tuple[str, Iterable[Path]]] = []
    given_files: list[Path] = []
    for p in given:
        given_files.extend(_spec_files(p) if p.is_dir() else [p])
    sources.append(("given", given_files))
    sources.append(("user", _spec_files(paths.tasks_dir())))
    samples = paths.sample_tasks_dir()
    if samples is not None:
        sources.append(("sample", _spec_files(samples)))
    entries: list[TaskEntry] = []
    seen: set[Path] = set()
    for origin, files in sources:
        for f in files:
            resolved = f.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            entries.extend(tasks_in_file(f, origin))
    return entries


def new_spec_path(task_id: str = "my-task") -> Path:
    """A fresh file name in the user's task folder."""
    folder = paths.tasks_dir()
    candidate = folder / f"{task_id}.yaml"
    n = 2
    while candidate.exists():
        candidate = folder / f"{task_id}-{n}.yaml"
        n += 1
    return candidate
