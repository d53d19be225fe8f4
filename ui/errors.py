"""Errors turned into a Thai (or English) message — the one place that does it."""

from __future__ import annotations

import logging
import sqlite3

from PySide6.QtWidgets import QMessageBox, QWidget

from fieldapp.errors import (
    FieldAppError,
    StoreError,
    SyncError,
    SyncErrorKind,
    ValidationError,
    disk_full,
    is_disk_full,
)

from .i18n import language, tr

log = logging.getLogger("fieldapp.ui")


def message_for(exc: BaseException) -> str:
    """What to tell the person in front of the screen."""
    if isinstance(exc, SyncError) and exc.details.get("plain_http"):
        return tr("The server address starts with http://, which is not encrypted, and the server is not on the "
                  "local network: the password and the households' data could be read on the way. Use https:// "
                  "(or, if you really must, allow http:// in the settings).")
    if isinstance(exc, SyncError):
        kind_text = {
            SyncErrorKind.AUTH: tr("Sign-in failed. Check your user name and password."),
            SyncErrorKind.NETWORK: tr("Cannot reach the server. Your data is safe on this laptop; try again later."),
            SyncErrorKind.SERVER: tr("The server had a problem. Your data is safe on this laptop; try again later."),
            SyncErrorKind.CONFLICT: tr("Some records were changed on both sides. Please review the conflicts."),
            SyncErrorKind.PROTOCOL: tr("This version of the program cannot talk to the server. Please update it."),
        }
        return kind_text.get(exc.kind, exc.message)
    if isinstance(exc, ValidationError):
        return exc.message if language() == "th" else exc.message_en
    if isinstance(exc, FieldAppError):
        return exc.message if language() == "th" else exc.message_en
    if isinstance(exc, sqlite3.Error) and is_disk_full(exc):
        full = disk_full()
        return full.message if language() == "th" else full.message_en
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return tr("The database is busy. Please try again in a moment.")
    if isinstance(exc, OSError):
        return tr("The file could not be read or written: {detail}", detail=os_error_text(exc))
    return tr("Something went wrong. Nothing was written. Details: {detail}", detail=type(exc).__name__)


def os_error_text(exc: OSError) -> str:
    """Why a file could not be written, in the current language (never the system's English)."""
    import errno

    reasons = {
        errno.EACCES: tr("this folder does not allow writing; choose another folder"),
        errno.EPERM: tr("this folder does not allow writing; choose another folder"),
        errno.EROFS: tr("this disk is read-only; choose another folder"),
        errno.ENOENT: tr("the folder does not exist; choose another folder"),
        errno.ENOTDIR: tr("the folder does not exist; choose another folder"),
        errno.ENOSPC: tr("the disk is full"),
        errno.ENAMETOOLONG: tr("the file name is too long; choose a shorter name"),
        errno.EISDIR: tr("a folder has this name; choose another name"),
        errno.EEXIST: tr("a file with this name already exists"),
    }
    reason = reasons.get(exc.errno or -1, tr("the system refused ({code})", code=exc.errno or "?"))
    return f"{reason}: {exc.filename}" if exc.filename else reason


def title_for(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return tr("Please check the data")
    if isinstance(exc, StoreError):
        return tr("Database problem")
    return tr("Problem")


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    if not isinstance(exc, FieldAppError):
        log.exception("unexpected error", exc_info=exc)
    box = QMessageBox(QMessageBox.Icon.Warning, title_for(exc), message_for(exc),
                      QMessageBox.StandardButton.Ok, parent)
    box.exec()
