"""Encryption at rest: the key file, sign-in, SQLCipher connections and encrypted files.

An encrypted database is a SQLCipher file keyed with a random 256-bit *data key*. The data key is
never stored in clear: the key file next to the database (``fieldapp.db.keys``, JSON) holds it
*wrapped* (AES-256-GCM) once per local user, under a key derived from that user's passphrase with
Argon2id, and once under the printable recovery key. Each wrapped copy is a *slot*; the user name
and role are bound to the slot as authenticated data, so editing a role in the file breaks it.

* Signing in unwraps the data key: a failed AEAD tag means a wrong passphrase (never a damaged
  database). A data key that unwraps but cannot open the database means the database is damaged.
* Changing a passphrase re-wraps the data key; the database is not rewritten.
* Repeated failures slow down: a small counter file (``fieldapp.db.keys.attempts``) makes each
  try after the third wait longer (5 s, 10 s, 20 s … at most 5 minutes).
* Attachments and other files are encrypted in chunks with AES-256-GCM under a key derived from
  the data key (HKDF), with the chunk number and a last-chunk flag authenticated (no reordering,
  no silent truncation).

sqlite-utils and the rest of the code catch the standard library's ``sqlite3`` exceptions. The
``sqlcipher3`` exception classes are made subclasses of them when the module is first loaded
(``dbapi()``), so every ``except sqlite3.OperationalError`` also catches SQLCipher's. This leans on
sqlcipher3's exception classes being plain heap types: the version is pinned and
tests/test_privacy_crypto.py checks it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import io
import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from fieldapp import paths
from fieldapp.clock import now_iso
from fieldapp.errors import AccessError, DamagedError, StoreError, ValidationError
from fieldapp.files import atomic_file, fsync_dir, write_atomic

KEYS_SUFFIX = ".keys"
PENDING_SUFFIX = ".keys.pending"
ATTEMPTS_SUFFIX = ".keys.attempts"
FORMAT = "fieldapp-keys"
FORMAT_VERSION = 1
ROLES = ("community_leader", "area_manager", "admin")
ROLE_NAMES_TH = {
    "community_leader": "ผู้นำชุมชน",
    "area_manager": "ผู้จัดการพื้นที่",
    "admin": "ผู้ดูแลระบบ",
}
PLAIN_HEADER = b"SQLite format 3\x00"
MIN_PASSPHRASE = 8
FREE_TRIES = 3
MAX_WAIT = 300.0
ENC_MAGIC = b"FAENC1\x00\x00"
ENC_CHUNK = 64 * 1024
CACHE_KIB = 64 * 1024  # page cache of an encrypted connection (SQLite's default is 2 MiB)
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

# test hook: the clock used for the backoff between failed sign-ins
clock = time.time


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: RFC 9106's second recommendation (t=3, 64 MiB, p=2); ~0.3–0.6 s here."""

    time_cost: int = 3
    memory_cost: int = 64 * 1024  # KiB
    parallelism: int = 2

    def as_dict(self) -> dict[str, int]:
        return {"t": self.time_cost, "m": self.memory_cost, "p": self.parallelism}


DEFAULT_KDF = KdfParams()


@dataclass(frozen=True)
class Unlocked:
    """The result of signing in: the data key and who signed in."""

    key: bytes
    user: str
    role: str
    display_name: str = ""
    by_recovery: bool = False


# ---------------------------------------------------------------------- SQLCipher


_dbapi: ModuleType | None = None
_dbapi_lock = threading.Lock()
_EXC = (  # the subclasses of Error (the bases themselves cannot change: their layouts differ)
    "InterfaceError",
    "DatabaseError",
    "InternalError",
    "OperationalError",
    "ProgrammingError",
    "IntegrityError",
    "DataError",
    "NotSupportedError",
)


def dbapi() -> ModuleType:
    """``sqlcipher3.dbapi2``, with its exceptions made subclasses of the standard library's."""
    global _dbapi
    with _dbapi_lock:
        if _dbapi is None:
            from sqlcipher3 import dbapi2

            for name in _EXC:
                cls = getattr(dbapi2, name)
                std = getattr(sqlite3, name)
                if issubclass(cls, std):
                    continue
                cls.__bases__ = (*cls.__bases__, std)
            _dbapi = dbapi2
        return _dbapi


