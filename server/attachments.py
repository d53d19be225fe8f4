"""Attachments on the server: uploads in parts, one per user and file; a file kept once when it
is whole and its SHA-256 matches; which areas may read it; the records it completes."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from fieldapp.forms import Form
from fieldapp.sync import protocol as P

from . import db
from .auth import ApiError, User, audit
from .servicebase import ServiceBase, dumps, scope


class AttachmentService(ServiceBase):
    """Uploading and reading files, and who may read them."""

    def attachment_status(self, user: User, sha: str) -> dict[str, Any]:
        """How much of this file the server has *for this user*: complete when the user may read it
        (or sent it whole), else their own upload's progress. Nothing about other users' files."""
        up = db.uploads.c
        with self.engine.connect().execution_options(readonly=True) as conn, conn.begin():
            row = conn.execute(
                select(up.size, up.received, up.complete).where(up.sha256 == sha, up.user_name == user.name)
            ).first()
            if (row is None or not row.complete) and self._readable(conn, user, sha):
                size = conn.execute(
                    select(db.attachments.c.size).where(db.attachments.c.sha256 == sha)
                ).scalar()
                return {"sha256": sha, "size": size, "received": size, "complete": True}
        if row is None:
            return {"sha256": sha, "size": None, "received": 0, "complete": False}
        return {"sha256": sha, "size": row.size, "received": row.received, "complete": bool(row.complete)}

    def _readable(self, conn: Connection, user: User, sha: str) -> bool:
        """The file is complete here and the user may read it: an admin, one who uploaded it, or a
        user with an area it was granted to (``attachment_areas``)."""
        a, up, aa = db.attachments.c, db.uploads.c, db.attachment_areas.c
        if conn.execute(select(a.sha256).where(a.sha256 == sha, a.complete.is_(True))).first() is None:
            return False
        if user.everything:
            return True
        held = select(up.sha256).where(up.sha256 == sha, up.user_name == user.name, up.complete.is_(True))
        if conn.execute(held).first() is not None:
            return True
        granted = select(aa.area).where(aa.sha256 == sha, scope(aa.area, user)).limit(1)
        return conn.execute(granted).first() is not None

    def _grant(self, conn: Connection, user: User, refs: list[str], area: str | None) -> None:
        """A record of ``area`` refers to these files: the area may read those the user has."""
        if not refs or not area:
            return
        aa, up = db.attachment_areas.c, db.uploads.c
        have = {r[0] for r in conn.execute(select(aa.sha256).where(aa.sha256.in_(refs), aa.area == area))}
        todo = [s for s in refs if s not in have]
        if not todo:
            return
        held = {
            r[0]
            for r in conn.execute(
                select(up.sha256).where(up.sha256.in_(todo), up.user_name == user.name, up.complete.is_(True))
            )
        }
        if not user.everything:
            held |= {
                r[0] for r in conn.execute(select(aa.sha256).where(aa.sha256.in_(todo), scope(aa.area, user)))
            }
        else:
            held = set(todo)
        rows = [{"sha256": s, "area": area} for s in todo if s in held]
        if rows:
            conn.execute(insert(db.attachment_areas), rows)

    def put_attachment(
        self, user: User, sha: str, offset: int, size: int, chunk: bytes, mime: str | None
    ) -> dict[str, Any]:
        """Upload (part of) a file. Each user has their own upload of a file: nobody else can append
        to it or reset it, and finishing it proves the user has the file."""
        up = db.uploads.c
        mine = (up.sha256 == sha) & (up.user_name == user.name)
        with self.forms_held(), self.engine.begin() as conn:
            db.take_rev_lock(conn)  # serialise with pushes (records' completeness)
            received = self._upload_so_far(conn, user, sha, size, mine)
            if isinstance(received, dict):  # the user sent the whole file before
                return received
            if offset != received:
                raise ApiError(
                    409,
                    "offset_mismatch",
                    "ส่งไฟล์ต่อจากตำแหน่งที่เซิร์ฟเวอร์ได้รับแล้ว",
                    f"the server has {received} bytes; continue from there",
                    {"received": received},
                )
            if offset + len(chunk) > size:
                raise ApiError(400, "too_long", "ข้อมูลยาวเกินขนาดที่แจ้งไว้", "more bytes than the declared size")
            whole = offset == 0 and len(chunk) == size  # a photo in one part is written once, not twice
            if chunk and not whole:
                conn.execute(
                    insert(db.upload_chunks).values(
                        sha256=sha, user_name=user.name, offset=offset, data=chunk
                    )
                )
            received += len(chunk)
            complete = received == size
            bad = False
            if complete:
                data = chunk if whole else self._joined_parts(conn, user, sha)
                if hashlib.sha256(data).hexdigest() != sha:
                    conn.execute(update(db.uploads).where(mine).values(received=0))
                    bad = True
                else:
                    conn.execute(update(db.uploads).where(mine).values(received=received, complete=True))
                    self._store_file(conn, user, sha, size, data, mime)
            else:
                conn.execute(update(db.uploads).where(mine).values(received=received))
        if bad:  # the reset above is committed: the next upload starts from byte 0
            raise ApiError(
                422,
                "hash_mismatch",
                "ไฟล์ที่ได้รับไม่ตรงกับรหัสตรวจสอบ กรุณาส่งใหม่",
                "the bytes do not match the SHA-256; upload again from the start",
            )
        return {"sha256": sha, "size": size, "received": received, "complete": complete}

    def _upload_so_far(
        self, conn: Connection, user: User, sha: str, size: int, mine: Any
    ) -> int | dict[str, Any]:
        """How many bytes of the user's upload of this file the server has (a new upload, or one
        restarted with another size, has none); the answer itself when the upload is complete. A
        size other than the one the upload began with is refused once bytes have arrived."""
        up = db.uploads.c
        row = conn.execute(select(up.size, up.received, up.complete).where(mine)).first()
        if row is not None and row.complete:
            return {"sha256": sha, "size": row.size, "received": row.size, "complete": True}
        if row is None:
            conn.execute(
                insert(db.uploads).values(
                    sha256=sha,
                    user_name=user.name,
                    size=size,
                    received=0,
                    complete=False,
                    created_at=self.now(),
                )
            )
            return 0
        if row.received == 0 and row.size != size:
            conn.execute(update(db.uploads).where(mine).values(size=size))
            return 0
        if row.size != size:
            raise ApiError(
                409,
                "size_mismatch",
                "ขนาดไฟล์ไม่ตรงกับที่เริ่มส่งไว้",
                f"this upload was started with size {row.size}",
                {"size": row.size, "received": row.received},
            )
        return int(row.received)

    def _joined_parts(self, conn: Connection, user: User, sha: str) -> bytes:
        """The parts of the user's upload joined in order (and dropped: the file is whole)."""
        ch = db.upload_chunks.c
        parts = [
            r[0]
            for r in conn.execute(
                select(ch.data).where(ch.sha256 == sha, ch.user_name == user.name).order_by(ch.offset)
            )
        ]
        conn.execute(delete(db.upload_chunks).where(ch.sha256 == sha, ch.user_name == user.name))
        return b"".join(parts)

    def _store_file(
        self, conn: Connection, user: User, sha: str, size: int, data: bytes, mime: str | None
    ) -> None:
        """A user sent the whole file: keep it (once), complete the records waiting for it, and let
        the areas of the user's records that refer to it read it."""
        a = db.attachments.c
        row = conn.execute(select(a.complete).where(a.sha256 == sha)).first()
        if row is None:
            conn.execute(
                insert(db.attachments).values(
                    sha256=sha,
                    size=size,
                    received=size,
                    complete=True,
                    mime=mime,
                    data=data,
                    created_at=self.now(),
                    created_by=user.name,
                )
            )
        elif not row.complete:  # begun by an older server
            conn.execute(
                update(db.attachments)
                .where(a.sha256 == sha)
                .values(size=size, received=size, complete=True, data=data)
            )
            conn.execute(delete(db.attachment_chunks).where(db.attachment_chunks.c.sha256 == sha))
        else:
            return  # kept already; this user now holds it too
        self._complete_records(conn, sha)
        ra, r = db.record_attachments.c, db.records.c
        for (area,) in conn.execute(
            select(r.area)
            .join(db.record_attachments, ra.record_id == r.id)
            .where(ra.sha256 == sha, scope(r.area, user))
            .distinct()
        ).all():
            self._grant(conn, user, [sha], area)
        audit(conn, self.settings, user.name, "attachment", None, None, dumps({"sha256": sha, "size": size}))

    def _complete_records(self, conn: Connection, sha: str) -> None:
        ra = db.record_attachments.c
        for (rid,) in conn.execute(select(ra.record_id).where(ra.sha256 == sha)).all():
            missing = conn.execute(
                select(ra.sha256)
                .where(ra.record_id == rid)
                .where(
                    ~ra.sha256.in_(select(db.attachments.c.sha256).where(db.attachments.c.complete.is_(True)))
                )
            ).first()
            if missing is None:
                conn.execute(update(db.records).where(db.records.c.id == rid).values(complete=True))

    def get_attachment(self, user: User, sha: str) -> tuple[bytes, str | None]:
        a = db.attachments.c
        with self.engine.connect().execution_options(readonly=True) as conn, conn.begin():
            readable = self._readable(conn, user, sha)
            row = conn.execute(select(a.data, a.mime).where(a.sha256 == sha)).first() if readable else None
        if row is None:
            raise ApiError(404, "not_found", "ไม่พบไฟล์แนบ", "no such attachment in your areas")
        return bytes(row.data), row.mime

    def _missing(self, conn: Connection, form: Form, doc: dict[str, Any] | None) -> list[str]:
        refs = P.photo_refs(form, doc)
        if not refs:
            return []
        have = {
            r[0]
            for r in conn.execute(
                select(db.attachments.c.sha256).where(
                    db.attachments.c.sha256.in_(refs), db.attachments.c.complete.is_(True)
                )
            )
        }
        return [s for s in refs if s not in have]
