"""The run view: header, logs, events, XCom and outcome of one run, live or from history."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Label

from kpodtui.tui.commands import PaletteEntry
from kpodtui.tui.data.run_model import EVENTS, HEADER, LOGS, OUTCOME, STATUS, STREAMS, XCOM
from kpodtui.tui.dialogs.text_dialog import TextDialog
from kpodtui.tui.widgets.app_header import AppHeader
from kpodtui.tui.widgets.events_list import EventsList
from kpodtui.tui.widgets.key_footer import KeyFooter
from kpodtui.tui.widgets.log_pane import LogPane
from kpodtui.tui.widgets.log_view import LogView, pretty_json
from kpodtui.tui.widgets.result_panes import OutcomePane, XComPane
from kpodtui.tui.widgets.run_header import RunHeader

if TYPE_CHECKING:
    from kpodtui.tui.app import KpodApp
    from kpodtui.tui.data.followed import FollowedRun


# One footer entry for the three display toggles ("t w J Time/Wrap/JSON").
_TOGGLES = Binding.Group("Time/Wrap/JSON", compact=False)
#: below this many columns the events, XCom and outcome fold under the logs
NARROW = 100


class RunScreen(Screen[None]):
    """One run. Shows the app's :class:`FollowedRun` for ``run_id`` (followed live or opened from history).

    The bindings are in the order the footer shows them: what matters most first.
    """

    HELP_GROUP = "Run"
    BINDINGS = [
        Binding("q,escape", "back", "Back", id="back"),
        Binding("x", "kill", "Kill", id="kill"),
        Binding("x", "delete_pod", "Delete pod", id="delete-pod"),
        Binding("K", "keep", "Keep", id="keep"),
        Binding("K", "unkeep", "Don't keep", id="unkeep"),
        Binding("d", "describe", "Describe", id="describe"),
        Binding("s", "shell", "Shell", id="shell"),
        Binding("slash", "search", "Search", id="log-search", key_display="/"),
        Binding("y", "pod_yaml", "YAML", id="pod-yaml"),
        Binding("r", "rerun", "Rerun", id="rerun"),
        Binding("D", "detach", "Detach", id="detach"),
        Binding("a", "reattach", "Reattach", id="reattach"),
        Binding("o", "report", "Report", id="report"),
        Binding("e", "rerun_edit", "Rerun with edits", id="rerun-edit"),
        Binding("F", "filter", "Filter", id="log-filter"),
        Binding("L", "window", "Window", id="log-window"),
        Binding("C", "containers", "Containers", id="log-containers"),
        Binding("p", "previous", "Previous log", id="log-previous"),
        Binding("n", "next_match(1)", "Next match", id="log-next", show=False),
        Binding("N", "next_match(-1)", "Previous match", id="log-prev", show=False),
        Binding("end", "tail", "Live tail", id="log-tail", key_display="end"),
        Binding("t", "toggle_log_option('timestamps')", "Timestamps", id="log-timestamps", group=_TOGGLES),
        Binding("w", "toggle_log_option('wrap')", "Wrap", id="log-wrap", group=_TOGGLES),
        Binding("J", "toggle_log_option('json_mode')", "JSON", id="log-json", group=_TOGGLES),
        Binding("right_square_bracket", "container(1)", "Next container", id="log-next-container", show=False),
        Binding("left_square_bracket", "container(-1)", "Previous container", id="log-prev-container",
                show=False),
        Binding("c", "copy_line", "Copy line", id="log-copy-line"),
        Binding("ctrl+s", "save_log", "Save log", id="log-save"),
        Binding("m", "maximize_logs", "Max logs", id="log-maximize"),
        Binding("E", "toggle_side", "Events pane", id="toggle-side"),
        Binding("plus", "side(1)", "Events pane larger", id="side-larger", show=False),
        Binding("minus", "side(-1)", "Events pane smaller", id="side-smaller", show=False),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.followed: FollowedRun | None = None
        self._footer_state: tuple | None = None
        self._built = False  # the panes' own children exist (after the first refresh)
        self.side_width = 34  # percent of the width, beside the logs (wide terminals)
        self.side_rows = 9  # rows under the logs (narrow terminals)

    @property
    def kapp(self) -> KpodApp:
        return cast("KpodApp", self.app)

    def compose(self) -> ComposeResult:
        yield AppHeader(f"run {self.run_id}")
        yield RunHeader(id="run-header")
        with Horizontal(id="run-body"):
            yield LogPane(id="log-pane")
            with Vertical(id="run-side"):
                yield Label("Events (enter: in full)", classes="pane-title")
                yield EventsList(id="events")
                yield Label("XCom", classes="pane-title xcom")
                yield XComPane(id="xcom", classes="xcom")
                yield Label("Outcome", classes="pane-title outcome")
                yield OutcomePane(id="outcome", classes="outcome")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = f"run {self.run_id}"
        self.set_interval(1.0, self._tick, name="elapsed")
        self._lay_out(self.app.size.width)
        # a run handed over before the screen was pushed (opened from the history) shows in the first frame
        followed = self.kapp.followed.get(self.run_id)
        if followed is not None:
            self.followed = followed
            self.query_one(RunHeader).show(followed.model)
            self.query_one(OutcomePane).show(followed.model)
        # children of the panes compose during this first refresh
        self.call_after_refresh(self._first_attach)

    def _first_attach(self) -> None:
        self._built = True
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

    # -- layout ------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self._lay_out(event.size.width)

    def _lay_out(self, width: int) -> None:
        """Side by side when wide; below ~100 columns the side folds under the logs."""
        narrow = width < NARROW
        self.set_class(narrow, "-narrow")
        side = self.query_one("#run-side")
        if narrow:
            side.styles.width = "100%"
            side.styles.height = self.side_rows
        else:
            side.styles.width = f"{self.side_width}%"
            side.styles.height = "1fr"

    def action_side(self, step: int) -> None:
        """``+``/``-``: the events pane larger or smaller (wider beside the logs, taller under them)."""
        if self.has_class("-narrow"):
            self.side_rows = max(4, min(self.size.height - 8, self.side_rows + 2 * step))
        else:
            self.side_width = max(20, min(70, self.side_width + 6 * step))
        self._lay_out(self.app.size.width)

    def action_toggle_side(self) -> None:
        side = self.query_one("#run-side")
        side.display = not side.display

    # -- what shows --------------------------------------------------------------------

    def _model(self):
        return self.followed.model if self.followed else None

    def _live(self) -> bool:
        model = self._model()
        return model is not None and model.live

    def _followed_here(self) -> bool:
        return self.kapp.followed.is_followed(self.run_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Actions show in the footer (and run) only when they apply to this run now."""
        model = self._model()
        if action in ("kill", "keep", "unkeep", "detach", "reattach", "delete_pod", "describe", "pod_yaml",
                      "shell", "previous", "report", "rerun", "rerun_edit"):
            if model is None:
                return False
            return {
                "kill": model.live,
                "keep": model.live and not model.keep,
                "unkeep": model.live and model.keep,
                "detach": model.live and self._followed_here(),
                "reattach": model.live and not self._followed_here(),
                "delete_pod": model.pod_left,
                "describe": bool(model.pod_name),
                "pod_yaml": bool(model.pod_name),
                "shell": bool(model.pod_name) and (model.live or model.pod_left),
                "previous": bool(model.pod_name) and (model.live or model.pod_left),
                "report": model.finished is not None and bool(model.finished.report),
                "rerun": bool(model.spec_path),
                "rerun_edit": bool(model.spec_path),
            }[action]
        return True

    def model_changed(self, changes: set[str]) -> None:
        """Repaint what changed (called by the app once per drained frame)."""
        if self.followed is None or not self.is_mounted or not self._built:
            return
        model = self.followed.model
        state = (model.live, model.keep, model.pod_left, bool(model.pod_name), self._followed_here(),
                 model.finished is not None)
        if state != self._footer_state:  # the footer shows what applies now
            self._footer_state = state
            self.refresh_bindings()  # only on a change: the footer rebuilds itself each time
        if changes & {HEADER, STATUS, OUTCOME}:
            self.query_one(RunHeader).show(model)
        if LOGS in changes or STREAMS in changes or OUTCOME in changes:
            self.query_one(LogPane).sync(logs_changed=LOGS in changes)
        if EVENTS in changes:
            self.query_one(EventsList).show(model.events)
        if XCOM in changes:
            self.query_one(XComPane).show(model)
        if OUTCOME in changes:
            self.query_one(OutcomePane).show(model)
        side = self.query_one("#run-side")
        side.set_class(not model.has_xcom, "-no-xcom")  # (folded: no "none" row)
        side.set_class(model.finished is None, "-no-outcome")

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

    def action_window(self) -> None:
        self.pane.open_bar("window")

    def action_containers(self) -> None:
        self.pane.open_bar("containers")

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

    def action_previous(self) -> None:
        """``p``: the log of the shown container's previous instance (the base container on "all")."""
        model = self._model()
        if model is None:
            return
        container = self.pane.view.container or _base(model.containers)
        self.kapp.show_previous_log(self.run_id, container)

    @on(LogView.LineOpened)
    def _line_opened(self, event: LogView.LineOpened) -> None:
        pretty = pretty_json(event.line.text)
        title = f"[{event.line.container}] {event.line.timestamp}"
        self.app.push_screen(TextDialog(title, pretty or event.line.text, "json" if pretty else None))

    @on(EventsList.OptionSelected, "#events")
    def _event_opened(self, event: EventsList.OptionSelected) -> None:
        """An event in full: scheduler and kubelet messages are long."""
        ev = self.query_one(EventsList).selected_event()
        if ev is None:
            return
        lines = [f"{ev.type}  {ev.reason}" + (f"  (x{ev.count})" if ev.count > 1 else ""),
                 f"last seen: {ev.timestamp or '-'}"]
        if ev.field_path:
            lines.append(f"object: {ev.field_path}")
        self.app.push_screen(TextDialog(f"event {ev.reason}", "\n".join(lines) + "\n\n" + ev.message))

    # -- run actions -----------------------------------------------------------------

    def action_back(self) -> None:
        if self.pane.bar_mode is not None:
            self.pane.close_bar()
        else:
            self.dismiss()

    def action_kill(self) -> None:
        self.kapp.ask_kill(self.run_id)

    def action_delete_pod(self) -> None:
        self.kapp.ask_delete_pod(self.run_id)

    def action_keep(self) -> None:
        self.kapp.ask_keep(self.run_id, True)

    def action_unkeep(self) -> None:
        self.kapp.ask_keep(self.run_id, False)

    def action_detach(self) -> None:
        self.kapp.detach_run(self.run_id)

    def action_reattach(self) -> None:
        self.kapp.reattach_run(self.run_id)

    def action_rerun(self) -> None:
        self.kapp.rerun(self.run_id)

    def action_rerun_edit(self) -> None:
        self.kapp.rerun(self.run_id, edit=True)

    def action_pod_yaml(self) -> None:
        self.kapp.show_pod_yaml(self.run_id)

    def action_describe(self) -> None:
        self.kapp.describe_pod(self.run_id)

    def action_shell(self) -> None:
        self.kapp.open_shell(self.run_id)

    def action_report(self) -> None:
        model = self._model()
        if model is not None and model.finished is not None and model.finished.report:
            verdict = model.finished.outcome
            self.kapp.show_text(f"run {self.run_id}: {verdict} · failure report", model.finished.report,
                                where=f"run {self.run_id} · report")

    def palette_entries(self) -> list[PaletteEntry]:
        return [
            PaletteEntry("Kill run", "delete the pod now (asks first)", self.action_kill),
            PaletteEntry("Delete kept pod", "the pod a finished run kept (asks first)", self.action_delete_pod),
            PaletteEntry("Keep pod", "switch this run to keep_pod (asks first; K again undoes)", self.action_keep),
            PaletteEntry("Don't keep pod", "undo keep: the pod goes as the spec says", self.action_unkeep),
            PaletteEntry("Describe pod", "kubectl describe pod (as recorded when it is gone)", self.action_describe),
            PaletteEntry("Shell", "a shell in a container of the pod", self.action_shell),
            PaletteEntry("Detach", "stop following; the pod goes on (reattach later)", self.action_detach),
            PaletteEntry("Reattach", "follow this run live again", self.action_reattach),
            PaletteEntry("Rerun", "launch the same spec again, with the same --set overrides", self.action_rerun),
            PaletteEntry("Rerun with edits", "change the --set overrides, then launch", self.action_rerun_edit),
            PaletteEntry("Show pod YAML", "the pod as the cluster has it (or the recorded manifest)",
                         self.action_pod_yaml),
            PaletteEntry("Failure report", "the report full-screen", self.action_report),
            PaletteEntry("Previous log", "the container's instance before its last restart", self.action_previous),
            PaletteEntry("Copy line", "copy the cursor line", self.action_copy_line),
            PaletteEntry("Save log", "write the whole log to a file", self.action_save_log),
            PaletteEntry("Live tail", "jump back to the end and follow", self.action_tail),
            PaletteEntry("Search log", "highlight and jump", self.action_search),
            PaletteEntry("Filter log", "show only matching lines", self.action_filter),
            PaletteEntry("Log window", "the last minutes, or the last lines", self.action_window),
            PaletteEntry("Containers shown", "regexes to show or hide containers (as stern)", self.action_containers),
            PaletteEntry("Toggle timestamps", "", partial(self.action_toggle_log_option, "timestamps")),
            PaletteEntry("Toggle wrap", "", partial(self.action_toggle_log_option, "wrap")),
            PaletteEntry("Toggle JSON pretty-print", "", partial(self.action_toggle_log_option, "json_mode")),
            PaletteEntry("Toggle events pane", "", self.action_toggle_side),
        ]


def _base(containers: list[str]) -> str:
    return "base" if "base" in containers or not containers else containers[0]