def is_plain_sqlite(path: str | Path) -> bool:
    """True for an ordinary (unencrypted) SQLite file; False for anything else or an empty file."""
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == PLAIN_HEADER
    except OSError:
        return False


def looks_encrypted(path: str | Path) -> bool:
    """A non-empty file that is not a plain SQLite database (SQLCipher has no readable header)."""
    p = Path(path)
    try:
        return p.is_file() and p.stat().st_size > 0 and not is_plain_sqlite(p)
    except OSError:
        return False


def key_pragma(key: bytes) -> str:
    return f"PRAGMA key = \"x'{key.hex()}'\""


def connect(path: str | Path, key: bytes | None = None, **kwargs: Any) -> sqlite3.Connection:
    """A connection to ``path``: the standard library's for a plain file, SQLCipher's with a key.

    With a key the database is read once, so a wrong key or a damaged file raises
    ``sqlite3.DatabaseError`` here and not at the first query.
    """
    if key is None:
        return sqlite3.connect(str(path), **kwargs)
    mod = dbapi()
    conn: sqlite3.Connection = mod.connect(str(path), **kwargs)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(key_pragma(key))
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        # every page read from disk is decrypted and its HMAC checked: keep more pages decrypted
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    except BaseException:
        conn.close()
        raise
    return conn


# ---------------------------------------------------------------------- keys of open databases

_known: dict[str, bytes] = {}
_known_lock = threading.Lock()


def _norm(path: str | Path) -> str:
    return str(Path(path).resolve())


def remember(db_path: str | Path, key: bytes) -> None:
    """Keep the data key of a signed-in database for this process (other threads, backups)."""
    with _known_lock:
        _known[_norm(db_path)] = key


def forget(db_path: str | Path | None = None) -> None:
    """Drop a remembered key (locking the app); all of them with no path."""
    with _known_lock:
        if db_path is None:
            _known.clear()
        else:
            _known.pop(_norm(db_path), None)


def key_for(db_path: str | Path) -> bytes | None:
    with _known_lock:
        return _known.get(_norm(db_path))


def connect_file(path: str | Path, **kwargs: Any) -> sqlite3.Connection:
    """Open a database file of unknown kind: plain, or encrypted with a key known to this process.

    Used for backups and restores (an encrypted database's backups use its data key). Raises
    AccessError when the file is encrypted and no signed-in database's key opens it.
    """
    p = Path(path)
    if not looks_encrypted(p):
        return sqlite3.connect(str(p), **kwargs)
    with _known_lock:
        keys = list(dict.fromkeys(_known.values()))
    own = _known.get(_norm(p))
    if own is not None:
        keys.remove(own)
        keys.insert(0, own)
    if not keys:
        raise AccessError(
            "ไฟล์นี้เข้ารหัสไว้ กรุณาเข้าสู่ระบบก่อน",
            f"{p.name} is encrypted: sign in first",
        )
    last: Exception | None = None
    for key in keys:
        try:
            return connect(p, key, **kwargs)
        except sqlite3.DatabaseError as exc:
            last = exc
    assert last is not None
    raise last


# ---------------------------------------------------------------------- AEAD helpers


def _aesgcm(key: bytes) -> Any:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def _hkdf(secret: bytes, salt: bytes, info: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def argon2id(passphrase: str, salt: bytes, params: KdfParams = DEFAULT_KDF) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(
        passphrase.encode("utf-8"),
        salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_cost,
        parallelism=params.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def key_id(key: bytes) -> str:
    """A short public fingerprint of a data key (it tells which key, reveals nothing of it)."""
    return hmac.new(key, b"fieldapp key id", hashlib.sha256).hexdigest()[:16]


def file_key(data_key: bytes) -> bytes:
    """The key for encrypted files (attachments, exports in progress), derived from the data key."""
    return _hkdf(data_key, b"fieldapp", b"fieldapp files v1")


# ---------------------------------------------------------------------- recovery key


def new_recovery_code() -> tuple[str, bytes]:
    """A printable recovery key (8 groups of 4 base32 letters + a check group) and its secret."""
    secret = secrets.token_bytes(20)
    body = base64.b32encode(secret).decode("ascii").rstrip("=")
    check = base64.b32encode(hashlib.sha256(secret).digest()[:5]).decode("ascii")[:4]
    text = body + check
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4)), secret


