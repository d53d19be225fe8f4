"""Making and managing encrypted databases: create, encrypt in place, passphrases, users, recovery.

Encrypting an existing plain database in place (``encrypt_database``) never loses data, whenever
it stops (a crash, a power cut, a kill):

1. the database is switched out of WAL mode, which also proves no other program has it open, and
   every table's row count and checksum are taken;
2. a new data key and its key file are written as ``<db>.keys.pending``;
3. an encrypted copy is exported next to it (``<db>.encrypting``, SQLCipher's ``sqlcipher_export``),
   synced to disk and checked: integrity check, and the same counts and checksums as the original;
4. the plain file gets a second name (``<db>.plain-old``, a hard link) and the encrypted copy is
   renamed over the database — one atomic step;
5. the key file becomes ``<db>.keys`` (and a copy goes to the backups folder);
6. the plain file is overwritten with zeros and deleted, plain backups are encrypted the same way,
   and attachments are encrypted.

Before step 4 the plain database is the database (leftovers are removed by the next run); after it
the encrypted one is (``KeyFile.load`` adopts a pending key file; the next run finishes 5–6).
Overwriting deleted files is best effort: an SSD may keep old blocks, so full-disk encryption of the
laptop is still recommended (docs/privacy.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldapp import config, crypto, files
from fieldapp.errors import AccessError, StoreError, ValidationError
from fieldapp.forms import FormSet

Progress = Callable[[str], None]
CRASH_ENV = config.TEST_KILL_AT.name  # tests: kill this process at a named step


@dataclass
class EncryptResult:
    recovery_code: str | None
    tables: dict[str, int] = field(default_factory=dict)
    checksum: str = ""
    backups_encrypted: int = 0
    attachments_encrypted: int = 0
    resumed: bool = False


def _step(name: str, progress: Progress | None) -> None:
    if progress:
        progress(name)
    if config.get(config.TEST_KILL_AT) == name:  # fault injection for the crash tests
        if hasattr(signal, "SIGKILL"):
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(137)


def _sidecar(db: Path, suffix: str) -> Path:
    return db.with_name(db.name + suffix)


# ---------------------------------------------------------------------- checks


def table_checksums(conn: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    """Every table's row count and a SHA-256 of its rows in rowid order (FTS tables included)."""
    out: dict[str, tuple[int, str]] = {}
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    for name in names:
        h = hashlib.sha256()
        n = 0
        try:
            cur = conn.execute(f"SELECT * FROM [{name}] ORDER BY rowid")
        except sqlite3.OperationalError:  # WITHOUT ROWID tables
            cur = conn.execute(f"SELECT * FROM [{name}] ORDER BY 1")
        for row in cur:
            h.update(json.dumps(row, default=lambda b: bytes(b).hex(), ensure_ascii=False).encode("utf-8"))
            h.update(b"\n")
            n += 1
        out[name] = (n, h.hexdigest())
    return out


def overall(sums: dict[str, tuple[int, str]]) -> str:
    return hashlib.sha256(json.dumps(sorted(sums.items())).encode("ascii")).hexdigest()


def _export(src: Path, dest: Path, key: bytes) -> None:
    """An encrypted copy of the plain database ``src`` at ``dest``, synced to disk."""
    dest.unlink(missing_ok=True)
    mod = crypto.dbapi()
    conn = mod.connect(str(src), isolation_level=None)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute("ATTACH DATABASE ? AS enc KEY \"x'" + key.hex() + "'\"", [str(dest)])
        conn.execute("SELECT sqlcipher_export('enc')")
        conn.execute(f"PRAGMA enc.user_version = {int(version)}")
        conn.execute("DETACH DATABASE enc")
    finally:
        conn.close()
    files.fsync_file(dest)


