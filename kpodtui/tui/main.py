"""``kpodtui`` / ``kpodtui tui``: open the app.

Only Textual and the app's own modules are imported before the first frame;
the engine, the kubernetes client and (with ``--sim``) the simulated cluster
load in a worker afterwards.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kpodtui import paths
from kpodtui.errors import BadInputError


def backend_factory(args: argparse.Namespace):
    """A callable building the real backend (run in a worker thread)."""

    def build():
        # in the worker, after the first frame: the engine, the kubernetes client, the sim
        from kpodtui.tui.data.engine_backend import EngineBackend

        kubeconfig = getattr(args, "kubeconfig", None)
        sim = None
        if getattr(args, "sim", False):
            from kpodtui.sim.cluster import SimCluster

            workdir = paths.data_dir() / "sim"
            workdir.mkdir(parents=True, exist_ok=True, mode=0o700)  # (its kubeconfig holds a token)
            sim = SimCluster.start(workdir=workdir)
            kubeconfig = str(sim.kubeconfig_path)
        return EngineBackend(
            kubeconfig=kubeconfig,
            context=getattr(args, "context", None),
            namespace=getattr(args, "namespace", None),
            sim=sim,
        )

    return build


def main(args: argparse.Namespace) -> int:
    specs = [Path(p) for p in getattr(args, "specs", None) or []]
    missing = [str(p) for p in specs if not p.exists()]
    if missing:  # before the terminal switches to the app: one line, exit 2
        raise BadInputError(f"no such spec file or folder: {', '.join(missing)}")
    from kpodtui.tui.app import KpodApp  # Textual loads once the arguments are known to be good

    # The engine's threads (a log follower reading a flood) hold the GIL in turns with the
    # app's: hand it over after 1 ms rather than 5, so a key press waits less behind them.
    sys.setswitchinterval(0.001)
    app = KpodApp(backend_factory(args), spec_paths=specs)
    result = app.run()
    if app.fatal_error is not None:
        raise app.fatal_error  # printed by the CLI as one line, once the terminal is back
    return int(result or 0)