def parse_recovery_code(code: str) -> bytes:
    """The secret of a typed recovery key; ValidationError naming a typo."""
    text = "".join(ch for ch in code.upper() if not ch.isspace() and ch != "-")
    text = text.translate(str.maketrans("018", "OIB"))
    if len(text) != 36 or any(ch not in _B32 for ch in text):
        raise ValidationError(
            "รหัสกู้คืนต้องมี 9 กลุ่ม กลุ่มละ 4 ตัวอักษร (A–Z และ 2–7)",
            "a recovery key is 9 groups of 4 letters (A-Z, 2-7)",
            code="recovery.format",
        )
    secret = base64.b32decode(text[:32])
    check = base64.b32encode(hashlib.sha256(secret).digest()[:5]).decode("ascii")[:4]
    if check != text[32:]:
        raise ValidationError(
            "รหัสกู้คืนพิมพ์ผิด กรุณาตรวจสอบทีละกลุ่ม",
            "the recovery key has a typo (its check group does not match)",
            code="recovery.typo",
        )
    return secret


# ---------------------------------------------------------------------- the key file


def keys_path(db_path: str | Path) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + KEYS_SUFFIX)


def _pending_path(db_path: str | Path) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + PENDING_SUFFIX)


def _attempts_path(db_path: str | Path) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + ATTEMPTS_SUFFIX)


def is_encrypted(db_path: str | Path) -> bool:
    """True when the database has a key file (or is being made an encrypted one)."""
    return keys_path(db_path).exists() or (_pending_path(db_path).exists() and looks_encrypted(db_path))


