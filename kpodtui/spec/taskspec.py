"""The loaded task: attribute access to every parameter, with its default."""

from __future__ import annotations

import copy
from pathlib import Path as FsPath
from typing import Any

from kpodtui.constants import BASE_CONTAINER_NAME
from kpodtui.spec.context import CheckContext
from kpodtui.spec.errors import SpecError
from kpodtui.spec.schema import PARAMS
from kpodtui.spec.yamlpos import Document


class TaskSpec:
    """A checked, normalised task spec.

    Every key of :data:`kpodtui.spec.schema.PARAMS` is an attribute
    (``spec.image``, ``spec.cmds``...). Three are resolved on access, so they
    follow templating: ``base_container_name`` (None -> ``"base"``),
    ``container_logs`` (None/False -> the base container) and
    ``schedule_timeout_seconds`` (None -> ``startup_timeout_seconds``).

    Also: ``raw`` (the document as written, with ``--set`` overrides applied),
    ``source_path``, ``warnings`` (deprecations), ``explicit`` (the keys the user
    wrote, so an explicit ``false``/``0``/``[]`` can override a template),
    ``template_pod`` (the loaded ``pod_template_file``), ``rendered``.
    """

    __slots__ = ("_values", "raw", "source_path", "source", "warnings", "explicit",
                 "template_pod", "rendered", "base_dir", "_doc", "_overrides")

    def __init__(
        self,
        values: dict[str, Any],
        *,
        raw: dict[str, Any] | None = None,
        source_path: FsPath | None = None,
        source: str = "<spec>",
        warnings: list[str] | None = None,
        explicit: frozenset[str] | None = None,
        template_pod: dict[str, Any] | None = None,
        rendered: bool = False,
        doc: Document | None = None,
        overrides: dict[str, str] | None = None,
        base_dir: FsPath | None = None,
    ) -> None:
        full = {name: copy.deepcopy(p.default) for name, p in PARAMS.items()}
        full.update(values)
        self._values = full
        self.raw = raw if raw is not None else dict(values)
        self.source_path = source_path
        self.source = source
        self.warnings = list(warnings or [])
        self.explicit = explicit if explicit is not None else frozenset(values)
        self.template_pod = template_pod
        self.rendered = rendered
        self._doc = doc
        self._overrides = overrides or {}
        # Where relative pod_template_file paths start (the spec file's folder).
        self.base_dir = base_dir if base_dir is not None else (source_path.parent if source_path else None)

    def __getattr__(self, name: str) -> Any:
        # __getattr__ runs only when normal lookup failed; guard against copy/pickle
        # probing before _values exists.
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            values = object.__getattribute__(self, "_values")
        except AttributeError:
            raise AttributeError(name) from None
        if name not in values:
            raise AttributeError(f"TaskSpec has no parameter {name!r}")
        value = values[name]
        if name == "base_container_name":
            return value or BASE_CONTAINER_NAME
        if name == "container_logs" and (value is None or value is False):
            return self.base_container_name
        if name == "schedule_timeout_seconds" and value is None:
            return values["startup_timeout_seconds"]
        return value

    def __repr__(self) -> str:
        return f"TaskSpec(task_id={self.task_id!r}, source={self.source!r})"

    @property
    def values(self) -> dict[str, Any]:
        """Every parameter as stored (unresolved), a copy."""
        return copy.deepcopy(self._values)

    def written(self, name: str) -> bool:
        """True when the user wrote ``name`` (in the file or with --set)."""
        return name in self.explicit

    def replace(self, **changes: Any) -> TaskSpec:
        """A copy with some parameters changed (not re-checked); changed keys count as written."""
        unknown = set(changes) - set(PARAMS)
        if unknown:
            raise TypeError(f"unknown parameters: {sorted(unknown)}")
        values = self.values
        values.update(changes)
        return self._derive(values, explicit=self.explicit | frozenset(changes))

    def _derive(self, values: dict[str, Any], **kw: Any) -> TaskSpec:
        args: dict[str, Any] = dict(
            raw=self.raw, source_path=self.source_path, source=self.source, warnings=self.warnings,
            explicit=self.explicit, template_pod=self.template_pod, rendered=self.rendered,
            doc=self._doc, overrides=self._overrides, base_dir=self.base_dir,
        )
        args.update(kw)
        return TaskSpec(values, **args)

    def context(self, *, defer_templates: bool = False) -> CheckContext:
        """A check context that positions problems in this spec's source."""
        return CheckContext(self.source, self._doc, self._overrides, defer_templates=defer_templates)

    def error(self, path: tuple[Any, ...], what: str) -> SpecError:
        """A SpecError positioned at ``path`` of this spec (for problems found after loading)."""
        return self.context().make_error(path, what)
