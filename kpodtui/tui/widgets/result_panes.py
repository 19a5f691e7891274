"""The run view's XCom pane and outcome pane."""

from __future__ import annotations

import json

from rich.syntax import Syntax
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from kpodtui.termsafe import escape
from kpodtui.tui.data.run_model import RunModel
from kpodtui.tui.safe_text import safe_text

VERDICT_STYLES = {
    "succeeded": "bold white on dark_green",
    "failed": "bold white on red3",
    "killed": "bold white on red3",
    "skipped": "bold black on yellow",
}


class XComPane(VerticalScroll):
    """The XCom result, pretty-printed once the engine read it."""

    DEFAULT_CSS = """
    XComPane { height: auto; max-height: 12; }
    """

    def compose(self):
        yield Static(Text("no XCom result yet", "dim"), id="xcom-body")

    def show(self, model: RunModel) -> None:
        body = self.query_one("#xcom-body", Static)
        if model.xcom_error:
            body.update(safe_text(f"XCom could not be read: {model.xcom_error}", "red"))
        elif not model.has_xcom:
            body.update(Text("none" if model.finished is not None else "no XCom result yet", "dim"))
        elif model.xcom is None:
            body.update(Text("empty (no return.json)", "dim"))
        else:
            text = escape(json.dumps(model.xcom, indent=2, ensure_ascii=False, default=str))
            body.update(Syntax(text, "json", theme="ansi_dark", background_color="default", word_wrap=True))


class OutcomePane(VerticalScroll):
    """The verdict and, when the run failed, its failure report."""

    DEFAULT_CSS = """
    OutcomePane { height: auto; max-height: 50%; }
    """

    def compose(self):
        yield Static("", id="outcome-body")  # filled from the model (no "running…" before it is known)

    def show(self, model: RunModel) -> None:
        body = self.query_one("#outcome-body", Static)
        fin = model.finished
        if fin is None:
            if model.live and (model.detached or model.from_history):
                body.update(Text("detached: the pod goes on without this view (a: reattach)", "yellow"))
            else:
                body.update(Text("live" if model.live else "no verdict recorded", "dim"))
            return
        head = Text()
        head.append(f" {fin.outcome.upper()} ", VERDICT_STYLES.get(fin.outcome, "bold"))
        if fin.exit_code is not None:
            head.append(f"  exit code {fin.exit_code}")
        if fin.detail.get("reason"):
            head.append(escape(f"  {fin.detail['reason']}"), "bold")
        if fin.pod_deleted:
            head.append("  pod deleted", "dim")
        elif model.pod_name:  # (no pod at all: the report says why)
            head.append("  pod kept (x: delete it)", "bold yellow")
        if fin.report:
            head.append("  (o: full-screen)", "dim")
            head.append("\n\n")
            head.append(escape(fin.report))  # it quotes the container's termination message
        body.update(head)
