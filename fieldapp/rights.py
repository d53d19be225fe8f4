"""A household's rights under the PDPA: a copy of its data, consent withdrawal, erasure.

* ``export_data`` — everything the laptop holds about one household (the record with its members,
  its edit history — every change, old → new, who and when — its referrals with theirs, the
  businesses that employ its members, consent events, the audit trail of the record and its
  attachments' list) as one JSON document; ``export_pdf`` adds the readable case
  report. Both are recorded in the audit log (``export_data``).
* ``withdraw_consent`` — records the withdrawal (``consent_events``); withdrawing only the explicit
  consent for health and disability questions also clears those answers (a normal edit that syncs).
* ``erase`` — ``mode="anonymise"`` purges the personal fields (names, ID numbers, phones, free
  text, photos, house numbers, GPS; birth dates cut to the year) and keeps the rest for statistics;
  ``mode="erase"`` removes everything and leaves a tombstone. Either way the record's edit history
  (``fieldapp.history``, which holds old values) is deleted. The household's referrals go the same
  way. The record is marked in ``erasures``: it can never be edited or restored on this laptop, and
  the marker goes up with the next sync as an *erasure change* that wins over any other edit on the
  server and on every other laptop (``fieldapp.sync``). Old content is overwritten in the database
  file (``secure_delete``, FTS optimise, WAL truncated) and in the backups (``purge_backups_of``; a backup that cannot be purged is reported).
"""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldapp import crypto, files, history
from fieldapp.clock import now_iso
from fieldapp.errors import (
    AccessError,
    FieldAppError,
    NotFoundError,
    ValidationError,
    disk_full,
    is_disk_full,
)
from fieldapp.forms import ATTACHMENT_TYPES, Field, Form
from fieldapp.store import Store, open_store

MODES = ("erase", "anonymise")
SCOPES = ("all", "sensitive")
PERSONAL_TYPES = frozenset({"text", "national_id", "phone", "geopoint", *ATTACHMENT_TYPES})
LINKED = {"household": [("referral", "household_id")]}  # records that follow the household


def _erased_by_doc(f: Field) -> bool:
    return f.type in PERSONAL_TYPES


def _year_only(value: Any, on: Any = None) -> Any:
    """Only the year of a date. With the survey date ``on``, the day chosen in that year keeps
    the age on the survey date exactly (1 January when the birthday had passed, else 31
    December), so age-based answers stay valid; without it, the middle of the year."""
    if isinstance(value, str) and len(value) >= 4 and value[:4].isdigit():
        if isinstance(on, str) and len(on) >= 10 and len(value) >= 10:
            return f"{value[:4]}-01-01" if value[5:10] <= on[5:10] else f"{value[:4]}-12-31"
        return f"{value[:4]}-07-01"
    return None


