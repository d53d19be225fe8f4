"""Drafts and completeness: nothing typed is lost, and incomplete records stay visible.

* A *draft* is the raw content of an editor that has not been saved yet (autosaved while typing).
  It survives a crash or a power cut and is offered back on the next start.
* A record saved with ``partial_ok=True`` (a draft saved on purpose) gets a completeness status:
  how many required answers are still missing. Lists mark such records and can filter on them.

Both live in two small tables of the local database, created here on first use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fieldapp.clock import now_iso
from fieldapp.errors import Problem
from fieldapp.forms import Form

if TYPE_CHECKING:  # the store imports this module: annotations only
    from fieldapp.store import Store
    from fieldapp.store.core import StoreCore

MISSING_CODES = {"required", "repeat.min"}
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS draft (key TEXT PRIMARY KEY, form_id TEXT NOT NULL, record_id TEXT, "
    "title TEXT, data TEXT NOT NULL, updated_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS record_status (record_id TEXT PRIMARY KEY, form_id TEXT NOT NULL, "
    "missing INTEGER NOT NULL, updated_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS record_status_form ON record_status(form_id, missing)",
)


@dataclass
class Draft:
    key: str
    form_id: str
    record_id: str | None
    title: str
    data: dict[str, Any]
    updated_at: str


def ensure(store: StoreCore) -> None:
    """Create the tables if they are missing (idempotent, once per connection)."""
    if getattr(store, "_drafts_ready", False):
        return
    with store.transaction():
        for sql in _SCHEMA:
            store.conn.execute(sql)
    store._drafts_ready = True  # type: ignore[attr-defined]


def save_draft(
    store: Store, key: str, form_id: str, record_id: str | None, data: dict[str, Any], title: str = ""
) -> None:
    ensure(store)
    body = json.dumps(data, ensure_ascii=False, default=str)
    with store.transaction():
        store.conn.execute(
            "INSERT INTO draft(key, form_id, record_id, title, data, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET data = excluded.data, title = excluded.title, "
            "record_id = excluded.record_id, updated_at = excluded.updated_at",
            [key, form_id, record_id, title, body, now_iso()],
        )


def delete_draft(store: StoreCore, key: str) -> None:
    ensure(store)
    with store.transaction():
        store.conn.execute("DELETE FROM draft WHERE key = ?", [key])


def list_drafts(store: Store) -> list[Draft]:
    ensure(store)
    rows = store.conn.execute(
        "SELECT key, form_id, record_id, title, data, updated_at FROM draft ORDER BY updated_at DESC"
    ).fetchall()
    out: list[Draft] = []
    for key, form_id, record_id, title, data, updated_at in rows:
        try:
            doc = json.loads(data)
        except ValueError:
            continue
        if isinstance(doc, dict):
            out.append(Draft(key, form_id, record_id, title or "", doc, updated_at))
    return out


def missing_answers(form: Form, doc: dict[str, Any]) -> list[Problem]:
    """Required answers still missing from ``doc`` (empty when the record is complete)."""
    _, problems = form.validate(doc, partial_ok=False)
    return [p for p in problems if p.code in MISSING_CODES]


def set_status(store: StoreCore, form_id: str, record_id: str, missing: int) -> None:
    ensure(store)
    with store.transaction():
        store.conn.execute(
            "INSERT INTO record_status(record_id, form_id, missing, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(record_id) DO UPDATE SET missing = excluded.missing, updated_at = excluded.updated_at",
            [record_id, form_id, int(missing), now_iso()],
        )


def incomplete_ids(store: Store, form_id: str) -> set[str]:
    ensure(store)
    return {
        r[0]
        for r in store.conn.execute(
            "SELECT record_id FROM record_status WHERE form_id = ? AND missing > 0", [form_id]
        )
    }


def missing_counts(store: Store, ids: list[str]) -> dict[str, int]:
    ensure(store)
    out: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        q = f"SELECT record_id, missing FROM record_status WHERE record_id IN ({','.join('?' * len(chunk))})"
        out.update({r[0]: int(r[1]) for r in store.conn.execute(q, chunk)})
    return out
