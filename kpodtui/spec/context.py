"""Where checking happens: collects problems with their positions."""

from __future__ import annotations

from typing import Any

from kpodtui.spec.errors import SpecError
from kpodtui.spec.yamlpos import Document, Path


def format_path(path: Path) -> str:
    """``("env_vars", 1, "name")`` -> ``env_vars[1].name``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def is_template(value: Any) -> bool:
    """True for a string Jinja will change (rendered later, so checked later)."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


class CheckContext:
    """Collects :class:`SpecError` for one document.

    ``defer_templates``: at load time a templated string is left for after
    rendering; after rendering nothing is deferred.
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

    def make_error(self, path: Path, what: str, suggestion: str | None = None, *,
                   key: str | None = None) -> SpecError:
        """A SpecError positioned at ``path`` (or at the --set that wrote it)."""
        key = key or format_path(path) or None
        for i in range(len(path), 0, -1):
            dotted = ".".join(str(p) for p in path[:i])
            if dotted in self.overrides:
                return SpecError(what, source=f"--set {self.overrides[dotted]}", key=key, suggestion=suggestion)
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
