"""What the parts of the sync service stand on (``server.service`` composes them): the engine,
settings, forms and clock; a record's current version and a push batch, read up front and written
together; the area scope of a user; the JSON text of documents."""

from __future__ import annotations

import datetime as _dt
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, Engine, false, insert, or_, true
from sqlalchemy.sql.elements import ColumnElement

from fieldapp.forms import FormSet
from fieldapp.sync import protocol as P

from . import db
from .auth import User
from .forms import ServerForms
from .settings import Settings


def scope(col: Any, user: User) -> ColumnElement[bool]:
    """A condition on an area column: within the user's areas (all of them for an admin)."""
    if user.everything:
        return true()
    if not user.areas:
        return false()
    return or_(*[col.startswith(a, autoescape=True) for a in user.areas])


def loads(text: str | None) -> Any:
    """A stored document from its JSON text (None stays None)."""
    return None if text is None else json.loads(text)


def dumps(value: Any) -> str:
    """Compact JSON text, Thai kept as it is (how documents and results are stored)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def strip_derived(doc: dict[str, Any] | None, skip: frozenset[str]) -> dict[str, Any]:
    """A document without its calculated fields (for "did anything change" comparisons)."""
    out: dict[str, Any] = {}
    for k, v in (doc or {}).items():
        if k in skip:
            continue
        if isinstance(v, list) and v and all(isinstance(r, dict) for r in v):
            v = [{ck: cv for ck, cv in r.items() if f"{k}.{ck}" not in skip} for r in v]
        out[k] = v
    return out


@dataclass
class Current:
    rev: int
    deleted: bool
    raw: str | None  # the stored document as JSON text (parsed on first use)
    area: str | None
    form_id: str
    updated_at: str
    updated_by: str

    @cached_property
    def doc(self) -> dict[str, Any] | None:
        return loads(self.raw)


CHUNK = 500  # ids per IN (...) query


@dataclass
class Batch:
    """One push batch: what was read up front, and the rows inserted together at the end.

    ``current`` and ``erased`` are read for every record of the batch in a few queries and kept
    up to date as the batch writes. Inserts into records, revisions, changes and the audit log wait
    in lists and go to the database with one executemany each (``flush``); any read or update that
    could see those tables for a record with waiting rows flushes first, so the order of effects is
    the same as writing each change on its own.
    """

    stored: dict[str, str] = field(default_factory=dict)  # change_id -> stored result JSON
    current: dict[str, Current | None] = field(default_factory=dict)
    erased: set[str] = field(default_factory=set)
    stale: set[str] = field(default_factory=set)  # erasure markers of ids the server never had
    records: list[dict[str, Any]] = field(default_factory=list)
    revisions: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)  # record ids with waiting rows
    device_reused: bool = False  # two databases push with one device id (see Merging._base)
    # (form, repeat, row id) -> the record holding that repeat row, for every row id of the batch
    row_owner: dict[tuple[str, str, str], str] = field(default_factory=dict)
    row_ids: list[dict[str, Any]] = field(default_factory=list)

    def flush(self, conn: Connection) -> None:
        for table, rows in (
            (db.records, self.records),
            (db.revisions, self.revisions),
            (db.changes, self.changes),
            (db.audit_log, self.audit),
            (db.row_ids, self.row_ids),
        ):
            if rows:
                conn.execute(insert(table), rows)
                rows.clear()
        self.touched.clear()

    def flush_for(self, conn: Connection, record_id: str) -> None:
        if record_id in self.touched:
            self.flush(conn)


class ServiceBase:
    """The engine, the settings, the forms and the clock every part of the service uses."""

    def __init__(self, engine: Engine, settings: Settings, forms: FormSet) -> None:
        self.engine = engine
        self.settings = settings
        self.registry = ServerForms(engine, forms)
        self._held = threading.local()

    @property
    def forms(self) -> FormSet:
        """Bundled and installed forms as the database has them (re-read when one is added), or
        the ones held for the write in progress on this thread (:meth:`forms_held`)."""
        held: FormSet | None = getattr(self._held, "forms", None)
        return held if held is not None else self.registry.current()

    @contextmanager
    def forms_held(self) -> Iterator[FormSet]:
        """One view of the forms for a write, read before its transaction begins. Re-reading them
        inside would take a second connection while the first holds the write lock: with every
        pooled connection held by writes waiting for that lock, the holder would wait for a
        connection until the pool gave up, and every write behind it too."""
        forms = self.registry.current()
        outer = getattr(self._held, "forms", None)
        self._held.forms = forms
        try:
            yield forms
        finally:
            self._held.forms = outer

    def now(self) -> str:
        return P.iso(self.settings.clock())

    def _audit_row(
        self, user: User, action: str, form_id: str | None, record_id: str | None, detail: str | None
    ) -> dict[str, Any]:
        """An audit_log row as ``server.auth.audit`` writes it (inserted with the batch)."""
        return {
            "at": self.settings.clock().astimezone(_dt.UTC).isoformat(timespec="milliseconds"),
            "user_name": user.name,
            "action": action,
            "form_id": form_id,
            "record_id": record_id,
            "detail": detail,
        }
