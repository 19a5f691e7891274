"""One pod operator call -> the keys of one task spec, merged with default_args as Airflow does.

Airflow's order, lowest first (``get_merged_defaults`` in Airflow 2 and 3):

- arguments: the DAG's ``default_args`` < each enclosing task group's ``default_args``
  < the call's own ``default_args=`` < the call's arguments (a default fills only an
  argument the call does not pass, even ``None``);
- params: the DAG's ``params`` < the DAG's ``default_args["params"]`` < a ``@dag``
  function's parameter defaults < the call's ``params=`` < its ``default_args["params"]``.

A value import cannot compute is left out and recorded (:class:`Unresolved`): the
whole argument, except in a mapping argument (``env_vars``, ``labels``,
``annotations``, ``node_selector``, ``params``, ``default_args``) where only that
entry is. A Jinja string of a templated field is kept unless it uses a name only
Airflow provides (``var``, ``conn``, ``ti``, ``macros``, ``dag_run``...).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import PurePath
from typing import Any

from kpodtui.spec.context import is_template
from kpodtui.spec.dagimport.evaluate import Evaluator
from kpodtui.spec.dagimport.finder import CallSite, DagInfo
from kpodtui.spec.dagimport.unresolvable import Unresolvable, snippet
from kpodtui.spec.render import template_context
from kpodtui.spec.schema import DEPRECATED_ALIASES, OLD_RESOURCES, PARAMS, TEMPLATED_FIELDS
from kpodtui.spec.taskspec import TaskSpec

#: Arguments the finder already used, or that are not the operator's parameters.
_CONTEXT_ARGS = frozenset({"dag", "task_group"})
#: Mapping arguments whose entries are resolved (or left out) one by one.
_PER_ENTRY = frozenset({"env_vars", "labels", "annotations", "node_selector"})
_PATH_KINDS = frozenset({"classpath?", "funcpath?"})
#: Airflow 1.10's operator spellings the spec does not know at all.
_OLDER_SPELLINGS = {"xcom_push": "do_xcom_push"}


@dataclass
class Unresolved:
    """An argument (or a mapping entry: ``env_vars.DB``) left out, where it is written and why."""

    name: str
    line: int
    column: int
    why: str


@dataclass
class ImportedTask:
    """The task spec of one call: ``values`` in the order they will be written."""

    task_id: str | None
    values: dict[str, Any]
    line: int
    column: int
    dag: DagInfo | None
    in_function: str | None = None
    dag_problem: str | None = None
    unresolved: list[Unresolved] = field(default_factory=list)
    #: expand(...) arguments of a mapped task: (name, source text)
    mapped: list[tuple[str, str]] = field(default_factory=list)
    from_defaults: list[str] = field(default_factory=list)
    #: keyword arguments that are not task spec keys (retries, trigger_rule...)
    left_out: list[str] = field(default_factory=list)
    notes: list[tuple[int, int, str]] = field(default_factory=list)


@cache
def _template_names() -> frozenset[str]:
    spec = TaskSpec({"task_id": "t"})
    return frozenset(template_context(spec, run_id="r", ts=datetime(2000, 1, 1, tzinfo=UTC), try_number=1))


def _airflow_only_names(value: Any) -> list[str]:
    """Names a value's Jinja templates use that kpodtui's templates do not provide."""
    strings: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, str):
            if is_template(v):
                strings.append(v)
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(k)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(value)
    if not strings:
        return []
    # start-up: jinja2 loads only for a call that holds templates
    from jinja2 import TemplateSyntaxError, meta
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment()
    names: set[str] = set()
    for s in strings:
        try:
            names |= meta.find_undeclared_variables(env.parse(s))
        except TemplateSyntaxError:
            continue  # kept: the spec's own check says what is broken
    return sorted(names - _template_names())


def _plain(value: Any) -> Any:
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class _Builder:
    def __init__(self, ev: Evaluator, site: CallSite) -> None:
        self.ev = ev
        self.site = site
        node = site.node
        self.task = ImportedTask(None, {}, node.lineno, node.col_offset + 1, site.dag,
                                 site.scope.name or None, site.dag_problem)
        self.older: dict[str, Any] = {}

    def miss(self, name: str, exc: Unresolvable) -> None:
        node = exc.node
        self.task.unresolved.append(Unresolved(name, getattr(node, "lineno", self.task.line),
                                               getattr(node, "col_offset", 0) + 1, exc.why))

    def checked(self, key: str, value: Any, node: ast.AST) -> Any:
        value = _plain(value)
        if key in TEMPLATED_FIELDS and (names := _airflow_only_names(value)):
            listed = ", ".join(repr(n) for n in names)
            raise Unresolvable(node, f"the template uses {listed}, which only Airflow provides at run time")
        return value

    # -- arguments -------------------------------------------------------------------

    def keywords(self) -> list[tuple[str, ast.AST, Any]]:
        site = self.site
        for i, arg in enumerate(site.node.args):
            self.miss(f"positional argument {i + 1}",
                      Unresolvable(arg, "Airflow operators take keyword arguments only"))
        out: list[tuple[str, ast.AST, Any]] = []
        for kw in site.node.keywords:
            if kw.arg is not None:
                out.append((kw.arg, kw.value, site.scope))
                continue
            try:
                out.extend((str(k), v, s) for k, v, s in self.ev.entries(kw.value, site.scope))
            except Unresolvable as exc:
                self.miss(f"**{snippet(self.ev.source, kw.value)}", exc)
        return out

    def default_layers(self, task_default_args: tuple[ast.AST, Any] | None) -> list[tuple[str, ast.AST, Any]]:
        site = self.site
        layers = []
        if site.dag is not None and site.dag.default_args is not None:
            layers.append(("DAG default_args", site.dag.default_args, site.dag.scope))
        for group in site.group.chain() if site.group else []:
            if group.default_args is not None:
                layers.append((f"task group {group.group_id} default_args", group.default_args, group.scope))
        if task_default_args is not None:
            layers.append(("default_args", *task_default_args))
        return layers

    def build(self) -> ImportedTask:
        task = self.task
        explicit: dict[str, tuple[ast.AST, Any]] = {}
        task_default_args = task_params = None
        for name, node, scope in self.keywords():
            if name in _CONTEXT_ARGS:
                continue
            if name == "default_args":
                task_default_args = (node, scope)
            elif name == "params":
                task_params = (node, scope)
            elif name in PARAMS or name in DEPRECATED_ALIASES:
                explicit[name] = (node, scope)
            else:
                task.left_out.append(name)
                if name in _OLDER_SPELLINGS:
                    try:
                        self.older[name] = self.checked(name, self.ev.value(node, scope), node)
                    except Unresolvable as exc:
                        self.miss(name, exc)
        defaults: dict[str, tuple[ast.AST, Any]] = {}
        default_params: dict[str, tuple[ast.AST, Any]] = {}
        for label, node, scope in self.default_layers(task_default_args):
            try:
                entries = self.ev.entries(node, scope)
            except Unresolvable as exc:
                self.miss(label, exc)
                continue
            for key, value_node, value_scope in entries:
                if key == "params":
                    if label in ("DAG default_args", "default_args"):
                        default_params[label] = (value_node, value_scope)
                elif isinstance(key, str) and (key in PARAMS or key in DEPRECATED_ALIASES) and key != "task_id":
                    defaults[key] = (value_node, value_scope)
        chosen = dict(explicit)
        for key, where in defaults.items():
            if key not in explicit:
                chosen[key] = where
                task.from_defaults.append(key)
        for key, (node, scope) in chosen.items():
            self.argument(key, node, scope)
        self.deprecated_spellings()
        params = self.params(task_params, default_params)
        if params:
            task.values["params"] = params
        if self.site.expand is not None:
            self.mapped(self.site.expand)
        if self.site.subclass:
            task.notes.append((task.line, task.column, f"{self.site.subclass} is a subclass of "
                                                       "KubernetesPodOperator defined in the DAG file: what it "
                                                       "changes itself is not imported"))
        task.notes.extend((getattr(n, "lineno", task.line), getattr(n, "col_offset", 0) + 1, text)
                          for n, text in self.ev.notes)
        self.ev.notes.clear()
        order = ["task_id", *(k for k in task.values if k not in ("task_id", "params")), "params"]
        task.values = {k: task.values[k] for k in order if k in task.values}
        return task

    def argument(self, key: str, node: ast.AST, scope: Any) -> None:
        kind = PARAMS[key].kind if key in PARAMS else ""
        value: Any
        try:
            if key == "task_id":
                value = self.task_id(node, scope)
            elif kind in _PATH_KINDS:
                value = self.object_path(node, scope)
            elif key in _PER_ENTRY and self.is_mapping(node, scope):
                value = self.entries(key, node, scope)
            else:
                value = self.checked(key, self.ev.value(node, scope), node)
        except Unresolvable as exc:
            self.miss(key, exc)
            return
        if value is not None:
            self.task.values[key] = value

    def is_mapping(self, node: ast.AST, scope: Any) -> bool:
        while isinstance(node, ast.Name):
            try:
                b = self.ev.constant_binding(node.id, node, scope)
            except Unresolvable:
                return False
            if b.node is None:
                return False
            node, scope = b.node, b.scope
        return isinstance(node, ast.Dict) or (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                                              and node.func.id == "dict")

    def entries(self, key: str, node: ast.AST, scope: Any) -> dict[Any, Any]:
        out = {}
        for k, value_node, value_scope in self.ev.entries(node, scope):
            try:
                out[k] = self.checked(key, self.ev.value(value_node, value_scope), value_node)
            except Unresolvable as exc:
                self.miss(f"{key}.{k}", exc)
        return out

    def task_id(self, node: ast.AST, scope: Any) -> str:
        value = self.ev.value(node, scope)
        if not isinstance(value, str):
            raise Unresolvable(node, f"{snippet(self.ev.source, node)} is not a string")
        group = self.site.group
        while group is not None and not group.prefix:
            group = group.parent  # a group without the prefix passes its parent's on
        if group is not None:
            if group.full_id is None:
                raise Unresolvable(node, f"the task group's id is unresolved ({group.id_problem})")
            value = f"{group.full_id}.{value}"
        self.task.task_id = value
        return value

    def object_path(self, node: ast.AST, scope: Any) -> str | None:
        """``callbacks=MyCallbacks`` imported from ``pkg.mod``: ``pkg.mod:MyCallbacks``."""
        qual = self.ev.qualname(node)
        if qual and "." in qual:
            module, _, name = qual.rpartition(".")
            return f"{module}:{name}"
        if isinstance(node, ast.Name) and (b := scope.lookup(node.id)) and b[0].kind in ("def", "class"):
            raise Unresolvable(node, f"{node.id} is defined in the DAG file itself: kpodtui loads it by its "
                                     "module path, so move it into a module")
        value = self.ev.value(node, scope)
        if value is not None and not isinstance(value, str):
            raise Unresolvable(node, f"{snippet(self.ev.source, node)} is not one importable name")
        return value

    def params(self, task_params: tuple[ast.AST, Any] | None,
               default_params: dict[str, tuple[ast.AST, Any]]) -> dict[str, Any]:
        dag = self.site.dag
        layers: list[tuple[ast.AST, Any]] = []
        if dag is not None and dag.params is not None:
            layers.append((dag.params, dag.scope))
        if "DAG default_args" in default_params:
            layers.append(default_params["DAG default_args"])
        out: dict[str, Any] = {}
        for layer in layers:
            self.merge_params(out, *layer)
        for name, default in dag.function_params if dag is not None else []:
            self.param(out, name, default, dag.scope)  # type: ignore[union-attr]
        for last in (task_params, default_params.get("default_args")):
            if last is not None:
                self.merge_params(out, *last)
        return out

    def merge_params(self, out: dict[str, Any], node: ast.AST, scope: Any) -> None:
        try:
            entries = self.ev.entries(node, scope)
        except Unresolvable as exc:
            self.miss("params", exc)
            return
        for k, value_node, value_scope in entries:
            self.param(out, k, value_node, value_scope)

    def param(self, out: dict[str, Any], name: Any, node: ast.AST, scope: Any) -> None:
        try:
            out[name] = _plain(self.ev.value(node, scope))
        except Unresolvable as exc:
            out.pop(name, None)
            self.miss(f"params.{name}", exc)

    def mapped(self, expand: ast.Call) -> None:
        attr = expand.func.attr  # type: ignore[attr-defined]
        for arg in expand.args:
            self.task.mapped.append((f"{attr}(...)", snippet(self.ev.source, arg)))
        for kw in expand.keywords:
            name = kw.arg or f"**{snippet(self.ev.source, kw.value)}"
            self.task.mapped.append((name, snippet(self.ev.source, kw.value)))
            self.task.values.pop(kw.arg or "", None)

    def deprecated_spellings(self) -> None:
        """The older operator's ``resources``, ``node_selectors`` and ``is_delete_operator_pod``,
        written the newer way (what the spec would warn about on every load)."""
        values, task = self.task.values, self.task
        for old, new in DEPRECATED_ALIASES.items():
            if old not in values:
                continue
            value = values.pop(old)
            if new in values:
                task.notes.append((task.line, task.column, f"{old}= left out: {new}= is given too"))
                continue
            if old == "resources" and isinstance(value, dict):
                value = _newer_resources(value)
            values[new] = value
            task.notes.append((task.line, task.column, f"{old}= written as {new} (its newer name)"))
        for old, new in _OLDER_SPELLINGS.items():
            if old in task.left_out and new not in values and old in self.older:
                task.left_out.remove(old)
                values[new] = self.older[old]
                task.notes.append((task.line, task.column, f"{old}= written as {new} (its newer name)"))
        if "is_delete_operator_pod" in values:
            keep = values.pop("is_delete_operator_pod")
            action = "delete_pod" if keep else "keep_pod"
            if "on_finish_action" in values:
                task.notes.append((task.line, task.column, "is_delete_operator_pod= left out: on_finish_action= "
                                                           "is given too"))
            else:
                values["on_finish_action"] = action
                task.notes.append((task.line, task.column, f"is_delete_operator_pod={keep} written as "
                                                           f"on_finish_action: {action}"))


def _newer_resources(value: dict[str, Any]) -> dict[str, Any]:
    """``{request_memory: 1Gi, limit_cpu: 1}`` -> ``{requests: {memory: 1Gi}, limits: {cpu: '1'}}``."""
    out: dict[str, Any] = {k: v for k, v in value.items() if k not in OLD_RESOURCES}
    for k, v in value.items():
        if k in OLD_RESOURCES and v is not None:
            section, name = OLD_RESOURCES[k]
            out.setdefault(section, {})[name] = str(v)
    return out


def build_task(ev: Evaluator, site: CallSite) -> ImportedTask:
    """The task spec values of one call site, with what was left out and why."""
    return _Builder(ev, site).build()
