"""The time, and how it is written: one place for "now" and for ISO 8601 text (no I/O).

Every timestamp the application stores or sends is UTC. ``now_iso`` is the store's form
(milliseconds, ``+00:00``), ``iso_z`` the sync protocol's (milliseconds, ``Z``); ``parse_iso``
reads both, and takes a time without a zone as UTC. A leaf: imports only the standard library.
"""

from __future__ import annotations

import datetime as _dt


def utc_now() -> _dt.datetime:
    """The current time in UTC (zone-aware)."""
    return _dt.datetime.now(_dt.UTC)


def now_iso(timespec: str = "milliseconds") -> str:
    """The current UTC time as ISO 8601 text, e.g. ``2026-05-01T03:04:05.678+00:00``."""
    return utc_now().isoformat(timespec=timespec)


def iso_z(ts: _dt.datetime) -> str:
    """A time as the sync protocol writes it: UTC, milliseconds, ``Z``."""
    return ts.astimezone(_dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> _dt.datetime:
    """ISO 8601 text (``Z`` or an offset; none means UTC) as a zone-aware time."""
    ts = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=_dt.UTC)
