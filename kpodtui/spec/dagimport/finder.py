"""Finding the pod operator calls of a DAG file and the DAG and task group each belongs to.

A call belongs to the DAG whose ``with DAG(...)`` block or ``@dag`` function it is
written in, or to the one its ``dag=`` argument names (a DAG assigned to a name).
Task groups (``with TaskGroup(...)``, ``@task_group``) prefix the task id as
Airflow does and bring their own ``default_args``. ``KPO.partial(...).expand(...)``
is one call site whose mapped arguments are kept aside.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from kpodtui.spec.dagimport.evaluate import Evaluator
from kpodtui.spec.dagimport.names import (
    is_dag_class,
    is_dag_decorator,
    is_pod_operator,
    is_task_group_class,
    is_task_group_decorator,
)
from kpodtui.spec.dagimport.scope import Scope
from kpodtui.spec.dagimport.unresolvable import Unresolvable, snippet


@dataclass
class DagInfo:
    """A DAG: its id (or why it is unknown) and where its default_args and params are written."""

    dag_id: str | None
    id_problem: str | None
    line: int
    scope: Scope
    default_args: ast.AST | None = None
    params: ast.AST | None = None
    #: a @dag function's parameters with defaults: they become DAG params
    function_params: list[tuple[str, ast.AST]] = field(default_factory=list)

    def describe(self) -> str:
        return f"DAG {self.dag_id}" if self.dag_id else f"DAG with an unresolved id ({self.id_problem})"


@dataclass
class GroupInfo:
    """A task group: ``prefix`` is prefix_group_id (task ids become ``group.task``)."""

    group_id: str | None
    id_problem: str | None
    prefix: bool
    scope: Scope
    parent: GroupInfo | None
    default_args: ast.AST | None = None

    @property
    def full_id(self) -> str | None:
        if self.group_id is None:
            return None
        if self.parent is not None and self.parent.prefix:
            parent = self.parent.full_id
            return None if parent is None else f"{parent}.{self.group_id}"
        return self.group_id

    def chain(self) -> list[GroupInfo]:
        """Outermost first."""
        return [*(self.parent.chain() if self.parent else []), self]


@dataclass
class CallSite:
    """One pod operator call (``partial``: the ``.partial(...)`` of a mapped task)."""

    node: ast.Call
    scope: Scope
    dag: DagInfo | None
    group: GroupInfo | None
    partial: bool = False
    expand: ast.Call | None = None
    dag_problem: str | None = None  # why its dag= names no DAG
    subclass: str | None = None  # the operator's subclass defined in the file, when it is one


def _argument(call: ast.Call, name: str, position: int | None = None) -> ast.AST | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    if position is not None and len(call.args) > position and not isinstance(call.args[position], ast.Starred):
        return call.args[position]
    return None


class _Finder(ast.NodeVisitor):
    def __init__(self, ev: Evaluator) -> None:
        self.ev = ev
        self.scope = ev.module
        self.dags: list[DagInfo] = []
        self.groups: list[GroupInfo] = []
        self.sites: list[CallSite] = []
        self.expands: dict[int, ast.Call] = {}
        self._dag_by_call: dict[int, DagInfo] = {}
        #: classes of this file derived from the operator (their calls are imported, with a note)
        self.subclasses: set[str] = set()

    def find_subclasses(self, tree: ast.Module) -> None:
        classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
        grew = True
        while grew:  # a subclass of a subclass too
            grew = False
            for c in classes:
                if c.name not in self.subclasses and any(self.is_operator(b) for b in c.bases):
                    self.subclasses.add(c.name)
                    grew = True

    # -- what a name or call is -------------------------------------------------------------

    def _text(self, node: ast.AST | None, scope: Scope) -> tuple[str | None, str | None]:
        if node is None:
            return None, "not given"
        try:
            value = self.ev.value(node, scope)
        except Unresolvable as exc:
            return None, exc.why
        return (value, None) if isinstance(value, str) and value else (None, f"{value!r} is not a name")

    def _dag_from_call(self, call: ast.Call, scope: Scope) -> DagInfo:
        if id(call) not in self._dag_by_call:
            dag_id, problem = self._text(_argument(call, "dag_id", 0), scope)
            self._dag_by_call[id(call)] = DagInfo(dag_id, problem, call.lineno, scope,
                                                  _argument(call, "default_args"), _argument(call, "params"))
        return self._dag_by_call[id(call)]

    def _bound_call(self, node: ast.AST, scope: Scope) -> tuple[ast.Call, Scope] | None:
        """The call a name was assigned (``dag = DAG(...)``, ``with DAG(...) as dag``)."""
        if isinstance(node, ast.Call):
            return node, scope
        if isinstance(node, ast.Name):
            try:
                b = self.ev.constant_binding(node.id, node, scope)
            except Unresolvable:
                return None
            if isinstance(b.node, ast.Call):
                return b.node, b.scope
        return None

    def _dag_of(self, node: ast.AST, scope: Scope) -> DagInfo | None:
        bound = self._bound_call(node, scope)
        if bound and is_dag_class(self.ev.qualname(bound[0].func)):
            return self._dag_from_call(*bound)
        return None

    def _group(self, call: ast.Call | None, scope: Scope, default_id: str | None) -> GroupInfo:
        id_node = _argument(call, "group_id", 0) if call is not None else None
        group_id, problem = self._text(id_node, scope) if id_node is not None else (default_id, None)
        prefix_node = _argument(call, "prefix_group_id") if call is not None else None
        prefix = True
        if prefix_node is not None:
            try:
                prefix = bool(self.ev.value(prefix_node, scope))
            except Unresolvable:
                pass
        parent = self.groups[-1] if self.groups else None
        return GroupInfo(group_id, problem, prefix, scope, parent,
                         _argument(call, "default_args") if call is not None else None)

    def is_operator(self, node: ast.AST) -> bool:
        return is_pod_operator(self.ev.qualname(node)) or (isinstance(node, ast.Name) and node.id in self.subclasses)

    def is_partial(self, node: ast.AST) -> bool:
        return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "partial" and self.is_operator(node.func.value))

    # -- walking ----------------------------------------------------------------------

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for d in node.decorator_list:
            self.visit(d)
        dag = group = None
        for d in node.decorator_list:
            call = d if isinstance(d, ast.Call) else None
            qual = self.ev.qualname(call.func if call else d)
            if is_dag_decorator(qual):
                id_node = _argument(call, "dag_id", 0) if call else None
                dag_id, problem = self._text(id_node, self.scope) if id_node is not None else (node.name, None)
                dag = DagInfo(dag_id, problem, node.lineno, self.scope,
                              _argument(call, "default_args") if call else None,
                              _argument(call, "params") if call else None,
                              _function_defaults(node))
            elif is_task_group_decorator(qual):
                group = self._group(call, self.scope, node.name)
        outer = self.scope
        self.scope = Scope.of_function(node, outer, node.name)
        self.scope.is_dag_function = dag is not None
        self._within(dag, group, node.body)
        self.scope = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        outer = self.scope
        self.scope = Scope.of_function(node, outer, "lambda")
        self.visit(node.body)
        self.scope = outer

    def _comprehension(self, node: ast.AST) -> None:
        outer = self.scope
        self.scope = Scope.of_comprehension(node, outer)
        self.generic_visit(node)
        self.scope = outer

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        dags, groups = len(self.dags), len(self.groups)
        for item in node.items:
            self.visit(item.context_expr)
            dag = self._dag_of(item.context_expr, self.scope)
            if dag is not None:
                self.dags.append(dag)
                continue
            bound = self._bound_call(item.context_expr, self.scope)
            if bound and is_task_group_class(self.ev.qualname(bound[0].func)):
                self.groups.append(self._group(bound[0], bound[1], None))
        for stmt in node.body:
            self.visit(stmt)
        del self.dags[dags:], self.groups[groups:]

    visit_AsyncWith = visit_With

    def _within(self, dag: DagInfo | None, group: GroupInfo | None, body: list[ast.stmt]) -> None:
        if dag is not None:
            self.dags.append(dag)
        if group is not None:
            self.groups.append(group)
        for stmt in body:
            self.visit(stmt)
        if group is not None:
            self.groups.pop()
        if dag is not None:
            self.dags.pop()

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("expand", "expand_kwargs"):
            # KPO.partial(...).expand(...), or a partial assigned to a name first
            bound = self._bound_call(func.value, self.scope)
            if bound is not None and self.is_partial(bound[0]):
                self.expands[id(bound[0])] = node
        partial = self.is_partial(node)
        if partial or self.is_operator(func):
            self.sites.append(self._site(node, partial))
        self.generic_visit(node)

    def _site(self, node: ast.Call, partial: bool) -> CallSite:
        site = CallSite(node, self.scope, self.dags[-1] if self.dags else None,
                        self.groups[-1] if self.groups else None, partial)
        called = node.func.value if partial else node.func  # type: ignore[attr-defined]
        if isinstance(called, ast.Name) and called.id in self.subclasses:
            site.subclass = called.id
        dag_arg = _argument(node, "dag")
        if dag_arg is not None:
            site.dag = self._dag_of(dag_arg, self.scope)
            if site.dag is None:
                site.dag_problem = f"dag={snippet(self.ev.source, dag_arg)} is not a DAG made in this file"
        group_arg = _argument(node, "task_group")
        bound = self._bound_call(group_arg, self.scope) if group_arg is not None else None
        if bound is not None and is_task_group_class(self.ev.qualname(bound[0].func)):
            saved, self.groups = self.groups, []  # a group passed by name: its own id only
            site.group = self._group(bound[0], bound[1], None)
            self.groups = saved
        return site


def _function_defaults(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[str, ast.AST]]:
    a = fn.args
    positional = [*a.posonlyargs, *a.args]
    out: list[tuple[str, ast.AST]] = [
        (arg.arg, d) for arg, d in zip(positional[len(positional) - len(a.defaults):], a.defaults, strict=True)]
    out += [(arg.arg, d) for arg, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d is not None]
    return out


def find_calls(tree: ast.Module, ev: Evaluator) -> list[CallSite]:
    """Every pod operator call of the file, in source order."""
    finder = _Finder(ev)
    finder.find_subclasses(tree)
    finder.visit(tree)
    for site in finder.sites:
        if site.partial:
            site.expand = finder.expands.get(id(site.node))
    return sorted(finder.sites, key=lambda s: (s.node.lineno, s.node.col_offset))
