"""Static evaluation of the expressions a DAG passes to the pod operator.

Literals, module-level constants and simple expressions of them (``+`` of strings
and lists, f-strings, ``%`` and ``.format`` of constants, dict and list literals
with ``**``/``*``, ``dict(...)``, an ``x if C else y`` whose condition is constant,
indexing a constant) are computed; the kubernetes client's models, the
provider's ``Secret`` and Airflow's ``Param`` become the plain values a task spec
holds (:mod:`kpodtui.spec.dagimport.objects`). Anything else raises
:class:`Unresolvable` with the node and why: import never runs the DAG's code and
never guesses.
"""

from __future__ import annotations

import ast
import operator
import posixpath
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from kpodtui.spec.dagimport import objects
from kpodtui.spec.dagimport.names import Imports, runtime_source
from kpodtui.spec.dagimport.scope import Binding, Scope
from kpodtui.spec.dagimport.unresolvable import Unresolvable, snippet


class Computed(ast.expr):
    """A value already computed, standing where its expression was (one entry of a mapping)."""

    _fields = ()

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow, ast.BitOr: operator.or_,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_, ast.IsNot: operator.is_not,
}
_STR_METHODS = frozenset({"format", "join", "upper", "lower", "strip", "lstrip", "rstrip", "replace", "split",
                          "title", "removeprefix", "removesuffix"})
_SCALARS = (str, int, float, bool, type(None))
_CONVERSIONS: dict[int, Callable[[Any], str]] = {ord("r"): repr, ord("a"): ascii, ord("s"): str}


def _same(value: Any) -> Any:
    return value

# Paths built from the DAG file's own location (pod_template_file next to the DAG).
_OS_PATH = {f"os.path.{name}": getattr(posixpath, name)
            for name in ("join", "dirname", "basename", "abspath", "realpath", "normpath", "splitext")}
_PATHLIB = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath"})
_PATH_ATTRS = frozenset({"parent", "name", "stem", "suffix"})
_PATH_METHODS = frozenset({"resolve", "absolute", "joinpath", "with_suffix", "with_name", "as_posix"})


