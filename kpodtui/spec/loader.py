"""Reading spec text: YAML with positions, ``--set`` overrides, checks, deprecations.

Every problem becomes a positioned :class:`SpecError`; :func:`parse_specs` returns
the tasks and every problem found. What a spec cannot know alone (the pod it
builds once its template, ``full_pod_spec`` and parameters are merged) is asked
through ``check``: :mod:`kpodtui.tasks`, above the pod layer, passes its trial
build there and offers the loaders everything else calls (``load_specs``,
``validate_file``, ``load_spec_text``, ``check_spec_text``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from kpodtui.spec.check import BAD, check_value
from kpodtui.spec.context import (
    CheckContext,
    format_path,
    is_template,
    override_key,
    split_override,
    type_name,
)
from kpodtui.spec.errors import SpecError, did_you_mean
from kpodtui.spec.files import STDIN, read_text, shown_path
from kpodtui.spec.k8s import camelize
from kpodtui.spec.podtemplate import load_pod_template
from kpodtui.spec.schema import ALL_KEYS, DEPRECATED_ALIASES, OLD_RESOURCES, PARAMS
from kpodtui.spec.taskspec import TaskSpec
from kpodtui.spec.yamlpos import MAX_DEPTH, Document, YamlLimitError, parse_documents

Segments = tuple[str | int, ...]


def parse_overrides(overrides: Sequence[str]) -> list[tuple[Segments, Any, str]]:
    """``["params.n=3"]`` -> ``[(("params", "n"), 3, "params.n=3")]``; values are YAML scalars/lists.

    A key is dotted; a segment of digits is a list index (``cmds.2``) and a segment in
    double quotes may hold dots (``node_selector."kubernetes.io/arch"``).
    """
    out = []
    for item in overrides:
        shown = item if len(item) <= 80 else item[:77] + "..."
        split = split_override(item)
        if split is None:
            raise SpecError(f"expected KEY=VALUE (dotted keys for nested values, a \"quoted\" segment "
                            f"for a key with dots), got {shown!r}", source="--set")
        key, text = split
        if len(key) > MAX_DEPTH:
            raise SpecError(f"the key has {len(key)} levels; a spec is at most {MAX_DEPTH} deep",
                            source=f"--set {shown}")
        try:
            docs = parse_documents(text, f"--set {shown}") if text.strip() else []
            value = docs[0].value if docs else ""
        except YamlLimitError:
            raise
        except SpecError:
            value = text  # not YAML: take it as the string it is
        out.append((key, value, item))
    return out


class _OverrideError(Exception):
    pass


def _new_container(key: str | int, next_segment: str | int, top: bool) -> list | dict:
    # A number picks a list item, unless the spec key holds a mapping (params.2 is a key).
    if isinstance(next_segment, int):
        param = PARAMS.get(DEPRECATED_ALIASES.get(str(key), str(key))) if top else None
        if param is None or not isinstance(param.default, dict):
            return []
    return {}


def _set_path(root: dict[str, Any], segments: Segments, value: Any) -> tuple[Any, ...]:
    """Put ``value`` at ``segments`` in ``root``; returns the path it landed at."""
    target: Any = root
    path: list[Any] = []
    last = len(segments) - 1
    for depth, seg in enumerate(segments):
        if isinstance(target, list):
            here = format_path(tuple(path))
            if not isinstance(seg, int):
                if path == ["env_vars"] and depth == last:
                    # The list form of env_vars: update the named entry, or add one.
                    for i, entry in enumerate(target):
                        if isinstance(entry, dict) and entry.get("name") == seg:
                            target[i] = {"name": seg, "value": value}
                            return ("env_vars", i, "value")
                    target.append({"name": seg, "value": value})
                    return ("env_vars", len(target) - 1, "value")
                raise _OverrideError(f"{here} is a list: pick an item by its number "
                                     f"({override_key((*path, 0))}), not {seg!r}")
            if seg > len(target):
                raise _OverrideError(f"{here} has {len(target)} items: use an index from 0 to {len(target)} "
                                     f"({len(target)} appends one)")
            key: Any = seg
            if seg == len(target):
                target.append(None)
        else:
            # a number on a mapping is a key (the int key when the file wrote one)
            key = str(seg) if isinstance(seg, int) and seg not in target else seg
        path.append(key)
        if depth == last:
            target[key] = value
            break
        if not isinstance(target[key] if isinstance(target, list) else target.get(key), dict | list):
            target[key] = _new_container(key, segments[depth + 1], depth == 0)
        target = target[key]
    return tuple(path)


def _apply_overrides(ctx: CheckContext, value: dict[str, Any],
                     parsed: list[tuple[Segments, Any, str]]) -> tuple[dict, dict]:
    out = copy.deepcopy(value)
    where: dict[str, str] = {}
    for segments, val, item in parsed:
        try:
            path = _set_path(out, segments, copy.deepcopy(val))
        except _OverrideError as exc:
            ctx.errors.append(SpecError(str(exc), source=f"--set {item}", key=format_path(segments)))
            continue
        where[override_key(path)] = item
    return out, where


def _old_resources(ctx: CheckContext, value: Any) -> Any:
    """The older seed's ``resources``: ``request_*``/``limit_*`` keys go into requests/limits,
    next to any keys written the newer way."""
    if not isinstance(value, dict):
        ctx.error(("resources",), f"expected a mapping, got {type_name(value)}")
        return BAD
    newer: dict[Any, Any] = {}
    for k, v in value.items():
        if k not in ("limits", "requests", "claims") and k not in OLD_RESOURCES:
            ctx.error(("resources", k), "unknown resources key",
                      did_you_mean(str(k), [*OLD_RESOURCES, "limits", "requests"]))
            return BAD
        if k not in OLD_RESOURCES:
            newer[k] = v
    out = camelize(newer)
    ok = True
    for k, v in value.items():
        if k not in OLD_RESOURCES or v is None:
            continue
        section, name = OLD_RESOURCES[k]
        current = out.get(section)
        if current is None:
            current = {}
        elif not isinstance(current, dict):
            ctx.error(("resources", section), f"expected a mapping, got {type_name(current)}")
            return BAD
        if name in current:
            ctx.error(("resources", k), f"{section}.{name} is given twice, as {k} and under {section}: "
                                        f"keep only {section}: {{{name}: ...}}")
            ok = False
            continue
        out[section] = {**current, name: str(v)}
    return out if ok else BAD


def _check_mapping(ctx: CheckContext, raw: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    values: dict[str, Any] = {}
    explicit: set[str] = set()
    for key, value in raw.items():
        if not isinstance(key, str) or key not in ALL_KEYS:
            ctx.error((key,), "unknown key", did_you_mean(str(key), ALL_KEYS))
            continue
        target = DEPRECATED_ALIASES.get(key)
        if target:
            if target in raw:
                ctx.error((key,), f"both {key!r} (deprecated) and {target!r} are given: keep only {target!r}")
                continue
            ctx.warn((key,), f"deprecated, use {target!r}")
            checked = _old_resources(ctx, value) if key == "resources" else check_value(ctx, target, value, key)
            key = target
        else:
            checked = check_value(ctx, key, value)
        if checked is not BAD:
            values[key] = checked
            if value is not None:  # `key:` with nothing after it means "the default", not "override"
                explicit.add(key)
    if "task_id" not in raw:
        ctx.error((), "missing: every task needs a task_id", key="task_id")
    # The older seed's switch, mapped as the reference did before it was ignored.
    if values.get("is_delete_operator_pod") is not None:
        action = "delete_pod" if values["is_delete_operator_pod"] else "keep_pod"
        if "on_finish_action" in explicit and values.get("on_finish_action") != action:
            ctx.error(("is_delete_operator_pod",), f"contradicts on_finish_action "
                      f"{values.get('on_finish_action')!r}: keep only on_finish_action")
        else:
            ctx.warn(("is_delete_operator_pod",), f"deprecated, use on_finish_action: {action}")
            values["on_finish_action"] = action
            explicit.add("on_finish_action")
    return values, explicit


def _spec_from_document(
    doc: Document, source: str, source_path: Path | None, base_dir: Path | None,
    parsed_overrides: list[tuple[Segments, Any, str]],
) -> tuple[TaskSpec | None, list[SpecError]]:
    ctx = CheckContext(source, doc)
    ctx.errors.extend(doc.errors)
    if not isinstance(doc.value, dict):
        ctx.error((), f"a task spec must be a mapping of keys (task_id: ..., image: ...), got {type_name(doc.value)}")
        return None, ctx.errors
    if "kind" in doc.value and "apiVersion" in doc.value and "task_id" not in doc.value:
        # A Kubernetes manifest where a task spec belongs: say so once, not one
        # "unknown key" per top-level field.
        ctx.error((), f"this is a Kubernetes {doc.value.get('kind')} manifest, not a task spec: "
                  "reference it from a spec with pod_template_file (or paste it under full_pod_spec)")
        return None, ctx.errors
    raw, where = _apply_overrides(ctx, doc.value, parsed_overrides)
    ctx.overrides = where
    values, explicit = _check_mapping(ctx, raw)
    template_pod = None
    tfile = values.get("pod_template_file")
    if tfile and not is_template(tfile):
        template_pod = load_pod_template(tfile, base_dir, ctx)
    if ctx.errors:
        # Reading order, as an editor shows them; --set problems (no line) first.
        return None, sorted(ctx.errors, key=lambda e: (e.line or 0, e.column or 0))
    spec = TaskSpec(values, raw=raw, source_path=source_path, source=source, warnings=ctx.warnings,
                    explicit=frozenset(explicit), template_pod=template_pod, doc=doc, overrides=where,
                    base_dir=base_dir)
    return spec, []


#: a check of a task that passed its own (the trial pod build of :mod:`kpodtui.tasks`)
SpecCheck = Callable[[TaskSpec], list[SpecError]]


def parse_specs(text: str, source: str, source_path: Path | None, base_dir: Path | None,
                overrides: Sequence[str] = (), check: SpecCheck | None = None,
                ) -> tuple[list[TaskSpec], list[SpecError]]:
    """The tasks of ``text`` and every problem found, in reading order (``check`` runs on each
    task that passed its own checks). Raises :class:`SpecError` only for a problem that stops
    the reading (a bad ``--set``)."""
    parsed = parse_overrides(overrides)
    docs = [d for d in parse_documents(text, source) if d.value is not None]
    if not docs:
        return [], [SpecError("holds no task spec (an empty YAML file)", source=source)]
    specs: list[TaskSpec] = []
    errors: list[SpecError] = []
    seen: dict[str, int] = {}
    for doc in docs:
        spec, errs = _spec_from_document(doc, source, source_path, base_dir, parsed)
        errors.extend(errs)
        if spec is None:
            continue
        if check is not None:
            errors.extend(check(spec))
        if spec.task_id in seen:
            errors.append(spec.error(("task_id",), f"{spec.task_id!r} is used twice in this file "
                                                   f"(first at line {seen[spec.task_id]})"))
        seen[spec.task_id] = doc.where(("task_id",)).line
        specs.append(spec)
    return specs, errors


class SpecFile(NamedTuple):
    """A spec file's text, read once, and where it was read from."""

    text: str
    source: str  # how it is named in messages (``<stdin>`` for ``-``)
    path: Path | None  # None for standard input or a pipe
    base_dir: Path  # where its relative ``pod_template_file`` paths start


def read_spec_file(path: str | Path) -> SpecFile:
    """A spec file read once and bounded (:mod:`kpodtui.spec.files`); a :class:`SpecError` naming it.

    ``-`` is standard input and a shell's ``<(...)`` a pipe: their templates are relative to
    the working directory."""
    text = read_text(path)
    name = str(path)
    if name == STDIN or name.startswith(("/dev/fd/", "/proc/self/fd/", "/dev/stdin")):
        return SpecFile(text, shown_path(path), None, Path.cwd())
    return SpecFile(text, name, Path(path), Path(path).parent)
