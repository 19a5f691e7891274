"""Text from containers and users cannot drive a terminal: every control is shown as an escape."""

from __future__ import annotations

import re

from kpodtui.termsafe import escape, split_sgr, terminal_line

HOSTILE = ("ok \x1b]52;c;aGFja2Vk\x07 clip \x1b]2;title\x1b\\ \x1b[2J \x1bP1$qm\x1b\\ \x9b2J \x9d0;x\x9c "
           "\r\x08\x7f \u202egnp.exe bad:\udcff\udcfe end")


def test_every_control_is_visible_and_nothing_can_reach_the_terminal():
    out = escape(HOSTILE, newlines=False)
    assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e\ud800-\udfff]", out), out
    assert "\\x1b]52;c;aGFja2Vk\\x07" in out and "\\x1b]2;title\\x1b\\" in out and "\\x1b[2J" in out
    assert "\\x9b2J" in out and "\\r\\x08\\x7f" in out and "\\u202egnp" in out and "bad:\\xff\\xfe" in out
    every = "".join(chr(c) for c in (*range(0x20), 0x7f, *range(0x80, 0xa0)))
    assert not re.search("[\x00-\x08\x0a-\x1f\x7f-\x9f]", escape(every, newlines=False))  # a tab stays a tab
    assert escape("tab\tand\nnewline") == "tab\tand\nnewline"  # a message keeps its layout
    assert escape("plain text ünïcödé") == "plain text ünïcödé"


def test_colours_are_parsed_and_the_rest_escaped():
    parts = list(split_sgr("\x1b[1;31mred\x1b[0m \x1b[2Jx"))
    assert parts == [("", "1;31"), ("red", None), ("", "0"), (" \\x1b[2Jx", None)]


def test_a_terminal_gets_colours_and_a_reset_never_other_sequences():
    line = terminal_line("\x1b[32mgreen\x1b]2;owned\x07 \x1b[?1049h")
    assert line == "\x1b[32mgreen\\x1b]2;owned\\x07 \\x1b[?1049h\x1b[0m"
    assert terminal_line("plain") == "plain"
