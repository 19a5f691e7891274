"""The log view as a less/k9s user drives it: wrap, vim keys, the search's "3/11" and its colours."""

from __future__ import annotations

from rich.color import Color as RichColor
from rich.segment import Segment
from rich.terminal_theme import DEFAULT_TERMINAL_THEME

from kpodtui.engine.events import LogBatch, LogLine

from .conftest import wait_for
from .fakes import FakeBackend, live_run_events, ts
from .test_log_view_counts import PaneApp, status
from .test_run_view import launch, make_app

LONG = "start " + " ".join(f"word{i:03d}" for i in range(60)) + " finish"  # ~480 characters


def _rows_text(view) -> list[str]:
    width = view.scrollable_content_region.width
    return [view.render_line(y).crop(0, width).text.rstrip() for y in range(view.scrollable_content_region.height)]


def _with_long_line() -> FakeBackend:
    events = live_run_events("x", lines=5)
    events.append(LogBatch("x", (LogLine("base", ts(40), LONG), LogLine("base", ts(41), "after"))))
    return FakeBackend(script=events)


async def test_wrap_really_wraps_the_long_line_at_80_columns():
    app = make_app(_with_long_line())
    # 80 columns; 30 rows so that the wrapped line fits whole under the folded events pane
    async with app.run_test(size=(80, 30)) as pilot:
        screen = await launch(app, pilot)
        view = screen.pane.view
        await wait_for(pilot, lambda: view.count == 7, what="lines")
        rows = _rows_text(view)
        assert not any("finish" in r for r in rows)  # cut at the pane's edge
        await pilot.press("w")
        await pilot.pause()
        rows = _rows_text(view)
        joined = " ".join(r.strip() for r in rows)
        assert "word000" in joined and "word059 finish" in joined  # every word, none cut mid-way
        assert sum(1 for r in rows if "word" in r) >= 4
        assert all(len(r) <= view.scrollable_content_region.width for r in rows)
        assert [r for r in rows if r.strip()][-1].strip().endswith("after")  # the live tail stays in view


async def test_wrap_works_in_max_logs_mode_too():
    app = make_app(_with_long_line())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await launch(app, pilot)
        view = screen.pane.view
        await wait_for(pilot, lambda: view.count == 7, what="lines")
        await pilot.press("m", "w")
        await pilot.pause()
        assert screen.maximized is view
        joined = " ".join(r.strip() for r in _rows_text(view))
        assert "word059 finish" in joined


async def test_vim_keys_move_in_the_log():
    app = make_app(FakeBackend(script=live_run_events("x", lines=300)))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await launch(app, pilot)
        view = screen.pane.view
        await wait_for(pilot, lambda: view.count == 300, what="lines")
        await pilot.press("k")
        assert not view.follow and view.cursor == 299  # the cursor appears on the last line
        await pilot.press("k", "k", "j")
        assert view.cursor == 298
        await pilot.press("g")
        assert view.scroll_y == 0 and view.visible_lines()[0].text == "heartbeat 0"
        height = view.scrollable_content_region.height
        await pilot.press("ctrl+d")
        assert view.scroll_y == round(height / 2)
        await pilot.press("ctrl+d", "ctrl+u")
        assert view.scroll_y == round(height / 2)
        await pilot.press("G")
        assert view.follow and view.visible_lines()[-1].text == "step 299: processing item 2093"


async def test_search_says_which_match_and_marks_it_apart():
    app = make_app(FakeBackend(script=live_run_events("x", lines=60)))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await launch(app, pilot)
        view = screen.pane.view
        await wait_for(pilot, lambda: view.count == 60, what="lines")
        await pilot.press("slash", *"heartbeat", "enter")
        assert view.match_count == 20
        first = view.match_position()
        assert first is not None and f"{first}/20" in status(screen)
        await pilot.press("n")
        assert view.match_position() == first % 20 + 1 and f"{first % 20 + 1}/20" in status(screen)
        await pilot.press("N", "N")
        assert f"{(first - 2) % 20 + 1}/20" in status(screen)
        await pilot.press("k")  # off the matches: the count stays, the position goes
        assert view.match_position() is None and "20 matches" in status(screen)
        await pilot.press("j")
        current, other = _match_styles(view)
        assert current and other
        assert {s.bgcolor for s in current}.isdisjoint({s.bgcolor for s in other})


def _match_styles(view) -> tuple[list, list]:
    """The styles of the search's matches on screen: (on the cursor's line, on the other lines)."""
    current, other = [], []
    rows = view._rows()
    for y, row in enumerate(rows):
        line = view.render_line(y)
        text = line.text
        for segment, start in _segments(line):
            if segment.style is None or "heartbeat"[: len(segment.text)] != segment.text[:9] or not segment.text:
                continue
            if not text[start:].startswith("heartbeat"):
                continue
            (current if row.absolute == view.cursor else other).append(segment.style)
    return current, other


def _segments(strip) -> list[tuple[Segment, int]]:
    out, x = [], 0
    for segment in strip:
        out.append((segment, x))
        x += len(segment.text)
    return out


def _rgb(color: RichColor | None, fallback: tuple[int, int, int]) -> tuple[int, int, int]:
    if color is None or color.is_default:
        return fallback
    t = color.get_truecolor(DEFAULT_TERMINAL_THEME)
    return t.red, t.green, t.blue


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(fg: tuple[int, int, int], bg: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio."""
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


async def test_match_colours_meet_wcag_aa_on_every_built_in_theme():
    app = PaneApp(capacity=100)
    async with app.run_test(size=(80, 12)) as pilot:
        app.feed([("base", f"heartbeat {i}") for i in range(5)])
        app.view.set_search("heartbeat")
        app.view.action_cursor(-1)  # one of the matches is the current one
        app.view.action_cursor(-1)
        checked = []
        for theme in sorted(app.available_themes):
            app.theme = theme
            await pilot.pause()
            app.view.notify_style_update()
            current, other = _match_styles(app.view)
            assert current and other, theme
            for style in current + other:
                ratio = contrast(_rgb(style.color, (255, 255, 255)), _rgb(style.bgcolor, (0, 0, 0)))
                assert ratio >= 4.5, f"{theme}: {style} has contrast {ratio:.2f}"
            assert {s.bgcolor for s in current}.isdisjoint({s.bgcolor for s in other}), theme
            checked.append(theme)
        assert len(checked) >= 20
