"""Run in a subprocess by test_e2e_sim: launch a task in the app, quit leaving it detached.

The process then ends abruptly (``os._exit``), as when a terminal closes: the
engine's threads die with it and the run stays live in history.
Prints ``<run_id> <lines seen>``.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from kpodtui.tui.app import KpodApp


async def main(kubeconfig: str, spec: Path) -> str:
    from kpodtui.tui.data.engine_backend import EngineBackend

    app = KpodApp(lambda: EngineBackend(kubeconfig=kubeconfig), start_mode="tasks")
    async with app.run_test(size=(120, 40)) as pilot:
        app.launch(spec, spec.read_text(), None)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while not (app.followed and len(app.followed.live()[0].model.logs) >= 10):
            if loop.time() > deadline:
                raise SystemExit("no lines")
            await pilot.pause(0.05)
        followed = app.followed.live()[0]
        run_id = followed.model.run_id
        await pilot.press("q")  # the run view: back to the list
        while len(app.screen_stack) > 1 and loop.time() < deadline:
            await pilot.pause(0.05)
        await pilot.press("q")  # the list: quit, asked what to do with the live run
        await pilot.pause(0.3)
        await pilot.press("d")
        while app.return_code is None and loop.time() < deadline:
            await asyncio.sleep(0.05)
        return f"{run_id} {len(followed.model.logs)}"


if __name__ == "__main__":
    print(asyncio.run(main(sys.argv[1], Path(sys.argv[2]))), flush=True)
    os._exit(0)
