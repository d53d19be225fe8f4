"""Backups of the local database, and restoring one.

A backup is a ``VACUUM INTO`` copy written to a temporary file in the backup folder
(``<database folder>/backups/``), checked with ``PRAGMA integrity_check`` and only then renamed to
its final name (``<db stem>-YYYYMMDD-HHMMSS-<reason>.db``), so a half-written or damaged copy never
looks like a backup. The newest N are kept (``keep``, stored in the database, default 10).

When backups are made:

* before schema migrations of an existing database (``before_migrations``, called when a store opens:
  ``fieldapp.store.opening.migrate``);
* before every sync (``before_sync``, called by ``fieldapp.sync.client.sync``);
* once a day while the app is in use (``daily_if_due``; the app calls it at start-up and, say,
  hourly — it does nothing when the newest backup is less than a day old);
* on demand (``fieldapp backup``).

Restoring (``restore``) checks the chosen backup, moves the current database (with its ``-wal`` and
``-shm`` files) aside under a timestamped name, and puts a copy of the backup in place. A database
that fails to open is never overwritten or deleted: ``latest_good`` finds the newest backup that
passes the integrity check so the app can offer it.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fieldapp import paths
from fieldapp.clock import utc_now
from fieldapp.errors import FieldAppError, StoreError
from fieldapp.files import fsync_dir, fsync_file

if TYPE_CHECKING:
    from fieldapp.store import Store

DEFAULT_KEEP = 10
FOLDER = paths.BACKUPS_FOLDER
DAILY = _dt.timedelta(days=1)
_KEEP_KEY = "backup.keep"
_NAME = re.compile(r"^(?P<stem>.+)-(?P<ts>\d{8}-\d{6}(?:-\d{6})?)-(?P<reason>[a-z0-9_]+)\.db$")


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created: _dt.datetime  # UTC
    reason: str
    size: int

    def as_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "created": self.created.isoformat(timespec="seconds"),
            "reason": self.reason,
            "size": self.size,
        }


def backup_dir(db_path: str | Path) -> Path:
    return paths.backups_dir(db_path)


def _reason(reason: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", reason.lower()).strip("_") or "manual"


def _connect(path: Path, key: bytes | None = None) -> sqlite3.Connection:
    """A connection to a database file, plain or encrypted (``fieldapp.crypto`` knows the keys)."""
    from fieldapp import crypto

    if key is not None:
        return crypto.connect(path, key, timeout=10.0)
    return crypto.connect_file(path, timeout=10.0)


def integrity_problems(path: str | Path, *, key: bytes | None = None) -> list[str]:
    """Empty when ``path`` is a sound database; else what is wrong (it is only read)."""
    p = Path(path)
    if not p.is_file():
        return [f"{p.name}: not found"]
    try:
        conn = _connect(p, key)
        try:
            rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
            tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return [f"{p.name}: {exc}"]
    except FieldAppError as exc:  # encrypted and no key known to this process
        return [f"{p.name}: {exc.message_en}"]
    if rows != ["ok"]:
        return rows[:20]
    if not tables:
        return [f"{p.name}: empty database"]
    return []


Progress = Callable[[int, int], None]  # bytes written so far, bytes expected
Cancelled = Callable[[], bool]


class BackupCancelled(StoreError):
    """The person stopped a backup; nothing was kept of it."""


def backup(
    store_or_path: Store | str | Path,
    *,
    reason: str = "manual",
    keep: int | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> Path:
    """Write a checked backup of the database and prune old ones; returns the backup's path.

    With ``progress`` or ``cancelled`` (a backup in the background) the copy is made on a
    connection of its own, reading one snapshot while others go on writing; ``progress`` hears
    how far it got and ``cancelled`` returning True stops it (``BackupCancelled``), leaving no file.
    """
    store = _store_of(store_or_path)
    if store is not None and (progress or cancelled):
        key = getattr(store, "data_key", None)
        own = _connect(store.path, key)
        try:
            path = _make(own, store.path, reason, key, progress=progress, cancelled=cancelled)
        finally:
            own.close()
    elif store is not None:
        path = _make(store.conn, store.path, reason, getattr(store, "data_key", None))
    else:
        db_path = _db_of(store_or_path)
        if not db_path.is_file():
            raise StoreError(f"ไม่พบฐานข้อมูล {db_path.name}", f"database {db_path} does not exist")
        try:
            conn = _connect(db_path)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"เปิดฐานข้อมูล {db_path.name} ไม่ได้", f"cannot open {db_path}: {exc}") from exc
        try:
            path = _make(conn, db_path, reason, None)
        finally:
            conn.close()
    n = keep if keep is not None else keep_setting(store_or_path)
    prune(_db_of(store_or_path), n)
    return path


def _store_of(store_or_path: Store | str | Path) -> Store | None:
    """The open store given (None for a path): the backup reads its connection. Told apart
    without importing the store, which imports this module."""
    return None if isinstance(store_or_path, (str, os.PathLike)) else store_or_path


def _db_of(store_or_path: Store | str | Path) -> Path:
    if isinstance(store_or_path, (str, os.PathLike)):
        return Path(store_or_path)
    return store_or_path.path


def expected_size(conn: sqlite3.Connection) -> int:
    """About how many bytes a backup of this database takes (its pages in use)."""
    # int(): SQLCipher answers some pragmas as text
    pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    free = int(conn.execute("PRAGMA freelist_count").fetchone()[0])
    size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    return (pages - free) * size


DISK_MARGIN = 200 * 1024 * 1024  # left free after a backup, for the database and the system


def make_room(db_path: Path, needed: int) -> list[Path]:
    """Delete the oldest backups (never the newest) until ``needed`` bytes fit on the disk with a
    margin; StoreError when even then they do not. Returns the backups deleted."""
    folder = backup_dir(db_path)
    removed: list[Path] = []
    older = list_backups(db_path)[1:]
    while shutil.disk_usage(folder).free < needed + DISK_MARGIN:
        if not older:
            free = shutil.disk_usage(folder).free
            raise StoreError(
                f"พื้นที่ดิสก์ไม่พอสำหรับสำรองข้อมูล: ต้องการ {_mb(needed + DISK_MARGIN)} แต่ว่างเพียง {_mb(free)}",
                f"not enough disk space for a backup: {_mb(needed + DISK_MARGIN)} needed, {_mb(free)} free",
            )
        oldest = older.pop()
        oldest.path.unlink(missing_ok=True)
        removed.append(oldest.path)
    return removed


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB"


def _make(
    conn: sqlite3.Connection,
    db_path: Path,
    reason: str,
    key: bytes | None,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> Path:
    """VACUUM INTO a temporary file, check it, rename it into place (the one way a backup is made)."""
    folder = backup_dir(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    expected = expected_size(conn)
    make_room(db_path, expected)
    tmp = folder / f".tmp-{uuid.uuid4().hex}.db"
    if cancelled is not None and cancelled():
        raise BackupCancelled("ยกเลิกการสำรองข้อมูลแล้ว", "the backup was cancelled")
    stopped = False
    last = 0.0

    def tick() -> int:
        nonlocal stopped, last
        if cancelled is not None and cancelled():
            stopped = True
            return 1  # SQLite stops the statement
        now = time.monotonic()
        if progress is not None and now - last >= 0.25:
            last = now
            try:
                written = tmp.stat().st_size
            except OSError:
                written = 0
            progress(min(written, expected), expected)
        return 0

    if progress is not None or cancelled is not None:
        conn.set_progress_handler(tick, 1_000)
    try:
        try:
            conn.execute("VACUUM INTO ?", [str(tmp)])
        except sqlite3.DatabaseError as exc:
            if stopped:
                raise BackupCancelled("ยกเลิกการสำรองข้อมูลแล้ว", "the backup was cancelled") from exc
            raise StoreError(
                f"สำรองฐานข้อมูล {db_path.name} ไม่ได้: ฐานข้อมูลอาจเสียหายหรือพื้นที่ดิสก์ไม่พอ",
                f"backup of {db_path} failed: {exc}",
            ) from exc
        finally:
            if progress is not None or cancelled is not None:
                conn.set_progress_handler(None, 0)
        problems = integrity_problems(tmp, key=key)
        if problems:
            raise StoreError(
                "สำเนาสำรองที่ได้ไม่ผ่านการตรวจสอบความถูกต้อง จึงไม่ได้เก็บไว้",
                f"the backup copy failed its integrity check: {'; '.join(problems[:3])}",
            )
        fsync_file(tmp)
        stamp = utc_now().strftime("%Y%m%d-%H%M%S-%f")
        final = folder / f"{db_path.stem}-{stamp}-{_reason(reason)}.db"
        os.replace(tmp, final)
        fsync_dir(folder)
        if progress is not None:
            progress(expected, expected)
    finally:
        tmp.unlink(missing_ok=True)
    return final


def list_backups(db_path: str | Path) -> list[BackupInfo]:
    """Backups of this database, newest first."""
    folder = backup_dir(db_path)
    stem = Path(db_path).stem
    out: list[BackupInfo] = []
    if not folder.is_dir():
        return out
    for p in folder.iterdir():
        m = _NAME.match(p.name)
        if not m or m.group("stem") != stem or not p.is_file():
            continue
        ts = m.group("ts")
        fmt = "%Y%m%d-%H%M%S-%f" if ts.count("-") == 2 else "%Y%m%d-%H%M%S"
        created = _dt.datetime.strptime(ts, fmt).replace(tzinfo=_dt.UTC)
        out.append(BackupInfo(p, created, m.group("reason"), p.stat().st_size))
    out.sort(key=lambda b: (b.created, b.path.name), reverse=True)
    return out


def prune(db_path: str | Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups (at least one is always kept); returns deleted."""
    removed: list[Path] = []
    for b in list_backups(db_path)[max(1, keep) :]:
        b.path.unlink(missing_ok=True)
        removed.append(b.path)
    return removed


