"""The local store: one SQLite file per laptop, through sqlite-utils.

* WAL journal, ``synchronous=FULL``, foreign keys on, a busy timeout.
* Numbered migrations (``fieldapp.migrations``) run when the store opens.
* One table per form with typed columns generated from the form definition, and one child table
  per repeat group (``household__members`` …). New questions add columns; nothing is dropped.
* Every record carries its UUID, form id and version, created/updated at and by, the device id,
  and the sync bookkeeping: the server revision it was last synced at, the synced content (the
  base of a three-way merge), a dirty marker and a tombstone.
* One write path for everyone (``save`` / ``save_many``): validate against the form definition,
  then write the record, its repeat rows and its search entry in one transaction. Invalid data is
  never written, partly or wholly.
* Thai search: FTS5 with the trigram tokenizer; queries shorter than three characters use LIKE.
"""

from __future__ import annotations

import builtins
import errno
import json
import os
import re
import secrets
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import sqlite_utils

from fieldapp import (
    aggregates,
    codegen,
    collate,
    crossrecord,
    crypto,
    geo,
    history,
    installed,
    migrations,
    rounds,
    scoring,
    softwarn,
    thai,
    thaidate,
)
from fieldapp.clock import now_iso
from fieldapp.config import login_name
from fieldapp.device import binding as device_binding
from fieldapp.errors import AccessError, NotFoundError, Problem, StoreError, ValidationError
from fieldapp.forms import Field, Form, FormSet, default_forms, uuid_or_none
from fieldapp.ids import new_id
from fieldapp.schema import CHILD_META, META_COLUMNS

BATCH_SIZE = 500
BULK_BUSY_TIMEOUT_MS = 15 * 60 * 1000
WALK_LIMIT = 5_000  # list pages up to this far may be found by walking the list in order
INDEX_VERSION = 4  # raise when the indexes or triggers made by _ensure_form_tables change

ProgressCallback = Callable[[int, int], None]
CancelCallback = Callable[[], bool]


@dataclass
class Record:
    id: str
    form_id: str
    form_version: str
    data: dict[str, Any]
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str
    device_id: str
    server_rev: int | None = None
    base: dict[str, Any] | None = None
    dirty: bool = True
    deleted: bool = False
    conflict: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "form": self.form_id,
            "version": self.form_version,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "updated_at": self.updated_at,
            "updated_by": self.updated_by,
            "device_id": self.device_id,
            "server_rev": self.server_rev,
            "dirty": self.dirty,
            "deleted": self.deleted,
            "data": self.data,
        }


@dataclass
class Duplicate:
    """A national ID that also appears on another record (flagged, never merged)."""

    path: str
    national_id: str
    other_form: str
    other_record: str
    other_title: str

    def message(self) -> str:
        return (
            f"เลขประจำตัวประชาชน {thai.mask_national_id(self.national_id)} ซ้ำกับ "
            f"{self.other_title or self.other_record} (รหัส {self.other_record})"
        )


@dataclass
class SaveResult:
    record: Record
    created: bool
    warnings: list[Duplicate] = field(default_factory=list)
    soft_warnings: list[softwarn.SoftWarning] = field(default_factory=list)
    """Answers that may be right but need a reason (shown beside the field; never refused)."""


@dataclass
class Batch:
    """Result of ``save_many``: what was written and, per input index, what was wrong."""

    saved: list[SaveResult] = field(default_factory=list)
    errors: dict[int, list[Problem]] = field(default_factory=dict)


@dataclass
class _Prepared:
    """Rows for one batch of validated documents, built before the write lock is taken."""

    ts: str
    user: str
    audit_action: str | None
    ids: list[str]
    docs: list[dict[str, Any]]
    rows: list[list[Any]]
    child_rows: dict[str, list[list[Any]]]
    bodies: list[str]
    synced: bool  # rows end with server_rev and base, and are written clean
    warn: bool  # look for national IDs already on other records


_LOW_SPACE = 256 * 1024  # bytes free under which a failure to open is taken for a full disk


def _existing(path: Path) -> Path:
    for p in (path, *path.parents):
        if p.exists():
            return p
    return path


def disk_full(path: Path) -> bool:
    """True when the disk that holds ``path`` (or would) has (almost) no space left."""
    try:
        return shutil.disk_usage(_existing(path.parent)).free < _LOW_SPACE
    except OSError:
        return False


def _read_only(path: Path) -> bool:
    folder = _existing(path.parent)
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
    except (OSError, AttributeError):  # no statvfs on Windows
        pass
    if path.exists() and not os.access(path, os.W_OK):
        return True
    return not os.access(folder, os.W_OK)


def open_error(path: Path, exc: BaseException) -> StoreError:
    """Why a database cannot be opened, told apart: a folder, a full disk, a read-only file or
    place, or (only when none of these) a damaged file."""
    text = str(exc).lower()
    if path.is_dir():
        return StoreError(
            f"{path} เป็นโฟลเดอร์ ไม่ใช่ไฟล์ฐานข้อมูล กรุณาระบุชื่อไฟล์ เช่น {path / 'fieldapp.db'}",
            f"{path} is a folder, not a database file: give a file name such as {path / 'fieldapp.db'}",
            reason="directory",
        )
    if getattr(exc, "errno", None) == errno.ENOSPC or "full" in text or disk_full(path):
        return StoreError(
            f"ดิสก์เต็ม จึงเปิดฐานข้อมูล {path.name} ไม่ได้ ข้อมูลเดิมยังอยู่ครบ กรุณาลบไฟล์ที่ไม่ใช้แล้วลองใหม่",
            f"the disk is full: cannot open {path} (nothing was changed); free some space and try again",
            reason="disk_full",
        )
    if (
        getattr(exc, "errno", None) in (errno.EROFS, errno.EACCES, errno.EPERM)
        or "readonly" in text
        or _read_only(path)
    ):
        return StoreError(
            f"ฐานข้อมูล {path.name} อยู่ในที่ที่บันทึกไม่ได้ (อ่านได้อย่างเดียว) "
            "กรุณาคัดลอกไปไว้ในโฟลเดอร์ที่บันทึกได้ หรือเปลี่ยนสิทธิ์ของไฟล์",
            f"{path} is read-only (the file, its folder or the disk cannot be written): "
            "copy it to a writable folder or change its permissions",
            reason="read_only",
        )
    if isinstance(exc, OSError):
        return StoreError(
            f"เปิดฐานข้อมูล {path.name} ไม่ได้: {exc.strerror or exc}",
            f"cannot open database {path}: {exc}",
            reason="other",
        )
    return StoreError(
        f"เปิดฐานข้อมูล {path.name} ไม่ได้: ไฟล์อาจเสียหายหรือไม่ใช่ฐานข้อมูลของโปรแกรม",
        f"cannot open database {path}: {exc}",
        reason="damaged",
    )


