"""The core of the store: the connection, transactions, meta, form tables, device and audit."""

from __future__ import annotations

import json
import secrets
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import sqlite_utils

from fieldapp import aggregates, coveragecounts, installed
from fieldapp.clock import now_iso
from fieldapp.device import binding as device_binding
from fieldapp.forms import Form, FormSet, default_forms
from fieldapp.schema import CHILD_META, META_COLUMNS
from fieldapp.store import searchareas
from fieldapp.store.opening import Opened, migration_error, open_database, open_error
from fieldapp.store.rows import child_columns

BULK_BUSY_TIMEOUT_MS = 15 * 60 * 1000
INDEX_VERSION = 6  # raise when the indexes or triggers made by _ensure_form_tables change


class StoreCore:
    """The connection and what every part of the store stands on: transactions, the meta table,
    the form tables, the device id and the audit log.

    Made over a database ``fieldapp.store.opening.open_database`` opened (``open_store`` does
    both); ``Store(path, …)`` opens ``path`` with the same steps first."""

    def __init__(
        self,
        opened: Opened | str | Path,
        *,
        forms: FormSet | None = None,
        user: str | None = None,
        create: bool = True,
        key: bytes | None = None,
        passphrase: str | None = None,
    ) -> None:
        if not isinstance(opened, Opened):
            opened = open_database(Path(opened), user=user, create=create, key=key, passphrase=passphrase)
        self.path = opened.path
        self.conn = opened.conn
        self.db = sqlite_utils.Database(opened.conn)
        self.user = opened.user
        self.role = opened.role
        self.data_key = opened.data_key
        self._base_forms = forms or default_forms()
        self.forms = self._base_forms
        self.turn: Any = None
        """A lock shared with other processes writing this file (the demo's workers, a
        ``multiprocessing`` lock): each write transaction is begun holding it, so a writer waiting
        for its turn starts the moment the other commits, instead of polling the database lock
        (SQLite sleeps up to 100 ms between tries). A writer that cannot have it within the bulk
        wait (its holder died) goes on without it: SQLite's own lock still keeps writes apart."""
        try:
            self._start()
        except BaseException:
            self.conn.close()
            raise

    def _start(self) -> None:
        """The store's own part of opening: the forms installed in this database and their tables
        (indexes, counts, search), then the device id (a copied file takes a new one)."""
        try:
            self.forms = installed.with_installed(self.conn, self._base_forms)
            self._ensure_form_tables()
            if searchareas.pending(self.conn):
                with self.transaction():
                    searchareas.fill(self.conn, self.forms)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise migration_error(self.path, exc) from exc
        try:
            self.device_id = self._device()
        except sqlite3.DatabaseError as exc:  # a read-only or full place: said as when opening
            raise open_error(self.path, exc) from exc

    @property
    def encrypted(self) -> bool:
        return self.data_key is not None

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self, *, keep_on_error: bool = False) -> Iterator[None]:
        """One write transaction (a savepoint when nested).

        ``BEGIN IMMEDIATE`` takes the write lock up front: a transaction that first reads and then
        writes could otherwise fail with "database is locked" when another process wrote in between,
        instead of waiting for the busy timeout.

        ``keep_on_error``: when the block fails, what it wrote so far is committed all the same
        (for a block made of savepoints that are each whole, such as a group of pulled pages).
        """
        if self.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        turn = self.turn
        held = turn is not None and turn.acquire(timeout=BULK_BUSY_TIMEOUT_MS / 1000)
        try:
            with self._outermost(keep_on_error):
                yield
        finally:
            if held:
                turn.release()

    @contextmanager
    def _outermost(self, keep_on_error: bool) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException as exc:
            if self.conn.in_transaction:
                # a database error may have left the transaction unsound: never commit after one
                if keep_on_error and not isinstance(exc, sqlite3.DatabaseError):
                    try:
                        self.conn.execute("COMMIT")
                    except sqlite3.Error:
                        self.conn.execute("ROLLBACK")
                else:
                    self.conn.execute("ROLLBACK")
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Settings for writing many records (demo, import, a first sync).

        The write-ahead log is copied back into the database every 40 MB instead of every 4 MB,
        and the page cache is larger: at 100,000 households, saves in batches of 500 spent most
        of their commit time copying the same index pages back again and again. Durability is
        unchanged (every commit is still synced); the log is folded back on the way out.
        """
        conn = self.conn
        before = (
            conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0],
            conn.execute("PRAGMA cache_size").fetchone()[0],
            conn.execute("PRAGMA busy_timeout").fetchone()[0],
        )
        conn.execute("PRAGMA wal_autocheckpoint = 10000")
        conn.execute("PRAGMA cache_size = -65536")
        # bulk writers (the demo's worker processes) take turns with transactions of thousands of
        # records; on a slow or busy laptop one turn can outlast the usual 10 s wait
        conn.execute(f"PRAGMA busy_timeout = {BULK_BUSY_TIMEOUT_MS}")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA wal_autocheckpoint = {int(before[0])}")
            conn.execute(f"PRAGMA cache_size = {int(before[1])}")
            conn.execute(f"PRAGMA busy_timeout = {int(before[2])}")
            if not conn.in_transaction:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _meta_get(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def _meta_set(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    def _init_device(self) -> str:
        device = str(uuid.uuid4())
        with self.transaction():
            self._meta_set("device_id", device)
            self._meta_set("device_key", secrets.token_urlsafe(32))
            self._meta_set("device_binding", device_binding(self.path))
            self._meta_set("created_at", now_iso())
        return device

    def _device(self) -> str:
        """This database's device id: a new one when the file is a copy (fieldapp.device)."""
        device = self._meta_get("device_id")
        if device is None:
            return self._init_device()
        stored = self._meta_get("device_binding")
        here = device_binding(self.path)
        if stored is not None and stored != here:
            self.device_id = device
            return self.renew_device("copied or restored database")
        if stored is None or self._meta_get("device_key") is None:  # made by an older version
            with self.transaction():
                self._meta_set("device_binding", here)
                if self._meta_get("device_key") is None:
                    self._meta_set("device_key", secrets.token_urlsafe(32))
        return device

    @property
    def device_key(self) -> str:
        """The secret that proves to the server that a sync comes from this database."""
        return self._meta_get("device_key") or ""

    def renew_device(self, reason: str) -> str:
        """Take a new device id and key (this database is a copy of another one); returns the id.

        The old id stays in ``meta.previous_device_ids`` and the change is in the audit log.
        """
        old = self.device_id
        device = str(uuid.uuid4())
        previous = json.loads(self._meta_get("previous_device_ids") or "[]")
        with self.transaction():
            self._meta_set("device_id", device)
            self._meta_set("device_key", secrets.token_urlsafe(32))
            self._meta_set("device_binding", device_binding(self.path))
            self._meta_set("previous_device_ids", json.dumps([*previous, old]))
            self.device_id = device
            self.audit("new_device", detail={"previous": old, "reason": reason})
        return device

    def reload_forms(self) -> None:
        """Take the forms installed in the database again (after ``forms add`` or ``remove``)."""
        self.forms = installed.with_installed(self.conn, self._base_forms)
        self._ensure_form_tables()

    def _ensure_form_tables(self) -> None:
        """Create or extend one table per form and one per repeat (columns are only added)."""
        fingerprint = json.dumps(
            {
                f.id: [f.version, f.columns(), {r.id: child_columns(r) for r in f.repeats()}]
                for f in self.forms
            }
            | {"#indexes": INDEX_VERSION},
            sort_keys=True,
        )
        if self.db["meta"].exists():
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'form_schema'").fetchone()
            if row and row[0] == fingerprint:
                return
        with self.transaction():
            for form in self.forms:
                self._ensure_table(form.table, META_COLUMNS, form.columns())
                t = form.table
                area = form.area_field
                # lists and exports sort by (title_sort, id): with both in the index, neither sorts
                self.conn.execute(f"DROP INDEX IF EXISTS [{t}_title_sort]")
                self.conn.execute(f"CREATE INDEX IF NOT EXISTS [{t}_title] ON [{t}](title_sort, id)")
                self.conn.execute(f"CREATE INDEX IF NOT EXISTS [{t}_updated] ON [{t}](updated_at)")
                self.conn.execute(f"CREATE INDEX IF NOT EXISTS [{t}_dirty] ON [{t}](dirty) WHERE dirty = 1")
                # open conflicts are few: the status line counts them without reading the records
                self.conn.execute(
                    f"CREATE INDEX IF NOT EXISTS [{t}_conflict] ON [{t}](dirty) WHERE conflict IS NOT NULL"
                )
                if area:
                    self.conn.execute(f"CREATE INDEX IF NOT EXISTS [{t}_area] ON [{t}]([{area}])")
                for f in form.fields.values():
                    if f.type == "reference":
                        self.conn.execute(f"CREATE INDEX IF NOT EXISTS [{t}_{f.id}] ON [{t}]([{f.id}])")
                for rep in form.repeats():
                    ct = form.child_table(rep)
                    self._ensure_table(
                        ct,
                        [
                            *CHILD_META[:1],
                            ("parent_id", f"TEXT NOT NULL REFERENCES [{t}](id) ON DELETE CASCADE"),
                            CHILD_META[2],
                        ],
                        child_columns(rep),
                    )
                    self.conn.execute(
                        f"CREATE INDEX IF NOT EXISTS [{ct}_parent] ON [{ct}](parent_id, position)"
                    )
                    for c in rep.fields:
                        if c.type in ("national_id", "reference"):
                            self.conn.execute(f"CREATE INDEX IF NOT EXISTS [{ct}_{c.id}] ON [{ct}]([{c.id}])")
            # counts for the area tree and statistics, kept by triggers (recounted once here)
            aggregates.install(self.conn, self.forms, recount=True)
            coveragecounts.install(self.conn, self.forms, recount=True)  # the target list's coverage, likewise
            self._meta_set("form_schema", fingerprint)

    def _ensure_table(self, name: str, meta: list[tuple[str, str]], cols: list[tuple[str, str]]) -> None:
        if not self.db[name].exists():
            body = ", ".join(f"[{n}] {t}" for n, t in [*meta, *cols])
            self.conn.execute(f"CREATE TABLE [{name}] ({body})")
            return
        existing = {c.name.lower() for c in self.db.table(name).columns}  # SQLite: case aside
        for n, t in cols:
            if n.lower() not in existing:
                self.conn.execute(f"ALTER TABLE [{name}] ADD COLUMN [{n}] {t}")

    def form(self, form_id: str) -> Form:
        return self.forms[form_id]

    def audit(
        self,
        action: str,
        form_id: str | None = None,
        record_id: str | None = None,
        detail: Any = None,
        *,
        user: str | None = None,
    ) -> None:
        self.conn.execute(
            "INSERT INTO audit_log(at, user, device_id, action, form_id, record_id, detail) VALUES (?,?,?,?,?,?,?)",
            [
                now_iso(),
                user or self.user,
                self.device_id,
                action,
                form_id,
                record_id,
                None if detail is None else json.dumps(detail, ensure_ascii=False),
            ],
        )
