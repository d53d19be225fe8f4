"""A record's edit history: every saved change, field by field, old → new, who and when.

``record_history`` (migration 0009) holds one entry per save that changed a stored record: its id
(a UUIDv7, the same on the server), the record, when, who, on which device, what kind of write
(``update`` from the editor or the command line, ``import``, ``pull`` or ``merge`` from the
server, ``anonymise``) and the list of changes, one per field, old → new, repeat rows by row id
(``fieldapp.fieldchanges``, shared with the server).

What it is not:

* **Creation writes no entry**: the first values are the record itself, and the record keeps who
  made it and when (``created_by``, ``created_at``). So the demo and a bulk import of new records
  cost nothing more; an update reads the old documents of the records it changes (a few queries
  per batch) before writing them.
* **Not the audit trail.** ``audit_log`` holds no personal data and is append-only; history holds
  old values (names, ID numbers), so it lives in its own table of the same database (encrypted at
  rest with it) and goes with the household: erasing or anonymising a record deletes its history
  (``forget``), here, in the backups and on the server.

Sensitive answers (health, disability) are kept in history only while the record has the explicit
consent for them (``Form.consent_field``): an entry written without it keeps the fact that such a
field changed but not the values (``"redacted": true``), and withdrawing that consent redacts the
record's earlier entries in the same transaction.

The write happens inside the store's write (``Store._write`` calls ``record``), in the same
transaction as the record: a save that fails leaves no entry, and an entry never describes a save
that did not happen. Entries made on this laptop go to the server with the record's next push
(``unsent``/``mark_sent``). A server that keeps history (the handshake says so) sends each pulled
record's entries with it, made on whichever laptop; they are kept here by their id
(``store_received``) instead of a diff of the pulled version (``pull``/``merge`` entries are written
only with a server that keeps none).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from fieldapp.fieldchanges import diff, has_consent, redact
from fieldapp.forms import Form
from fieldapp.ids import new_id

if TYPE_CHECKING:
    from fieldapp.store import Store

TABLE = "record_history"
#: store write kinds (the ``audit_action`` of the store's named write operations) whose entries came from the server and
#: never go back up; every other entry is this laptop's own and waits for the next push
RECEIVED: dict[str | None, str] = {"sync_pull": "pull", "sync_merge": "merge"}
ACTIONS: dict[str | None, str] = {None: "update", "import": "import", "anonymise": "anonymise", **RECEIVED}
_CHUNK = 500


# ---------------------------------------------------------------------- the write


def record(
    conn: sqlite3.Connection,
    form: Form,
    items: list[tuple[str, dict[str, Any]]],
    *,
    at: str,
    user: str,
    device_id: str,
    audit_action: str | None,
) -> int:
    """Write one entry per record of ``items`` (id, new document) whose answers change; the caller
    holds the transaction and has not written the new documents yet. Returns the entries written."""
    if not items or audit_action == "demo":
        return 0
    old = old_docs(conn, form, [rid for rid, _ in items])
    action = ACTIONS.get(audit_action, audit_action or "update")
    sent = 1 if audit_action in RECEIVED else 0
    # a server that keeps history sends the entries of the people who made the change with the
    # record (``store_received``): a diff of the pulled version here would say the same twice
    shared = audit_action in RECEIVED and server_keeps_history(conn)
    rows: list[list[Any]] = []
    withdrawn: list[str] = []
    for rid, new in items:
        before = old.get(rid)
        if before is None:
            continue
        if not has_consent(form, new) and has_consent(form, before):
            withdrawn.append(rid)
        if shared:
            continue
        changes = diff(form, before, new)
        if not changes:
            continue
        if not has_consent(form, new):
            changes = redact(form, changes)
        rows.append([new_id(), rid, form.id, at, user, device_id, action, _dumps(changes), sent])
    for rid in withdrawn:  # before this entry is written: it is redacted already
        redact_record(conn, form, rid)
    conn.executemany(
        f"INSERT INTO {TABLE}(id, record_id, form_id, at, user, device_id, action, changes, sent) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return len(rows)


def old_docs(conn: sqlite3.Connection, form: Form, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The stored documents of ``ids`` (those that exist), read in a few queries."""
    out: dict[str, dict[str, Any]] = {}
    tops = [f for f in form.fields.values() if f.stores_value and f.type != "repeat"]
    for start in range(0, len(ids), _CHUNK):
        part = ids[start : start + _CHUNK]
        marks = ",".join("?" * len(part))
        cur = conn.execute(f"SELECT * FROM [{form.table}] WHERE id IN ({marks})", part)
        names = [d[0] for d in cur.description]
        found = 0
        for row in cur:
            values = dict(zip(names, row, strict=True))
            out[values["id"]] = {f.id: f.from_columns(values) for f in tops}
            found += 1
        if not found:
            continue
        for rep in form.repeats():
            for rid in part:
                if rid in out:
                    out[rid][rep.id] = []
            cur = conn.execute(
                f"SELECT * FROM [{form.child_table(rep)}] WHERE parent_id IN ({marks}) ORDER BY parent_id, position",
                part,
            )
            cnames = [d[0] for d in cur.description]
            for row in cur:
                values = dict(zip(cnames, row, strict=True))
                doc = out.get(values["parent_id"])
                if doc is not None:
                    doc[rep.id].append(
                        {
                            "id": values["id"],
                            **{c.id: c.from_columns(values) for c in rep.fields if c.stores_value},
                        }
                    )
    return out


