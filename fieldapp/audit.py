"""The laptop's audit trail: append-only, readable, and sent to the server with each sync.

``audit_log`` (created by migration 0001) gets one row per action: who (the signed-in user), when,
on which device, what (``view``, ``view_unmasked``, ``create``, ``update``, ``delete``, ``print``,
``export``, ``import``, ``export_data``, ``withdraw_consent``, ``erase``, ``anonymise``,
``sign_in`` …) and on which record. Nothing in a row is personal data beyond the record id.

Append-only, twice over:

* triggers (migration 0003) abort any UPDATE or DELETE of ``audit_log`` on every connection;
* every ``Store`` connection also has an SQLite authorizer (``protect``) that refuses, at prepare
  time, UPDATE or DELETE of ``audit_log``, dropping or altering it or its triggers and
  ``PRAGMA writable_schema`` — so plain SQL through the app cannot remove the triggers either.

Someone holding the data key and their own SQLite tool can still rewrite the file; the copy
already sent to the server (``device_audit`` there) is the one to trust after a sync.
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fieldapp.store import Store

TABLE = "audit_log"
TRIGGERS = ("audit_log_no_update", "audit_log_no_delete")
SENT_KEY = "audit_sent"  # sync meta: the last audit_log id the server has


def _authorizer(action: int, arg1: str | None, arg2: str | None, _db: str | None, _src: str | None) -> int:
    a1 = (arg1 or "").lower()
    a2 = (arg2 or "").lower()
    if action in (sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE) and a1 == TABLE:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_DROP_TABLE and a1 == TABLE:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_ALTER_TABLE and a2 == TABLE:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_DROP_TRIGGER and (a1 in TRIGGERS or a2 == TABLE):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and a1 == "writable_schema":
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def protect(conn: sqlite3.Connection) -> None:
    """Refuse any statement on ``conn`` that would change or remove audit rows or their triggers."""
    conn.set_authorizer(_authorizer)


#: Rows the laptop keeps but does not send: a record arriving from the server. The server logged
#: that pull itself (user, time and the ids of every record in the page), so sending one row per
#: pulled record back would only repeat it; a first pull of 100,000 households made 125,000.
NOT_SENT = ("sync_pull",)


def entries(
    store: Store,
    *,
    record_id: str | None = None,
    after_id: int = 0,
    limit: int | None = None,
    skip: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Audit rows, oldest first (one record's with ``record_id``; those after ``after_id``;
    without the actions in ``skip``)."""
    sql = "SELECT id, at, user, device_id, action, form_id, record_id, detail FROM audit_log WHERE id > ?"
    params: list[Any] = [after_id]
    if record_id is not None:
        sql += " AND record_id = ?"
        params.append(record_id)
    if skip:
        sql += f" AND action NOT IN ({','.join('?' * len(skip))})"
        params.extend(skip)
    sql += " ORDER BY id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    out = []
    for r in store.conn.execute(sql, params):
        out.append(
            {
                "id": r[0],
                "at": r[1],
                "user": r[2],
                "device_id": r[3],
                "action": r[4],
                "form_id": r[5],
                "record_id": r[6],
                "detail": json.loads(r[7]) if r[7] else None,
            }
        )
    return out


def unsent(store: Store, limit: int = 500) -> list[dict[str, Any]]:
    """Audit rows the server does not have yet (for the sync client; not the ``NOT_SENT`` ones)."""
    return entries(store, after_id=sent_up_to(store), limit=limit, skip=NOT_SENT)


def sent_up_to(store: Store) -> int:
    return int(store.sync_meta(SENT_KEY) or 0)


def last_id(store: Store) -> int:
    return int(store.conn.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0])


def mark_sent(store: Store, last_id: int) -> None:
    with store.transaction():
        store.set_sync_meta(SENT_KEY, str(last_id))
