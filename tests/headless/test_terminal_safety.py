"""Nothing a container prints can drive the user's terminal; piped output stays byte for byte.

The container prints every C0 and C1 control, OSC 52 (the clipboard), OSC 2 (the window
title), CSI 2J (clear the screen), a DCS string, a colour, a bidi override and bytes that
are not UTF-8. A terminal is a real pseudo-terminal given to `kpodtui` as its stdout.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kpodtui.cli import main
from kpodtui.history import History

# What the container writes, as bytes (printf octal escapes): one line of everything.
C0 = bytes(c for c in range(0x20) if c not in (0x0A,))  # a newline would end the line
C1 = "".join(chr(c) for c in range(0x80, 0xA0)).encode()
HOSTILE = (b"start " + C0 + b"\x7f " + C1 + b" \x1b]52;c;aGFja2Vk\x07 \x1b]2;owned\x1b\\ \x1b[2J \x1bP1$qm\x1b\\ "
           b"\x1b[31mred\x1b[0m \xe2\x80\xaetxt.exe \xff\xfe end")
# a byte that could still reach a terminal: ESC (only as a colour we re-emit), C0 but TAB, DEL, C1, U+202E
_DANGER = re.compile(rb"[\x00-\x08\x0a-\x1a\x1c-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80\xae")  # ESC: counted apart


def _printf_arg(data: bytes) -> str:
    return "".join(f"\\{b:03o}" for b in data)


def _spec(tmp_path: Path, *extra: str) -> Path:
    path = tmp_path / "hostile.yaml"
    path.write_text(textwrap.dedent(f"""\
        task_id: hostile
        image: busybox
        cmds: [sh, -c, 'printf "{_printf_arg(HOSTILE)}\\n"; {extra[0] if extra else "true"}']
        """) + "".join(f"{line}\n" for line in extra[1:]))
    return path


def _run_on_a_terminal(args: list[str], env: dict) -> tuple[int, bytes]:
    """``kpodtui ARGS`` with a pseudo-terminal as stdout; (exit code, what the terminal received)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "kpodtui", *args], stdout=slave, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    got = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            pytest.fail("kpodtui did not finish")
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        got += chunk
    os.close(master)
    return proc.wait(timeout=60), got


def test_piped_output_is_byte_for_byte(tmp_path, sim_kubeconfig):
    proc = subprocess.run([sys.executable, "-m", "kpodtui", "run", str(_spec(tmp_path))], capture_output=True,
                          timeout=120, env={**os.environ, "KUBECONFIG": sim_kubeconfig})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"[base] " + HOSTILE + b"\n"
    (record,) = History.open().list_runs()
    piped = subprocess.run([sys.executable, "-m", "kpodtui", "logs", record.id], capture_output=True, timeout=60)
    assert piped.stdout == b"[base] " + HOSTILE + b"\n"


def test_a_terminal_gets_every_control_escaped_and_colours_kept(tmp_path, sim_kubeconfig):
    env = {**os.environ, "KUBECONFIG": sim_kubeconfig}
    code, shown = _run_on_a_terminal(["run", str(_spec(tmp_path))], env)
    assert code == 0
    line = shown.replace(b"\r\n", b"\n").strip(b"\n")  # the terminal's own line ending
    assert b"\n" not in line, line
    assert not _DANGER.search(line), line
    escapes = re.findall(rb"\x1b\[[0-9;]*m", line)
    assert line.count(b"\x1b") == len(escapes), "only colour sequences reach the terminal"
    for visible in (rb"\x1b]52;c;aGFja2Vk\x07", rb"\x1b]2;owned\x1b" + b"\\ ", rb"\x1b[2J", rb"\x1bP1$qm\x1b" + b"\\ ",
                    rb"\x9b", rb"\u202etxt.exe", rb"\xff\xfe end", rb"\x00\x01\x02"):
        assert visible in line, (visible, line)
    assert b"\x1b[31mred\x1b[0m" in line and line.endswith(b"\x1b[0m")
    (record,) = History.open().list_runs()
    code, logs = _run_on_a_terminal(["logs", record.id], env)
    assert code == 0 and logs.replace(b"\r\n", b"\n").strip(b"\n") == line
    code, raw = _run_on_a_terminal(["logs", record.id, "--raw"], env)
    assert code == 0 and b"\x1b]52;c;aGFja2Vk\x07" in raw, "--raw: byte for byte, as asked"


def test_the_failure_report_quotes_the_termination_message_escaped(tmp_path, sim_kubeconfig, capsysbinary):
    spec = _spec(tmp_path, "exit 3", "termination_message_policy: FallbackToLogsOnError")
    assert main(["run", str(spec)]) == 1
    out, err = capsysbinary.readouterr()
    assert out == b"[base] " + HOSTILE + b"\n", "stdout is not a terminal here: byte for byte"
    assert "failure report" in err.decode(errors="replace")
    assert not _DANGER.search(err.replace(b"\n", b"")), err
    assert b"\x1b" not in err and rb"\x1b]52;c;aGFja2Vk\x07" in err
    (record,) = History.open().list_runs()
    assert "\x1b]52" in (record.failure_report or ""), "the history keeps the words as they were"
    assert main(["attach", record.id]) == 1
    err = capsysbinary.readouterr().err
    assert b"\x1b" not in err and rb"\x1b]52;c;aGFja2Vk\x07" in err


def test_an_error_echoing_a_set_value_escapes_it(tmp_path, capsys):
    path = tmp_path / "t.yaml"
    path.write_text("task_id: t\nimage: b\n")
    assert main(["validate", str(path), "--set", "imgae=\x1b]52;c;aGk=\x07"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "--set imgae=\\x1b]52;c;aGk=\\x07: imgae: unknown key" in err
