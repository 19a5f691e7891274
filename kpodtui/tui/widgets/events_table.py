"""Kubernetes events about the pod: Warnings stand out, newest at the bottom; Enter shows one in full."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from kpodtui.engine.events import ClusterEvent
from kpodtui.tui.safe_text import safe_text


def _time(ts: str | None) -> str:
    if ts and len(ts) >= 19 and ts[10] == "T":
        return ts[11:19]
    return ts or "-"


class EventsTable(DataTable):
    """A live table of :class:`ClusterEvent`; :meth:`show` replaces its rows."""

    DEFAULT_CSS = """
    EventsTable { height: 1fr; }
    """

    events: list[ClusterEvent] = []

    def selected_event(self) -> ClusterEvent | None:
        """The event under the cursor (None when the table is empty)."""
        row = self.cursor_row
        return self.events[row] if 0 <= row < len(self.events) else None

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = False
        self.add_columns("time", "type", "reason", "message")

    def show(self, events: list[ClusterEvent]) -> None:
        """Replace the rows; the cursor follows the newest event if it was on the last
        row, else it stays on the event it was on (new events do not move it away)."""
        follow = self.cursor_row >= self.row_count - 1
        kept = None if follow else self.selected_event()
        self.clear()
        self.events = list(events)
        for ev in events:
            warning = ev.type == "Warning"
            style = "bold red" if warning else ""
            count = f" (x{ev.count})" if ev.count > 1 else ""
            self.add_row(
                _time(ev.timestamp),
                Text(ev.type, "bold red reverse" if warning else "dim"),
                safe_text(ev.reason, style),
                safe_text(ev.message + count, "red" if warning else ""),
            )
        if follow and self.row_count:
            self.move_cursor(row=self.row_count - 1, animate=False)
        elif kept is not None:
            same = [i for i, ev in enumerate(self.events) if (ev.uid and ev.uid == kept.uid) or ev == kept]
            if same:
                self.move_cursor(row=same[0], animate=False)