def keep_setting(store_or_path: Store | str | Path) -> int:
    """How many backups to keep (the database's ``backup.keep`` setting, default 10)."""
    try:
        store = _store_of(store_or_path)
        if store is not None:
            row = store.conn.execute("SELECT value FROM meta WHERE key = ?", [_KEEP_KEY]).fetchone()
        else:
            conn = _connect(_db_of(store_or_path))
            try:
                row = conn.execute("SELECT value FROM meta WHERE key = ?", [_KEEP_KEY]).fetchone()
            finally:
                conn.close()
        return max(1, int(row[0])) if row else DEFAULT_KEEP
    except (sqlite3.DatabaseError, FieldAppError, ValueError, TypeError):
        return DEFAULT_KEEP


def _keep_from(conn: sqlite3.Connection) -> int:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", [_KEEP_KEY]).fetchone()
        return max(1, int(row[0])) if row else DEFAULT_KEEP
    except (sqlite3.DatabaseError, ValueError, TypeError):
        return DEFAULT_KEEP


def set_keep(store: Store, keep: int) -> None:
    if keep < 1:
        raise StoreError("ต้องเก็บสำเนาสำรองอย่างน้อย 1 ชุด", "keep at least 1 backup")
    with store.transaction():
        store.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [_KEEP_KEY, str(keep)],
        )


