"""``extract_xcom`` (read ``return.json`` through the sidecar) and the istio quit call.

Bounded everywhere (reference issues 22318, 37298, 45772): the sidecar gets a
limited time to be running, each exec has a timeout, a missing file is "no
result", invalid JSON is a clear error, and the sidecar is always asked to
stop afterwards (failures there are warnings: the value read is kept).
"""

from __future__ import annotations

import json

from kpodtui.constants import ISTIO_CONTAINER_NAME, XCOM_RESULT_FILE, XCOM_SIDECAR_NAME
from kpodtui.engine import outcome as oc
from kpodtui.engine.context import RunAbort, RunContext
from kpodtui.engine.events import XComResult
from kpodtui.kube.exec import ExecError, exec_in

EMPTY_SENTINEL = "__airflow_xcom_result_empty__"
SIDECAR_START_TIMEOUT = 60.0
EXEC_TIMEOUT = 30.0

READ_COMMAND = [
    "sh",
    "-c",
    f"if [ -s {XCOM_RESULT_FILE} ]; then cat {XCOM_RESULT_FILE}; else echo {EMPTY_SENTINEL}; fi",
]
# SIGINT the sidecar's loop (its trap turns it into exit 0). Not simply
# `kill -s INT 1`: with `shareProcessNamespace: true` PID 1 is the pod's pause
# process, which exits on SIGINT and takes the whole sandbox down; and the sim
# gives containers their own PID namespace only when it runs as root. So the
# loop is found by its command line, and by this container's HOSTNAME so that
# in a shared host PID space (the sim without root) no other pod's sidecar is
# touched. Checked on the sim both ways; on a real node the container sees its
# own processes (or its pod's) only.
STOP_COMMAND = [
    "sh",
    "-c",
    'me=$$; for d in /proc/[0-9]*; do p=${d#/proc/}; [ "$p" = "$me" ] && continue; '
    'c=$(tr "\\000" " " < "$d/cmdline" 2>/dev/null) || continue; '
    'case "$c" in *"trap \\"exit 0\\" INT"*"while true"*) ;; *) continue;; esac; '
    'tr "\\000" "\\n" < "$d/environ" 2>/dev/null | grep -qx "HOSTNAME=$HOSTNAME" || continue; '
    'kill -s INT "$p" 2>/dev/null; done; exit 0',
]
ISTIO_QUIT = ["sh", "-c", "curl -fsI -X POST http://localhost:15020/quitquitquit"]


def extract_xcom(ctx: RunContext) -> None:
    """Read the XCom value into ``ctx.xcom_value``; a problem raises ``RunAbort`` (after stopping the sidecar)."""
    sidecar = XCOM_SIDECAR_NAME

    def sidecar_state() -> str | None:
        state = oc.find_state(ctx.pod, sidecar)
        return state.state if state is not None else None

    ctx.wait_until(lambda: ctx.pod is None or sidecar_state() in ("running", "terminated"), SIDECAR_START_TIMEOUT)
    state = sidecar_state()
    if ctx.pod is None:
        raise RunAbort("the pod is gone: the XCom result cannot be read")
    if state != "running":
        msg = f"the XCom sidecar is {state or 'not started'}: the result cannot be read"
        ctx.publish(XComResult(ctx.run_id, None, msg))
        raise RunAbort(msg)
    try:
        res = exec_in(ctx.api, ctx.namespace, ctx.pod_name, sidecar, READ_COMMAND, EXEC_TIMEOUT)
        if res.stderr.strip():
            ctx.say(f"XCom read: {res.stderr.strip()}", "warning")
        out = res.stdout.strip()
        if res.returncode not in (0, None):
            raise RunAbort(f"reading the XCom result failed (exit {res.returncode}): {res.stderr.strip()}")
        if out == EMPTY_SENTINEL or not out:
            value = None
        else:
            try:
                value = json.loads(out)
            except ValueError as exc:
                raise RunAbort(f"{XCOM_RESULT_FILE} is not valid JSON: {exc}") from None
        ctx.xcom_value = value
        ctx.publish(XComResult(ctx.run_id, value))
    except RunAbort as exc:
        ctx.publish(XComResult(ctx.run_id, None, str(exc)))
        raise
    except ExecError as exc:
        ctx.publish(XComResult(ctx.run_id, None, str(exc)))
        raise RunAbort(str(exc)) from None
    finally:
        stop_sidecar(ctx)


def stop_sidecar(ctx: RunContext) -> None:
    """Ask the XCom sidecar to exit (best effort)."""
    try:
        exec_in(ctx.api, ctx.namespace, ctx.pod_name, XCOM_SIDECAR_NAME, STOP_COMMAND, EXEC_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - the pod is cleaned up anyway
        ctx.say(f"could not stop the XCom sidecar: {exc}", "warning")


def quit_istio(ctx: RunContext) -> None:
    """Ask the istio proxy to quit so the pod can complete (the reference never does)."""
    state = oc.find_state(ctx.pod, ISTIO_CONTAINER_NAME)
    if state is None or state.state != "running":
        return
    try:
        res = exec_in(ctx.api, ctx.namespace, ctx.pod_name, ISTIO_CONTAINER_NAME, ISTIO_QUIT, 10.0)
        if res.returncode not in (0, None):
            ctx.say(f"{ISTIO_CONTAINER_NAME} did not accept quitquitquit (exit {res.returncode})", "warning")
    except Exception as exc:  # noqa: BLE001 - the pod is cleaned up anyway
        ctx.say(f"could not ask {ISTIO_CONTAINER_NAME} to quit: {exc}", "warning")
