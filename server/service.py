"""Server-side sync: push (validate, scope, merge, conflict), pull by cursor, verify, attachments.

Each push batch is one transaction: either every change of the batch is recorded or none is.
Change ids are stored with their results, so a replayed batch returns the same results and
changes nothing. Rejections are not stored (nothing changed); a replay re-evaluates them.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, Engine, delete, false, func, insert, or_, select, true, update
from sqlalchemy.sql.elements import ColumnElement

from fieldapp import crossrecord
from fieldapp.fieldchanges import BadEntry, has_consent
from fieldapp.forms import Form, FormSet
from fieldapp.sync import merge
from fieldapp.sync import protocol as P

from . import db
from . import history as server_history
from .auth import ApiError, User, audit, device_forbidden
from .forms import ServerForms
from .settings import Settings


def _scope(col: Any, user: User) -> ColumnElement[bool]:
    if user.everything:
        return true()
    if not user.areas:
        return false()
    return or_(*[col.startswith(a, autoescape=True) for a in user.areas])


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _strip(doc: dict[str, Any] | None, skip: frozenset[str]) -> dict[str, Any]:
    """A document without its calculated fields (for "did anything change" comparisons)."""
    out: dict[str, Any] = {}
    for k, v in (doc or {}).items():
        if k in skip:
            continue
        if isinstance(v, list) and v and all(isinstance(r, dict) for r in v):
            v = [{ck: cv for ck, cv in r.items() if f"{k}.{ck}" not in skip} for r in v]
        out[k] = v
    return out


@dataclass
class _Current:
    rev: int
    deleted: bool
    raw: str | None  # the stored document as JSON text (parsed on first use)
    area: str | None
    form_id: str
    updated_at: str
    updated_by: str

    @cached_property
    def doc(self) -> dict[str, Any] | None:
        return _loads(self.raw)


_CHUNK = 500  # ids per IN (...) query


@dataclass
class _Batch:
    """One push batch: what was read up front, and the rows inserted together at the end.

    ``current`` and ``erased`` are read for every record of the batch in a few queries and kept
    up to date as the batch writes. Inserts into records, revisions, changes and the audit log wait
    in lists and go to the database with one executemany each (``flush``); any read or update that
    could see those tables for a record with waiting rows flushes first, so the order of effects is
    the same as writing each change on its own.
    """

    stored: dict[str, str] = field(default_factory=dict)  # change_id -> stored result JSON
    current: dict[str, _Current | None] = field(default_factory=dict)
    erased: set[str] = field(default_factory=set)
    stale: set[str] = field(default_factory=set)  # erasure markers of ids the server never had
    records: list[dict[str, Any]] = field(default_factory=list)
    revisions: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)  # record ids with waiting rows
    device_reused: bool = False  # two databases push with one device id (see SyncService._base)
    # (form, repeat, row id) -> the record holding that repeat row, for every row id of the batch
    row_owner: dict[tuple[str, str, str], str] = field(default_factory=dict)
    row_ids: list[dict[str, Any]] = field(default_factory=list)

    def flush(self, conn: Connection) -> None:
        for table, rows in (
            (db.records, self.records),
            (db.revisions, self.revisions),
            (db.changes, self.changes),
            (db.audit_log, self.audit),
            (db.row_ids, self.row_ids),
        ):
            if rows:
                conn.execute(insert(table), rows)
                rows.clear()
        self.touched.clear()

    def flush_for(self, conn: Connection, record_id: str) -> None:
        if record_id in self.touched:
            self.flush(conn)


class SyncService:
    def __init__(self, engine: Engine, settings: Settings, forms: FormSet) -> None:
        self.engine = engine
        self.settings = settings
        self.registry = ServerForms(engine, forms)

    @property
    def forms(self) -> FormSet:
        """Bundled and installed forms as the database has them (re-read when one is added)."""
        return self.registry.current()

    def now(self) -> str:
        return P.iso(self.settings.clock())

    # ------------------------------------------------------------------ push

    def push(self, user: User, req: P.PushRequest) -> list[P.ChangeResult]:
        return self.push_answer(user, req)[0]

    def push_answer(self, user: User, req: P.PushRequest) -> tuple[list[P.ChangeResult], bool]:
        """The results of a batch, and whether its device id is also used by another database."""
        if user.device is not None and req.device_id != user.device:
            raise device_forbidden()
        with self.engine.begin() as conn:
            last = db.take_rev_lock(conn)
            batch = self._prefetch(conn, req.changes)
            results: list[P.ChangeResult] = []
            for i, ch in enumerate(req.changes):
                if self.settings.fault_hook:
                    self.settings.fault_hook("push", i)
                stored = batch.stored.get(ch.change_id)
                if stored is not None:
                    results.append(P.ChangeResult.from_json(json.loads(stored)))
                    continue
                res, last = self._apply_with_history(conn, batch, user, req.device_id, ch, last)
                results.append(res)
                if res.status != "rejected":
                    result = _dumps(res.to_json())
                    batch.stored[ch.change_id] = result
                    batch.changes.append(
                        {
                            "change_id": ch.change_id,
                            "user_id": user.id,
                            "record_id": ch.record_id,
                            "result": result,
                            "at": self.now(),
                        }
                    )
                    batch.touched.add(ch.record_id)
                batch.audit.append(
                    self._audit_row(
                        user,
                        f"push_{res.status}",
                        ch.form,
                        ch.record_id,
                        _dumps({"change_id": ch.change_id, "rev": res.rev, "reason": res.reason}),
                    )
                )
            if batch.device_reused:
                batch.audit.append(
                    self._audit_row(user, "device_reused", None, None, _dumps({"device_id": req.device_id}))
                )
            batch.flush(conn)
            db.set_rev(conn, last)
        return results, batch.device_reused

    def _apply_with_history(
        self, conn: Connection, batch: _Batch, user: User, device: str, ch: P.Change, last: int
    ) -> tuple[P.ChangeResult, int]:
        """Apply a change and store the edit-history entries it carries (``server.history``): a
        change whose entries do not fit the record's form is refused whole, with the reason; the
        entries of a change that is not refused are stored, even in conflict (they are facts)."""
        form = self.forms.forms.get(ch.form)
        entries: list[dict[str, Any]] = []
        if form is not None and ch.history and not ch.erased:
            try:
                entries = server_history.check(conn, form, ch)
            except BadEntry as exc:
                return self._reject(
                    ch,
                    "invalid",
                    f"edit history: {exc}",
                    [
                        {
                            "path": "history",
                            "code": "history",
                            "message": "ประวัติการแก้ไขไม่ตรงกับแบบสำรวจ",
                            "message_en": str(exc),
                        }
                    ],
                ), last
        res, last = self._apply(conn, batch, user, device, ch, last)
        if form is None or ch.erased or res.status == "rejected":
            return res, last
        doc = res.doc if res.doc is not None else ch.doc
        if entries or (doc is not None and not has_consent(form, doc)):
            server_history.store(
                conn, form, ch.record_id, entries, doc, device_id=device, received_by=user.name, now=self.now()
            )
        return res, last

    def _audit_row(
        self, user: User, action: str, form_id: str | None, record_id: str | None, detail: str | None
    ) -> dict[str, Any]:
        """An audit_log row as ``server.auth.audit`` writes it (inserted with the batch)."""
        return {
            "at": self.settings.clock().astimezone(_dt.UTC).isoformat(timespec="milliseconds"),
            "user_name": user.name,
            "action": action,
            "form_id": form_id,
            "record_id": record_id,
            "detail": detail,
        }

    def _prefetch(self, conn: Connection, changes: list[P.Change]) -> _Batch:
        """Stored results, current records and erasures of a whole batch, in a few queries."""
        batch = _Batch()
        cids = list(dict.fromkeys(ch.change_id for ch in changes))
        rids = list(dict.fromkeys(ch.record_id for ch in changes))
        c, r, e = db.changes.c, db.records.c, db.erasures.c
        for start in range(0, len(cids), _CHUNK):
            part = cids[start : start + _CHUNK]
            batch.stored.update(
                (row.change_id, row.result)
                for row in conn.execute(select(c.change_id, c.result).where(c.change_id.in_(part)))
            )
        for start in range(0, len(rids), _CHUNK):
            part = rids[start : start + _CHUNK]
            batch.current.update((rid, None) for rid in part)
            for row in conn.execute(
                select(r.id, r.rev, r.deleted, r.doc, r.area, r.form_id, r.updated_at, r.updated_by).where(
                    r.id.in_(part)
                )
            ):
                batch.current[row.id] = _Current(
                    row.rev, bool(row.deleted), row.doc, row.area, row.form_id, row.updated_at, row.updated_by
                )
            for (rid,) in conn.execute(select(e.record_id).where(e.record_id.in_(part))):
                # a marker counts only with its record (older servers kept markers of unknown ids)
                (batch.erased if batch.current[rid] is not None else batch.stale).add(rid)
        self._prefetch_rows(conn, batch, changes)
        return batch

    def _prefetch_rows(self, conn: Connection, batch: _Batch, changes: list[P.Change]) -> None:
        """Which records hold the repeat row ids these changes carry."""
        wanted = {
            row_id
            for ch in changes
            if ch.form in self.forms.forms and ch.doc
            for _, row_id in db.doc_rows(ch.doc)
        }
        ri = db.row_ids.c
        ids = sorted(wanted)
        for start in range(0, len(ids), _CHUNK):
            for row in conn.execute(
                select(ri.form_id, ri.repeat_id, ri.row_id, ri.record_id).where(
                    ri.row_id.in_(ids[start : start + _CHUNK])
                )
            ):
                batch.row_owner[(row.form_id, row.repeat_id, row.row_id)] = row.record_id

    def _taken_rows(self, batch: _Batch, form: Form, record_id: str, doc: dict[str, Any]) -> list[str]:
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

    def _current(self, conn: Connection, batch: _Batch, record_id: str) -> _Current | None:
        if record_id in batch.current:
            return batch.current[record_id]
        batch.flush_for(conn, record_id)
        row = conn.execute(select(db.records).where(db.records.c.id == record_id)).first()
        cur = (
            None
            if row is None
            else _Current(
                row.rev, bool(row.deleted), row.doc, row.area, row.form_id, row.updated_at, row.updated_by
            )
        )
        batch.current[record_id] = cur
        return cur

    def _validate(self, form: Form, raw: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        doc, problems = form.validate(raw, partial_ok=True)
        return doc, [p.as_dict() for p in problems]

    def _apply(
        self, conn: Connection, batch: _Batch, user: User, device: str, ch: P.Change, last: int
    ) -> tuple[P.ChangeResult, int]:
        form = self.forms.forms.get(ch.form)
        if form is None:
            return self._reject(ch, "unknown_form", f"no form {ch.form!r} on this server"), last
        cur = self._current(conn, batch, ch.record_id)
        # the area first: a record outside the user's areas says nothing about its form or area
        if cur is not None and not P.in_scope(cur.area, user.areas, everything=user.everything):
            return self._reject(ch, "area_forbidden", "the record is outside your areas"), last
        if cur is not None and cur.form_id != ch.form:
            return self._reject(ch, "form_mismatch", "the record belongs to another form"), last
        act = ("erase" if ch.deleted else "anonymise") if ch.erased else "resolve" if ch.resolves else None
        if act is not None and not P.may(user.role, act):
            return self._reject(
                ch,
                "role_forbidden",
                f"only an area manager or an admin may {P.ACT_NAMES[act][1]} (your role is {user.role})",
            ), last
        if ch.record_id in batch.erased and not ch.erased:
            # erased at the data subject's request: an older copy never brings it back
            res = self._reject(ch, "erased", "the record was erased at the data subject's request")
            if cur is not None:
                res.rev = cur.rev
                res.doc = None if cur.deleted else cur.doc
            return res, last
        if ch.erased:
            return self._erase(conn, batch, form, user, device, ch, cur, last)
        mine: dict[str, Any] | None = None
        area = cur.area if cur else None
        if not ch.deleted:
            assert ch.doc is not None
            owned = sorted(P.SERVER_OWNED & set(ch.doc))
            if owned:
                return self._reject(
                    ch,
                    "server_owned_field",
                    "fields owned by the server: " + ", ".join(owned),
                    [
                        {
                            "path": k,
                            "code": "server_owned",
                            "message": "owned by the server",
                            "message_en": "owned by the server",
                        }
                        for k in owned
                    ],
                ), last
            mine, problems = self._validate(form, ch.doc)
            if not problems and form.id in ("referral", "business"):
                # the same cross-record rules as the laptop's Store.save
                def lookup(hid: str) -> crossrecord.HouseholdFacts | None:
                    cur_h = self._current(conn, batch, hid)
                    if cur_h is None or cur_h.deleted or cur_h.form_id != "household":
                        return None
                    return crossrecord.facts_from_doc(cur_h.doc)

                problems = [p.as_dict() for p in crossrecord.check(form.id, mine, lookup)[0]]
            if not problems and form.rounds:
                problems = [p.as_dict() for p in self._round_problems(conn, batch, form, ch.record_id, mine)]
            if problems:
                return self._reject(
                    ch, "invalid", "the record does not pass the form's rules", problems
                ), last
            taken = self._taken_rows(batch, form, ch.record_id, mine)
            if taken:
                return self._reject_taken(ch, taken), last
            area = mine.get(form.area_field) if form.area_field else None
            if not area:
                return self._reject(ch, "no_area", f"the record has no {form.area_field}"), last
            if not P.in_scope(area, user.areas, everything=user.everything):
                return self._reject(ch, "area_forbidden", f"area {area} is outside your areas"), last
        ok = P.ChangeResult(ch.change_id, ch.record_id, ch.form, "applied")
        if cur is None:
            if ch.deleted:  # never reached the server: nothing to delete
                return ok, last
            if ch.record_id in batch.stale:
                conn.execute(delete(db.erasures).where(db.erasures.c.record_id == ch.record_id))
                batch.stale.discard(ch.record_id)
            last += 1
            ok.missing_attachments = self._write(
                conn, batch, form, ch, None, mine, False, area, last, user, device, None
            )
            ok.rev = last
            return ok, last
        if ch.base_rev is not None and ch.base_rev > cur.rev:
            return self._reject(
                ch, "bad_base", f"base revision {ch.base_rev} is newer than the server's"
            ), last
        if ch.base_rev == cur.rev:
            if ch.deleted and cur.deleted:
                ok.rev = cur.rev
                return ok, last
            last += 1
            ok.missing_attachments = self._write(
                conn, batch, form, ch, cur, mine, ch.deleted, area, last, user, device, None
            )
            ok.rev = last
            return ok, last
        batch.flush_for(conn, ch.record_id)  # the base is read from revisions
        return self._stale(conn, batch, form, user, device, ch, cur, mine, area, last)

    def _round_problems(
        self, conn: Connection, batch: _Batch, form: Form, record_id: str, doc: dict[str, Any]
    ) -> list[Any]:
        """The laptop's check of a link to the previous survey round (``crossrecord.check_round``),
        against the server's records: a live record of the form, in the same area, with no other
        live record already following it (two laptops that each started the next round: the first
        to sync keeps it, the second is refused and stays in its outbox)."""
        assert form.rounds is not None

        def lookup(rid: str) -> crossrecord.HouseholdFacts | None:
            cur = self._current(conn, batch, rid)
            if cur is None or cur.form_id != form.id:
                return None
            # a deleted (or erased) previous round stays a link, with no area left to compare
            return crossrecord.HouseholdFacts(None if cur.deleted else cur.area)

        def successors(pid: str, me: str) -> list[str]:
            rl = db.round_links.c
            q = select(rl.record_id).where(rl.previous_id == pid, rl.record_id != me)
            return [r[0] for r in conn.execute(q)]

        return crossrecord.check_round(record_id, doc, form.rounds["previous"], lookup, successors)

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

    # ------------------------------------------------------------------ erasure

    def _erase(
        self,
        conn: Connection,
        batch: _Batch,
        form: Form,
        user: User,
        device: str,
        ch: P.Change,
        cur: _Current | None,
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
        mode = "erase" if ch.deleted else "anonymise"
        doc: dict[str, Any] | None = None
        area = cur.area if cur else None
        if not ch.deleted:
            assert ch.doc is not None
            doc, problems = self._validate(form, ch.doc)
            if problems:
                return self._reject(
                    ch, "invalid", "the anonymised record does not pass the form", problems
                ), last
            taken = self._taken_rows(batch, form, ch.record_id, doc)
            if taken:
                return self._reject_taken(ch, taken), last
            area = (doc.get(form.area_field) if form.area_field else None) or area
            if not area or not P.in_scope(area, user.areas, everything=user.everything):
                return self._reject(ch, "area_forbidden", f"area {area} is outside your areas"), last
        old_refs = set(P.photo_refs(form, cur.doc)) if cur is not None else set()
        rc = db.records.c
        if cur is not None or doc is not None:
            last += 1
            self._write(conn, batch, form, ch, cur, doc, ch.deleted, area, last, user, device, None)
            batch.flush(conn)
            batch.current.pop(ch.record_id, None)  # read again from the database when needed
            ok.rev = last
            if ch.deleted:
                conn.execute(update(db.records).where(rc.id == ch.record_id).values(doc=None))
            r = db.revisions.c
            conn.execute(
                update(db.revisions)
                .where(r.record_id == ch.record_id, r.rev < last)
                .values(doc=None, pushed_doc=None)
            )
        c = db.conflicts.c
        conn.execute(
            update(db.conflicts)
            .where(c.record_id == ch.record_id)
            .values(body=_dumps({"kind": "erased", "form": ch.form, "record_id": ch.record_id}))
        )
        conn.execute(
            update(db.conflicts)
            .where(c.record_id == ch.record_id, c.resolved_at.is_(None))
            .values(resolved_at=self.now(), resolved_by=user.name, resolution_rev=ok.rev)
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
            conn.execute(update(db.changes).where(db.changes.c.change_id == cid).values(result=_dumps(res)))
            if cid in batch.stored:  # a replay later in this batch answers as the database now says
                batch.stored[cid] = _dumps(res)
        ra = db.record_attachments.c
        for sha in sorted(old_refs - set(P.photo_refs(form, doc))):
            if conn.execute(select(ra.record_id).where(ra.sha256 == sha).limit(1)).first() is None:
                for table in (
                    db.attachment_chunks,
                    db.attachments,
                    db.upload_chunks,
                    db.uploads,
                    db.attachment_areas,
                ):
                    conn.execute(delete(table).where(table.c.sha256 == sha))
        server_history.forget(conn, ch.record_id)  # old values: an erasure that kept them would be none
        conn.execute(delete(db.erasures).where(db.erasures.c.record_id == ch.record_id))  # a stale marker
        conn.execute(
            insert(db.erasures).values(
                record_id=ch.record_id,
                form_id=ch.form,
                mode=mode,
                rev=ok.rev,
                at=self.now(),
                user_name=user.name,
                device_id=device,
            )
        )
        audit(conn, self.settings, user.name, mode, ch.form, ch.record_id, _dumps({"rev": ok.rev}))
        batch.erased.add(ch.record_id)
        return ok, last

    def check_device(self, conn: Connection, user: User, device: str) -> None:
        """Refuse a device id that is not the login's own (see ``server.auth.claim_device``)."""
        if user.device is not None:
            if device != user.device:
                raise device_forbidden()
            return
        d = db.devices.c
        owner = conn.execute(select(d.user_name).where(d.device_id == device)).scalar()
        if owner is None:
            conn.execute(
                insert(db.devices).values(
                    device_id=device, key_hash=None, user_name=user.name, created_at=self.now()
                )
            )
        elif owner != user.name:
            raise device_forbidden()

    def store_device_audit(self, user: User, device: str, entries: list[dict[str, Any]]) -> int:
        """Keep a laptop's audit rows (a replayed batch stores nothing twice); returns rows added.

        Only the database that owns ``device`` may send them: another user's rows can never take
        the place of that laptop's real ones. ``received_by`` is the login that sent them."""
        a = db.device_audit.c
        with self.engine.begin() as conn:
            self.check_device(conn, user, device)
            if not entries:
                return 0
            have = {
                r[0]
                for r in conn.execute(
                    select(a.local_id).where(
                        a.device_id == device, a.local_id.in_([e["id"] for e in entries])
                    )
                )
            }
            rows = [
                {
                    "device_id": device,
                    "local_id": e["id"],
                    "at": e["at"],
                    "user_name": e["user"],
                    "action": e["action"],
                    "form_id": e["form_id"],
                    "record_id": e["record_id"],
                    "detail": None if e["detail"] is None else _dumps(e["detail"]),
                    "received_at": self.now(),
                    "received_by": user.name,
                }
                for e in entries
                if e["id"] not in have
            ]
            if rows:
                conn.execute(insert(db.device_audit), rows)
        return len(rows)

    def _base(
        self, conn: Connection, batch: _Batch, ch: P.Change, device: str
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
                return _loads(own.pushed_doc or own.doc), bool(own.deleted)
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
        return _loads(row.doc), bool(row.deleted)

    def _stale(
        self,
        conn: Connection,
        batch: _Batch,
        form: Form,
        user: User,
        device: str,
        ch: P.Change,
        cur: _Current,
        mine: dict[str, Any] | None,
        area: str | None,
        last: int,
    ) -> tuple[P.ChangeResult, int]:
        base, base_deleted = self._base(conn, batch, ch, device)
        skip = merge.derived_paths(form)
        ok = P.ChangeResult(ch.change_id, ch.record_id, ch.form, "applied")
        if ch.deleted:
            if cur.deleted:
                ok.rev = cur.rev
                return ok, last
            if base is not None and _strip(cur.doc, skip) == _strip(base, skip):
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
        cur: _Current,
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
                body=_dumps(conflict.to_json()),
                created_at=self.now(),
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        conflict.conflict_id = int(cid)
        return P.ChangeResult(ch.change_id, ch.record_id, ch.form, "conflict", rev=cur.rev, conflict=conflict)

    def _write(
        self,
        conn: Connection,
        batch: _Batch,
        form: Form,
        ch: P.Change,
        cur: _Current | None,
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
        text = None if deleted else _dumps(doc)
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
                "pushed_doc": None if pushed is None else _dumps(pushed),
                "change_id": ch.change_id,
                "user_name": user.name,
                "device_id": device,
                "at": now,
            }
        )
        batch.touched.add(ch.record_id)
        batch.current[ch.record_id] = _Current(
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
            batch.audit.append(self._audit_row(user, "resolve", form.id, ch.record_id, _dumps({"rev": rev})))
        return missing

    def _hold_rows(
        self,
        conn: Connection,
        batch: _Batch,
        form: Form,
        record_id: str,
        cur: _Current | None,
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

    # ------------------------------------------------------------------ pull and verify

    def pull(self, user: User, cursor: int, limit: int, *, count: bool = False) -> dict[str, Any]:
        """One page of records changed after ``cursor`` (see ``pull_body``), as a dict."""
        return json.loads(self.pull_body(user, cursor, limit, count=count))

    def pull_body(self, user: User, cursor: int, limit: int, *, count: bool = False) -> str:
        """One page of records changed after ``cursor``, as the JSON text of the answer.

        Stored documents are JSON text already: they go into the answer as they are, without
        being decoded and encoded again. With ``count`` the answer also says how many records of
        the user's areas are due after ``cursor`` in all (``remaining``, this page included), so
        the laptop can show "1,674 of 5,299" from the first page on.
        """
        rc = db.records.c
        remaining: int | None = None
        with self.engine.connect().execution_options(readonly=True) as conn, conn.begin():
            top = db.current_rev(conn)
            if count:
                remaining = int(
                    conn.execute(
                        select(func.count()).where(rc.rev > cursor, rc.rev <= top, _scope(rc.area, user))
                    ).scalar_one()
                )
            rows = conn.execute(
                select(
                    rc.id,
                    rc.form_id,
                    rc.form_version,
                    rc.rev,
                    rc.deleted,
                    rc.doc,
                    rc.updated_at,
                    rc.updated_by,
                    rc.complete,
                )
                .where(rc.rev > cursor, rc.rev <= top, _scope(rc.area, user))
                .order_by(rc.rev)
                .limit(limit)
            ).all()
        has_more = len(rows) == limit
        erased: set[str] = set()
        if rows:
            with self.engine.connect().execution_options(readonly=True) as conn, conn.begin():
                ids = [r.id for r in rows]
                for chunk in range(0, len(ids), _CHUNK):
                    erased.update(
                        e[0]
                        for e in conn.execute(
                            select(db.erasures.c.record_id).where(
                                db.erasures.c.record_id.in_(ids[chunk : chunk + _CHUNK])
                            )
                        )
                    )
        histories: dict[str, list[dict[str, Any]]] = {}
        live = [r.id for r in rows if not r.deleted and r.doc is not None]
        if live:
            with self.engine.connect().execution_options(readonly=True) as conn, conn.begin():
                histories = server_history.for_records(conn, live)
        items: list[str] = []
        for r in rows:
            head = _dumps(
                {
                    "form": r.form_id,
                    "form_version": r.form_version,
                    "record_id": r.id,
                    "rev": r.rev,
                    "deleted": bool(r.deleted),
                    "updated_at": r.updated_at,
                    "updated_by": r.updated_by,
                    "complete": bool(r.complete),
                    "erased": r.id in erased,
                    "history": histories.get(r.id, []),
                }
            )
            doc = "null" if r.deleted or r.doc is None else r.doc
            items.append(f'{head[:-1]},"doc":{doc}}}')
        next_cursor = rows[-1].rev if has_more else max(top, cursor)
        if items:
            with self.engine.begin() as conn:
                audit(
                    conn,
                    self.settings,
                    user.name,
                    "pull",
                    None,
                    None,
                    _dumps({"cursor": cursor, "count": len(items), "records": [r.id for r in rows]}),
                )
        end: dict[str, Any] = {"next_cursor": next_cursor, "has_more": has_more}
        if remaining is not None:
            end["remaining"] = remaining
        tail = _dumps(end)
        return '{"items":[' + ",".join(items) + "]," + tail[1:]

    def verify(self, user: User, exclude: set[str]) -> dict[str, Any]:
        rc = db.records.c
        out: dict[str, Any] = {}
        with self.engine.connect().execution_options(readonly=True) as conn, conn.begin():
            for form in self.forms:
                ids = [
                    r[0]
                    for r in conn.execute(
                        select(rc.id).where(
                            rc.form_id == form.id, rc.deleted.is_(False), _scope(rc.area, user)
                        )
                    )
                    if r[0] not in exclude
                ]
                out[form.id] = {"count": len(ids), "checksum": P.ids_checksum(ids)}
        return {"forms": out}

    def open_conflicts(self, user: User) -> list[dict[str, Any]]:
        c = db.conflicts.c
        with self.engine.connect().execution_options(readonly=True) as conn, conn.begin():
            rows = conn.execute(
                select(c.id, c.body, c.created_at, c.user_name)
                .where(c.resolved_at.is_(None), _scope(c.area, user))
                .order_by(c.id)
            ).all()
        return [
            {**json.loads(r.body), "conflict_id": r.id, "created_at": r.created_at, "pushed_by": r.user_name}
            for r in rows
        ]

    # ------------------------------------------------------------------ attachments

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
        granted = select(aa.area).where(aa.sha256 == sha, _scope(aa.area, user)).limit(1)
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
                r[0]
                for r in conn.execute(select(aa.sha256).where(aa.sha256.in_(todo), _scope(aa.area, user)))
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
        up, ch = db.uploads.c, db.upload_chunks.c
        mine = (up.sha256 == sha) & (up.user_name == user.name)
        with self.engine.begin() as conn:
            db.take_rev_lock(conn)  # serialise with pushes (records' completeness)
            row = conn.execute(select(up.size, up.received, up.complete).where(mine)).first()
            if row is not None and row.complete:
                return {"sha256": sha, "size": row.size, "received": row.size, "complete": True}
            if row is None or (row.received == 0 and row.size != size):
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
                else:
                    conn.execute(update(db.uploads).where(mine).values(size=size))
                received = 0
            else:
                received = row.received
                if row.size != size:
                    raise ApiError(
                        409,
                        "size_mismatch",
                        "ขนาดไฟล์ไม่ตรงกับที่เริ่มส่งไว้",
                        f"this upload was started with size {row.size}",
                        {"size": row.size, "received": received},
                    )
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
            if complete and whole:
                data = chunk
            elif complete:
                parts = [
                    r[0]
                    for r in conn.execute(
                        select(ch.data).where(ch.sha256 == sha, ch.user_name == user.name).order_by(ch.offset)
                    )
                ]
                data = b"".join(parts)
                conn.execute(delete(db.upload_chunks).where(ch.sha256 == sha, ch.user_name == user.name))
            if complete:
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
            .where(ra.sha256 == sha, _scope(r.area, user))
            .distinct()
        ).all():
            self._grant(conn, user, [sha], area)
        audit(conn, self.settings, user.name, "attachment", None, None, _dumps({"sha256": sha, "size": size}))

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
