"""The app and a history it cannot use (issue 10): one line, exit 2, as every command."""

from __future__ import annotations

from kpodtui.tui.app import KpodApp
from tests.history.test_edges_history import _damage_the_runs_table, _runs

from .conftest import wait_for


async def test_the_app_ends_with_the_damaged_line_exit_2(_hermetic_home):
    from kpodtui.tui.data.engine_backend import EngineBackend

    _runs(_hermetic_home)
    _damage_the_runs_table(_hermetic_home)
    app = KpodApp(EngineBackend)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.fatal_error is not None, timeout=30, what="the app to give up")
    assert app.fatal_error is not None and "looks damaged" in str(app.fatal_error)
    assert app.return_value == 2  # what `kpodtui` exits with (tui.main)
