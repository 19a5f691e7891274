"""``kpodtui sim``: serve a simulated cluster in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from kpodtui.sim.cluster import SimServer
from kpodtui.sim.kubeconfig import CONTEXT, write_kubeconfig


async def serve(port: int, kubeconfig: Path | None, out=sys.stdout) -> None:
    """Run a sim on this loop until SIGINT/SIGTERM, then stop it (killing every container process)."""
    workdir = Path(tempfile.mkdtemp(prefix="kpodtui-sim-"))
    server = SimServer(workdir, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await server.start()
        path = write_kubeconfig(kubeconfig or workdir / "kubeconfig", server.url, server.token,
                                server.certs.ca_pem() if server.certs else None)
        print(f"kpodtui sim: serving the Kubernetes API on {server.url} (context {CONTEXT})", file=out)
        print(f"kubeconfig: {path}", file=out)
        print("use it with:", file=out)
        print(f"  export KUBECONFIG={path}", file=out)
        print("  kubectl get pods            # or: kpodtui run --kubeconfig ... SPEC", file=out)
        print("Ctrl-C stops the cluster and every container process.", file=out, flush=True)
        await stop.wait()
    finally:
        await server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        print("kpodtui sim: stopped", file=out, flush=True)


async def join(args: argparse.Namespace, out=sys.stdout) -> None:
    """Be a node of the cluster of ``args.join`` until SIGINT/SIGTERM."""
    from kpodtui.sim.join import run_node

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="kpodtui-node-"))
    try:
        await run_node(Path(args.join).expanduser(), workdir, args.node_name,
                       Path(args.kubelet_cert) if args.kubelet_cert else None,
                       Path(args.kubelet_key) if args.kubelet_key else None, stop, out,
                       context=args.context, port=args.port or 0)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)


def join_command(args: argparse.Namespace) -> int:
    """``kpodtui sim --join KUBECONFIG``: exit 2 for bad input, 4 when the cluster refuses the node."""
    from kpodtui.sim.apiclient import ApiError, KubeconfigError

    if bool(args.kubelet_cert) != bool(args.kubelet_key):
        print("kpodtui sim: error: --kubelet-cert and --kubelet-key go together", file=sys.stderr)
        return 2
    try:
        asyncio.run(join(args))
    except KubeconfigError as exc:
        print(f"kpodtui sim: error: {exc}", file=sys.stderr)
        return 2
    except ApiError as exc:
        print(f"kpodtui sim: error: the cluster refused the node: {exc}", file=sys.stderr)
        return 4
    except OSError as exc:
        print(f"kpodtui sim: error: cannot join {args.join}: {exc.strerror or exc}", file=sys.stderr)
        return 4
    return 0


def sim_command(args: argparse.Namespace) -> int:
    """Entry point of ``kpodtui sim [--port N] [--kubeconfig PATH]`` (and of ``--join``)."""
    if getattr(args, "join", None):
        return join_command(args)
    kubeconfig = Path(args.kubeconfig).expanduser().resolve() if getattr(args, "kubeconfig", None) else None
    try:
        asyncio.run(serve(args.port or 0, kubeconfig))
    except OSError as exc:
        print(f"kpodtui sim: error: cannot serve on port {args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0
