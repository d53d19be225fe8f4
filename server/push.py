"""Push on the server: a batch of changes in one transaction, each checked (form, area, role,
erasure, the form's rules, cross-record rules, survey rounds, repeat row ids) and then written,
merged or kept as a conflict. Change ids are stored with their results, so a replayed batch
returns the same results and changes nothing; rejections are not stored (nothing changed) and a
replay re-evaluates them."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, delete, select

from fieldapp import crossrecord
from fieldapp.fieldchanges import BadEntry, has_consent
from fieldapp.forms import Form
from fieldapp.sync import protocol as P

from . import db
from . import history as server_history
from .auth import User, device_forbidden
from .merging import Merging
from .servicebase import CHUNK, Batch, Current, dumps


class PushService(Merging):
    """Taking a batch of changes from a laptop."""

    def push(self, user: User, req: P.PushRequest) -> list[P.ChangeResult]:
        return self.push_answer(user, req)[0]

    def push_answer(self, user: User, req: P.PushRequest) -> tuple[list[P.ChangeResult], bool]:
        """The results of a batch, and whether its device id is also used by another database."""
        if user.device is not None and req.device_id != user.device:
            raise device_forbidden()
        with self.forms_held(), self.engine.begin() as conn:
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
                    result = dumps(res.to_json())
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
                        dumps({"change_id": ch.change_id, "rev": res.rev, "reason": res.reason}),
                    )
                )
            if batch.device_reused:
                batch.audit.append(
                    self._audit_row(user, "device_reused", None, None, dumps({"device_id": req.device_id}))
                )
            batch.flush(conn)
            db.set_rev(conn, last)
        return results, batch.device_reused

    def _apply_with_history(
        self, conn: Connection, batch: Batch, user: User, device: str, ch: P.Change, last: int
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
                conn,
                form,
                ch.record_id,
                entries,
                doc,
                device_id=device,
                received_by=user.name,
                now=self.now(),
            )
        return res, last

    def _prefetch(self, conn: Connection, changes: list[P.Change]) -> Batch:
        """Stored results, current records and erasures of a whole batch, in a few queries."""
        batch = Batch()
        cids = list(dict.fromkeys(ch.change_id for ch in changes))
        rids = list(dict.fromkeys(ch.record_id for ch in changes))
        c, r, e = db.changes.c, db.records.c, db.erasures.c
        for start in range(0, len(cids), CHUNK):
            part = cids[start : start + CHUNK]
            batch.stored.update(
                (row.change_id, row.result)
                for row in conn.execute(select(c.change_id, c.result).where(c.change_id.in_(part)))
            )
        for start in range(0, len(rids), CHUNK):
            part = rids[start : start + CHUNK]
            batch.current.update((rid, None) for rid in part)
            for row in conn.execute(
                select(r.id, r.rev, r.deleted, r.doc, r.area, r.form_id, r.updated_at, r.updated_by).where(
                    r.id.in_(part)
                )
            ):
                batch.current[row.id] = Current(
                    row.rev, bool(row.deleted), row.doc, row.area, row.form_id, row.updated_at, row.updated_by
                )
            for (rid,) in conn.execute(select(e.record_id).where(e.record_id.in_(part))):
                # a marker counts only with its record (older servers kept markers of unknown ids)
                (batch.erased if batch.current[rid] is not None else batch.stale).add(rid)
        self._prefetch_rows(conn, batch, changes)
        return batch

    def _prefetch_rows(self, conn: Connection, batch: Batch, changes: list[P.Change]) -> None:
        """Which records hold the repeat row ids these changes carry."""
        wanted = {
            row_id
            for ch in changes
            if ch.form in self.forms.forms and ch.doc
            for _, row_id in db.doc_rows(ch.doc)
        }
        ri = db.row_ids.c
        ids = sorted(wanted)
        for start in range(0, len(ids), CHUNK):
            for row in conn.execute(
                select(ri.form_id, ri.repeat_id, ri.row_id, ri.record_id).where(
                    ri.row_id.in_(ids[start : start + CHUNK])
                )
            ):
                batch.row_owner[(row.form_id, row.repeat_id, row.row_id)] = row.record_id

    def _apply(
        self, conn: Connection, batch: Batch, user: User, device: str, ch: P.Change, last: int
    ) -> tuple[P.ChangeResult, int]:
        """One change of a batch: refused, erased, written, merged or kept as a conflict. Returns
        its result and the server's last revision (raised by each revision written)."""
        form = self.forms.forms.get(ch.form)
        if form is None:
            return self._reject(ch, "unknown_form", f"no form {ch.form!r} on this server"), last
        cur = self._current(conn, batch, ch.record_id)
        refused = self._refused(batch, user, ch, cur)
        if refused is not None:
            return refused, last
        if ch.erased:
            return self._erase(conn, batch, form, user, device, ch, cur, last)
        mine: dict[str, Any] | None = None
        area = cur.area if cur else None
        if not ch.deleted:
            checked = self._checked(conn, batch, form, user, ch)
            if isinstance(checked, P.ChangeResult):
                return checked, last
            mine, area = checked
        return self._store(conn, batch, form, user, device, ch, cur, mine, area, last)

    def _refused(self, batch: Batch, user: User, ch: P.Change, cur: Current | None) -> P.ChangeResult | None:
        """The refusals that need only the record as the server has it: outside the user's areas,
        another form's, an act the user's role may not do, a copy of an erased record."""
        # the area first: a record outside the user's areas says nothing about its form or area
        if cur is not None and not P.in_scope(cur.area, user.areas, everything=user.everything):
            return self._reject(ch, "area_forbidden", "the record is outside your areas")
        if cur is not None and cur.form_id != ch.form:
            return self._reject(ch, "form_mismatch", "the record belongs to another form")
        act = ("erase" if ch.deleted else "anonymise") if ch.erased else "resolve" if ch.resolves else None
        if act is not None and not P.may(user.role, act):
            return self._reject(
                ch,
                "role_forbidden",
                f"only an area manager or an admin may {P.ACT_NAMES[act][1]} (your role is {user.role})",
            )
        if ch.record_id in batch.erased and not ch.erased:
            # erased at the data subject's request: an older copy never brings it back
            res = self._reject(ch, "erased", "the record was erased at the data subject's request")
            if cur is not None:
                res.rev = cur.rev
                res.doc = None if cur.deleted else cur.doc
            return res
        return None

    def _checked(
        self, conn: Connection, batch: Batch, form: Form, user: User, ch: P.Change
    ) -> tuple[dict[str, Any], str] | P.ChangeResult:
        """The pushed document checked as the laptop checks it (no field the server owns, the
        form's rules, the cross-record rules, the survey round, repeat row ids of its own) and
        in the user's areas: the document as validated and its area, or the refusal."""
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
            )
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
            return self._reject(ch, "invalid", "the record does not pass the form's rules", problems)
        taken = self._taken_rows(batch, form, ch.record_id, mine)
        if taken:
            return self._reject_taken(ch, taken)
        area = mine.get(form.area_field) if form.area_field else None
        if not area:
            return self._reject(ch, "no_area", f"the record has no {form.area_field}")
        if not P.in_scope(area, user.areas, everything=user.everything):
            return self._reject(ch, "area_forbidden", f"area {area} is outside your areas")
        return mine, area

    def _store(
        self,
        conn: Connection,
        batch: Batch,
        form: Form,
        user: User,
        device: str,
        ch: P.Change,
        cur: Current | None,
        mine: dict[str, Any] | None,
        area: str | None,
        last: int,
    ) -> tuple[P.ChangeResult, int]:
        """A checked change written: a new record; an edit or delete of the revision the server
        has; a change from an older revision merged (``Merging._stale``); a base from the future
        refused."""
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
        self, conn: Connection, batch: Batch, form: Form, record_id: str, doc: dict[str, Any]
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
