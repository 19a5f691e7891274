"""Specs that cannot hurt: hostile input is refused with a few lines, exit 2, no traceback.

Every case runs the real CLI in a subprocess whose address space is limited to 3 GB
(a YAML alias bomb used to take 3 GB and a minute, ``'a' * 2000000000`` 2 GB); the
generous timeout only catches a hang: how fast each case is refused is measured by
``bench/hostile_inputs.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

LIMIT_AS = 3 * 1024**3
_RUNNER = textwrap.dedent(f"""
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, ({LIMIT_AS}, {LIMIT_AS}))
    from kpodtui.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def kpodtui(*args: str, cwd: Path, stdin: bytes | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _RUNNER, *args], cwd=cwd, input=stdin, capture_output=True,
                          timeout=60, env={**os.environ, **(env or {})})


def refused(proc: subprocess.CompletedProcess, *fragments: str, lines: int = 1) -> str:
    err = proc.stderr.decode()
    assert proc.returncode == 2, (proc.returncode, err)
    assert "Traceback" not in err, err
    assert proc.stdout == b"", proc.stdout
    assert 1 <= len(err.strip().splitlines()) <= lines, err
    for fragment in fragments:
        assert fragment in err, err
    return err


BOMB = "\n".join(["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
                 + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)])

TEMPLATES = [
    # (an argument of the base container, what the one line says)
    ("{{ 1/0 }}", "arguments[0]: the template failed: ZeroDivisionError: division by zero"),
    ("{{ task_id + 1 }}", "arguments[0]: the template failed: TypeError"),
    ("{% for i in range(10**9) %}x{% endfor %}", "arguments[0]: the template is refused: range() of 1,000,000,000 items"),
    ("{% for i in range(9999) %}{% for j in range(9999) %}{% endfor %}{% endfor %}",
     "rendering is stopped: it takes more than 0.25 s of CPU time"),
    ("{{ 'a' * 2000000000 }}", "arguments[0]: the template is refused: 1 * 2,000,000,000 would make"),
    ("{{ 2 ** 10000000 }}", "arguments[0]: the template is refused: 2 ** 10000000 would have about"),
    ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(1) }}", "arguments[0]: the template recurses too deeply"),
    ("{{ 'x'|center(2000000000) }}", "arguments[0]: the template needs too much memory"),
    ("{{ 'ab'.ljust(500000000) }}", "arguments[0]: the template needs too much memory"),
    ("{{ lipsum(n=10000000) }}", "rendering is stopped: it takes more than 0.25 s of CPU time"),
    ("{{ params.missing }}", "arguments[0]: the template uses an undefined name: params.missing"),
    ("{{ params.list[7] }}", "arguments[0]: the template uses an undefined name: params.list[7]"),
    ("{{ nope }}", "arguments[0]: the template uses an undefined name: nope"),
    ("{{ params.__class__ }}", "arguments[0]: the template is broken: access to attribute '__class__'"),
]


@pytest.mark.parametrize(("arg", "says"), TEMPLATES, ids=[t[0][:40] for t in TEMPLATES])
def test_a_hostile_template_is_one_line_and_bounded(tmp_path, arg, says):
    (tmp_path / "t.yaml").write_text(f"task_id: t\nimage: b\nparams: {{list: [1]}}\narguments: [ok, {arg!r}]\n"
                                     .replace("[ok, ", "["))
    refused(kpodtui("validate", "t.yaml", cwd=tmp_path), "t.yaml:4:", says)


def test_a_template_error_names_its_item_and_line(tmp_path):
    (tmp_path / "t.yaml").write_text("task_id: t\nimage: b\narguments:\n  - ok\n  - '{{ params.nope }}'\n")
    refused(kpodtui("validate", "t.yaml", cwd=tmp_path),
            "t.yaml:5:5: arguments[1]: the template uses an undefined name: params.nope")


def test_a_rendered_text_that_is_an_alias_bomb_is_refused(tmp_path):
    (tmp_path / "t.yaml").write_text("task_id: t\nimage: b\ncmds: '{{ params.s }}'\nparams:\n  s: |\n"
                                     + textwrap.indent(BOMB + "\nz: [*a8, *a8]\n", "    "))
    refused(kpodtui("validate", "t.yaml", cwd=tmp_path), "t.yaml:3:1: cmds: the template renders to invalid YAML",
            "alias bomb")


def test_alias_bomb_recursive_alias_and_deep_nesting_are_refused(tmp_path):
    bomb = f"task_id: t\nimage: b\nparams:\n{textwrap.indent(BOMB, '  ')}\n"
    assert len(bomb) < 600
    (tmp_path / "bomb.yaml").write_text(bomb)
    refused(kpodtui("validate", "bomb.yaml", cwd=tmp_path), "bomb.yaml:", "more than 100,000 values (an alias bomb?)")
    (tmp_path / "rec.yaml").write_text("task_id: t\nimage: b\nparams: &p {self: *p}\n")
    refused(kpodtui("validate", "rec.yaml", cwd=tmp_path), "rec.yaml:3:9:", "an alias refers to a node that contains it")
    (tmp_path / "deep.yaml").write_text("task_id: t\nimage: b\nparams: " + "[" * 200 + "]" * 200 + "\n")
    refused(kpodtui("validate", "deep.yaml", cwd=tmp_path), "deep.yaml:", "nested more than 100 levels deep")


