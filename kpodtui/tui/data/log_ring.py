"""A bounded ring of log lines with absolute line numbers, and filtered indexes over it.

The run view keeps the last ``capacity`` lines in memory; older lines leave the
view (they stay in the run's log file on disk) and are counted in ``dropped``.
Line numbers are absolute (0 = the first line the run ever produced), so a
position survives lines leaving the ring.

The ring holds each line as the one string a chunk splits into
(``<timestamp> <text>``, :meth:`~kpodtui.loglines.LogChunk.raws`, made in the
engine's follower thread) beside its container's name (shared, not copied), in
two flat lists: appending a chunk is two slice assignments, O(batch) in C, and
nothing per line runs on the app's thread. The timestamp is split off only when
a line is read (the rows on screen, a search). Strings are not tracked by the
garbage collector, so its full passes do not walk the ring (held as objects,
200k lines made every full pass take ~0.15-0.3 s while a pod flooded its log).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from kpodtui.loglines import NO_TS, LogChunk, LogLine, split_raw

DEFAULT_CAPACITY = 200_000

_make = tuple.__new__


class HeldLine(NamedTuple):
    """A line as the ring hands it out: the fields of :class:`LogLine`, read-only."""

    container: str
    timestamp: str
    text: str


class LogRing:
    """Fixed-capacity ring of log lines; appends are O(batch) in C, reads O(1)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self._raws: list[str | None] = [None] * capacity
        self._names: list[str | None] = [None] * capacity
        self._start = 0  # physical slot of the oldest line
        self._len = 0
        self.total = 0  # lines ever appended
        self.widest = 0  # the longest text appended, in characters (about: a stand-in for cells)

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

    def add(self, chunk: LogChunk) -> None:
        """Append a chunk's lines (split once, in the follower's thread if it prepared them)."""
        raws = chunk.raws()
        if raws:
            self.widest = max(self.widest, chunk.width())
            self._put(raws, [chunk.container] * len(raws))

    def extend(self, batch: Sequence[LogLine]) -> None:
        """Append lines given as objects (lines read from disk, tests)."""
        if batch:
            self._put([f"{ln.timestamp or NO_TS} {ln.text}" for ln in batch], [ln.container for ln in batch])
            self.widest = max(self.widest, max(len(ln.text) for ln in batch))

    def _put(self, raws: list[str], names: list[str]) -> None:
        n = len(raws)
        cap = self.capacity
        self.total += n
        if n >= cap:
            self._raws[:] = raws[n - cap :]
            self._names[:] = names[n - cap :]
            self._start, self._len = 0, cap
            return
        write = (self._start + self._len) % cap
        head = min(n, cap - write)
        self._raws[write : write + head] = raws[:head] if head < n else raws
        self._names[write : write + head] = names[:head] if head < n else names
        if head < n:
            self._raws[0 : n - head] = raws[head:]
            self._names[0 : n - head] = names[head:]
        self._len += n
        if self._len > cap:
            self._start = (self._start + self._len - cap) % cap
            self._len = cap

    def __getitem__(self, absolute: int) -> HeldLine:
        offset = absolute - self.first
        if offset < 0 or offset >= self._len:
            raise IndexError(absolute)
        slot = (self._start + offset) % self.capacity
        return _make(HeldLine, (self._names[slot], *split_raw(self._raws[slot])))  # type: ignore[arg-type]

    def iter_from(self, absolute: int, stop: int | None = None) -> Iterator[tuple[int, HeldLine]]:
        """Yield ``(absolute, line)`` from ``absolute`` (clamped to what is held) to ``stop``."""
        start = max(absolute, self.first)
        end = self.total if stop is None else min(stop, self.total)
        raws, names, cap, base = self._raws, self._names, self.capacity, self._start - self.first
        for a in range(start, end):
            slot = (base + a) % cap
            yield a, _make(HeldLine, (names[slot], *split_raw(raws[slot])))  # type: ignore[arg-type]  # held

    def clear(self) -> None:
        self._raws = [None] * self.capacity
        self._names = [None] * self.capacity
        self._start = self._len = self.total = self.widest = 0


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
