"""Broken cluster configuration: one line naming the file and what to do, no traceback."""

from __future__ import annotations

from pathlib import Path

from kpodtui.cli import main
from kpodtui.history import History

ROOT = Path(__file__).resolve().parents[2]
HELLO = str(ROOT / "sample_tasks/hello.yaml")


def _one_error_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("kpodtui: error: ")
    return lines[0]


def test_kubeconfig_that_is_not_yaml(tmp_path, capsys):
    kc = tmp_path / "broken.kubeconfig"
    kc.write_text("apiVersion: v1\nclusters: [\n")
    assert main(["run", HELLO, "--kubeconfig", str(kc)]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert str(kc) in line and "not valid YAML" in line and "line 3" in line


def test_kubeconfig_that_is_not_a_mapping(tmp_path, capsys):
    kc = tmp_path / "list.kubeconfig"
    kc.write_text("just a string\n")
    assert main(["run", HELLO, "--kubeconfig", str(kc)]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert str(kc) in line and "not a kubeconfig" in line


def test_kubeconfig_env_naming_missing_files_says_which(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path}/a.kubeconfig:{tmp_path}/b.kubeconfig")
    assert main(["run", HELLO]) == 4
    line = _one_error_line(capsys.readouterr().err)
    assert f"{tmp_path}/a.kubeconfig" in line and f"{tmp_path}/b.kubeconfig" in line
    assert "--sim" in line


def test_unknown_context_lists_the_known_ones(sim_kubeconfig, capsys):
    assert main(["run", HELLO, "--context", "nope"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "'nope'" in line and "kpodtui-sim" in line


def test_relative_kubeconfig_still_works_from_another_directory(sim, tmp_path, monkeypatch, capsys):
    # `kpodtui run --detach --kubeconfig ./kc` in one folder, `kpodtui kill` from another:
    # the history must remember where the kubeconfig is, not the relative spelling.
    spec = tmp_path / "sleepy.yaml"
    spec.write_text("task_id: sleepy\nimage: busybox\ncmds: [sleep, '30']\ntermination_grace_period: 1\n")
    work = tmp_path / "work"
    work.mkdir()
    (work / "kc").write_bytes(sim.kubeconfig_path.read_bytes())
    monkeypatch.chdir(work)
    assert main(["run", "--detach", "--kubeconfig", "kc", str(spec)]) == 0
    record = History.open().list_runs()[0]
    assert record.kubeconfig == str(work / "kc")
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["kill", record.id]) == 0, capsys.readouterr().err
    assert History.open().get_run(record.id).outcome == "killed"
