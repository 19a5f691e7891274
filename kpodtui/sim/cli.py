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


def sim_command(args: argparse.Namespace) -> int:
    """Entry point of ``kpodtui sim [--port N] [--kubeconfig PATH]``."""
    kubeconfig = Path(args.kubeconfig).expanduser().resolve() if getattr(args, "kubeconfig", None) else None
    try:
        asyncio.run(serve(args.port or 0, kubeconfig))
    except OSError as exc:
        print(f"kpodtui sim: error: cannot serve on port {args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0