class Store:
    """The laptop's database. Open one per thread; close it when done."""

    def __init__(
        self,
        path: str | Path,
        *,
        forms: FormSet | None = None,
        user: str | None = None,
        create: bool = True,
        key: bytes | None = None,
        passphrase: str | None = None,
    ) -> None:
        self.path = Path(path)
        if not create and not self.path.exists():
            raise StoreError(
                f"ไม่พบฐานข้อมูล {self.path}", f"database {self.path} does not exist", reason="missing"
            )
        if self.path.is_dir():
            raise open_error(self.path, IsADirectoryError(self.path))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise open_error(self.path, exc) from exc
        self.forms = forms or default_forms()
        self.user = user or login_name()  # the entry points pass --user / FIELDAPP_USER
        # encryption at rest (fieldapp.crypto): a plain database opens as before
        self.role: str | None = None
        self.data_key: bytes | None = None
        if str(self.path) != ":memory:":
            key = self._unlock(user, key, passphrase)
        self.data_key = key
        try:
            conn = crypto.connect(self.path, key, isolation_level=None, timeout=10.0)
            conn.execute("PRAGMA busy_timeout = 10000")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA schema_version").fetchone()
        except sqlite3.DatabaseError as exc:
            error = open_error(self.path, exc)
            if key is not None and error.reason == "damaged":
                raise crypto.damaged_database(self.path, exc) from exc
            raise error from exc
        if mode.lower() != "wal" and str(self.path) != ":memory:":
            raise StoreError("ฐานข้อมูลไม่รองรับโหมด WAL", f"WAL journal not available ({mode})")
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        try:
            # an existing database is backed up before pending migrations change it (fieldapp.backup)
            from fieldapp import backup

            backup.before_migrations(
                conn, self.path, bool(migrations.migrations.pending(self.db)), getattr(self, "data_key", None)
            )
            migrations.apply(self.db)
            self._base_forms = self.forms
            self.forms = installed.with_installed(conn, self.forms)  # forms installed in this database
            self._ensure_form_tables()
        except (sqlite3.DatabaseError, OSError) as exc:
            conn.close()
            error = open_error(self.path, exc)
            if error.reason != "damaged":
                raise error from exc
            raise StoreError(
                f"ปรับปรุงโครงสร้างฐานข้อมูล {self.path.name} ไม่ได้",
                f"cannot migrate database {self.path}: {exc}",
            ) from exc
        try:
            self.device_id = self._device()
        except sqlite3.DatabaseError as exc:  # a read-only or full place: said as when opening
            conn.close()
            raise open_error(self.path, exc) from exc
        from fieldapp import audit as _audit

        _audit.protect(conn)

    def _unlock(self, user: str | None, key: bytes | None, passphrase: str | None) -> bytes | None:
        """The data key to open this database with (None for a plain one); see fieldapp.crypto."""
        if crypto.keys_path(self.path).exists() and not self.path.exists():
            raise StoreError(
                f"ไม่พบไฟล์ฐานข้อมูล {self.path.name} แต่มีไฟล์กุญแจอยู่ จะไม่สร้างฐานข้อมูลใหม่ทับ",
                f"database {self.path} is missing but its key file exists: not creating a new one",
            )
        if passphrase is not None:
            found = crypto.unlock(self.path, passphrase, user)
            self.user = user or found.user
            self.role = found.role
            return found.key
        if key is None and crypto.is_encrypted(self.path):
            key = crypto.key_for(self.path)
            if key is None:
                raise AccessError(
                    f"ฐานข้อมูล {self.path.name} เข้ารหัสไว้ กรุณาเข้าสู่ระบบด้วยรหัสผ่าน",
                    f"database {self.path} is encrypted: give the passphrase (FIELDAPP_PASSPHRASE or the prompt)",
                )
        if key is not None:
            if crypto.is_plain_sqlite(self.path):
                key = None  # an encryption that stopped before the swap: the plain file is the database
            else:
                crypto.remember(self.path, key)
                kf = crypto.keys_path(self.path)
                if kf.exists() and self.role is None:
                    for u in crypto.KeyFile.load(self.path).users():
                        if u["user"] == self.user:
                            self.role = u["role"]
        return key

    @property
    def encrypted(self) -> bool:
        return self.data_key is not None

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
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
                f.id: [f.version, f.columns(), {r.id: _child_columns(r) for r in f.repeats()}]
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
                        _child_columns(rep),
                    )
                    self.conn.execute(
                        f"CREATE INDEX IF NOT EXISTS [{ct}_parent] ON [{ct}](parent_id, position)"
                    )
                    for c in rep.fields:
                        if c.type in ("national_id", "reference"):
                            self.conn.execute(f"CREATE INDEX IF NOT EXISTS [{ct}_{c.id}] ON [{ct}]([{c.id}])")
            # counts for the area tree and statistics, kept by triggers (recounted once here)
            aggregates.install(self.conn, self.forms, recount=True)
            self._meta_set("form_schema", fingerprint)

    def _ensure_table(self, name: str, meta: list[tuple[str, str]], cols: list[tuple[str, str]]) -> None:
        if not self.db[name].exists():
            body = ", ".join(f"[{n}] {t}" for n, t in [*meta, *cols])
            self.conn.execute(f"CREATE TABLE [{name}] ({body})")
            return
        existing = {c.name for c in self.db.table(name).columns}
        for n, t in cols:
            if n not in existing:
                self.conn.execute(f"ALTER TABLE [{name}] ADD COLUMN [{n}] {t}")

    # ------------------------------------------------------------------ writing

    def form(self, form_id: str) -> Form:
        return self.forms[form_id]

    def save(
        self,
        form_id: str,
        data: dict[str, Any],
        *,
        record_id: str | None = None,
        user: str | None = None,
        partial_ok: bool = False,
        check_refs: bool = True,
    ) -> SaveResult:
        """Validate and write one record (create or update). Raises ValidationError."""
        batch = self.save_many(
            form_id, [(record_id, data)], user=user, partial_ok=partial_ok, check_refs=check_refs
        )
        if batch.errors:
            raise ValidationError.from_problems(batch.errors[0])
        saved = batch.saved[0]
        saved.soft_warnings = self.soft_warnings(form_id, saved.record.data)
        return saved

    def save_many(
        self,
        form_id: str,
        items: Iterable[tuple[str | None, dict[str, Any]]],
        *,
        user: str | None = None,
        partial_ok: bool = False,
        check_refs: bool = True,
        all_or_nothing: bool = True,
        progress: ProgressCallback | None = None,
        cancel: CancelCallback | None = None,
        total: int | None = None,
        batch_size: int = BATCH_SIZE,
        audit_action: str | None = None,
        synced: dict[str, tuple[int, dict[str, Any] | None]] | None = None,
        computed: bool = False,
        scored: bool = False,
        warn: bool = True,
    ) -> Batch:
        """Validate and write many records; each batch of ``batch_size`` in one transaction.

        With ``all_or_nothing`` (the default) any invalid record stops the whole call before
        anything is written. Otherwise valid records are written and invalid ones reported in
        ``Batch.errors`` by input index. ``cancel`` is checked between batches.

        ``synced`` (record id → server revision and content) writes records pulled from the
        server as synced in the same statement (as ``mark_synced`` would after the save); every
        record id must be in it. ``computed``: the records were validated and calculated with
        this same form version, ``scored`` their scores with the same rubric (see
        ``Form.validate``). ``warn``: look for national IDs already on
        other records (``SaveResult.warnings``, shown by the editor); demo, import and pull, which
        do not show them, leave it off.
        """
        form = self.form(form_id)
        who = user or self.user
        result = Batch()
        pending: list[tuple[int, str | None, dict[str, Any]]] = []
        done = 0
        # most databases have no erasures at all: then no record needs looking up there
        erasures = self.conn.execute("SELECT 1 FROM erasures LIMIT 1").fetchone() is not None
        if all_or_nothing:
            items = list(items)
            total = len(items)
            # validate everything first: nothing is written if any record is invalid
            cleaned: list[tuple[int, str | None, dict[str, Any]]] = []
            for i, (rid, raw) in enumerate(items):
                doc, problems = form.validate(raw, partial_ok=partial_ok, computed=computed, scored=scored)
                problems += self._record_problems(form, doc, rid, check_refs, erasures)
                if problems:
                    result.errors[i] = problems
                else:
                    cleaned.append((i, rid, doc))
            if result.errors:
                return result
            for start in range(0, len(cleaned), batch_size):
                if cancel and cancel():
                    break
                chunk = cleaned[start : start + batch_size]
                prep = self._prepare(form, chunk, who, audit_action, synced, warn)
                with self.transaction():
                    result.saved.extend(self._write(form, prep))
                done += len(chunk)
                if progress:
                    progress(done, total)
            return result
        for i, (rid, raw) in enumerate(items):
            doc, problems = form.validate(raw, partial_ok=partial_ok, computed=computed, scored=scored)
            problems += self._record_problems(form, doc, rid, check_refs, erasures)
            if problems:
                result.errors[i] = problems
            else:
                pending.append((i, rid, doc))
            if len(pending) >= batch_size:
                if cancel and cancel():
                    return result
                prep = self._prepare(form, pending, who, audit_action, synced, warn)
                with self.transaction():
                    result.saved.extend(self._write(form, prep))
                done += len(pending)
                pending = []
                if progress:
                    progress(done, total or 0)
        if pending and not (cancel and cancel()):
            prep = self._prepare(form, pending, who, audit_action, synced, warn)
            with self.transaction():
                result.saved.extend(self._write(form, prep))
            done += len(pending)
            if progress:
                progress(done, total or done)
        return result

    def _record_problems(
        self,
        form: Form,
        doc: dict[str, Any],
        record_id: str | None,
        check_refs: bool,
        erasures: bool = True,
    ) -> list[Problem]:
        problems: list[Problem] = []
        if record_id is not None:
            canonical = uuid_or_none(str(record_id))
            if canonical is None:
                problems.append(Problem("id", "รหัสระเบียนไม่ถูกต้อง", "record id must be a UUID", "type"))
            elif erasures:
                if self.conn.execute(
                    "SELECT 1 FROM erasures WHERE record_id = ?", [canonical]
                ).fetchone():  # erased at the household's request (fieldapp.rights): never back
                    problems.append(
                        Problem(
                            "id",
                            "ข้อมูลของระเบียนนี้ถูกลบตามคำขอของเจ้าของข้อมูลแล้ว แก้ไขหรือนำกลับมาไม่ได้",
                            "the record was erased at the data subject's request and cannot come back",
                            "erased",
                        )
                    )
        for rep in form.repeats():
            for c in rep.fields:
                if c.type != "national_id":
                    continue
                seen: dict[str, int] = {}
                for i, row in enumerate(doc.get(rep.id) or []):
                    nid = row.get(c.id)
                    if not nid:
                        continue
                    if nid in seen:
                        problems.append(
                            Problem(
                                f"{rep.id}[{i + 1}].{c.id}",
                                f"เลขประจำตัวประชาชน {thai.mask_national_id(nid)} ซ้ำกับสมาชิกลำดับที่ "
                                f"{seen[nid] + 1} ในครัวเรือนเดียวกัน",
                                f"national ID repeated within the record (row {seen[nid] + 1})",
                                "duplicate",
                            )
                        )
                    else:
                        seen[nid] = i
        if check_refs:
            problems += self._reference_problems(form, doc)
            if form.id in ("referral", "business"):
                known = {p.path for p in problems}
                problems += [
                    p
                    for p in crossrecord.check(form.id, doc, self._household_facts)[0]
                    if p.path not in known
                ]
            if form.rounds:
                prev = form.rounds["previous"]
                if doc.get(prev) and self.conn.execute(
                    f"SELECT 1 FROM [{form.table}] WHERE id = ?", [str(doc[prev])]
                ).fetchone():  # a deleted (or erased) previous round stays a link: the chain ends there
                    problems = [p for p in problems if not (p.path == prev and p.code == "reference")]
                known = {p.path for p in problems}
                rid = uuid_or_none(str(record_id)) if record_id is not None else None
                problems += [p for p in self._round_problems(form, rid, doc) if p.path not in known]
        return problems

    def _round_problems(self, form: Form, record_id: str | None, doc: dict[str, Any]) -> list[Problem]:
        """The link of a record to its previous round (``fieldapp.crossrecord.check_round``)."""
        assert form.rounds is not None
        area = form.area_field

        def lookup(rid: str) -> crossrecord.HouseholdFacts | None:
            sql = f"SELECT {f'[{area}]' if area else 'NULL'}, deleted FROM [{form.table}] WHERE id = ?"
            row = self.conn.execute(sql, [rid]).fetchone()
            if row is None:
                return None
            return crossrecord.HouseholdFacts(None if row[1] else row[0])  # deleted: no area to compare

        return crossrecord.check_round(
            record_id, doc, form.rounds["previous"], lookup, lambda pid, _me: self.next_rounds(form.id, pid)
        )

    def _household_facts(self, household_id: str) -> crossrecord.HouseholdFacts | None:
        """What the cross-record rules need of a stored household (None when there is none)."""
        if "household" not in self.forms.forms:
            return None
        row = self.conn.execute(
            "SELECT subdistrict_code FROM household WHERE id = ? AND deleted = 0", [household_id]
        ).fetchone()
        if row is None:
            return None
        members: dict[str, int | None] = {}
        names: dict[str, str] = {}
        for mid, age, first, last in self.conn.execute(
            "SELECT id, age, first_name, last_name FROM household__members WHERE parent_id = ?",
            [household_id],
        ):
            members[mid] = int(age) if age is not None else None
            names[mid] = f"{first or ''} {last or ''}".strip()
        return crossrecord.HouseholdFacts(row[0], members, names)

    def soft_warnings(self, form_id: str, doc: dict[str, Any]) -> builtins.list[softwarn.SoftWarning]:
        """The soft warnings of a record, each with the reason given for it (or None): the
        form's plausible ranges and the cross-record ones; never a reason to refuse the record."""
        form = self.form(form_id)
        out = softwarn.evaluate(form, doc)
        if form.id in ("referral", "business"):
            out += softwarn.from_problems(crossrecord.check(form.id, doc, self._household_facts)[1], doc)
        return out

    def _reference_problems(self, form: Form, doc: dict[str, Any]) -> list[Problem]:
        problems: list[Problem] = []

        def check(f: Field, value: Any, path: str) -> None:
            if not value:
                return
            target, _, rep = (f.ref or "").partition(".")
            tform = self.forms[target]
            if rep:
                sql = (
                    f"SELECT 1 FROM [{tform.child_table(rep)}] c JOIN [{tform.table}] p ON p.id = c.parent_id "
                    "WHERE c.id = ? AND p.deleted = 0"
                )
            else:
                sql = f"SELECT 1 FROM [{tform.table}] WHERE id = ? AND deleted = 0"
            if self.conn.execute(sql, [value]).fetchone() is None:
                problems.append(
                    Problem(
                        path,
                        f"{f.label_for('th')}: ไม่พบระเบียนที่อ้างถึง",
                        f"{f.id}: referenced record not found",
                        "reference",
                    )
                )

        for f in form.fields.values():
            if f.type == "reference":
                check(f, doc.get(f.id), f.id)
            elif f.type == "repeat":
                for c in f.fields:
                    if c.type == "reference":
                        for i, row in enumerate(doc.get(f.id) or []):
                            check(c, row.get(c.id), f"{f.id}[{i + 1}].{c.id}")
        return problems

    def _prepare(
        self,
        form: Form,
        items: list[tuple[int, str | None, dict[str, Any]]],
        user: str,
        audit_action: str | None,
        synced: dict[str, tuple[int, dict[str, Any] | None]] | None = None,
        warn: bool = True,
    ) -> _Prepared:
        """Everything a write needs that does not read the database: done before the write
        lock is taken, so another process writing the same file waits less."""
        ts = now_iso()
        values = _value_plan(tuple(form.fields.values()))
        rep_values = [(rep.id, _value_plan(tuple(rep.fields))) for rep in form.repeats()]
        title_field = form.title_field
        rows: list[list[Any]] = []
        child_rows: dict[str, list[list[Any]]] = {rep.id: [] for rep in form.repeats()}
        record_ids: list[str] = []
        docs: list[dict[str, Any]] = []
        for _, rid, doc in items:
            record_id = str(uuid.UUID(rid)) if rid else new_id()
            title = doc.get(title_field) if title_field else None
            # created_at/created_by (3, 4) are those of a record already stored, set in _write
            row = [
                record_id,
                form.id,
                form.version,
                ts,
                user,
                ts,
                user,
                self.device_id,
                1,
                collate.sort_key(expr_text(title)),
                *values(doc),
            ]
            rows.append(row)
            if synced is not None:  # pulled: clean, at the server's revision, with its content
                rev, base = synced[rid or record_id]
                row[8] = 0
                row += [rev, base_text(base)]
            for rep_id, rep_fn in rep_values:
                rows_out = child_rows[rep_id]
                for pos, r in enumerate(doc.get(rep_id) or []):
                    rows_out.append([r["id"], record_id, pos, *rep_fn(r)])
            record_ids.append(record_id)
            docs.append(doc)
        bodies = [search_body(form, doc) for doc in docs] if form.search else []
        return _Prepared(
            ts, user, audit_action, record_ids, docs, rows, child_rows, bodies, synced is not None, warn
        )

    def _write(self, form: Form, prep: _Prepared) -> list[SaveResult]:
        """Write prepared documents; the caller holds the transaction."""
        ts, user = prep.ts, prep.user
        t = form.table
        cols = form.columns()
        field_names = [n for n, _ in cols]
        all_cols = [
            "id",
            "form_id",
            "form_version",
            "created_at",
            "created_by",
            "updated_at",
            "updated_by",
            "device_id",
            "dirty",
            "title_sort",
            *field_names,
            *(["server_rev", "base"] if prep.synced else []),
        ]
        placeholders = ", ".join("?" for _ in all_cols)
        update_cols = [c for c in all_cols if c not in ("id", "created_at", "created_by")]
        sql = (
            f"INSERT INTO [{t}] ({', '.join(f'[{c}]' for c in all_cols)}) VALUES ({placeholders}) "
            f"ON CONFLICT(id) DO UPDATE SET {', '.join(f'[{c}] = excluded.[{c}]' for c in update_cols)}, "
            "deleted = 0, deleted_at = NULL, deleted_by = NULL" + (", conflict = NULL" if prep.synced else "")
        )
        existing: dict[str, tuple[str, str, int]] = {}
        for chunk in _chunks(prep.ids, 500):
            q = f"SELECT id, created_at, created_by, deleted FROM [{t}] WHERE id IN ({','.join('?' * len(chunk))})"
            for row in self.conn.execute(q, chunk):
                existing[row[0]] = (row[1], row[2], row[3])
        history.record(  # old → new of every updated record, before it is overwritten
            self.conn,
            form,
            [(rid, doc) for rid, doc in zip(prep.ids, prep.docs, strict=True) if rid in existing],
            at=ts,
            user=user,
            device_id=self.device_id,
            audit_action=prep.audit_action,
        )
        results: list[SaveResult] = []
        audit: list[list[Any]] = []
        for record_id, doc, row in zip(prep.ids, prep.docs, prep.rows, strict=True):
            prior = existing.get(record_id)
            created_at, created_by = (prior[0], prior[1]) if prior else (ts, user)
            row[3], row[4] = created_at, created_by
            record = Record(
                record_id, form.id, form.version, doc, created_at, created_by, ts, user, self.device_id
            )
            results.append(SaveResult(record, prior is None))
            audit.append(
                [
                    ts,
                    user,
                    self.device_id,
                    prep.audit_action or ("create" if prior is None else "update"),
                    form.id,
                    record_id,
                    None,
                ]
            )
        self.conn.executemany(sql, prep.rows)
        updated_ids = [r.record.id for r in results if not r.created]
        for rep in form.repeats():
            ct = form.child_table(rep)
            for chunk in _chunks(updated_ids, 500):
                self.conn.execute(
                    f"DELETE FROM [{ct}] WHERE parent_id IN ({','.join('?' * len(chunk))})", chunk
                )
            names = ["id", "parent_id", "position", *[n for n, _ in _child_columns(rep)]]
            if prep.child_rows[rep.id]:
                self.conn.executemany(
                    f"INSERT INTO [{ct}] ({', '.join(f'[{n}]' for n in names)}) "
                    f"VALUES ({', '.join('?' for _ in names)})",
                    prep.child_rows[rep.id],
                )
        self._index(form, prep.ids, prep.bodies)
        self.conn.executemany(
            "INSERT INTO audit_log(at, user, device_id, action, form_id, record_id, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            audit,
        )
        if prep.warn:
            dups = self._duplicates(form, list(zip(prep.ids, prep.docs, strict=True)))
            for r in results:
                r.warnings = dups.get(r.record.id, [])
        return results

    def _index(self, form: Form, ids: list[str], bodies: list[str]) -> None:
        """Put the search bodies of records ``ids`` into the full-text index (replacing theirs)."""
        if not form.search:
            return
        known: dict[str, int] = {}
        for chunk in _chunks(ids, 500):
            q = f"SELECT record_id, rowid FROM search_doc WHERE record_id IN ({','.join('?' * len(chunk))})"
            known.update({r[0]: r[1] for r in self.conn.execute(q, chunk)})
        if known:
            self._drop_text(builtins.list(known.values()))
        new = [[form.id, rid] for rid in ids if rid not in known]
        if new:
            self.conn.executemany("INSERT INTO search_doc(form_id, record_id) VALUES (?, ?)", new)
            for chunk in _chunks([rid for _, rid in new], 500):
                q = f"SELECT record_id, rowid FROM search_doc WHERE record_id IN ({','.join('?' * len(chunk))})"
                known.update({r[0]: r[1] for r in self.conn.execute(q, chunk)})
        docs = [[known[rid], body] for rid, body in zip(ids, bodies, strict=True)]
        self.conn.executemany("INSERT INTO search_fts(rowid, body) VALUES (?, ?)", docs)
        self.conn.executemany("INSERT INTO search_words(rowid, body) VALUES (?, ?)", docs)

    def _drop_text(self, rowids: builtins.list[int]) -> None:
        """Remove documents from both full-text indexes (the word index needs the old text first)."""
        for chunk in _chunks(rowids, 500):
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

    def delete(self, form_id: str, record_id: str, *, user: str | None = None) -> None:
        """Tombstone a record: it disappears from lists and search but its row stays."""
        form = self.form(form_id)
        who = user or self.user
        ts = now_iso()
        with self.transaction():
            cur = self.conn.execute(
                f"UPDATE [{form.table}] SET deleted = 1, deleted_at = ?, deleted_by = ?, dirty = 1, "
                "updated_at = ?, updated_by = ? WHERE id = ? AND deleted = 0",
                [ts, who, ts, who, record_id],
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"ไม่พบระเบียน {record_id}", f"no {form_id} record {record_id}")
            self.unindex(record_id)
            self.audit("delete", form_id, record_id, user=who)

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

    # ------------------------------------------------------------------ reading

    def get(self, form_id: str, record_id: str, *, include_deleted: bool = False) -> Record:
        form = self.form(form_id)
        cur = self.conn.execute(f"SELECT * FROM [{form.table}] WHERE id = ?", [record_id])
        names = [d[0] for d in cur.description]
        row = cur.fetchone()
        if row is None or (row[names.index("deleted")] and not include_deleted):
            raise NotFoundError(f"ไม่พบระเบียน {record_id}", f"no {form_id} record {record_id}")
        values = dict(zip(names, row, strict=True))
        data = _doc_from_columns(form.fields.values(), values)
        for rep in form.repeats():
            ccur = self.conn.execute(
                f"SELECT * FROM [{form.child_table(rep)}] WHERE parent_id = ? ORDER BY position", [record_id]
            )
            cnames = [d[0] for d in ccur.description]
            data[rep.id] = [
                {"id": r[0], **_doc_from_columns(rep.fields, dict(zip(cnames, r, strict=True)))} for r in ccur
            ]
        return _record(form, values, data)

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
        if area:
            codes = [area] if isinstance(area, str) else list(area)
            if not form.area_field:
                raise ValidationError("แบบฟอร์มนี้ไม่มีพื้นที่", f"form {form.id} has no area field")
            parts = []
            for code in codes:
                c = geo.check_area_code(code)
                parts.append(f"([{form.area_field}] >= ? AND [{form.area_field}] < ?)")
                params += [c, c + ":"]
            clauses.append("(" + " OR ".join(parts) + ")")
        if search and search.strip():
            sub, sparams = self._search_sql(search, form.id)
            if sub is None:
                clauses.append("0")
            elif walk and self._search_is_dense(form, search):
                test, tparams = self._search_exists(form, search)
                clauses.append(test)
                params += tparams
            else:
                clauses.append(f"id IN ({sub})")
                params += sparams
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
            elif f.value_type == "select_multiple":
                clauses.append(f"EXISTS (SELECT 1 FROM json_each([{key}]) WHERE value = ?)")
                params.append(str(value))
            elif isinstance(value, (list, tuple)):
                clauses.append(f"[{key}] IN ({','.join('?' * len(value))})")
                params += [_sql_value(v) for v in value]
            else:
                clauses.append(f"[{key}] = ?")
                params.append(_sql_value(value))
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
            item = {"id": values["id"], **_doc_from_columns(fields, values)}
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
        where, params = self._where(
            form, search=search, area=area, filters=filters, include_deleted=include_deleted
        )
        if not (search and search.strip()) and not filters and not include_deleted:
            return aggregates.total(self.conn, form.id, area=area)
        if search and search.strip() and not area and not filters and not include_deleted:
            # the search index holds live records only: count there, without reading the records
            sub, sparams = self._search_sql(search, form.id)
            if sub is None:
                return 0
            return int(self.conn.execute(f"SELECT count(*) FROM ({sub})", sparams).fetchone()[0])
        return int(
            self.conn.execute(f"SELECT count(*) FROM [{form.table}] WHERE {where}", params).fetchone()[0]
        )

    # ------------------------------------------------------------------ search

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
        clauses = [f"rowid IN (SELECT rowid FROM {table} WHERE {table} MATCH ?)" for table, _ in parts]
        params: builtins.list[Any] = [match for _, match in parts]
        sql = f"SELECT d.record_id FROM search_doc d WHERE {' AND '.join(clauses)}"
        if form_id:
            sql += " AND d.form_id = ?"
            params.append(form_id)
        return sql, params

    def _search_is_dense(self, form: Form, text: str) -> bool:
        """Whether a query matches so many records that a list page is found faster by walking the
        list in its order and testing each record (a few hundred index seeks) than by gathering
        every match first. The balance point (measured at a million households: a seek ~45 µs, a
        gathered match ~1.7 µs, 50 rows a page) is about sqrt(1300 × records)."""
        parts = self._search_parts(text)
        if not parts:
            return False
        hits = min(
            int(
                self.conn.execute(f"SELECT count(*) FROM {table} WHERE {table} MATCH ?", [match]).fetchone()[
                    0
                ]
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
                person = _person_column(form, rep)
                wanted: dict[str, builtins.list[tuple[str, str, str]]] = {}
                for record_id, doc in docs:
                    for i, row in enumerate(doc.get(rep.id) or []):
                        nid = row.get(c.id)
                        if nid:
                            key = rounds.person_key(form, row) if person else ""
                            wanted.setdefault(nid, []).append((record_id, f"{rep.id}[{i + 1}].{c.id}", key))
                for chunk in _chunks(builtins.list(wanted), 500):
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
                    person = _person_column(form, rep) or "p.id"
                    q = (
                        f"SELECT c.[{c.id}], group_concat(DISTINCT p.id) FROM [{form.child_table(rep)}] c "
                        f"JOIN [{form.table}] p ON p.id = c.parent_id WHERE p.deleted = 0 AND c.[{c.id}] IS NOT NULL "
                        f"GROUP BY c.[{c.id}] HAVING count(DISTINCT {person}) > 1"
                    )
                    for nid, ids in self.conn.execute(q):
                        out.append({"form": form.id, "national_id": nid, "records": ids.split(",")})
        return out

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
        of a million households answers without a scan; only unsynced rows are counted directly."""
        out: dict[str, Any] = {"forms": {}, "areas": {}}
        if area:
            geo.check_area_code(area)
        for form in self.forms:
            where, params = self._where(form, search=None, area=area, filters=None, include_deleted=False)
            t = form.table
            n = aggregates.total(self.conn, form.id, area=area)
            unsynced = self.conn.execute(
                f"SELECT count(*) FROM [{t}] WHERE dirty = 1 AND {where}", params
            ).fetchone()[0]
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
        for form in self.forms:
            problems += aggregates.drift(self.conn, form)
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

    # ---- sync bookkeeping
    # Used by fieldapp.sync (client side of the sync protocol). Each record row carries the server
    # revision it was last synced at (server_rev), the synced document (base, the common ancestor
    # of a three-way merge), a dirty marker for unsynced local changes and any open conflict.

    def sync_meta(self, key: str) -> str | None:
        return self._meta_get(f"sync.{key}")

    def set_sync_meta(self, key: str, value: str | None) -> None:
        """Set (or, with None, remove) one sync setting such as the pull cursor."""
        if value is None:
            self.conn.execute("DELETE FROM meta WHERE key = ?", [f"sync.{key}"])
        else:
            self._meta_set(f"sync.{key}", value)

    def dirty_counts(self, form_id: str) -> tuple[int, int]:
        """(records with unsynced changes, of which in conflict), counted through the dirty index."""
        form = self.form(form_id)
        t = form.table
        dirty = self.conn.execute(f"SELECT count(*) FROM [{t}] WHERE dirty = 1").fetchone()[0]
        conflicted = self.conn.execute(
            f"SELECT count(*) FROM [{t}] INDEXED BY [{t}_conflict] WHERE conflict IS NOT NULL AND dirty = 1"
        ).fetchone()[0]
        return int(dirty), int(conflicted)

    def dirty_photo_refs(self, form_id: str) -> set[str]:
        """The photos (SHA-256) that live records with unsynced changes refer to, read from their
        photo columns without loading the records."""
        form = self.form(form_id)
        t = form.table
        refs: set[str] = set()
        for f in form.fields.values():
            if f.kind.attachment and f.parent is None:
                q = f"SELECT DISTINCT [{f.id}] FROM [{t}] WHERE dirty = 1 AND deleted = 0 AND [{f.id}] IS NOT NULL"
                refs.update(str(r[0]) for r in self.conn.execute(q) if r[0])
        for rep in form.repeats():
            for c in rep.fields:
                if c.kind.attachment:
                    q = (
                        f"SELECT DISTINCT c.[{c.id}] FROM [{form.child_table(rep)}] c JOIN [{t}] p ON p.id = c.parent_id "
                        f"WHERE p.dirty = 1 AND p.deleted = 0 AND c.[{c.id}] IS NOT NULL"
                    )
                    refs.update(str(r[0]) for r in self.conn.execute(q) if r[0])
        return refs

    def dirty_rows(self, form_id: str) -> builtins.list[dict[str, Any]]:
        """Records with unsynced changes: id, server_rev, deleted, updated_at/by, has_conflict."""
        form = self.form(form_id)
        cur = self.conn.execute(
            f"SELECT id, server_rev, deleted, updated_at, updated_by, conflict IS NOT NULL "
            f"FROM [{form.table}] WHERE dirty = 1 ORDER BY updated_at, id"
        )
        keys = ["id", "server_rev", "deleted", "updated_at", "updated_by", "has_conflict"]
        return [dict(zip(keys, row, strict=True)) for row in cur]

    def sync_state(self, form_id: str, record_id: str) -> dict[str, Any] | None:
        """server_rev, dirty, deleted, updated_at and conflict of one record (None if absent)."""
        form = self.form(form_id)
        row = self.conn.execute(
            f"SELECT server_rev, dirty, deleted, updated_at, conflict FROM [{form.table}] WHERE id = ?",
            [record_id],
        ).fetchone()
        if row is None:
            return None
        return {
            "server_rev": row[0],
            "dirty": bool(row[1]),
            "deleted": bool(row[2]),
            "updated_at": row[3],
            "conflict": json.loads(row[4]) if row[4] else None,
        }

    def sync_states(self, form_id: str, record_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``sync_state`` of many records at once (absent records are left out)."""
        form = self.form(form_id)
        out: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(builtins.list(record_ids), 500):
            for row in self.conn.execute(
                f"SELECT id, server_rev, dirty, deleted, updated_at, conflict FROM [{form.table}] "
                f"WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                out[row[0]] = {
                    "server_rev": row[1],
                    "dirty": bool(row[2]),
                    "deleted": bool(row[3]),
                    "updated_at": row[4],
                    "conflict": json.loads(row[5]) if row[5] else None,
                }
        return out

    def records_for_sync(self, form_id: str, record_ids: Iterable[str]) -> dict[str, Record]:
        """Many records (tombstones included) read at once, as ``get`` reads one."""
        form = self.form(form_id)
        out: dict[str, Record] = {}
        for chunk in _chunks(builtins.list(record_ids), 500):
            marks = ",".join("?" * len(chunk))
            cur = self.conn.execute(f"SELECT * FROM [{form.table}] WHERE id IN ({marks})", chunk)
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, row, strict=True)) for row in cur]
            children: dict[str, dict[str, builtins.list[dict[str, Any]]]] = {}
            for rep in form.repeats():
                ccur = self.conn.execute(
                    f"SELECT * FROM [{form.child_table(rep)}] WHERE parent_id IN ({marks}) "
                    "ORDER BY parent_id, position",
                    chunk,
                )
                cnames = [d[0] for d in ccur.description]
                pi = cnames.index("parent_id")
                by_parent = children.setdefault(rep.id, {})
                for r in ccur:
                    by_parent.setdefault(r[pi], []).append(
                        {"id": r[0], **_doc_from_columns(rep.fields, dict(zip(cnames, r, strict=True)))}
                    )
            for values in rows:
                rid = values["id"]
                data = _doc_from_columns(form.fields.values(), values)
                for rep in form.repeats():
                    data[rep.id] = children.get(rep.id, {}).get(rid, [])
                out[rid] = _record(form, values, data)
        return out

    def mark_synced_many(
        self,
        form_id: str,
        items: Iterable[tuple[str, int | None, dict[str, Any] | None, str | None]],
    ) -> None:
        """``mark_synced`` for many (record_id, server_rev, base, if_updated_at) at once."""
        form = self.form(form_id)
        self.conn.executemany(
            f"UPDATE [{form.table}] SET dirty = CASE WHEN ? IS NULL OR updated_at = ? THEN 0 ELSE dirty END, "
            "server_rev = ?, base = ?, conflict = NULL WHERE id = ?",
            [
                (
                    when,
                    when,
                    rev,
                    base_text(base),
                    rid,
                )
                for rid, rev, base, when in items
            ],
        )

    def note_sent(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Remember (record_id, change_id) of changes about to be pushed, until their answer is stored."""
        self.conn.executemany("INSERT OR IGNORE INTO sync_sent(record_id, change_id) VALUES (?, ?)", pairs)

    def sent_changes(self, record_ids: Iterable[str]) -> dict[str, builtins.list[str]]:
        """The change ids pushed for these records whose answers were never stored."""
        out: dict[str, builtins.list[str]] = {}
        for chunk in _chunks(builtins.list(record_ids), 500):
            for rid, cid in self.conn.execute(
                f"SELECT record_id, change_id FROM sync_sent WHERE record_id IN ({','.join('?' * len(chunk))}) "
                "ORDER BY rowid",
                chunk,
            ):
                out.setdefault(rid, []).append(cid)
        return out

    def forget_sent(self, record_ids: Iterable[str]) -> None:
        """The answers for these records are stored: their earlier pushes need no more remembering."""
        self.conn.executemany("DELETE FROM sync_sent WHERE record_id = ?", [(r,) for r in record_ids])

    def set_aside(
        self, form_id: str, record_id: str, rev: int | None, reason: str, item: dict[str, Any]
    ) -> None:
        """Keep a pulled record this laptop cannot store, with the reason (see ``set_aside_records``)."""
        self.conn.execute(
            "INSERT INTO sync_set_aside(record_id, form_id, rev, reason, item, at) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(record_id) DO UPDATE SET form_id = excluded.form_id, rev = excluded.rev, "
            "reason = excluded.reason, item = excluded.item, at = excluded.at",
            [record_id, form_id, rev, reason, json.dumps(item, ensure_ascii=False), now_iso()],
        )

    def set_aside_records(self, *, with_items: bool = False) -> builtins.list[dict[str, Any]]:
        """Pulled records set aside: form, record_id, rev, reason, at (and the record, on request)."""
        out = []
        for rid, form_id, rev, reason, item, at in self.conn.execute(
            "SELECT record_id, form_id, rev, reason, item, at FROM sync_set_aside ORDER BY at, record_id"
        ):
            row = {"form": form_id, "record_id": rid, "rev": rev, "reason": reason, "at": at}
            if with_items:
                row["item"] = json.loads(item)
            out.append(row)
        return out

    def drop_set_aside(self, record_ids: Iterable[str]) -> None:
        """Forget set-aside copies of these records (stored now, or replaced by a newer version)."""
        if self.conn.execute("SELECT 1 FROM sync_set_aside LIMIT 1").fetchone() is None:
            return
        self.conn.executemany("DELETE FROM sync_set_aside WHERE record_id = ?", [(r,) for r in record_ids])

    def clear_rejections(self, record_ids: Iterable[str]) -> None:
        """``set_rejection(…, None)`` for many records at once."""
        self.conn.executemany("DELETE FROM sync_rejections WHERE record_id = ?", [(r,) for r in record_ids])

    def mark_synced(
        self,
        form_id: str,
        record_id: str,
        *,
        server_rev: int | None,
        base: dict[str, Any] | None,
        if_updated_at: str | None = None,
    ) -> bool:
        """Record that the server holds this record at ``server_rev`` with content ``base``.

        The record becomes clean unless ``if_updated_at`` is given and the record was edited again
        since (then it stays dirty, now based on the new server revision). True when clean.
        """
        form = self.form(form_id)
        base_json = base_text(base)
        if if_updated_at is None:
            clean_sql, params = "0", [server_rev, base_json, record_id]
        else:
            clean_sql, params = (
                "CASE WHEN updated_at = ? THEN 0 ELSE dirty END",
                [if_updated_at, server_rev, base_json, record_id],
            )
        self.conn.execute(
            f"UPDATE [{form.table}] SET dirty = {clean_sql}, server_rev = ?, base = ?, conflict = NULL "
            "WHERE id = ?",
            params,
        )
        row = self.conn.execute(f"SELECT dirty FROM [{form.table}] WHERE id = ?", [record_id]).fetchone()
        return row is not None and not row[0]

    def rebase(
        self, form_id: str, record_id: str, *, server_rev: int | None, base: dict[str, Any] | None
    ) -> None:
        """Point a dirty record at a server revision (after a person resolved a conflict); stays dirty."""
        form = self.form(form_id)
        self.conn.execute(
            f"UPDATE [{form.table}] SET server_rev = ?, base = ?, conflict = NULL WHERE id = ?",
            [
                server_rev,
                base_text(base),
                record_id,
            ],
        )

    def attachment_refs(self) -> set[str]:
        """SHA-256 of every attachment referenced by a live record (photo fields, rows included)."""
        out: set[str] = set()
        for form in self.forms:
            for f in form.fields.values():
                if f.kind.attachment:
                    out.update(
                        r[0]
                        for r in self.conn.execute(
                            f"SELECT DISTINCT [{f.id}] FROM [{form.table}] WHERE [{f.id}] IS NOT NULL AND deleted = 0"
                        )
                    )
                for c in f.fields:
                    if c.kind.attachment:
                        out.update(
                            r[0]
                            for r in self.conn.execute(
                                f"SELECT DISTINCT c.[{c.id}] FROM [{form.child_table(f)}] c JOIN [{form.table}] p "
                                f"ON p.id = c.parent_id WHERE c.[{c.id}] IS NOT NULL AND p.deleted = 0"
                            )
                        )
        return out

    def set_conflict(self, form_id: str, record_id: str, conflict: dict[str, Any] | None) -> None:
        """Keep (or clear) a sync conflict on the record; it stays dirty until resolved."""
        form = self.form(form_id)
        self.conn.execute(
            f"UPDATE [{form.table}] SET conflict = ? WHERE id = ?",
            [None if conflict is None else json.dumps(conflict, ensure_ascii=False), record_id],
        )

    def conflicted_ids(self, form_id: str) -> builtins.list[str]:
        form = self.form(form_id)
        return [
            r[0]
            for r in self.conn.execute(
                f"SELECT id FROM [{form.table}] WHERE conflict IS NOT NULL ORDER BY updated_at, id"
            )
        ]

    def apply_remote_delete(
        self, form_id: str, record_id: str, *, server_rev: int, user: str, at: str | None = None
    ) -> None:
        """A tombstone that came from the server: hide the record, mark it clean (caller's transaction)."""
        form = self.form(form_id)
        ts = at or now_iso()
        self.conn.execute(
            f"UPDATE [{form.table}] SET deleted = 1, deleted_at = ?, deleted_by = ?, updated_at = ?, "
            "updated_by = ?, dirty = 0, server_rev = ?, base = NULL, conflict = NULL WHERE id = ?",
            [ts, user, ts, user, server_rev, record_id],
        )
        self.unindex(record_id)
        self.audit("sync_delete", form_id, record_id, {"server_rev": server_rev}, user=user)

    def synced_live_ids(self, form_id: str, areas: Iterable[str] | None) -> builtins.list[str]:
        """Ids of clean, live records the server knows (for end-of-sync verification)."""
        form = self.form(form_id)
        where, params = self._where(
            form,
            search=None,
            area=list(areas) if areas is not None else None,
            filters=None,
            include_deleted=False,
        )
        return [
            r[0]
            for r in self.conn.execute(
                f"SELECT id FROM [{form.table}] WHERE {where} AND dirty = 0 AND server_rev IS NOT NULL",
                params,
            )
        ]

    def attachment_uploaded(self, sha256: str) -> bool:
        row = self.conn.execute("SELECT uploaded FROM attachments WHERE sha256 = ?", [sha256]).fetchone()
        return bool(row and row[0])

    def set_attachment(self, sha256: str, *, size: int, mime: str | None, uploaded: bool) -> None:
        """Record an attachment's metadata and whether the server has it all."""
        self.conn.execute(
            "INSERT INTO attachments(sha256, size, mime, name, created_at, uploaded) VALUES (?, ?, ?, NULL, ?, ?) "
            "ON CONFLICT(sha256) DO UPDATE SET uploaded = excluded.uploaded",
            [sha256, size, mime, now_iso(), int(uploaded)],
        )

    def attachment_mime(self, sha256: str) -> str | None:
        row = self.conn.execute("SELECT mime FROM attachments WHERE sha256 = ?", [sha256]).fetchone()
        return None if row is None else row[0]

    def set_rejection(
        self,
        form_id: str,
        record_id: str,
        reason: str | None,
        message: str | None = None,
        problems: Any = None,
    ) -> None:
        """Keep (or clear, with reason None) why the server refused a local change."""
        if reason is None:
            self.conn.execute("DELETE FROM sync_rejections WHERE record_id = ?", [record_id])
            return
        self.conn.execute(
            "INSERT INTO sync_rejections(record_id, form_id, reason, message, problems, at) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(record_id) DO UPDATE SET reason = excluded.reason, message = excluded.message, "
            "problems = excluded.problems, at = excluded.at",
            [record_id, form_id, reason, message, json.dumps(problems or [], ensure_ascii=False), now_iso()],
        )

    def rejections(self) -> builtins.list[dict[str, Any]]:
        cur = self.conn.execute(
            "SELECT form_id, record_id, reason, message, problems, at FROM sync_rejections ORDER BY at"
        )
        return [
            {
                "form": r[0],
                "record_id": r[1],
                "reason": r[2],
                "message": r[3],
                "problems": json.loads(r[4] or "[]"),
                "at": r[5],
            }
            for r in cur
        ]

    def log_sync(self, started_at: str, server: str, user: str, ok: bool, summary: dict[str, Any]) -> None:
        self.conn.execute(
            "INSERT INTO sync_log(started_at, finished_at, server, user, ok, summary) VALUES (?,?,?,?,?,?)",
            [started_at, now_iso(), server, user, int(ok), json.dumps(summary, ensure_ascii=False)],
        )

    def last_sync(self, *, ok_only: bool = True) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT started_at, finished_at, server, user, ok, summary FROM sync_log "
            + ("WHERE ok = 1 " if ok_only else "")
            + "ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return {
            "started_at": row[0],
            "finished_at": row[1],
            "server": row[2],
            "user": row[3],
            "ok": bool(row[4]),
            "summary": json.loads(row[5] or "{}"),
        }


# ---------------------------------------------------------------------- helpers


def _record(form: Form, values: dict[str, Any], data: dict[str, Any]) -> Record:
    """A Record from a row of a form table (its columns in ``values``) and its document."""
    return Record(
        id=values["id"],
        form_id=form.id,
        form_version=values["form_version"],
        data=data,
        created_at=values["created_at"],
        created_by=values["created_by"],
        updated_at=values["updated_at"],
        updated_by=values["updated_by"],
        device_id=values["device_id"],
        server_rev=values["server_rev"],
        base=json.loads(values["base"]) if values["base"] else None,
        dirty=bool(values["dirty"]),
        deleted=bool(values["deleted"]),
        conflict=json.loads(values["conflict"]) if values["conflict"] else None,
    )


def _person_column(form: Form, rep: Field) -> str:
    """SQL for the person a row of ``rep`` stands for across survey rounds ('' when not followed)."""
    rep_id, _, name = ((form.rounds or {}).get("person") or "").partition(".")
    return f"coalesce(c.[{name}], c.id)" if rep_id == rep.id and name else ""


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _child_columns(rep: Field) -> list[tuple[str, str]]:
    return [c for f in rep.fields for c in f.columns()]


def expr_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _sql_value(v: Any) -> Any:
    if isinstance(v, bool):
        return 1 if v else 0
    return v


# keyed by what the generated code depends on (field ids and stored types), never by object
# identity: form objects are replaced when forms are reloaded, and an address is reused
_PLANS: dict[tuple[tuple[str, str], ...], Callable[[dict[str, Any]], list[Any]]] = {}


def base_text(base: dict[str, Any] | None) -> str | None:
    """The synced content of a record as stored in ``base`` (JSON, keys sorted).

    orjson: a first sync writes the base of every pulled record, and encoding them was a
    tenth of the pull (json.dumps 140 µs against 27 µs for a household)."""
    return None if base is None else orjson.dumps(base, option=orjson.OPT_SORT_KEYS).decode()


def _value_plan(fields: tuple[Field, ...]) -> Callable[[dict[str, Any]], list[Any]]:
    """A function giving a document's column values in column order (as ``Field.columns``),
    generated once per field set: geopoints in two columns, multiple choices as JSON text,
    yes/no as 1/0."""
    key = tuple((f.id, f.value_type) for f in fields if f.stores_value)
    fn = _PLANS.get(key)
    if fn is None:
        names: dict[str, Any] = {}
        items: list[str] = []
        for f in fields:
            if not f.stores_value:
                continue
            k = f"_k{len(names)}"
            names[k] = f.id
            encode = f.kind.to_columns  # the type's column values (registry), or the value itself
            if encode is None:
                items.append(f"get({k})")
            else:
                e = f"_e{len(names)}"
                names[e] = encode
                items.append(f"*{e}(get({k}))")
        source = "def _values(doc):\n    get = doc.get\n    return [" + ", ".join(items) + "]"
        fn = _PLANS[key] = codegen.build(source, names, "_values")
    return fn


def _doc_from_columns(fields: Iterable[Field], values: dict[str, Any]) -> dict[str, Any]:
    return {f.id: f.from_columns(values) for f in fields if f.stores_value}


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