def _verify(path: Path, key: bytes, expected: dict[str, tuple[int, str]]) -> None:
    conn = crypto.connect(path, key)
    try:
        ok = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        got = table_checksums(conn)
    finally:
        conn.close()
    if ok != ["ok"] or got != expected:
        bad = sorted(t for t in set(got) | set(expected) if got.get(t) != expected.get(t))
        raise StoreError(
            "สำเนาที่เข้ารหัสไม่ตรงกับต้นฉบับ จึงไม่ได้นำมาใช้ ฐานข้อมูลเดิมยังอยู่ครบ",
            f"the encrypted copy does not match the original ({', '.join(bad[:5]) or ok[0]}); "
            "the plain database was left as it was",
        )


def _swap(plain: Path, encrypted: Path) -> None:
    """Put the verified encrypted copy in place of ``plain``; keep the plain file as ``.plain-old``."""
    old = _sidecar(plain, ".plain-old")
    old.unlink(missing_ok=True)
    try:
        os.link(plain, old)
    except OSError:
        old = Path()
    os.replace(encrypted, plain)
    files.fsync_dir(plain.parent)


def _drop_old(plain: Path) -> None:
    old = _sidecar(plain, ".plain-old")
    if not old.exists():
        return
    if plain.exists() and os.path.samefile(old, plain):  # still the live file: only the extra name goes
        old.unlink()
        return
    crypto.wipe_file(old)


def _open_plain_exclusively(db: Path) -> dict[str, tuple[int, str]]:
    conn = sqlite3.connect(str(db), isolation_level=None, timeout=2.0)
    try:
        try:
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        except sqlite3.OperationalError as exc:
            mode = str(exc)
        if str(mode).lower() != "delete":
            raise StoreError(
                "ฐานข้อมูลกำลังถูกใช้งานโดยโปรแกรมอื่น กรุณาปิดโปรแกรม fieldapp ทุกหน้าต่างก่อน",
                f"{db.name} is in use by another program ({mode}): close every fieldapp window first",
            )
        return table_checksums(conn)
    finally:
        conn.close()


def encrypt_file(path: Path, key: bytes) -> bool:
    """Encrypt one plain database file in place (a backup); False when it already was encrypted."""
    if not crypto.is_plain_sqlite(path):
        return False
    sums = _open_plain_exclusively(path)
    tmp = _sidecar(path, ".encrypting")
    _export(path, tmp, key)
    _verify(tmp, key, sums)
    _swap(path, tmp)
    _drop_old(path)
    for side in ("-wal", "-shm", "-journal"):
        _sidecar(path, side).unlink(missing_ok=True)
    return True


def _plain_leftovers(db: Path) -> list[Path]:
    """Plain copies beside the database: backups, and files kept aside by a restore."""
    from fieldapp.backup import backup_dir

    out: list[Path] = []
    folder = backup_dir(db)
    if folder.is_dir():
        out += [p for p in sorted(folder.glob("*.db")) if crypto.is_plain_sqlite(p)]
    out += [p for p in sorted(db.parent.glob(db.name + ".replaced-*")) if crypto.is_plain_sqlite(p)]
    return out


# ---------------------------------------------------------------------- create, encrypt


def create_encrypted(
    db_path: str | Path,
    user: str,
    role: str,
    passphrase: str,
    *,
    display_name: str = "",
    forms: FormSet | None = None,
    params: crypto.KdfParams = crypto.DEFAULT_KDF,
) -> str:
    """A new, empty encrypted database with its first user; returns the recovery key to print."""
    from fieldapp.store import open_store

    db = Path(db_path)
    if not db.parent.is_dir():
        raise StoreError(
            f"ไม่พบโฟลเดอร์ {db.parent} กรุณาสร้างโฟลเดอร์ก่อน หรือเลือกโฟลเดอร์อื่น",
            f"folder {db.parent} does not exist: create it first or choose another folder",
            reason="missing",
        )
    if db.is_dir():
        from fieldapp.store import open_error

        raise open_error(db, IsADirectoryError(db))
    if db.exists() or crypto.keys_path(db).exists():
        raise StoreError(
            f"มีฐานข้อมูล {db.name} อยู่แล้ว จะไม่สร้างใหม่ทับ (เข้ารหัสฐานข้อมูลเดิมด้วยคำสั่ง fieldapp encrypt)",
            f"{db} already exists: not creating a new database over it (use fieldapp encrypt)",
        )
    kf, key, code = crypto.new_key_file(user, role, passphrase, display_name=display_name, params=params)
    kf.save(db, pending=True)
    with open_store(db, key=key, user=user, forms=forms) as store:
        store.audit("encrypt_create", detail={"key_id": kf.key_id})
    kf.save(db)
    _sidecar(db, crypto.PENDING_SUFFIX).unlink(missing_ok=True)
    crypto.remember(db, key)
    return code


