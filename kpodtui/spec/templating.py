"""The Jinja side of rendering: a sandbox with limits, and problems that say where and what.

Runs inside :func:`kpodtui.spec.bounded.run_bounded` (a child process with a CPU and
memory budget); everything here returns plain data. Beyond Jinja's sandbox:

- ``range()`` gives at most :data:`MAX_LOOP` items, and ``*`` / ``**`` refuse to build
  a string, list or number bigger than :data:`MAX_RENDERED` before building it;
- each field renders to at most :data:`MAX_RENDERED` characters (and
  :data:`MAX_VALUES` values for a list or mapping);
- any error is one line naming the item (``arguments[0]``) and, for an undefined
  name, the name as written (``params.missing``).
"""

from __future__ import annotations

import math
import re
import sys
from functools import cache
from typing import Any

from kpodtui.spec.context import is_template
from kpodtui.spec.errors import SpecError

MAX_LOOP = 10_000
MAX_RENDERED = 1024 * 1024
MAX_VALUES = 100_000
#: stack frames a template may add (a recursive macro is stopped here, not by a crash)
MAX_RECURSION = 300

_WHOLE = re.compile(r"^\s*\{\{(.*)\}\}\s*$", re.DOTALL)

Path = tuple[Any, ...]


class _Refused(Exception):
    """A limit of the sandbox (the message says which)."""


class Problem(Exception):
    """A rendering problem at ``path`` (inside the field), as data for the parent."""

    def __init__(self, path: Path, what: str) -> None:
        super().__init__(what)
        self.path = path
        self.what = what


def whole_expression(value: Any) -> str | None:
    """The expression of a value that is exactly one ``{{ expr }}`` (None otherwise)."""
    if not isinstance(value, str):
        return None
    m = _WHOLE.match(value)
    if m is None or "{{" in m.group(1) or "}}" in m.group(1) or "{%" in value:
        return None
    return m.group(1).strip()


def _range(*args: int) -> range:
    items = range(*args)
    if len(items) > MAX_LOOP:
        raise _Refused(f"range() of {len(items):,} items: a loop is limited to {MAX_LOOP:,}")
    return items


def _size(value: Any) -> int | None:
    return len(value) if isinstance(value, str | list | tuple) else None


@cache
def environment() -> Any:
    """The sandboxed environment (undefined names are errors, ``*`` and ``**`` are bounded)."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    class Env(SandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "*":
                for seq, times in ((left, right), (right, left)):
                    n = _size(seq)
                    if n is not None and isinstance(times, int) and n * times > MAX_RENDERED:
                        raise _Refused(f"{n:,} * {times:,} would make {n * times:,} items "
                                       f"(a field is limited to {MAX_RENDERED:,} characters)")
            if operator == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0:
                digits = right * math.log10(abs(left))
                if digits > 4300:
                    raise _Refused(f"{left} ** {right} would have about {int(digits):,} digits")
            return super().call_binop(context, operator, left, right)

    env = Env(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.globals["range"] = _range
    return env


@cache
def warm() -> None:
    """Import and compile everything rendering needs before forking (a child must not import)."""
    env = environment()
    env.from_string("{{ x|default(1) }}{% for i in range(1) %}{{ i }}{% endfor %}").render(x=1)
    env.compile_expression("x")(x=1)


def _expression_text(node: Any) -> str | None:
    """``params.a[0]`` for a Getattr/Getitem/Name chain of the template's AST."""
    from jinja2 import nodes

    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        base = _expression_text(node.node)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        base = _expression_text(node.node)
        key = node.arg.value
        if base is None:
            return None
        return f"{base}[{key}]" if isinstance(key, int) else f"{base}.{key}" if isinstance(key, str) \
            and key.isidentifier() else f"{base}[{key!r}]"
    return None


_UNDEFINED_TOP = re.compile(r"^'(.+)' is undefined$")
_UNDEFINED_ATTR = re.compile(r" has no attribute '(.+)'$")
_UNDEFINED_ITEM = re.compile(r" has no element (.+)$")


def undefined_name(source: str, message: str) -> str | None:
    """The undefined name as written in ``source`` (``params.missing``), from Jinja's message."""
    import ast

    from jinja2 import nodes

    if m := _UNDEFINED_TOP.match(message):
        return m.group(1)
    if m := _UNDEFINED_ATTR.search(message):
        name: Any = m.group(1)
    elif m := _UNDEFINED_ITEM.search(message):
        try:
            name = ast.literal_eval(m.group(1))
        except (ValueError, SyntaxError):
            return None
    else:
        return None
    try:
        tree = environment().parse(source)
    except Exception:  # noqa: BLE001 - only a nicer message is lost
        return None
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        hit = (isinstance(node, nodes.Getattr) and node.attr == name) or \
              (isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and node.arg.value == name)
        if hit and (text := _expression_text(node)):
            return text
    return None


