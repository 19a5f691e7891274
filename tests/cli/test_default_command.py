"""`kpodtui` with no command opens the app and takes the app's options."""

from __future__ import annotations

from kpodtui.cli import build_parser, main


def test_app_options_work_without_the_tui_command(monkeypatch):
    seen = {}

    def fake_tui(args):  # stands in for the app so the test does not open a terminal UI
        seen.update(vars(args))
        return 0

    import kpodtui.tui.main as tui_main

    monkeypatch.setattr(tui_main, "main", fake_tui)
    assert main(["--sim", "sample_tasks/hello.yaml"]) == 0
    assert seen["command"] == "tui" and seen["sim"] is True and seen["specs"] == ["sample_tasks/hello.yaml"]
    seen.clear()
    assert main([]) == 0 and seen["command"] == "tui"


def test_commands_and_top_level_flags_are_not_taken_for_the_app(capsys):
    args = build_parser().parse_args(["validate", "x.yaml"])
    assert args.command == "validate"
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert "kpodtui" in capsys.readouterr().out
