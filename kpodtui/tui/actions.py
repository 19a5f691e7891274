"""What the app does to a run, for every screen that shows one: kill, keep (and undo), detach,
delete a kept pod, rerun (with its overrides, or edited), describe, YAML, shell, previous logs.

A mixin of :class:`~kpodtui.tui.app.KpodApp`: the screens ask the app, the app asks the
backend in thread workers and posts back what happened. Questions (confirmations, the
container of a shell) are asked here, so the run view and the runs list ask the same way.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work

from kpodtui.tui.data.followed import save_log
from kpodtui.tui.messages import ActionFailed, Notice

if TYPE_CHECKING:
    from textual.app import App

    from kpodtui.tui.data.backend import Backend, RunRow
    from kpodtui.tui.data.followed import FollowedRuns
    from kpodtui.tui.views import ShowsRun

    _AppBase = App[int]
else:
    _AppBase = object

#: the shell ``s`` opens when none is configured (``KPODTUI_SHELL``)
DEFAULT_SHELL = "sh"


def shell_command() -> list[str]:
    """The command ``s`` runs: ``$KPODTUI_SHELL`` (split as a shell would), else ``sh``."""
    import shlex

    configured = os.environ.get("KPODTUI_SHELL", "").strip()
    return shlex.split(configured) if configured else [DEFAULT_SHELL]


class RunActions(_AppBase):
    """Mixed into the app (see the module docstring); ``self`` is the :class:`KpodApp`."""

    if TYPE_CHECKING:  # what the app has (kpodtui.tui.app.KpodApp), for the type checker
        backend: Backend | None
        followed: FollowedRuns
        _rows: list[RunRow]

        def wait_backend(self, timeout: float = 120.0) -> Backend: ...

        def refresh_runs(self, reattach: bool = False) -> Any: ...  # (a worker)

        def launch(self, path: Path | None, text: str, task_id: str | None,
                   overrides: Sequence[str] = ()) -> None: ...

        def _run_views(self, run_id: str) -> list[ShowsRun]: ...

    # -- asking first ------------------------------------------------------------------

    def confirm(self, title: str, message: str, label: str, then: Callable[[], object]) -> None:
        """Ask ``title``; run ``then`` on yes (y, or the button)."""
        from kpodtui.tui.dialogs.confirm_dialog import ConfirmDialog  # dialogs load on first use

        def decided(yes: bool | None) -> None:
            if yes:
                then()

        self.push_screen(ConfirmDialog(title, message, label), decided)

    def run_row(self, run_id: str) -> RunRow | None:
        """The run as the history listed it last (None: not listed)."""
        return next((r for r in self._rows if r.run_id == run_id), None)

    def _pod_text(self, run_id: str) -> str:
        followed = self.followed.get(run_id)
        row = self.run_row(run_id)
        pod = (followed.model.pod_name if followed else None) or (row.pod_name if row else None)
        ns = (followed.model.namespace if followed else None) or (row.namespace if row else None)
        return f"{ns}/{pod}" if pod and ns else (pod or "(not created yet)")

    # -- kill, keep, delete ------------------------------------------------------------

    def ask_kill(self, run_id: str) -> None:
        self.confirm("Kill this run?", f"Delete pod {self._pod_text(run_id)} of run {run_id} now? "
                     "The run ends as killed.", "Kill", lambda: self.kill_run(run_id))

    @work(thread=True, exit_on_error=False, group="run-actions")
    def kill_run(self, run_id: str) -> None:
        said: str | None = None
        try:
            followed = self.followed.followed(run_id)
            if followed is not None and followed.handle is not None:
                followed.handle.kill()  # the run itself says what it did (deleted, or kept)
            else:
                said = self.wait_backend().kill(run_id)
        except Exception as exc:
            self.post_message(ActionFailed(f"kill {run_id}", f"{exc}"))
            return
        self.post_message(Notice(f"run {run_id}: {said or 'killing'}"))
        self.refresh_runs()

    def ask_keep(self, run_id: str, keep: bool) -> None:
        """Keep the pod when the run ends, or undo it (back to the spec's ``on_finish_action``)."""
        pod = self._pod_text(run_id)
        if keep:
            self.confirm("Keep the pod?", f"Keep pod {pod} when run {run_id} ends (keep_pod)? "
                         "K again undoes it while the run lives; x deletes a kept pod later.", "Keep",
                         lambda: self.keep_run(run_id, True))
        else:
            self.confirm("Stop keeping the pod?", f"Let pod {pod} go as the spec says when run {run_id} ends?",
                         "Don't keep", lambda: self.keep_run(run_id, False))

    @work(thread=True, exit_on_error=False, group="run-actions")
    def keep_run(self, run_id: str, keep: bool = True) -> None:
        try:
            followed = self.followed.followed(run_id)
            if followed is not None and followed.handle is not None:
                followed.handle.keep(keep)
            else:
                self.wait_backend().keep(run_id, keep)
        except Exception as exc:
            self.post_message(ActionFailed(f"keep {run_id}", f"{exc}"))
            return
        self.call_from_thread(self._kept, run_id, keep)

    def _kept(self, run_id: str, keep: bool) -> None:
        from kpodtui.tui.data.run_model import HEADER  # loaded: a run is shown

        followed = self.followed.get(run_id)
        if followed is not None:
            followed.model.keep = keep
            for screen in self._run_views(run_id):
                screen.model_changed({HEADER})
        self.notify(f"run {run_id}: " + ("the pod will be kept (K: undo)" if keep else
                                         "keep undone: the pod goes as the spec says"), timeout=4)
        self.refresh_runs()

    def ask_delete_pod(self, run_id: str) -> None:
        self.confirm("Delete the kept pod?", f"Delete pod {self._pod_text(run_id)}, kept after run {run_id} "
                     "ended? Its logs stay in the history.", "Delete", lambda: self.delete_pod(run_id))

    @work(thread=True, exit_on_error=False, group="run-actions")
    def delete_pod(self, run_id: str) -> None:
        try:
            said = self.wait_backend().delete_pod(run_id)
        except Exception as exc:
            self.post_message(ActionFailed(f"delete pod of {run_id}", f"{exc}"))
            return
        self.call_from_thread(self._pod_deleted, run_id, said)

    def _pod_deleted(self, run_id: str, said: str) -> None:
        import dataclasses

        from kpodtui.tui.data.run_model import HEADER, OUTCOME  # loaded: a run is shown

        followed = self.followed.get(run_id)
        if followed is not None and followed.model.finished is not None:
            followed.model.finished = dataclasses.replace(followed.model.finished, pod_deleted=True)
            for screen in self._run_views(run_id):
                screen.model_changed({HEADER, OUTCOME})
        self.notify(f"run {run_id}: {said}", timeout=4, markup=False)
        self.refresh_runs()

    # -- detach ------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="run-actions")
    def detach_run(self, run_id: str) -> None:
        """Stop following a live run: its pod goes on, history keeps it live, ``a`` takes it up again."""
        followed = self.followed.followed(run_id)
        if followed is None or followed.handle is None or not followed.model.live:
            self.post_message(Notice(f"run {run_id} is not followed live here", "warning"))
            return
        try:
            followed.handle.detach()
        except Exception as exc:
            self.post_message(ActionFailed(f"detach {run_id}", f"{exc}"))
            return
        self.call_from_thread(self._detached, run_id)

    def _detached(self, run_id: str) -> None:
        unfollowed = self.followed.unfollow(run_id)
        if unfollowed is None:
            return
        followed, changes = unfollowed
        for screen in self._run_views(run_id):
            screen.model_changed(changes)
        if followed.model.live:
            self.notify(f"run {run_id} detached: its pod goes on (a: reattach)", timeout=4)
        self.refresh_runs()

    # -- rerun -------------------------------------------------------------------------

    def rerun(self, run_id: str, edit: bool = False) -> None:
        """Launch the same task of the same spec file again, with the same ``--set`` overrides
        (``edit``: change them first)."""
        followed = self.followed.get(run_id)
        row = self.run_row(run_id)
        spec = (followed.model.spec_path if followed else None) or (row.spec_path if row else None)
        if not spec or not Path(spec).is_file():
            self.notify("the spec file of this run is not available", severity="warning")
            return
        # the run's own task: a file may hold several, and the first is not always it
        task_id = (followed.model.task_id if followed else None) or (row.task_id if row else None)
        overrides = list((followed.model.overrides if followed else None) or (row.overrides if row else ()))
        path = Path(spec)
        if not edit:
            self.launch(path, path.read_text(encoding="utf-8"), task_id or None, overrides)
            return
        # dialogs load on first use
        from kpodtui.tui.data.spec_support import check_text
        from kpodtui.tui.dialogs.overrides_dialog import OverridesDialog

        def check(items: list[str]) -> list[str]:
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                return [f"cannot read {path}: {exc.strerror or exc}"]
            return [p.describe() for p in check_text(text, path, items)[0]]

        def got(items: list[str] | None) -> None:
            if items is not None:
                self.launch(path, path.read_text(encoding="utf-8"), task_id or None, items)

        self.push_screen(OverridesDialog(task_id or path.stem, check, overrides, verb="Rerun"), got)

    # -- looking at the pod --------------------------------------------------------------

    def show_text(self, title: str, text: str, language: str | None = None, where: str = "") -> None:
        from kpodtui.tui.screens.text_screen import TextScreen  # loads on first use

        self.push_screen(TextScreen(title, text, language, where=where))

    @work(thread=True, exit_on_error=False, group="run-actions")
    def show_pod_yaml(self, run_id: str) -> None:
        try:
            text = self.wait_backend().pod_yaml(run_id)
        except Exception as exc:
            self.post_message(ActionFailed("pod YAML", f"{exc}"))
            return
        self.call_from_thread(self.show_text, f"pod of run {run_id}  (y)", text, "yaml", f"run {run_id} · YAML")

    @work(thread=True, exit_on_error=False, group="run-actions")
    def describe_pod(self, run_id: str) -> None:
        try:
            text = self.wait_backend().describe(run_id)
        except Exception as exc:
            self.post_message(ActionFailed("describe", f"{exc}"))
            return
        self.call_from_thread(self.show_text, f"kubectl describe pod · run {run_id}", text, None,
                              f"run {run_id} · describe")

    @work(thread=True, exit_on_error=False, group="run-actions")
    def show_previous_log(self, run_id: str, container: str) -> None:
        from kpodtui.loglines import LineLayout

        try:
            lines = self.wait_backend().previous_log(run_id, container)
        except Exception as exc:
            self.post_message(ActionFailed(f"previous log of {container}", f"{exc}"))
            return
        layout = LineLayout(timestamps=True, prefix=False)  # (the text screen escapes what containers print)
        text = "\n".join(layout.format(line) for line in lines) or "(the previous instance printed nothing)"
        self.call_from_thread(self.show_text, f"{container}: the instance before its last restart (p)", text, None,
                              f"run {run_id} · previous log")

    # -- shell ------------------------------------------------------------------------

    def open_shell(self, run_id: str) -> None:
        """``s``: pick a container (when there are several) and the command, then hand the terminal over."""
        self._shell_choices(run_id)

    @work(thread=True, exit_on_error=False, group="run-actions")
    def _shell_choices(self, run_id: str) -> None:
        try:
            containers = self.wait_backend().containers(run_id)
        except Exception as exc:
            self.post_message(ActionFailed("shell", f"{exc}"))
            return
        if not containers:
            self.post_message(Notice(f"run {run_id} has no pod to open a shell in (it is gone)", "warning"))
            return
        self.call_from_thread(self._ask_shell, run_id, containers)

    def _ask_shell(self, run_id: str, containers: Sequence[tuple[str, str]]) -> None:
        from kpodtui.tui.dialogs.shell_dialog import ShellDialog  # dialogs load on first use

        running = [name for name, state in containers if state == "running"]
        if len(containers) == 1 and running:
            self.run_shell(run_id, running[0], shell_command())
            return

        def chosen(choice: tuple[str, list[str]] | None) -> None:
            if choice is not None:
                self.run_shell(run_id, *choice)

        self.push_screen(ShellDialog(run_id, list(containers), " ".join(shell_command())), chosen)

    def run_shell(self, run_id: str, container: str, command: list[str]) -> None:
        """Suspend the app, run ``command`` in ``container`` with the terminal, come back."""
        from textual.app import SuspendNotSupported

        backend = self.backend
        if backend is None:
            self.notify("the engine is still loading", severity="warning")
            return
        outcome: Any = None
        try:
            with self.suspend():
                print(f"kpodtui: {' '.join(command)} in {container} of run {run_id} (exit the shell to go back)",
                      flush=True)
                try:
                    outcome = backend.shell(run_id, container, command)
                except Exception as exc:  # said once the app is back
                    outcome = exc
        except SuspendNotSupported:
            self.notify("a shell needs the terminal, and this one cannot be handed over", severity="error")
            return
        if isinstance(outcome, Exception):
            self.notify(f"shell in {container}: {outcome}", severity="error", markup=False, timeout=8)
        elif outcome is not None:
            code, problem = outcome
            if problem:
                self.notify(f"shell in {container}: {problem}", severity="error", markup=False, timeout=8)
            else:
                self.notify(f"back from {command[0]} in {container} (exit {code})", timeout=3, markup=False)
        self.refresh()

    # -- saving -----------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="save-log")
    def save_log(self, run_id: str) -> None:
        """Write the whole log (from the log files on disk, else what is in memory) to a file."""
        followed = self.followed.get(run_id)
        try:
            lines: Sequence[Any] | None = None  # LogLine from disk, or the ring's HeldLine
            if self.backend is not None:
                lines = self.backend.read_log(run_id)
            if not lines and followed is not None:
                ring = followed.model.logs
                lines = [line for _, line in ring.iter_from(ring.first)]
            dest = save_log(run_id, lines or [])
        except Exception as exc:
            self.post_message(ActionFailed("save log", f"{exc}"))
            return
        self.post_message(Notice(f"saved {len(lines or []):,} lines to {dest}"))
