"""One command-palette provider that follows the screen (posting's habit).

Each screen lists its actions as :class:`PaletteEntry` through ``palette_entries()``;
the app's own entries (tasks, runs, quit) are always there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from kpodtui.tui.app import KpodApp


@dataclass(frozen=True)
class PaletteEntry:
    name: str
    help: str
    callback: Callable[[], object]


class KpodCommands(Provider):
    """Actions of the current screen, then the app's."""

    def _entries(self) -> list[PaletteEntry]:
        app = cast("KpodApp", self.app)
        entries: list[PaletteEntry] = []
        screen = self.screen
        getter = getattr(screen, "palette_entries", None)
        if getter is not None:
            entries.extend(getter())
        entries.extend(
            [
                PaletteEntry("Tasks", "list task specs and launch one", partial(app.action_goto, "tasks")),
                PaletteEntry("Runs", "run history, live runs first", partial(app.action_goto, "runs")),
                PaletteEntry("Quit", "leave (live runs: detach or kill them)", app.action_quit),
            ]
        )
        return entries

    async def discover(self) -> Hits:
        for entry in self._entries():
            yield DiscoveryHit(entry.name, entry.callback, help=entry.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self._entries():
            score = matcher.match(entry.name)
            if score > 0:
                yield Hit(score, matcher.highlight(entry.name), entry.callback, help=entry.help)
