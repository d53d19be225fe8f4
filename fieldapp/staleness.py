"""An edit made from an old copy of a record never silently overwrites a newer save.

An editor keeps the record as it was when it opened. Before saving, ``check`` compares that copy
with what is stored now (another window, an import or a sync may have saved the record since). If
they differ, the caller shows the difference and ``merge`` builds what to save: the newer stored
record with the person's own changes on top, and for answers changed on both sides the side the
person chose.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from fieldapp.errors import NotFoundError
from fieldapp.forms import Form
from fieldapp.store import Store


@dataclass
class Stale:
    """What changed since the editor opened the record."""

    current: dict[str, Any] | None  # the record as stored now; None when it was erased
    updated_by: str = ""
    updated_at: str = ""
    elsewhere: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field: (when opened, now)
    mine: dict[str, Any] = field(default_factory=dict)  # field: the editor's value, where it changed
    both: list[str] = field(default_factory=list)  # changed on both sides to different values


def answer_fields(form: Form) -> list[str]:
    """The top-level answers people type (calculated results are worked out again on save)."""
    return [
        f.id
        for f in form.fields.values()
        if f.type == "repeat" or (f.stores_value and f.type != "calculated")
    ]


def _changed(a: Any, b: Any) -> bool:
    empty: tuple[Any, ...] = (None, "", [])
    if a in empty and b in empty:
        return False
    return bool(a != b)


def check(
    store: Store, form: Form, record_id: str, opened: dict[str, Any], mine: dict[str, Any]
) -> Stale | None:
    """None when the stored record is still the one the editor opened; otherwise the difference."""
    try:
        rec = store.get(form.id, record_id)
    except NotFoundError:
        return Stale(current=None, mine={k: mine.get(k) for k in answer_fields(form)})
    ids = answer_fields(form)
    elsewhere = {k: (opened.get(k), rec.data.get(k)) for k in ids if _changed(opened.get(k), rec.data.get(k))}
    if not elsewhere:
        return None
    my_changes = {k: mine.get(k) for k in ids if _changed(opened.get(k), mine.get(k))}
    both = [k for k in my_changes if k in elsewhere and _changed(my_changes[k], elsewhere[k][1])]
    return Stale(
        current=copy.deepcopy(rec.data),
        updated_by=rec.updated_by,
        updated_at=rec.updated_at,
        elsewhere=elsewhere,
        mine=my_changes,
        both=both,
    )


def merge(stale: Stale, raw: dict[str, Any], keep_mine: bool) -> dict[str, Any]:
    """What to save: the stored record plus the editor's own changes (``raw`` is the editor's input).

    Answers changed on both sides take the editor's value when ``keep_mine``, else the stored one.
    A record erased elsewhere is saved again from the editor only when ``keep_mine``."""
    if stale.current is None:
        return copy.deepcopy(raw)
    out = copy.deepcopy(stale.current)
    for k in stale.mine:
        if k in stale.both and not keep_mine:
            continue
        out[k] = copy.deepcopy(raw.get(k))
    return out
