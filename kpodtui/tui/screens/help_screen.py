"""``?`` / ``F1``: every key of the screen you were on, grouped (that screen's, its panes', the app's)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.actions import parse as parse_action
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from kpodtui.tui.screens.text_screen import MOVE_KEYS, TextMoves
from kpodtui.tui.widgets.app_header import AppHeader
from kpodtui.tui.widgets.key_footer import KeyFooter

#: actions every Textual screen binds (tab, shift+tab, ctrl+c)
TEXTUAL_KEYS = frozenset({"app.focus_next", "app.focus_previous", "screen.copy_text", "focus_next",
                          "focus_previous", "copy_text"})


@dataclass(frozen=True)
class KeyHelp:
    keys: str
    description: str
    available: bool


def key_groups(screen) -> list[tuple[str, list[KeyHelp]]]:
    """The keys of ``screen``, grouped: its own (``log-`` ids under "Log"), each pane that names a
    ``HELP_GROUP``, then the app's ("Everywhere")."""
    app = screen.app
    nodes = [screen] + [w for w in screen.query("*") if getattr(type(w), "HELP_GROUP", None)] + [app]
    groups: dict[str, dict[str, tuple[list[str], str, bool]]] = {}
    for node in nodes:
        default = "Everywhere" if node is app else getattr(type(node), "HELP_GROUP", None) or "This screen"
        for bindings in node._bindings.key_to_bindings.values():
            for binding in bindings:
                if not binding.description or binding.system:
                    continue
                if binding.action in TEXTUAL_KEYS:
                    group = "Everywhere"  # Textual's own (focus, copy), not this screen's
                else:
                    group = "Log" if (binding.id or "").startswith("log-") else default
                actions = groups.setdefault(group, {})
                keys, description, available = actions.get(binding.action, ([], binding.description, True))
                display = app.get_key_display(binding)
                if display not in keys:
                    keys.append(display)
                actions[binding.action] = (keys, description, available and _available(node, binding))
    return [
        (group, [KeyHelp(" ".join(keys), description, available) for keys, description, available in actions.values()])
        for group, actions in sorted(groups.items(), key=lambda item: item[0] == "Everywhere")  # (stable)
    ]


def _available(node, binding: Binding) -> bool:
    try:
        _namespace, name, params = parse_action(binding.action)
        return node.check_action(name, params) is not False
    except Exception:  # noqa: BLE001 - listed as available when it cannot be asked
        return True


class HelpScreen(TextMoves, Screen[None]):
    """The keys of ``of`` (the screen help was asked on)."""

    HELP_GROUP = "Help"
    BINDINGS = [Binding("q,escape,question_mark,f1", "back", "Back", id="back"), *MOVE_KEYS]

    DEFAULT_CSS = """
    HelpScreen > VerticalScroll { height: 1fr; padding: 0 1; }
    """

    def __init__(self, of: Screen) -> None:
        super().__init__()
        self.of = of
        self.groups = key_groups(of)

    def compose(self) -> ComposeResult:
        yield AppHeader("help")
        with VerticalScroll(id="help-body"):
            yield Static(self._render_groups(), id="help-text")
        yield KeyFooter()

    def _render_groups(self) -> Table:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, style="bold")
        grid.add_column()
        for i, (group, keys) in enumerate(self.groups):
            if i:
                grid.add_row("", "")
            grid.add_row(Text(group, "bold underline"), "")
            for k in keys:
                grid.add_row(Text(k.keys, "bold" if k.available else "dim"),
                             Text(k.description + ("" if k.available else "  (not now)"), "" if k.available else "dim"))
        grid.add_row("", "")
        grid.add_row(Text("ctrl+p", "bold"), "every action by name (command palette)")
        return grid

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_back(self) -> None:
        self.dismiss()

    def _scrolled(self) -> VerticalScroll:
        return self.query_one("#help-body", VerticalScroll)