class KeyFile:
    """The key file: slots that each wrap the same data key."""

    def __init__(self, data: dict[str, Any], path: Path | None = None) -> None:
        self.data = data
        self.path = path

    # ---- reading and writing

    @classmethod
    def load(cls, db_path: str | Path) -> KeyFile:
        p = keys_path(db_path)
        if not p.exists():
            pend = _pending_path(db_path)
            if pend.exists() and looks_encrypted(db_path):
                os.replace(pend, p)  # an encryption that stopped right after the database was swapped
                fsync_dir(p.parent)
            else:
                raise AccessError(
                    "ไม่พบไฟล์กุญแจของฐานข้อมูล (ไฟล์ .keys) กรุณานำไฟล์นี้มาวางไว้ข้างฐานข้อมูล "
                    "หรือคัดลอกจากโฟลเดอร์ backups",
                    f"the key file {p.name} is missing: put it back next to the database "
                    "(a copy is kept in the backups folder)",
                )
        try:
            data = json.loads(p.read_text("utf-8"))
            if data.get("format") != FORMAT or not isinstance(data.get("slots"), list):
                raise ValueError("not a fieldapp key file")
        except (OSError, ValueError) as exc:
            raise DamagedError(
                f"ไฟล์กุญแจ {p.name} เสียหาย ใช้สำเนาจากโฟลเดอร์ backups แทนได้",
                f"the key file {p.name} is damaged ({exc}); a copy is kept in the backups folder",
            ) from exc
        return cls(data, p)

    def save(self, db_path: str | Path, *, pending: bool = False) -> Path:
        """Write the key file atomically, and a copy into the backups folder."""
        target = _pending_path(db_path) if pending else keys_path(db_path)
        raw = json.dumps(self.data, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
        write_atomic(target, raw)
        if not pending:
            folder = paths.backups_dir(db_path)
            folder.mkdir(parents=True, exist_ok=True)
            write_atomic(folder / keys_path(db_path).name, raw)
        self.path = target
        return target

    @property
    def key_id(self) -> str:
        return str(self.data.get("key_id", ""))

    def users(self) -> list[dict[str, str]]:
        return [
            {"user": s["user"], "role": s["role"], "display_name": s.get("display_name", "")}
            for s in self.data["slots"]
            if s.get("kind") == "passphrase"
        ]

    def has_recovery(self) -> bool:
        return any(s.get("kind") == "recovery" for s in self.data["slots"])

    # ---- slots

    @staticmethod
    def _aad(kid: str, kind: str, user: str, role: str) -> bytes:
        return json.dumps(
            {"format": FORMAT, "key_id": kid, "kind": kind, "user": user, "role": role},
            sort_keys=True,
            ensure_ascii=False,
        ).encode("utf-8")

    def _wrap(self, kek: bytes, data_key: bytes, kind: str, user: str, role: str) -> dict[str, str]:
        nonce = secrets.token_bytes(12)
        wrapped = _aesgcm(kek).encrypt(nonce, data_key, self._aad(self.key_id, kind, user, role))
        return {"nonce": _b64(nonce), "wrapped": _b64(wrapped)}

    def _unwrap(self, kek: bytes, slot: dict[str, Any]) -> bytes | None:
        from cryptography.exceptions import InvalidTag

        aad = self._aad(self.key_id, slot["kind"], slot.get("user", ""), slot.get("role", ""))
        try:
            key: bytes = _aesgcm(kek).decrypt(_unb64(slot["nonce"]), _unb64(slot["wrapped"]), aad)
        except (InvalidTag, ValueError, KeyError):
            return None
        if key_id(key) != self.key_id:
            return None
        return key

    def set_passphrase(
        self,
        data_key: bytes,
        user: str,
        role: str,
        passphrase: str,
        *,
        display_name: str = "",
        params: KdfParams = DEFAULT_KDF,
    ) -> None:
        """Add a user's slot or replace it (a new salt, a new wrapping)."""
        check_passphrase(passphrase)
        if role not in ROLES:
            raise ValidationError(f"ไม่รู้จักบทบาท {role}", f"unknown role {role!r} (one of {', '.join(ROLES)})")
        if not user.strip():
            raise ValidationError("กรุณาใส่ชื่อผู้ใช้", "a user name is required")
        salt = secrets.token_bytes(16)
        slot: dict[str, Any] = {
            "kind": "passphrase",
            "user": user,
            "role": role,
            "display_name": display_name,
            "kdf": {"name": "argon2id", **params.as_dict(), "salt": _b64(salt)},
            "created_at": now_iso("seconds"),
            **self._wrap(argon2id(passphrase, salt, params), data_key, "passphrase", user, role),
        }
        self.data["slots"] = [
            s for s in self.data["slots"] if not (s.get("kind") == "passphrase" and s.get("user") == user)
        ] + [slot]

    def set_recovery(self, data_key: bytes) -> str:
        """Make a new recovery key (the old one stops working); returns it for printing."""
        code, secret = new_recovery_code()
        salt = secrets.token_bytes(16)
        slot: dict[str, Any] = {
            "kind": "recovery",
            "user": "",
            "role": "",
            "kdf": {"name": "hkdf-sha256", "salt": _b64(salt)},
            "created_at": now_iso("seconds"),
            **self._wrap(_hkdf(secret, salt, b"fieldapp recovery"), data_key, "recovery", "", ""),
        }
        self.data["slots"] = [s for s in self.data["slots"] if s.get("kind") != "recovery"] + [slot]
        return code

    def remove_user(self, user: str) -> None:
        left = [
            s for s in self.data["slots"] if not (s.get("kind") == "passphrase" and s.get("user") == user)
        ]
        if len(left) == len(self.data["slots"]):
            raise ValidationError(f"ไม่พบผู้ใช้ {user}", f"no local user {user!r}")
        if not any(s.get("kind") == "passphrase" for s in left):
            raise ValidationError("ต้องมีผู้ใช้อย่างน้อย 1 คน", "the last user cannot be removed")
        self.data["slots"] = left

    def slot_of(self, user: str) -> dict[str, Any] | None:
        for s in self.data["slots"]:
            if s.get("kind") == "passphrase" and s.get("user") == user:
                return s
        return None

    def try_passphrase(self, passphrase: str, user: str | None) -> Unlocked | None:
        slots = [s for s in self.data["slots"] if s.get("kind") == "passphrase"]
        if user is not None:
            chosen = [s for s in slots if s.get("user") == user]
            slots = chosen or (slots if len(slots) == 1 else [])
        for s in slots:
            k = s["kdf"]
            params = KdfParams(int(k["t"]), int(k["m"]), int(k["p"]))
            key = self._unwrap(argon2id(passphrase, _unb64(k["salt"]), params), s)
            if key is not None:
                return Unlocked(key, s["user"], s["role"], s.get("display_name", ""))
        return None

    def try_recovery(self, secret: bytes) -> bytes | None:
        for s in self.data["slots"]:
            if s.get("kind") == "recovery":
                key = self._unwrap(_hkdf(secret, _unb64(s["kdf"]["salt"]), b"fieldapp recovery"), s)
                if key is not None:
                    return key
        return None


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValidationError(
            f"รหัสผ่านต้องยาวอย่างน้อย {MIN_PASSPHRASE} ตัวอักษร",
            f"a passphrase needs at least {MIN_PASSPHRASE} characters",
            code="passphrase.short",
        )


def new_key_file(
    user: str, role: str, passphrase: str, *, display_name: str = "", params: KdfParams = DEFAULT_KDF
) -> tuple[KeyFile, bytes, str]:
    """A key file for a new data key with one user and a recovery key: (file, key, recovery code)."""
    data_key = secrets.token_bytes(32)
    kf = KeyFile(
        {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "key_id": key_id(data_key),
            "cipher": "sqlcipher4-raw-key",
            "created_at": now_iso("seconds"),
            "slots": [],
        }
    )
    kf.set_passphrase(data_key, user, role, passphrase, display_name=display_name, params=params)
    code = kf.set_recovery(data_key)
    return kf, data_key, code


# ---------------------------------------------------------------------- sign-in with backoff


def _read_attempts(db_path: str | Path) -> tuple[int, float]:
    try:
        d = json.loads(_attempts_path(db_path).read_text("utf-8"))
        return int(d.get("failures", 0)), float(d.get("last", 0.0))
    except (OSError, ValueError, TypeError):
        return 0, 0.0


def wait_after(failures: int) -> float:
    """Seconds to wait before the next try after ``failures`` failed ones."""
    if failures < FREE_TRIES:
        return 0.0
    return min(MAX_WAIT, 5.0 * 2 ** (failures - FREE_TRIES))


def seconds_to_wait(db_path: str | Path) -> float:
    failures, last = _read_attempts(db_path)
    return max(0.0, last + wait_after(failures) - clock())


def _record_attempt(db_path: str | Path, ok: bool) -> int:
    p = _attempts_path(db_path)
    if ok:
        p.unlink(missing_ok=True)
        return 0
    failures, _ = _read_attempts(db_path)
    failures += 1
    with contextlib.suppress(OSError):
        write_atomic(p, json.dumps({"failures": failures, "last": clock()}).encode("ascii"))
    return failures


def _check_wait(db_path: str | Path) -> None:
    wait = seconds_to_wait(db_path)
    if wait > 0:
        raise AccessError(
            f"ใส่รหัสผ่านผิดหลายครั้ง กรุณารอ {int(wait) + 1} วินาทีแล้วลองใหม่",
            f"too many wrong passphrases: wait {int(wait) + 1} s and try again",
            wait_seconds=wait,
        )


def unlock(db_path: str | Path, passphrase: str, user: str | None = None) -> Unlocked:
    """Sign in: unwrap the data key with a user's passphrase (AccessError when wrong)."""
    kf = KeyFile.load(db_path)
    _check_wait(db_path)
    found = kf.try_passphrase(passphrase, user)
    failures = _record_attempt(db_path, found is not None)
    if found is None:
        wait = wait_after(failures)
        extra_th = f" กรุณารอ {int(wait)} วินาทีก่อนลองใหม่" if wait else ""
        extra_en = f"; wait {int(wait)} s before the next try" if wait else ""
        who_th = f"ของผู้ใช้ {user} " if user and kf.slot_of(user) else ""
        raise AccessError(
            f"รหัสผ่าน{who_th}ไม่ถูกต้อง{extra_th}",
            f"wrong passphrase{' for ' + user if user and kf.slot_of(user) else ''}{extra_en}",
            wait_seconds=wait,
            wrong_passphrase=True,
        )
    remember(db_path, found.key)
    return found


def unlock_recovery(db_path: str | Path, code: str) -> Unlocked:
    """Unwrap the data key with the printed recovery key."""
    kf = KeyFile.load(db_path)
    _check_wait(db_path)
    key = kf.try_recovery(parse_recovery_code(code))
    failures = _record_attempt(db_path, key is not None)
    if key is None:
        raise AccessError(
            "รหัสกู้คืนไม่ถูกต้องสำหรับฐานข้อมูลนี้",
            "this recovery key does not belong to this database",
            wait_seconds=wait_after(failures),
            wrong_passphrase=True,
        )
    remember(db_path, key)
    return Unlocked(key, "", "admin", by_recovery=True)


# ---------------------------------------------------------------------- encrypted files


def _chunk_nonce(prefix: bytes, index: int) -> bytes:
    return prefix + index.to_bytes(4, "big")


def encrypt_stream(data_key: bytes, src: IO[bytes], dst: IO[bytes], *, chunk: int = ENC_CHUNK) -> int:
    """Encrypt ``src`` into ``dst`` (header + chunks); returns the plaintext size."""
    aead = _aesgcm(file_key(data_key))
    prefix = secrets.token_bytes(8)
    header = ENC_MAGIC + prefix
    dst.write(header)
    size = 0
    index = 0
    block = src.read(chunk)
    while True:
        nxt = src.read(chunk) if block else b""
        last = not nxt
        aad = header + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")
        dst.write(aead.encrypt(_chunk_nonce(prefix, index), block, aad))
        size += len(block)
        index += 1
        if last:
            return size
        block = nxt


def decrypt_stream(data_key: bytes, src: IO[bytes], *, chunk: int = ENC_CHUNK) -> Iterator[bytes]:
    """The plaintext of an encrypted file, chunk by chunk (DamagedError when altered or cut)."""
    from cryptography.exceptions import InvalidTag

    aead = _aesgcm(file_key(data_key))
    header = src.read(len(ENC_MAGIC) + 8)
    if len(header) != len(ENC_MAGIC) + 8 or not header.startswith(ENC_MAGIC):
        raise DamagedError("ไฟล์แนบไม่ใช่ไฟล์เข้ารหัสของโปรแกรม", "not an encrypted fieldapp file")
    prefix = header[len(ENC_MAGIC) :]
    index = 0
    block = src.read(chunk + 16)
    while True:
        nxt = src.read(chunk + 16)
        last = not nxt
        aad = header + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")
        try:
            yield aead.decrypt(_chunk_nonce(prefix, index), block, aad)
        except InvalidTag:
            raise DamagedError(
                "ไฟล์แนบเสียหายหรือถูกแก้ไข", f"encrypted file damaged or altered at chunk {index}"
            ) from None
        if last:
            return
        index += 1
        block = nxt


def is_encrypted_file(path: str | Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(ENC_MAGIC)) == ENC_MAGIC
    except OSError:
        return False


def encrypt_bytes(data_key: bytes, data: bytes) -> bytes:
    out = io.BytesIO()
    encrypt_stream(data_key, io.BytesIO(data), out)
    return out.getvalue()


def decrypt_bytes(data_key: bytes, blob: bytes) -> bytes:
    return b"".join(decrypt_stream(data_key, io.BytesIO(blob)))


def write_encrypted_file(data_key: bytes, path: Path, src: IO[bytes]) -> int:
    """Encrypt ``src`` into ``path`` atomically (a temporary name, fsync, rename)."""
    with atomic_file(path, suffix=".part", sync_dir=False) as fh:
        return encrypt_stream(data_key, src, fh)


def wipe_file(path: Path) -> None:
    """Overwrite a file with zeros, then delete it (best effort: SSDs may keep old blocks)."""
    try:
        size = path.stat().st_size
        with open(path, "r+b") as fh:
            left = size
            zeros = b"\x00" * (1 << 20)
            while left > 0:
                n = min(left, len(zeros))
                fh.write(zeros[:n])
                left -= n
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        pass
    path.unlink(missing_ok=True)


def damaged_database(path: Path, exc: BaseException) -> StoreError:
    return DamagedError(
        f"รหัสผ่านถูกต้อง แต่เปิดฐานข้อมูล {path.name} ไม่ได้: ไฟล์เสียหาย กรุณากู้คืนจากสำเนาสำรอง",
        f"the passphrase is right but {path} cannot be opened: the file is damaged ({exc}); restore a backup",
    )
