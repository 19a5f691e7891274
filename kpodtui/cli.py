"""Argument parsing only: every command lives in its own module, imported lazily.

Keeping imports lazy is a feature: ``kpodtui --help`` and ``kpodtui validate``
must start fast, so neither Textual nor the kubernetes client is imported on
paths that do not need them.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Sequence

from kpodtui import __version__
from kpodtui.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, KpodtuiError

EPILOG = """\
exit codes:
  0    the task succeeded (or the command did what was asked)
  1    the pod failed (non-zero exit, failed to start, timed out, killed)
  2    bad input: a broken spec, a missing file, a bad argument
  3    the task was skipped (its exit code is in skip_on_exit_code)
  4    the cluster could not be reached or refused a request
  130  interrupted (Ctrl-C)

environment:
  KUBECONFIG     kubeconfig file(s), separated by ':' (as kubectl)
  KPODTUI_HOME   where the run history is kept (default: the user data dir)

examples:
  kpodtui run --sim sample_tasks/hello.yaml     run a task on the simulated cluster
  kpodtui dry-run sample_tasks/xcom.yaml        print the pod that would be created
  kpodtui import dags/etl.py -o tasks/          task specs from an Airflow DAG's pod operators
  kpodtui                                       open the app
"""

# command name -> "module:function"; the function takes the parsed args, returns an exit code.
COMMANDS: dict[str, str] = {
    "tui": "kpodtui.tui.main:main",
    "run": "kpodtui.headless.commands:run_command",
    "attach": "kpodtui.headless.commands:attach_command",
    "runs": "kpodtui.headless.history_cmds:runs_command",
    "logs": "kpodtui.headless.history_cmds:logs_command",
    "kill": "kpodtui.headless.commands:kill_command",
    "keep": "kpodtui.headless.commands:keep_command",
    "delete": "kpodtui.headless.commands:delete_command",
    "exec": "kpodtui.headless.exec_cmd:exec_command",
    "validate": "kpodtui.headless.spec_cmds:validate_command",
    "dry-run": "kpodtui.headless.spec_cmds:dry_run_command",
    "import": "kpodtui.headless.import_cmd:import_command",
    "sim": "kpodtui.sim.cli:sim_command",
}


def _add_set(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=("override a spec value (repeatable; dotted keys, e.g. params.n=3; a number picks a list item, "
              'e.g. cmds.2=x; quote a key with dots: node_selector."kubernetes.io/arch"=arm64; '
              "env_vars.NAME=V also updates the list form)"),
    )


def _namespace(value: str) -> str:
    """``-n``: a namespace name is a DNS-1123 label; say so before any cluster is asked."""
    if len(value) > 63 or not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a valid namespace name (lower-case letters, digits and '-', "
            "starting and ending with a letter or digit, at most 63)")
    return value


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (0-65535; 0 picks a free one)")
    return port


def _count(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a count of runs (1 or more)")
    return n


def _lines(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of lines (0 or more)")
    return n


def _add_cluster(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("cluster")
    g.add_argument("--kubeconfig", metavar="PATH", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    g.add_argument("--context", metavar="NAME", help="kubeconfig context to use")
    g.add_argument("-n", "--namespace", metavar="NS", type=_namespace, help="namespace (overrides the spec's)")
    g.add_argument("--sim", action="store_true", help="start a simulated cluster in-process and use it")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kpodtui",
        description="Run one-off tasks as Kubernetes pods: launch from a YAML spec, watch live, get a verdict.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"kpodtui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("tui", help="open the app (the default when no command is given)")
    p.add_argument("specs", nargs="*", metavar="SPEC", help="spec files or folders to list as tasks")
    _add_cluster(p)

    p = sub.add_parser("run", help="run a task headless: logs on stdout, status on stderr, verdict as exit code")
    p.add_argument("spec", metavar="SPEC", help="task spec file (YAML)")
    p.add_argument("--task", metavar="TASK_ID", help="which task, when the file holds several")
    _add_set(p)
    _add_cluster(p)
    p.add_argument("--detach", action="store_true", help="create the pod, record the run and return (see attach)")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout at the end")
    p.add_argument("--timestamps", action="store_true", help="prefix each log line with its timestamp")
    p.add_argument("--raw", action="store_true",
                   help="write log lines byte for byte even to a terminal (there, control characters are shown "
                        "escaped by default; piped output is always byte for byte)")

    p = sub.add_parser("attach", help="follow a recorded run again: catch up on logs and wait for its verdict")
    p.add_argument("run", metavar="RUN", help="run id (or a unique prefix) from `kpodtui runs`")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout at the end")
    p.add_argument("--raw", action="store_true",
                   help="write log lines byte for byte even to a terminal (there, control characters are shown "
                        "escaped by default; piped output is always byte for byte)")
    _add_cluster(p)

    p = sub.add_parser("runs", help="list the run history, live runs first")
    p.add_argument("--json", action="store_true", help="print the history as JSON")
    p.add_argument("--limit", type=_count, default=50, help="how many runs to show (default 50)")

    p = sub.add_parser("logs", help="print a run's logs from disk (following live with -f)")
    p.add_argument("run", metavar="RUN", help="run id (or a unique prefix)")
    p.add_argument("-c", "--container", help="only this container")
    p.add_argument("-f", "--follow", action="store_true",
                   help="keep following while the run is live (a detached run nobody follows is followed "
                        "from its pod, and its verdict recorded; Ctrl-C leaves the pod running)")
    p.add_argument("--timestamps", action="store_true", help="prefix each line with its timestamp")
    p.add_argument("--raw", action="store_true",
                   help="write log lines byte for byte even to a terminal (there, control characters are shown "
                        "escaped by default; piped output is always byte for byte)")
    p.add_argument("--since", metavar="DURATION", help="only lines newer than this (e.g. 90s, 5m, 1h)")
    p.add_argument("--tail", metavar="N", type=_lines, help="only the last N lines (then follow, with -f)")
    p.add_argument("-p", "--previous", action="store_true",
                   help="the log of the container's previous instance, before its last restart (from the pod)")
    p.add_argument("--containers", metavar="REGEX", action="append", default=[],
                   help="only containers whose name matches (regular expression; repeatable; as stern -c)")
    p.add_argument("-E", "--exclude-container", metavar="REGEX", action="append", default=[],
                   help="leave out containers whose name matches (regular expression; repeatable; as stern -E)")
    _add_cluster(p)

    p = sub.add_parser("kill", help="delete a run's pod now (with the spec's termination_grace_period)")
    p.add_argument("run", metavar="RUN", help="run id (or a unique prefix)")
    _add_cluster(p)

    p = sub.add_parser("keep", help="switch a live run to keep_pod: its pod survives the end of the run")
    p.add_argument("run", metavar="RUN", help="run id (or a unique prefix)")
    _add_cluster(p)

    p = sub.add_parser("delete", help="delete the pod a finished run kept (keep_pod, or kept with keep)")
    p.add_argument("run", metavar="RUN", help="run id (or a unique prefix)")
    _add_cluster(p)

    p = sub.add_parser("exec", help="run a command in a run's pod (as kubectl exec; its exit code is returned)",
                       usage="kpodtui exec RUN [-c CONTAINER] [-i] [-t] [cluster options] -- CMD [ARG...]")
    p.add_argument("run", metavar="RUN", help="run id (or a unique prefix)")
    p.add_argument("-c", "--container", help="the container (default: the base container)")
    p.add_argument("-i", "--stdin", action="store_true", help="pass stdin to the command")
    p.add_argument("-t", "--tty", action="store_true", help="give the command a terminal (with -i: a shell)")
    _add_cluster(p)

    p = sub.add_parser("validate", help="check spec files; report every problem (exit 2 if any)")
    p.add_argument("specs", nargs="+", metavar="SPEC", help="spec files")
    _add_set(p)

    p = sub.add_parser("dry-run", help="print the pod manifest a spec would create (kubectl-applicable)")
    p.add_argument("spec", metavar="SPEC", help="task spec file (YAML)")
    p.add_argument("--task", metavar="TASK_ID", help="which task, when the file holds several")
    _add_set(p)
    p.add_argument("-o", "--output", choices=["yaml", "json"], default="yaml", help="output format")

    p = sub.add_parser("import", help="turn the pod operator calls of Airflow DAG files into task specs",
                       description="Read Airflow DAG files as Python source (never run them) and write one task "
                                   "spec per KubernetesPodOperator call: a multi-document file per DAG, named after "
                                   "its DAG id. Values only known at run time are left out, each with an "
                                   "'# unresolved' comment and a warning.")
    p.add_argument("dags", nargs="+", metavar="DAG.py", help="Airflow DAG files")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="folder to write the spec files in (default: the current folder; - prints them)")
    p.add_argument("--task", metavar="TASK_ID", help="import only this task")
    p.add_argument("--force", action="store_true", help="replace spec files that exist")

    p = sub.add_parser("sim", help="serve a simulated Kubernetes cluster on 127.0.0.1 in the foreground "
                       "(or, with --join, be a node of a real one)")
    p.add_argument("--port", type=_port, default=0, help="port (default: a free one)")
    p.add_argument("--kubeconfig", metavar="PATH", help="where to write the kubeconfig")
    p.add_argument("--join", metavar="KUBECONFIG",
                   help="no API server: join the cluster of KUBECONFIG as a node running its pods as local "
                        "processes (the kubelet API is served over TLS on 127.0.0.1, --port)")
    p.add_argument("--node-name", default="kpodtui-node", help="the node's name with --join")
    p.add_argument("--context", help="the kubeconfig context with --join")
    p.add_argument("--workdir", metavar="DIR", help="the node's pod folders with --join (default: a temporary one)")
    p.add_argument("--kubelet-cert", metavar="PEM", help="the kubelet's serving certificate with --join "
                   "(default: a self-signed one)")
    p.add_argument("--kubelet-key", metavar="PEM", help="its key")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        # No command: `kpodtui [SPEC...] [--sim] ...` opens the app, as `kpodtui tui ...` does.
        argv = ["tui", *argv]
    after: list[str] | None = None
    if argv[0] == "exec" and "--" in argv:  # everything after -- is the command, flags included
        at = argv.index("--")
        argv, after = argv[:at], argv[at + 1 :]
    args = parser.parse_args(argv)
    command = args.command
    if command == "exec":
        args.cmd = after or []
    if getattr(args, "sim", False):
        given = [flag for flag, dest in (("--kubeconfig", "kubeconfig"), ("--context", "context"))
                 if getattr(args, dest, None)]
        if given:
            # the simulated cluster has its own kubeconfig: either would be silently ignored
            print(f"kpodtui {command}: error: --sim runs its own cluster and cannot be combined with "
                  f"{' or '.join(given)}: drop one of them", file=sys.stderr)
            return EXIT_BAD_INPUT
        if getattr(args, "detach", False):
            print(f"kpodtui {command}: error: --detach cannot outlive --sim: the simulated cluster stops when "
                  "this command ends, and the pod with it; serve one with `kpodtui sim` and pass its "
                  "--kubeconfig instead", file=sys.stderr)
            return EXIT_BAD_INPUT
    module_name, func_name = COMMANDS[command].split(":")
    try:
        func = getattr(importlib.import_module(module_name), func_name)
        return int(func(args) or 0)
    except KpodtuiError as exc:
        from kpodtui.termsafe import escape

        print(f"kpodtui: error: {escape(str(exc))}", file=sys.stderr)  # it may echo a server's or a user's text
        return exc.exit_code
    except KeyboardInterrupt:
        print("kpodtui: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("kpodtui"):
            print(f"kpodtui: error: command {command!r} is not available in this build", file=sys.stderr)
            return EXIT_BAD_INPUT
        raise
