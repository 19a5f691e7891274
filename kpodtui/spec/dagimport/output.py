"""What ``kpodtui import`` writes: one multi-document spec file per DAG, checked by the spec loader.

Each document starts with a header comment: the DAG file and line of the call and
the DAG id, then the mapped arguments (expand), the keys taken from default_args,
one ``# unresolved: NAME at DAG.py:LINE (why)`` line per value left out, the
keyword arguments that are not task spec keys, and notes. A file is named after
its DAG id (the DAG file's name when the id is unknown or the calls are outside
any DAG). The text is checked (by the caller's spec loader) before it is written,
with the file name and folder it will have, so problems point at its lines.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kpodtui.paths import display_path
from kpodtui.spec.dagimport import DagImport, DagImportError, import_dag
from kpodtui.spec.dagimport.task import ImportedTask
from kpodtui.spec.errors import SpecError
from kpodtui.termsafe import escape

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
#: check(text, source name, folder) -> every problem of spec text, as ``kpodtui validate`` finds them
Check = Callable[[str, str, Path | None], list[SpecError]]


@dataclass
class Output:
    """One file to write (``path`` None: standard output) and the tasks it holds."""

    path: Path | None
    display: str
    source: DagImport
    tasks: list[ImportedTask]
    text: str = ""
    #: first line of each task's document in ``text``
    starts: list[int] = field(default_factory=list)
    problems: list[SpecError] = field(default_factory=list)

    def task_at(self, line: int | None) -> ImportedTask | None:
        """The task whose document holds ``line``."""
        found = None
        for start, task in zip(self.starts, self.tasks, strict=True):
            if line is not None and start <= line:
                found = task
        return found


def _dumper() -> Any:
    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    def text(dumper: Any, s: str) -> Any:
        return dumper.represent_scalar("tag:yaml.org,2002:str", s, style="|" if "\n" in s.rstrip("\n") else None)

    def items(dumper: Any, seq: list) -> Any:
        # short lists of plain values on one line, as the samples write `cmds: [sh, -c]`
        flow = all(isinstance(x, str | int | float | bool) and "\n" not in str(x) for x in seq) \
            and sum(len(str(x)) + 2 for x in seq) <= 70
        return dumper.represent_sequence("tag:yaml.org,2002:seq", seq, flow_style=flow)

    Dumper.add_representer(str, text)
    Dumper.add_representer(list, items)
    return Dumper


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def header(task: ImportedTask, dag_file: str) -> list[str]:
    """The comment lines above a task's document."""
    if task.dag is not None:
        dag = task.dag.describe()
    elif task.dag_problem:
        dag = f"DAG unknown: {task.dag_problem}"
    elif task.in_function:
        dag = f"no DAG: the call is in {task.in_function}(), outside any DAG context"
    else:
        dag = "no DAG: the call is outside any DAG context"
    lines = [f"# imported by kpodtui from {dag_file}:{task.line}, {dag}"]
    for name, source in task.mapped:
        lines.append(f"# mapped: {name} = {source} (expand: one run per value; the spec holds the partial() "
                     "arguments, give one value with --set)")
    if task.from_defaults:
        lines.append(f"# from default_args: {', '.join(task.from_defaults)}")
    for u in task.unresolved:
        lines.append(f"# unresolved: {u.name} at {dag_file}:{u.line} ({_one_line(u.why)})")
    if task.left_out:
        lines.append(f"# not task spec keys, left out: {', '.join(task.left_out)}")
    for _line, _col, note in task.notes:
        lines.append(f"# note: {_one_line(note)}")
    # what they echo of the DAG (ids, names, source) as visible escapes: YAML allows no control
    # character, and `-o -` prints them
    return [escape(line, newlines=False) for line in lines]


def render(tasks: list[ImportedTask], dag_file: str) -> tuple[str, list[int]]:
    """The YAML text of ``tasks`` and the first line of each document."""
    dumper = _dumper()
    parts: list[str] = []
    starts: list[int] = []
    line = 1
    for i, task in enumerate(tasks):
        doc = "\n".join(header(task, dag_file)) + "\n"
        if task.values:
            doc += yaml.dump(task.values, Dumper=dumper, sort_keys=False, allow_unicode=True,
                             default_flow_style=False, width=4096)
        if i:
            parts.append("---\n")
            line += 1
        starts.append(line)
        parts.append(doc)
        line += doc.count("\n")
    return "".join(parts), starts


def _file_name(label: str) -> str:
    return (_UNSAFE.sub("_", label).strip("._") or "dag") + ".yaml"


def plan(imports: list[DagImport], outdir: Path | None, check: Check | None, *,
         fresh: bool = False) -> list[Output]:
    """The files to write into ``outdir`` (None: one text for standard output), each checked
    with ``check(text, file name, folder)`` (the spec loader's every problem, from the layer
    that loads specs) as the file it will be.

    ``fresh``: pick an unused name (``etl-2.yaml``) instead of one that exists (the app);
    otherwise two DAGs that would share a file name are an error.
    """
    outputs: list[Output] = []
    taken: dict[Path, str] = {}
    for imp in imports:
        groups: dict[int, list[ImportedTask]] = {}
        labels: dict[int, str] = {}
        for task in imp.tasks:
            key = id(task.dag) if task.dag is not None and task.dag.dag_id else 0
            groups.setdefault(key, []).append(task)
            labels[key] = task.dag.dag_id if key and task.dag and task.dag.dag_id else imp.path.stem
        for key, tasks in groups.items():
            path = None
            if outdir is not None:
                path = outdir / _file_name(labels[key])
                n = 2
                while fresh and (path in taken or path.exists()):
                    path = outdir / _file_name(f"{labels[key]}-{n}")
                    n += 1
                if path in taken:
                    raise DagImportError(f"{taken[path]} and {imp.display} both make {display_path(path)} "
                                         "(the same DAG id): import them one at a time, with -o for each")
                taken[path] = imp.display
            out = Output(path, display_path(path) if path else "-", imp, tasks)
            out.text, out.starts = render(tasks, imp.display)
            outputs.append(out)
    if check is not None:
        for out in outputs:
            out.problems = check(out.text, out.display, outdir)
    return outputs


def hint(out: Output, err: SpecError) -> str:
    """What import left out that may explain ``err`` (a missing key it could not resolve)."""
    task = out.task_at(err.line)
    if task is None or not err.key:
        return ""
    key = str(err.key).split(".")[0].split("[")[0]
    for u in task.unresolved:
        if u.name.split(".")[0] == key or u.name.endswith("default_args"):
            return f" (left out by import: {u.name} at {out.source.display}:{u.line} is unresolved)"
    for name, _src in task.mapped:
        if name == key:
            return f" (left out by import: {name} is mapped with expand; give one value with --set)"
    return ""


def write(out: Output) -> None:
    """Write ``out`` atomically (a reader never sees half a file)."""
    assert out.path is not None
    out.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.path.with_name(f".{out.path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8") as f:
            f.write(out.text)
        os.replace(tmp, out.path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def import_to_folder(path: str | Path, folder: Path, check: Check | None) -> list[Output]:
    """Import one DAG file into ``folder`` under names no file has yet (the app's import);
    raises DagImportError for bad input. The outputs carry ``check``'s problems."""
    outputs = plan([import_dag(path)], folder, check, fresh=True)
    for out in outputs:
        write(out)
    return outputs
