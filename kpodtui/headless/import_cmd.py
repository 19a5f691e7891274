"""``kpodtui import DAG.py... [-o DIR] [--task ID] [--force]``: DAG files -> task spec files.

stdout says what was written; stderr has one line per argument left out (unresolved),
per mapped argument and per note, then the spec loader's verdict on every written
spec. Exit 0 when every spec is valid, 2 when one is not or an input is bad. An
existing file is never replaced without ``--force``; nothing is written then.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kpodtui.errors import EXIT_BAD_INPUT, EXIT_OK
from kpodtui.paths import display_path
from kpodtui.spec.dagimport import DagImportError, import_dag
from kpodtui.spec.dagimport.output import hint, plan, write
from kpodtui.spec.errors import SpecError
from kpodtui.tasks import check_spec_text
from kpodtui.termsafe import escape


def _say(line: str) -> None:
    """One line on stderr; what it echoes of the DAG (ids, names, source) cannot drive the terminal."""
    print(escape(line, newlines=False), file=sys.stderr)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def import_command(args: argparse.Namespace) -> int:
    bad = False
    imports = []
    for path in args.dags:
        try:
            imports.append(import_dag(path))
        except DagImportError as exc:
            _say(f"kpodtui: error: {exc}")
            bad = True
    if args.task and imports:
        held = [t.task_id for imp in imports for t in imp.tasks if t.task_id]
        for imp in imports:
            imp.tasks = [t for t in imp.tasks if t.task_id == args.task]
        imports = [imp for imp in imports if imp.tasks]
        if not imports:
            _say(f"kpodtui: error: --task: no task {args.task!r} in {', '.join(args.dags)} "
                 f"(it holds: {', '.join(held) or 'no resolved task ids'})")
            return EXIT_BAD_INPUT
    if not imports:
        return EXIT_BAD_INPUT
    to_stdout = args.output == "-"
    outdir = None if to_stdout else Path(args.output or ".")
    if outdir is not None and outdir.exists() and not outdir.is_dir():
        _say(f"kpodtui: error: -o {args.output}: is not a folder")
        return EXIT_BAD_INPUT
    try:
        outputs = plan(imports, outdir, check_spec_text)
    except DagImportError as exc:
        _say(f"kpodtui: error: {exc}")
        return EXIT_BAD_INPUT
    existing = [o for o in outputs if o.path is not None and o.path.exists()]
    if existing and not args.force:
        for o in existing:
            _say(f"kpodtui: error: {o.display} exists: pass --force to replace it (or -o DIR to write "
                 "elsewhere); nothing was written")
        return EXIT_BAD_INPUT
    invalid = False
    printed = 0  # lines already on stdout: an error in the second DAG's text points at its line there
    for out in outputs:
        dag_file = out.source.display
        for task in out.tasks:
            who = task.task_id or f"the call at line {task.line}"
            for name, _source in task.mapped:
                _say(f"kpodtui: note: {dag_file}:{task.line}:{task.column}: {who}: {name} is mapped (expand): "
                     "the spec holds the partial() arguments only")
            for u in task.unresolved:
                _say(f"kpodtui: warning: {dag_file}:{u.line}:{u.column}: {who}: {u.name} left out: {u.why}")
            for line, column, note in task.notes:
                _say(f"kpodtui: note: {dag_file}:{line}:{column}: {who}: {note}")
        shift = 0
        if out.path is None:
            text = ("---\n" if printed else "") + out.text
            shift = printed + (1 if printed else 0)
            sys.stdout.write(text)
            printed += text.count("\n")
        else:
            try:
                write(out)
            except OSError as exc:
                _say(f"kpodtui: error: cannot write {out.display}: {exc.strerror or exc} (choose another "
                     "folder with -o)")
                return EXIT_BAD_INPUT
            ids = ", ".join(t.task_id or f"line {t.line}" for t in out.tasks)
            left = sum(len(t.unresolved) for t in out.tasks)
            extra = f"; {_plural(left, 'value')} left out (see its # unresolved lines)" if left else ""
            wrote = f"wrote {out.display}: {_plural(len(out.tasks), 'task')} ({ids}) from {dag_file}{extra}"
            print(escape(wrote, newlines=False))
        for err in out.problems:
            shown = err
            if shift and err.line is not None:
                shown = SpecError(err.what, source=err.source, line=err.line + shift, column=err.column,
                                  key=err.key, suggestion=err.suggestion)
            _say(f"kpodtui: error: {shown}{hint(out, err)}")
        invalid = invalid or bool(out.problems)
    if invalid:
        written = " ".join(display_path(o.path) for o in outputs if o.path)
        then = f"then check with: kpodtui validate {written}" if written else "before running it"
        _say(f"kpodtui: error: an imported spec is not valid yet: complete it, {then}")
    return EXIT_BAD_INPUT if bad or invalid else EXIT_OK
