"""Kubernetes events about the pod: Warnings stand out, newest at the bottom; Enter shows one in full.

Each event is one entry that wraps to the pane's width, so two events that differ
only at their end (``Created container: worker-a`` / ``worker-b``) read apart, in
a narrow pane too.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets.option_list import Option

from kpodtui.engine.events import ClusterEvent
from kpodtui.tui.safe_text import safe_text
from kpodtui.tui.widgets.lists import KOptionList


def _time(ts: str | None) -> str:
    if ts and len(ts) >= 19 and ts[10] == "T":
        return ts[11:19]
    return ts or "-"


def event_text(ev: ClusterEvent) -> Text:
    """``11:59:19 Warning BackOff Back-off pulling image "busybox" (x2)``, styled."""
    warning = ev.type == "Warning"
    text = Text()
    text.append(_time(ev.timestamp), "dim")
    text.append(" ")
    text.append(ev.type, "bold red reverse" if warning else "dim")
    text.append(" ")
    text.append_text(safe_text(ev.reason, "bold red" if warning else "bold"))
    text.append(" ")
    text.append_text(safe_text(ev.message, "red" if warning else ""))
    if ev.count > 1:
        text.append(f" (x{ev.count})", "bold")
    return text


class EventsList(KOptionList):
    """A live list of :class:`ClusterEvent`; :meth:`show` replaces its entries."""

    HELP_GROUP = "Events"
    DEFAULT_CSS = """
    EventsList { height: 1fr; border: none; padding: 0; scrollbar-gutter: stable; }
    """

    events: list[ClusterEvent] = []

    def on_resize(self) -> None:
        """The pane shrank or grew (XCom and the outcome come and go under it): the cursor's
        event stays in sight, the newest one while the cursor follows them."""
        self.call_after_refresh(self.scroll_to_highlight)  # once the entries are laid out at the new size

    def selected_event(self) -> ClusterEvent | None:
        """The event under the cursor (None when the list is empty)."""
        at = self.highlighted
        return self.events[at] if at is not None and 0 <= at < len(self.events) else None

    def show(self, events: list[ClusterEvent]) -> None:
        """Replace the entries; the cursor follows the newest event if it was on the last one,
        else it stays on the event it was on (new events do not move it away)."""
        follow = self.highlighted is None or self.highlighted >= self.option_count - 1
        kept = None if follow else self.selected_event()
        self.events = list(events)
        self.clear_options()
        self.add_options([Option(event_text(ev)) for ev in self.events])
        if not self.events:
            return
        if follow:
            self.highlighted = len(self.events) - 1
        elif kept is not None:
            same = [i for i, ev in enumerate(self.events) if (ev.uid and ev.uid == kept.uid) or ev == kept]
            if same:
                self.highlighted = same[0]
