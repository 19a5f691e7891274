"""``kpodtui import``: the pod operator calls of Airflow DAG files as task specs.

A DAG file is read as Python source with :mod:`ast`, never imported or run (no
Airflow needed). Every ``KubernetesPodOperator`` call, however it was imported,
becomes one task spec: its arguments statically resolved, merged over the
``default_args`` of its DAG, task groups and own, as Airflow merges them; what
cannot be known before run time is left out and recorded, never guessed.

- :mod:`.names`: what a name refers to, from the file's imports;
- :mod:`.scope`: which names are constants;
- :mod:`.evaluate`, :mod:`.objects`: values of expressions, client models, Secret;
- :mod:`.unresolvable`: what cannot be computed, and why;
- :mod:`.finder`: the calls and the DAG / task group each is in;
- :mod:`.task`: one call -> the spec's keys;
- :mod:`.output`: the YAML written, where, and its validation by the spec loader.

Depends on the spec layer only; the kubernetes client is imported the first time
a DAG calls one of its models.
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from kpodtui.errors import BadInputError
from kpodtui.paths import display_path
from kpodtui.spec.dagimport.evaluate import Evaluator
from kpodtui.spec.dagimport.finder import find_calls
from kpodtui.spec.dagimport.names import POD_OPERATOR, Imports, is_pod_operator
from kpodtui.spec.dagimport.scope import Scope
from kpodtui.spec.dagimport.task import ImportedTask, Unresolved, build_task
from kpodtui.spec.errors import SpecError
from kpodtui.spec.files import read_bytes

__all__ = ["DagImport", "DagImportError", "ImportedTask", "Unresolved", "import_dag", "import_source"]


#: the most a DAG file may hold (read as a spec is: once, bounded, never a device or a FIFO)
MAX_DAG_BYTES = 4 * 1024 * 1024
_TOO_DEEP = "is nested too deeply to read (an expression of thousands of parts?)"


class DagImportError(BadInputError):
    """A DAG file that cannot be imported: unreadable, not Python, or without a pod operator call."""


@dataclass
class DagImport:
    """The task specs of one DAG file, in the order of its calls."""

    path: Path
    display: str
    tasks: list[ImportedTask] = field(default_factory=list)


def _read(path: Path, display: str) -> str:
    if path.is_dir():
        raise DagImportError(f"{display}: is a directory: pass the DAG files in it ({display}/*.py)")
    try:
        data = read_bytes(path, what="a DAG file", limit=MAX_DAG_BYTES)
    except SpecError as exc:
        raise DagImportError(f"{display}: {exc.what}") from None
    if b"\0" in data:
        raise DagImportError(f"{display}: is not Python source (it holds NUL bytes: a binary file?)")
    try:
        encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
        return data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        raise DagImportError(f"{display}: is not Python source (not text in UTF-8 or its declared "
                             "encoding)") from None


def import_source(source: str, display: str, path: Path | None = None) -> DagImport:
    """The task specs of DAG source text; ``display`` names it in messages and headers."""
    try:
        return _import_source(source, display, path)
    except RecursionError:  # ast builds, and import walks, the tree recursively
        raise DagImportError(f"{display}: {_TOO_DEEP}") from None


def _import_source(source: str, display: str, path: Path | None) -> DagImport:
    try:
        tree = ast.parse(source, filename=display)
    except MemoryError:
        raise DagImportError(f"{display}: {_TOO_DEEP}") from None
    except SyntaxError as exc:
        msg = exc.msg or "invalid syntax"
        if path is not None and path.suffix != ".py":
            raise DagImportError(f"{display}: is not Python source (line {exc.lineno}, column {exc.offset}: "
                                 f"{msg}): pass an Airflow DAG file (.py)") from None
        where = f"{display}:{exc.lineno}:{exc.offset}" if exc.lineno else display
        raise DagImportError(f"{where}: syntax error: {msg}") from None
    imports = Imports.of(tree)
    module = Scope.of_module(tree)
    file = str(path.resolve()) if path is not None else display
    ev = Evaluator(source, imports, module, file)
    sites = find_calls(tree, ev)
    if not sites:
        imported = any(is_pod_operator(q) for q in imports.names.values())
        why = "imports it but never calls it" if imported else "does not import it"
        raise DagImportError(f"{display}: no {POD_OPERATOR} call to import (the file {why})")
    return DagImport(path or Path(display), display, [build_task(ev, site) for site in sites])


def import_dag(path: str | Path) -> DagImport:
    """The task specs of one DAG file; raises :class:`DagImportError` (one line) for bad input."""
    p = Path(path)
    display = display_path(p)
    if p.suffix.lower() in (".yaml", ".yml", ".json") and p.is_file():
        # `task_id: x` is valid Python (an annotation): say what the file is instead
        raise DagImportError(f"{display}: is not Python source but {p.suffix[1:].upper()}: pass an Airflow DAG "
                             "file (.py); a task spec is run as it is (kpodtui run, kpodtui validate)")
    return import_source(_read(p, display), display, p)
