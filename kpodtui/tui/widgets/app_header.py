"""The line at the top of every screen: where you are, and the context and namespace launches go to.

It wraps instead of truncating (at 80 columns a long context name takes a second
row rather than hiding the namespace). ``:`` opens the switcher.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class AppHeader(Static):
    """``kpodtui · runs    context kind-dev · namespace batch``; follows the app's target."""

    DEFAULT_CSS = """
    AppHeader { height: auto; background: $panel; color: $foreground; padding: 0 1; }
    """

    def __init__(self, where: str) -> None:
        super().__init__()
        self.where = where

    def on_mount(self) -> None:
        signal = getattr(self.app, "target_changed", None)
        if signal is not None:
            signal.subscribe(self, lambda _target: self.show())
        self.show()

    def show(self) -> None:
        target = getattr(self.app, "target", None)
        text = Text()
        text.append("kpodtui", "bold")
        text.append(f" · {self.where}")
        text.append("   ")
        if target is None:
            text.append("context … (loading)", "dim")
        else:
            context, namespace = target
            text.append("context ", "dim")
            text.append(context or "(none)", "bold")
            text.append(" · ", "dim")
            text.append("namespace ", "dim")
            text.append(namespace or "default", "bold")
        self.update(text)
