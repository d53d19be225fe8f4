"""Writing a pushed record on the server: its new revision (the record, the revision row, its
files, repeat row ids and survey-round link), and the checks and refusals every kind of change
shares."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from fieldapp.forms import Form
from fieldapp.sync import protocol as P

from . import db
from .attachments import AttachmentService
from .auth import User
from .servicebase import Batch, Current, dumps


class RevisionWriter(AttachmentService):
    """A record's current version, validation, refusals, and the write of a new revision."""

    def _current(self, conn: Connection, batch: Batch, record_id: str) -> Current | None:
        if record_id in batch.current:
            return batch.current[record_id]
        batch.flush_for(conn, record_id)
        row = conn.execute(select(db.records).where(db.records.c.id == record_id)).first()
        cur = (
            None
            if row is None
            else Current(
                row.rev, bool(row.deleted), row.doc, row.area, row.form_id, row.updated_at, row.updated_by
            )
        )
        batch.current[record_id] = cur
        return cur

    def _validate(self, form: Form, raw: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        doc, problems = form.validate(raw, partial_ok=True)
        return doc, [p.as_dict() for p in problems]

    def _reject(
        self, ch: P.Change, reason: str, message_en: str, problems: list[dict[str, Any]] | None = None
    ) -> P.ChangeResult:
        """A refused change: ``message`` in Thai for the person (by reason), ``message_en`` with the
        details in English."""
        return P.ChangeResult(
            ch.change_id,
            ch.record_id,
            ch.form,
            "rejected",
            reason=reason,
            message=P.REJECTION_MESSAGES.get(reason, P.REJECTION_MESSAGES["invalid"]),
            message_en=message_en,
            problems=problems or [],
        )

    def _taken_rows(self, batch: Batch, form: Form, record_id: str, doc: dict[str, Any]) -> list[str]:
        """Repeats of ``doc`` with a row id that another record already holds (a laptop could not
        store both: every repeat's rows share one table keyed by row id)."""
        taken: list[str] = []
        for rep in form.repeats():
            for row in doc.get(rep.id) or []:
                owner = batch.row_owner.get((form.id, rep.id, str(row.get("id"))))
                if owner is not None and owner != record_id:
                    taken.append(rep.id)
                    break
        return taken

    def _reject_taken(self, ch: P.Change, taken: list[str]) -> P.ChangeResult:
        return self._reject(
            ch,
            "duplicate_row_id",
            "a row id is already used by another record (in "
            + ", ".join(taken)
            + "); give each row its own id",
            [
                {
                    "path": rep,
                    "code": "duplicate_row_id",
                    "message": "รหัสแถวซ้ำกับของระเบียนอื่น",
                    "message_en": "a row id is already used by another record",
                }
                for rep in taken
            ],
        )

    def _write(
        self,
        conn: Connection,
        batch: Batch,
        form: Form,
        ch: P.Change,
        cur: Current | None,
        doc: dict[str, Any] | None,
        deleted: bool,
        area: str | None,
        rev: int,
        user: User,
        device: str,
        pushed: dict[str, Any] | None,
    ) -> list[str]:
        """Write one record's new revision; returns its attachments the server does not have yet.

        The record insert (a new record), the revision and the audit rows wait in ``batch``.
        """
        now = self.now()
        refs = P.photo_refs(form, doc)
        missing = self._missing(conn, form, doc)
        text = None if deleted else dumps(doc)
        values = dict(
            form_version=form.version,
            area=area,
            rev=rev,
            deleted=deleted,
            doc=text,
            updated_at=now,
            updated_by=user.name,
            device_id=device,
            complete=not missing,
        )
        if cur is None:
            batch.records.append(
                {"id": ch.record_id, "form_id": form.id, "created_at": now, "created_by": user.name, **values}
            )
        else:
            if deleted:
                values["doc"] = cur.raw
            batch.flush_for(conn, ch.record_id)
            conn.execute(update(db.records).where(db.records.c.id == ch.record_id).values(**values))
            conn.execute(
                delete(db.record_attachments).where(db.record_attachments.c.record_id == ch.record_id)
            )
        batch.revisions.append(
            {
                "rev": rev,
                "record_id": ch.record_id,
                "form_id": form.id,
                "deleted": deleted,
                "doc": text,
                "pushed_doc": None if pushed is None else dumps(pushed),
                "change_id": ch.change_id,
                "user_name": user.name,
                "device_id": device,
                "at": now,
            }
        )
        batch.touched.add(ch.record_id)
        batch.current[ch.record_id] = Current(
            rev, deleted, cur.raw if deleted and cur is not None else text, area, form.id, now, user.name
        )
        if refs and not deleted:
            conn.execute(
                insert(db.record_attachments), [{"record_id": ch.record_id, "sha256": s} for s in refs]
            )
            self._grant(conn, user, refs, area)
        if not deleted:  # a tombstone keeps its rows' ids: laptops may still hold the rows
            self._hold_rows(conn, batch, form, ch.record_id, cur, doc)
        self._link_round(conn, form, ch.record_id, None if deleted else doc)
        if ch.resolves:
            conn.execute(
                update(db.conflicts)
                .where(db.conflicts.c.record_id == ch.record_id, db.conflicts.c.resolved_at.is_(None))
                .values(resolved_at=now, resolved_by=user.name, resolution_rev=rev)
            )
            batch.audit.append(self._audit_row(user, "resolve", form.id, ch.record_id, dumps({"rev": rev})))
        return missing

    def _hold_rows(
        self,
        conn: Connection,
        batch: Batch,
        form: Form,
        record_id: str,
        cur: Current | None,
        doc: dict[str, Any] | None,
    ) -> None:
        """Record which repeat row ids the record's new version holds (waiting in ``batch``)."""
        if cur is not None:
            conn.execute(delete(db.row_ids).where(db.row_ids.c.record_id == record_id))
            for repeat_id, row_id in db.doc_rows(cur.doc):
                if batch.row_owner.get((form.id, repeat_id, row_id)) == record_id:
                    del batch.row_owner[(form.id, repeat_id, row_id)]
        for rep in form.repeats():
            for row in (doc or {}).get(rep.id) or []:
                key = (form.id, rep.id, str(row["id"]))
                if key not in batch.row_owner:
                    batch.row_owner[key] = record_id
                    batch.row_ids.append(
                        {"form_id": form.id, "repeat_id": rep.id, "row_id": key[2], "record_id": record_id}
                    )

    def _link_round(self, conn: Connection, form: Form, record_id: str, doc: dict[str, Any] | None) -> None:
        """Keep ``round_links`` in step with the record's new version (a deleted one frees its round)."""
        if not form.rounds:
            return
        conn.execute(delete(db.round_links).where(db.round_links.c.record_id == record_id))
        prev = (doc or {}).get(form.rounds["previous"])
        if prev:
            conn.execute(
                insert(db.round_links).values(record_id=record_id, form_id=form.id, previous_id=str(prev))
            )