def encrypt_database(
    db_path: str | Path,
    user: str,
    role: str,
    passphrase: str,
    *,
    display_name: str = "",
    forms: FormSet | None = None,
    progress: Progress | None = None,
    params: crypto.KdfParams = crypto.DEFAULT_KDF,
) -> EncryptResult:
    """Encrypt a plain database in place (see the module doc); safe to run again after a crash.

    Returns the recovery key to print (None when an earlier run had already swapped the files: its
    key file and recovery key stand, and ``passphrase`` must be the one given then).
    """
    from fieldapp.store import open_store

    db = Path(db_path)
    if not db.exists():
        raise StoreError(f"ไม่พบฐานข้อมูล {db.name}", f"database {db} does not exist")
    tmp = _sidecar(db, ".encrypting")
    result = EncryptResult(None)
    if crypto.is_plain_sqlite(db):
        if crypto.keys_path(db).exists():
            raise StoreError(
                "มีไฟล์กุญแจอยู่แล้วแต่ฐานข้อมูลไม่ได้เข้ารหัส กรุณาย้ายไฟล์ .keys ออกก่อน",
                f"{crypto.keys_path(db).name} exists but {db.name} is not encrypted: move the key file away first",
            )
        # an earlier run that stopped before the swap: the plain file is still the database
        tmp.unlink(missing_ok=True)
        _sidecar(db, crypto.PENDING_SUFFIX).unlink(missing_ok=True)
        _drop_old(db)
        crypto.check_passphrase(passphrase)
        sums = _open_plain_exclusively(db)
        _step("checked", progress)
        kf, key, code = crypto.new_key_file(user, role, passphrase, display_name=display_name, params=params)
        kf.save(db, pending=True)
        _step("keys-pending", progress)
        _export(db, tmp, key)
        _step("exported", progress)
        _verify(tmp, key, sums)
        _step("verified", progress)
        _swap(db, tmp)
        _step("swapped", progress)
        kf.save(db)
        _sidecar(db, crypto.PENDING_SUFFIX).unlink(missing_ok=True)
        _step("keys-saved", progress)
        result.recovery_code = code
        result.tables = {t: n for t, (n, _) in sums.items()}
        result.checksum = overall(sums)
    else:
        result.resumed = True
        key = crypto.unlock(db, passphrase, user).key  # adopts a pending key file
        tmp.unlink(missing_ok=True)
    _drop_old(db)
    for side in ("-journal",):
        _sidecar(db, side).unlink(missing_ok=True)
    _step("plain-wiped", progress)
    for p in _plain_leftovers(db):
        if encrypt_file(p, key):
            result.backups_encrypted += 1
    _step("backups-encrypted", progress)
    crypto.remember(db, key)
    from fieldapp import attachments

    with open_store(db, key=key, user=user, forms=forms) as store:
        result.attachments_encrypted = attachments.encrypt_all(store)
        store.audit(
            "encrypt",
            detail={
                "resumed": result.resumed,
                "backups": result.backups_encrypted,
                "attachments": result.attachments_encrypted,
                "checksum": result.checksum,
            },
        )
    _step("done", progress)
    return result


# ---------------------------------------------------------------------- passphrases and users


def change_passphrase(db_path: str | Path, user: str | None, old: str, new: str) -> str:
    """Re-wrap the data key under a new passphrase (the database is not rewritten); returns the user."""
    found = crypto.unlock(db_path, old, user)
    kf = crypto.KeyFile.load(db_path)
    slot = kf.slot_of(found.user)
    assert slot is not None
    kf.set_passphrase(found.key, found.user, slot["role"], new, display_name=slot.get("display_name", ""))
    kf.save(db_path)
    _note(db_path, found.key, found.user, "passphrase_change", {"user": found.user})
    return found.user


