"""Search and duplicates: the full-text indexes of records (trigram and word prefix) and national
IDs found on more than one record."""

from __future__ import annotations

import builtins
import re
from typing import Any

from fieldapp import (
    aggregates,
    rounds,
    thai,
)
from fieldapp.forms import Form
from fieldapp.store.core import StoreCore
from fieldapp.store.rows import Duplicate, chunks, person_column

SEARCH_RANGE = 1 << 40
"""How many search documents one form can have: form n's documents are numbered from n × this
(migration 0010 moved the documents made before into their ranges)."""


class Searching(StoreCore):
    """The search index of records and the duplicate national IDs."""

    def _index(self, form: Form, ids: list[str], bodies: list[str]) -> None:
        """Put the search bodies of records ``ids`` into the full-text index (replacing theirs).
        A new record's document takes the next number in its form's range (``search_range``)."""
        if not form.search:
            return
        known: dict[str, int] = {}
        for chunk in chunks(ids, 500):
            q = f"SELECT record_id, rowid FROM search_doc WHERE record_id IN ({','.join('?' * len(chunk))})"
            known.update({r[0]: r[1] for r in self.conn.execute(q, chunk)})
        if known:
            self._drop_text(builtins.list(known.values()))
        fresh = [rid for rid in ids if rid not in known]
        if fresh:
            low, high = self.search_range(form.id, create=True)
            last = self.conn.execute(
                "SELECT rowid FROM search_doc WHERE rowid <= ? ORDER BY rowid DESC LIMIT 1", [high]
            ).fetchone()
            start = last[0] + 1 if last and last[0] >= low else low
            if start + len(fresh) - 1 > high:
                raise RuntimeError(f"the search range of form {form.id!r} is full")
            new = [[start + i, form.id, rid] for i, rid in enumerate(fresh)]
            self.conn.executemany("INSERT INTO search_doc(rowid, form_id, record_id) VALUES (?, ?, ?)", new)
            known.update({rid: rowid for rowid, _, rid in new})
        docs = [[known[rid], body] for rid, body in zip(ids, bodies, strict=True)]
        self.conn.executemany("INSERT INTO search_fts(rowid, body) VALUES (?, ?)", docs)
        self.conn.executemany("INSERT INTO search_words(rowid, body) VALUES (?, ?)", docs)

    def search_range(self, form_id: str, *, create: bool = False) -> tuple[int, int]:
        """The numbers (first, last) the search documents of ``form_id`` take: each form has its
        own range, so counting a form's matches is a range of the full-text index alone, without
        reading which form each match belongs to. With ``create``, a form without one gets the
        next (the caller's write transaction); otherwise such a form has an empty range."""
        row = self.conn.execute("SELECT base FROM search_ranges WHERE form_id = ?", [form_id]).fetchone()
        if row is None:
            if not create:
                return (1, 0)
            top = self.conn.execute("SELECT max(base) FROM search_ranges").fetchone()[0]
            base = SEARCH_RANGE if top is None else int(top) + SEARCH_RANGE
            self.conn.execute("INSERT INTO search_ranges(form_id, base) VALUES (?, ?)", [form_id, base])
            row = (base,)
        return int(row[0]), int(row[0]) + SEARCH_RANGE - 1

    def _drop_text(self, rowids: builtins.list[int]) -> None:
        """Remove documents from both full-text indexes (the word index needs the old text first)."""
        for chunk in chunks(rowids, 500):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(
                "INSERT INTO search_words(search_words, rowid, body) "
                f"SELECT 'delete', rowid, body FROM search_fts WHERE rowid IN ({marks})",
                chunk,
            )
            self.conn.execute(f"DELETE FROM search_fts WHERE rowid IN ({marks})", chunk)

    def unindex(self, record_id: str) -> None:
        """Take a record out of search (a tombstone or an erasure; the caller's transaction)."""
        row = self.conn.execute("SELECT rowid FROM search_doc WHERE record_id = ?", [record_id]).fetchone()
        if row:
            self._drop_text([row[0]])
            self.conn.execute("DELETE FROM search_doc WHERE rowid = ?", [row[0]])

    def _search_parts(self, text: str) -> builtins.list[tuple[str, str]] | None:
        """The full-text lookups of a query: (index table, MATCH expression) for each index it
        needs, or None when the query can match nothing."""
        terms = search_terms(text)
        if not terms:
            return None
        long_terms = [t for t in terms if len(t) >= 3]
        short_terms = [t for t in terms if len(t) < 3]
        parts: builtins.list[tuple[str, str]] = []
        if long_terms:
            # three characters and more: substrings anywhere, from the trigram index
            parts.append(("search_fts", " AND ".join('"' + t.replace('"', '""') + '"' for t in long_terms)))
        if short_terms:
            # one or two characters: words that begin with them, from the prefix index
            parts.append(
                ("search_words", " AND ".join('"' + t.replace('"', '""') + '"*' for t in short_terms))
            )
        return parts

    def _search_sql(self, text: str, form_id: str | None) -> tuple[str | None, builtins.list[Any]]:
        """SQL selecting matching record ids, or (None, []) when the query can match nothing."""
        parts = self._search_parts(text)
        if parts is None:
            return None, []
        matches, params = self._matches(parts, form_id)
        sql = f"SELECT d.record_id FROM search_doc d WHERE d.rowid IN ({matches})"
        if form_id:
            sql += " AND d.form_id = ?"
            params.append(form_id)
        return sql, params

    def _matches(
        self, parts: builtins.list[tuple[str, str]], form_id: str | None
    ) -> tuple[str, builtins.list[Any]]:
        """SQL selecting the document numbers matching every part, in the full-text indexes alone
        (within the form's range when ``form_id`` is given)."""
        span = self.search_range(form_id) if form_id else None
        sql, params = "", []
        for table, match in reversed(parts):
            q = f"SELECT rowid FROM {table} WHERE {table} MATCH ?"
            params = [match, *params]
            if span:
                q += " AND rowid >= ? AND rowid <= ?"
                params[1:1] = builtins.list(span)
            sql = f"{q} AND rowid IN ({sql})" if sql else q
        return sql, params

    def search_count(self, text: str, form_id: str) -> int:
        """How many live records of ``form_id`` match ``text``: counted in the full-text indexes
        (which hold live records only), within the form's range."""
        parts = self._search_parts(text)
        if parts is None:
            return 0
        sql, params = self._matches(parts, form_id)
        return int(self.conn.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0])

    def _search_is_dense(self, form: Form, text: str) -> bool:
        """Whether a query matches so many records that a list page is found faster by walking the
        list in its order and testing each record (a few hundred index seeks) than by gathering
        every match first. The balance point (measured at a million households: a seek ~45 µs, a
        gathered match ~1.7 µs, 50 rows a page) is about sqrt(1300 × records)."""
        parts = self._search_parts(text)
        if not parts:
            return False
        low, high = self.search_range(form.id)
        hits = min(
            int(
                self.conn.execute(
                    f"SELECT count(*) FROM {table} WHERE {table} MATCH ? AND rowid >= ? AND rowid <= ?",
                    [match, low, high],
                ).fetchone()[0]
            )
            for table, match in parts
        )
        return hits * hits > 1300 * max(1, aggregates.total(self.conn, form.id))

    def _search_exists(self, form: Form, text: str) -> tuple[str, builtins.list[Any]]:
        """The search as a test of one record (for walking a list in order)."""
        parts = self._search_parts(text) or []
        joins = " ".join(f"JOIN {table} ON {table}.rowid = d.rowid" for table, _ in parts)
        matches = " AND ".join(f"{table} MATCH ?" for table, _ in parts)
        return (
            f"EXISTS (SELECT 1 FROM search_doc d {joins} WHERE d.record_id = [{form.table}].id AND {matches})",
            [match for _, match in parts],
        )

    def search(
        self, text: str, *, form_id: str | None = None, limit: int = 50
    ) -> builtins.list[dict[str, Any]]:
        """Records of any form matching ``text``: form, id and title."""
        sub, params = self._search_sql(text, form_id)
        if sub is None:
            return []
        found: builtins.list[dict[str, Any]] = []
        pairs = self.conn.execute(
            f"SELECT d.form_id, d.record_id FROM search_doc d WHERE d.record_id IN ({sub}) LIMIT ?",
            [*params, limit],
        ).fetchall()
        for fid, rid in pairs:
            form = self.form(fid)
            title = None
            if form.title_field:
                row = self.conn.execute(
                    f"SELECT [{form.title_field}] FROM [{form.table}] WHERE id = ?", [rid]
                ).fetchone()
                title = row[0] if row else None
            found.append({"form": fid, "id": rid, "title": title})
        return found

    # ------------------------------------------------------------------ duplicates

    def duplicates_for(self, form: Form, record_id: str, doc: dict[str, Any]) -> builtins.list[Duplicate]:
        """National IDs in ``doc`` that also appear on another live record."""
        return self._duplicates(form, [(record_id, doc)]).get(record_id, [])

    def _duplicates(
        self, form: Form, docs: builtins.list[tuple[str, dict[str, Any]]]
    ) -> dict[str, builtins.list[Duplicate]]:
        """Duplicates for many records at once: one query per repeat and chunk of IDs."""
        found: dict[str, builtins.list[Duplicate]] = {}
        title_col = f"p.[{form.title_field}]" if form.title_field else "NULL"
        for rep in form.repeats():
            for c in rep.fields:
                if c.type != "national_id":
                    continue
                # the same person in another survey round of the household is no duplicate
                person = person_column(form, rep)
                wanted: dict[str, builtins.list[tuple[str, str, str]]] = {}
                for record_id, doc in docs:
                    for i, row in enumerate(doc.get(rep.id) or []):
                        nid = row.get(c.id)
                        if nid:
                            key = rounds.person_key(form, row) if person else ""
                            wanted.setdefault(nid, []).append((record_id, f"{rep.id}[{i + 1}].{c.id}", key))
                for chunk in chunks(builtins.list(wanted), 500):
                    q = (
                        f"SELECT c.[{c.id}], p.id, {title_col}, {person or 'NULL'} FROM [{form.child_table(rep)}] c "
                        f"JOIN [{form.table}] p ON p.id = c.parent_id "
                        f"WHERE c.[{c.id}] IN ({','.join('?' * len(chunk))}) AND p.deleted = 0"
                    )
                    for nid, other_id, title, other_key in self.conn.execute(q, chunk):
                        for record_id, path, key in wanted[nid]:
                            if other_id != record_id and not (person and key == other_key):
                                found.setdefault(record_id, []).append(
                                    Duplicate(path, nid, form.id, other_id, title or "")
                                )
        return found

    def duplicate_ids(self) -> builtins.list[dict[str, Any]]:
        """Every national ID found on more than one live record."""
        out: builtins.list[dict[str, Any]] = []
        for form in self.forms:
            for rep in form.repeats():
                for c in rep.fields:
                    if c.type != "national_id":
                        continue
                    # one person in several survey rounds of a household is one person
                    person = person_column(form, rep) or "p.id"
                    q = (
                        f"SELECT c.[{c.id}], group_concat(DISTINCT p.id) FROM [{form.child_table(rep)}] c "
                        f"JOIN [{form.table}] p ON p.id = c.parent_id WHERE p.deleted = 0 AND c.[{c.id}] IS NOT NULL "
                        f"GROUP BY c.[{c.id}] HAVING count(DISTINCT {person}) > 1"
                    )
                    for nid, ids in self.conn.execute(q):
                        out.append({"form": form.id, "national_id": nid, "records": ids.split(",")})
        return out


