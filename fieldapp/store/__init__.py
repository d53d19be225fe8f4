"""The local store: one SQLite file per laptop, through sqlite-utils.

* WAL journal, ``synchronous=FULL``, foreign keys on, a busy timeout.
* Numbered migrations (``fieldapp.migrations``) run when the store opens.
* One table per form with typed columns generated from the form definition, and one child table
  per repeat group (``household__members`` …). New questions add columns; nothing is dropped.
* Every record carries its UUID, form id and version, created/updated at and by, the device id,
  and the sync bookkeeping: the server revision it was last synced at, the synced content (the
  base of a three-way merge), a dirty marker and a tombstone.
* One write path under every named operation (``save``, ``save_from_editor``, ``import_rows``,
  ``apply_pulled``, ``write_demo``, ``rewrite``): validate against the form definition, then write
  the record, its repeat rows and its search entry in one transaction. Invalid data is never
  written, partly or wholly.
* Thai search: FTS5 with the trigram tokenizer; queries shorter than three characters use LIKE.

Open one with ``open_store(path, …)``, which composes the opening (``opening.open_database``:
the place, encryption, the connection, the backup policy, migrations, audit protection) and the
store's own start (the installed forms and their tables, the device id). ``Store(path, …)`` takes
the same steps.

The parts (docs/architecture.md, "The store"):

* ``opening`` — the steps of opening a database file, and why one cannot be opened;
* ``core`` — the connection, transactions, meta, the form tables, the device id, the audit log;
* ``search`` — the full-text index and duplicate national IDs;
* ``reading`` — ``get``, ``list``, ``ids``, ``position``, ``count``, survey rounds, statistics;
* ``writing`` — validation and the one write path (``save``, ``delete``, the engine);
* ``operations`` — the named write operations, each one transaction;
* ``syncstate`` — sync bookkeeping (dirty, sent, conflicts, set aside, rejections, the sync log);
* ``rows`` — the records and results handed out and the row helpers the parts share.
"""

from __future__ import annotations

from pathlib import Path

from fieldapp.errors import ValidationError
from fieldapp.forms import FormSet
from fieldapp.store.core import BULK_BUSY_TIMEOUT_MS, INDEX_VERSION
from fieldapp.store.opening import Opened, disk_full, open_database, open_error
from fieldapp.store.operations import Checked, Operations, check_for_save
from fieldapp.store.reading import WALK_LIMIT
from fieldapp.store.rows import Batch, Duplicate, Record, SaveResult, base_text, expr_text
from fieldapp.store.search import search_body, search_terms
from fieldapp.store.syncstate import SyncState
from fieldapp.store.writing import BATCH_SIZE, ProgressCallback, WriteWay

__all__ = [
    "BATCH_SIZE",
    "BULK_BUSY_TIMEOUT_MS",
    "INDEX_VERSION",
    "WALK_LIMIT",
    "Batch",
    "Checked",
    "Duplicate",
    "Opened",
    "ProgressCallback",
    "Record",
    "SaveResult",
    "Store",
    "ValidationError",
    "WriteWay",
    "base_text",
    "check_for_save",
    "disk_full",
    "expr_text",
    "open_database",
    "open_error",
    "open_store",
    "search_body",
    "search_terms",
]


class Store(Operations, SyncState):
    """The laptop's database. Open one per thread with ``open_store``; close it when done."""


def open_store(
    path: str | Path,
    *,
    forms: FormSet | None = None,
    user: str | None = None,
    create: bool = True,
    key: bytes | None = None,
    passphrase: str | None = None,
) -> Store:
    """Open the laptop's database at ``path`` (made when missing, unless ``create=False``).

    1. ``open_database`` (``opening.py``): the place checked; encryption at rest unlocked with
       ``key`` or ``passphrase`` (or the key remembered for this file); the connection (WAL,
       ``synchronous=FULL``, foreign keys); the backup before pending migrations; the migrations;
       the audit trail protected;
    2. ``Store`` over it (``core.py``): ``forms`` (the default set) with the forms installed in
       the database, their tables, indexes and counts; the device id.

    ``user`` is who works in it (the key file's user when unlocked by passphrase, else the login
    name). Raises ``StoreError`` saying why a database cannot be opened (``open_error``) and
    ``AccessError`` for an encrypted one without its key.
    """
    opened = open_database(Path(path), user=user, create=create, key=key, passphrase=passphrase)
    return Store(opened, forms=forms)