def recover(
    db_path: str | Path,
    code: str,
    user: str,
    new_passphrase: str,
    *,
    role: str | None = None,
    new_recovery_key: bool = False,
) -> str | None:
    """Set a user's new passphrase with the recovery key (the old passphrase was forgotten).

    An unknown ``user`` is added (``role`` required). With ``new_recovery_key`` the used key stops
    working and the new one is returned for printing.
    """
    found = crypto.unlock_recovery(db_path, code)
    kf = crypto.KeyFile.load(db_path)
    slot = kf.slot_of(user)
    if slot is None and role is None:
        raise ValidationError(
            f"ไม่มีผู้ใช้ {user} ในเครื่องนี้ กรุณาระบุบทบาท", f"no local user {user!r}: give --role to add one"
        )
    kf.set_passphrase(
        found.key,
        user,
        role or (slot or {})["role"],
        new_passphrase,
        display_name=(slot or {}).get("display_name", ""),
    )
    code_out = kf.set_recovery(found.key) if new_recovery_key else None
    kf.save(db_path)
    _note(db_path, found.key, user, "recover", {"user": user, "new_recovery_key": new_recovery_key})
    return code_out


def add_user(
    db_path: str | Path,
    key: bytes,
    user: str,
    role: str,
    passphrase: str,
    *,
    display_name: str = "",
    by: str = "",
) -> None:
    """Give another person of this laptop a sign-in (their own passphrase, same data key)."""
    kf = crypto.KeyFile.load(db_path)
    if crypto.key_id(key) != kf.key_id:
        raise AccessError("กุญแจไม่ตรงกับฐานข้อมูลนี้", "the key does not belong to this database")
    if kf.slot_of(user) is not None:
        raise ValidationError(f"มีผู้ใช้ {user} อยู่แล้ว", f"user {user!r} exists (change the passphrase instead)")
    kf.set_passphrase(key, user, role, passphrase, display_name=display_name)
    kf.save(db_path)
    _note(db_path, key, by or user, "user_add", {"user": user, "role": role})


def set_role(db_path: str | Path, key: bytes, user: str, role: str, passphrase: str, *, by: str = "") -> None:
    """Change a user's role (their slot is re-made: the role is bound to it)."""
    kf = crypto.KeyFile.load(db_path)
    slot = kf.slot_of(user)
    if slot is None:
        raise ValidationError(f"ไม่พบผู้ใช้ {user}", f"no local user {user!r}")
    kf.set_passphrase(key, user, role, passphrase, display_name=slot.get("display_name", ""))
    kf.save(db_path)
    _note(db_path, key, by or user, "user_role", {"user": user, "role": role})


def remove_user(db_path: str | Path, key: bytes, user: str, *, by: str = "") -> None:
    kf = crypto.KeyFile.load(db_path)
    if crypto.key_id(key) != kf.key_id:
        raise AccessError("กุญแจไม่ตรงกับฐานข้อมูลนี้", "the key does not belong to this database")
    kf.remove_user(user)
    kf.save(db_path)
    _note(db_path, key, by or user, "user_remove", {"user": user})


def new_recovery_key(db_path: str | Path, key: bytes, *, by: str = "") -> str:
    kf = crypto.KeyFile.load(db_path)
    if crypto.key_id(key) != kf.key_id:
        raise AccessError("กุญแจไม่ตรงกับฐานข้อมูลนี้", "the key does not belong to this database")
    code = kf.set_recovery(key)
    kf.save(db_path)
    _note(db_path, key, by, "recovery_key_new", None)
    return code


def _note(db_path: str | Path, key: bytes, user: str, action: str, detail: Any) -> None:
    """Record a key-file change in the audit log (best effort: the key file is already written)."""
    from fieldapp.store import open_store

    with contextlib.suppress(Exception), open_store(db_path, key=key, user=user or None) as store:
        store.audit(action, detail=detail)
