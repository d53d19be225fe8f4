"""Erasure and anonymisation on the server, at a data subject's request: the change wins over any
edit, every older version, conflict copy, edit-history entry and unshared file is purged, and a
marker keeps the record from coming back."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from fieldapp.forms import Form
from fieldapp.sync import protocol as P

from . import db
from . import history as server_history
from .auth import User, audit
from .revisions import RevisionWriter
from .servicebase import Batch, Current, dumps


class Erasure(RevisionWriter):
    """Applying an erasure or an anonymisation."""

    def _erase(
        self,
        conn: Connection,
        batch: Batch,
        form: Form,
        user: User,
        device: str,
        ch: P.Change,
        cur: Current | None,
        last: int,
    ) -> tuple[P.ChangeResult, int]:
        """Apply an erasure: it wins over any edit, and every older version is purged."""
        ok = P.ChangeResult(ch.change_id, ch.record_id, ch.form, "applied", rev=cur.rev if cur else None)
        if ch.record_id in batch.erased:
            return ok, last  # erased before (from another laptop): nothing more to do
        if cur is None and ch.deleted:
            # never reached the server: nothing to erase, and no marker that could block this id
            # (an id known only to the one who sends it belongs to nobody else's area here)
            return ok, last
        batch.flush(conn)  # rare: write everything waiting, then erase with plain statements
        doc: dict[str, Any] | None = None
        area = cur.area if cur else None
        if not ch.deleted:
            checked = self._anonymised(batch, form, user, ch, area)
            if isinstance(checked, P.ChangeResult):
                return checked, last
            doc, area = checked
        old_refs = set(P.photo_refs(form, cur.doc)) if cur is not None else set()
        if cur is not None or doc is not None:
            last += 1
            self._write(conn, batch, form, ch, cur, doc, ch.deleted, area, last, user, device, None)
            batch.flush(conn)
            batch.current.pop(ch.record_id, None)  # read again from the database when needed
            ok.rev = last
            self._purge_versions(conn, ch, last)
        self._settle_conflicts(conn, batch, user, ch, ok.rev)
        self._forget_files(conn, old_refs - set(P.photo_refs(form, doc)))
        server_history.forget(conn, ch.record_id)  # old values: an erasure that kept them would be none
        self._mark_erased(conn, user, device, ch, ok.rev)
        batch.erased.add(ch.record_id)
        return ok, last

    def _anonymised(
        self, batch: Batch, form: Form, user: User, ch: P.Change, area: str | None
    ) -> tuple[dict[str, Any], str | None] | P.ChangeResult:
        """An anonymised document checked: valid, its repeat row ids its own, in the user's areas;
        the document and its area, or the refusal."""
        assert ch.doc is not None
        doc, problems = self._validate(form, ch.doc)
        if problems:
            return self._reject(ch, "invalid", "the anonymised record does not pass the form", problems)
        taken = self._taken_rows(batch, form, ch.record_id, doc)
        if taken:
            return self._reject_taken(ch, taken)
        area = (doc.get(form.area_field) if form.area_field else None) or area
        if not area or not P.in_scope(area, user.areas, everything=user.everything):
            return self._reject(ch, "area_forbidden", f"area {area} is outside your areas")
        return doc, area

    def _purge_versions(self, conn: Connection, ch: P.Change, rev: int) -> None:
        """The older versions emptied (and the record's document, when erased)."""
        if ch.deleted:
            conn.execute(update(db.records).where(db.records.c.id == ch.record_id).values(doc=None))
        r = db.revisions.c
        conn.execute(
            update(db.revisions)
            .where(r.record_id == ch.record_id, r.rev < rev)
            .values(doc=None, pushed_doc=None)
        )

    def _settle_conflicts(
        self, conn: Connection, batch: Batch, user: User, ch: P.Change, rev: int | None
    ) -> None:
        """The record's conflicts keep no copy and are resolved; stored push results keep no
        document, and a conflict among them becomes a refusal (``erased``)."""
        c = db.conflicts.c
        conn.execute(
            update(db.conflicts)
            .where(c.record_id == ch.record_id)
            .values(body=dumps({"kind": "erased", "form": ch.form, "record_id": ch.record_id}))
        )
        conn.execute(
            update(db.conflicts)
            .where(c.record_id == ch.record_id, c.resolved_at.is_(None))
            .values(resolved_at=self.now(), resolved_by=user.name, resolution_rev=rev)
        )
        for cid, raw in conn.execute(
            select(db.changes.c.change_id, db.changes.c.result).where(db.changes.c.record_id == ch.record_id)
        ).all():
            res = json.loads(raw)
            res["doc"] = None
            if res.get("status") == "conflict":
                res.update(
                    status="rejected",
                    reason="erased",
                    conflict=None,
                    message=P.REJECTION_MESSAGES["erased"],
                    message_en="the record was erased at the data subject's request",
                )
            conn.execute(update(db.changes).where(db.changes.c.change_id == cid).values(result=dumps(res)))
            if cid in batch.stored:  # a replay later in this batch answers as the database now says
                batch.stored[cid] = dumps(res)

    def _forget_files(self, conn: Connection, dropped: set[str]) -> None:
        """Files the record no longer refers to, deleted when no other record does."""
        ra = db.record_attachments.c
        for sha in sorted(dropped):
            if conn.execute(select(ra.record_id).where(ra.sha256 == sha).limit(1)).first() is None:
                for table in (
                    db.attachment_chunks,
                    db.attachments,
                    db.upload_chunks,
                    db.uploads,
                    db.attachment_areas,
                ):
                    conn.execute(delete(table).where(table.c.sha256 == sha))

    def _mark_erased(self, conn: Connection, user: User, device: str, ch: P.Change, rev: int | None) -> None:
        """The marker that keeps an older copy from bringing the record back, and the audit row."""
        mode = "erase" if ch.deleted else "anonymise"
        conn.execute(delete(db.erasures).where(db.erasures.c.record_id == ch.record_id))  # a stale marker
        conn.execute(
            insert(db.erasures).values(
                record_id=ch.record_id,
                form_id=ch.form,
                mode=mode,
                rev=rev,
                at=self.now(),
                user_name=user.name,
                device_id=device,
            )
        )
        audit(conn, self.settings, user.name, mode, ch.form, ch.record_id, dumps({"rev": rev}))
