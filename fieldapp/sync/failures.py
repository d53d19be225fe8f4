"""The two ways sync turns a failure into a ``SyncError`` (shared by transport, rules and run)."""

from __future__ import annotations

from fieldapp.errors import SyncError, SyncErrorKind


def sync_error(kind: SyncErrorKind, th: str, en: str, **details: object) -> SyncError:
    """A ``SyncError`` with a Thai message, an English one and details (``final`` stops retries)."""
    return SyncError(kind, th, en, dict(details))


def bad_answer(what: str) -> SyncError:
    """The server answered something this client cannot read."""
    return sync_error(
        SyncErrorKind.PROTOCOL,
        "เซิร์ฟเวอร์ตอบกลับไม่ถูกรูปแบบ กรุณาปรับปรุงโปรแกรมหรือติดต่อผู้ดูแลระบบ",
        f"unexpected answer from the server: {what}",
    )


def local_failure(exc: BaseException) -> SyncError:
    """This laptop's database could not take what the sync brought (what was stored stays)."""
    from fieldapp.errors import FieldAppError, is_disk_full

    if is_disk_full(exc):
        return sync_error(
            SyncErrorKind.LOCAL,
            "ดิสก์เต็ม บันทึกข้อมูลจากการซิงค์ลงเครื่องนี้ไม่ได้ ข้อมูลที่บันทึกแล้วยังอยู่ครบ กรุณาลบไฟล์ที่ไม่ใช้เพื่อให้มีที่ว่าง แล้วซิงค์ใหม่",
            "the disk is full: this laptop could not store what the sync brought (what was stored stays); "
            "free some space and sync again",
            disk_full=True,
        )
    detail = exc.message_en if isinstance(exc, FieldAppError) else f"{type(exc).__name__}: {exc}"
    return sync_error(
        SyncErrorKind.LOCAL,
        "บันทึกข้อมูลจากการซิงค์ลงเครื่องนี้ไม่ได้ ข้อมูลที่บันทึกแล้วยังอยู่ครบ กรุณาซิงค์ใหม่ หากยังไม่ได้ให้ติดต่อผู้ดูแลระบบ",
        f"this laptop could not store what the sync brought: {detail}",
    )
