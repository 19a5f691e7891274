"""The run view's header: task, pod, namespace/context, phase, elapsed, every container's state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from kpodtui.runstate import DETACHED
from kpodtui.termsafe import escape
from kpodtui.tui.data.clock import format_duration
from kpodtui.tui.phase_styles import PHASE_STYLES
from kpodtui.tui.safe_text import safe_text

if TYPE_CHECKING:
    from kpodtui.tui.data.run_model import RunModel


def container_style(description: str) -> str:
    if description.startswith("running"):
        return "cyan"
    if description.startswith("exited 0"):
        return "green"
    if description.startswith("exited"):
        return "red"
    if description.startswith("waiting:") and "Err" in description or "BackOff" in description:
        return "bold red"
    return "yellow"


class RunHeader(Static):
    """Renders from a :class:`RunModel`; call :meth:`show` when it changes (and every second)."""

    DEFAULT_CSS = """
    RunHeader { height: auto; padding: 0 1; background: $boost; }
    """

    def show(self, model: RunModel) -> None:
        """The header wraps at the screen's width rather than cutting words (80 columns)."""
        grid = Table.grid(padding=(0, 2))
        grid.add_column()
        line = Text()
        line.append(model.task_id or "?", "bold")
        line.append("  pod ", "dim")
        line.append(escape(model.pod_name or "(not created yet)"))
        line.append("  in ", "dim")
        line.append(model.namespace or "-")
        if model.context:
            line.append(" @ ", "dim")
            line.append(model.context)
        line.append("  ")
        phase = model.display_phase
        line.append(phase, PHASE_STYLES.get(phase, ""))
        if model.reason and model.finished is None:
            line.append(escape(f" ({model.reason})", newlines=False), "yellow")
        line.append("  took " if model.finished is not None else "  elapsed ", "dim")
        line.append(format_duration(model.elapsed))
        if model.reattached:
            line.append("  reattached", "italic magenta")
        if model.live and (model.detached or model.from_history):
            line.append(f"  {DETACHED}", "italic yellow")
        if model.keep and model.finished is None:
            line.append("  pod kept at the end (K: undo)", "bold yellow")
        elif model.pod_left:
            line.append("  pod kept (x: delete it)", "bold yellow")
        if model.overrides:
            line.append("  --set ", "dim")
            line.append(escape(" ".join(model.overrides), newlines=False), "cyan")
        grid.add_row(line)
        states = Text()
        gone = model.finished is not None and model.finished.pod_deleted
        for name in model.containers:
            st = model.states.get(name)
            if st is None:
                # (a run opened from history has no recorded container states: not "waiting")
                desc = "waiting" if model.finished is None else "-"
            elif gone and st.state != "terminated":
                desc = "stopped with the pod"  # its last state said running, but the pod is deleted
            else:
                desc = st.describe()
            if states:
                states.append("   ")
            states.append(f"{'init:' if st and st.init else ''}{name} ", "bold")
            states.append(escape(desc, newlines=False), container_style(desc))
            if st and st.restart_count:
                states.append(f" ↻{st.restart_count}", "yellow")
        grid.add_row(states or Text("no containers yet", "dim"))
        last = model.current_status
        if last is not None and model.finished is None:
            style = {"warning": "yellow", "error": "bold red"}.get(last.level, "dim")
            grid.add_row(safe_text(last.text, style))
        self.update(grid)
