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


@migrations(name="0002_sync")
def m0002_sync(db: Database) -> None:
    # why a local change did not reach the server (the outbox shows it until it goes up)
    db.execute(
        "CREATE TABLE sync_rejections (record_id TEXT PRIMARY KEY, form_id TEXT NOT NULL, "
        "reason TEXT NOT NULL, message TEXT, problems TEXT, at TEXT NOT NULL)"
    )
    # one row per sync attempt: when, where, what went up and down, how it ended
    db.execute(
        "CREATE TABLE sync_log (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, "
        "finished_at TEXT, server TEXT NOT NULL, user TEXT NOT NULL, ok INTEGER NOT NULL DEFAULT 0, "
        "summary TEXT)"
    )


@migrations(name="0003_privacy")
def m0003_privacy(db: Database) -> None:
    # the audit trail is append-only: no UPDATE or DELETE, whoever asks (fieldapp.audit)
    db.execute(
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    )
    # a household's rights (fieldapp.rights): erased or anonymised records never come back
    db.execute(
        "CREATE TABLE erasures (record_id TEXT PRIMARY KEY, form_id TEXT NOT NULL, mode TEXT NOT NULL, "
        "at TEXT NOT NULL, user TEXT NOT NULL, reason TEXT)"
    )
    db.execute(
        "CREATE TABLE consent_events (id INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT NOT NULL, "
        "form_id TEXT NOT NULL, event TEXT NOT NULL, scope TEXT NOT NULL, at TEXT NOT NULL, "
        "user TEXT NOT NULL, note TEXT)"
    )
    db.execute("CREATE INDEX consent_events_record ON consent_events(record_id)")


@migrations(name="0004_search_words")
def m0004_search_words(db: Database) -> None:
    # queries of one or two characters: words that begin with them, through FTS5's prefix index
    # (the trigram index serves three characters and more); its text is search_fts's own
    db.execute(
        "CREATE VIRTUAL TABLE search_words USING fts5(body, tokenize = 'unicode61 remove_diacritics 0', "
        "prefix = '1 2', detail = none, content = 'search_fts')"
    )
    db.execute("INSERT INTO search_words(rowid, body) SELECT rowid, body FROM search_fts")


@migrations(name="0005_sync_sent")
def m0005_sync_sent(db: Database) -> None:
    # pushes whose answer never came back (the connection dropped): the record's next push names
    # them, so the server merges against what this database actually sent (fieldapp.sync)
    db.execute(
        "CREATE TABLE sync_sent (record_id TEXT NOT NULL, change_id TEXT NOT NULL, "
        "PRIMARY KEY (record_id, change_id))"
    )


@migrations(name="0006_sync_set_aside")
def m0006_sync_set_aside(db: Database) -> None:
    # pulled records this laptop could not store (a form it does not know, a row id another record
    # holds …): kept whole with the reason, listed, tried again at every sync (fieldapp.sync)
    db.execute(
        "CREATE TABLE sync_set_aside (record_id TEXT PRIMARY KEY, form_id TEXT NOT NULL, rev INTEGER, "
        "reason TEXT NOT NULL, item TEXT NOT NULL, at TEXT NOT NULL)"
    )


@migrations(name="0007_installed_forms")
def m0007_installed_forms(db: Database) -> None:
    # forms installed into this database (fieldapp.installed): every version, the newest in use;
    # kept in the database so they travel with its backups
    db.execute(
        "CREATE TABLE installed_forms (form_id TEXT NOT NULL, version TEXT NOT NULL, "
        "definition TEXT NOT NULL, source TEXT, installed_at TEXT NOT NULL, installed_by TEXT NOT NULL, "
        "PRIMARY KEY (form_id, version))"
    )


# years the business form once stored in the Christian era and now keeps in the Buddhist era
BE_YEAR_FIELDS = {"business": ("otop_year", "cbt_year")}
CE_BELOW = 2400  # a stored year below this is a Christian-era one (no B.E. year is this small)


@migrations(name="0008_be_years")
def m0008_be_years(db: Database) -> None:
    # OTOP and CBT years are typed in พ.ศ. like every other year: stored values, the server's copy
    # kept for merging (base) and unsaved drafts move to the Buddhist era; the server converts its
    # own copies (server/db.py), so nothing is marked for sending
    for table, fields in BE_YEAR_FIELDS.items():
        if not db[table].exists():
            continue
        columns = {c.name for c in db[table].columns}
        for f in fields:
            if f in columns:
                db.execute(
                    f"UPDATE [{table}] SET [{f}] = [{f}] + 543 WHERE typeof([{f}]) = 'integer' AND [{f}] < ?",
                    [CE_BELOW],
                )
            if "base" in columns:
                db.execute(
                    f"UPDATE [{table}] SET base = json_set(base, '$.{f}', json_extract(base, '$.{f}') + 543) "
                    f"WHERE json_valid(base) AND json_type(base, '$.{f}') = 'integer' "
                    f"AND json_extract(base, '$.{f}') < ?",
                    [CE_BELOW],
                )
        if db["draft"].exists():
            for f in fields:
                db.execute(
                    f"UPDATE draft SET data = json_set(data, '$.{f}', json_extract(data, '$.{f}') + 543) "
                    f"WHERE form_id = ? AND json_valid(data) AND json_type(data, '$.{f}') = 'integer' "
                    f"AND json_extract(data, '$.{f}') < ?",
                    [table, CE_BELOW],
                )


