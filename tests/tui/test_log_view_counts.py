"""The log view's bookkeeping as lines arrive: the search's match count and a paused view's position.

The bounded buffer keeps only the newest lines (older ones are in the log file):
a small ``capacity`` on the run model makes lines drop after a few batches.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.screen import Screen

from kpodtui.engine.events import LogBatch, LogLine
from kpodtui.tui.data.run_model import RunModel
from kpodtui.tui.widgets.log_pane import LogPane
from kpodtui.tui.widgets.log_view import LogView

from .conftest import rendered_text, wait_for
from .fakes import FakeBackend, live_run_events
from .test_run_view import launch, make_app


class PaneApp(App):
    """One log pane over a run model of small capacity, fed by the test (as the run screen does)."""

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.model = RunModel("r", capacity=capacity)

    def compose(self) -> ComposeResult:
        yield LogPane(self.model)

    @property
    def pane(self) -> LogPane:
        return self.query_one(LogPane)

    @property
    def view(self) -> LogView:
        return self.query_one(LogView)

    def feed(self, lines: list[tuple[str, str]]) -> None:
        """One frame: the model takes a batch, then the pane is synced."""
        self.model.apply([LogBatch("r", tuple(LogLine(c, "", text) for c, text in lines))])
        self.pane.sync()


def status(node: App | Screen) -> str:
    return " ".join(rendered_text(node.query_one("#log-status")).split())


def shown_matches(view: LogView) -> int:
    """Lines of the view (under its container and filter) that the search finds."""
    rx = view._search_re
    assert rx is not None
    return sum(1 for row in range(view.count) if rx.search(view.buffer[view.absolute_at(row)].text))


async def test_new_lines_hidden_by_the_filter_are_not_counted_as_matches():
    backend = FakeBackend(script=live_run_events("x"))
    app = make_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await launch(app, pilot)
        view = screen.query_one(LogView)
        await wait_for(pilot, lambda: view.count == 30, what="30 lines")
        await pilot.press("F", *"heartbeat", "enter")
        await wait_for(pilot, lambda: view.filter_term == "heartbeat", what="filter")
        await pilot.press("slash", *"step", "enter")
        await wait_for(pilot, lambda: view.search_term == "step", what="search")
        assert view.match_count == 0  # no heartbeat line says "step"
        handle = backend.handles["run1"]
        # lines that say "step" but are hidden by the filter
        handle.emit(LogBatch("run1", tuple(LogLine("base", "", f"step {100 + i}: late") for i in range(5))))
        await wait_for(pilot, lambda: view.buffer.total == 35, what="5 more lines")
        await pilot.pause()
        assert view.match_count == shown_matches(view) == 0
        assert "'step': 0 matches" in status(screen)
        # lines that pass the filter and say "step"
        handle.emit(LogBatch("run1", (LogLine("sidecar", "", "heartbeat step a"), LogLine("base", "", "heartbeat step b"))))
        await wait_for(pilot, lambda: view.buffer.total == 37, what="2 more lines")
        await pilot.pause()
        assert view.match_count == shown_matches(view) == 2
        assert "'step': 2 matches" in status(screen)
        await pilot.press("n")
        await wait_for(pilot, lambda: view.cursor is not None, what="n moves to a match")
        assert view.buffer[view.cursor].text.startswith("heartbeat step")


async def test_match_count_follows_the_container_tab_and_lines_leaving_the_buffer():
    app = PaneApp(capacity=20)
    async with app.run_test(size=(100, 20)) as pilot:
        view = app.view
        app.feed([("a" if i % 2 else "b", f"step {i}") for i in range(20)])
        await wait_for(pilot, lambda: view.count == 20, what="20 lines")
        view.set_container("a")
        assert view.set_search("step") == 10
        # new lines of the other container are not counted
        app.feed([("b", f"step {i}") for i in range(20, 24)])
        assert view.match_count == shown_matches(view) == 8  # 2 of a's lines dropped
        # lines leaving the buffer take their matches with them
        app.feed([("a", f"other {i}") for i in range(24, 40)])
        assert view.buffer.first == 20
        assert view.match_count == shown_matches(view) == 0
        app.pane.update_status()
        assert "'step': 0 matches" in status(app)


async def test_match_count_with_a_filter_when_lines_leave_the_buffer():
    app = PaneApp(capacity=20)
    async with app.run_test(size=(100, 20)) as pilot:
        view = app.view
        view.set_filter("keep")
        view.set_search("step")
        app.feed([("a", f"keep step {i}") for i in range(10)] + [("a", f"step {i}") for i in range(10)])
        await wait_for(pilot, lambda: view.buffer.total == 20, what="20 lines")
        assert view.match_count == shown_matches(view) == 10
        app.feed([("a", f"keep {i}") for i in range(15)])  # drops 15 lines: all "keep step" ones, 5 others
        assert view.buffer.first == 15
        assert view.match_count == shown_matches(view) == 0
        app.feed([("a", "keep step again"), ("a", "step only")])
        assert view.match_count == shown_matches(view) == 1


async def _paused_in_the_middle(pilot, app: PaneApp, lines: int) -> str:
    view = app.view
    app.feed([("a", f"line {i}") for i in range(lines)])
    await wait_for(pilot, lambda: view.count == lines, what="lines")
    view.focus()
    await wait_for(pilot, lambda: view.has_focus, what="the view focused")
    await pilot.press("home", "pagedown")
    await wait_for(pilot, lambda: not view.follow and int(view.scroll_y) > 0, what="paused in the middle")
    return view.visible_lines()[0].text


async def test_a_paused_view_keeps_its_top_line_while_old_lines_drop():
    app = PaneApp(capacity=60)
    async with app.run_test(size=(100, 20)) as pilot:
        view = app.view
        top = await _paused_in_the_middle(pilot, app, 60)
        height = view.scrollable_content_region.height
        assert top == f"line {height}"
        for batch in range(3):
            app.feed([("a", f"new {batch}.{i}") for i in range(4)])
            await pilot.pause()
            assert view.buffer.dropped == 4 * (batch + 1)
            assert not view.follow
            assert view.visible_lines()[0].text == top, f"batch {batch}"
        # the top line itself drops: the oldest line still held is at the top
        app.feed([("a", f"flood {i}") for i in range(height)])
        await pilot.pause()
        assert view.buffer.first > height
        assert view.visible_lines()[0] == view.buffer[view.buffer.first]
        assert int(view.scroll_y) == 0 and not view.follow


async def test_a_paused_wrapped_view_keeps_its_top_line_while_old_lines_drop():
    app = PaneApp(capacity=60)
    async with app.run_test(size=(100, 20)) as pilot:
        view = app.view
        view.toggle("wrap")
        top = await _paused_in_the_middle(pilot, app, 60)
        app.feed([("a", f"new {i}") for i in range(7)])
        await pilot.pause()
        assert view.buffer.dropped == 7
        assert view.visible_lines()[0].text == top


async def test_a_paused_view_that_was_not_shown_while_lines_dropped_keeps_its_top_line():
    """Lines keep arriving while another screen is shown; the view catches up in one go."""
    app = PaneApp(capacity=60)
    async with app.run_test(size=(100, 20)) as pilot:
        view = app.view
        top = await _paused_in_the_middle(pilot, app, 60)
        for batch in range(3):  # the model takes batches, the view hears of them later
            app.model.apply([LogBatch("r", tuple(LogLine("a", "", f"new {batch}.{i}") for i in range(3)))])
        app.pane.sync()
        await pilot.pause()
        assert view.buffer.dropped == 9
        assert view.visible_lines()[0].text == top


async def test_a_paused_filtered_view_keeps_its_top_line_while_old_lines_drop():
    app = PaneApp(capacity=60)
    async with app.run_test(size=(100, 20)) as pilot:
        view = app.view
        app.feed([("a", f"line {i}" + (" odd" if i % 2 else "")) for i in range(60)])
        view.set_filter("odd")
        await wait_for(pilot, lambda: view.count == 30, what="the odd lines")
        view.focus()
        await wait_for(pilot, lambda: view.has_focus, what="the view focused")
        await pilot.press("home")
        await wait_for(pilot, lambda: not view.follow, what="paused")
        view.scroll_to(y=5, animate=False)
        assert int(view.scroll_y) == 5
        top = view.visible_lines()[0].text
        app.feed([("a", f"new {i} odd") for i in range(8)])
        await pilot.pause()
        assert view.buffer.dropped == 8 and view.count == 34  # 4 odd lines dropped, 8 came
        assert view.visible_lines()[0].text == top


async def test_a_view_that_takes_in_less_than_arrived_says_how_far_behind_and_catches_up(monkeypatch):
    """A frame takes in a bounded number of lines; the rest waits, and the status line says so."""
    from kpodtui.tui.data import followed

    monkeypatch.setattr(followed, "DRAIN_LINES", 10)  # one batch of 10 per frame
    backend = FakeBackend(script=live_run_events("x"))
    app = make_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await launch(app, pilot)
        view = screen.query_one(LogView)
        await wait_for(pilot, lambda: view.buffer.total == 30, what="the first 30 lines")
        handle = backend.handles["run1"]
        for b in range(12):
            handle.emit(LogBatch("run1", tuple(LogLine("base", "", f"burst {b * 10 + i}") for i in range(10))))
        await wait_for(pilot, lambda: "behind by" in status(screen), what="the status saying it is behind")
        await wait_for(pilot, lambda: view.buffer.total == 150, what="every line, at last")
        await wait_for(pilot, lambda: "behind by" not in status(screen), what="caught up")
        assert [view.buffer[a].text for a in range(30, 150)] == [f"burst {i}" for i in range(120)]
