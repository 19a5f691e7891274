"""User callbacks: the reference's callback class and ``progress_callback``.

``callbacks: "module:Class"`` names a class with any of the reference's static
methods (``on_pod_manifest_created``, ``on_pod_creation``, ``on_pod_starting``,
``on_pod_completion``, ``on_pod_teardown``, ``on_pod_cleanup``,
``on_sync_client_creation``, ``progress_callback``); each is called with keyword arguments as the reference
passes them (``pod``, ``client``, ``mode="sync"``, ``operator``, ``context``).
``on_pod_cleanup`` fires on every ending, failures and skips included (the
reference skips it then). A callback that raises is reported, never fatal.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kpodtui.errors import BadInputError
from kpodtui.spec.taskspec import TaskSpec


def load_object(path: str, search_dir: str | Path | None = None) -> Any:
    """Import ``"module:attr"`` (the spec's folder is searched first)."""
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise BadInputError(f"callback {path!r} must look like 'module:Name'")
    if search_dir is not None and str(search_dir) not in sys.path:
        sys.path.insert(0, str(search_dir))
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise BadInputError(f"cannot load callback {path!r}: {exc}") from None
    return obj


class Callbacks:
    """The spec's callbacks, each call isolated; ``report`` hears about failures."""

    def __init__(
        self,
        classes: list[Any],
        progress: list[Callable[..., Any]],
        report: Callable[[str], None],
    ) -> None:
        self.classes = classes
        self.progress = progress
        self.report = report
        #: passed as ``client=`` (the reference passes its ``CoreV1Api``); see :meth:`bind_client`
        self.client: Any = None

    @property
    def active(self) -> bool:
        """Whether the spec has any callback at all."""
        return bool(self.classes or self.progress)

    def bind_client(self, api_client: Any) -> None:
        """Give callbacks a ``CoreV1Api`` on the run's connection (``on_sync_client_creation``).

        Only done when the spec has callbacks: building ``CoreV1Api`` loads the
        client's whole model set (about a second), which plain runs never pay.
        """
        if not self.active:
            return
        # start-up: the models load only for specs with callbacks
        from kubernetes.client import CoreV1Api

        self.client = CoreV1Api(api_client)
        self.fire("on_sync_client_creation", client=self.client)

    @classmethod
    def from_spec(cls, spec: TaskSpec, report: Callable[[str], None], search_dir: str | Path | None = None) -> Callbacks:
        classes = [load_object(spec.callbacks, search_dir)] if spec.callbacks else []
        progress: list[Callable[..., Any]] = [
            c.progress_callback for c in classes if callable(getattr(c, "progress_callback", None))
        ]
        if spec.progress_callback:
            progress.append(load_object(spec.progress_callback, search_dir))
        return cls(classes, progress, report)

    def fire(self, method: str, **kwargs: Any) -> None:
        """Call ``method`` on every callback class that has it."""
        kwargs.setdefault("client", self.client)
        kwargs.setdefault("mode", "sync")
        kwargs.setdefault("operator", None)
        kwargs.setdefault("context", None)
        for c in self.classes:
            fn = getattr(c, method, None)
            if fn is None:
                continue
            try:
                fn(**kwargs)
            except Exception as exc:  # a user's bug is reported, the run goes on
                self.report(f"callback {getattr(c, '__name__', c)}.{method} failed: {exc!r}")

    @property
    def wants_lines(self) -> bool:
        return bool(self.progress)

    def line(self, text: str, container: str, timestamp: str, pod: Any) -> None:
        """``progress_callback`` for one log line."""
        for fn in self.progress:
            try:
                fn(line=text, client=self.client, mode="sync", container_name=container, timestamp=timestamp, pod=pod)
            except Exception as exc:
                self.report(f"progress_callback failed: {exc!r}")
                self.progress = [f for f in self.progress if f is not fn]
