"""Lists that move as vim, less and k9s do: ``j``/``k``, ``g``/``G``, ``ctrl+d``/``ctrl+u`` (half a page)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable, OptionList

VIM_KEYS: list[BindingType] = [
    Binding("j", "cursor_down", "Down", show=False),
    Binding("k", "cursor_up", "Up", show=False),
    Binding("g", "first", "Top", show=False),
    Binding("G", "last", "Bottom", show=False),
    Binding("ctrl+d", "half_page(1)", "Half page down", show=False),
    Binding("ctrl+u", "half_page(-1)", "Half page up", show=False),
]


class KTable(DataTable):
    """A row-cursor table with the vim keys (the runs and tasks lists)."""

    HELP_GROUP = "List"
    BINDINGS: ClassVar[list[BindingType]] = VIM_KEYS

    def action_first(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_last(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)

    def action_half_page(self, direction: int) -> None:
        if self.row_count:
            step = max(1, self.scrollable_content_region.height // 2)
            self.move_cursor(row=max(0, min(self.row_count - 1, self.cursor_row + direction * step)))


class KOptionList(OptionList):
    """An option list with the vim keys (the events pane, pickers)."""

    HELP_GROUP = "List"
    BINDINGS: ClassVar[list[BindingType]] = VIM_KEYS

    def action_half_page(self, direction: int) -> None:
        if self.option_count:
            step = max(1, self.scrollable_content_region.height // 2)
            at = self.highlighted if self.highlighted is not None else 0
            self.highlighted = max(0, min(self.option_count - 1, at + direction * step))
