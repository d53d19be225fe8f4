"""The metadata of a record that ODK and Kobo questionnaires ask for (``start``, ``end``, ``today``,
``deviceid``, ``username``): hidden questions (``type: hidden`` with ``meta:``) the app fills in.

``start`` and ``today`` when the record is first opened (or first saved, when it is made
without the editor), ``end`` at every save, ``deviceid`` (this computer's id, ``fieldapp.device``)
and ``username`` (the signed-in user) when it is first saved. A value already there is kept, so
a record pulled from another laptop or imported keeps its own. Times are stored as date-times
(``2024-05-01T09:30:00+07:00``), ``today`` as a date.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fieldapp.forms.model import Form

METADATA = ("start", "end", "today", "deviceid", "username")


def _now(now: _dt.datetime | None) -> _dt.datetime:
    at = now or _dt.datetime.now().astimezone()  # this computer's clock time and its zone
    return (at if at.tzinfo is not None else at.astimezone()).replace(microsecond=0)


def on_open(form: Form, data: dict[str, Any], now: _dt.datetime | None = None) -> dict[str, Any]:
    """``data`` with ``start`` and ``today`` filled when they are empty (the record is opened)."""
    fields = [f for f in form.fields.values() if f.meta in ("start", "today")]
    if not fields:
        return data
    at = _now(now)
    out = dict(data)
    for f in fields:
        if out.get(f.id) in (None, ""):
            out[f.id] = at.isoformat() if f.meta == "start" else at.date().isoformat()
    return out


def on_save(
    form: Form, data: dict[str, Any], *, device_id: str, user: str, now: _dt.datetime | None = None
) -> dict[str, Any]:
    """``data`` as it is saved: ``end`` now, the others filled when they are empty."""
    fields = [f for f in form.fields.values() if f.meta is not None]
    if not fields:
        return data
    at = _now(now)
    values = {
        "start": at.isoformat(),
        "end": at.isoformat(),
        "today": at.date().isoformat(),
        "deviceid": device_id,
        "username": user,
    }
    out = dict(data)
    for f in fields:
        if f.meta == "end" or out.get(f.id) in (None, ""):
            out[f.id] = values[str(f.meta)] or None
    return out
