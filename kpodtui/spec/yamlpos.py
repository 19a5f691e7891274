"""YAML parsing that remembers where every key and value was written.

PyYAML's composer gives nodes with start marks; we walk the node tree once to
record ``path -> (key position, value position)`` and then let the normal safe
constructor build the Python values from the same nodes. Duplicate keys, which
PyYAML silently collapses, are reported because a user editing a spec almost
never means the second one to win silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import yaml

from kpodtui.spec.errors import SpecError

# The C parser is several times faster and keeps marks too; fall back when absent.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Path = tuple[Any, ...]


class Pos(NamedTuple):
    """A 1-based line and column."""

    line: int
    column: int


@dataclass
class Document:
    """One YAML document: its value, where each path was written, and problems found while reading."""

    value: Any
    start: Pos
    keys: dict[Path, Pos] = field(default_factory=dict)
    values: dict[Path, Pos] = field(default_factory=dict)
    #: plain (unquoted) scalars as written, e.g. ``0022`` where the value is the int 18
    plain: dict[Path, str] = field(default_factory=dict)
    errors: list[SpecError] = field(default_factory=list)

    def where(self, path: Path) -> Pos:
        """Best known position for ``path``: its key, else its nearest written ancestor."""
        while path:
            if path in self.keys:
                return self.keys[path]
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.start


def _pos(mark: Any) -> Pos:
    return Pos(mark.line + 1, mark.column + 1)


def _walk(node: Any, path: Path, doc: Document, source: str, depth: int = 0) -> None:
    if depth > MAX_DEPTH:  # refused by _measure before: never reached
        return
    doc.values.setdefault(path, _pos(node.start_mark))
    if isinstance(node, yaml.ScalarNode) and not node.style:
        doc.plain.setdefault(path, node.value)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, Pos] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node.value)
            kpos = _pos(key_node.start_mark)
            if key in seen and key != "<<":
                doc.errors.append(
                    SpecError(
                        f"duplicate key (first written at line {seen[key].line})",
                        source=source, line=kpos.line, column=kpos.column,
                        key=".".join(str(p) for p in (*path, key)),
                    )
                )
            seen[key] = kpos
            doc.keys.setdefault((*path, key), kpos)
            _walk(value_node, (*path, key), doc, source, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), doc, source, depth + 1)


#: the most values one document may expand to through aliases, and its deepest nesting:
#: a few hundred bytes of anchors and aliases can stand for billions of values
MAX_NODES = 100_000
MAX_DEPTH = 100


class YamlLimitError(SpecError):
    """Valid YAML that is too big to take (an alias bomb, too deep, recursive)."""


def _children(node: Any) -> list[Any]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _measure(root: Any, source: str) -> None:
    """Refuse a document whose aliases expand too far, nest too deep, or refer to themselves.

    Sizes are counted over the node graph with shared nodes counted once per use
    (what constructing and walking it costs), without ever expanding it."""
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        nid = id(node)
        if done:
            active.discard(nid)
            kids = _children(node)
            sizes[nid] = 1 + sum(sizes[id(k)] for k in kids)
            depths[nid] = 1 + max((depths[id(k)] for k in kids), default=0)
            where = _pos(node.start_mark)
            if sizes[nid] > MAX_NODES:
                raise YamlLimitError(f"its aliases expand this YAML document to more than {MAX_NODES:,} values "
                                "(an alias bomb?): write it out without so many aliases",
                                source=source, line=where.line, column=where.column)
            if depths[nid] > MAX_DEPTH:
                raise YamlLimitError(f"this YAML is nested more than {MAX_DEPTH} levels deep",
                                source=source, line=where.line, column=where.column)
            continue
        if nid in sizes:
            continue
        active.add(nid)
        stack.append((node, True))
        for kid in _children(node):
            if id(kid) in active:
                where = _pos(kid.start_mark)
                raise YamlLimitError("an alias refers to a node that contains it (a recursive structure cannot be "
                                "sent to Kubernetes)", source=source, line=where.line, column=where.column)
            if id(kid) not in sizes:
                stack.append((kid, False))


def _unclosed_flow(text: str) -> Any:
    """The mark of the last ``[`` or ``{`` the text never closes (scanning up to the error)."""
    opened: list[Any] = []
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, yaml.FlowSequenceStartToken | yaml.FlowMappingStartToken):
                opened.append(token.start_mark)
            elif isinstance(token, yaml.FlowSequenceEndToken | yaml.FlowMappingEndToken) and opened:
                opened.pop()
    except yaml.YAMLError:
        pass
    return opened[-1] if opened else None


def _syntax_error(text: str, exc: yaml.MarkedYAMLError) -> tuple[Pos | None, str]:
    """Where a syntax error is, as a user would look for it, and what it is.

    The parser often notices a problem only at the end of the file (an unclosed ``[``,
    an unterminated quote): then the place it opened is the place to point at."""
    problem = exc.problem or exc.context or "invalid YAML"
    mark, context = exc.problem_mark, exc.context_mark
    end = len(text.rstrip())
    if context is not None and (exc.context or "").startswith("while parsing a flow") and \
            text[context.index: context.index + 1] in ("[", "{"):
        where = f" (at line {mark.line + 1})" if mark is not None and mark.index < end else ""
        return _pos(context), f"this '{text[context.index]}' is never closed{where}"
    if mark is not None and mark.index < end:
        return _pos(mark), problem
    if context is not None and context.index < end:
        what = "this quote is never closed" if "quoted scalar" in (exc.context or "") else \
            f"{problem} ({exc.context})"
        return _pos(context), what
    opened = _unclosed_flow(text)
    if opened is not None:
        return _pos(opened), f"this '{text[opened.index]}' is never closed"
    last = text.rstrip().count("\n")
    return Pos(last + 1, 1), problem


_KEY_LINE = re.compile(r"""^(\s*)((?:-\s+)*)('[^']*'|"[^"]*"|[^\s#'"\[\]{},:][^#:]*?)\s*:(?:\s|$)""")


def _key_at(text: str, pos: Pos) -> str | None:
    """The dotted key a position is under, from the indentation of the lines above (the
    document could not be parsed, so this is read from the text)."""
    stack: list[tuple[int, str]] = []
    for i, line in enumerate(text.splitlines()[: pos.line]):
        m = _KEY_LINE.match(line)
        if m is None:
            continue
        indent = len(m.group(1)) + len(m.group(2))
        if i == pos.line - 1 and indent >= pos.column:
            break
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, m.group(3).strip("'\"")))
    return ".".join(key for _, key in stack) or None


def parse_documents(text: str, source: str) -> list[Document]:
    """Parse every document of ``text``; a syntax error raises :class:`SpecError` with its position."""
    loader = _Loader(text)
    docs: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            _measure(node, source)
            doc = Document(value=None, start=_pos(node.start_mark))
            _walk(node, (), doc, source)
            doc.value = loader.construct_document(node)
            docs.append(doc)
    except yaml.MarkedYAMLError as exc:
        pos, problem = _syntax_error(text, exc)
        raise SpecError(
            f"invalid YAML: {problem}",
            source=source,
            line=pos.line if pos else None,
            column=pos.column if pos else None,
            key=_key_at(text, pos) if pos else None,
        ) from None
    except yaml.YAMLError as exc:  # e.g. reader errors on control characters
        raise SpecError(f"invalid YAML: {exc}", source=source) from None
    finally:
        loader.dispose()
    return docs
