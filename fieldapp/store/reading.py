"""Reading records: one record, list pages, ids, positions and counts, survey rounds, statistics
and the integrity check."""

from __future__ import annotations

import builtins
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

from fieldapp import (
    aggregates,
    coveragecounts,
    geo,
    rounds,
    scoring,
    thai,
    thaidate,
)
from fieldapp.errors import NotFoundError, Problem, ValidationError
from fieldapp.forms import Form
from fieldapp.ids import new_id
from fieldapp.store.rows import Record, doc_from_columns, record_from_row, sql_value
from fieldapp.store.search import SEARCH_RANGE, Searching

WALK_LIMIT = 5_000  # list pages up to this far may be found by walking the list in order


class Reading(Searching):
    """Records read back: ``get``, ``list``, ``ids``, ``position``, ``count``, rounds, stats."""

    def get(self, form_id: str, record_id: str, *, include_deleted: bool = False) -> Record:
        form = self.form(form_id)
        cur = self.conn.execute(f"SELECT * FROM [{form.table}] WHERE id = ?", [record_id])
        names = [d[0] for d in cur.description]
        row = cur.fetchone()
        if row is None or (row[names.index("deleted")] and not include_deleted):
            raise NotFoundError(f"ไม่พบระเบียน {record_id}", f"no {form_id} record {record_id}")
        values = dict(zip(names, row, strict=True))
        data = doc_from_columns(form.fields.values(), values)
        for rep in form.repeats():
            ccur = self.conn.execute(
                f"SELECT * FROM [{form.child_table(rep)}] WHERE parent_id = ? ORDER BY position", [record_id]
            )
            cnames = [d[0] for d in ccur.description]
            data[rep.id] = [
                {"id": r[0], **doc_from_columns(rep.fields, dict(zip(cnames, r, strict=True)))} for r in ccur
            ]
        return record_from_row(form, values, data)

    def _search_clause(
        self, form: Form, search: str, codes: builtins.list[str], walk: bool
    ) -> tuple[bool, str, builtins.list[Any]]:
        """(walking?, the search's condition on the form table, its parameters): the matches
        gathered from the indexes, or with ``walk`` and many matches a test of each record."""
        # an area the word index knows is part of the search itself (searchareas)
        inside = codes if self.area_lookup(codes) else None
        sub, params = self._search_sql(search, form.id, inside)
        if sub is None:
            return False, "0", []
        dense, docs = self._search_plan(form, search, codes or None) if walk else (False, None)
        if dense:
            test, tparams = self._search_exists(form, search)
            return True, test, tparams
        if docs is not None:  # every match, gathered while counting them
            marks = ",".join("?" * len(docs))
            return False, f"id IN (SELECT record_id FROM search_doc WHERE rowid IN ({marks}))", docs
        return False, f"id IN ({sub})", params

    def _where(
        self,
        form: Form,
        *,
        search: str | None,
        area: str | Iterable[str] | None,
        filters: dict[str, Any] | None,
        include_deleted: bool,
        walk: bool = False,
    ) -> tuple[str, list[Any]]:
        """The WHERE clause of a list query. ``walk``: the caller reads a page in list order, so a
        search that matches a large share of the records is tested record by record."""
        clauses: list[str] = [] if include_deleted else ["deleted = 0"]
        params: list[Any] = []
        codes = self._area_codes(form, area)
        dense = False
        if search and search.strip():
            dense, clause, sparams = self._search_clause(form, search, codes, walk)
            clauses.append(clause)
            params += sparams
        if codes:
            # walking the list in order: the area is a test of each row, not the index to read
            column = f"+[{form.area_field}]" if dense else f"[{form.area_field}]"
            clauses.append("(" + " OR ".join(f"({column} >= ? AND {column} < ?)" for _ in codes) + ")")
            for c in codes:
                params += [c, c + ":"]
        for key, value in (filters or {}).items():
            if key in ("dirty", "deleted"):
                clauses.append(f"[{key}] = ?")
                params.append(1 if value else 0)
                continue
            if key == "conflicted":
                clauses.append("conflict IS NOT NULL" if value else "conflict IS NULL")
                continue
            if key == "latest_round" and form.rounds:
                # a record no live record follows: each household once, at its latest survey round
                prev = form.rounds["previous"]
                sub = f"SELECT [{prev}] FROM [{form.table}] WHERE deleted = 0 AND [{prev}] IS NOT NULL"
                clauses.append(f"id {'NOT IN' if value else 'IN'} ({sub})")
                continue
            if key == "incomplete":
                # required answers still missing (fieldapp.drafts keeps record_status)
                if self.db["record_status"].exists():
                    sub = "SELECT record_id FROM record_status WHERE form_id = ? AND missing > 0"
                    clauses.append(f"id {'IN' if value else 'NOT IN'} ({sub})")
                    params.append(form.id)
                elif value:
                    clauses.append("0")
                continue
            try:
                f = form.field_at(key)
            except KeyError:
                raise ValidationError(f"ไม่มีข้อคำถาม {key}", f"unknown filter field {key!r}") from None
            if f.parent is not None or not f.stores_value or f.value_type == "geopoint":
                raise ValidationError(f"กรองด้วย {key} ไม่ได้", f"cannot filter by {key!r}")
            if value is None:
                clauses.append(f"[{key}] IS NULL")
            elif f.kind.multiple:
                clauses.append(f"EXISTS (SELECT 1 FROM json_each([{key}]) WHERE value = ?)")
                params.append(str(value))
            elif isinstance(value, (list, tuple)):
                clauses.append(f"[{key}] IN ({','.join('?' * len(value))})")
                params += [sql_value(v) for v in value]
            else:
                clauses.append(f"[{key}] = ?")
                params.append(sql_value(value))
        return (" AND ".join(clauses) or "1"), params

    def list(
        self,
        form_id: str,
        *,
        search: str | None = None,
        area: str | Iterable[str] | None = None,
        filters: dict[str, Any] | None = None,
        columns: builtins.list[str] | None = None,
        order_by: str | None = None,
        descending: bool = False,
        limit: int | None = 50,
        offset: int = 0,
        include_deleted: bool = False,
    ) -> builtins.list[dict[str, Any]]:
        """Rows for a list view: id, the form's list columns (or ``columns``) and sync state."""
        form = self.form(form_id)
        where, params = self._where(
            form,
            search=search,
            area=area,
            filters=filters,
            include_deleted=include_deleted,
            walk=self._walks(form, order_by, limit, offset),
        )
        wanted = columns or form.shown_columns()
        col_sql = []
        for name in wanted:
            f = form.field_at(name)
            if f.parent is not None:
                raise ValidationError(f"แสดง {name} ในรายการไม่ได้", f"cannot list repeat field {name!r}")
            col_sql += [f"[{c}]" for c, _ in f.columns()]
        order = self._order_sql(form, order_by, descending)
        sql = (
            f"SELECT id, {', '.join([*col_sql, 'dirty', 'deleted', 'updated_at', 'conflict IS NOT NULL'])} "
            f"FROM [{form.table}] WHERE {where} ORDER BY {order}"
        )
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [int(limit), int(offset)]
        out = []
        fields = [form.field_at(n) for n in wanted]
        for row in self.conn.execute(sql, params):
            values = dict(
                zip(
                    [
                        "id",
                        *[c.strip("[]") for c in col_sql],
                        "dirty",
                        "deleted",
                        "updated_at",
                        "has_conflict",
                    ],
                    row,
                    strict=True,
                )
            )
            item = {"id": values["id"], **doc_from_columns(fields, values)}
            item["_dirty"] = bool(values["dirty"])
            item["_deleted"] = bool(values["deleted"])
            item["_conflict"] = bool(values["has_conflict"])
            item["_updated_at"] = values["updated_at"]
            out.append(item)
        return out

    def ids(
        self,
        form_id: str,
        *,
        search: str | None = None,
        area: str | Iterable[str] | None = None,
        filters: dict[str, Any] | None = None,
        include_deleted: bool = False,
        order_by: str | None = None,
        descending: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> builtins.list[str]:
        """Just the ids, in list order; ``limit``/``offset`` give one page of them (views fetch
        the page on screen, never every id of a province)."""
        form = self.form(form_id)
        where, params = self._where(
            form,
            search=search,
            area=area,
            filters=filters,
            include_deleted=include_deleted,
            walk=self._walks(form, order_by, limit, offset),
        )
        sql = f"SELECT id FROM [{form.table}] WHERE {where} ORDER BY {self._order_sql(form, order_by, descending)}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [int(limit), int(offset)]
        return [r[0] for r in self.conn.execute(sql, params)]

    def _walks(self, form: Form, order_by: str | None, limit: int | None, offset: int) -> bool:
        """Whether a page may be found by walking the list in order: an early page, in an order an
        index keeps (by name, or by last change)."""
        return (
            limit is not None
            and offset + limit <= WALK_LIMIT
            and order_by in (None, "", form.title_field, "updated_at")
        )

    def position(
        self,
        form_id: str,
        record_id: str,
        *,
        search: str | None = None,
        area: str | Iterable[str] | None = None,
        filters: dict[str, Any] | None = None,
        order_by: str | None = None,
        descending: bool = False,
    ) -> int:
        """Where ``record_id`` stands in the list of ``ids(...)`` with the same arguments (-1 if
        it is not in it), counted through the sort index rather than by listing the ids."""
        form = self.form(form_id)
        where, params = self._where(form, search=search, area=area, filters=filters, include_deleted=False)
        t = form.table
        if (
            self.conn.execute(
                f"SELECT 1 FROM [{t}] WHERE id = ? AND {where}", [record_id, *params]
            ).fetchone()
            is None
        ):
            return -1
        col = self._order_sql(form, order_by, descending).split(" ", 1)[0]
        (value,) = self.conn.execute(f"SELECT {col} FROM [{t}] WHERE id = ?", [record_id]).fetchone()
        # SQLite sorts NULL first ascending and last descending; ties go by id ascending
        if value is None:
            before = f"({col} IS NULL AND id < ?)" + (f" OR {col} IS NOT NULL" if descending else "")
            args: builtins.list[Any] = [record_id]
        else:
            cmp = ">" if descending else "<"
            before = f"{col} {cmp} ? OR ({col} = ? AND id < ?)" + ("" if descending else f" OR {col} IS NULL")
            args = [value, value, record_id]
        row = self.conn.execute(f"SELECT count(*) FROM [{t}] WHERE ({before}) AND {where}", [*args, *params])
        return int(row.fetchone()[0])

    def _order_sql(self, form: Form, order_by: str | None, descending: bool) -> str:
        direction = "DESC" if descending else "ASC"
        if order_by in (None, "", form.title_field):
            return f"title_sort {direction}, id"
        if order_by in ("updated_at", "created_at"):
            return f"[{order_by}] {direction}, id"
        try:
            f = form.field_at(order_by)
        except KeyError:
            raise ValidationError(f"เรียงตาม {order_by} ไม่ได้", f"cannot sort by {order_by!r}") from None
        if f.parent is not None or not f.columns():
            raise ValidationError(f"เรียงตาม {order_by} ไม่ได้", f"cannot sort by {order_by!r}")
        return f"[{f.columns()[0][0]}] {direction}, id"

    def _area_codes(self, form: Form, area: str | Iterable[str] | None) -> builtins.list[str]:
        """The area codes of a filter, checked (ValidationError for an unknown one, or a form
        without an area question)."""
        if not area:
            return []
        if not form.area_field:
            raise ValidationError("แบบฟอร์มนี้ไม่มีพื้นที่", f"form {form.id} has no area field")
        return [geo.check_area_code(code) for code in ([area] if isinstance(area, str) else list(area))]

    def count(
        self,
        form_id: str,
        *,
        search: str | None = None,
        area: str | Iterable[str] | None = None,
        filters: dict[str, Any] | None = None,
        include_deleted: bool = False,
    ) -> int:
        form = self.form(form_id)
        codes = self._area_codes(form, area)
        if not (search and search.strip()) and not filters and not include_deleted:
            return aggregates.total(self.conn, form.id, area=codes or None)
        if (
            search
            and search.strip()
            and not filters
            and not include_deleted
            and (not codes or self.area_lookup(codes))
        ):
            # the search index holds live records only, and knows their areas: count there,
            # without reading the records
            return self.search_count(search, form.id, codes or None)
        where, params = self._where(
            form, search=search, area=area, filters=filters, include_deleted=include_deleted
        )
        return int(
            self.conn.execute(f"SELECT count(*) FROM [{form.table}] WHERE {where}", params).fetchone()[0]
        )

    # ------------------------------------------------------------------ survey rounds

    def next_rounds(self, form_id: str, record_id: str) -> builtins.list[str]:
        """The live records that follow round ``record_id`` (one, unless two laptops each started it)."""
        form = self.form(form_id)
        if not form.rounds:
            return []
        prev = form.rounds["previous"]
        q = f"SELECT id FROM [{form.table}] WHERE [{prev}] = ? AND deleted = 0 ORDER BY created_at, id"
        return [r[0] for r in self.conn.execute(q, [record_id])]

    def dirty_round_links(self, form_id: str) -> dict[str, str]:
        """Record -> its previous round, among records with unsynced changes whose previous round
        has unsynced changes too (sync sends a round before the round that follows it)."""
        form = self.form(form_id)
        if not form.rounds:
            return {}
        t, prev = form.table, form.rounds["previous"]
        q = (
            f"SELECT n.id, n.[{prev}] FROM [{t}] n JOIN [{t}] p ON p.id = n.[{prev}] "
            "WHERE n.dirty = 1 AND p.dirty = 1"
        )
        return {str(a): str(b) for a, b in self.conn.execute(q)}

    def start_next_round(
        self, form_id: str, record_id: str, *, make_id: Callable[[], str] = new_id
    ) -> rounds.NextRound:
        """The next survey round of a record, pre-filled from it, for the editor to fill and save.

        Nothing is written: saving the returned ``doc`` (``save``) makes the new record. Raises
        ValidationError when the round already has a next round here (open that one instead)."""
        form = self.form(form_id)
        rec = self.get(form_id, record_id)
        assert form.rounds is not None, f"form {form_id!r} has no rounds"
        taken = self.next_rounds(form_id, rec.id)
        if taken:
            raise ValidationError.from_problems(
                [
                    Problem(
                        form.rounds["previous"],
                        "ครัวเรือนนี้เริ่มการสำรวจรอบถัดไปไว้แล้ว กรุณาเปิดรอบนั้นแทน",
                        f"this round already has a next round ({taken[0]})",
                        "cross_record.round_taken",
                    )
                ]
            )
        return rounds.next_round(form, rec.id, rec.data, thaidate.today(), make_id)

    def round_chain(self, form_id: str, record_id: str) -> builtins.list[rounds.Round]:
        """Every round of the household of ``record_id``, oldest first, along the stored links
        (back through each previous round, forward through the first live next round)."""
        form = self.form(form_id)
        if not form.rounds:
            return []
        r = form.rounds
        cols = [r["previous"], r["number"], r.get("label"), r.get("date"), form.title_field]
        sel = ", ".join(f"[{c}]" if c else "NULL" for c in cols)

        def one(rid: str) -> tuple[Any, ...] | None:
            q = f"SELECT id, {sel} FROM [{form.table}] WHERE id = ? AND deleted = 0"
            row = self.conn.execute(q, [rid]).fetchone()
            return tuple(row) if row else None

        def as_round(row: tuple[Any, ...]) -> rounds.Round:
            number = row[2] if isinstance(row[2], int) else 1
            return rounds.Round(row[0], number, str(row[3] or ""), str(row[4] or ""), str(row[5] or ""))

        start = one(record_id)
        if start is None:
            return []
        chain = [start]
        seen = {start[0]}
        while chain[0][1] and chain[0][1] not in seen:
            prev = one(chain[0][1])
            if prev is None:
                break
            seen.add(prev[0])
            chain.insert(0, prev)
        while True:
            nxt = [n for n in self.next_rounds(form_id, chain[-1][0]) if n not in seen]
            row = one(nxt[0]) if nxt else None
            if row is None:
                break
            seen.add(row[0])
            chain.append(row)
        return [as_round(row) for row in chain]

    # ------------------------------------------------------------------ summaries

    def stats(self, *, area: str | None = None) -> dict[str, Any]:
        """Counts per form, household class and area, and what is waiting to sync.

        Record and repeat counts come from the kept counts (``fieldapp.aggregates``), so a province
        of a million households answers without a scan; so do the unsynced records."""
        out: dict[str, Any] = {"forms": {}, "areas": {}}
        if area:
            geo.check_area_code(area)
        for form in self.forms:
            n = aggregates.total(self.conn, form.id, area=area)
            unsynced = aggregates.total(self.conn, form.id, aggregates.UNSYNCED, area=area)
            entry: dict[str, Any] = {"records": n, "unsynced": unsynced}
            for rep in form.repeats():
                entry[rep.id] = aggregates.total(self.conn, form.id, rep.id, area=area)
            if scoring.class_field(form) in form.fields:
                entry["by_class"] = {
                    (k or "none"): v
                    for k, v in aggregates.by(self.conn, form.id, aggregates.CLASS, area).items()
                }
            if "tpmap_target" in form.fields:
                entry["tpmap_target"] = aggregates.by(self.conn, form.id, "tpmap_target", area).get(1, 0)
            if form.area_field:
                entry["by_province"] = {
                    k: v for k, v in aggregates.by(self.conn, form.id, "province", area).items() if k
                }
            out["forms"][form.id] = entry
        for form in self.forms:
            for code in out["forms"][form.id].get("by_province", {}):
                if code not in out["areas"]:
                    try:
                        out["areas"][code] = geo.area(code).name_th
                    except NotFoundError:
                        out["areas"][code] = code
        return out

    def check(self) -> builtins.list[str]:
        """Integrity problems (empty when the database is sound)."""
        problems: builtins.list[str] = []
        res = [r[0] for r in self.conn.execute("PRAGMA integrity_check")]
        if res != ["ok"]:
            problems += [f"integrity: {r}" for r in res]
        for row in self.conn.execute("PRAGMA foreign_key_check"):
            problems.append(f"foreign key: table {row[0]} rowid {row[1]} points to missing {row[2]}")
        live = 0
        for form in self.forms:
            if form.search:
                live += self.conn.execute(
                    f"SELECT count(*) FROM [{form.table}] WHERE deleted = 0"
                ).fetchone()[0]
        indexed = self.conn.execute("SELECT count(*) FROM search_doc").fetchone()[0]
        fts = self.conn.execute("SELECT count(*) FROM search_fts").fetchone()[0]
        if not live == indexed == fts:
            problems.append(f"search index: {live} searchable records, {indexed} indexed, {fts} in FTS")
        astray = self.conn.execute(
            "SELECT count(*) FROM search_doc d LEFT JOIN search_ranges r ON r.form_id = d.form_id "
            "WHERE r.base IS NULL OR d.rowid < r.base OR d.rowid >= r.base + ?",
            [SEARCH_RANGE],
        ).fetchone()[0]
        if astray:
            problems.append(f"search index: {astray} documents outside their form's range")
        for form in self.forms:
            problems += aggregates.drift(self.conn, form)
            problems += coveragecounts.drift(self.conn, form)
        try:
            self.conn.execute("INSERT INTO search_words(search_words) VALUES ('integrity-check')")
        except sqlite3.DatabaseError as exc:
            problems.append(f"search word index: {exc}")
        for form in self.forms:
            for f in form.order:
                if f.type != "reference":
                    continue
                target, _, rep = (f.ref or "").partition(".")
                tform = self.forms[target]
                ttable = tform.child_table(rep) if rep else tform.table
                src = form.child_table(f.parent) if f.parent else form.table
                live_src = (
                    f"JOIN [{form.table}] p ON p.id = s.parent_id AND p.deleted = 0" if f.parent else ""
                )
                cond = "" if f.parent else "AND s.deleted = 0"
                n = self.conn.execute(
                    f"SELECT count(*) FROM [{src}] s {live_src} WHERE s.[{f.id}] IS NOT NULL {cond} "
                    f"AND NOT EXISTS (SELECT 1 FROM [{ttable}] t WHERE t.id = s.[{f.id}])"
                ).fetchone()[0]
                if n:
                    problems.append(f"{form.id}.{f.path}: {n} reference(s) to missing {f.ref} records")
        for dup in self.duplicate_ids():
            problems.append(
                f"duplicate national ID {thai.mask_national_id(dup['national_id'])} on "
                f"{len(dup['records'])} {dup['form']} records: {', '.join(dup['records'])}"
            )
        return problems

    def counts(self) -> dict[str, int]:
        return {f.id: self.count(f.id) for f in self.forms}
