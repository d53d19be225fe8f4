"""Typed errors at the core boundary.

Every error carries a Thai message (``message``) for people and an English
one (``message_en``) for logs and the command line. The desktop app turns
them into dialogs in exactly one place; the CLI prints them as one line.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class FieldAppError(Exception):
    """Base class for every error fieldapp raises on purpose."""

    def __init__(self, message: str, message_en: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_en = message_en or message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[object, ...]:
        # errors cross process boundaries (worker pools): rebuild from the state, not the args
        obj = self.__class__.__new__(self.__class__)
        return (_rebuild, (obj.__class__, self.__dict__, self.args))


def _rebuild(cls: type[FieldAppError], state: dict[str, object], args: tuple[object, ...]) -> FieldAppError:
    err = cls.__new__(cls)
    Exception.__init__(err, *args)
    err.__dict__.update(state)
    return err


@dataclass(frozen=True)
class Problem:
    """One validation problem: which field (dotted path), and what is wrong."""

    path: str
    message: str
    message_en: str = ""
    code: str = "invalid"

    def as_dict(self) -> dict[str, str]:
        return {
            "path": self.path,
            "message": self.message,
            "message_en": self.message_en or self.message,
            "code": self.code,
        }


class ValidationError(FieldAppError):
    """Input that breaks a rule. ``problems`` lists every broken rule found."""

    def __init__(
        self,
        message: str,
        message_en: str | None = None,
        *,
        path: str = "",
        code: str = "invalid",
        problems: list[Problem] | None = None,
    ) -> None:
        super().__init__(message, message_en)
        self.path = path
        self.code = code
        self.problems: list[Problem] = problems or [Problem(path, message, message_en or message, code)]

    @classmethod
    def from_problems(cls, problems: list[Problem]) -> ValidationError:
        first = problems[0]
        if len(problems) == 1:
            msg, msg_en = first.message, first.message_en
        else:
            msg = f"{first.message} (และอีก {len(problems) - 1} รายการ)"
            msg_en = f"{first.message_en or first.message} (and {len(problems) - 1} more)"
        if first.path:
            msg_en = f"{first.path}: {msg_en}"
        return cls(msg, msg_en, path=first.path, code=first.code, problems=list(problems))


class FormDefinitionError(FieldAppError):
    """A malformed form definition; the message names the file, field and problem."""

    def __init__(self, source: str, field_path: str, problem: str, problem_th: str | None = None) -> None:
        where = f"{source}: {field_path}: " if field_path else f"{source}: "
        super().__init__(
            f"แบบฟอร์มไม่ถูกต้อง {where}{problem_th or problem}", f"invalid form definition {where}{problem}"
        )
        self.source = source
        self.field_path = field_path
        self.problem = problem
        self.problem_th = problem_th
        """the problem in Thai, where the loader says it (else only ``problem``, in English)"""


class ExpressionError(FieldAppError):
    """An expression that cannot be parsed or evaluated."""


class NotFoundError(FieldAppError):
    """A record, form or area that does not exist."""


class StoreError(FieldAppError):
    """The local database cannot be opened or is damaged.

    ``reason`` tells why: ``damaged`` (the file is not a readable database), ``read_only`` (the
    file or its folder cannot be written), ``directory`` (a folder was given), ``disk_full``,
    ``missing`` or ``other``. Only a damaged database calls for a backup.
    """

    def __init__(self, message: str, message_en: str | None = None, *, reason: str = "damaged") -> None:
        super().__init__(message, message_en)
        self.reason = reason


class SyncErrorKind(enum.Enum):
    AUTH = "auth"
    NETWORK = "network"
    SERVER = "server"
    CONFLICT = "conflict"
    PROTOCOL = "protocol"
    LOCAL = "local"  # this laptop's database could not take what the sync brought


class SyncError(FieldAppError):
    """A sync failure, with its kind so the app can say the right thing."""

    def __init__(
        self,
        kind: SyncErrorKind,
        message: str,
        message_en: str | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message, message_en)
        self.kind = kind
        self.details = details or {}


class AccessError(FieldAppError):
    """Not signed in, a wrong passphrase or recovery key, or a wait after repeated failures.

    Never a damaged file: ``wrong_passphrase`` is set when the key file's check said the passphrase
    is wrong; ``wait_seconds`` is how long to wait before the next try (0 when none).
    """

    def __init__(
        self,
        message: str,
        message_en: str | None = None,
        *,
        wait_seconds: float = 0.0,
        wrong_passphrase: bool = False,
    ) -> None:
        super().__init__(message, message_en)
        self.wait_seconds = wait_seconds
        self.wrong_passphrase = wrong_passphrase


class DamagedError(StoreError):
    """The key was right but the file cannot be read: the database (or key file) is damaged."""


class DiskFullError(FieldAppError):
    """The disk is full: what was being written was not written (nothing half-written is kept)."""


def is_disk_full(exc: BaseException) -> bool:
    """True for an ``OSError`` ENOSPC (or a full quota) and SQLite's "database or disk is full"."""
    import errno
    import sqlite3

    if isinstance(exc, DiskFullError):
        return True
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return True
    return isinstance(exc, sqlite3.Error) and "disk is full" in str(exc).lower()


def disk_full(what: str = "", what_en: str = "") -> DiskFullError:
    """The one message for a full disk; ``what`` is the file that was not written (Thai, English)."""
    if what:
        return DiskFullError(
            f"ดิสก์เต็ม {what}ไม่ได้ ไม่มีไฟล์ที่บันทึกไม่ครบค้างอยู่ กรุณาลบไฟล์ที่ไม่ใช้เพื่อให้มีที่ว่าง แล้วลองใหม่",
            f"the disk is full: {what_en} was not written (nothing half-written is left); "
            "free some space and try again",
        )
    return DiskFullError(
        "ดิสก์เต็ม งานหยุดลง ข้อมูลที่บันทึกไปแล้วยังอยู่ครบ กรุณาลบไฟล์ที่ไม่ใช้เพื่อให้มีที่ว่าง แล้วลองใหม่",
        "the disk is full: the work stopped; what was saved before stays. Free some space and try again",
    )
