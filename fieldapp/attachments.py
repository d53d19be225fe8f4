"""Attachments (photos, evidence) stored by content: the SHA-256 of the file names it.

Files live in a folder next to the database (``<db>.attachments/ab/abcdef…``); adding the same file
twice stores it once. The ``attachments`` table of the store records size, type and original name
for sync (uploaded idempotently by hash).

When the database is encrypted (``store.data_key``) every file is stored encrypted
(``fieldapp.crypto.encrypt_stream``: AES-256-GCM in chunks, under a key derived from the data key);
the name is still the SHA-256 of the clear content, so sync and de-duplication work the same.
Read and write attachments through ``read_bytes`` / ``write_bytes``, never the file directly.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import os
import shutil
from pathlib import Path

from fieldapp import crypto
from fieldapp.clock import now_iso
from fieldapp.errors import ValidationError
from fieldapp.store import Store
from fieldapp.sync import protocol as P

MAX_BYTES = P.MAX_ATTACHMENT_BYTES


def root_for(store: Store) -> Path:
    return store.path.with_name(store.path.name + ".attachments")


def path_for(store: Store, sha256: str) -> Path:
    return root_for(store) / sha256[:2] / sha256


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def add(store: Store, source: str | Path) -> str:
    """Copy a file into the attachment store; return its SHA-256."""
    src = Path(source)
    if not src.is_file():
        raise ValidationError(f"ไม่พบไฟล์ {src.name}", f"no such file: {src}", code="attachment.missing")
    size = src.stat().st_size
    if size > MAX_BYTES:
        raise ValidationError(
            "ไฟล์ใหญ่เกินไป (ไม่เกิน 25 MB)",
            f"file too large ({size} bytes, limit {MAX_BYTES})",
            code="attachment.size",
        )
    digest = sha256_of(src)
    dest = path_for(store, digest)
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        if store.data_key is not None:
            with src.open("rb") as fh:
                crypto.write_encrypted_file(store.data_key, dest, fh)
        else:
            tmp = dest.with_suffix(".part")
            shutil.copyfile(src, tmp)
            tmp.replace(dest)
    mime = mimetypes.guess_type(src.name)[0]
    with store.transaction():
        store.conn.execute(
            "INSERT INTO attachments(sha256, size, mime, name, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(sha256) DO NOTHING",
            [digest, size, mime, src.name, now_iso()],
        )
    return digest


def describe(store: Store, sha256: str) -> tuple[str | None, int | None]:
    """(original file name, size in bytes) of an attachment, as far as this laptop knows them."""
    row = store.conn.execute("SELECT name, size FROM attachments WHERE sha256 = ?", [sha256]).fetchone()
    return (row[0], row[1]) if row is not None else (None, None)


def exists(store: Store, sha256: str) -> bool:
    return path_for(store, sha256).exists()


def read_bytes(store: Store, sha256: str) -> bytes:
    """The clear content of an attachment (decrypted when stored encrypted). OSError if absent."""
    path = path_for(store, sha256)
    with path.open("rb") as fh:
        if fh.read(len(crypto.ENC_MAGIC)) != crypto.ENC_MAGIC:
            fh.seek(0)
            return fh.read()
        if store.data_key is None:
            raise ValidationError(
                "ไฟล์แนบเข้ารหัสไว้ กรุณาเข้าสู่ระบบ", f"attachment {sha256} is encrypted", code="attachment.locked"
            )
        fh.seek(0)
        return b"".join(crypto.decrypt_stream(store.data_key, fh))


def write_bytes(store: Store, sha256: str, data: bytes) -> Path:
    """Store content that arrived from elsewhere (sync); it must match its SHA-256."""
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValidationError(
            "ไฟล์แนบไม่สมบูรณ์", f"content does not match SHA-256 {sha256}", code="attachment.hash"
        )
    dest = path_for(store, sha256)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if store.data_key is not None:
        crypto.write_encrypted_file(store.data_key, dest, io.BytesIO(data))
    else:
        tmp = dest.with_suffix(".part")
        tmp.write_bytes(data)
        os.replace(tmp, dest)
    return dest


def remove(store: Store, sha256: str) -> bool:
    """Overwrite and delete an attachment file (erasure); True when there was one."""
    path = path_for(store, sha256)
    if not path.exists():
        return False
    crypto.wipe_file(path)
    return True


def encrypt_all(store: Store) -> int:
    """Encrypt every attachment still stored in clear (after the database was encrypted)."""
    if store.data_key is None:
        return 0
    root = root_for(store)
    done = 0
    if not root.is_dir():
        return 0
    for path in sorted(root.glob("*/*")):
        if not path.is_file() or path.suffix in (".part", ".enc", ".plain") or path.name.startswith("."):
            continue
        if crypto.is_encrypted_file(path):
            continue
        enc = path.with_name(path.name + ".enc")
        aside = path.with_name(path.name + ".plain")
        with path.open("rb") as fh:
            crypto.write_encrypted_file(store.data_key, enc, fh)
        # keep a second name for the clear file, swap in the encrypted one, then wipe the clear one:
        # the attachment's own name is never missing, whenever this stops
        aside.unlink(missing_ok=True)
        try:
            os.link(path, aside)
        except OSError:
            shutil.copyfile(path, aside)
        os.replace(enc, path)
        crypto.wipe_file(aside)
        done += 1
    for left in [*root.glob("*/*.plain"), *root.glob("*/*.enc")]:  # leftovers of a run that stopped
        own = left.with_suffix("")
        if left.suffix == ".enc" or crypto.is_encrypted_file(own):
            crypto.wipe_file(left)
    return done
