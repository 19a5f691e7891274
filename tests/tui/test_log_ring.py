from kpodtui.engine.events import LogLine
from kpodtui.tui.data.log_ring import LogIndex, LogRing


def lines(start, n, container="base"):
    return [LogLine(container, "", f"line {i}") for i in range(start, start + n)]


def test_ring_keeps_last_lines_and_counts_dropped():
    buf = LogRing(capacity=10)
    buf.extend(lines(0, 7))
    buf.extend(lines(7, 7))
    assert len(buf) == 10 and buf.total == 14 and buf.dropped == 4
    assert [buf[a].text for a in range(4, 14)] == [f"line {i}" for i in range(4, 14)]
    buf.extend(lines(14, 25))  # bigger than capacity at once
    assert buf.first == 29 and buf[38].text == "line 38"


def test_index_follows_the_ring():
    buf = LogRing(capacity=10)
    buf.extend(lines(0, 6) + lines(6, 6, "side"))
    idx = LogIndex(buf, lambda line: line.container == "side")
    assert len(idx) == 6
    buf.extend(lines(12, 8))
    idx.catch_up()
    assert [idx[i] for i in range(len(idx))] == [10, 11]
    assert idx.row_of(11) == 1


def test_held_lines_are_nothing_for_the_garbage_collector_to_walk():
    """Full GC passes stall the app; 200k lines held as objects made each one take ~0.2 s."""
    import gc

    def tracked_within(root: object) -> int:
        """Objects a GC pass walks that the ring holds (its class and functions left out).

        Counting only what the ring reaches keeps threads that other tests left behind (and
        whatever they allocate meanwhile) out of the figure."""
        seen: set[int] = set()
        todo = [root]
        while todo:
            obj = todo.pop()
            if id(obj) in seen or isinstance(obj, type) or callable(obj) and obj is not root:
                continue
            seen.add(id(obj))
            todo.extend(o for o in gc.get_referents(obj) if gc.is_tracked(o))
        return len(seen)

    buf = LogRing(capacity=50_000)
    empty = tracked_within(buf)
    buf.extend(lines(0, 50_000))
    assert tracked_within(buf) - empty < 1_000
    assert buf[49_999].text == "line 49999" and buf[49_999].container == "base"