class Evaluator:
    """Computes expressions of one DAG file; ``notes`` collects warnings that do not stop it."""

    def __init__(self, source: str, imports: Imports, module: Scope, file: str = "dag.py") -> None:
        """``file``: the DAG file's absolute path, the value of ``__file__``."""
        self.source = source
        self.file = file
        self.imports = imports
        self.module = module
        self.notes: list[tuple[ast.AST, str]] = []
        self._resolving: list[str] = []

    # -- names ------------------------------------------------------------------------

    def qualname(self, node: ast.AST) -> str | None:
        return self.imports.qualname(node, self.module.local_names())

    def constant_binding(self, name: str, node: ast.AST, scope: Scope) -> Binding:
        """The one unconditional assignment of ``name``, or Unresolvable saying why there is none."""
        bindings = scope.lookup(name)
        if not bindings:
            raise Unresolvable(node, f"{name} is not defined in this file")
        changed = [b for b in bindings if b.kind == "changed"]
        if changed and len(bindings) > 1:
            raise Unresolvable(node, f"{name} is changed after it is assigned (line {changed[0].line})")
        if len(bindings) > 1:
            lines = ", ".join(str(b.line) for b in bindings)
            raise Unresolvable(node, f"{name} is assigned more than once (lines {lines})")
        b = bindings[0]
        if b.kind == "param":
            fn = b.scope.name
            hint = f" (a DAG param: write '{{{{ params.{name} }}}}')" if b.scope.is_dag_function else ""
            raise Unresolvable(node, f"{name} is a parameter of {fn}(), known when it is called{hint}")
        if b.kind == "loop":
            raise Unresolvable(node, f"{name} is a loop variable (line {b.line})")
        if b.kind == "import":
            raise Unresolvable(node, f"{name} is imported from another module (line {b.line}), which import does "
                                     "not read")
        if b.kind in ("def", "class"):
            raise Unresolvable(node, f"{name} is a {'function' if b.kind == 'def' else 'class'} "
                                     f"(line {b.line}), not a value")
        if b.kind == "changed":
            raise Unresolvable(node, f"{name} is not a plain assignment (line {b.line})")
        if b.under:
            raise Unresolvable(node, f"{name} is assigned under a {b.under} (line {b.line})")
        return b

    def _through(self, node: ast.Name, scope: Scope, then: Callable[[ast.AST, Scope], Any]) -> Any:
        """``then`` applied to the expression constant ``node`` was assigned (a cycle is refused)."""
        if node.id in self._resolving:
            raise Unresolvable(node, f"{node.id} refers to itself")
        b = self.constant_binding(node.id, node, scope)
        if b.kind == "with" or b.node is None:
            raise Unresolvable(node, f"{node.id} is the object of a with statement (line {b.line})")
        self._resolving.append(node.id)
        try:
            return then(b.node, b.scope)
        finally:
            self._resolving.pop()

    def _name(self, node: ast.Name, scope: Scope) -> Any:
        if node.id == "__file__" and scope.lookup("__file__") is None:
            return self.file
        return self._through(node, scope, self.value)

    # -- expressions ------------------------------------------------------------------

    def value(self, node: ast.AST, scope: Scope) -> Any:
        """The value of ``node``: plain str/int/float/bool/None, lists and dicts of them."""
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise Unresolvable(node, f"{snippet(self.source, node)} is an expression import does not compute")
        return method(node, scope)

    def _Constant(self, node: ast.Constant, scope: Scope) -> Any:
        if isinstance(node.value, _SCALARS):
            return node.value
        raise Unresolvable(node, f"{snippet(self.source, node)} is not a value a task spec can hold")

    def _JoinedStr(self, node: ast.JoinedStr, scope: Scope) -> str:
        out = []
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                v = self.value(part.value, scope)
                convert: Callable[[Any], Any] = _CONVERSIONS.get(part.conversion, _same)
                v = convert(v)
                spec = self.value(part.format_spec, scope) if part.format_spec else ""
                out.append(format(v, spec))
            else:
                out.append(self.value(part, scope))
        return "".join(out)

    def _elements(self, elts: list[ast.expr], scope: Scope) -> list[Any]:
        out: list[Any] = []
        for elt in elts:
            if isinstance(elt, ast.Starred):
                items = self.value(elt.value, scope)
                if not isinstance(items, list):
                    raise Unresolvable(elt, f"*{snippet(self.source, elt.value)} is not a list")
                out.extend(items)
            else:
                out.append(self.value(elt, scope))
        return out

    def _List(self, node: ast.List, scope: Scope) -> list[Any]:
        return self._elements(node.elts, scope)

    _Tuple = _List
    _Set = _List

    def _Dict(self, node: ast.Dict, scope: Scope) -> dict[Any, Any]:
        return {k: self.value(v, s) for k, v, s in self.entries(node, scope)}

    def entries(self, node: ast.AST, scope: Scope) -> list[tuple[Any, ast.AST, Scope]]:
        """The entries of a mapping expression as ``(key, value node, its scope)``, values not
        computed yet (so each can be resolved or left out on its own); a later key wins."""
        out: dict[Any, tuple[ast.AST, Scope]] = {}
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=True):
                if k is None:
                    out.update((key, (vn, s)) for key, vn, s in self.entries(v, scope))
                else:
                    key = self.value(k, scope)
                    if not isinstance(key, str | int | float | bool):
                        raise Unresolvable(k, f"{snippet(self.source, k)} is not a mapping key")
                    out[key] = (v, scope)
        elif isinstance(node, ast.Name):
            return self._through(node, scope, self.entries)  # type: ignore[no-any-return]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self.entries(node.left, scope) + self.entries(node.right, scope)
        elif isinstance(node, ast.Call) and self._is_builtin(node.func, "dict", scope):
            for arg in node.args[:1]:
                out.update((key, (vn, s)) for key, vn, s in self.entries(arg, scope))
            for kw in node.keywords:
                if kw.arg is None:
                    out.update((key, (vn, s)) for key, vn, s in self.entries(kw.value, scope))
                else:
                    out[kw.arg] = (kw.value, scope)
        elif isinstance(node, ast.Call) and _is_copy(node):
            return self.entries(node.args[0] if node.args else node.func.value, scope)  # type: ignore[attr-defined]
        else:
            value = self.value(node, scope)
            if not isinstance(value, dict):
                raise Unresolvable(node, f"{snippet(self.source, node)} is not a mapping")
            return [(k, ast.copy_location(Computed(v), node), scope) for k, v in value.items()]
        return [(k, vn, s) for k, (vn, s) in out.items()]

    def _Name(self, node: ast.Name, scope: Scope) -> Any:
        return self._name(node, scope)

    def _Computed(self, node: Computed, scope: Scope) -> Any:
        return node.value

    def _BinOp(self, node: ast.BinOp, scope: Scope) -> Any:
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise Unresolvable(node, f"{snippet(self.source, node)} is an expression import does not compute")
        left, right = self.value(node.left, scope), self.value(node.right, scope)
        if isinstance(node.op, ast.Mod) and isinstance(left, str) and isinstance(right, list):
            right = tuple(right)
        if _too_large(node.op, left, right):
            raise Unresolvable(node, f"{snippet(self.source, node)} is too large to compute")
        try:
            return op(left, right)
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise Unresolvable(node, f"{snippet(self.source, node)} fails: {exc}") from None

    def _UnaryOp(self, node: ast.UnaryOp, scope: Scope) -> Any:
        v = self.value(node.operand, scope)
        if isinstance(node.op, ast.Not):
            return not v
        if isinstance(v, int | float) and not isinstance(v, bool):
            return -v if isinstance(node.op, ast.USub) else +v
        raise Unresolvable(node, f"{snippet(self.source, node)} is an expression import does not compute")

    def _Compare(self, node: ast.Compare, scope: Scope) -> bool:
        left = self.value(node.left, scope)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = self.value(comp, scope)
            try:
                if not _COMPARE[type(op)](left, right):
                    return False
            except TypeError as exc:
                raise Unresolvable(node, f"{snippet(self.source, node)} fails: {exc}") from None
            left = right
        return True

    def _BoolOp(self, node: ast.BoolOp, scope: Scope) -> Any:
        value: Any = None
        for v in node.values:
            value = self.value(v, scope)
            if bool(value) is isinstance(node.op, ast.Or):
                return value
        return value

    def _IfExp(self, node: ast.IfExp, scope: Scope) -> Any:
        return self.value(node.body if self.value(node.test, scope) else node.orelse, scope)

    def _Subscript(self, node: ast.Subscript, scope: Scope) -> Any:
        qual = self.qualname(node.value)
        if why := runtime_source(qual):
            raise Unresolvable(node, f"{snippet(self.source, node)} is {why}")
        container, index = self.value(node.value, scope), self.value(node.slice, scope)
        try:
            return container[index]
        except (LookupError, TypeError) as exc:
            raise Unresolvable(node, f"{snippet(self.source, node)} fails: {type(exc).__name__} {exc}") from None

    def _Slice(self, node: ast.Slice, scope: Scope) -> slice:
        parts = [self.value(p, scope) if p is not None else None for p in (node.lower, node.upper, node.step)]
        return slice(*parts)

    def _Attribute(self, node: ast.Attribute, scope: Scope) -> Any:
        qual = self.qualname(node)
        if why := runtime_source(qual):
            raise Unresolvable(node, f"{snippet(self.source, node)} is {why}")
        if node.attr in _PATH_ATTRS:
            try:
                base = self.value(node.value, scope)
            except Unresolvable:
                base = None
            if isinstance(base, PurePosixPath):
                return getattr(base, node.attr)
        if qual and qual.split(".")[-2:-1] == ["OnFinishAction"]:
            return node.attr.lower()  # the provider's enum of on_finish_action's values
        if node.attr == "output":
            raise Unresolvable(node, f"{snippet(self.source, node)} is a task's XCom, known at run time")
        if not isinstance(node.value, ast.Name):
            self.value(node.value, scope)  # says why when what it reads from is unresolvable itself
        raise Unresolvable(node, f"{snippet(self.source, node)} is an attribute, which import does not read")

    def _Call(self, node: ast.Call, scope: Scope) -> Any:
        qual = self.qualname(node.func)
        made = objects.construct(self, node, scope, qual)
        if made is not objects.NOT_AN_OBJECT:
            return made
        func = node.func
        if qual in _OS_PATH or qual in _PATHLIB:
            args = self._elements(node.args, scope)
            if node.keywords or not all(isinstance(a, str | PurePosixPath) for a in args):
                raise Unresolvable(node, f"{snippet(self.source, node)} is a path import cannot compute")
            result = _OS_PATH[qual](*map(str, args)) if qual in _OS_PATH else PurePosixPath(*args)
            return _plain(result)
        if isinstance(func, ast.Attribute) and func.attr in _PATH_METHODS:
            receiver = self.value(func.value, scope)
            if isinstance(receiver, PurePosixPath):
                args = self._elements(node.args, scope)
                if func.attr in ("resolve", "absolute"):
                    return PurePosixPath(posixpath.normpath(str(receiver)))
                return getattr(receiver, func.attr)(*args)
        if isinstance(func, ast.Attribute) and func.attr in _STR_METHODS:
            receiver = self.value(func.value, scope)
            if isinstance(receiver, str):
                args = self._elements(node.args, scope)
                kwargs = {kw.arg: self.value(kw.value, scope) for kw in node.keywords if kw.arg}
                try:
                    return _plain(getattr(receiver, func.attr)(*args, **kwargs))
                except (TypeError, ValueError, LookupError) as exc:
                    raise Unresolvable(node, f"{snippet(self.source, node)} fails: {exc}") from None
        for name, convert in (("dict", None), ("list", list), ("tuple", list), ("str", str), ("int", int),
                              ("float", float), ("bool", bool)):
            if self._is_builtin(func, name, scope):
                if convert is None:
                    return {k: self.value(v, s) for k, v, s in self.entries(node, scope)}
                if len(node.args) == 1 and not node.keywords:
                    try:
                        return _plain(convert(self.value(node.args[0], scope)))
                    except (TypeError, ValueError) as exc:
                        raise Unresolvable(node, f"{snippet(self.source, node)} fails: {exc}") from None
        if _is_copy(node):
            return self.value(node.args[0] if node.args else func.value, scope)  # type: ignore[attr-defined]
        why = runtime_source(qual) or "a function call (import does not run the DAG's code)"
        raise Unresolvable(node, f"{snippet(self.source, node)} is {why}")

    def _is_builtin(self, func: ast.AST, name: str, scope: Scope) -> bool:
        return isinstance(func, ast.Name) and func.id == name and scope.lookup(name) is None \
            and name not in self.imports.names


def _is_copy(node: ast.Call) -> bool:
    """``copy.deepcopy(X)``, ``copy.copy(X)`` or ``X.copy()``: the same value."""
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "copy" and not node.args and not node.keywords:
        return not (isinstance(func.value, ast.Name) and func.value.id == "copy")
    return (isinstance(func, ast.Attribute) and func.attr in ("copy", "deepcopy")
            and isinstance(func.value, ast.Name) and func.value.id == "copy" and len(node.args) == 1)


def _too_large(op: ast.operator, left: Any, right: Any) -> bool:
    """``9 ** 9 ** 9`` or ``"x" * 10 ** 9`` in a DAG file must not hang the import."""
    if isinstance(op, ast.Pow):
        return isinstance(right, int | float) and abs(right) > 64
    if isinstance(op, ast.Mult):
        sized = left if isinstance(left, str | list) else right if isinstance(right, str | list) else None
        count = right if sized is left else left
        return sized is not None and isinstance(count, int) and count * max(len(sized), 1) > 1_000_000
    return False


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return value
