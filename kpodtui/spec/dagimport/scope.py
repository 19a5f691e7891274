"""Which names of a DAG file are constants: bound once, by a plain assignment, not under an if.

A :class:`Scope` records every way a name is bound in a module or a function body
(assignment, loop target, parameter, import, def, a mutation such as
``args["image"] = ...`` or ``args.update(...)``), without descending into nested
functions. The evaluator resolves a name only when it has exactly one binding and
that is an unconditional assignment; otherwise the binding says why not.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

_MUTATORS = frozenset({"update", "append", "extend", "insert", "setdefault", "pop", "popitem", "remove",
                       "clear", "add", "discard"})


@dataclass
class Binding:
    """One way a name is bound: ``kind`` is value, with, loop, param, import, def, class or changed."""

    kind: str
    node: ast.AST | None
    line: int
    scope: Scope
    under: str | None = None  # "if", "for", "while", "try", "match" when bound inside one


@dataclass
class Scope:
    """The bindings of one module or function body."""

    name: str  # "" for the module, the function's name otherwise
    parent: Scope | None = None
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    is_dag_function: bool = False

    @classmethod
    def of_module(cls, tree: ast.Module) -> Scope:
        scope = cls("")
        scope._collect(tree.body, None)
        return scope

    @classmethod
    def of_function(cls, fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, parent: Scope,
                    name: str) -> Scope:
        scope = cls(name, parent)
        a = fn.args
        for arg in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg):
            if arg is not None:
                scope._bind(arg.arg, Binding("param", arg, arg.lineno, scope))
        if not isinstance(fn, ast.Lambda):
            scope._collect(fn.body, None)
        return scope

    @classmethod
    def of_comprehension(cls, node: ast.AST, parent: Scope) -> Scope:
        scope = cls(parent.name, parent)
        for gen in getattr(node, "generators", []):
            for name in _target_names(gen.target):
                scope._bind(name, Binding("loop", gen.target, gen.target.lineno, scope, "for"))
        return scope

    def lookup(self, name: str) -> list[Binding] | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.bindings:
                return scope.bindings[name]
            scope = scope.parent
        return None

    def local_names(self) -> frozenset[str]:
        return frozenset(self.bindings)

    # -- collecting ------------------------------------------------------------------

    def _bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)

    def _bind_target(self, target: ast.AST, value: ast.AST | None, line: int, under: str | None) -> None:
        if isinstance(target, ast.Name):
            self._bind(target.id, Binding("value" if value is not None else "changed", value, line, self, under))
        elif isinstance(target, ast.Tuple | ast.List):
            pairs = isinstance(value, ast.Tuple | ast.List) and len(value.elts) == len(target.elts) \
                and not any(isinstance(e, ast.Starred) for e in (*target.elts, *value.elts))
            for i, elt in enumerate(target.elts):
                self._bind_target(elt, value.elts[i] if pairs else None, line, under)  # type: ignore[union-attr]
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, None, line, under)
        elif isinstance(target, ast.Attribute | ast.Subscript):
            # `args["image"] = x`: the dict assigned earlier is not what the DAG uses
            base = _base_name(target)
            if base:
                self._bind(base, Binding("changed", target, line, self, under))

    def _collect(self, body: list[ast.stmt], under: str | None) -> None:
        for stmt in body:
            self._collect_one(stmt, under)

    def _collect_one(self, stmt: ast.stmt, under: str | None) -> None:
        line = stmt.lineno
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                self._bind_target(target, stmt.value, line, under)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self._bind_target(stmt.target, stmt.value, line, under)
        elif isinstance(stmt, ast.AugAssign | ast.Delete):
            for target in (stmt.targets if isinstance(stmt, ast.Delete) else [stmt.target]):
                self._bind_target(target, None, line, under)
        elif isinstance(stmt, ast.For | ast.AsyncFor):
            for name in _target_names(stmt.target):
                self._bind(name, Binding("loop", stmt.target, line, self, "for"))
            self._collect(stmt.body, "for")
            self._collect(stmt.orelse, "for")
        elif isinstance(stmt, ast.While | ast.If):
            kind = "while" if isinstance(stmt, ast.While) else "if"
            self._collect(stmt.body, kind)
            self._collect(stmt.orelse, kind)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                if item.optional_vars is not None:
                    for name in _target_names(item.optional_vars):
                        self._bind(name, Binding("with", item.context_expr, line, self, under))
            self._collect(stmt.body, under)
        elif isinstance(stmt, ast.Try | ast.TryStar):
            for part in (stmt.body, stmt.orelse, stmt.finalbody):
                self._collect(part, "try")
            for handler in stmt.handlers:
                if handler.name:
                    self._bind(handler.name, Binding("changed", handler, handler.lineno, self, "try"))
                self._collect(handler.body, "try")
        elif isinstance(stmt, ast.Match):
            for case in stmt.cases:
                self._collect(case.body, "match")
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            kind = "class" if isinstance(stmt, ast.ClassDef) else "def"
            self._bind(stmt.name, Binding(kind, stmt, line, self, under))
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            for alias in stmt.names:
                if alias.name != "*":
                    name = alias.asname or alias.name.split(".")[0]
                    self._bind(name, Binding("import", stmt, line, self, under))
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            func = stmt.value.func
            if isinstance(func, ast.Attribute) and func.attr in _MUTATORS and (base := _base_name(func.value)):
                self._bind(base, Binding("changed", stmt, line, self, under))


def _base_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _target_names(target: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
