"""Writing records: validate, then write the record, its repeat rows, its search text, its edit
history and its audit line in one transaction; tombstones."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from fieldapp import (
    collate,
    crossrecord,
    history,
    softwarn,
    thai,
)
from fieldapp.clock import now_iso
from fieldapp.errors import NotFoundError, Problem, ValidationError
from fieldapp.forms import Field, Form, metadata, uuid_or_none
from fieldapp.ids import new_id
from fieldapp.store.reading import Reading
from fieldapp.store.rows import (
    Batch,
    Record,
    SaveResult,
    base_text,
    child_columns,
    chunks,
    expr_text,
    value_plan,
)
from fieldapp.store.search import search_body
from fieldapp.store.searchareas import area_of

BATCH_SIZE = 500

ProgressCallback = Callable[[int, int], None]


@dataclass
class _Prepared:
    """Rows for one batch of validated documents, built before the write lock is taken."""

    ts: str
    user: str
    audit_action: str | None
    ids: list[str]
    docs: list[dict[str, Any]]
    rows: list[list[Any]]
    child_rows: dict[str, list[list[Any]]]
    bodies: list[str]
    synced: bool  # rows end with server_rev and base, and are written clean
    warn: bool  # look for national IDs already on other records


@dataclass(frozen=True)
class WriteWay:
    """How one named operation validates and writes its records (``fieldapp.store.operations``)."""

    user: str
    partial_ok: bool = False  # missing required answers are no problem (an unfinished record)
    check_refs: bool = True  # records referred to must be here
    computed: bool = False  # validated and calculated with this same form version (the server)
    scored: bool = False  # ... and scored with the same rubric (see ``Form.validate``)
    audit_action: str | None = None  # the audit and history action; create/update when None
    # record id -> server revision and content: written clean, as synced (pulled records)
    synced: dict[str, tuple[int | None, dict[str, Any] | None]] | None = None
    warn: bool = True  # look for national IDs already on other records (the editor shows them)


class Writing(Reading):
    """The one write path under every named operation: validate, then write in one transaction
    per batch (``save``, ``delete`` and the engine ``_save_many``)."""

    def save(
        self,
        form_id: str,
        data: dict[str, Any],
        *,
        record_id: str | None = None,
        user: str | None = None,
        partial_ok: bool = False,
    ) -> SaveResult:
        """Validate and write one record (create or update). Raises ValidationError."""
        way = WriteWay(user or self.user, partial_ok=partial_ok)
        form = self.form(form_id)  # the metadata a questionnaire asks for (start, end, …)
        data = metadata.on_save(form, data, device_id=self.device_id, user=user or self.user)
        return self._save_one(form_id, record_id, data, way)

    def _save_one(
        self, form_id: str, record_id: str | None, data: dict[str, Any], way: WriteWay
    ) -> SaveResult:
        """One record through the engine, all or nothing; raises ValidationError."""
        batch = self._save_many(form_id, [(record_id, data)], way)
        if batch.errors:
            raise ValidationError.from_problems(batch.errors[0])
        saved = batch.saved[0]
        saved.soft_warnings = self.soft_warnings(form_id, saved.record.data)
        return saved

    def _save_many(
        self,
        form_id: str,
        items: Iterable[tuple[str | None, dict[str, Any]]],
        way: WriteWay,
        *,
        all_or_nothing: bool = True,
        batch_size: int = BATCH_SIZE,
        progress: ProgressCallback | None = None,
        total: int | None = None,
    ) -> Batch:
        """Validate and write many records; each batch of ``batch_size`` in one transaction.

        With ``all_or_nothing`` any invalid record stops the whole call before anything is
        written. Otherwise valid records are written and invalid ones reported in
        ``Batch.errors`` by input index, each batch validated just before it is written.
        """
        form = self.form(form_id)
        result = Batch()
        checked = self._validated(form, items, way, result)
        batches: Iterable[list[tuple[int, str | None, dict[str, Any]]]]
        if all_or_nothing:
            cleaned = builtins.list(checked)  # everything validated first
            if result.errors:
                return result
            total = len(cleaned)
            batches = chunks(cleaned, batch_size)
        else:
            batches = _batched(checked, batch_size)
        done = 0
        for batch in batches:
            prep = self._prepare(form, batch, way)
            with self.transaction():
                result.saved.extend(self._write(form, prep))
            done += len(batch)
            if progress:
                progress(done, total or done)
        return result

    def _save_together(
        self,
        groups: Sequence[tuple[str, Iterable[tuple[str | None, dict[str, Any]]]]],
        way: WriteWay,
        *,
        progress: ProgressCallback | None = None,
        total: int | None = None,
    ) -> list[Batch]:
        """Records of several forms (or several groups of one) written in one transaction, group
        after group; invalid records are left out and reported in their group's ``Batch``.

        Every record is validated and its rows prepared before the write lock is taken; its links
        to other records (``_link_problems``) are checked inside the transaction just before its
        group is written, so a record may link to one of an earlier group. Processes writing the
        same file then hold the lock once for all the groups, for the writing only.
        """
        staged: list[tuple[Form, Batch, list[tuple[int, str | None, dict[str, Any]]], _Prepared]] = []
        done = 0
        for form_id, items in groups:
            form = self.form(form_id)
            result = Batch()
            valid = builtins.list(self._validated(form, items, replace(way, check_refs=False), result))
            staged.append((form, result, valid, self._prepare(form, valid, way)))
            done += len(valid)
            if progress:
                progress(done, total or done)
        with self.transaction():
            for form, result, valid, prep in staged:
                if way.check_refs:
                    linked = []
                    for i, rid, doc in valid:
                        problems = self._link_problems(form, doc, rid, [])
                        if problems:
                            result.errors[i] = problems
                        else:
                            linked.append((i, rid, doc))
                    if len(linked) < len(valid):
                        prep = self._prepare(form, linked, way)
                result.saved.extend(self._write(form, prep))
        return [result for _, result, _, _ in staged]

    def _validated(
        self, form: Form, items: Iterable[tuple[str | None, dict[str, Any]]], way: WriteWay, result: Batch
    ) -> Iterator[tuple[int, str | None, dict[str, Any]]]:
        """The valid documents of ``items`` with their input index; problems go to ``result``."""
        # most databases have no erasures at all: then no record needs looking up there
        erasures = self.conn.execute("SELECT 1 FROM erasures LIMIT 1").fetchone() is not None
        for i, (rid, raw) in enumerate(items):
            doc, problems = form.validate(
                raw, partial_ok=way.partial_ok, computed=way.computed, scored=way.scored
            )
            problems += self._record_problems(form, doc, rid, way.check_refs, erasures)
            if problems:
                result.errors[i] = problems
            else:
                yield i, rid, doc

    def _record_problems(
        self,
        form: Form,
        doc: dict[str, Any],
        record_id: str | None,
        check_refs: bool,
        erasures: bool = True,
    ) -> list[Problem]:
        problems: list[Problem] = []
        if record_id is not None:
            canonical = uuid_or_none(str(record_id))
            if canonical is None:
                problems.append(Problem("id", "รหัสระเบียนไม่ถูกต้อง", "record id must be a UUID", "type"))
            elif erasures:
                if self.conn.execute(
                    "SELECT 1 FROM erasures WHERE record_id = ?", [canonical]
                ).fetchone():  # erased at the household's request (fieldapp.rights): never back
                    problems.append(
                        Problem(
                            "id",
                            "ข้อมูลของระเบียนนี้ถูกลบตามคำขอของเจ้าของข้อมูลแล้ว แก้ไขหรือนำกลับมาไม่ได้",
                            "the record was erased at the data subject's request and cannot come back",
                            "erased",
                        )
                    )
        for rep in form.repeats():
            for c in rep.fields:
                if c.type != "national_id":
                    continue
                seen: dict[str, int] = {}
                for i, row in enumerate(doc.get(rep.id) or []):
                    nid = row.get(c.id)
                    if not nid:
                        continue
                    if nid in seen:
                        problems.append(
                            Problem(
                                f"{rep.id}[{i + 1}].{c.id}",
                                f"เลขประจำตัวประชาชน {thai.mask_national_id(nid)} ซ้ำกับสมาชิกลำดับที่ "
                                f"{seen[nid] + 1} ในครัวเรือนเดียวกัน",
                                f"national ID repeated within the record (row {seen[nid] + 1})",
                                "duplicate",
                            )
                        )
                    else:
                        seen[nid] = i
        if check_refs:
            problems = self._link_problems(form, doc, record_id, problems)
        return problems

    def _link_problems(
        self, form: Form, doc: dict[str, Any], record_id: str | None, problems: list[Problem]
    ) -> list[Problem]:
        """``problems`` with those of the record's links to other records added: the records it
        refers to, the household facts a business or referral must agree with, its previous
        survey round. Reads the database (a record linked to may be written in the same
        transaction just before)."""
        problems = [*problems, *self._reference_problems(form, doc)]
        if form.id in ("referral", "business"):
            known = {p.path for p in problems}
            problems += [
                p
                for p in crossrecord.check(form.id, doc, self._household_facts)[0]
                if p.path not in known
            ]
        if form.rounds:
            prev = form.rounds["previous"]
            if (
                doc.get(prev)
                and self.conn.execute(
                    f"SELECT 1 FROM [{form.table}] WHERE id = ?", [str(doc[prev])]
                ).fetchone()
            ):  # a deleted (or erased) previous round stays a link: the chain ends there
                problems = [p for p in problems if not (p.path == prev and p.code == "reference")]
            known = {p.path for p in problems}
            rid = uuid_or_none(str(record_id)) if record_id is not None else None
            problems += [p for p in self._round_problems(form, rid, doc) if p.path not in known]
        return problems

    def _round_problems(self, form: Form, record_id: str | None, doc: dict[str, Any]) -> list[Problem]:
        """The link of a record to its previous round (``fieldapp.crossrecord.check_round``)."""
        assert form.rounds is not None
        area = form.area_field

        def lookup(rid: str) -> crossrecord.HouseholdFacts | None:
            sql = f"SELECT {f'[{area}]' if area else 'NULL'}, deleted FROM [{form.table}] WHERE id = ?"
            row = self.conn.execute(sql, [rid]).fetchone()
            if row is None:
                return None
            return crossrecord.HouseholdFacts(None if row[1] else row[0])  # deleted: no area to compare

        return crossrecord.check_round(
            record_id, doc, form.rounds["previous"], lookup, lambda pid, _me: self.next_rounds(form.id, pid)
        )

    def _household_facts(self, household_id: str) -> crossrecord.HouseholdFacts | None:
        """What the cross-record rules need of a stored household (None when there is none)."""
        if "household" not in self.forms.forms:
            return None
        row = self.conn.execute(
            "SELECT subdistrict_code FROM household WHERE id = ? AND deleted = 0", [household_id]
        ).fetchone()
        if row is None:
            return None
        members: dict[str, int | None] = {}
        names: dict[str, str] = {}
        for mid, age, first, last in self.conn.execute(
            "SELECT id, age, first_name, last_name FROM household__members WHERE parent_id = ?",
            [household_id],
        ):
            members[mid] = int(age) if age is not None else None
            names[mid] = f"{first or ''} {last or ''}".strip()
        return crossrecord.HouseholdFacts(row[0], members, names)

    def soft_warnings(self, form_id: str, doc: dict[str, Any]) -> builtins.list[softwarn.SoftWarning]:
        """The soft warnings of a record, each with the reason given for it (or None): the
        form's plausible ranges and the cross-record ones; never a reason to refuse the record."""
        form = self.form(form_id)
        out = softwarn.evaluate(form, doc)
        if form.id in ("referral", "business"):
            out += softwarn.from_problems(crossrecord.check(form.id, doc, self._household_facts)[1], doc)
        return out

    def _reference_problems(self, form: Form, doc: dict[str, Any]) -> list[Problem]:
        problems: list[Problem] = []

        def check(f: Field, value: Any, path: str) -> None:
            if not value:
                return
            target, _, rep = (f.ref or "").partition(".")
            tform = self.forms[target]
            if rep:
                sql = (
                    f"SELECT 1 FROM [{tform.child_table(rep)}] c JOIN [{tform.table}] p ON p.id = c.parent_id "
                    "WHERE c.id = ? AND p.deleted = 0"
                )
            else:
                sql = f"SELECT 1 FROM [{tform.table}] WHERE id = ? AND deleted = 0"
            if self.conn.execute(sql, [value]).fetchone() is None:
                problems.append(
                    Problem(
                        path,
                        f"{f.label_for('th')}: ไม่พบระเบียนที่อ้างถึง",
                        f"{f.id}: referenced record not found",
                        "reference",
                    )
                )

        for f in form.fields.values():
            if f.type == "reference":
                check(f, doc.get(f.id), f.id)
            elif f.type == "repeat":
                for c in f.fields:
                    if c.type == "reference":
                        for i, row in enumerate(doc.get(f.id) or []):
                            check(c, row.get(c.id), f"{f.id}[{i + 1}].{c.id}")
        return problems

    def _prepare(
        self,
        form: Form,
        items: list[tuple[int, str | None, dict[str, Any]]],
        way: WriteWay,
    ) -> _Prepared:
        """Everything a write needs that does not read the database: done before the write
        lock is taken, so another process writing the same file waits less."""
        ts, user, synced = now_iso(), way.user, way.synced
        values = value_plan(tuple(form.fields.values()))
        rep_values = [(rep.id, value_plan(tuple(rep.fields))) for rep in form.repeats()]
        title_field = form.title_field
        rows: list[list[Any]] = []
        child_rows: dict[str, list[list[Any]]] = {rep.id: [] for rep in form.repeats()}
        record_ids: list[str] = []
        docs: list[dict[str, Any]] = []
        for _, rid, doc in items:
            record_id = str(uuid.UUID(rid)) if rid else new_id()
            title = doc.get(title_field) if title_field else None
            # created_at/created_by (3, 4) are those of a record already stored, set in _write
            row = [
                record_id,
                form.id,
                form.version,
                ts,
                user,
                ts,
                user,
                self.device_id,
                1,
                collate.sort_key(expr_text(title)),
                *values(doc),
            ]
            rows.append(row)
            if synced is not None:  # pulled: clean, at the server's revision, with its content
                rev, base = synced[rid or record_id]
                row[8] = 0
                row += [rev, base_text(base)]
            for rep_id, rep_fn in rep_values:
                rows_out = child_rows[rep_id]
                for pos, r in enumerate(doc.get(rep_id) or []):
                    rows_out.append([r["id"], record_id, pos, *rep_fn(r)])
            record_ids.append(record_id)
            docs.append(doc)
        bodies = [search_body(form, doc) for doc in docs] if form.search else []
        return _Prepared(
            ts,
            user,
            way.audit_action,
            record_ids,
            docs,
            rows,
            child_rows,
            bodies,
            synced is not None,
            way.warn,
        )

    def _write(self, form: Form, prep: _Prepared) -> list[SaveResult]:
        """Write prepared documents; the caller holds the transaction. In order: what is there
        already, the edit history of the records updated (old → new, before they are
        overwritten), the records, their repeat rows, their search entries, the audit rows, and
        the duplicate national IDs to warn of."""
        existing = self._existing(form.table, prep.ids)
        history.record(
            self.conn,
            form,
            [(rid, doc) for rid, doc in zip(prep.ids, prep.docs, strict=True) if rid in existing],
            at=prep.ts,
            user=prep.user,
            device_id=self.device_id,
            audit_action=prep.audit_action,
        )
        results, audit = self._results(form, prep, existing)
        self.conn.executemany(_upsert_sql(form, synced=prep.synced), prep.rows)
        self._write_children(form, prep, [r.record.id for r in results if not r.created])
        area = form.area_field
        self._index(form, prep.ids, prep.bodies, [area_of(d.get(area)) if area else "" for d in prep.docs])
        self.conn.executemany(
            "INSERT INTO audit_log(at, user, device_id, action, form_id, record_id, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            audit,
        )
        if prep.warn:
            dups = self._duplicates(form, list(zip(prep.ids, prep.docs, strict=True)))
            for r in results:
                r.warnings = dups.get(r.record.id, [])
        return results

    def _existing(self, table: str, ids: builtins.list[str]) -> dict[str, tuple[str, str, int]]:
        """The records among ``ids`` already in ``table``: id → (created at, created by, deleted)."""
        existing: dict[str, tuple[str, str, int]] = {}
        for chunk in chunks(ids, 500):
            q = f"SELECT id, created_at, created_by, deleted FROM [{table}] WHERE id IN ({','.join('?' * len(chunk))})"
            for row in self.conn.execute(q, chunk):
                existing[row[0]] = (row[1], row[2], row[3])
        return existing

    def _results(
        self, form: Form, prep: _Prepared, existing: dict[str, tuple[str, str, int]]
    ) -> tuple[builtins.list[SaveResult], builtins.list[builtins.list[Any]]]:
        """Each record's result (an update keeps its creation, set in its row too) and its audit
        row (``create`` or ``update``, unless the operation names its own action)."""
        ts, user = prep.ts, prep.user
        results: builtins.list[SaveResult] = []
        audit: builtins.list[builtins.list[Any]] = []
        for record_id, doc, row in zip(prep.ids, prep.docs, prep.rows, strict=True):
            prior = existing.get(record_id)
            created_at, created_by = (prior[0], prior[1]) if prior else (ts, user)
            row[3], row[4] = created_at, created_by
            record = Record(
                record_id, form.id, form.version, doc, created_at, created_by, ts, user, self.device_id
            )
            results.append(SaveResult(record, prior is None))
            action = prep.audit_action or ("create" if prior is None else "update")
            audit.append([ts, user, self.device_id, action, form.id, record_id, None])
        return results, audit

    def _write_children(self, form: Form, prep: _Prepared, updated_ids: builtins.list[str]) -> None:
        """The repeat rows: those of the updated records replaced, the new ones inserted."""
        for rep in form.repeats():
            ct = form.child_table(rep)
            for chunk in chunks(updated_ids, 500):
                self.conn.execute(
                    f"DELETE FROM [{ct}] WHERE parent_id IN ({','.join('?' * len(chunk))})", chunk
                )
            names = ["id", "parent_id", "position", *[n for n, _ in child_columns(rep)]]
            if prep.child_rows[rep.id]:
                self.conn.executemany(
                    f"INSERT INTO [{ct}] ({', '.join(f'[{n}]' for n in names)}) "
                    f"VALUES ({', '.join('?' for _ in names)})",
                    prep.child_rows[rep.id],
                )

    def delete(self, form_id: str, record_id: str, *, user: str | None = None) -> None:
        """Tombstone a record: it disappears from lists and search but its row stays."""
        form = self.form(form_id)
        who = user or self.user
        ts = now_iso()
        with self.transaction():
            cur = self.conn.execute(
                f"UPDATE [{form.table}] SET deleted = 1, deleted_at = ?, deleted_by = ?, dirty = 1, "
                "updated_at = ?, updated_by = ? WHERE id = ? AND deleted = 0",
                [ts, who, ts, who, record_id],
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"ไม่พบระเบียน {record_id}", f"no {form_id} record {record_id}")
            self.unindex(record_id)
            self.audit("delete", form_id, record_id, user=who)


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in lists of ``size`` (the last one shorter), read as they come."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _upsert_sql(form: Form, *, synced: bool) -> str:
    """The statement that inserts a record or updates it in place (undeleting it, and clearing
    its conflict when the write comes from sync); its columns are those ``_Prepared.rows`` hold."""
    all_cols = [
        "id",
        "form_id",
        "form_version",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "device_id",
        "dirty",
        "title_sort",
        *[n for n, _ in form.columns()],
        *(["server_rev", "base"] if synced else []),
    ]
    placeholders = ", ".join("?" for _ in all_cols)
    update_cols = [c for c in all_cols if c not in ("id", "created_at", "created_by")]
    return (
        f"INSERT INTO [{form.table}] ({', '.join(f'[{c}]' for c in all_cols)}) VALUES ({placeholders}) "
        f"ON CONFLICT(id) DO UPDATE SET {', '.join(f'[{c}] = excluded.[{c}]' for c in update_cols)}, "
        "deleted = 0, deleted_at = NULL, deleted_by = NULL" + (", conflict = NULL" if synced else "")
    )
