"""Log chunks: the bulk form of log lines, their cursors and their layouts."""

from __future__ import annotations

import itertools

import pytest

from kpodtui.loglines import LineLayout, LogChunk, LogCursor, LogLine

A = "2026-01-01T00:00:01.000000001Z"
B = "2026-01-01T00:00:01.000000002Z"


def test_a_chunk_knows_its_lines_and_how_many_end_on_its_last_stamp():
    lines = [LogLine("base", A, "one"), LogLine("base", B, "two"), LogLine("base", B, ""),
             LogLine("base", B, "four\xff\udcff")]  # fmt: skip
    chunk = LogChunk.of_lines("base", lines)
    assert chunk.data.startswith(f"{A} one\n{B} two\n{B} \n".encode())
    assert (chunk.count, chunk.last_ts, chunk.same_ts) == (4, B, 3)
    assert chunk.lines() == lines  # bytes that were not UTF-8 come back as they were
    # the cursor advances per chunk exactly as it does line by line
    start = LogCursor(B, 2, 7)
    assert start.after(chunk) == start.advance(lines) == LogCursor(B, 3, 11)
    whole_b = LogChunk.of_lines("base", lines[1:])
    assert LogCursor(B, 2, 7).after(whole_b) == LogCursor(B, 2, 7).advance(lines[1:]) == LogCursor(B, 5, 10)


def test_lines_without_a_stamp_and_stamps_out_of_order():
    lines = [LogLine("c", "", "x"), LogLine("c", A, "y"), LogLine("c", "", "z")]
    chunk = LogChunk.of_lines("c", lines)
    assert chunk.lines() == lines
    assert (chunk.last_ts, chunk.same_ts) == ("", 1)
    assert LogCursor().after(chunk) == LogCursor().advance(lines)


def test_group_keeps_the_order_of_containers():
    lines = [LogLine("a", A, "1"), LogLine("a", A, "2"), LogLine("b", A, "3"), LogLine("a", B, "4")]
    chunks = LogChunk.group(lines)
    assert [(c.container, c.count) for c in chunks] == [("a", 2), ("b", 1), ("a", 1)]
    assert [ln for c in chunks for ln in c.lines()] == lines


@pytest.mark.parametrize(
    "layout",
    [LineLayout(timestamps=t, prefix=p, stamp_first=s, short_stamps=short, pad=pad)
     for t, p, s, short, pad in itertools.product([False, True], [False, True], [False, True], [False, True], [0, 12])],
)  # fmt: skip
def test_render_in_bulk_is_the_layout_of_each_line(layout: LineLayout):
    lines = [LogLine("base", A, "first line"), LogLine("base", B, ""), LogLine("base", B, "with  spaces "),
             LogLine("base", "", "no stamp"), LogLine("base", B, "caf\xe9 \udcff")]  # fmt: skip
    for some in (lines, lines[:1], [ln for ln in lines if ln.timestamp]):
        chunk = LogChunk.of_lines("base", some)
        assert layout.render(chunk) == layout.join(some).encode("utf-8", "surrogateescape")


def test_the_last_stamps_run_is_found_in_any_chunk_of_a_stream():
    import random

    rnd = random.Random(3)
    for _ in range(500):
        t, lines = 0, []
        for _ in range(rnd.randint(1, 40)):
            t += rnd.choice([0, 0, 1, 3])  # stamps shared by runs of lines, as a read of the sim's
            lines.append(LogLine("b", f"2026-01-01T00:00:00.{t:09d}Z", "x" * rnd.randint(0, 5)))
        chunk = LogChunk("b", LogChunk.of_lines("b", lines).data)  # as read from a stream: ordered
        assert LogCursor().after(chunk) == LogCursor().advance(lines)
