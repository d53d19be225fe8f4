"""Records' edit history on the server: entries pushed with a record's change, pulled with it.

An entry (``fieldapp.history`` on the laptop) is a fact — who changed which fields of the record,
old → new, when — so it is never a conflict: it is stored whenever its change is not refused
(applied, merged or in conflict), once by its id (a retried push stores nothing twice). The server
repeats the laptop's checks: every change names a field of the record's form
(``fieldchanges.check_changes``), an entry id belongs to one record only, and sensitive values are
kept only while the record has the explicit consent for them (withdrawing it redacts the record's
stored entries too). Rights are the record's: an entry comes in with its record's change, which is
checked for role and area first. Erasure and anonymisation delete a record's history (``forget``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from fieldapp.fieldchanges import BadEntry, check_changes, has_consent, redact
from fieldapp.forms import Form
from fieldapp.sync import protocol as P

from . import db

_CHUNK = 500


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def check(conn: Connection, form: Form, ch: P.Change) -> list[dict[str, Any]]:
    """The pushed entries of ``ch`` with their changes checked against ``form``; raises
    ``BadEntry`` (the message says what) for an entry that does not fit, or whose id is another
    record's entry already."""
    out: list[dict[str, Any]] = []
    for i, entry in enumerate(ch.history):
        try:
            changes = check_changes(form, entry["changes"])
        except BadEntry as exc:
            raise BadEntry(f"history[{i}]: {exc}") from None
        out.append({**entry, "changes": changes})
    ids = [e["id"] for e in out]
    h = db.record_history.c
    for start in range(0, len(ids), _CHUNK):
        for hid, rid in conn.execute(
            select(h.id, h.record_id).where(h.id.in_(ids[start : start + _CHUNK]))
        ):
            if rid != ch.record_id:
                raise BadEntry(f"history entry {hid} belongs to another record")
    return out


def store(
    conn: Connection,
    form: Form,
    record_id: str,
    entries: list[dict[str, Any]],
    doc: dict[str, Any] | None,
    *,
    device_id: str,
    received_by: str,
    now: str,
) -> int:
    """Store the entries of a change the server did not refuse (those it has are skipped); with
    ``doc`` lacking the consent for sensitive answers, their values are redacted here and in the
    record's stored entries. Returns how many entries were new."""
    consent = doc is None or has_consent(form, doc)
    if not consent:
        h = db.record_history.c
        for hid, raw in conn.execute(select(h.id, h.changes).where(h.record_id == record_id)).all():
            old = json.loads(raw)
            new = redact(form, old)
            if new != old:
                conn.execute(update(db.record_history).where(h.id == hid).values(changes=_dumps(new)))
    if not entries:
        return 0
    h = db.record_history.c
    have = {
        r[0]
        for r in conn.execute(select(h.id).where(h.id.in_([e["id"] for e in entries])))
    }
    rows = [
        {
            "id": e["id"],
            "record_id": record_id,
            "form_id": form.id,
            "at": e["at"],
            "user_name": e["user"],
            "device_id": device_id,
            "action": e["action"],
            "changes": _dumps(e["changes"] if consent else redact(form, e["changes"])),
            "received_at": now,
            "received_by": received_by,
        }
        for e in entries
        if e["id"] not in have
    ]
    if rows:
        conn.execute(insert(db.record_history), rows)
    return len(rows)


def for_records(conn: Connection, record_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The history of each record, oldest first, as the pull sends it."""
    out: dict[str, list[dict[str, Any]]] = {}
    h = db.record_history.c
    for start in range(0, len(record_ids), _CHUNK):
        for r in conn.execute(
            select(h.id, h.record_id, h.at, h.user_name, h.device_id, h.action, h.changes)
            .where(h.record_id.in_(record_ids[start : start + _CHUNK]))
            .order_by(h.record_id, h.at, h.id)
        ):
            out.setdefault(r.record_id, []).append(
                {
                    "id": r.id,
                    "at": r.at,
                    "user": r.user_name,
                    "device_id": r.device_id,
                    "action": r.action,
                    "changes": json.loads(r.changes),
                }
            )
    return out


def forget(conn: Connection, record_id: str) -> int:
    """Delete a record's whole history (erasure or anonymisation)."""
    return conn.execute(delete(db.record_history).where(db.record_history.c.record_id == record_id)).rowcount