_SPLIT_RE = re.compile(r"\s+")
_ID_LIKE_RE = re.compile(r"^[\d\s\-]+$")


def search_terms(text: str) -> list[str]:
    """A query as normalised terms: ``1-1037-02488`` becomes one digit string."""
    key = thai.search_key(text)
    if _ID_LIKE_RE.match(key) and any(ch.isdigit() for ch in key):
        digits = re.sub(r"[\s\-]", "", key)
        return [digits] if digits else []
    return [t for t in _SPLIT_RE.split(key) if t]


def search_body(form: Form, doc: dict[str, Any]) -> str:
    parts: list[str] = []
    for name in form.search:
        head, _, tail = name.partition(".")
        if tail:
            values = [r.get(tail) for r in doc.get(head) or []]
        else:
            values = [doc.get(head)]
        for v in values:
            if v not in (None, ""):
                key = thai.search_key(str(v))
                parts.append(key)
                # "บ้านดอนแดง" is also found by a short query for ดอนแดง's first letters
                for prefix in _PLACE_PREFIXES:
                    if key.startswith(prefix) and len(key) > len(prefix) and key[len(prefix)] != " ":
                        parts.append(key[len(prefix) :])
                        break
    return "\n".join(parts)


_PLACE_PREFIXES = ("หมู่บ้าน", "บ้าน", "ชุมชน")
