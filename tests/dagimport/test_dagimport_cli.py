"""`kpodtui import` on the command line: where files go, what it says, exit codes, bad input."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kpodtui.cli import main

CORPUS = Path(__file__).resolve().parent / "corpus"
OPERATOR = "from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator"


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A folder holding copies of the corpus, as the working directory."""
    for f in CORPUS.glob("*.py"):
        shutil.copy(f, tmp_path / f.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(capsys, *argv: str) -> tuple[int, list[str], list[str]]:
    capsys.readouterr()
    code = main(["import", *argv])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def test_writes_one_file_per_dag_in_the_current_folder_and_says_so(work, capsys):
    code, out, err = _run(capsys, "provider_pod.py", "aliases.py")
    assert code == 0
    assert out == [
        "wrote etl_daily.yaml: 2 tasks (extract, publish) from provider_pod.py",
        "wrote ops_checks.yaml: 3 tasks (ping, disk, dns) from aliases.py",
    ]
    assert err == []
    assert main(["validate", "etl_daily.yaml", "ops_checks.yaml"]) == 0


def test_one_line_per_unresolved_argument_and_exit_0_when_the_specs_are_still_valid(work, capsys):
    code, out, err = _run(capsys, "unresolved.py", "-o", "specs")
    assert code == 0
    assert out == ["wrote specs/sync_nightly.yaml: 2 tasks (sync, report) from unresolved.py; "
                   "9 values left out (see its # unresolved lines)"]
    assert [line.split(": ")[3:5] for line in err] == [
        ["sync", "env_vars.API_TOKEN left out"],
        ["sync", "env_vars.DB_HOST left out"],
        ["sync", "env_vars.HOME_DIR left out"],
        ["sync", "labels left out"],
        ["sync", "namespace left out"],
        ["sync", "arguments left out"],
        ["sync", "service_account_name left out"],
        ["sync", "startup_timeout_seconds left out"],
        ["report", "cmds left out"],
    ]
    assert err[0] == ('kpodtui: warning: unresolved.py:26:26: sync: env_vars.API_TOKEN left out: '
                      'Variable.get("api_token") is an Airflow Variable, read at run time')
    text = (work / "specs" / "sync_nightly.yaml").read_text()
    assert text.count("# unresolved: ") == 9
    assert "# unresolved: namespace at unresolved.py:31 (Variable.get(" in text


def test_a_spec_that_is_not_valid_without_what_was_left_out_exits_2_naming_the_key(work, capsys):
    code, out, err = _run(capsys, "missing_image.py")
    assert code == 2
    assert out[0].startswith("wrote train_model.yaml: 1 task (train)")  # written, to be completed by hand
    assert ("kpodtui: error: train_model.yaml:4:1: image: missing: neither the spec nor its pod template gives "
            "the container 'base' an image (left out by import: image at missing_image.py:10 is unresolved)") in err
    assert err[-1] == ("kpodtui: error: an imported spec is not valid yet: complete it, then check with: "
                       "kpodtui validate train_model.yaml")


def test_an_unresolved_task_id_is_named_as_the_missing_key(work, capsys):
    (work / "loop.py").write_text(
        "from airflow import DAG\n"
        "from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator\n"
        "with DAG('loops'):\n"
        "    for name in ['a', 'b']:\n"
        "        KubernetesPodOperator(task_id=f'run_{name}', image='busybox')\n")
    code, _out, err = _run(capsys, "loop.py")
    assert code == 2
    assert "kpodtui: warning: loop.py:5:46: the call at line 5: task_id left out: name is a loop variable " \
           "(line 4)" in err
    assert any(line.startswith("kpodtui: error: loops.yaml:") and "task_id: missing" in line
               and "left out by import: task_id" in line for line in err)


def test_never_overwrites_silently_and_writes_nothing_then(work, capsys):
    assert _run(capsys, "provider_pod.py")[0] == 0
    (work / "etl_daily.yaml").write_text("# my edits\n")
    code, out, err = _run(capsys, "aliases.py", "provider_pod.py")
    assert code == 2
    assert out == []
    assert err == ["kpodtui: error: etl_daily.yaml exists: pass --force to replace it (or -o DIR to write "
                   "elsewhere); nothing was written"]
    assert (work / "etl_daily.yaml").read_text() == "# my edits\n"
    assert not (work / "ops_checks.yaml").exists()
    code, out, _err = _run(capsys, "aliases.py", "provider_pod.py", "--force")
    assert code == 0
    assert (work / "etl_daily.yaml").read_text().startswith("# imported by kpodtui from provider_pod.py:40")


def test_task_picks_one_call(work, capsys):
    code, out, _err = _run(capsys, "old_provider.py", "--task", "deliver.archive", "-o", "one")
    assert code == 0
    assert out == ["wrote one/weekly_reports.yaml: 1 task (deliver.archive) from old_provider.py"]
    code, out, err = _run(capsys, "old_provider.py", "--task", "archive")
    assert code == 2
    assert err == ["kpodtui: error: --task: no task 'archive' in old_provider.py (it holds: render, "
                   "deliver.email, deliver.archive, cleanup.tmp)"]


def test_dash_prints_the_specs_and_writes_nothing(work, capsys):
    before = set(work.iterdir())
    code, out, err = _run(capsys, "mapped.py", "-o", "-")
    assert code == 0
    assert out[0] == "# imported by kpodtui from mapped.py:14, DAG backfill"
    assert "task_id: region" in out
    assert set(work.iterdir()) == before
    assert err[0] == ("kpodtui: note: mapped.py:14:14: shard: arguments is mapped (expand): the spec holds the "
                      "partial() arguments only")


@pytest.mark.parametrize(("name", "content", "message"), [
    ("broken.py", "from airflow import DAG\nwith DAG('x') as dag:\n    t = KPO(task_id='a'\n",
     "broken.py:3:12: syntax error: '(' was never closed"),
    ("notes.txt", "this is { not python\n", "notes.txt: is not Python source (line 1, column 9: '{' was never "
                                             "closed): pass an Airflow DAG file (.py)"),
    ("task.yaml", "task_id: x\nimage: busybox\n", "task.yaml: is not Python source but YAML: pass an Airflow DAG "
                                                 "file (.py); a task spec is run as it is (kpodtui run, kpodtui "
                                                 "validate)"),
    ("blob.py", b"\x7fELF\x00\x01", "blob.py: is not Python source (it holds NUL bytes: a binary file?)"),
    ("latin.py", b"x = '\xe9'\n", "latin.py: is not Python source (not text in UTF-8 or its declared encoding)"),
    ("plain.py", "print('no operator here')\n",
     "plain.py: no KubernetesPodOperator call to import (the file does not import it)"),
    ("unused.py", "from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator\n",
     "unused.py: no KubernetesPodOperator call to import (the file imports it but never calls it)"),
])
def test_bad_input_is_one_clear_line_and_exit_2(work, capsys, name, content, message):
    path = work / name
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    code, out, err = _run(capsys, name)
    assert (code, out, err) == (2, [], [f"kpodtui: error: {message}"])


def test_missing_file_and_folder(work, capsys):
    (work / "dags").mkdir()
    code, _out, err = _run(capsys, "nope.py", "dags")
    assert code == 2
    assert err == ["kpodtui: error: nope.py: no such file",
                   "kpodtui: error: dags: is a directory: pass the DAG files in it (dags/*.py)"]


def test_a_bad_file_beside_good_ones_is_reported_and_the_good_ones_written(work, capsys):
    (work / "broken.py").write_text("def (\n")
    code, out, err = _run(capsys, "broken.py", "contrib.py")
    assert code == 2
    assert out == ["wrote legacy_nightly.yaml: 1 task (nightly) from contrib.py"]
    assert err[0].startswith("kpodtui: error: broken.py:1:5: syntax error:")


def test_the_real_process_exit_code_and_no_traceback(work):
    (work / "broken.py").write_text("x = (\n")
    proc = subprocess.run([sys.executable, "-m", "kpodtui", "import", "broken.py"], capture_output=True,
                          text=True, timeout=60, cwd=work)
    assert proc.returncode == 2
    assert proc.stderr == "kpodtui: error: broken.py:1:5: syntax error: '(' was never closed\n"
    assert "import" in subprocess.run([sys.executable, "-m", "kpodtui", "--help"], capture_output=True,
                                      text=True, timeout=60).stdout


def test_a_dag_without_client_models_never_loads_the_kubernetes_client(work):
    code = ("import sys\nfrom kpodtui.cli import main\n"
            "assert main(['import', 'mapped.py', '-o', 'out']) == 0\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('kubernetes', 'textual')))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "[]"


def test_a_folder_that_cannot_be_made_is_one_line(work, capsys):
    (work / "plain-file").write_text("")
    code, out, err = _run(capsys, "contrib.py", "-o", "plain-file/specs")
    assert (code, out) == (2, [])
    assert err[-1] == ("kpodtui: error: cannot write plain-file/specs/legacy_nightly.yaml: Not a directory (choose "
                       "another folder with -o)")
    assert not any("Traceback" in line for line in err)


def test_a_dag_file_is_read_as_a_spec_is_never_a_device_or_a_pipe_and_bounded(work, capsys):
    os.mkfifo(work / "fifo.py")  # no writer: reading it would hang
    (work / "huge.py").write_text("# padding\n" * 420_000)  # over 4 MiB
    code, out, err = _run(capsys, "/dev/zero", "fifo.py", "huge.py")
    assert (code, out) == (2, [])
    assert err == ["kpodtui: error: /dev/zero: is a character device, not a DAG file",
                   "kpodtui: error: fifo.py: is a named pipe (FIFO), not a DAG file",
                   "kpodtui: error: huge.py: is larger than 4096 KiB: a DAG file must be smaller"]


@pytest.mark.parametrize("parts", [2_000, 50_000])
def test_an_expression_of_thousands_of_parts_is_one_line(work, capsys, parts):
    value = "+".join(['"a"'] * parts)  # 2000: ast reads it, walking it recurses too deep; 50000: ast cannot
    (work / "deep.py").write_text(f"{OPERATOR}\nX = {value}\nt = KubernetesPodOperator(task_id='t', image='b', "
                                  "cmds=[X])\n")
    code, out, err = _run(capsys, "deep.py")
    assert (code, out, err) == (2, [], ["kpodtui: error: deep.py: is nested too deeply to read (an expression of "
                                        "thousands of parts?)"])


def test_control_characters_of_the_dag_never_reach_the_terminal_or_the_spec_file(work, capsys):
    (work / "ctl.py").write_text(f"{OPERATOR}\nfrom airflow import DAG\n"
                                 "with DAG('nightly\x1b[2J'):\n"
                                 "    t = KubernetesPodOperator(task_id='t\\x1b[31m', image='b', "
                                 "cmds=[lookup('\x1b]0;title\x07')])\n")
    for argv in (["ctl.py", "-o", "-"], ["ctl.py"]):
        code, out, err = _run(capsys, *argv)
        assert code == 2  # the task id is not valid: said, escaped
        assert not any(c in line for line in out + err for c in "\x1b\x07"), out + err
        assert "kpodtui: warning: ctl.py:4:69: t\\x1b[31m: cmds left out: lookup('\\x1b]0;title\\x07') is a " \
               "function call (import does not run the DAG's code)" in err
    text = (work / "nightly_2J.yaml").read_text()
    assert text.startswith("# imported by kpodtui from ctl.py:4, DAG nightly\\x1b[2J\n")
    assert yaml.safe_load(text)["task_id"] == "t\x1b[31m"  # the file is YAML; its check names the bad id