def anonymise_doc(form: Form, doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``doc`` without personal data: free text, IDs, phones, photos, GPS go; dates in
    repeat rows (birth dates) keep only the year; choices, numbers and the area stay."""
    out = dict(doc)
    for f in form.fields.values():
        if not f.stores_value and f.type != "repeat":
            continue
        if f.type == "repeat":
            rows = []
            for r in out.get(f.id) or []:
                row = dict(r)
                for c in f.fields:
                    if _erased_by_doc(c):
                        row[c.id] = None
                    elif c.type == "date" and row.get(c.id):
                        row[c.id] = _year_only(row[c.id], doc.get("surveyed_on"))
                    elif c.type == "repeat":  # rows within the row: their personal answers go too
                        row[c.id] = [
                            {**s, **{g.id: None for g in c.fields if _erased_by_doc(g)}}
                            for s in row.get(c.id) or []
                        ]
                rows.append(row)
            out[f.id] = rows
        elif _erased_by_doc(f) and f.id != form.area_field:
            out[f.id] = None
    return out


def require_role(store: Store, act: str) -> None:
    """Refuse ``act`` (``protocol.ACTS``) when the signed-in user's role may not do it.

    A convenience: the role is known only on an encrypted database (sign-in), and the server checks
    every erasure and resolution again by the role and areas of the account that syncs it.
    """
    from fieldapp.sync.protocol import ACT_NAMES, may

    if store.role is not None and not may(store.role, act):
        th, en = ACT_NAMES[act]
        raise AccessError(
            f"{th}ได้เฉพาะผู้จัดการพื้นที่หรือผู้ดูแลระบบ",
            f"only an area manager or an admin may {en} (you are {store.role})",
        )


def _require(store: Store, form_id: str, record_id: str) -> Any:
    try:
        return store.get(form_id, record_id, include_deleted=True)
    except NotFoundError:
        raise NotFoundError(f"ไม่พบระเบียน {record_id}", f"no {form_id} record {record_id}") from None


def erasure(store: Store, record_id: str) -> dict[str, Any] | None:
    row = store.conn.execute(
        "SELECT form_id, mode, at, user, reason FROM erasures WHERE record_id = ?", [record_id]
    ).fetchone()
    if row is None:
        return None
    return {"form": row[0], "mode": row[1], "at": row[2], "user": row[3], "reason": row[4]}


def linked_ids(store: Store, form_id: str, record_id: str) -> list[tuple[str, str]]:
    """The records that go with this one: the household's other survey rounds, and the referrals
    of each round."""
    rounds = [record_id, *_other_rounds(store, form_id, record_id)]
    out: list[tuple[str, str]] = [(form_id, rid) for rid in rounds[1:]]
    for rid in rounds:
        for other, field_id in LINKED.get(form_id, []):
            table = store.form(other).table
            out += [
                (other, r[0])
                for r in store.conn.execute(f"SELECT id FROM [{table}] WHERE [{field_id}] = ?", [rid])
            ]
    return out


def _other_rounds(store: Store, form_id: str, record_id: str) -> list[str]:
    """The other survey rounds of a household along their links, either way (deleted ones too)."""
    form = store.form(form_id)
    if not form.rounds:
        return []
    prev, t = form.rounds["previous"], form.table
    seen, todo = {record_id}, [record_id]
    while todo:
        rid = todo.pop()
        q = f"SELECT id FROM [{t}] WHERE [{prev}] = ? UNION SELECT [{prev}] FROM [{t}] WHERE id = ?"
        for (other,) in store.conn.execute(q, [rid, rid]):
            if other and other not in seen:
                seen.add(other)
                todo.append(other)
    return sorted(seen - {record_id})


# ---------------------------------------------------------------------- a copy of the data


def export_data(store: Store, record_id: str, *, form_id: str = "household") -> dict[str, Any]:
    """Everything this laptop holds about one record (unmasked: it is the person's own data)."""
    rec = _require(store, form_id, record_id)
    from fieldapp import audit

    linked = []
    for other, rid in linked_ids(store, form_id, record_id):
        o = store.get(other, rid, include_deleted=True)
        linked.append({"form": other, **o.as_dict(), "history": history.entries(store, rid)})
    employment: list[dict[str, Any]] = []
    if form_id == "household" and "business" in store.forms.forms:
        bform = store.form("business")
        for rep in bform.repeats():
            if any(c.id == "household_id" for c in rep.fields):
                ct = bform.child_table(rep)
                for bid, pos in store.conn.execute(
                    f"SELECT parent_id, position FROM [{ct}] WHERE household_id = ?", [record_id]
                ):
                    b = store.get("business", bid, include_deleted=True)
                    row = (b.data.get(rep.id) or [])[pos] if pos < len(b.data.get(rep.id) or []) else {}
                    employment.append({"business_id": bid, "business": b.data.get("name"), rep.id: row})
    consent = [
        {"event": r[0], "scope": r[1], "at": r[2], "user": r[3], "note": r[4]}
        for r in store.conn.execute(
            "SELECT event, scope, at, user, note FROM consent_events WHERE record_id = ? ORDER BY id",
            [record_id],
        )
    ]
    from fieldapp.sync.protocol import photo_refs

    shas = set(photo_refs(store.form(form_id), rec.data))
    for item in linked:
        shas.update(photo_refs(store.form(item["form"]), item["data"]))
    files = [{"sha256": s, "mime": store.attachment_mime(s)} for s in sorted(shas)]
    out = {
        "format": "fieldapp-subject-data",
        "version": 1,
        "exported_at": now_iso(),
        "exported_by": store.user,
        "record": {"form": form_id, **rec.as_dict()},
        "history": history.entries(store, record_id),
        "linked": linked,
        "employment": employment,
        "consent_events": consent,
        "erasure": erasure(store, record_id),
        "attachments": files,
        "audit": audit.entries(store, record_id=record_id),
    }
    with store.transaction():
        store.audit("export_data", form_id, record_id, {"linked": len(linked), "format": "json"})
    return out


def write_export(store: Store, record_id: str, out: Path, *, form_id: str = "household") -> Path:
    """Write ``export_data`` as JSON to ``out`` (the file the person asked for; written at once)."""
    data = export_data(store, record_id, form_id=form_id)
    try:
        files.write_atomic(out, json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"))
    except OSError as exc:
        if is_disk_full(exc):
            raise disk_full("บันทึกไฟล์ข้อมูลของครัวเรือน", f"{out.name}") from exc
        raise
    return out


def export_pdf(store: Store, record_id: str, out: Path, *, thai_digits: bool = False) -> int:
    """The readable case report of the household, national IDs in full (it is their own)."""
    from fieldapp.reports import render_household
    from fieldapp.reports.build import default_meta, household_report

    data = household_report(store, record_id, meta=default_meta(store.user))
    pages = render_household(data, out, unmask=True, thai_digits=thai_digits)
    with store.transaction():
        store.audit("export_data", "household", record_id, {"format": "pdf", "pages": pages})
    return pages


# ---------------------------------------------------------------------- consent


def withdraw_consent(
    store: Store, record_id: str, *, scope: str = "all", note: str | None = None, form_id: str = "household"
) -> None:
    """Record that the household withdrew its consent (``all``, or only ``sensitive`` data).

    Withdrawing the explicit consent for sensitive data also clears the sensitive answers (health,
    disability) through the normal write path, so the change syncs like any edit. Withdrawing all
    consent is recorded; erase or anonymise the household next (``erase``) unless another lawful
    basis applies.
    """
    if scope not in SCOPES:
        raise ValidationError(f"ไม่รู้จักขอบเขต {scope}", f"scope must be one of {', '.join(SCOPES)}")
    rec = _require(store, form_id, record_id)
    if erasure(store, record_id):
        raise ValidationError("ระเบียนนี้ถูกลบข้อมูลแล้ว", "the record was already erased", code="erased")
    form = store.form(form_id)
    with store.transaction():
        if scope == "sensitive":
            doc = dict(rec.data)
            if form.consent_field:
                doc[form.consent_field] = False
            for f in form.fields.values():
                if f.sensitive and f.stores_value and f.type != "calculated":
                    doc[f.id] = None
                if f.type == "repeat":
                    doc[f.id] = [
                        {**r, **{c.id: None for c in f.fields if c.sensitive and c.type != "calculated"}}
                        for r in doc.get(f.id) or []
                    ]
            store.rewrite(form_id, doc, record_id=record_id)
        store.conn.execute(
            "INSERT INTO consent_events(record_id, form_id, event, scope, at, user, note) VALUES (?,?,?,?,?,?,?)",
            [record_id, form_id, "withdrawn", scope, now_iso(), store.user, note],
        )
        store.audit("withdraw_consent", form_id, record_id, {"scope": scope})


def consent_events(store: Store, record_id: str) -> list[dict[str, Any]]:
    return [
        {"event": r[0], "scope": r[1], "at": r[2], "user": r[3], "note": r[4]}
        for r in store.conn.execute(
            "SELECT event, scope, at, user, note FROM consent_events WHERE record_id = ? ORDER BY id",
            [record_id],
        )
    ]


# ---------------------------------------------------------------------- erasure


def erase(
    store: Store,
    record_id: str,
    *,
    mode: str = "erase",
    reason: str | None = None,
    form_id: str = "household",
    purge_backups: bool = True,
) -> dict[str, Any]:
    """Erase or anonymise a household and its referrals (see the module doc); returns a summary."""
    if mode not in MODES:
        raise ValidationError(f"ไม่รู้จักวิธี {mode}", f"mode must be one of {', '.join(MODES)}")
    require_role(store, mode)
    _require(store, form_id, record_id)
    if erasure(store, record_id):
        raise ValidationError("ระเบียนนี้ถูกลบข้อมูลแล้ว", "the record was already erased", code="erased")
    targets = [(form_id, record_id), *linked_ids(store, form_id, record_id)]
    shas: set[str] = set()
    store.conn.execute("PRAGMA secure_delete = ON")
    with store.transaction():
        for fid, rid in targets:
            if erasure(store, rid):
                continue
            shas |= _apply(store, fid, rid, mode, None, None, server_rev=None, synced=False, reason=reason)
        store.audit(
            mode,
            form_id,
            record_id,
            {"reason": reason, "linked": [rid for _, rid in targets[1:]]},
        )
    removed = _after(store, shas)
    purge = purge_backups_of(store, targets, mode) if purge_backups else BackupPurge()
    return {
        "records": len(targets),
        "attachments_removed": removed,
        "backups_purged": len(purge.purged),
        "backups_failed": purge.failed,
        "backups_too_old": len(purge.too_old),
        "mode": mode,
    }


def apply_remote_erasure(
    store: Store,
    form_id: str,
    record_id: str,
    *,
    doc: dict[str, Any] | None,
    deleted: bool,
    server_rev: int | None,
    user: str,
) -> bool:
    """An erasure that came through sync (caller's transaction): it wins over local edits.

    Returns False when this laptop never had the record (nothing to erase; the marker is still kept
    so an old copy imported later cannot bring it back).
    """
    mode = "erase" if deleted else "anonymise"
    state = store.sync_state(form_id, record_id)
    if state is None:
        if not deleted and doc is not None:  # new here: keep the anonymised record (statistics)
            batch = store.apply_pulled(form_id, [(record_id, doc, server_rev)], user=user)
            if batch.errors:
                raise ValidationError.from_problems(batch.errors[0])
        store.conn.execute(
            "INSERT OR IGNORE INTO erasures(record_id, form_id, mode, at, user, reason) VALUES (?,?,?,?,?,?)",
            [record_id, form_id, mode, now_iso(), user, "sync"],
        )
        return False
    shas = _apply(
        store, form_id, record_id, mode, doc, user, server_rev=server_rev, synced=True, reason="sync"
    )
    store.audit(f"sync_{mode}", form_id, record_id, {"server_rev": server_rev}, user=user)
    store.conn.execute("CREATE TEMP TABLE IF NOT EXISTS erased_files (sha256 TEXT PRIMARY KEY)")
    store.conn.executemany("INSERT OR IGNORE INTO temp.erased_files VALUES (?)", [[s] for s in shas])
    return True


def finish_remote_erasures(store: Store) -> int:
    """After a sync: remove attachment files of erased records and flush old content out."""
    try:
        shas = {r[0] for r in store.conn.execute("SELECT sha256 FROM temp.erased_files")}
    except sqlite3.OperationalError:  # no erasure came with this sync: the table was never made
        return 0
    store.conn.execute("DROP TABLE temp.erased_files")
    return _after(store, shas)


def _apply(
    store: Store,
    form_id: str,
    record_id: str,
    mode: str,
    doc: dict[str, Any] | None,
    user: str | None,
    *,
    server_rev: int | None,
    synced: bool,
    reason: str | None,
) -> set[str]:
    """Purge one record (the caller holds the transaction); returns its attachments' SHA-256."""
    from fieldapp.sync.protocol import photo_refs

    form = store.form(form_id)
    rec = store.get(form_id, record_id, include_deleted=True)
    who = user or store.user
    shas = set(photo_refs(form, rec.data))
    t = form.table
    ts = now_iso()
    if mode == "anonymise" and not rec.deleted:
        new = doc if doc is not None else anonymise_doc(form, rec.data)
        store.conn.execute("DELETE FROM erasures WHERE record_id = ?", [record_id])  # re-made below
        store.rewrite(form_id, new, record_id=record_id, user=who, action="anonymise")
        keep = set(photo_refs(form, new))
        shas -= keep
    else:
        cols = [c for c, _ in form.columns()]
        sets = ", ".join(f"[{c}] = NULL" for c in cols)
        store.conn.execute(
            f"UPDATE [{t}] SET {sets}, title_sort = NULL, deleted = 1, deleted_at = ?, deleted_by = ?, "
            "updated_at = ?, updated_by = ? WHERE id = ?",
            [ts, who, ts, who, record_id],
        )
        for rep in form.repeats():
            store.conn.execute(f"DELETE FROM [{form.child_table(rep)}] WHERE parent_id = ?", [record_id])
        store.unindex(record_id)
    # the synced copy (merge base) and any conflict hold the old content too
    store.conn.execute(
        f"UPDATE [{t}] SET base = NULL, conflict = NULL, dirty = ?, server_rev = COALESCE(?, server_rev) "
        "WHERE id = ?",
        [0 if synced else 1, server_rev, record_id],
    )
    if synced and mode == "anonymise":
        store.conn.execute(
            f"UPDATE [{t}] SET base = ? WHERE id = ?",
            [json.dumps(store.get(form_id, record_id).data, ensure_ascii=False, sort_keys=True), record_id],
        )
    store.conn.execute("DELETE FROM sync_rejections WHERE record_id = ?", [record_id])
    store.conn.execute("DELETE FROM sync_set_aside WHERE record_id = ?", [record_id])
    history.forget(store.conn, record_id)  # old values: an erasure that kept them would be none
    for table in ("draft", "record_status"):  # the editor's tables, made when it first opens
        if store.conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [table]).fetchone():
            store.conn.execute(f"DELETE FROM [{table}] WHERE record_id = ?", [record_id])
    store.conn.execute(
        "INSERT OR REPLACE INTO erasures(record_id, form_id, mode, at, user, reason) VALUES (?,?,?,?,?,?)",
        [record_id, form_id, mode, ts, who, reason],
    )
    return shas


def _after(store: Store, shas: set[str]) -> int:
    """Remove files no live record refers to, and overwrite the old content in the database."""
    from fieldapp import attachments

    removed = 0
    live = store.attachment_refs()
    for sha in sorted(shas - live):
        if attachments.remove(store, sha):
            removed += 1
        with store.transaction():
            store.conn.execute("DELETE FROM attachments WHERE sha256 = ?", [sha])
    store.conn.execute("PRAGMA secure_delete = ON")
    with store.transaction():
        store.conn.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
        store.conn.execute("INSERT INTO search_words(search_words) VALUES ('optimize')")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return removed


@dataclass
class BackupPurge:
    """What the erasure did to the backups of the database (file names)."""

    purged: list[str] = field(default_factory=list)
    too_old: list[str] = field(default_factory=list)  # older format: ages out with the newest N kept
    failed: dict[str, str] = field(default_factory=dict)  # name -> why it could not be purged


# a backup that cannot be opened, read or written: a damaged or foreign file, a full disk
_BACKUP_ERRORS = (sqlite3.Error, OSError, FieldAppError)


def purge_backups_of(store: Store, targets: list[tuple[str, str]], mode: str) -> BackupPurge:
    """Apply the same erasure to every backup of this database, so a restore cannot bring it back.

    A backup that cannot be purged is reported in ``failed`` (it still holds the household), never
    counted as purged."""
    from fieldapp import backup

    out = BackupPurge()
    for b in backup.list_backups(store.path):
        name = b.path.name
        try:
            if not _has_erasures(b.path, store):
                out.too_old.append(name)
                continue
            with _BackupStore(b.path, store) as bs:
                with bs.transaction():
                    for fid, rid in targets:
                        if erasure(bs, rid) is None and bs.sync_state(fid, rid) is not None:
                            _apply(
                                bs,
                                fid,
                                rid,
                                mode,
                                None,
                                store.user,
                                server_rev=None,
                                synced=False,
                                reason="purge_backup",
                            )
                bs.conn.execute("VACUUM")
        except _BACKUP_ERRORS as exc:
            out.failed[name] = f"{exc.__class__.__name__}: {exc}"
            continue
        out.purged.append(name)
    return out


def _has_erasures(path: Path, store: Store) -> bool:
    conn = crypto.connect(path, store.data_key)
    try:
        return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'erasures'").fetchone() is not None
    finally:
        conn.close()


def _BackupStore(path: Path, main: Store) -> Store:
    """A store on a backup file (same forms and key; never backs itself up)."""
    return open_store(path, key=main.data_key, forms=main.forms, user=main.user)


def erased_at(store: Store, record_id: str) -> _dt.datetime | None:
    e = erasure(store, record_id)
    return _dt.datetime.fromisoformat(e["at"]) if e else None
