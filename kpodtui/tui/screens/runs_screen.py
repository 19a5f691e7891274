"""Runs: the history, live runs first, with state, duration and exit code."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.widgets.data_table import ColumnKey

from kpodtui.tui.commands import PaletteEntry
from kpodtui.tui.data.backend import RunRow
from kpodtui.tui.data.clock import format_duration, now
from kpodtui.tui.data.history_rows import live_row
from kpodtui.tui.phase_styles import PHASE_STYLES

if TYPE_CHECKING:
    from kpodtui.tui.app import KpodApp


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


class RunsScreen(Screen[None]):
    """The run history. Enter opens a run (live, or its logs from disk)."""

    BINDINGS = [
        Binding("enter", "open", "Open", id="open-run", priority=True),  # shown: the table's own enter is not
        Binding("a", "reattach", "Reattach", id="reattach-run"),
        Binding("d", "detach", "Detach", id="detach-run", show=False),
        Binding("x", "kill", "Kill", id="kill-run"),
        Binding("r", "rerun", "Rerun", id="rerun-run"),
        Binding("f5", "reload", "Reload", id="reload-runs"),
    ]

    TICK = 1.0  # seconds between refreshes of the live rows' durations

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[RunRow] = []  # as shown: live runs the app follows seen through their model
        self._history: list[RunRow] = []  # the same rows as history gave them
        self._shown: dict[str, tuple[object, str, str]] = {}  # what the live cells show, by run_id
        self._columns: list[ColumnKey] = []
        self._filling = 0  # bumped by each show_runs: a later fill of an older list is dropped

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("loading history…", id="runs-empty")
        yield DataTable(id="runs-table", cursor_type="row")
        yield Footer()

    @property
    def kapp(self) -> KpodApp:
        return cast("KpodApp", self.app)

    def on_mount(self) -> None:
        self.sub_title = "runs"
        table = self.query_one(DataTable)
        self._columns = table.add_columns("run", "task", "state", "started", "duration", "exit", "pod", "namespace")
        if self.kapp.runs_listed():
            self.show_runs(self.kapp.run_rows(), self.kapp.followed.followed_ids())
        table.focus()
        self.set_interval(self.TICK, self.refresh_live_rows, name="runs-tick")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Row actions show in the footer only when they apply to the selected run."""
        if action not in ("open", "reattach", "kill", "rerun", "detach"):
            return True
        row = self.selected
        if row is None:
            return False
        if action == "reattach":
            return row.live and not self.kapp.followed.is_followed(row.run_id)
        if action == "kill":
            return row.live
        if action == "detach":
            return self.kapp.followed.is_followed(row.run_id)
        return True

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    def on_screen_resume(self) -> None:
        if self.kapp.runs_listed():  # before that: "loading history…", not a false "no runs yet"
            self.show_runs(self.kapp.run_rows(), self.kapp.followed.followed_ids())

    def _seen_live(self, row: RunRow, following: set[str]) -> RunRow:
        """A run the app follows, as its live model sees it (history wrote its phase once)."""
        followed = self.kapp.followed.followed(row.run_id) if row.run_id in following else None
        return row if followed is None else live_row(row, followed.model)

    @staticmethod
    def _live_cells(row: RunRow, following: set[str]) -> tuple[Text, str, str]:
        """The cells that move while a run lives: state, duration, exit code."""
        state = Text(row.state, PHASE_STYLES.get(row.state, "bold cyan" if row.live else ""))
        if row.live and row.run_id not in following:
            state.append(" (detached)", "dim")
        end = row.finished_at if row.finished_at is not None else (now() if row.live else None)
        duration = format_duration(end - row.started_at) if row.started_at and end else "-"
        return state, duration, "-" if row.exit_code is None else str(row.exit_code)

    @staticmethod
    def _signature(row: RunRow, following: set[str], cells: tuple[Text, str, str]) -> tuple[object, str, str]:
        """What the live cells show, comparable: (state, duration, exit code)."""
        return (row.state, row.live, row.run_id in following), cells[1], cells[2]

    def show_runs(self, rows: list[RunRow], following: set[str]) -> None:
        table = self.query_one(DataTable)
        picked = self.selected  # the cursor stays on its run, not on its row number
        keep = table.cursor_row
        pairs = sorted(
            ((self._seen_live(row, following), row) for row in rows),
            key=lambda p: (not p[0].live, -(p[0].started_at or 0)),
        )
        self.rows = [shown for shown, _ in pairs]
        self._history = [row for _, row in pairs]
        self._shown = {}
        table.clear()
        self._filling += 1
        # a screenful first (what a DataTable costs grows with its rows: ~0.5 ms each to
        # measure), the rest of the page once that is on screen
        first = max(self.size.height, 1)
        self._add_rows(table, self.rows[:first], following)
        if len(self.rows) > first:
            filling = self._filling
            rest = self.rows[first:]

            def fill_rest() -> None:
                if filling == self._filling:  # (not a list read again meanwhile)
                    self._add_rows(table, rest, following)

            self.call_after_refresh(fill_rest)
        if self.rows:
            index = next((i for i, r in enumerate(self.rows) if picked and r.run_id == picked.run_id), None)
            table.move_cursor(row=min(keep, len(self.rows) - 1) if index is None else index)
        empty = self.query_one("#runs-empty", Static)
        empty.update("No runs yet. F2 lists the tasks; pick one and press enter to launch it.")
        empty.display = not self.rows
        table.display = bool(self.rows)
        if self.rows and self.focused is None:
            table.focus()  # hidden while the list was empty, it lost the focus
        self.refresh_bindings()

    def _add_rows(self, table: DataTable, rows: list[RunRow], following: set[str]) -> None:
        for row in rows:
            cells = self._live_cells(row, following)
            state, duration, exit_code = cells
            self._shown[row.run_id] = self._signature(row, following, cells)
            table.add_row(
                row.run_id,
                row.task_id,
                state,
                _when(row.started_at),
                duration,
                exit_code,
                row.pod_name or "-",
                row.namespace or "-",
                key=row.run_id,
            )

    def refresh_live_rows(self) -> None:
        """Once a second: the state, duration and exit code of live runs, updated in place.

        Only the cells that changed are written (none while the clock is frozen); the
        table is not rebuilt, so the cursor and the scroll stay where they are.
        """
        if not self.is_current or not self._history:
            return
        table = self.query_one(DataTable)
        following = self.kapp.followed.followed_ids()
        columns = (self._columns[2], self._columns[4], self._columns[5])  # state, duration, exit
        rebind = False
        for i, source in enumerate(self._history):
            if not source.live:
                continue  # finished in history: nothing moves
            row = self._seen_live(source, following)
            cells = self._live_cells(row, following)
            signature = self._signature(row, following, cells)
            before = self._shown.get(row.run_id)
            if signature == before:
                continue
            self._shown[row.run_id] = signature
            self.rows[i] = row
            for column, value, old, new in zip(columns, cells, before or (None,) * 3, signature, strict=True):
                if old != new:
                    table.update_cell(row.run_id, column, value, update_width=True)
            rebind |= before is None or before[0] != signature[0]
        if rebind:
            self.refresh_bindings()  # kill/reattach/detach follow the selected run's liveness

    @property
    def selected(self) -> RunRow | None:
        if not self.rows:
            return None
        row = self.query_one(DataTable).cursor_row
        return self.rows[row] if row < len(self.rows) else None

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        row = self.selected
        if row is not None:
            self.kapp.open_run(row.run_id)

    def action_reattach(self) -> None:
        row = self.selected
        if row is None:
            return
        if not row.live:
            self.notify("this run has finished", severity="warning")
        elif self.kapp.followed.is_followed(row.run_id):
            self.kapp.open_run(row.run_id)
        else:
            self.kapp.reattach_run(row.run_id)

    def action_detach(self) -> None:
        row = self.selected
        if row is None or not self.kapp.followed.is_followed(row.run_id):
            self.notify("select a run this app follows live", severity="warning")
            return
        self.kapp.detach_run(row.run_id)

    def action_kill(self) -> None:
        # on first use: not for the first frame
        from kpodtui.tui.dialogs.confirm_dialog import ConfirmDialog

        row = self.selected
        if row is None or not row.live:
            self.notify("select a live run", severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.kapp.kill_run(row.run_id)

        self.app.push_screen(
            ConfirmDialog("Kill this run?", f"Delete pod {row.pod_name or '?'} of run {row.run_id} now?", "Kill"),
            confirmed,
        )

    def action_rerun(self) -> None:
        row = self.selected
        if row is not None:
            self.kapp.rerun(row.run_id)

    def action_reload(self) -> None:
        self.kapp.refresh_runs()

    def palette_entries(self) -> list[PaletteEntry]:
        return [
            PaletteEntry("Open run", "its run view (logs from disk when finished)", self.action_open),
            PaletteEntry("Reattach run", "follow a detached live run again", self.action_reattach),
            PaletteEntry("Detach run", "stop following a live run; its pod goes on", self.action_detach),
            PaletteEntry("Kill run", "delete the pod now (asks first)", self.action_kill),
            PaletteEntry("Rerun", "launch the same spec again", self.action_rerun),
            PaletteEntry("Reload history", "", self.action_reload),
        ]
