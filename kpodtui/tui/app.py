"""The kpodtui Textual app: the shell around the screens (modes, workers, notifications, quitting).

What the app knows lives in :mod:`kpodtui.tui.data` (no Textual there): the
backend it calls from workers, and the :class:`FollowedRuns` it shows. Each
launched or reattached run writes its events into a feed; a ~15 Hz timer drains
the feeds into their models and tells the screens showing a run what changed
(15 repaints a second of a flooding log is all a person can follow; at 30 the
frames alone took a third of the app's thread and keys waited behind them)
(screens are found by what they show, :mod:`kpodtui.tui.views`, never by class).
Everything that may block (engine, history, cluster) runs in thread workers that
post messages back. The backend (and with it the kubernetes client) is built in
a worker after the first frame.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.signal import Signal
from textual.worker import get_current_worker

from kpodtui import paths
from kpodtui.errors import EXIT_BAD_INPUT, KpodtuiError
from kpodtui.termsafe import escape
from kpodtui.tui.actions import RunActions
from kpodtui.tui.data.backend import Backend, RunDetails, RunHandle, RunRow, Target, TaskEntry
from kpodtui.tui.data.followed import FollowedRuns
from kpodtui.tui.messages import (
    ActionFailed,
    BackendReady,
    Notice,
    RunAttached,
    RunDetailsLoaded,
    RunsLoaded,
    TasksLoaded,
)
from kpodtui.tui.views import ShowsRun, ShowsRuns, ShowsTasks

if TYPE_CHECKING:
    # The run model (and the engine's event classes) load with the first run, not before the first frame.
    from kpodtui.tui.data.run_model import RunFeed

BackendFactory = Callable[[], Backend]


# Screens and the palette provider load on first use: the first frame needs only one screen.
def _commands():
    from kpodtui.tui.commands import KpodCommands

    return KpodCommands


def _tasks_screen():
    from kpodtui.tui.screens.tasks_screen import TasksScreen

    return TasksScreen()


def _runs_screen():
    from kpodtui.tui.screens.runs_screen import RunsScreen

    return RunsScreen()


class KpodApp(RunActions, App[int]):
    """Pick, edit and launch task specs; watch runs live; kill, keep, reattach."""

    CSS_PATH = "app.tcss"
    TITLE = "kpodtui"
    COMMANDS = App.COMMANDS | {_commands}
    MODES = {"tasks": _tasks_screen, "runs": _runs_screen}
    #: screens pushed over a list say "q Back" with their own q; on the lists q quits (asking first
    #: about live runs and unsaved edits)
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark,f1", "help", "Help", id="help", key_display="?"),
        Binding("f2", "goto('tasks')", "Tasks", id="tasks"),
        Binding("f3", "goto('runs')", "Runs", id="runs"),
        Binding("colon", "switch_target", "Context", id="context", key_display=":"),
    ]
    HISTORY_POLL = 0.25  # seconds between two looks at the history's change counter (see RunsWatch)

    def __init__(
        self,
        backend_factory: BackendFactory | None = None,
        *,
        spec_paths: Sequence[Path] = (),
        start_mode: str | None = None,
        drain_hz: float = 15.0,
        reattach_on_start: bool = True,
    ) -> None:
        start = start_mode or ("tasks" if spec_paths else "runs")
        # The first screen is the start mode itself: switching modes from on_mount would
        # hold the first frame back (switch_mode delays updates by 50 ms and reparses the CSS).
        self.DEFAULT_MODE = start  # type: ignore[misc]
        super().__init__()
        self._backend_factory = backend_factory
        self.backend: Backend | None = None
        self.backend_error: str | None = None
        self.fatal_error: KpodtuiError | None = None  # ends the app; the CLI prints it on one line
        self._backend_ready = threading.Event()
        self.spec_paths = list(spec_paths)
        self.followed = FollowedRuns()  # the runs the app shows (live, or opened from the history)
        self._tasks: list[TaskEntry] = []
        self._rows: list[RunRow] = []
        self._runs_listed = False
        self._drain_interval = 1.0 / drain_hz
        self._reattach_on_start = reattach_on_start
        self._background_started = False
        self.target: Target | None = None  # (context, namespace) launches go to, once the backend knows
        self.target_changed: Signal[Target] = Signal(self, "target-changed")

    # -- start-up --------------------------------------------------------------

    def on_mount(self) -> None:
        self.set_interval(self._drain_interval, self.drain_feeds, name="drain-feeds")

    def on_ready(self) -> None:
        # Disk, engine and kubernetes client work waits for the first frame: worker
        # threads share the GIL with it. Frames drawn while the app mounts are held
        # back (a batch update); Ready comes after that batch, and the refresh after
        # it is the first frame the terminal receives.
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        # What the first screen shows loads alone; the rest waits until it is on screen
        # (worker threads share the GIL with the event loop).
        if self.current_mode == "tasks":
            self.load_tasks()
        else:
            self.load_history()

    def _start_background(self) -> None:
        """Once the first screen's data is shown (or failed to load): the rest of start-up."""
        if self._background_started:
            return
        self._background_started = True
        if self.current_mode == "tasks":
            self.load_history()
        else:
            self.load_tasks()
        # the engine and the kubernetes client (about a second of imports) come last
        self.set_timer(0.05, self._load_backend)

    def _load_backend(self) -> None:
        self.run_worker(self._build_backend, thread=True, exit_on_error=False, group="backend", name="backend")

    def _build_backend(self) -> None:
        from kpodtui.history.trouble import (  # (in the worker, after the first frame)
            HistoryDamaged,
            HistoryLocked,
        )

        try:
            if self._backend_factory is None:
                # the engine: after the first frame
                from kpodtui.tui.data.engine_backend import EngineBackend

                self.backend = EngineBackend()
            else:
                self.backend = self._backend_factory()
            error = None
            if hasattr(self.backend, "on_fatal"):  # a damaged history met later ends the app (exit 2)
                self.backend.on_fatal = lambda exc: self.call_from_thread(self._fatal, exc)
        except (HistoryDamaged, HistoryLocked) as exc:
            self.call_from_thread(self._fatal, exc)
            return
        except Exception as exc:  # the app stays usable to browse and edit specs
            error = f"{type(exc).__name__}: {exc}"
        self.backend_error = error
        self._backend_ready.set()
        self.post_message(BackendReady(error))

    def _fatal(self, exc: KpodtuiError) -> None:
        """End the app with ``exc``: the CLI says it on one line once the terminal is back."""
        self.fatal_error = exc
        self.exit(EXIT_BAD_INPUT)

    def wait_backend(self, timeout: float = 120.0) -> Backend:
        """In a worker: the backend once it is ready (raises if it failed to load)."""
        if not self._backend_ready.wait(timeout):
            raise RuntimeError("the engine is still loading")
        if self.backend is None:
            raise RuntimeError(self.backend_error or "no backend")
        return self.backend

    def backend_loaded(self) -> bool:
        """Whether the backend is there (so the history it lists is complete)."""
        return self.backend is not None

    @on(BackendReady)
    def _backend_loaded(self, message: BackendReady) -> None:
        # Start-up made a few hundred thousand long-lived objects (Textual, the engine, the
        # kubernetes client's models). Frozen, the collector's full passes skip them: those
        # passes otherwise stall the app (and the engine's threads) for up to ~0.3 s each
        # while a pod floods its log.
        gc.freeze()
        # Full passes also walk whatever the app holds (the log ring's 200k entries): ~0.1 s
        # each with a full ring. Ten times rarer than the default; young garbage is still
        # collected at the usual pace.
        young, middle, _old = gc.get_threshold()
        gc.set_threshold(young, middle, 100)
        if message.error:
            self.notify(f"engine unavailable: {message.error}", severity="error", timeout=10, markup=False)
            return
        self.refresh_runs(reattach=self._reattach_on_start)
        self.load_target()
        self.watch_history()

    @work(thread=True, exit_on_error=False, group="history-watch", exclusive=True)
    def watch_history(self) -> None:
        """The runs list follows the history: another process starting, keeping, killing or
        finishing a run shows within a second (a change counter is read, not the table)."""
        worker = get_current_worker()
        backend = self.wait_backend()
        while not worker.is_cancelled:
            time.sleep(self.HISTORY_POLL)
            try:
                changed = backend.history_changed()
            except Exception:  # noqa: BLE001 - the history is closing with the app
                return
            if changed and not worker.is_cancelled:
                self.call_from_thread(self.refresh_runs)

    # -- where launches go ----------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="target", exclusive=True)
    def load_target(self) -> None:
        try:
            target = self.wait_backend().target()
        except Exception as exc:
            self.post_message(ActionFailed("context", f"{exc}"))
            return
        self.call_from_thread(self._target_set, target)

    def _target_set(self, target: Target) -> None:
        self.target = target
        self.target_changed.publish(target)

    def action_switch_target(self) -> None:
        """``:``: pick the context and namespace launches go to."""
        if isinstance(self.screen, ModalScreen):
            return
        self._ask_target()

    @work(thread=True, exit_on_error=False, group="target")
    def _ask_target(self) -> None:
        try:
            backend = self.wait_backend()
            contexts, namespaces = backend.contexts(), backend.namespaces()
            current = self.target or backend.target()
        except Exception as exc:
            self.post_message(ActionFailed("context", f"{exc}"))
            return
        self.call_from_thread(self._show_target_dialog, contexts, current, namespaces)

    def _show_target_dialog(self, contexts: list[str], current: Target, namespaces: list[str]) -> None:
        from kpodtui.tui.dialogs.target_dialog import TargetDialog  # dialogs load on first use

        def chosen(choice: Target | None) -> None:
            if choice is not None:
                self._switch_target(*choice)

        self.push_screen(TargetDialog(contexts, current, namespaces), chosen)

    @work(thread=True, exit_on_error=False, group="target")
    def _switch_target(self, context: str | None, namespace: str) -> None:
        try:
            target = self.wait_backend().set_target(context, namespace)
        except Exception as exc:
            self.post_message(ActionFailed("switch context", f"{exc}"))
            return
        self.call_from_thread(self._target_set, target)
        self.post_message(Notice(f"launches go to context {target[0] or '(none)'}, namespace {target[1]}"))

    # -- help ------------------------------------------------------------------------

    def action_help(self) -> None:
        """``?`` / ``F1``: every key of the screen, grouped."""
        from kpodtui.tui.screens.help_screen import HelpScreen  # loads on first use

        if isinstance(self.screen, ModalScreen) or type(self.screen).__name__ == "HelpScreen":
            return
        self.push_screen(HelpScreen(self.screen))

    # -- tasks and history ------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="tasks", exclusive=True)
    def load_tasks(self) -> None:
        # start-up: after the first frame, in a worker
        from kpodtui.tui.data.tasks import discover_tasks

        try:
            entries = discover_tasks(self.spec_paths)
        except Exception as exc:
            self.post_message(ActionFailed("listing tasks", f"{exc}"))
            self.call_from_thread(self._start_background)
            return
        self.post_message(TasksLoaded(entries))

    def task_entries(self) -> list[TaskEntry]:
        """The tasks found so far (given paths, the user's folder, the samples)."""
        return list(self._tasks)

    @on(TasksLoaded)
    def _tasks_loaded(self, message: TasksLoaded) -> None:
        self._tasks = message.entries
        for screen in self._all_screens():
            if isinstance(screen, ShowsTasks):
                screen.show_tasks(message.entries)
        self.call_after_refresh(self._start_background)

    @work(thread=True, exit_on_error=False, group="history", exclusive=True)
    def load_history(self) -> None:
        """The history straight from disk (sqlite only), before the engine has loaded."""
        rows = None
        try:
            # start-up: the history (sqlite) loads after the first frame, in a worker
            from kpodtui.history import History
            from kpodtui.tui.data.history_rows import rows_from_history

            history = History.open()
            try:
                rows = rows_from_history(history)
            finally:
                history.close()
        except KpodtuiError as exc:
            # a damaged or unwritable history: say it on one line as the commands do and quit,
            # rather than show an empty list as if nothing had ever run
            self.fatal_error = exc
            self.call_from_thread(self.exit, EXIT_BAD_INPUT)
            return
        except Exception:
            pass  # the backend's listing follows
        if rows is not None and not self._backend_ready.is_set():
            self.post_message(RunsLoaded(rows))
        else:
            self.call_from_thread(self._start_background)

    @work(thread=True, exit_on_error=False, group="runs", exclusive=True)
    def refresh_runs(self, reattach: bool = False) -> None:
        backend = self.wait_backend()
        rows = backend.list_runs()
        self.post_message(RunsLoaded(rows))
        if reattach:
            for row in rows:
                if row.live and not self.followed.is_followed(row.run_id):
                    self.reattach_run(row.run_id)

    def run_rows(self) -> list[RunRow]:
        """The history as last listed (live runs first)."""
        return list(self._rows)

    def runs_listed(self) -> bool:
        """Whether the history has been listed at all (an empty list means no runs only then)."""
        return self._runs_listed

    @on(RunsLoaded)
    def _runs_loaded(self, message: RunsLoaded) -> None:
        self._rows = message.rows
        self._runs_listed = True
        for screen in self._all_screens():
            if isinstance(screen, ShowsRuns):
                screen.show_runs(message.rows, self.followed.followed_ids())
        for run_id in self.followed.ended_since_detached(message.rows):
            self._load_record(run_id)  # its verdict, for the views that still show it detached
        self.call_after_refresh(self._start_background)

    def _all_screens(self) -> list:
        screens = list(self.screen_stack)
        for stack in self._screen_stacks.values():
            screens.extend(s for s in stack if s not in screens)
        return screens

    # -- runs --------------------------------------------------------------------

    def launch(self, path: Path | None, text: str, task_id: str | None, overrides: Sequence[str] = ()) -> None:
        """Launch a task (from the tasks screen or the editor); opens its run view."""
        self._launch_worker(path, text, task_id, list(overrides))

    @work(thread=True, exit_on_error=False, group="launch")
    def _launch_worker(self, path: Path | None, text: str, task_id: str | None, overrides: list[str]) -> None:
        # with the first run, not before the first frame
        from kpodtui.tui.data.run_model import RunFeed

        try:
            backend = self.wait_backend()
            feed = RunFeed()
            handle = backend.launch(path, text, task_id, overrides, feed)
        except Exception as exc:
            self.post_message(ActionFailed("launch", f"{exc}"))
            return
        self.call_from_thread(self._follow, handle, feed, task_id or "", str(path) if path else None, False,
                              None, overrides)

    def reattach_run(self, run_id: str) -> None:
        self._reattach_worker(run_id)

    @work(thread=True, exit_on_error=False, group="reattach")
    def _reattach_worker(self, run_id: str) -> None:
        from kpodtui.tui.data.run_model import RunFeed  # (as in _launch_worker)

        try:
            backend = self.wait_backend()
            record = backend.get_run(run_id)
            feed = RunFeed()
            if record is not None:
                # what is already on disk first; the engine continues from the log cursors
                lines = backend.read_log(run_id)
                if lines:
                    from kpodtui.engine.events import (  # (loaded with the backend)
                        LogBatch,
                        LogChunk,
                    )

                    feed(LogBatch(run_id, LogChunk.group(lines)))
            handle = backend.reattach(run_id, feed)
        except Exception as exc:
            self.post_message(ActionFailed(f"reattach {run_id}", f"{exc}"))
            return
        task_id = record.row.task_id if record else ""
        spec = record.row.spec_path if record else None
        self.call_from_thread(self._follow, handle, feed, task_id, spec, True, record)

    def _follow(self, handle: RunHandle, feed: RunFeed, task_id: str, spec_path: str | None, reattached: bool,
                details: RunDetails | None = None, overrides: Sequence[str] = ()) -> None:
        self.followed.follow(handle, feed, task_id, spec_path, reattached, details, overrides)
        self.post_message(RunAttached(handle.run_id, reattached))

    def _run_views(self, run_id: str) -> list[ShowsRun]:
        return [s for s in self._all_screens() if isinstance(s, ShowsRun) and s.run_id == run_id]

    @on(RunAttached)
    def _run_attached(self, message: RunAttached) -> None:
        self.refresh_runs()
        shown = self._run_views(message.run_id)
        followed = self.followed.get(message.run_id)
        for screen in shown:
            if followed is not None:
                screen.attach(followed)
        if not message.reattached and not shown:
            self._push_run_view(message.run_id)
        elif message.reattached:
            self.notify(f"reattached to run {message.run_id}", timeout=3)

    def _push_run_view(self, run_id: str) -> None:
        # the run view (and pygments with it) loads on first use, not before the first frame
        from kpodtui.tui.screens.run_screen import RunScreen

        self.push_screen(RunScreen(run_id))

    def open_run(self, run_id: str) -> None:
        """Show a run: live as it is followed here; live as another process follows it (its pod
        watched, its log files read); else as the history has it (logs from disk). A run read from
        the history opens once it is read: never an empty view that fills a moment later."""
        if self.followed.is_followed(run_id):
            self._push_run_view(run_id)
            return
        row = self.run_row(run_id)
        if row is not None and row.live and not row.detached:
            self._push_run_view(run_id)
            self.reattach_run(run_id)  # observes the process that follows it
            return
        opened = self.followed.get(run_id)
        if opened is not None and not (row is not None and row.live != opened.model.live):
            self._push_run_view(run_id)
            return
        self._load_record(run_id)

    @work(thread=True, exit_on_error=False, group="records")
    def _load_record(self, run_id: str) -> None:
        try:
            backend = self.wait_backend()
            record = backend.get_run(run_id)
            if record is None:
                raise LookupError(f"no run {run_id} in history")
            lines = backend.read_log(run_id)
        except Exception as exc:
            self.post_message(ActionFailed(f"open run {run_id}", f"{exc}"))
            return
        self.post_message(RunDetailsLoaded(record, lines))

    @on(RunDetailsLoaded)
    def _record_loaded(self, message: RunDetailsLoaded) -> None:
        run_id = message.record.row.run_id
        if self.followed.is_followed(run_id):
            return  # taken up live meanwhile
        opened = self.followed.open_from_history(message.record, message.lines)
        shown = self._run_views(run_id)
        for screen in shown:
            screen.attach(opened)
        if not shown:
            self._push_run_view(run_id)

    def drain_feeds(self) -> None:
        """Fold what the engine delivered since the last tick into the models (one update per frame)."""
        if not self.followed:
            return  # and the run model's modules stay unimported until a run is followed
        from kpodtui.tui.data.run_model import OUTCOME  # loaded: a run is followed

        changed = self.followed.drain()
        if not changed:
            return
        screen = self.screen
        if isinstance(screen, ShowsRun) and screen.run_id in changed:
            screen.model_changed(changed[screen.run_id])
        if any(OUTCOME in changes for changes in changed.values()):
            self.refresh_runs()

    # -- notices ------------------------------------------------------------------

    def notify(self, message: str, *args: Any, **kwargs: Any) -> None:
        """Every notice may quote an error, a server's or a container's words: escaped."""
        super().notify(escape(str(message)), *args, **kwargs)

    @on(ActionFailed)
    def _action_failed(self, message: ActionFailed) -> None:
        self.notify(f"{message.what}: {message.error}", severity="error", timeout=8, markup=False)

    @on(Notice)
    def _notice(self, message: Notice) -> None:
        self.notify(message.text, severity=message.severity, timeout=4, markup=False)  # type: ignore[arg-type]

    # -- quitting -------------------------------------------------------------------

    async def action_goto(self, mode: str) -> None:
        """F2 / F3: the tasks or the runs list itself, from wherever the user is (as k9s'
        ``:pods``), not the run view last opened in that mode. Live runs go on; the run
        view is one Enter away on the runs list."""
        if isinstance(self.screen, ModalScreen):
            return  # a question is open: answer it first
        if self.current_mode == mode:
            # popping the stack would drop an editor's unsaved changes: ask first
            self.leave_editors(self._editors(self.screen_stack), self._pop_to_list)
        else:
            await self.switch_mode(mode)  # the other mode's stack (and any editor in it) stays
            await self._pop_to_list()

    async def _pop_to_list(self) -> None:
        while len(self.screen_stack) > 1 and not isinstance(self.screen, ModalScreen):
            await self.pop_screen()

    @staticmethod
    def _editors(screens: list) -> list:
        from kpodtui.tui.screens.editor_screen import EditorScreen  # (loaded if an editor is open)

        return [s for s in screens if isinstance(s, EditorScreen) and s.unsaved]

    def leave_editors(self, editors: list, then: Callable[[], object]) -> None:
        """Run ``then`` once the person agrees to drop the unsaved changes of ``editors``
        (at once when there are none): leaving an editor never loses edits silently."""
        from kpodtui.tui.dialogs.confirm_dialog import ConfirmDialog  # dialogs load on first use

        dirty = [e for e in editors if e.unsaved]
        if not dirty:
            self.call_later(then)
            return
        names = ", ".join(paths.display_path(e.path) if e.path else "a new task" for e in dirty)

        def decided(drop: bool | None) -> None:
            if drop:
                self.call_later(then)

        self.push_screen(
            ConfirmDialog("Discard unsaved changes?", f"Your changes to {names} are not saved (ctrl+s saves).",
                          "Discard"),
            decided,
        )  # fmt: skip

    async def action_quit(self) -> None:
        """``q``: quits from a list (asking first about live runs and unsaved edits); over a
        pushed screen it goes back one screen, as less and k9s do."""
        if len(self.screen_stack) > 1 and not isinstance(self.screen, ModalScreen):
            back = getattr(self.screen, "action_back", None)
            if back is not None:
                await back() if asyncio.iscoroutinefunction(back) else back()
            else:
                await self.pop_screen()
            return
        self.leave_editors(self._editors(self._all_screens()), self._quit_asking_about_runs)

    def _quit_asking_about_runs(self) -> None:
        live = self.followed.live()
        if not live:
            self._leave("detach")
            return
        from kpodtui.tui.dialogs.quit_dialog import QuitDialog  # dialogs load on first use

        def decided(choice: str | None) -> None:
            if choice:
                self._leave(choice)

        in_process = getattr(self.backend, "sim", None) is not None
        self.push_screen(QuitDialog(len(live), cluster_stops=in_process), decided)

    def _leave(self, how: str) -> None:
        self._leave_worker(how)

    @work(thread=True, exit_on_error=False, group="shutdown", exclusive=True)
    def _leave_worker(self, how: str) -> None:
        for followed in self.followed.live():
            try:
                if how == "kill":
                    followed.handle.kill()  # type: ignore[union-attr]
                else:
                    followed.handle.detach()  # type: ignore[union-attr]
            except Exception:
                pass
        if self.backend is not None:
            try:
                self.backend.close()
            except Exception:
                pass
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self.exit, 0)
