"""Attachments (photos, evidence) stored by content: the SHA-256 of the file names it.

Files live in a folder next to the database (``<db>.attachments/ab/abcdef…``); adding the same file
twice stores it once. The ``attachments`` table of the store records size, type and original name
for sync (uploaded idempotently by hash).
"""

from __future__ import annotations

import hashlib
import mimetypes
import shutil
from pathlib import Path

from fieldapp.errors import ValidationError
from fieldapp.store import Store, now_iso

MAX_BYTES = 25 * 1024 * 1024


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
            "ไฟล์ใหญ่เกินไป (ไม่เกิน 25 MB)", f"file too large ({size} bytes, limit {MAX_BYTES})",
            code="attachment.size",
        )
    digest = sha256_of(src)
    dest = path_for(store, digest)
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
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