# ---------------------------------------------------------------------- when


def before_migrations(
    conn: sqlite3.Connection, db_path: Path, pending: bool, key: bytes | None = None
) -> Path | None:
    """Back up an existing, non-empty database before pending migrations run (called by ``fieldapp.store.opening``)."""
    if not pending or str(db_path) == ":memory:":
        return None
    tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    if not tables:
        return None
    made = _make(conn, db_path, "before_migration", key)
    prune(db_path, _keep_from(conn))
    return made


def before_sync(store: Store) -> Path | None:
    """Back up before a sync (called at the start of ``fieldapp.sync.client.sync``)."""
    if str(store.path) == ":memory:":
        return None
    return backup(store, reason="before_sync")


def daily_due(store: Store, *, now: _dt.datetime | None = None) -> bool:
    """True when the newest backup is a day old or more (or there is none)."""
    if str(store.path) == ":memory:":
        return False
    latest = next(iter(list_backups(store.path)), None)
    return latest is None or (now or utc_now()) - latest.created >= DAILY


def daily_if_due(
    store: Store,
    *,
    now: _dt.datetime | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> Path | None:
    """Back up when the newest backup is a day old or more (or there is none); else do nothing.

    The desktop app calls this in the background a little after start-up and from a timer
    (hourly) while it runs, with progress and a way to cancel.
    """
    if not daily_due(store, now=now):
        return None
    return backup(store, reason="daily", progress=progress, cancelled=cancelled)


# ---------------------------------------------------------------------- restore


def latest_good(db_path: str | Path) -> Path | None:
    """The newest backup of ``db_path`` that passes the integrity check (None if there is none)."""
    for b in list_backups(db_path):
        if not integrity_problems(b.path):
            return b.path
    return None


def database_problems(db_path: str | Path) -> list[str]:
    """Why the database cannot be used (empty when it opens and passes the integrity check)."""
    return integrity_problems(db_path)


def restore(backup_path: str | Path, db_path: str | Path) -> Path | None:
    """Put ``backup_path`` in place of ``db_path``; returns where the old database was moved.

    The backup is integrity-checked first (StoreError if it fails: nothing changes). The current
    database and its ``-wal``/``-shm`` files are renamed ``<name>.replaced-<timestamp>`` and kept.
    Close every connection to the database before calling this.
    """
    src = Path(backup_path)
    dest = Path(db_path)
    problems = integrity_problems(src)
    if problems:
        raise StoreError(
            f"สำเนาสำรอง {src.name} เสียหายหรือไม่ใช่ฐานข้อมูลของโปรแกรม จึงไม่ได้นำมาใช้",
            f"backup {src} failed its integrity check: {'; '.join(problems[:3])}",
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".restore-{uuid.uuid4().hex}.db")
    shutil.copyfile(src, tmp)
    fsync_file(tmp)
    aside: Path | None = None
    stamp = utc_now().strftime("%Y%m%d-%H%M%S")
    try:
        if dest.exists():
            aside = dest.with_name(f"{dest.name}.replaced-{stamp}")
            n = 2
            while aside.exists():
                aside = dest.with_name(f"{dest.name}.replaced-{stamp}-{n}")
                n += 1
            os.replace(dest, aside)
        for suffix in ("-wal", "-shm"):
            side = dest.with_name(dest.name + suffix)
            if side.exists():
                target = (aside or dest).with_name((aside or dest).name + suffix) if aside else side
                if aside is not None:
                    os.replace(side, target)
                else:
                    side.unlink()
        os.replace(tmp, dest)
        fsync_dir(dest.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return aside


def restore_hint(db_path: str | Path) -> str | None:
    """One line for the command line when the database is damaged and a good backup exists."""
    if not Path(db_path).exists() or not database_problems(db_path):
        return None
    good = latest_good(db_path)
    if good is None:
        return "fieldapp: the database is damaged and no good backup was found; it was left untouched"
    return f"fieldapp: the database is damaged; the latest good backup is {good} — restore it with: fieldapp restore {good}"
