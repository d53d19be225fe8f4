"""Numbered schema migrations of the local store's own tables.

Form tables are generated from the form definitions (``Store._ensure_form_tables``); these
migrations create everything else. A released migration is never edited: a change is a new
migration with the next number.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("fieldapp")


@migrations(name="0001_core")
def m0001_core(db: Database) -> None:
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    # search: one document per record; FTS5 rowid = search_doc.rowid
    db.execute(
        "CREATE TABLE search_doc (rowid INTEGER PRIMARY KEY, form_id TEXT NOT NULL, "
        "record_id TEXT NOT NULL UNIQUE)"
    )
    db.execute("CREATE VIRTUAL TABLE search_fts USING fts5(body, tokenize = 'trigram')")
    db.execute(
        "CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, "
        "user TEXT NOT NULL, device_id TEXT, action TEXT NOT NULL, form_id TEXT, record_id TEXT, "
        "detail TEXT)"
    )
    db.execute("CREATE INDEX audit_log_record ON audit_log(record_id)")
    db.execute(
        "CREATE TABLE attachments (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, "
        "mime TEXT, name TEXT, created_at TEXT NOT NULL, uploaded INTEGER NOT NULL DEFAULT 0)"
    )


def apply(db: Database) -> None:
    migrations.apply(db)


def names() -> list[str]:
    return [m.name for m in migrations._migrations]
