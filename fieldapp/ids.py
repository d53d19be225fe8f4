"""Record and row ids: UUID version 7 (RFC 9562).

A version-7 UUID starts with the time in milliseconds, so ids made one after another sort one after
another. New rows then land at the end of the primary-key indexes of SQLite (and of the server's
database) instead of on a random page each: at 100,000 households a batch of saves touches about
half as many pages (docs/benchmarks.md). The other 74 bits are random, so two laptops never make
the same id. Any UUID is still accepted as an id: records made before, or elsewhere, keep theirs.
"""

from __future__ import annotations

import os
import threading
import time

_MASK_48 = (1 << 48) - 1
_lock = threading.Lock()
_last = [0, 0]  # the last (millisecond, counter) given out in this process


def uuid7(ms: int, rand_a: int, rand_b: int) -> str:
    """The UUID with time ``ms``, 12-bit ``rand_a`` and 62-bit ``rand_b``, as text."""
    value = (
        (ms & _MASK_48) << 80 | 0x7 << 76 | (rand_a & 0xFFF) << 64 | 0b10 << 62 | (rand_b & ((1 << 62) - 1))
    )
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def new_id() -> str:
    """A new id, later than every id this process made before (a counter orders ids made
    within one millisecond, and the clock going back does not reorder them)."""
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms > _last[0]:
            counter = int.from_bytes(os.urandom(2), "big") & 0x3FF  # leave room to count up
        else:
            ms, counter = _last[0], _last[1] + 1
            if counter > 0xFFF:
                ms, counter = ms + 1, 0
        _last[0], _last[1] = ms, counter
    return uuid7(ms, counter, int.from_bytes(os.urandom(8), "big"))


def short_id(record_id: str) -> str:
    """Eight characters that name a record on paper and in lists when it has no code of its own.

    The end of the id, not its start: the start of a version-7 id is the time it was made, the
    same for every record made within a minute.
    """
    return record_id.replace("-", "")[-8:].upper()