@migrations(name="0009_record_history")
def m0009_record_history(db: Database) -> None:
    # a record's edit history, field by field (fieldapp.history): old values are personal data, so
    # not in the audit log; one entry per save, sent = 0 until the server has it
    db.execute(
        "CREATE TABLE record_history (id TEXT PRIMARY KEY, record_id TEXT NOT NULL, form_id TEXT NOT NULL, "
        "at TEXT NOT NULL, user TEXT NOT NULL, device_id TEXT, action TEXT NOT NULL, changes TEXT NOT NULL, "
        "sent INTEGER NOT NULL DEFAULT 0)"
    )
    db.execute("CREATE INDEX record_history_record ON record_history(record_id, at)")
    db.execute("CREATE INDEX record_history_unsent ON record_history(record_id) WHERE sent = 0")


@migrations(name="0010_search_ranges")
def m0010_search_ranges(db: Database) -> None:
    # each form's search documents are numbered in a range of their own (fieldapp.store.search),
    # so a form's matches are counted in the full-text indexes alone; the documents made before
    # move into their forms' ranges, keeping their order, and both indexes are made again
    span = 1 << 40  # fieldapp.store.search.SEARCH_RANGE (a released migration keeps its own)
    db.execute("CREATE TABLE search_ranges (form_id TEXT PRIMARY KEY, base INTEGER NOT NULL UNIQUE)")
    forms = [r[0] for r in db.execute("SELECT DISTINCT form_id FROM search_doc ORDER BY form_id")]
    if not forms:
        return
    for i, form_id in enumerate(forms):
        db.execute("INSERT INTO search_ranges(form_id, base) VALUES (?, ?)", [form_id, (i + 1) * span])
    db.execute(
        "CREATE TEMP TABLE search_moves AS SELECT d.rowid AS old, "
        "r.base + row_number() OVER (PARTITION BY d.form_id ORDER BY d.rowid) - 1 AS new "
        "FROM search_doc d JOIN search_ranges r ON r.form_id = d.form_id"
    )
    db.execute("CREATE UNIQUE INDEX temp.search_moves_old ON search_moves(old)")
    db.execute("CREATE VIRTUAL TABLE search_fts_moved USING fts5(body, tokenize = 'trigram')")
    db.execute(
        "INSERT INTO search_fts_moved(rowid, body) SELECT m.new, f.body FROM search_moves m "
        "JOIN search_fts f ON f.rowid = m.old ORDER BY m.new"
    )
    db.execute("DROP TABLE search_words")
    db.execute("DROP TABLE search_fts")
    db.execute("ALTER TABLE search_fts_moved RENAME TO search_fts")
    # every new number is above every old one (the first range starts at 2^40): no clash on the way
    db.execute("UPDATE search_doc SET rowid = (SELECT new FROM search_moves WHERE old = search_doc.rowid)")
    db.execute("DROP TABLE search_moves")
    db.execute(
        "CREATE VIRTUAL TABLE search_words USING fts5(body, tokenize = 'unicode61 remove_diacritics 0', "
        "prefix = '1 2', detail = none, content = 'search_fts')"
    )
    db.execute("INSERT INTO search_words(rowid, body) SELECT rowid, body FROM search_fts")


@migrations(name="0011_search_areas")
def m0011_search_areas(db: Database) -> None:
    # each record's area beside its search document, and as words at the end of its text in the
    # word index (fieldapp.store.searchareas): a search inside an area is answered by the index
    # alone. The word index keeps its own text now (it is the search text and the area words);
    # it is filled when the store opens, which knows each form's area question
    db.execute("ALTER TABLE search_doc ADD COLUMN area TEXT NOT NULL DEFAULT ''")
    db.execute("DROP TABLE search_words")
    db.execute(
        "CREATE VIRTUAL TABLE search_words USING fts5(body, tokenize = 'unicode61 remove_diacritics 0', "
        "prefix = '1 2', detail = none, content = '')"
    )
    db.execute("INSERT INTO meta(key, value) VALUES ('search_words_pending', '1')")


def apply(db: Database) -> None:
    migrations.apply(db)


def names() -> list[str]:
    return [m.name for m in migrations._migrations]
