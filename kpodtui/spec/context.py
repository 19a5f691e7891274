"""Where checking happens: collects problems with their positions."""

from __future__ import annotations

import re
from typing import Any

from kpodtui.spec.errors import SpecError
from kpodtui.spec.schema import DEPRECATED_ALIASES
from kpodtui.spec.yamlpos import Document, Path, parse_documents

#: what a checker returns for a value it rejected (the problem is recorded in the context)
BAD = object()

_INDEX = re.compile(r"[0-9]+")


def format_path(path: Path) -> str:
    """``("env_vars", 1, "name")`` -> ``env_vars[1].name``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def override_key(path: Path) -> str:
    """The ``--set`` spelling of ``path``: ``("cmds", 2)`` -> ``cmds.2``, a key with a dot quoted
    (``node_selector."kubernetes.io/arch"``)."""
    parts = []
    for part in path:
        text = str(part)
        if not text or any(c in text for c in '."=\\'):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        parts.append(text)
    return ".".join(parts)


def split_override(item: str) -> tuple[tuple[str | int, ...], str] | None:
    """``'a.2."b.c"=x'`` -> ``(("a", 2, "b.c"), "x")``; None when it is not KEY=VALUE.

    Segments are separated by dots; a segment in double quotes may hold dots and ``=``
    (``\\"`` and ``\\\\`` inside); an unquoted segment of digits is a list index.
    """
    segments: list[str | int] = []
    i, n = 0, len(item)
    while True:
        while i < n and item[i] in " \t":
            i += 1
        if i < n and item[i] == '"':
            j, buf = i + 1, []
            while j < n and item[j] != '"':
                if item[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(item[j])
                j += 1
            if j >= n or not buf:
                return None  # unterminated, or an empty key
            segments.append("".join(buf))
            j += 1
            while j < n and item[j] in " \t":
                j += 1
            if j >= n or item[j] not in ".=":
                return None
        else:
            j = i
            while j < n and item[j] not in ".=":
                j += 1
            text = item[i:j].strip()
            if j >= n or not text:
                return None
            segments.append(int(text) if _INDEX.fullmatch(text) else text)
        if item[j] == "=":
            return tuple(segments), item[j + 1:]
        i = j + 1


def is_template(value: Any) -> bool:
    """True for a string Jinja will change (rendered later, so checked later)."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


class CheckContext:
    """Collects :class:`SpecError` for one document.

    ``defer_templates``: at load time a templated string is left for after
    rendering; after rendering nothing is deferred. ``overrides`` maps the
    :func:`override_key` of each path a ``--set`` wrote to that ``--set``;
    ``text`` is the source the document was read from (to tell what a scalar
    looked like as written).
    """

    def __init__(
        self,
        source: str,
        doc: Document | None = None,
        overrides: dict[str, str] | None = None,
        *,
        defer_templates: bool = True,
    ) -> None:
        self.source = source
        self.doc = doc
        self.overrides = overrides or {}
        self.defer_templates = defer_templates
        self.errors: list[SpecError] = []
        self.warnings: list[str] = []

    def deferred(self, value: Any) -> bool:
        """True when ``value`` is a template to check after rendering."""
        return self.defer_templates and is_template(value)

    def written_path(self, path: Path) -> Path:
        """``path`` under the key the user wrote: the deprecated spelling when that is what
        the document (or a --set) holds, e.g. ``node_selector.x`` -> ``node_selectors.x``."""
        if path and isinstance(path[0], str):
            for alias, target in DEPRECATED_ALIASES.items():
                if path[0] == target and not self._wrote(target) and self._wrote(alias):
                    return (alias, *path[1:])
        return path

    def _wrote(self, key: str) -> bool:
        if self.doc is not None and (key,) in self.doc.keys:
            return True
        return any(k == key or k.startswith(key + ".") for k in self.overrides)

    def _override_at(self, path: Path) -> tuple[int, str] | None:
        """The --set that wrote ``path`` or an ancestor (the nearest): (its depth, the --set)."""
        for i in range(len(path), 0, -1):
            item = self.overrides.get(override_key(path[:i]))
            if item is not None:
                return i, item
        return None

    def _override_below(self, path: Path) -> str | None:
        """A --set that wrote something inside ``path`` (which a problem at ``path`` may come from)."""
        if not path:
            return None
        prefix = override_key(path) + "."
        return next((item for key, item in self.overrides.items() if key.startswith(prefix)), None)

    def set_text(self, path: Path) -> str | None:
        """The text after ``=`` of the --set that wrote exactly ``path``, else None."""
        hit = self._override_at(self.written_path(path))
        if hit is None or hit[0] != len(path):
            return None
        split = split_override(hit[1])
        return split[1].strip() if split else None

    def scalar_text(self, path: Path) -> str | None:
        """How the plain scalar at ``path`` was written (``0022`` for the int 18), when known:
        in the document's text, or inside a YAML list/mapping given with --set."""
        path = self.written_path(path)
        hit = self._override_at(path)
        if hit is not None:
            split = split_override(hit[1])
            return _plain_text(split[1], path[hit[0]:]) if split else None
        return self.doc.plain.get(path) if self.doc is not None else None

    def make_error(self, path: Path, what: str, suggestion: str | None = None, *,
                   key: str | None = None) -> SpecError:
        """A SpecError positioned at ``path`` (or at the --set that wrote it or something in it)."""
        path = self.written_path(path)
        key = key or format_path(path) or None
        hit = self._override_at(path)
        item = hit[1] if hit else self._override_below(path)
        if item is not None:
            return SpecError(what, source=f"--set {item}", key=key, suggestion=suggestion)
        if self.doc is None:
            return SpecError(what, source=self.source, key=key, suggestion=suggestion)
        pos = self.doc.where(path)
        return SpecError(what, source=self.source, line=pos.line, column=pos.column, key=key,
                         suggestion=suggestion)

    def error(self, path: Path, what: str, suggestion: str | None = None, *,
              key: str | None = None) -> None:
        """Record a problem at ``path`` (``key`` names it when the path is the document)."""
        self.errors.append(self.make_error(path, what, suggestion, key=key))

    def warn(self, path: Path, what: str) -> None:
        """Record a deprecation (kept on the spec, printed by the commands)."""
        self.warnings.append(str(self.make_error(path, what)))


def _plain_text(text: str, path: Path) -> str | None:
    """How the plain scalar at ``path`` inside the YAML ``text`` (a --set value) was written."""
    try:
        docs = parse_documents(text, "--set")
    except SpecError:
        return None
    return docs[0].plain.get(tuple(path)) if docs else None


def type_name(value: Any) -> str:
    """The YAML word for a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
