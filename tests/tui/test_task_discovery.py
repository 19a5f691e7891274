"""The app's task list reads what it is given bounded: a device or an alias bomb is an entry with an error."""

from __future__ import annotations

from pathlib import Path

from kpodtui.tui.data.tasks import tasks_in_file


def test_a_device_or_an_alias_bomb_given_on_the_command_line_is_listed_with_its_problem(tmp_path):
    (entry,) = tasks_in_file(Path("/dev/zero"), "given")
    assert entry.error == "is a character device, not a spec file"
    bomb = "task_id: t\n" + "\n".join(["a0: &a0 [x, x, x, x, x, x, x, x, x]"] + [
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)])
    (tmp_path / "bomb.yaml").write_text(bomb)
    (entry,) = tasks_in_file(tmp_path / "bomb.yaml", "given")
    assert "alias bomb" in entry.error
    (tmp_path / "ok.yaml").write_text("task_id: a\nimage: b\n---\ntask_id: c\nimage: d\n")
    assert [e.task_id for e in tasks_in_file(tmp_path / "ok.yaml", "given")] == ["a", "c"]
