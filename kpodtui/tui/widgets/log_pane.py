"""The log pane: container tabs, the :class:`LogView`, a status line and one bar for search, filter,
the time window (``L``: ``5m``, ``200`` lines) and the containers shown (``C``: stern's regexes)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static, Tab, Tabs

from kpodtui.loglines import ContainerSelection, parse_duration, rfc3339
from kpodtui.termsafe import escape
from kpodtui.tui.data import clock
from kpodtui.tui.data.run_model import RunModel
from kpodtui.tui.widgets.log_view import LogView

ALL_TAB = "tab-all"
BarMode = Literal["search", "filter", "window", "containers"]
PLACEHOLDERS = {
    "search": "search: highlight and jump (enter: next, escape: close)",
    "filter": "filter: show only matching lines (empty: all)",
    "window": "window: 90s, 5m, 1h (newer lines) or 200 (the last lines); empty: all",
    "containers": "containers: regexes to show, !regex to hide (api|worker !sidecar); empty: all",
}


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
        self.window = ""  # what the window bar holds ("5m", "200"), shown in the status line
        self.window_problem = ""

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
        names = self.model.containers
        if list(self._tab_ids) != names[: len(self._tab_ids)]:
            # the pod's order arrived after tabs were made in the order lines came in (a reattach)
            active = self.view.container
            for tab_id in self._tab_ids.values():
                tabs.remove_tab(tab_id)
            self._tab_ids = {}
            self._add_tabs(tabs, names)
            tabs.active = self._tab_ids.get(active or "", ALL_TAB)
        else:
            self._add_tabs(tabs, names)
        self.view.set_containers(names)
        if logs_changed:
            self.view.lines_added()
        self.update_status()

    def _add_tabs(self, tabs: Tabs, names: list[str]) -> None:
        for name in names:
            if name not in self._tab_ids:
                tab_id = f"tab-c{len(self._tab_ids)}"
                self._tab_ids[name] = tab_id
                tabs.add_tab(Tab(escape(name), id=tab_id))

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
        if model is not None and not model.live:
            # nothing more comes: not "following" (a finished run, or one opened from the history)
            text.append("■ ended" if model.finished is not None else "■ not followed", "bold")
            if not view.follow:
                text.append(" (end: last line)", "dim")
        elif view.follow:
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
        if self.window:
            text.append(f"  window {self.window}", "bold magenta")
        if self.window_problem:
            text.append(f"  {self.window_problem}", "bold red")
        if view.selection:
            text.append(f"  containers {view.selection.describe()}", "bold magenta")
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
        """Open the bar for ``search`` (highlight and jump), ``filter`` (hide other lines),
        ``window`` (newer lines, or the last ones) or ``containers`` (stern's regexes)."""
        self.bar_mode = mode
        bar = self.query_one("#log-bar", Input)
        bar.placeholder = PLACEHOLDERS[mode]
        bar.value = {"search": self.view.search_term, "filter": self.view.filter_term, "window": self.window,
                     "containers": self.view.selection.describe()}[mode]
        bar.add_class("-active")
        bar.focus()

    def set_window(self, text: str) -> None:
        """``5m``: lines of the last five minutes (of now while the run lives, else of its last line);
        ``200``: the last 200 lines shown; empty: all."""
        text = text.strip()
        self.window_problem = ""
        if not text:
            self.window = ""
            self.view.set_window("")
            return
        try:
            if text.isdigit():
                # 0: nothing ("~" sorts after every timestamp)
                since = self.view.last_shown_stamp(int(text)) if int(text) else "~"
                label = f"last {int(text):,} lines"
            else:
                seconds = parse_duration(text)
                since = rfc3339(self._window_end() - seconds)
                label = f"since {text}"
        except ValueError as exc:
            self.window_problem = str(exc)
            return
        self.window = label if not text.isdigit() else text
        self.view.set_window(since)

    def _window_end(self) -> float:
        """Where a time window ends: now while the run lives, else at its last line."""
        model = self.model
        buf = self.view.buffer
        if model is not None and not model.live and buf.total > buf.first:
            try:
                return dt.datetime.fromisoformat(buf[buf.total - 1].timestamp).timestamp()
            except ValueError:
                pass
        return clock.now()

    def set_containers(self, text: str) -> None:
        try:
            selection = ContainerSelection.parse(text)
        except ValueError as exc:
            self.window_problem = str(exc)
            return
        self.window_problem = ""
        self.view.set_window(self.view.since, selection)

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

    def _apply_bar(self, value: str) -> None:
        """The window and container bars apply on enter (a half-typed "5" would cut to 5 lines)."""
        if self.bar_mode == "window":
            self.set_window(value)
        elif self.bar_mode == "containers":
            self.set_containers(value)

    @on(Input.Submitted, "#log-bar")
    def _bar_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._apply_bar(event.value)
        self.close_bar()
        self.update_status()

    def on_key(self, event) -> None:
        if event.key == "escape" and self.bar_mode is not None:
            event.stop()
            self.close_bar()
