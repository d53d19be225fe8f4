"""A change made from an older revision than the server's: the base it was made from (never
trusting the device id), then a three-way merge, or a conflict kept for a person to resolve."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, true

from fieldapp.forms import Form
from fieldapp.sync import merge
from fieldapp.sync import protocol as P

from . import db
from .auth import User
from .erasure import Erasure
from .servicebase import Batch, Current, dumps, loads, strip_derived


class Merging(Erasure):
    """Stale changes: merged, applied or kept as a conflict."""

    def _base(
        self, conn: Connection, batch: Batch, ch: P.Change, device: str
    ) -> tuple[dict[str, Any] | None, bool]:
        """The document this change was made from: what the pushing database actually had.

        Normally the revision ``base_rev``. When the change lists earlier pushes of its database in
        ``sent`` (accepted, but the laptop never heard back) and one of them is a revision after
        ``base_rev``, the laptop's document descends from what it sent then, so that is the base: a
        lost answer never turns into a conflict with oneself.

        The device id is never trusted for this (a copied or restored database carries the same
        one). A revision after ``base_rev`` written under this device id that the change does not
        list means two databases push with one device id: the answer tells the laptop to take a
        new identity (``device_reused``).
        """
        r = db.revisions
        after = ch.base_rev or 0
        if ch.sent:
            own = conn.execute(
                select(r.c.doc, r.c.pushed_doc, r.c.deleted)
                .where(r.c.record_id == ch.record_id, r.c.change_id.in_(ch.sent), r.c.rev > after)
                .order_by(r.c.rev.desc())
                .limit(1)
            ).first()
            if own is not None:
                return loads(own.pushed_doc or own.doc), bool(own.deleted)
        unknown = conn.execute(
            select(r.c.rev)
            .where(
                r.c.record_id == ch.record_id,
                r.c.device_id == device,
                r.c.rev > after,
                r.c.change_id.not_in(ch.sent) if ch.sent else true(),
            )
            .limit(1)
        ).first()
        if unknown is not None:
            batch.device_reused = True
        if ch.base_rev is None:
            return None, False
        row = conn.execute(
            select(r.c.doc, r.c.deleted).where(r.c.record_id == ch.record_id, r.c.rev == ch.base_rev)
        ).first()
        if row is None:
            return None, False
        return loads(row.doc), bool(row.deleted)

    def _stale(
        self,
        conn: Connection,
        batch: Batch,
        form: Form,
        user: User,
        device: str,
        ch: P.Change,
        cur: Current,
        mine: dict[str, Any] | None,
        area: str | None,
        last: int,
    ) -> tuple[P.ChangeResult, int]:
        """A change made from an older revision: a delete applies when nothing changed since its
        base; an edit of a deleted record restores it only when made from the tombstone; other
        edits are merged three ways, or kept as a conflict for a person to resolve."""
        base, base_deleted = self._base(conn, batch, ch, device)
        skip = merge.derived_paths(form)
        ok = P.ChangeResult(ch.change_id, ch.record_id, ch.form, "applied")
        if ch.deleted:
            if cur.deleted:
                ok.rev = cur.rev
                return ok, last
            if base is not None and strip_derived(cur.doc, skip) == strip_derived(base, skip):
                last += 1  # nothing changed on the server since the base: the delete applies
                self._write(conn, batch, form, ch, cur, None, True, area, last, user, device, None)
                ok.rev = last
                return ok, last
            return self._conflict(conn, form, user, device, ch, cur, "delete_edit", None, base, []), last
        assert mine is not None
        if cur.deleted:
            if base_deleted:  # edited from the tombstone itself: a deliberate restore
                last += 1
                self._write(conn, batch, form, ch, cur, mine, False, area, last, user, device, None)
                ok.rev = last
                return ok, last
            return self._conflict(conn, form, user, device, ch, cur, "edit_delete", mine, base, []), last
        theirs = cur.doc or {}
        merged = merge.three_way_merge(base, mine, theirs, skip=skip)
        if merged.conflicts:
            return self._conflict(
                conn, form, user, device, ch, cur, "fields", mine, base, merged.conflicts, merged.doc
            ), last
        doc, problems = self._validate(form, merged.doc)
        if problems:  # each side was valid, the combination is not: a person must choose
            diffs = [
                P.FieldConflict(k, (base or {}).get(k), mine.get(k), theirs.get(k))
                for k in mine
                if k not in skip and mine.get(k) != theirs.get(k)
            ]
            return self._conflict(
                conn, form, user, device, ch, cur, "fields", mine, base, diffs, theirs
            ), last
        return self._write_merged(conn, batch, form, user, device, ch, cur, mine, doc, area, last)

    def _write_merged(
        self,
        conn: Connection,
        batch: Batch,
        form: Form,
        user: User,
        device: str,
        ch: P.Change,
        cur: Current,
        mine: dict[str, Any],
        doc: dict[str, Any],
        area: str | None,
        last: int,
    ) -> tuple[P.ChangeResult, int]:
        """A merge that passes the form, written when it differs from the server's version:
        ``applied`` when it is the laptop's own document, ``merged`` (with the document) when it
        took answers from the server too."""
        theirs = cur.doc or {}
        new_area = doc.get(form.area_field) if form.area_field else area
        if not P.in_scope(new_area, user.areas, everything=user.everything):
            return self._reject(ch, "area_forbidden", f"area {new_area} is outside your areas"), last
        status = "applied" if P.canonical_json(doc) == P.canonical_json(mine) else "merged"
        if P.canonical_json(doc) == P.canonical_json(theirs):
            res = P.ChangeResult(
                ch.change_id,
                ch.record_id,
                ch.form,
                status,
                rev=cur.rev,
                doc=doc if status == "merged" else None,
            )
            return res, last
        last += 1
        missing = self._write(
            conn,
            batch,
            form,
            ch,
            cur,
            doc,
            False,
            new_area,
            last,
            user,
            device,
            mine if status == "merged" else None,
        )
        res = P.ChangeResult(
            ch.change_id, ch.record_id, ch.form, status, rev=last, doc=doc if status == "merged" else None
        )
        res.missing_attachments = missing
        return res, last

    def _conflict(
        self,
        conn: Connection,
        form: Form,
        user: User,
        device: str,
        ch: P.Change,
        cur: Current,
        kind: str,
        mine: dict[str, Any] | None,
        base: dict[str, Any] | None,
        fields: list[P.FieldConflict],
        merged: dict[str, Any] | None = None,
    ) -> P.ChangeResult:
        if merged is not None:
            merged, _ = self._validate(form, merged)  # recompute calculated fields
        conflict = P.Conflict(
            kind=kind,
            form=ch.form,
            record_id=ch.record_id,
            server_rev=cur.rev,
            mine=mine,
            theirs=cur.doc if not cur.deleted else None,
            merged=merged,
            fields=fields,
            mine_by=ch.updated_by or user.name,
            mine_at=ch.updated_at,
            theirs_by=cur.updated_by,
            theirs_at=cur.updated_at,
        )
        cid = conn.execute(
            insert(db.conflicts).values(
                record_id=ch.record_id,
                form_id=ch.form,
                area=cur.area,
                change_id=ch.change_id,
                user_name=user.name,
                device_id=device,
                server_rev=cur.rev,
                body=dumps(conflict.to_json()),
                created_at=self.now(),
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        conflict.conflict_id = int(cid)
        return P.ChangeResult(ch.change_id, ch.record_id, ch.form, "conflict", rev=cur.rev, conflict=conflict)