def test_set_with_a_5000_level_key_or_an_alias_bomb_is_one_line(tmp_path):
    (tmp_path / "t.yaml").write_text("task_id: t\nimage: b\n")
    key = ".".join(["a"] * 5000)
    err = refused(kpodtui("validate", "t.yaml", "--set", f"params.{key}=1", cwd=tmp_path),
                  "the key has 5001 levels; a spec is at most 100 deep")
    assert len(err) < 400
    flow = "[" + ", ".join(f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" if i else "&a0 [1, 2, 3, 4, 5, 6, 7, 8, 9]"
                           for i in range(9)) + "]"
    refused(kpodtui("validate", "t.yaml", "--set", f"params.x={flow}", cwd=tmp_path), "alias bomb")


def test_special_files_are_refused_before_reading(tmp_path):
    refused(kpodtui("validate", "/dev/zero", cwd=tmp_path), "/dev/zero: is a character device, not a spec file")
    os.mkfifo(tmp_path / "fifo")
    refused(kpodtui("validate", "fifo", cwd=tmp_path), "fifo: is a named pipe (FIFO), not a spec file")
    refused(kpodtui("validate", str(tmp_path), cwd=tmp_path), "is a directory, not a spec file")
    (tmp_path / "big.yaml").write_text("task_id: t\nimage: b\n" + "# padding\n" * 120_000)
    refused(kpodtui("validate", "big.yaml", cwd=tmp_path), "big.yaml: is larger than 1024 KiB")
    (tmp_path / "t.yaml").write_text("task_id: t\nimage: b\npod_template_file: /dev/zero\n")
    refused(kpodtui("validate", "t.yaml", cwd=tmp_path),
            "t.yaml:3:1: pod_template_file: is a character device, not a pod template file: /dev/zero")
    (tmp_path / "t2.yaml").write_text("task_id: t\nimage: b\npod_template_file: fifo\n")
    refused(kpodtui("validate", "t2.yaml", cwd=tmp_path), f"is a named pipe (FIFO), not a pod template file: {tmp_path}/fifo")


@pytest.mark.parametrize("content", [
    "root:$6$SECRETSALT$SECRETHASH:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n",  # /etc/shadow
    "SECRET_TOKEN: hunter2-SECRET\nother: SECRET\n",  # a mapping that is not a pod
    "- SECRET\n- list\n",
    "key: [SECRET unclosed\n",  # not YAML
    "\x00\x01SECRET binary\xff".encode("latin-1").decode("latin-1"),
])
def test_a_template_that_is_not_a_pod_is_named_never_quoted(tmp_path, content):
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "secret.txt").write_bytes(content.encode("latin-1"))
    (tmp_path / "t.yaml").write_text("task_id: t\nimage: b\npod_template_file: tpl/../tpl/secret.txt\n")
    err = refused(kpodtui("validate", "t.yaml", cwd=tmp_path), str(tmp_path / "tpl" / "secret.txt"))
    assert "SECRET" not in err and "hunter2" not in err
    assert "tpl/../tpl" not in err, "the path is shown resolved"


def test_a_spec_is_read_once_from_a_pipe_or_stdin(tmp_path):
    spec = b"task_id: piped\nimage: busybox\npod_template_file: tpl.yaml\n"
    (tmp_path / "tpl.yaml").write_text("spec:\n  containers: [{name: base}]\n")
    (tmp_path / "t.yaml").write_bytes(spec)
    proc = subprocess.run(["bash", "-c", f"{sys.executable} -m kpodtui validate <(cat t.yaml)"], cwd=tmp_path,
                          capture_output=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.decode().endswith(": ok (piped)\n"), proc.stderr
    proc = kpodtui("validate", "-", cwd=tmp_path, stdin=spec)
    assert proc.returncode == 0 and proc.stdout == b"<stdin>: ok (piped)\n", proc.stderr
    proc = kpodtui("dry-run", "-", cwd=tmp_path, stdin=spec)
    assert proc.returncode == 0 and b"name: piped-" in proc.stdout, proc.stderr
    proc = kpodtui("validate", "-", cwd=tmp_path, stdin=b"task_id: x\nimage: [\n")
    refused(proc, "<stdin>:2:8: image: invalid YAML: this '[' is never closed")


def test_the_limits_hold_without_fork(tmp_path):
    """Where fork is unavailable, rendering runs in-process: the sandbox's own limits still say one line."""
    (tmp_path / "t.yaml").write_text("task_id: t\nimage: b\narguments: [\"{{ 'a' * 2000000000 }}\"]\n")
    refused(kpodtui("validate", "t.yaml", cwd=tmp_path, env={"KPODTUI_NO_FORK": "1"}), "the template is refused")
