"""``/`` filter, ``S`` sort by the next column, ``I`` invert, a click on a header: the tasks and
runs lists behave alike (k9s's ``/`` and its column sort)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.widgets import DataTable, Input

if TYPE_CHECKING:
    from textual.screen import Screen

    _ScreenBase = Screen[None]
else:
    _ScreenBase = object


class FilterSort(_ScreenBase):
    """Mixed into a list screen: the screen names its filter bar, its table and its columns, and
    shows its rows again in :meth:`reshow` (filtered by :attr:`filter_text`, sorted by
    :attr:`sort_by`, :attr:`descending`)."""

    FILTER_ID: ClassVar[str]
    TABLE_ID: ClassVar[str]
    SORT_COLUMNS: ClassVar[tuple[str, ...]]
    UNSORTED: ClassVar[str]  # what the order is with no column chosen

    filter_text = ""
    sort_by: str | None = None  # None: the list's own order
    descending = False

    def reshow(self) -> None:
        raise NotImplementedError

    def _bar(self) -> Input:
        return self.query_one(f"#{self.FILTER_ID}", Input)

    def filter_shown(self) -> bool:
        """A filter is set or its bar is open (escape clears it)."""
        return bool(self.filter_text) or self._bar().display

    def action_filter(self) -> None:
        bar = self._bar()
        bar.display = True
        bar.value = self.filter_text
        bar.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == self.FILTER_ID:
            self.filter_text = event.value.strip()
            self.reshow()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == self.FILTER_ID:
            self.filter_done()

    def filter_done(self) -> None:
        """Enter in the bar: back to the list, the bar stays while it filters."""
        self._bar().display = bool(self.filter_text)
        self.query_one(f"#{self.TABLE_ID}").focus()

    def action_clear_filter(self) -> None:
        bar = self._bar()
        bar.value = ""
        bar.display = False
        self.filter_text = ""
        self.reshow()
        self.query_one(f"#{self.TABLE_ID}").focus()

    def action_sort(self, step: int) -> None:
        """``S``: sort by the next column (after the last one: the list's own order)."""
        columns = self.SORT_COLUMNS
        at = columns.index(self.sort_by) + step if self.sort_by is not None else 0
        self.sort_by = columns[at] if 0 <= at < len(columns) else None
        self.reshow()
        self.notify(f"sorted by {self.sort_by}" if self.sort_by else self.UNSORTED, timeout=2)

    def action_invert(self) -> None:
        self.descending = not self.descending
        self.reshow()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        """A click on a header sorts by that column (again: the other way)."""
        column = self.SORT_COLUMNS[event.column_index]
        if self.sort_by == column:
            self.descending = not self.descending
        else:
            self.sort_by, self.descending = column, False
        self.reshow()
