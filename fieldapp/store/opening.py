"""Opening a database: why one cannot be opened, told apart (a folder, a full disk, a read-only
place, a damaged file)."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from fieldapp.errors import StoreError

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