def _describe(exc: BaseException, source: str) -> str:
    from jinja2 import TemplateSyntaxError, UndefinedError
    from jinja2.sandbox import SecurityError

    if isinstance(exc, UndefinedError):
        name = undefined_name(source, exc.message or "")
        return f"the template uses an undefined name: {name}" if name else \
            f"the template uses an undefined name: {exc.message}"
    if isinstance(exc, TemplateSyntaxError):
        return f"the template is broken: {exc.message} (line {exc.lineno} of the template)"
    if isinstance(exc, SecurityError):
        return f"the template is broken: {exc.message}"
    if isinstance(exc, _Refused):
        return f"the template is refused: {exc}"
    if isinstance(exc, RecursionError):
        return "the template recurses too deeply (a recursive macro?)"
    if isinstance(exc, MemoryError):
        return "the template needs too much memory"
    message = " ".join(str(exc).split())[:200]
    return f"the template failed: {type(exc).__name__}" + (f": {message}" if message else "")


def _render_text(source: str, context: dict[str, Any], path: Path) -> str:
    try:
        out = environment().from_string(source).render(context)
    except Exception as exc:  # noqa: BLE001 - every template error is one line about this item
        raise Problem(path, _describe(exc, source)) from None
    if len(out) > MAX_RENDERED:
        raise Problem(path, f"the template renders to {len(out):,} characters (at most {MAX_RENDERED:,})")
    return out


def render_value(value: Any, context: dict[str, Any], path: Path = ()) -> Any:
    """Every template string in ``value`` rendered (keys too); raises :class:`Problem`."""
    if isinstance(value, str):
        return _render_text(value, context, path) if is_template(value) else value
    if isinstance(value, dict):
        return {render_value(k, context, path): render_value(v, context, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [render_value(v, context, (*path, i)) for i, v in enumerate(value)]
    return value


def evaluate(expression: str, context: dict[str, Any]) -> Any:
    """The value of one ``{{ expression }}`` as plain data; raises :class:`Problem`."""
    from jinja2 import Undefined

    try:
        out = environment().compile_expression(expression, undefined_to_none=False)(**context)
        if isinstance(out, Undefined):
            out._fail_with_undefined_error()
    except Exception as exc:  # noqa: BLE001
        raise Problem((), _describe(exc, "{{ " + expression + " }}")) from None
    return plain_data(out)


def plain_data(value: Any) -> Any:
    """``value`` as the data a spec can hold, within :data:`MAX_VALUES` / :data:`MAX_RENDERED`."""
    budget = [MAX_VALUES, MAX_RENDERED]

    def conv(v: Any) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise Problem((), f"the expression's value has more than {MAX_VALUES:,} items")
        if isinstance(v, str):
            budget[1] -= len(v)
            if budget[1] < 0:
                raise Problem((), f"the expression's value is more than {MAX_RENDERED:,} characters")
            return str(v)
        if v is None or isinstance(v, bool | int | float):
            return v
        if isinstance(v, dict):
            return {conv(k): conv(x) for k, x in v.items()}
        if isinstance(v, list | tuple | range):
            return [conv(x) for x in v]
        import datetime as dt

        if isinstance(v, dt.date):
            return v
        raise Problem((), f"the expression's value is a {type(v).__name__}, not a list, mapping, string or number")

    return conv(value)


def render_fields(fields: dict[str, tuple[Any, bool]], context: dict[str, Any]) -> dict[str, Any]:
    """Render each field: ``{name: (value, wants_text)}`` -> ``{name: ("ok", value) | ("error", path, what)}``.

    A field that does not want text and is exactly one ``{{ expr }}`` takes the
    expression's value; otherwise its rendered text is read back as YAML (bounded)."""
    from kpodtui.spec.yamlpos import parse_documents

    sys.setrecursionlimit(_depth() + MAX_RECURSION)
    out: dict[str, Any] = {}
    for name, (value, wants_text) in fields.items():
        try:
            native = None if wants_text else whole_expression(value)
            result = evaluate(native, context) if native is not None else render_value(value, context)
            if isinstance(result, str) and not wants_text:
                try:
                    docs = parse_documents(result, f"the rendered {name}")
                except SpecError as exc:
                    shown = result if len(result) <= 80 else result[:77] + "..."
                    problem = exc.what.removeprefix("invalid YAML: ")
                    raise Problem((), f"the template renders to invalid YAML ({problem}): {shown!r}") from None
                result = docs[0].value if docs else None
            out[name] = ("ok", result)
        except Problem as exc:
            out[name] = ("error", exc.path, exc.what)
        except RecursionError:
            out[name] = ("error", (), "the template recurses too deeply (a recursive macro?)")
    return out


def _depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        depth += 1
        frame = frame.f_back  # type: ignore[assignment]
    return depth
