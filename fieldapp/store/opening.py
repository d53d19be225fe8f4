"""Opening a database file, step by step, and why one cannot be opened.

``open_database`` is the first half of ``fieldapp.store.open_store``; its steps, in order:

1. ``check_place`` — the file exists (or may be made) and its folder can be made;
2. ``unlock`` — encryption at rest (``fieldapp.crypto``): the data key, and the user and role the
   key file names; a plain database needs none;
3. ``connect`` — the connection: WAL journal, ``synchronous=FULL``, foreign keys, a busy timeout;
4. ``migrate`` — the backup policy (an existing database is backed up before pending migrations
   change it, ``fieldapp.backup``), then the numbered migrations (``fieldapp.migrations``);
5. audit protection — an authorizer that refuses to change or remove audit rows
   (``fieldapp.audit.protect``).

A failure is told apart (``open_error``): a folder, a full disk, a read-only place, a damaged file.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from fieldapp import audit, backup, crypto, migrations
from fieldapp.config import login_name
from fieldapp.errors import AccessError, StoreError

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



# ---------------------------------------------------------------------- the steps


@dataclass
class Opened:
    """A database file opened, unlocked and migrated: what a ``Store`` is made over."""

    path: Path
    conn: sqlite3.Connection
    user: str  # who works in it: as given, else the key file's user (passphrase), else the login
    role: str | None  # the user's role in the key file of an encrypted database
    data_key: bytes | None  # None for a plain database


@dataclass
class Access:
    """What ``unlock`` found: the data key (None for a plain database), who opens it, their role."""

    key: bytes | None
    user: str
    role: str | None


def _memory(path: Path) -> bool:
    return str(path) == ":memory:"


def check_place(path: Path, *, create: bool) -> None:
    """The file exists, or may be made: ``create=False`` refuses a missing one; a folder is not a
    database; the folder it goes in is made."""
    if not create and not path.exists():
        raise StoreError(f"ไม่พบฐานข้อมูล {path}", f"database {path} does not exist", reason="missing")
    if path.is_dir():
        raise open_error(path, IsADirectoryError(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise open_error(path, exc) from exc


def unlock(path: Path, user: str | None, key: bytes | None, passphrase: str | None) -> Access:
    """The data key to open ``path`` with (None for a plain database), and who opens it: see
    ``fieldapp.crypto``. A passphrase unlocks the key file for ``user`` (or finds the user it
    belongs to); a key given or remembered is used as it is."""
    who = user or login_name()  # the entry points pass --user / FIELDAPP_USER
    if _memory(path):
        return Access(key, who, None)
    if crypto.keys_path(path).exists() and not path.exists():
        raise StoreError(
            f"ไม่พบไฟล์ฐานข้อมูล {path.name} แต่มีไฟล์กุญแจอยู่ จะไม่สร้างฐานข้อมูลใหม่ทับ",
            f"database {path} is missing but its key file exists: not creating a new one",
        )
    if passphrase is not None:
        found = crypto.unlock(path, passphrase, user)
        return Access(found.key, user or found.user, found.role)
    if key is None and crypto.is_encrypted(path):
        key = crypto.key_for(path)
        if key is None:
            raise AccessError(
                f"ฐานข้อมูล {path.name} เข้ารหัสไว้ กรุณาเข้าสู่ระบบด้วยรหัสผ่าน",
                f"database {path} is encrypted: give the passphrase (FIELDAPP_PASSPHRASE or the prompt)",
            )
    if key is None:
        return Access(None, who, None)
    if crypto.is_plain_sqlite(path):
        return Access(None, who, None)  # an encryption that stopped before the swap: the plain file is it
    crypto.remember(path, key)
    role = None
    if crypto.keys_path(path).exists():
        role = next((u["role"] for u in crypto.KeyFile.load(path).users() if u["user"] == who), None)
    return Access(key, who, role)


def connect(path: Path, key: bytes | None) -> sqlite3.Connection:
    """The connection (through ``fieldapp.crypto``, which decrypts when there is a key): WAL
    journal, ``synchronous=FULL``, foreign keys on, a busy timeout of 10 s."""
    try:
        conn = crypto.connect(path, key, isolation_level=None, timeout=10.0)
        conn.execute("PRAGMA busy_timeout = 10000")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as exc:
        error = open_error(path, exc)
        if key is not None and error.reason == "damaged":
            raise crypto.damaged_database(path, exc) from exc
        raise error from exc
    if mode.lower() != "wal" and not _memory(path):
        conn.close()
        raise StoreError("ฐานข้อมูลไม่รองรับโหมด WAL", f"WAL journal not available ({mode})")
    return conn


def migrate(conn: sqlite3.Connection, path: Path, key: bytes | None) -> None:
    """The backup policy, then the migrations: an existing database is backed up before pending
    migrations change it (``fieldapp.backup.before_migrations``). Closes ``conn`` when it fails."""
    db = sqlite_utils.Database(conn)
    try:
        backup.before_migrations(conn, path, bool(migrations.migrations.pending(db)), key)
        migrations.apply(db)
    except (sqlite3.DatabaseError, OSError) as exc:
        conn.close()
        raise migration_error(path, exc) from exc


def migration_error(path: Path, exc: BaseException) -> StoreError:
    """Why preparing an open database failed: the place (full, read-only) when it is that, else
    the migration itself."""
    error = open_error(path, exc)
    if error.reason != "damaged":
        return error
    return StoreError(
        f"ปรับปรุงโครงสร้างฐานข้อมูล {path.name} ไม่ได้",
        f"cannot migrate database {path}: {exc}",
    )


def open_database(
    path: Path,
    *,
    user: str | None = None,
    create: bool = True,
    key: bytes | None = None,
    passphrase: str | None = None,
) -> Opened:
    """The file at ``path`` opened: its place checked, unlocked, connected, backed up when
    migrations are pending, migrated and its audit trail protected (the steps above, in order)."""
    check_place(path, create=create)
    unlocked = unlock(path, user, key, passphrase)
    conn = connect(path, unlocked.key)
    migrate(conn, path, unlocked.key)
    audit.protect(conn)
    return Opened(path, conn, unlocked.user, unlocked.role, unlocked.key)