def redact_record(conn: sqlite3.Connection, form: Form, record_id: str) -> int:
    """Remove sensitive values from every entry of a record (consent withdrawn); returns how many
    entries changed. The caller holds the transaction."""
    changed = 0
    for hid, raw in conn.execute(
        f"SELECT id, changes FROM {TABLE} WHERE record_id = ?", [record_id]
    ).fetchall():
        old = json.loads(raw)
        new = redact(form, old)
        if new != old:
            conn.execute(f"UPDATE {TABLE} SET changes = ? WHERE id = ?", [_dumps(new), hid])
            changed += 1
    return changed


# ---------------------------------------------------------------------- reading, erasure


def entries(store: Store, record_id: str) -> list[dict[str, Any]]:
    """A record's history, oldest first, as stored."""
    return [
        {
            "id": r[0],
            "record_id": r[1],
            "form_id": r[2],
            "at": r[3],
            "user": r[4],
            "device_id": r[5],
            "action": r[6],
            "changes": json.loads(r[7]),
        }
        for r in store.conn.execute(
            f"SELECT id, record_id, form_id, at, user, device_id, action, changes FROM {TABLE} "
            "WHERE record_id = ? ORDER BY at, id",
            [record_id],
        )
    ]


def forget(conn: sqlite3.Connection, record_id: str) -> int:
    """Delete a record's whole history (erasure or anonymisation; the caller's transaction)."""
    return conn.execute(f"DELETE FROM {TABLE} WHERE record_id = ?", [record_id]).rowcount


def count(store: Store, record_id: str) -> int:
    return int(
        store.conn.execute(f"SELECT count(*) FROM {TABLE} WHERE record_id = ?", [record_id]).fetchone()[0]
    )


# ---------------------------------------------------------------------- sync


def unsent(store: Store, record_ids: Iterable[str], limit: int) -> dict[str, list[dict[str, Any]]]:
    """This laptop's entries the server does not have yet, by record, oldest first (at most
    ``limit`` per record: the rest go with the record's next push)."""
    ids = list(dict.fromkeys(record_ids))
    out: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(ids), _CHUNK):
        part = ids[start : start + _CHUNK]
        for r in store.conn.execute(
            f"SELECT id, record_id, at, user, action, changes FROM {TABLE} "
            f"WHERE sent = 0 AND record_id IN ({','.join('?' * len(part))}) ORDER BY at, id",
            part,
        ):
            got = out.setdefault(r[1], [])
            if len(got) < limit:
                got.append(
                    {"id": r[0], "at": r[2], "user": r[3], "action": r[4], "changes": json.loads(r[5])}
                )
    return out


SERVER_HISTORY_KEY = "sync.server_history"  # in ``meta``: "1" when the server keeps edit history


def server_keeps_history(conn: sqlite3.Connection) -> bool:
    """True once a sync found a server that stores and sends edit history (set at the handshake)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", [SERVER_HISTORY_KEY]).fetchone()
    return row is not None and row[0] == "1"


def store_received(conn: sqlite3.Connection, form_id: str, record_id: str, items: list[dict[str, Any]]) -> int:
    """Keep the entries of a record as the server sent them (the caller's transaction): each once
    by its id; an entry already here takes the server's changes (redacted there after a consent
    withdrawal). Returns the entries written."""
    rows = [
        [
            e["id"],
            record_id,
            form_id,
            e["at"],
            e["user"],
            e.get("device_id"),
            e["action"],
            _dumps(e["changes"]),
        ]
        for e in items
    ]
    conn.executemany(
        f"INSERT INTO {TABLE}(id, record_id, form_id, at, user, device_id, action, changes, sent) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT(id) DO UPDATE SET changes = excluded.changes "
        "WHERE record_id = excluded.record_id",
        rows,
    )
    return len(rows)


def mark_sent(store: Store, ids: Iterable[str]) -> None:
    """The server has these entries (the caller's transaction)."""
    store.conn.executemany(f"UPDATE {TABLE} SET sent = 1 WHERE id = ?", [[i] for i in ids])


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
