"""``kpodtui exec RUN [-c C] [-i] [-t] -- CMD...``: run a command in a run's pod, as ``kubectl exec``.

The command's own exit code is returned (as kubectl and ssh do); kpodtui's
codes are for what happens before it runs: 2 a bad run, container or command,
4 the cluster refusing.
"""

from __future__ import annotations

from typing import Any

from kpodtui.engine.run import recorded_spec
from kpodtui.errors import BadInputError, ClusterError
from kpodtui.headless.commands import run_service
from kpodtui.history import History
from kpodtui.kube.exec import ExecError, exec_attached


def pick_container(record: Any, pod: dict[str, Any], asked: str | None) -> str:
    """``asked``, else the run's base container (else the pod's first), checked against the pod."""
    names = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
    if asked is None:
        try:
            base = recorded_spec(record).base_container_name
        except Exception:  # noqa: BLE001 - a spec that no longer loads: the first container
            base = names[0] if names else "base"
        asked = base if base in names else (names[0] if names else base)
    if asked not in names:
        raise BadInputError(f"pod {record.pod_name} has no container {asked!r} (containers: "
                            f"{', '.join(names) or 'none'}): pick one with -c")
    return asked


def exec_command(args: Any) -> int:
    command = list(args.cmd)
    if not command:
        raise BadInputError("give the command to run after --, e.g. kpodtui exec RUN -it -- sh")
    history = History.open()
    record = history.get_run(args.run)
    with run_service(args, history) as service:
        api, pod = service.pod_of(record)
        if pod is None:
            raise BadInputError(f"run {record.id}: pod {record.namespace}/{record.pod_name} is gone; nothing to "
                                "exec in")
        container = pick_container(record, pod, args.container)
        try:
            code, problem = exec_attached(api, record.namespace or "default", record.pod_name or "", container,
                                          command, stdin=args.stdin, tty=args.tty)
        except ExecError as exc:
            raise ClusterError(str(exc)) from None
    if problem:
        if "executable file not found" in problem or "no such file" in problem.lower():
            raise BadInputError(f"{problem}: check the command")
        raise ClusterError(problem)
    return code
