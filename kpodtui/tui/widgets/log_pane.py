"""The log pane: container tabs, the :class:`LogView`, a status line and a search/filter bar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static, Tab, Tabs

from kpodtui.tui.data.run_model import RunModel
from kpodtui.tui.widgets.log_view import LogView

ALL_TAB = "tab-all"
BarMode = Literal["search", "filter"]


class LogPane(Vertical):
    """Logs of one run: ``all`` (merged, coloured prefixes) plus one tab per container."""

    DEFAULT_CSS = """
    LogPane {
        height: 1fr;
        & > Tabs { height: 2; }
        & > #log-status { height: 1; background: $panel; padding: 0 1; }
        & > Input { display: none; height: 3; }
        & > Input.-active { display: block; }
    }
    """

    @dataclass
    class BarClosed(Message):
        """The search/filter bar was closed (focus goes back to the log)."""

        pane: LogPane

    def __init__(self, model: RunModel | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model
        self.bar_mode: BarMode | None = None
        self._tab_ids: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Tabs(Tab("all", id=ALL_TAB), id="log-tabs")
        yield LogView(self.model.logs if self.model else None, id="log-view")
        yield Static(id="log-status")
        yield Input(id="log-bar")

    @property
    def view(self) -> LogView:
        return self.query_one(LogView)

    def on_mount(self) -> None:
        if self.model is not None:
            self.attach(self.model)

    def attach(self, model: RunModel) -> None:
        """Show ``model``'s logs."""
        self.model = model
        if not self.query(LogView):
            return  # not composed yet: on_mount attaches
        self.view.set_buffer(model.logs, model.containers)
        self.sync()

    def sync(self, logs_changed: bool = True) -> None:
        """Bring tabs, view and status line up to date with the model (once per frame)."""
        if self.model is None or not self.query(LogView):
            return
        tabs = self.query_one(Tabs)
        for name in self.model.containers:
            if name not in self._tab_ids:
                tab_id = f"tab-c{len(self._tab_ids)}"
                self._tab_ids[name] = tab_id
                tabs.add_tab(Tab(name, id=tab_id))
        if logs_changed:
            self.view.lines_added()
        self.update_status()

    @on(Tabs.TabActivated, "#log-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        tab_id = event.tab.id if event.tab else ALL_TAB
        container = next((n for n, t in self._tab_ids.items() if t == tab_id), None)
        if container != self.view.container:
            self.view.set_container(container)
            self.update_status()

    def step_container(self, step: int) -> None:
        """Move to the next (1) or previous (-1) container tab."""
        tabs = self.query_one(Tabs)
        if step > 0:
            tabs.action_next_tab()
        else:
            tabs.action_previous_tab()

    @on(LogView.FollowChanged)
    @on(LogView.CursorMoved)
    def _follow_changed(self, event: LogView.FollowChanged | LogView.CursorMoved) -> None:
        self.update_status()

    def update_status(self) -> None:
        view = self.view
        model = self.model
        text = Text(no_wrap=True, overflow="ellipsis")
        if view.follow:
            text.append("● following", "bold green")
        else:
            text.append("‖ paused", "bold yellow")
            text.append(" (end: live tail)", "dim")
        text.append(f"  {view.count:,} line" + ("" if view.count == 1 else "s"))
        buf = view.buffer
        if buf.dropped:
            text.append(f"  {buf.dropped:,} older lines only in the log file", "yellow")
        if view.search_term:
            found = view.match_count
            at = view.match_position()
            counted = f"{at:,}/{found:,}" if at is not None else f"{found:,} match" + ("" if found == 1 else "es")
            text.append(f"  search {view.search_term!r}: {counted}", "bold")
        if view.filter_term:
            text.append(f"  filter {view.filter_term!r}", "bold magenta")
        flags = [name for name, on_ in (("time", view.timestamps), ("wrap", view.wrap), ("json", view.json_mode)) if on_]
        if flags:
            text.append("  [" + " ".join(flags) + "]", "dim")
        if model is not None and model.behind:
            text.append(f"  behind by {model.behind:,} line" + ("" if model.behind == 1 else "s"), "bold yellow")
        if model is not None:
            for note in model.broken_streams:
                text.append(f"  ⚠ {note.container}: stream broken, resuming", "bold red")
        # one row whatever it says: no layout pass (a layout of the whole screen each frame
        # was most of a frame's cost while lines stream in)
        self.query_one("#log-status", Static).update(text, layout=False)

    # -- search / filter bar --------------------------------------------------------

    def open_bar(self, mode: BarMode) -> None:
        """Open the bar for ``search`` (highlight and jump) or ``filter`` (hide other lines)."""
        self.bar_mode = mode
        bar = self.query_one("#log-bar", Input)
        bar.placeholder = (
            "search: highlight and jump (enter: next, escape: close)"
            if mode == "search"
            else "filter: show only matching lines (empty: all)"
        )
        bar.value = self.view.search_term if mode == "search" else self.view.filter_term
        bar.add_class("-active")
        bar.focus()

    def close_bar(self) -> None:
        bar = self.query_one("#log-bar", Input)
        bar.remove_class("-active")
        self.bar_mode = None
        self.view.focus()

    @on(Input.Changed, "#log-bar")
    def _bar_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.bar_mode == "search":
            self.view.set_search(event.value)
        elif self.bar_mode == "filter":
            self.view.set_filter(event.value)
        self.update_status()

    @on(Input.Submitted, "#log-bar")
    def _bar_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.close_bar()

    def on_key(self, event) -> None:
        if event.key == "escape" and self.bar_mode is not None:
            event.stop()
            self.close_bar()
