"""Where each searchable record lies, as words of the word index, so a search inside an area is
answered by the full-text index alone.

The word index (``search_words``) holds each record's search text followed by one word per level
of its area: the province (2 digits), the district (4) and the subdistrict (6), each behind a
private-use mark (U+E000) that no typed query carries (``search_terms`` drops such characters).
"ส" inside province 33 is then ``"ส"* AND "\\ue00033"``, one intersection of two word lists,
instead of looking up every match's record. The record's area is kept beside its document
(``search_doc.area``) because removing a document from the index needs the very text it was
indexed with.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from fieldapp.forms import FormSet

MARK = "\ue000"
LEVELS = (2, 4, 6)  # province, district, subdistrict


def area_words_sql(column: str) -> str:
    """SQL giving the area words appended to a document's text, from the area in ``column``."""
    mark = f"char({ord(MARK)})"
    tail = " || ".join(
        f"CASE WHEN length({column}) >= {n} THEN ' ' || {mark} || substr({column}, 1, {n}) ELSE '' END"
        for n in LEVELS[1:]
    )
    return (
        f"(CASE WHEN length(coalesce({column}, '')) < {LEVELS[0]} THEN '' ELSE "
        f"char(10) || {mark} || substr({column}, 1, {LEVELS[0]}) || {tail} END)"
    )


def area_match(codes: Iterable[str]) -> str | None:
    """The word-index expression for records inside any of ``codes``, or None when a code is not
    of a level the index holds (the caller then filters the records themselves)."""
    codes = list(codes)
    if not codes or any(len(c) not in LEVELS or not c.isdigit() for c in codes):
        return None
    return "(" + " OR ".join(f'"{MARK}{c}"' for c in codes) + ")"


def area_of(value: object) -> str:
    """A record's area as kept beside its document ('' when it has none)."""
    return str(value) if value not in (None, "") else ""


def pending(conn: sqlite3.Connection) -> bool:
    """Whether the word index waits to be filled (after migration 0011)."""
    return conn.execute("SELECT 1 FROM meta WHERE key = 'search_words_pending'").fetchone() is not None


def fill(conn: sqlite3.Connection, forms: FormSet) -> None:
    """Note each document's area from its record and fill the word index with the search texts
    and their area words (once, after migration 0011; the caller's transaction)."""
    for form in forms:
        if not form.search or not form.area_field:
            continue
        conn.execute(
            f"UPDATE search_doc SET area = coalesce((SELECT [{form.area_field}] FROM [{form.table}] t "
            "WHERE t.id = search_doc.record_id), '') WHERE form_id = ?",
            [form.id],
        )
    conn.execute(
        f"INSERT INTO search_words(rowid, body) SELECT d.rowid, f.body || {area_words_sql('d.area')} "
        "FROM search_doc d JOIN search_fts f ON f.rowid = d.rowid"
    )
    conn.execute("DELETE FROM meta WHERE key = 'search_words_pending'")
