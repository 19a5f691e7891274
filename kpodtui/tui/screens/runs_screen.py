"""Runs: the history, live runs first, with state, reason, duration and exit code.

``/`` filters (any column), ``S`` sorts by the next column and ``I`` inverts (a click on
a column's header sorts by it), as k9s. The list follows the history: another process
starting, keeping, killing or finishing a run shows within a second.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import ColumnKey

from kpodtui.runstate import DETACHED
from kpodtui.termsafe import escape
from kpodtui.tui.commands import PaletteEntry
from kpodtui.tui.data.backend import RunRow
from kpodtui.tui.data.clock import format_duration, now
from kpodtui.tui.data.history_rows import live_row
from kpodtui.tui.phase_styles import PHASE_STYLES
from kpodtui.tui.screens.list_filter import FilterSort
from kpodtui.tui.widgets.app_header import AppHeader
from kpodtui.tui.widgets.key_footer import KeyFooter
from kpodtui.tui.widgets.lists import KTable

if TYPE_CHECKING:
    from kpodtui.tui.app import KpodApp

COLUMNS = ("run", "task", "state", "reason", "exit", "duration", "started", "pod", "namespace")
STATE, DURATION, EXIT = COLUMNS.index("state"), COLUMNS.index("duration"), COLUMNS.index("exit")


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def _duration(row: RunRow) -> float | None:
    end = row.finished_at if row.finished_at is not None else (now() if row.live else None)
    return end - row.started_at if row.started_at and end else None


def _sort_key(row: RunRow, column: str) -> tuple:
    value = {"run": row.run_id, "task": row.task_id, "state": row.state, "reason": row.reason or "",
             "exit": row.exit_code if row.exit_code is not None else -1, "duration": _duration(row) or 0.0,
             "started": row.started_at or 0.0, "pod": row.pod_name or "", "namespace": row.namespace or ""}[column]
    return (value,)


class RunsScreen(FilterSort, Screen[None]):
    """The run history. Enter opens a run (live, or its logs from disk)."""

    HELP_GROUP = "Runs"
    BINDINGS = [
        Binding("enter", "open", "Open", id="open-run", priority=True),  # shown: the table's own enter is not
        Binding("x", "kill", "Kill", id="kill-run"),
        Binding("x", "delete_pod", "Delete pod", id="delete-pod-run"),
        Binding("K", "keep", "Keep", id="keep-run"),
        Binding("K", "unkeep", "Don't keep", id="unkeep-run"),
        Binding("slash", "filter", "Filter", id="filter-runs", key_display="/"),
        Binding("r", "rerun", "Rerun", id="rerun-run"),
        Binding("a", "reattach", "Reattach", id="reattach-run"),
        Binding("D", "detach", "Detach", id="detach-run"),
        Binding("e", "rerun_edit", "Rerun with edits", id="rerun-edit-run"),
        Binding("S", "sort(1)", "Sort", id="sort-runs"),
        Binding("I", "invert", "Invert", id="invert-runs"),
        Binding("f5", "reload", "Reload", id="reload-runs"),
        Binding("escape", "clear_filter", "Clear filter", id="clear-filter-runs", show=False),
    ]

    TICK = 1.0  # seconds between refreshes of the live rows' durations

    FILTER_ID, TABLE_ID, SORT_COLUMNS = "runs-filter", "runs-table", COLUMNS
    UNSORTED = "live runs first, newest first"

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[RunRow] = []  # as shown: live runs the app follows seen through their model
        self._history: list[RunRow] = []  # the same rows as history gave them
        self._shown: dict[str, tuple[object, str, str]] = {}  # what the live cells show, by run_id
        self._columns: list[ColumnKey] = []
        self._filling = 0  # bumped by each show_runs: a later fill of an older list is dropped
        self._source: list[RunRow] = []  # every row the app listed (before the filter)

    def compose(self) -> ComposeResult:
        yield AppHeader("runs")
        yield Static("loading history…", id="runs-empty")
        yield KTable(id="runs-table", cursor_type="row")
        yield Input(placeholder="filter: any column (escape: clear)", id="runs-filter")
        yield KeyFooter()

    @property
    def kapp(self) -> KpodApp:
        return cast("KpodApp", self.app)

    def on_mount(self) -> None:
        self.sub_title = "runs"
        table = self.query_one(DataTable)
        self._columns = table.add_columns(*COLUMNS)
        self.query_one("#runs-filter").display = False
        if self.kapp.runs_listed():
            self.show_runs(self.kapp.run_rows(), self.kapp.followed.followed_ids())
        table.focus()
        self.set_interval(self.TICK, self.refresh_live_rows, name="runs-tick")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Row actions show in the footer only when they apply to the selected run."""
        if action == "clear_filter":
            return self.filter_shown()
        if action not in ("open", "reattach", "kill", "rerun", "rerun_edit", "detach", "keep", "unkeep",
                          "delete_pod"):
            return True
        row = self.selected
        if row is None:
            return False
        followed = self.kapp.followed.is_followed(row.run_id)
        return {
            "open": True,
            "reattach": row.live and not followed,
            "kill": row.live,
            "detach": row.live and followed,
            "keep": row.live and not row.keep,
            "unkeep": row.live and row.keep,
            "delete_pod": row.pod_left,
            "rerun": bool(row.spec_path),
            "rerun_edit": bool(row.spec_path),
        }[action]

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
        if row.live and row.detached and row.run_id not in following:
            state.append(f" ({DETACHED})", "dim")
        if row.live and row.keep:
            state.append(" keep", "yellow")
        elif row.pod_left:
            state.append(" pod kept", "yellow")
        return state, format_duration(_duration(row)), "-" if row.exit_code is None else str(row.exit_code)

    @staticmethod
    def _signature(row: RunRow, following: set[str], cells: tuple[Text, str, str]) -> tuple[object, str, str]:
        """What the live cells show, comparable: (state, duration, exit code)."""
        return (row.state, row.live, row.run_id in following, row.keep), cells[1], cells[2]

    def _matches(self, row: RunRow) -> bool:
        if not self.filter_text:
            return True
        needle = self.filter_text.lower()
        cells = (row.run_id, row.task_id, row.state, row.reason or "", row.pod_name or "", row.namespace or "",
                 " ".join(row.overrides))
        return any(needle in cell.lower() for cell in cells)

    def _ordered(self, pairs: list[tuple[RunRow, RunRow]]) -> list[tuple[RunRow, RunRow]]:
        if self.sort_by is None:
            ordered = sorted(pairs, key=lambda p: (not p[0].live, -(p[0].started_at or 0)))
            return list(reversed(ordered)) if self.descending else ordered
        column = self.sort_by
        return sorted(pairs, key=lambda p: _sort_key(p[0], column), reverse=self.descending)

    def show_runs(self, rows: list[RunRow], following: set[str]) -> None:
        self._source = list(rows)
        table = self.query_one(DataTable)
        picked = self.selected  # the cursor stays on its run, not on its row number
        keep = table.cursor_row
        pairs = self._ordered([(self._seen_live(row, following), row) for row in rows
                               if self._matches(row)])
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
        if self._source and not self.rows:
            empty.update(f"No run matches {self.filter_text!r} (escape clears the filter).")
        else:
            empty.update("No runs yet. F2 lists the tasks; pick one and press enter to launch it.")
        empty.display = not self.rows
        table.display = bool(self.rows)
        if self.rows and self.focused is None:
            table.focus()  # hidden while the list was empty, it lost the focus
        self._sort_marks()
        self.refresh_bindings()

    def _add_rows(self, table: DataTable, rows: list[RunRow], following: set[str]) -> None:
        for row in rows:
            cells = self._live_cells(row, following)
            state, duration, exit_code = cells
            self._shown[row.run_id] = self._signature(row, following, cells)
            table.add_row(
                row.run_id,
                escape(row.task_id),
                state,
                Text(escape(row.reason or "-", newlines=False), "bold red" if row.reason else "dim"),
                exit_code,
                duration,
                _when(row.started_at),
                escape(row.pod_name or "-"),
                row.namespace or "-",
                key=row.run_id,
            )

    def _sort_marks(self) -> None:
        """The sorted column's header says so: ``state ▲``."""
        table = self.query_one(DataTable)
        for key, name in zip(self._columns, COLUMNS, strict=True):
            mark = (" ▼" if self.descending else " ▲") if name == self.sort_by else ""
            table.columns[key].label = Text(name + mark)

    def refresh_live_rows(self) -> None:
        """Once a second: the state, duration and exit code of live runs, updated in place.

        Only the cells that changed are written (none while the clock is frozen); the
        table is not rebuilt, so the cursor and the scroll stay where they are.
        """
        if not self.is_current or not self._history:
            return
        table = self.query_one(DataTable)
        following = self.kapp.followed.followed_ids()
        columns = (self._columns[STATE], self._columns[DURATION], self._columns[EXIT])
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

    def reshow(self) -> None:
        self.show_runs(self._source, self.kapp.followed.followed_ids())

    # -- actions --------------------------------------------------------------------------

    def action_open(self) -> None:
        if self.focused is self.query_one("#runs-filter"):
            self.filter_done()
            return
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
        row = self.selected
        if row is None or not row.live:
            self.notify("select a live run", severity="warning")
            return
        self.kapp.ask_kill(row.run_id)

    def action_delete_pod(self) -> None:
        row = self.selected
        if row is not None:
            self.kapp.ask_delete_pod(row.run_id)

    def action_keep(self) -> None:
        row = self.selected
        if row is not None:
            self.kapp.ask_keep(row.run_id, True)

    def action_unkeep(self) -> None:
        row = self.selected
        if row is not None:
            self.kapp.ask_keep(row.run_id, False)

    def action_rerun(self) -> None:
        row = self.selected
        if row is not None:
            self.kapp.rerun(row.run_id)

    def action_rerun_edit(self) -> None:
        row = self.selected
        if row is not None:
            self.kapp.rerun(row.run_id, edit=True)

    def action_reload(self) -> None:
        self.kapp.refresh_runs()

    def palette_entries(self) -> list[PaletteEntry]:
        return [
            PaletteEntry("Open run", "its run view (logs from disk when finished)", self.action_open),
            PaletteEntry("Reattach run", "follow a detached live run again", self.action_reattach),
            PaletteEntry("Detach run", "stop following a live run; its pod goes on", self.action_detach),
            PaletteEntry("Kill run", "delete the pod now (asks first)", self.action_kill),
            PaletteEntry("Delete kept pod", "the pod a finished run kept (asks first)", self.action_delete_pod),
            PaletteEntry("Keep pod", "keep the pod when the run ends (asks first)", self.action_keep),
            PaletteEntry("Rerun", "launch the same spec again, with the same --set overrides", self.action_rerun),
            PaletteEntry("Rerun with edits", "change the --set overrides, then launch", self.action_rerun_edit),
            PaletteEntry("Filter runs", "show only runs matching a text", self.action_filter),
            PaletteEntry("Sort runs", "by the next column", lambda: self.action_sort(1)),
            PaletteEntry("Reload history", "", self.action_reload),
        ]
