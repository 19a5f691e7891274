"""The app's shell through a real terminal: kpodtui in a tmux pane, ``s`` hands the terminal to a
shell in the pod (the API's exec with a terminal, the pane's size), ``exit`` comes back to the app."""

from __future__ import annotations

import sys

LOOPER = """\
task_id: looper
image: busybox:1.36
cmds: [sh, -c, 'i=0; while [ $i -lt 600 ]; do echo "tick $i"; i=$((i+1)); sleep 0.2; done']
"""


def test_s_opens_a_shell_in_the_pod_and_exit_comes_back(tmp_path, tmux_pane):
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "looper.yaml").write_text(LOOPER)
    pane = tmux_pane(80, 24, f"{sys.executable} -m kpodtui --sim {specs}")
    pane.wait_for("looper.yaml", timeout=60)  # the tasks are listed
    pane.keys("Enter")  # launch the first task
    pane.wait_for("tick 3", timeout=60)
    pane.wait_for("s Shell")
    pane.keys("s")
    pane.wait_for("exit the shell to go back", timeout=30)
    pane.wait_for("#", "$")  # the shell's prompt, in the pod's container
    pane.keys("echo in-the-pod-$((6*7))", "Enter")
    shown = pane.wait_for("in-the-pod-42")
    assert "tick" not in shown.split("exit the shell to go back")[-1]  # the app stepped aside
    pane.wait_for_size("24 80")  # the pane's size reached the shell's terminal
    pane.run("resize-window", "-t", "t", "-x", "90", "-y", "30")
    pane.wait_for_size("30 90")  # and follows it
    pane.keys("exit", "Enter")
    pane.wait_for("back from sh in base", timeout=30)  # the app is back, the run goes on
    pane.wait_for("x Kill")
    pane.keys("x")
    pane.wait_for("Kill this run?")
    pane.keys("y")
    pane.wait_for("KILLED", timeout=60)
