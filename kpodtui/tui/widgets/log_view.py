"""The log pane's scrolling body: a Line API widget over a :class:`LogRing`.

Why not ``Log``/``RichLog``: ``RichLog`` holds ~2k lines/s; ``Log`` starts a
thread per ``write_lines`` and repaints stale rows once it prunes (Textual
8.2.8). Here the ring buffer is owned by the run model, the widget renders only
the visible rows (cached per line), and the owner calls :meth:`lines_added`
once per frame however many batches arrived.

Two rendering modes:

- *simple* (the default): one row per line; ``scroll_y`` is a row number and
  long lines scroll horizontally;
- *rows* (wrap on, or JSON pretty-printing on): a line may take several rows.
  ``scroll_y`` then names the top *line*; at the end of the scroll range the
  view is anchored to the bottom so the live tail is always fully visible.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from rich.highlighter import JSONHighlighter
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kpodtui.loglines import TIMESTAMP, ContainerSelection, LineLayout
from kpodtui.tui.data.log_ring import HeldLine, LogIndex, LogRing
from kpodtui.tui.safe_text import log_text, safe_text

PALETTE = ("cyan", "magenta", "green", "yellow", "bright_blue", "bright_red", "bright_cyan", "orange1")
_JSON = JSONHighlighter()


def pretty_json(text: str) -> str | None:
    """The line pretty-printed when it is a JSON object or array, else None."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "{[":
        return None
    try:
        return json.dumps(json.loads(stripped), indent=2, ensure_ascii=False)
    except ValueError:
        return None


@dataclass
class _Row:
    absolute: int | None
    strip: Strip


class LogView(ScrollView, can_focus=True):
    """Virtualised view of a log ring buffer with follow, search, filter, wrap and JSON modes."""

    COMPONENT_CLASSES = {
        "logview--cursor",
        "logview--match",
        "logview--match-current",
        "logview--timestamp",
    }

    # Match colours meet WCAG AA (4.5:1) on every built-in theme (tests/tui/test_log_keys.py
    # computes it): the text colour is picked against the match background (``auto``). The
    # ANSI themes take the terminal's own palette: black on yellow / cyan reads everywhere.
    SCOPED_CSS = False  # the ANSI themes' rules below start at the App
    DEFAULT_CSS = """
    LogView {
        background: $surface;
        color: $foreground;
        & > .logview--cursor { background: $accent 30%; }
        & > .logview--match { background: $warning; color: auto 100%; }
        & > .logview--match-current { background: $accent-lighten-2; color: auto 100%; text-style: bold underline; }
        & > .logview--timestamp { color: $text-muted; }
    }
    App.-theme-ansi-dark LogView > .logview--match, App.-theme-ansi-light LogView > .logview--match {
        background: ansi_yellow; color: ansi_black;
    }
    App.-theme-ansi-dark LogView > .logview--match-current, App.-theme-ansi-light LogView > .logview--match-current {
        background: ansi_bright_cyan; color: ansi_black; text-style: bold underline;
    }
    """

    HELP_GROUP = "Log"

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("ctrl+u", "page(-0.5)", "Half page up", show=False),
        Binding("ctrl+d", "page(0.5)", "Half page down", show=False),
        Binding("home,g", "top", "Top", show=False),
        Binding("end,G", "tail", "Live tail", show=False),
        Binding("enter", "open_line", "Open line", show=False),
    ]

    follow: var[bool] = var(True)

    @dataclass
    class FollowChanged(Message):
        """Following the live tail was turned on or off."""

        view: LogView
        follow: bool

    @dataclass
    class CursorMoved(Message):
        """The cursor moved while a search is on (the status line's "3/11" follows it)."""

        view: LogView

    @dataclass
    class LineOpened(Message):
        """A line was opened (Enter or double click) to be shown whole."""

        view: LogView
        line: HeldLine

    def __init__(self, buffer: LogRing | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.buffer = buffer if buffer is not None else LogRing()
        self.containers: list[str] = []
        self.container: str | None = None  # None: all containers merged
        self.show_prefix = True
        self.timestamps = False
        self.wrap = False
        self.json_mode = False
        self.cursor: int | None = None  # absolute line number
        self._filter_re: re.Pattern[str] | None = None
        self.selection = ContainerSelection()  # stern's include/exclude of containers (C)
        self.since = ""  # only lines stamped at or after this (the window, L); "" shows all
        self._search_re: re.Pattern[str] | None = None
        self.search_term = ""
        self.filter_term = ""
        self.match_count = 0
        self._index: LogIndex | None = None
        self._matches: LogIndex | None = None  # lines shown that the search finds
        self._seen = self.buffer.first  # absolute number of the next line not yet measured
        # the buffer's first line as of the last lines_added: until the next one, row r
        # (unfiltered) names line _first + r, whatever the buffer dropped meanwhile
        self._first = self.buffer.first
        self._max_width = 0
        self._gen = 0  # bumped whenever the look of lines changes
        self._cache: LRUCache[tuple, Strip] = LRUCache(2048)
        self._rows_cache: LRUCache[tuple, list[Strip]] = LRUCache(512)
        self._frame: list[_Row] | None = None
        self._frame_key: tuple | None = None
        self._pass: tuple[list[_Row], int, Style, int] | None = None  # set while render_lines runs

    # -- data ------------------------------------------------------------------

    def set_buffer(self, buffer: LogRing, containers: list[str]) -> None:
        """Show another buffer (e.g. another run); keeps the toggles."""
        self.buffer = buffer
        self.containers = containers
        self.cursor = None
        self._seen = buffer.first
        self._max_width = 0
        self._rebuild_index()
        self.follow = True
        self.lines_added()

    def set_containers(self, names: list[str]) -> None:
        """The run's containers in the pod's order (their colours and the prefix width follow it)."""
        if names != self.containers:
            self.containers = list(names)
            self._restyle()
        else:
            self.containers = names

    @property
    def count(self) -> int:
        """Rows of the (filtered) view."""
        return len(self._index) if self._index is not None else len(self.buffer)

    def absolute_at(self, row: int) -> int:
        return self._index[row] if self._index is not None else self.buffer.first + row

    def row_of(self, absolute: int) -> int:
        if self._index is not None:
            return self._index.row_of(absolute)
        return max(0, absolute - self.buffer.first)

    def visible_lines(self) -> list[HeldLine]:
        """The lines currently on screen, top to bottom (tests and copy use this)."""
        seen: list[int] = []
        for row in self._rows():
            if row.absolute is not None and (not seen or seen[-1] != row.absolute):
                seen.append(row.absolute)
        return [self.buffer[a] for a in seen if a >= self.buffer.first]

    def _predicate(self) -> Callable[[HeldLine], bool] | None:
        container, rx = self.container, self._filter_re
        shown = self._window_predicate()
        if container is None and rx is None:
            return shown
        if rx is None:
            line_pred = lambda line: line.container == container  # noqa: E731
        elif container is None:
            line_pred = lambda line: rx.search(line.text) is not None  # noqa: E731
        else:
            line_pred = lambda line: line.container == container and rx.search(line.text) is not None  # noqa: E731
        if shown is None:
            return line_pred
        return lambda line: shown(line) and line_pred(line)

    def _window_predicate(self) -> Callable[[HeldLine], bool] | None:
        """The containers chosen (C) and the time window (L), or None when all lines are shown."""
        selection, since = self.selection, self.since
        if not selection and not since:
            return None
        if not selection:
            return lambda line: line.timestamp >= since
        names: dict[str, bool] = {}  # a few containers, many lines: decide each name once

        def chosen(line: HeldLine) -> bool:
            ok = names.get(line.container)
            if ok is None:
                ok = names[line.container] = selection.shows(line.container)
            return ok and line.timestamp >= since

        return chosen

    def set_window(self, since: str = "", selection: ContainerSelection | None = None) -> None:
        """Show only lines stamped at or after ``since`` ("" all) of the containers ``selection`` shows."""
        self.since = since
        if selection is not None:
            self.selection = selection
        self._rebuild_index()
        self._restyle()

    def last_shown_stamp(self, n: int) -> str:
        """The timestamp of the ``n``-th line from the end among those shown but for the window (a
        "last n lines" window starts there)."""
        since, self.since = self.since, ""
        pred = self._predicate()
        self.since = since
        seen = 0
        for absolute in range(self.buffer.total - 1, self.buffer.first - 1, -1):
            line = self.buffer[absolute]
            if pred is None or pred(line):
                seen += 1
                if seen == n:
                    return line.timestamp
        return ""

    def _rebuild_index(self) -> None:
        pred = self._predicate()
        self._index = LogIndex(self.buffer, pred) if pred is not None else None
        self._first = self.buffer.first
        self._recount_matches()

    def lines_added(self) -> None:
        """Take in what the buffer gained since the last call (call once per frame)."""
        buf = self.buffer
        top = None if self.follow else self._top_before_catch_up()
        if self._index is not None:
            self._index.catch_up()
        if self._matches is not None:
            self._matches.catch_up()  # also forgets the matches that left the buffer
            self.match_count = len(self._matches)
        self._first = buf.first
        # measured as the lines came in, off this thread (len() is a cheap stand-in for cell
        # width: wide characters only shorten the scroll range)
        self._max_width = max(self._max_width, buf.widest)
        self._seen = buf.total
        self._update_virtual_size()
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        elif top is not None:
            # the same line stays at the top; if it dropped out, the first line still held
            self.scroll_to(y=self.row_of(top), animate=False)
        self._invalidate()

    def _prefix_width(self) -> int:
        width = 13 if self.timestamps else 0
        if self._prefixed():
            width += max((len(c) for c in self.containers), default=0) + 3
        return width

    def _prefixed(self) -> bool:
        return self.show_prefix and self.container is None and len(self.containers) > 1

    def _layout(self) -> LineLayout:
        """How a line is laid out now: short time first, then the container padded to one width."""
        prefixed = self._prefixed()
        pad = max(len(c) for c in self.containers) + 2 if prefixed else 0
        return LineLayout(timestamps=self.timestamps, prefix=prefixed, stamp_first=True, short_stamps=True, pad=pad)

    def _update_virtual_size(self) -> None:
        width = self.scrollable_content_region.width if self.wrap else self._max_width + self._prefix_width()
        self.virtual_size = Size(width, self.count)

    def _top_absolute(self) -> int | None:
        if self.count == 0:
            return None
        row = min(int(self.scroll_y), self.count - 1)
        return self.absolute_at(row)

    def _top_before_catch_up(self) -> int | None:
        """The line at the top row as the reader sees it: rows still name the lines they
        named at the last :meth:`lines_added`, although the buffer may have dropped lines
        since (the filtered index forgets them only in its ``catch_up``)."""
        if self._index is None:
            return self._first + int(self.scroll_y)
        n = len(self._index)
        return self._index[min(int(self.scroll_y), n - 1)] if n else None

    # -- toggles -----------------------------------------------------------------

    def _restyle(self) -> None:
        self._gen += 1
        self._update_virtual_size()
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self._invalidate()

    def set_container(self, container: str | None) -> None:
        top = self.cursor if self.cursor is not None else (None if self.follow else self._top_absolute())
        self.container = container
        self._rebuild_index()
        self._restyle()
        if top is not None:
            self._scroll_to_absolute(top)

    def set_filter(self, term: str) -> None:
        """Show only lines containing ``term`` (case-insensitive); empty clears."""
        self.filter_term = term
        self._filter_re = re.compile(re.escape(term), re.IGNORECASE) if term else None
        self._rebuild_index()
        self._restyle()

    def set_search(self, term: str) -> int:
        """Highlight ``term`` and jump to its next occurrence; returns the match count."""
        self.search_term = term
        self._search_re = re.compile(re.escape(term), re.IGNORECASE) if term else None
        self._recount_matches()
        self._restyle()
        if term:
            self.next_match(1, include_current=True)
        return self.match_count

    def _recount_matches(self) -> None:
        """Index the lines shown (container and filter) that the search finds; kept up to
        date by :meth:`lines_added`, new lines in and dropped lines out."""
        rx = self._search_re
        if rx is None:
            self._matches = None
            self.match_count = 0
            return
        shown = self._predicate()
        if shown is None:
            self._matches = LogIndex(self.buffer, lambda line: rx.search(line.text) is not None)
        else:
            self._matches = LogIndex(self.buffer, lambda line: shown(line) and rx.search(line.text) is not None)
        self.match_count = len(self._matches)

    def toggle(self, what: str) -> bool:
        """Flip ``timestamps``, ``wrap``, ``json_mode`` or ``show_prefix``; returns the new value."""
        value = not getattr(self, what)
        setattr(self, what, value)
        self._restyle()
        return value

    # -- navigation ------------------------------------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._invalidate()

    def _keep_tail(self) -> None:
        """Following, but left above the end (the view grew a scrollbar or changed size after the
        last scroll): back to the end, so the last line stays in sight."""
        if self.follow and self.scroll_y < self.max_scroll_y:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
            self._invalidate()

    def watch_follow(self, follow: bool) -> None:
        if follow:
            self.cursor = None
            self._gen += 1
            self.scroll_end(animate=False, immediate=True, x_axis=False)
            self._invalidate()
        self.post_message(self.FollowChanged(self, follow))

    def action_tail(self) -> None:
        self.tail()

    def tail(self) -> None:
        """Jump back to the live tail and follow it."""
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.follow = True

    def _scroll_to_absolute(self, absolute: int, center: bool = True) -> None:
        row = self.row_of(absolute)
        height = self.scrollable_content_region.height
        y = row - height // 2 if center else row
        self.scroll_to(y=max(0, y), animate=False)
        self._invalidate()

    def _stop_following(self) -> None:
        if self.follow:
            self.follow = False

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._stop_following()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        if self.scroll_y >= self.max_scroll_y and self.cursor is None:
            self.follow = True

    def action_cursor(self, delta: int) -> None:
        if self.count == 0:
            return
        if self.cursor is None:
            # following: the tail is what the reader sees (even before the next frame scrolled there)
            rows = [] if self.follow else [r.absolute for r in self._rows() if r.absolute is not None]
            start = rows[-1] if rows else self.absolute_at(self.count - 1)
            self._stop_following()
            self.cursor = start
        else:
            row = max(0, min(self.count - 1, self.row_of(self.cursor) + delta))
            self._stop_following()
            self.cursor = self.absolute_at(row)
        self._gen += 1
        self._ensure_cursor_visible()
        if self.search_term:
            self.post_message(self.CursorMoved(self))

    def _ensure_cursor_visible(self) -> None:
        if self.cursor is None:
            return
        row = self.row_of(self.cursor)
        height = self.scrollable_content_region.height
        if row < self.scroll_y:
            self.scroll_to(y=row, animate=False)
        elif row >= self.scroll_y + height or self._is_rows_mode():
            visible = {r.absolute for r in self._rows()}
            if self.cursor not in visible or not self._is_rows_mode():
                self.scroll_to(y=max(0, row - height + 1) if not self._is_rows_mode() else row, animate=False)
        self._invalidate()

    def action_page(self, direction: float) -> None:
        """Scroll by ``direction`` pages (-1, 1; ±0.5 for half a page, as less's ctrl+u / ctrl+d)."""
        self._stop_following()
        height = self.scrollable_content_region.height
        self.scroll_to(y=self.scroll_y + round(direction * height), animate=False)
        if direction > 0 and self.scroll_y >= self.max_scroll_y and self.cursor is None:
            self.follow = True

    def action_top(self) -> None:
        self._stop_following()
        self.scroll_to(y=0, animate=False)

    def action_open_line(self) -> None:
        if self.cursor is not None and self.cursor >= self.buffer.first:
            self.post_message(self.LineOpened(self, self.buffer[self.cursor]))

    def current_line(self) -> HeldLine | None:
        """The cursor line, else the last visible line."""
        if self.cursor is not None and self.cursor >= self.buffer.first:
            return self.buffer[self.cursor]
        lines = self.visible_lines()
        return lines[-1] if lines else None

    def match_position(self) -> int | None:
        """Which match the cursor is on (1-based, as "3/11" says), or None when it is on none."""
        matches = self._matches
        cursor = self.cursor
        if matches is None or cursor is None or not len(matches):
            return None
        row = matches.row_of(cursor)
        return row + 1 if row < len(matches) and matches[row] == cursor else None

    def next_match(self, direction: int, include_current: bool = False) -> bool:
        """Move the cursor to the next (1) or previous (-1) line matching the search."""
        rx = self._search_re
        n = self.count
        if rx is None or n == 0:
            return False
        if self.cursor is not None:
            start = self.row_of(self.cursor)
        else:
            start = min(int(self.scroll_y), n - 1) if direction > 0 else min(n - 1, int(self.scroll_y) + self.size.height)
        if not include_current:
            start += direction
        for step in range(n):
            row = (start + direction * step) % n
            absolute = self.absolute_at(row)
            if rx.search(self.buffer[absolute].text):
                self._stop_following()
                self.cursor = absolute
                self._gen += 1
                self._scroll_to_absolute(absolute)
                return True
        return False

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        rows = self._rows()
        if 0 <= offset.y < len(rows) and rows[offset.y].absolute is not None:
            self._stop_following()
            self.cursor = rows[offset.y].absolute
            self._gen += 1
            self._invalidate()
            if self.search_term:
                self.post_message(self.CursorMoved(self))
            if event.chain == 2 and self.cursor is not None:
                self.post_message(self.LineOpened(self, self.buffer[self.cursor]))

    # -- rendering ------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._gen += 1
        self._invalidate()

    def on_resize(self, event: events.Resize) -> None:
        self._update_virtual_size()
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self._invalidate()

    def _invalidate(self) -> None:
        self._frame = None
        self.refresh()

    def _is_rows_mode(self) -> bool:
        return self.wrap or self.json_mode

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def _line_text(self, absolute: int, body: str | None = None) -> Text:
        line = self.buffer[absolute]
        text = Text(no_wrap=True, end="")
        for kind, part in self._layout().parts(line):
            if kind == TIMESTAMP:
                text.append(part + " ", self._style("logview--timestamp"))
            else:
                index = self.containers.index(line.container) if line.container in self.containers else 0
                text.append(part + " ", PALETTE[index % len(PALETTE)])
        start = len(text)
        shown = log_text(line.text) if body is None else safe_text(body)
        text.append_text(shown)
        content = shown.plain
        if self.json_mode and body is not None:
            _JSON.highlight(text)
        current = absolute == self.cursor
        if current:  # under the matches: a match on the cursor line keeps its own colours
            text.stylize(self._style("logview--cursor"))
        if self._search_re is not None:
            # the cursor's line holds the current match ("3/11"): marked apart from the others.
            # The whole style: a partial one picks ``color: auto`` against the widget's
            # background instead of the match's own.
            name = "logview--match-current" if current else "logview--match"
            match_style = self.get_component_rich_style(name, partial=False)
            for m in self._search_re.finditer(content):
                text.stylize(match_style, start + m.start(), start + m.end())
        return text

    def _strip(self, absolute: int) -> Strip:
        key = (absolute, self._gen, absolute == self.cursor)
        strip = self._cache.get(key)
        if strip is None:
            text = self._line_text(absolute)
            strip = Strip(text.render(self.app.console), text.cell_len)
            self._cache[key] = strip
        return strip

    def _expand(self, absolute: int, width: int) -> list[Strip]:
        key = (absolute, self._gen, width, absolute == self.cursor)
        rows = self._rows_cache.get(key)
        if rows is not None:
            return rows
        line = self.buffer[absolute]
        pretty = pretty_json(line.text) if self.json_mode else None
        console = self.app.console
        if pretty is None:
            text = self._line_text(absolute)
            if not self.wrap:
                rows = [Strip(text.render(console), text.cell_len)]
            else:
                text.no_wrap = False  # built for one row; Text.wrap leaves a no_wrap text whole
                rows = [Strip(t.render(console), t.cell_len) for t in text.wrap(console, max(1, width))]
        else:
            text = self._line_text(absolute, body=pretty)
            text.no_wrap = not self.wrap
            lines = text.split("\n") if not self.wrap else text.wrap(console, max(1, width))
            rows = [Strip(t.render(console), t.cell_len) for t in lines]
        rows = rows or [Strip.blank(0)]
        self._rows_cache[key] = rows
        return rows

    def _rows(self) -> list[_Row]:
        """The rows of the current frame, computed once per frame."""
        region = self.scrollable_content_region
        height, width = region.height, region.width
        key = (int(self.scroll_y), int(self.scroll_x), height, width, self._gen, self.count, self.buffer.total)
        if self._frame is not None and self._frame_key == key:
            return self._frame
        n = self.count
        rows: list[_Row] = []
        if self.follow and self.scroll_y < self.max_scroll_y:
            self.call_after_refresh(self._keep_tail)
        if not self._is_rows_mode():
            top = int(self.max_scroll_y) if self.follow else int(self.scroll_y)
            for row in range(top, min(n, top + height)):
                absolute = self.absolute_at(row)
                rows.append(_Row(absolute, self._strip(absolute)))
        elif n and self.scroll_y >= self.max_scroll_y and (self.follow or self.cursor is None):
            # bottom-anchored: the live tail is always fully visible
            row = n - 1
            while row >= 0 and len(rows) < height:
                absolute = self.absolute_at(row)
                rows[:0] = [_Row(absolute, s) for s in self._expand(absolute, width)]
                row -= 1
            if len(rows) > height:
                rows = rows[len(rows) - height :]
        else:
            row = int(self.scroll_y)
            while row < n and len(rows) < height:
                absolute = self.absolute_at(row)
                rows.extend(_Row(absolute, s) for s in self._expand(absolute, width))
                row += 1
            del rows[height:]
        self._frame, self._frame_key = rows, key
        return rows

    def render_lines(self, crop: Region) -> list[Strip]:
        # what every row of this pass shares, worked out once (per row it was a third of a
        # frame's cost while lines stream in)
        rows = self._rows()
        self._pass = (rows, self.scrollable_content_region.width, self.rich_style,
                      0 if self.wrap else int(self.scroll_x))
        try:
            return super().render_lines(crop)
        finally:
            self._pass = None

    def render_line(self, y: int) -> Strip:
        rows, width, style, scroll_x = self._pass or (
            self._rows(), self.scrollable_content_region.width, self.rich_style, 0 if self.wrap else int(self.scroll_x))
        if y >= len(rows):
            return Strip.blank(width, style)
        return rows[y].strip.crop_extend(scroll_x, scroll_x + width, style)
