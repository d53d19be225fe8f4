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
from fieldapp.store.searchareas import area_match, area_words_sql

AREA_WORDS = area_words_sql("d.area")

SEARCH_RANGE = 1 << 40
"""How many search documents one form can have: form n's documents are numbered from n × this
(migration 0010 moved the documents made before into their ranges)."""
GATHER_AT_ONCE = 1000
"""Up to this many matches are gathered while counting them, and the page is read from them."""


class Searching(StoreCore):
    """The search index of records and the duplicate national IDs."""

    def _index(self, form: Form, ids: list[str], bodies: list[str], areas: list[str]) -> None:
        """Put the search bodies of records ``ids`` into the full-text indexes (replacing theirs),
        with each record's area (``searchareas``). A new record's document takes the next number
        in its form's range (``search_range``)."""
        if not form.search:
            return
        known: dict[str, int] = {}
        for chunk in chunks(ids, 500):
            q = f"SELECT record_id, rowid FROM search_doc WHERE record_id IN ({','.join('?' * len(chunk))})"
            known.update({r[0]: r[1] for r in self.conn.execute(q, chunk)})
        if known:
            self._drop_text(builtins.list(known.values()))
            self.conn.executemany(
                "UPDATE search_doc SET area = ? WHERE rowid = ?",
                [[area, known[rid]] for rid, area in zip(ids, areas, strict=True) if rid in known],
            )
        fresh = [(rid, area) for rid, area in zip(ids, areas, strict=True) if rid not in known]
        if fresh:
            low, high = self.search_range(form.id, create=True)
            last = self.conn.execute(
                "SELECT rowid FROM search_doc WHERE rowid <= ? ORDER BY rowid DESC LIMIT 1", [high]
            ).fetchone()
            start = last[0] + 1 if last and last[0] >= low else low
            if start + len(fresh) - 1 > high:
                raise RuntimeError(f"the search range of form {form.id!r} is full")
            numbers = {rid: start + i for i, (rid, _) in enumerate(fresh)}
            self.conn.executemany(
                "INSERT INTO search_doc(rowid, form_id, record_id, area) VALUES (?, ?, ?, ?)",
                [[numbers[rid], form.id, rid, area] for rid, area in fresh],
            )
            known.update(numbers)
        docs = [[known[rid], body] for rid, body in zip(ids, bodies, strict=True)]
        self.conn.executemany("INSERT INTO search_fts(rowid, body) VALUES (?, ?)", docs)
        for chunk in chunks([rowid for rowid, _ in docs], 500):
            self.conn.execute(
                f"INSERT INTO search_words(rowid, body) SELECT d.rowid, f.body || {AREA_WORDS} "
                f"FROM search_doc d JOIN search_fts f ON f.rowid = d.rowid WHERE d.rowid IN ({','.join('?' * len(chunk))})",
                chunk,
            )

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
        """Remove documents from both full-text indexes (the word index needs the very text it
        was given: the search text and the area words of the area noted beside it)."""
        for chunk in chunks(rowids, 500):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(
                "INSERT INTO search_words(search_words, rowid, body) "
                f"SELECT 'delete', f.rowid, f.body || {AREA_WORDS} FROM search_fts f "
                f"JOIN search_doc d ON d.rowid = f.rowid WHERE f.rowid IN ({marks})",
                chunk,
            )
            self.conn.execute(f"DELETE FROM search_fts WHERE rowid IN ({marks})", chunk)

    def unindex(self, record_id: str) -> None:
        """Take a record out of search (a tombstone or an erasure; the caller's transaction)."""
        row = self.conn.execute("SELECT rowid FROM search_doc WHERE record_id = ?", [record_id]).fetchone()
        if row:
            self._drop_text([row[0]])
            self.conn.execute("DELETE FROM search_doc WHERE rowid = ?", [row[0]])

    def _search_parts(
        self, text: str, areas: builtins.list[str] | None = None
    ) -> builtins.list[tuple[str, str]] | None:
        """The full-text lookups of a query: (index table, MATCH expression) for each index it
        needs, or None when the query can match nothing. With ``areas`` (codes the word index
        holds: see ``area_lookup``) and no term of three characters or more, the area is part of
        the word-index lookup (``_matches`` narrows trigram matches to an area itself)."""
        terms = search_terms(text)
        if not terms:
            return None
        long_terms = [t for t in terms if len(t) >= 3]
        short_terms = [t for t in terms if len(t) < 3]
        parts: builtins.list[tuple[str, str]] = []
        if long_terms:
            # three characters and more: substrings anywhere, from the trigram index
            parts.append(("search_fts", " AND ".join('"' + t.replace('"', '""') + '"' for t in long_terms)))
        # one or two characters: words that begin with them, from the prefix index, where an area
        # is words too
        words = ['"' + t.replace('"', '""') + '"*' for t in short_terms]
        inside = area_match(areas) if areas and not long_terms else None
        if words and inside:
            words.append(inside)
        if words:
            parts.append(("search_words", " AND ".join(words)))
        return parts

    @staticmethod
    def area_lookup(areas: builtins.list[str] | None) -> bool:
        """Whether the search index can tell which records lie in ``areas`` (provinces, districts
        and subdistricts: yes)."""
        return bool(areas) and area_match(areas or []) is not None

    def _search_sql(
        self, text: str, form_id: str | None, areas: builtins.list[str] | None = None
    ) -> tuple[str | None, builtins.list[Any]]:
        """SQL selecting matching record ids, or (None, []) when the query can match nothing."""
        parts = self._search_parts(text, areas)
        if parts is None:
            return None, []
        matches, params = self._matches(parts, form_id, areas)
        sql = f"SELECT d.record_id FROM search_doc d WHERE d.rowid IN ({matches})"
        if form_id:
            sql += " AND d.form_id = ?"
            params.append(form_id)
        return sql, params

    def _matches(
        self,
        parts: builtins.list[tuple[str, str]],
        form_id: str | None,
        areas: builtins.list[str] | None = None,
    ) -> tuple[str, builtins.list[Any]]:
        """SQL selecting the document numbers matching every part (within the form's range when
        ``form_id`` is given, inside ``areas`` when given).

        One word-index lookup is answered by the index alone. Otherwise each lookup is a set of
        numbers of ``search_doc``, whose ``area`` narrows them: never a full-text query with the
        numbers of another as its condition, which SQLite runs once per number."""
        span = builtins.list(self.search_range(form_id)) if form_id else []
        lookups: builtins.list[str] = []
        params: builtins.list[Any] = []
        for table, match in parts:
            q = f"SELECT rowid FROM {table} WHERE {table} MATCH ?"
            lookups.append(q + " AND rowid >= ? AND rowid <= ?" if span else q)
            params += [match, *span]
        in_words = len(parts) == 1 and parts[0][0] == "search_words"
        if len(lookups) == 1 and (not areas or in_words):
            return lookups[0], params
        sql = "SELECT d.rowid FROM search_doc d WHERE " + " AND ".join(f"d.rowid IN ({q})" for q in lookups)
        if areas and not in_words:
            sql += " AND (" + " OR ".join("(d.area >= ? AND d.area < ?)" for _ in areas) + ")"
            for code in areas:
                params += [code, code + ":"]
        return sql, params

    def search_count(self, text: str, form_id: str, areas: builtins.list[str] | None = None) -> int:
        """How many live records of ``form_id`` (inside ``areas``, codes ``area_lookup`` accepts)
        match ``text``: counted in the search index alone (it holds live records only), within
        the form's range."""
        parts = self._search_parts(text, areas)
        if parts is None:
            return 0
        sql, params = self._matches(parts, form_id, areas)
        return int(self.conn.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0])

    def _search_plan(
        self, form: Form, text: str, areas: builtins.list[str] | None = None
    ) -> tuple[bool, builtins.list[int] | None]:
        """How a list page of a search is found: (walk, documents). ``walk``: faster by walking
        the list in its order and testing each record than by gathering every match first.
        ``documents``: when gathering, the numbers of every match if there were few enough to
        gather while counting them (a name, an ID number), so the page query does not search again.

        Measured at a million households: testing a record's search ~45 µs, passing over a
        record outside the area ~1 µs, gathering a match ~1.7 µs, 50 rows a page. Walking
        passes over about 50 × records / matches rows and tests about 50 × in area / matches of
        them; gathering costs every match. Without an area this is about matches > sqrt(1300 ×
        records). Matches inside an area are counted in the word index, or estimated from the
        whole form's for a trigram query (counting them exactly costs about what gathering does)."""
        if areas and not self.area_lookup(areas):
            return False, None  # which matches lie in the area cannot be told in the index: gather
        parts = self._search_parts(text, areas)
        if not parts:
            return False, None
        records = max(1, aggregates.total(self.conn, form.id))
        inside = max(1, aggregates.total(self.conn, form.id, area=areas)) if areas else records
        whole = bool(areas) and parts[0][0] == "search_fts"  # the form's matches, narrowed later
        if whole:
            parts = self._search_parts(text) or []
        docs, found = self._gathered(parts, form.id, None if whole else areas)
        hits = found * inside / records if whole else found
        if hits < 1:
            return False, docs
        walk = 50 * records / hits * 1.0 + 50 * inside / hits * 45.0
        if walk < hits * 1.7:
            return True, None
        return False, docs

    def _gathered(
        self, parts: builtins.list[tuple[str, str]], form_id: str, areas: builtins.list[str] | None
    ) -> tuple[builtins.list[int] | None, int]:
        """(the matching document numbers when at most ``GATHER_AT_ONCE``, how many match). A
        query of a short and a long term is gathered only when one of them matches few records:
        gathering the others reads both lists in full, as the count does."""
        sql, params = self._matches(parts, form_id, areas)
        if len(parts) == 1 or any(self._count_of(p, form_id, areas) <= GATHER_AT_ONCE for p in parts):
            docs = [
                r[0]
                for r in self.conn.execute(f"SELECT * FROM ({sql}) LIMIT ?", [*params, GATHER_AT_ONCE + 1])
            ]
            if len(docs) <= GATHER_AT_ONCE:
                return docs, len(docs)
        return None, int(self.conn.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0])

    def _count_of(self, part: tuple[str, str], form_id: str, areas: builtins.list[str] | None) -> int:
        sql, params = self._matches([part], form_id, areas)
        return int(self.conn.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0])

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
_PRIVATE_RE = re.compile("[\ue000-\uf8ff]")
_ID_LIKE_RE = re.compile(r"^[\d\s\-]+$")


def search_terms(text: str) -> list[str]:
    """A query as normalised terms: ``1-1037-02488`` becomes one digit string. Private-use
    characters are dropped (the index marks its area words with one)."""
    key = _PRIVATE_RE.sub("", thai.search_key(text))
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
