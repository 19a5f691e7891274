"""The run view: header, logs, events, XCom and outcome of one run, live or from history."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label

from kpodtui.tui.commands import PaletteEntry
from kpodtui.tui.data.run_model import EVENTS, HEADER, LOGS, OUTCOME, STATUS, STREAMS, XCOM
from kpodtui.tui.dialogs.confirm_dialog import ConfirmDialog
from kpodtui.tui.dialogs.text_dialog import TextDialog
from kpodtui.tui.widgets.events_table import EventsTable
from kpodtui.tui.widgets.log_pane import LogPane
from kpodtui.tui.widgets.log_view import LogView, pretty_json
from kpodtui.tui.widgets.result_panes import OutcomePane, XComPane
from kpodtui.tui.widgets.run_header import RunHeader

if TYPE_CHECKING:
    from kpodtui.tui.app import KpodApp
    from kpodtui.tui.data.followed import FollowedRun


# One footer entry for the three display toggles ("t w J Time/Wrap/JSON"): the footer is full.
_TOGGLES = Binding.Group("Time/Wrap/JSON", compact=False)


class RunScreen(Screen[None]):
    """One run. Shows the app's :class:`FollowedRun` for ``run_id`` (followed live or opened from history)."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("end", "tail", "Live tail", id="log-tail", key_display="end"),
        Binding("slash", "search", "Search", id="log-search", key_display="/"),
        Binding("n", "next_match(1)", "Next", id="log-next", show=False),
        Binding("N", "next_match(-1)", "Prev", id="log-prev", show=False),
        Binding("F", "filter", "Filter", id="log-filter"),
        Binding("t", "toggle_log_option('timestamps')", "Timestamps", id="log-timestamps", group=_TOGGLES),
        Binding("w", "toggle_log_option('wrap')", "Wrap", id="log-wrap", group=_TOGGLES),
        Binding("J", "toggle_log_option('json_mode')", "JSON", id="log-json", group=_TOGGLES),
        Binding("right_square_bracket", "container(1)", "Next container", id="log-next-container", show=False),
        Binding("left_square_bracket", "container(-1)", "Prev container", id="log-prev-container", show=False),
        Binding("c", "copy_line", "Copy", id="copy-line"),
        Binding("ctrl+s", "save_log", "Save", id="save-log"),
        Binding("x", "kill", "Kill", id="kill"),
        Binding("k", "keep", "Keep", id="keep"),
        Binding("d", "detach", "Detach", id="detach"),
        Binding("a", "reattach", "Reattach", id="reattach"),
        Binding("r", "rerun", "Rerun", id="rerun"),
        Binding("y", "pod_yaml", "Pod YAML", id="pod-yaml"),
        Binding("m", "maximize_logs", "Max logs", id="maximize-logs", show=False),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.followed: FollowedRun | None = None
        self._footer_state: tuple[bool, bool] | None = None
        self._built = False  # the panes' own children exist (after the first refresh)

    @property
    def kapp(self) -> KpodApp:
        return cast("KpodApp", self.app)

    def compose(self) -> ComposeResult:
        yield RunHeader(id="run-header")
        with Horizontal(id="run-body"):
            yield LogPane(id="log-pane")
            with Vertical(id="run-side"):
                yield Label("Events", classes="pane-title")
                yield EventsTable(id="events")
                yield Label("XCom", classes="pane-title")
                yield XComPane(id="xcom")
                yield Label("Outcome", classes="pane-title")
                yield OutcomePane(id="outcome")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"run {self.run_id}"
        self.set_interval(1.0, self._tick, name="elapsed")
        # children of the panes compose during this first refresh
        self.call_after_refresh(self._first_attach)

    def _first_attach(self) -> None:
        self._built = True
        # a run handed over before the panes were built (a fast history load) is shown now
        followed = self.followed or self.kapp.followed.get(self.run_id)
        if followed is not None:
            self.attach(followed)
        self.query_one(LogView).focus()

    def on_screen_resume(self) -> None:
        if not self._built:
            return  # _first_attach shows whatever is there
        followed = self.kapp.followed.get(self.run_id)
        if followed is not None and followed is not self.followed:
            self.attach(followed)
        elif followed is not None:
            self.model_changed({HEADER, LOGS, EVENTS, XCOM, OUTCOME, STREAMS})

    def attach(self, followed: FollowedRun) -> None:
        """Show ``followed`` (called again when a history view becomes a live one)."""
        self.followed = followed
        if not self._built:
            return  # the panes are not there yet: _first_attach shows it
        self.query_one(LogPane).attach(followed.model)
        self.model_changed({HEADER, EVENTS, XCOM, OUTCOME, STREAMS})

    # Actions that only make sense for a run followed live here (kill, keep, detach), or for
    # a live run nobody here follows (reattach), leave the footer otherwise.
    _FOLLOWED_ONLY = frozenset({"kill", "keep", "detach"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self._FOLLOWED_ONLY:
            return self._live()
        if action == "reattach":
            return self._detached()
        return True

    def _detached(self) -> bool:
        model = self.followed.model if self.followed else None
        return model is not None and model.live and not self.kapp.followed.is_followed(self.run_id)

    def model_changed(self, changes: set[str]) -> None:
        """Repaint what changed (called by the app once per drained frame)."""
        if self.followed is None or not self.is_mounted or not self._built:
            return
        state = (self._live(), self._detached())
        if state != self._footer_state:  # live, finished or detached: the footer shows what applies
            self._footer_state = state
            self.refresh_bindings()  # only on a change: the footer rebuilds itself each time
        model = self.followed.model
        if changes & {HEADER, STATUS, OUTCOME}:
            self.query_one(RunHeader).show(model)
        if LOGS in changes or STREAMS in changes:
            self.query_one(LogPane).sync(logs_changed=LOGS in changes)
        if EVENTS in changes:
            self.query_one(EventsTable).show(model.events)
        if XCOM in changes:
            self.query_one(XComPane).show(model)
        if OUTCOME in changes:
            self.query_one(OutcomePane).show(model)

    def _tick(self) -> None:
        if self.followed is not None and self._built and self.followed.model.live:
            self.query_one(RunHeader).show(self.followed.model)

    # -- log actions ---------------------------------------------------------------

    @property
    def pane(self) -> LogPane:
        return self.query_one(LogPane)

    def action_tail(self) -> None:
        self.pane.view.tail()
        self.pane.update_status()

    def action_search(self) -> None:
        self.pane.open_bar("search")

    def action_filter(self) -> None:
        self.pane.open_bar("filter")

    def action_next_match(self, direction: int) -> None:
        if not self.pane.view.next_match(direction):
            self.notify("no match", severity="warning", timeout=2)
        self.pane.update_status()  # "3/11"

    def action_toggle_log_option(self, what: str) -> None:
        self.pane.view.toggle(what)
        self.pane.update_status()

    def action_container(self, step: int) -> None:
        self.pane.step_container(step)

    def action_copy_line(self) -> None:
        line = self.pane.view.current_line()
        if line is None:
            return
        self.app.copy_to_clipboard(line.text)
        self.notify("line copied", timeout=2)

    def action_save_log(self) -> None:
        self.kapp.save_log(self.run_id)

    def action_maximize_logs(self) -> None:
        if self.maximized is None:
            self.maximize(self.pane.view)
        else:
            self.minimize()

    @on(LogView.LineOpened)
    def _line_opened(self, event: LogView.LineOpened) -> None:
        pretty = pretty_json(event.line.text)
        title = f"[{event.line.container}] {event.line.timestamp}"
        self.app.push_screen(TextDialog(title, pretty or event.line.text, "json" if pretty else None))

    @on(EventsTable.RowSelected, "#events")
    def _event_opened(self, event: EventsTable.RowSelected) -> None:
        """An event in full: the pane is narrow, scheduler and kubelet messages are long."""
        ev = self.query_one(EventsTable).selected_event()
        if ev is None:
            return
        lines = [f"{ev.type}  {ev.reason}" + (f"  (x{ev.count})" if ev.count > 1 else ""),
                 f"last seen: {ev.timestamp or '-'}"]
        if ev.field_path:
            lines.append(f"object: {ev.field_path}")
        self.app.push_screen(TextDialog(f"event {ev.reason}", "\n".join(lines) + "\n\n" + ev.message))

    # -- run actions -----------------------------------------------------------------

    def _live(self) -> bool:
        return self.followed is not None and self.followed.model.live and self.followed.handle is not None

    def action_back(self) -> None:
        if self.pane.bar_mode is not None:
            self.pane.close_bar()
        else:
            self.dismiss()

    def action_kill(self) -> None:
        model = self.followed.model if self.followed else None
        if model is None or not model.live:
            self.notify("this run is not live", severity="warning")
            return
        pod = model.pod_name or "(pod not created yet)"

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.kapp.kill_run(self.run_id)

        self.app.push_screen(
            ConfirmDialog("Kill this run?", f"Delete pod {pod} now? The run ends as killed.", "Kill"),
            confirmed,
        )

    def action_keep(self) -> None:
        if self.followed is None or not self.followed.model.live:
            self.notify("this run is not live", severity="warning")
            return
        self.kapp.keep_run(self.run_id)

    def action_detach(self) -> None:
        if not self._live():
            self.notify("this run is not followed live here", severity="warning")
            return
        self.kapp.detach_run(self.run_id)

    def action_reattach(self) -> None:
        if self.kapp.followed.is_followed(self.run_id):
            self.notify("already following this run", timeout=2)
            return
        self.kapp.reattach_run(self.run_id)

    def action_rerun(self) -> None:
        self.kapp.rerun(self.run_id)

    def action_pod_yaml(self) -> None:
        self.kapp.show_pod_yaml(self.run_id)

    def palette_entries(self) -> list[PaletteEntry]:
        return [
            PaletteEntry("Kill run", "delete the pod now (asks first)", self.action_kill),
            PaletteEntry("Keep pod", "switch this run to keep_pod", self.action_keep),
            PaletteEntry("Detach", "stop following; the pod goes on (reattach later)", self.action_detach),
            PaletteEntry("Reattach", "follow this run live again", self.action_reattach),
            PaletteEntry("Rerun", "launch the same spec again", self.action_rerun),
            PaletteEntry("Show pod YAML", "the pod as the cluster has it", self.action_pod_yaml),
            PaletteEntry("Copy line", "copy the cursor line", self.action_copy_line),
            PaletteEntry("Save log", "write the whole log to a file", self.action_save_log),
            PaletteEntry("Live tail", "jump back to the end and follow", self.action_tail),
            PaletteEntry("Search log", "highlight and jump", self.action_search),
            PaletteEntry("Filter log", "show only matching lines", self.action_filter),
            PaletteEntry("Toggle timestamps", "", partial(self.action_toggle_log_option, "timestamps")),
            PaletteEntry("Toggle wrap", "", partial(self.action_toggle_log_option, "wrap")),
            PaletteEntry("Toggle JSON pretty-print", "", partial(self.action_toggle_log_option, "json_mode")),
        ]
