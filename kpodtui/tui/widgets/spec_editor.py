"""A YAML editor that marks the lines with problems (the editor screen's TextArea)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import events
from textual.widgets import TextArea


class SpecEditor(TextArea):
    """``TextArea`` with :meth:`mark_lines`: lines with validation problems get a red background."""

    COMPONENT_CLASSES = {"spec-editor--problem-line"}

    DEFAULT_CSS = """
    SpecEditor > .spec-editor--problem-line { background: $error 35%; }
    """

    _problem_lines: frozenset[int] = frozenset()

    async def _on_key(self, event: events.Key) -> None:
        # A code editor's Escape only moves focus (tab indents), and the editor is the
        # screen's one focusable widget, so Escape did nothing: let it mean the screen's
        # "back" (which asks before unsaved changes are dropped), as the footer says.
        if event.key == "escape":
            event.stop()
            event.prevent_default()
            await self.run_action("screen.back")

    def mark_lines(self, lines: Iterable[int]) -> None:
        """Mark these lines (1-based, as in error messages); every other line is unmarked."""
        marked = frozenset(line - 1 for line in lines if line > 0)
        if marked != self._problem_lines:
            self._problem_lines = marked
            self.notify_style_update()  # drops the rendered-line cache
            self.refresh()

    @property
    def problem_lines(self) -> frozenset[int]:
        """The marked lines, 1-based."""
        return frozenset(i + 1 for i in self._problem_lines)

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        if line_index in self._problem_lines:
            line.stylize(self.get_component_rich_style("spec-editor--problem-line", partial=True))
        return line
