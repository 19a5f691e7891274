"""The footer: the actions that matter most on this screen, first, none cut mid-word.

Textual's ``Footer`` lays every binding out in one scrolling row and clips the
last one wherever the terminal ends (at 80 columns the run view lost Kill and
Keep). Here the screen's bindings come in the order the screen declares them
(most important first); as many as fit whole are shown, the rest are one ``?``
away; the way out (``q`` Quit or Back) and ``?`` Help are always there, at the
right. A click on a key presses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widget import Widget

#: binding ids always shown, at the right: the way out, then help
PINNED = ("back", "quit", "help")
GAP = 2  # columns between two entries


@dataclass(frozen=True)
class FooterEntry:
    """One entry: the keys as shown, what they do, the key a click presses."""

    keys: str
    description: str
    key: str

    @property
    def width(self) -> int:
        return len(self.keys) + 1 + len(self.description)


def footer_entries(screen) -> tuple[list[FooterEntry], list[FooterEntry]]:
    """(the screen's entries in its order of importance, the pinned ones) for the bindings active now."""
    app = screen.app
    by_node: dict[int, list[Binding]] = {}
    enabled: dict[int, bool] = {}
    nodes: list = []
    for node, binding, on, _tooltip in screen.active_bindings.values():
        if id(node) not in by_node:
            by_node[id(node)] = []
            nodes.append(node)
        by_node[id(node)].append(binding)
        enabled[id(binding)] = on
    # the screen first (its own order says what matters most), then focused widgets, then the app
    order = sorted(nodes, key=lambda n: 0 if n is screen else (2 if n is app else 1))
    entries: list[FooterEntry] = []
    pinned: dict[str, FooterEntry] = {}
    seen_actions: set[str] = set()
    group_at: dict[str, int] = {}
    for node in order:
        declared = [b for _key, bindings in node._bindings.key_to_bindings.items() for b in bindings]
        active = {id(b) for b in by_node[id(node)]}
        for binding in sorted(by_node[id(node)], key=lambda b: _index(declared, b)):
            if not binding.show or not enabled.get(id(binding), True) or id(binding) not in active:
                continue
            if binding.action in seen_actions:
                continue
            seen_actions.add(binding.action)
            keys = app.get_key_display(binding)
            if binding.id in PINNED:
                pinned.setdefault(binding.id, FooterEntry(keys, binding.description, binding.key))
                continue
            group = binding.group
            if group is not None and group.description in group_at:
                # one entry for a group: "t w J Time/Wrap/JSON"
                at = group_at[group.description]
                before = entries[at]
                entries[at] = FooterEntry(f"{before.keys} {keys}", before.description, before.key)
                continue
            if group is not None:
                group_at[group.description] = len(entries)
                entries.append(FooterEntry(keys, group.description, binding.key))
            else:
                entries.append(FooterEntry(keys, binding.description, binding.key))
    return entries, [pinned[i] for i in PINNED if i in pinned]


def _index(declared: list[Binding], binding: Binding) -> int:
    for i, b in enumerate(declared):
        if b is binding or (b.action == binding.action and b.key == binding.key):
            return i
    return len(declared)


def fit(entries: list[FooterEntry], pinned: list[FooterEntry], width: int) -> list[FooterEntry]:
    """The entries shown in ``width`` columns: in order while each fits whole, the pinned ones always."""
    room = width - 1 - sum(e.width + GAP for e in pinned)
    shown: list[FooterEntry] = []
    for entry in entries:
        if entry.width + GAP > room:
            break
        shown.append(entry)
        room -= entry.width + GAP
    return shown


class KeyFooter(Widget, can_focus=False):
    """One line of keys; see the module docstring."""

    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
    }
    KeyFooter > .key-footer--key { color: $footer-key-foreground; background: $footer-key-background; text-style: bold; }
    KeyFooter > .key-footer--description { color: $footer-description-foreground; }
    """

    COMPONENT_CLASSES = {"key-footer--key", "key-footer--description"}

    def __init__(self) -> None:
        super().__init__()
        self._spans: list[tuple[int, int, str]] = []  # (start, end, key) of each entry, for clicks

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen) -> None:
        if self.is_attached and screen is self.screen:
            self.refresh()

    def shown(self) -> list[FooterEntry]:
        """What the footer shows now, left to right (tests read it)."""
        entries, pinned = footer_entries(self.screen)
        return fit(entries, pinned, self.size.width) + pinned

    def render(self) -> Text:
        entries, pinned = footer_entries(self.screen)
        width = self.size.width
        left = fit(entries, pinned, width)
        key_style = self.get_component_rich_style("key-footer--key")
        desc_style = self.get_component_rich_style("key-footer--description")
        text = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, str]] = []

        def add(entry: FooterEntry) -> None:
            start = len(text)
            text.append(f" {entry.keys}", key_style)
            text.append(f" {entry.description}", desc_style)
            spans.append((start, len(text), entry.key))

        for entry in left:
            add(entry)
            text.append(" ")
        right_width = sum(e.width + GAP for e in pinned)
        text.append(" " * max(0, width - len(text) - right_width))
        for entry in pinned:
            add(entry)
            text.append(" ")
        self._spans = spans
        return text

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key.split(",")[0])
                return
