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

The parts (docs/architecture.md, "The store"):

* ``opening`` — why a database cannot be opened;
* ``core`` — the connection, transactions, meta, the form tables, the device id, the audit log;
* ``search`` — the full-text index and duplicate national IDs;
* ``reading`` — ``get``, ``list``, ``ids``, ``position``, ``count``, survey rounds, statistics;
* ``writing`` — validation and the one write path (``save``, ``delete``, the engine);
* ``operations`` — the named write operations, each one transaction;
* ``syncstate`` — sync bookkeeping (dirty, sent, conflicts, set aside, rejections, the sync log);
* ``rows`` — the records and results handed out and the row helpers the parts share.
"""

from __future__ import annotations

from fieldapp.errors import ValidationError
from fieldapp.store.core import BULK_BUSY_TIMEOUT_MS, INDEX_VERSION
from fieldapp.store.opening import disk_full, open_error
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
    "open_error",
    "search_body",
    "search_terms",
]


class Store(Operations, SyncState):
    """The laptop's database. Open one per thread; close it when done."""
