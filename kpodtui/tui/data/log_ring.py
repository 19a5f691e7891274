"""A bounded ring of log lines with absolute line numbers, and filtered indexes over it.

The run view keeps the last ``capacity`` lines in memory; older lines leave the
view (they stay in the run's log file on disk) and are counted in ``dropped``.
Line numbers are absolute (0 = the first line the run ever produced), so a
position survives lines leaving the ring.

The ring holds plain ``(container, timestamp, text)`` tuples, not the engine's
``LogLine`` objects: the garbage collector stops tracking tuples of strings, so
its full passes do not walk the ring. Held as objects, 200k lines made every
full pass take ~0.15-0.3 s while a pod flooded its log (measured with
``bench/tui_logs.py --pod``), and such a pass stops the app and the engine alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from kpodtui.loglines import LogLine

DEFAULT_CAPACITY = 200_000

_make = tuple.__new__


class HeldLine(NamedTuple):
    """A line as the ring hands it out: the fields of :class:`LogLine`, read-only."""

    container: str
    timestamp: str
    text: str


class LogRing:
    """Fixed-capacity ring of :class:`LogLine`; appends are O(batch), reads O(1)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self._items: list[tuple[str, str, str] | None] = [None] * capacity
        self._start = 0  # physical slot of the oldest line
        self._len = 0
        self.total = 0  # lines ever appended

    def __len__(self) -> int:
        return self._len

    @property
    def dropped(self) -> int:
        """Lines that left the ring (still in the log file)."""
        return self.total - self._len

    @property
    def first(self) -> int:
        """Absolute number of the oldest line still held."""
        return self.total - self._len

    def extend(self, batch: Sequence[LogLine]) -> None:
        """Append a batch, dropping the oldest lines past capacity."""
        lines = [(line.container, line.timestamp, line.text) for line in batch]
        n = len(lines)
        if n == 0:
            return
        cap = self.capacity
        if n >= cap:
            self.total += n
            self._items[:] = list(lines[n - cap :])
            self._start = 0
            self._len = cap
            return
        write = (self._start + self._len) % cap
        head = min(n, cap - write)
        self._items[write : write + head] = lines[:head]
        if head < n:
            self._items[0 : n - head] = lines[head:]
        self._len += n
        self.total += n
        if self._len > cap:
            self._start = (self._start + self._len - cap) % cap
            self._len = cap

    def __getitem__(self, absolute: int) -> HeldLine:
        offset = absolute - self.first
        if offset < 0 or offset >= self._len:
            raise IndexError(absolute)
        item = self._items[(self._start + offset) % self.capacity]
        assert item is not None
        return _make(HeldLine, item)

    def iter_from(self, absolute: int, stop: int | None = None) -> Iterator[tuple[int, HeldLine]]:
        """Yield ``(absolute, line)`` from ``absolute`` (clamped to what is held) to ``stop``."""
        start = max(absolute, self.first)
        end = self.total if stop is None else min(stop, self.total)
        items, cap, base = self._items, self.capacity, self._start - self.first
        for a in range(start, end):
            yield a, _make(HeldLine, items[(base + a) % cap])  # type: ignore[arg-type]  # held: never None

    def clear(self) -> None:
        self._items = [None] * self.capacity
        self._start = self._len = self.total = 0


Predicate = Callable[[HeldLine], bool]


class LogIndex:
    """Absolute numbers of the lines of a :class:`LogRing` that match a predicate.

    Kept up to date incrementally (``catch_up`` after each batch); numbers that
    left the ring are trimmed from the front.
    """

    def __init__(self, buffer: LogRing, predicate: Predicate) -> None:
        self.buffer = buffer
        self.predicate = predicate
        self._rows: list[int] = []
        self._head = 0
        self._seen = buffer.first
        self.catch_up()

    def catch_up(self) -> int:
        """Index lines appended since the last call; returns how many matched."""
        buf = self.buffer
        pred = self.predicate
        start = max(self._seen, buf.first)
        added = [a for a, line in buf.iter_from(start) if pred(line)]
        self._rows.extend(added)
        self._seen = buf.total
        self._trim()
        return len(added)

    def _trim(self) -> None:
        first = self.buffer.first
        rows = self._rows
        head = self._head
        n = len(rows)
        if head < n and rows[head] >= first:
            return
        # binary search the first row still held
        lo, hi = head, n
        while lo < hi:
            mid = (lo + hi) // 2
            if rows[mid] < first:
                lo = mid + 1
            else:
                hi = mid
        self._head = lo
        if self._head > 4096 and self._head > n // 2:
            del rows[: self._head]
            self._head = 0

    def __len__(self) -> int:
        return len(self._rows) - self._head

    def __getitem__(self, row: int) -> int:
        if row < 0 or row >= len(self):
            raise IndexError(row)
        return self._rows[self._head + row]

    def row_of(self, absolute: int) -> int:
        """The row holding ``absolute``, or the row of the first line after it."""
        rows = self._rows
        lo, hi = self._head, len(rows)
        while lo < hi:
            mid = (lo + hi) // 2
            if rows[mid] < absolute:
                lo = mid + 1
            else:
                hi = mid
        return lo - self._head
