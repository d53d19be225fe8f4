"""Sync bookkeeping: what is dirty, sent, in conflict, set aside or rejected, attachments, the
sync settings and log."""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable
from typing import Any

from fieldapp.clock import now_iso
from fieldapp.store.reading import Reading
from fieldapp.store.rows import Record, base_text, chunks, doc_from_columns, record_from_row


class SyncState(Reading):
    """Used by fieldapp.sync (client side of the sync protocol). Each record row carries the server
    revision it was last synced at (server_rev), the synced document (base, the common ancestor
    of a three-way merge), a dirty marker for unsynced local changes and any open conflict."""

    def sync_meta(self, key: str) -> str | None:
        return self._meta_get(f"sync.{key}")

    def set_sync_meta(self, key: str, value: str | None) -> None:
        """Set (or, with None, remove) one sync setting such as the pull cursor."""
        if value is None:
            self.conn.execute("DELETE FROM meta WHERE key = ?", [f"sync.{key}"])
        else:
            self._meta_set(f"sync.{key}", value)

    def dirty_counts(self, form_id: str) -> tuple[int, int]:
        """(records with unsynced changes, of which in conflict), counted through the dirty index."""
        form = self.form(form_id)
        t = form.table
        dirty = self.conn.execute(f"SELECT count(*) FROM [{t}] WHERE dirty = 1").fetchone()[0]
        conflicted = self.conn.execute(
            f"SELECT count(*) FROM [{t}] INDEXED BY [{t}_conflict] WHERE conflict IS NOT NULL AND dirty = 1"
        ).fetchone()[0]
        return int(dirty), int(conflicted)

    def dirty_photo_refs(self, form_id: str) -> set[str]:
        """The photos (SHA-256) that live records with unsynced changes refer to, read from their
        photo columns without loading the records."""
        form = self.form(form_id)
        t = form.table
        refs: set[str] = set()
        for f in form.fields.values():
            if f.kind.attachment and f.parent is None:
                q = f"SELECT DISTINCT [{f.id}] FROM [{t}] WHERE dirty = 1 AND deleted = 0 AND [{f.id}] IS NOT NULL"
                refs.update(str(r[0]) for r in self.conn.execute(q) if r[0])
        for rep in form.repeats():
            for c in rep.fields:
                if c.kind.attachment:
                    q = (
                        f"SELECT DISTINCT c.[{c.id}] FROM [{form.child_table(rep)}] c JOIN [{t}] p ON p.id = c.parent_id "
                        f"WHERE p.dirty = 1 AND p.deleted = 0 AND c.[{c.id}] IS NOT NULL"
                    )
                    refs.update(str(r[0]) for r in self.conn.execute(q) if r[0])
        return refs

    def dirty_rows(self, form_id: str) -> builtins.list[dict[str, Any]]:
        """Records with unsynced changes: id, server_rev, deleted, updated_at/by, has_conflict."""
        form = self.form(form_id)
        cur = self.conn.execute(
            f"SELECT id, server_rev, deleted, updated_at, updated_by, conflict IS NOT NULL "
            f"FROM [{form.table}] WHERE dirty = 1 ORDER BY updated_at, id"
        )
        keys = ["id", "server_rev", "deleted", "updated_at", "updated_by", "has_conflict"]
        return [dict(zip(keys, row, strict=True)) for row in cur]

    def sync_state(self, form_id: str, record_id: str) -> dict[str, Any] | None:
        """server_rev, dirty, deleted, updated_at and conflict of one record (None if absent)."""
        form = self.form(form_id)
        row = self.conn.execute(
            f"SELECT server_rev, dirty, deleted, updated_at, conflict FROM [{form.table}] WHERE id = ?",
            [record_id],
        ).fetchone()
        if row is None:
            return None
        return {
            "server_rev": row[0],
            "dirty": bool(row[1]),
            "deleted": bool(row[2]),
            "updated_at": row[3],
            "conflict": json.loads(row[4]) if row[4] else None,
        }

    def sync_states(self, form_id: str, record_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``sync_state`` of many records at once (absent records are left out)."""
        form = self.form(form_id)
        out: dict[str, dict[str, Any]] = {}
        for chunk in chunks(builtins.list(record_ids), 500):
            for row in self.conn.execute(
                f"SELECT id, server_rev, dirty, deleted, updated_at, conflict FROM [{form.table}] "
                f"WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                out[row[0]] = {
                    "server_rev": row[1],
                    "dirty": bool(row[2]),
                    "deleted": bool(row[3]),
                    "updated_at": row[4],
                    "conflict": json.loads(row[5]) if row[5] else None,
                }
        return out

    def records_for_sync(self, form_id: str, record_ids: Iterable[str]) -> dict[str, Record]:
        """Many records (tombstones included) read at once, as ``get`` reads one."""
        form = self.form(form_id)
        out: dict[str, Record] = {}
        for chunk in chunks(builtins.list(record_ids), 500):
            marks = ",".join("?" * len(chunk))
            cur = self.conn.execute(f"SELECT * FROM [{form.table}] WHERE id IN ({marks})", chunk)
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, row, strict=True)) for row in cur]
            children: dict[str, dict[str, builtins.list[dict[str, Any]]]] = {}
            for rep in form.repeats():
                ccur = self.conn.execute(
                    f"SELECT * FROM [{form.child_table(rep)}] WHERE parent_id IN ({marks}) "
                    "ORDER BY parent_id, position",
                    chunk,
                )
                cnames = [d[0] for d in ccur.description]
                pi = cnames.index("parent_id")
                by_parent = children.setdefault(rep.id, {})
                for r in ccur:
                    by_parent.setdefault(r[pi], []).append(
                        {"id": r[0], **doc_from_columns(rep.fields, dict(zip(cnames, r, strict=True)))}
                    )
            for values in rows:
                rid = values["id"]
                data = doc_from_columns(form.fields.values(), values)
                for rep in form.repeats():
                    data[rep.id] = children.get(rep.id, {}).get(rid, [])
                out[rid] = record_from_row(form, values, data)
        return out

    def mark_synced_many(
        self,
        form_id: str,
        items: Iterable[tuple[str, int | None, dict[str, Any] | None, str | None]],
    ) -> None:
        """``mark_synced`` for many (record_id, server_rev, base, if_updated_at) at once."""
        form = self.form(form_id)
        self.conn.executemany(
            f"UPDATE [{form.table}] SET dirty = CASE WHEN ? IS NULL OR updated_at = ? THEN 0 ELSE dirty END, "
            "server_rev = ?, base = ?, conflict = NULL WHERE id = ?",
            [
                (
                    when,
                    when,
                    rev,
                    base_text(base),
                    rid,
                )
                for rid, rev, base, when in items
            ],
        )

    def note_sent(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Remember (record_id, change_id) of changes about to be pushed, until their answer is stored."""
        self.conn.executemany("INSERT OR IGNORE INTO sync_sent(record_id, change_id) VALUES (?, ?)", pairs)

    def sent_changes(self, record_ids: Iterable[str]) -> dict[str, builtins.list[str]]:
        """The change ids pushed for these records whose answers were never stored."""
        out: dict[str, builtins.list[str]] = {}
        for chunk in chunks(builtins.list(record_ids), 500):
            for rid, cid in self.conn.execute(
                f"SELECT record_id, change_id FROM sync_sent WHERE record_id IN ({','.join('?' * len(chunk))}) "
                "ORDER BY rowid",
                chunk,
            ):
                out.setdefault(rid, []).append(cid)
        return out

    def forget_sent(self, record_ids: Iterable[str]) -> None:
        """The answers for these records are stored: their earlier pushes need no more remembering."""
        self.conn.executemany("DELETE FROM sync_sent WHERE record_id = ?", [(r,) for r in record_ids])

    def set_aside(
        self, form_id: str, record_id: str, rev: int | None, reason: str, item: dict[str, Any]
    ) -> None:
        """Keep a pulled record this laptop cannot store, with the reason (see ``set_aside_records``)."""
        self.conn.execute(
            "INSERT INTO sync_set_aside(record_id, form_id, rev, reason, item, at) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(record_id) DO UPDATE SET form_id = excluded.form_id, rev = excluded.rev, "
            "reason = excluded.reason, item = excluded.item, at = excluded.at",
            [record_id, form_id, rev, reason, json.dumps(item, ensure_ascii=False), now_iso()],
        )

    def set_aside_records(self, *, with_items: bool = False) -> builtins.list[dict[str, Any]]:
        """Pulled records set aside: form, record_id, rev, reason, at (and the record, on request)."""
        out = []
        for rid, form_id, rev, reason, item, at in self.conn.execute(
            "SELECT record_id, form_id, rev, reason, item, at FROM sync_set_aside ORDER BY at, record_id"
        ):
            row = {"form": form_id, "record_id": rid, "rev": rev, "reason": reason, "at": at}
            if with_items:
                row["item"] = json.loads(item)
            out.append(row)
        return out

    def drop_set_aside(self, record_ids: Iterable[str]) -> None:
        """Forget set-aside copies of these records (stored now, or replaced by a newer version)."""
        if self.conn.execute("SELECT 1 FROM sync_set_aside LIMIT 1").fetchone() is None:
            return
        self.conn.executemany("DELETE FROM sync_set_aside WHERE record_id = ?", [(r,) for r in record_ids])

    def clear_rejections(self, record_ids: Iterable[str]) -> None:
        """``set_rejection(…, None)`` for many records at once."""
        self.conn.executemany("DELETE FROM sync_rejections WHERE record_id = ?", [(r,) for r in record_ids])

    def mark_synced(
        self,
        form_id: str,
        record_id: str,
        *,
        server_rev: int | None,
        base: dict[str, Any] | None,
        if_updated_at: str | None = None,
    ) -> bool:
        """Record that the server holds this record at ``server_rev`` with content ``base``.

        The record becomes clean unless ``if_updated_at`` is given and the record was edited again
        since (then it stays dirty, now based on the new server revision). True when clean.
        """
        form = self.form(form_id)
        base_json = base_text(base)
        if if_updated_at is None:
            clean_sql, params = "0", [server_rev, base_json, record_id]
        else:
            clean_sql, params = (
                "CASE WHEN updated_at = ? THEN 0 ELSE dirty END",
                [if_updated_at, server_rev, base_json, record_id],
            )
        self.conn.execute(
            f"UPDATE [{form.table}] SET dirty = {clean_sql}, server_rev = ?, base = ?, conflict = NULL "
            "WHERE id = ?",
            params,
        )
        row = self.conn.execute(f"SELECT dirty FROM [{form.table}] WHERE id = ?", [record_id]).fetchone()
        return row is not None and not row[0]

    def rebase(
        self, form_id: str, record_id: str, *, server_rev: int | None, base: dict[str, Any] | None
    ) -> None:
        """Point a dirty record at a server revision (after a person resolved a conflict); stays dirty."""
        form = self.form(form_id)
        self.conn.execute(
            f"UPDATE [{form.table}] SET server_rev = ?, base = ?, conflict = NULL WHERE id = ?",
            [
                server_rev,
                base_text(base),
                record_id,
            ],
        )

    def attachment_refs(self) -> set[str]:
        """SHA-256 of every attachment referenced by a live record (photo fields, rows included)."""
        out: set[str] = set()
        for form in self.forms:
            for f in form.fields.values():
                if f.kind.attachment:
                    out.update(
                        r[0]
                        for r in self.conn.execute(
                            f"SELECT DISTINCT [{f.id}] FROM [{form.table}] WHERE [{f.id}] IS NOT NULL AND deleted = 0"
                        )
                    )
                for c in f.fields:
                    if c.kind.attachment:
                        out.update(
                            r[0]
                            for r in self.conn.execute(
                                f"SELECT DISTINCT c.[{c.id}] FROM [{form.child_table(f)}] c JOIN [{form.table}] p "
                                f"ON p.id = c.parent_id WHERE c.[{c.id}] IS NOT NULL AND p.deleted = 0"
                            )
                        )
        return out

    def set_conflict(self, form_id: str, record_id: str, conflict: dict[str, Any] | None) -> None:
        """Keep (or clear) a sync conflict on the record; it stays dirty until resolved."""
        form = self.form(form_id)
        self.conn.execute(
            f"UPDATE [{form.table}] SET conflict = ? WHERE id = ?",
            [None if conflict is None else json.dumps(conflict, ensure_ascii=False), record_id],
        )

    def conflicted_ids(self, form_id: str) -> builtins.list[str]:
        form = self.form(form_id)
        return [
            r[0]
            for r in self.conn.execute(
                f"SELECT id FROM [{form.table}] WHERE conflict IS NOT NULL ORDER BY updated_at, id"
            )
        ]

    def apply_remote_delete(
        self, form_id: str, record_id: str, *, server_rev: int, user: str, at: str | None = None
    ) -> None:
        """A tombstone that came from the server: hide the record, mark it clean (caller's transaction)."""
        form = self.form(form_id)
        ts = at or now_iso()
        self.conn.execute(
            f"UPDATE [{form.table}] SET deleted = 1, deleted_at = ?, deleted_by = ?, updated_at = ?, "
            "updated_by = ?, dirty = 0, server_rev = ?, base = NULL, conflict = NULL WHERE id = ?",
            [ts, user, ts, user, server_rev, record_id],
        )
        self.unindex(record_id)
        self.audit("sync_delete", form_id, record_id, {"server_rev": server_rev}, user=user)

    def synced_live_ids(self, form_id: str, areas: Iterable[str] | None) -> builtins.list[str]:
        """Ids of clean, live records the server knows (for end-of-sync verification)."""
        form = self.form(form_id)
        where, params = self._where(
            form,
            search=None,
            area=list(areas) if areas is not None else None,
            filters=None,
            include_deleted=False,
        )
        return [
            r[0]
            for r in self.conn.execute(
                f"SELECT id FROM [{form.table}] WHERE {where} AND dirty = 0 AND server_rev IS NOT NULL",
                params,
            )
        ]

    def attachment_uploaded(self, sha256: str) -> bool:
        row = self.conn.execute("SELECT uploaded FROM attachments WHERE sha256 = ?", [sha256]).fetchone()
        return bool(row and row[0])

    def set_attachment(self, sha256: str, *, size: int, mime: str | None, uploaded: bool) -> None:
        """Record an attachment's metadata and whether the server has it all."""
        self.conn.execute(
            "INSERT INTO attachments(sha256, size, mime, name, created_at, uploaded) VALUES (?, ?, ?, NULL, ?, ?) "
            "ON CONFLICT(sha256) DO UPDATE SET uploaded = excluded.uploaded",
            [sha256, size, mime, now_iso(), int(uploaded)],
        )

    def attachment_mime(self, sha256: str) -> str | None:
        row = self.conn.execute("SELECT mime FROM attachments WHERE sha256 = ?", [sha256]).fetchone()
        return None if row is None else row[0]

    def set_rejection(
        self,
        form_id: str,
        record_id: str,
        reason: str | None,
        message: str | None = None,
        problems: Any = None,
    ) -> None:
        """Keep (or clear, with reason None) why the server refused a local change."""
        if reason is None:
            self.conn.execute("DELETE FROM sync_rejections WHERE record_id = ?", [record_id])
            return
        self.conn.execute(
            "INSERT INTO sync_rejections(record_id, form_id, reason, message, problems, at) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(record_id) DO UPDATE SET reason = excluded.reason, message = excluded.message, "
            "problems = excluded.problems, at = excluded.at",
            [record_id, form_id, reason, message, json.dumps(problems or [], ensure_ascii=False), now_iso()],
        )

    def rejections(self) -> builtins.list[dict[str, Any]]:
        cur = self.conn.execute(
            "SELECT form_id, record_id, reason, message, problems, at FROM sync_rejections ORDER BY at"
        )
        return [
            {
                "form": r[0],
                "record_id": r[1],
                "reason": r[2],
                "message": r[3],
                "problems": json.loads(r[4] or "[]"),
                "at": r[5],
            }
            for r in cur
        ]

    def log_sync(self, started_at: str, server: str, user: str, ok: bool, summary: dict[str, Any]) -> None:
        self.conn.execute(
            "INSERT INTO sync_log(started_at, finished_at, server, user, ok, summary) VALUES (?,?,?,?,?,?)",
            [started_at, now_iso(), server, user, int(ok), json.dumps(summary, ensure_ascii=False)],
        )

    def last_sync(self, *, ok_only: bool = True) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT started_at, finished_at, server, user, ok, summary FROM sync_log "
            + ("WHERE ok = 1 " if ok_only else "")
            + "ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return {
            "started_at": row[0],
            "finished_at": row[1],
            "server": row[2],
            "user": row[3],
            "ok": bool(row[4]),
            "summary": json.loads(row[5] or "{}"),
        }


