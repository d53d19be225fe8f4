"""The sync protocol, shared by the laptop client (``fieldapp.sync.client``) and the server.

Everything both sides must agree on lives here and nowhere else: the protocol version, the
endpoint paths, the payload shapes and their validation, the error envelope and the conflict
representation. The merge of two edits is in ``fieldapp.sync.merge``.

A leaf: this module imports only the standard library (no Qt, FastAPI, requests, store, crypto
or rights), so the server reads the protocol without loading the laptop's sync client.

Documents are the store's record documents: a dict of field id → value, with repeat groups as
lists of rows that each carry a stable UUID ``id``.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from fieldapp import clock

if TYPE_CHECKING:  # only for annotations: the protocol imports nothing of the application
    from fieldapp.forms import Form

PROTOCOL_VERSION = 1
PROTOCOL_HEADER = "X-Fieldapp-Protocol"
CLOCK_SKEW_WARN_SECONDS = 300
DEFAULT_PUSH_BATCH = 100
MAX_PUSH_BATCH = 1000
DEFAULT_PULL_PAGE = 1000
MAX_PULL_PAGE = 2000
ATTACHMENT_CHUNK = 512 * 1024
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024  # a photo or file of a record, on the laptop and the server
MAX_SENT = 50  # change ids a change may list in ``sent``
MAX_HISTORY = 200  # edit-history entries sent with one pushed change (the rest go with the next push)
MAX_HISTORY_CHANGES = 2000  # field changes in one edit-history entry
ROLES = ("community_leader", "area_manager", "admin")

# Acts that only some roles may do; every other change (recording and editing records) is open to
# every role inside the user's areas. The server checks this table on every pushed change, and the
# area too; the laptop checks it where it knows the role, as a convenience. Withdrawing consent is
# open to every role: a community leader records consent, and withdrawing it must be as easy as
# giving it (PDPA s.19); it is an edit, checked by area like any other.
ACTS = ("erase", "anonymise", "resolve")
ROLE_ACTS: dict[str, frozenset[str]] = {
    "community_leader": frozenset(),
    "area_manager": frozenset(ACTS),
    "admin": frozenset(ACTS),
}
ACT_NAMES = {
    "erase": ("ลบข้อมูลครัวเรือน", "erase a record"),
    "anonymise": ("ลบข้อมูลส่วนบุคคลของครัวเรือน", "anonymise a record"),
    "resolve": ("เลือกค่าที่ถูกต้องของข้อมูลขัดแย้ง", "resolve a sync conflict"),
}


def may(role: str | None, act: str) -> bool:
    """True when ``role`` may do ``act`` (one of ``ACTS``)."""
    return act in ROLE_ACTS.get(role or "", frozenset())


# Keys a client may never send inside a document: the server owns them.
SERVER_OWNED = frozenset(
    {
        "rev",
        "server_rev",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "device_id",
        "deleted",
        "complete",
        "conflict",
        "base",
        "dirty",
        "form_id",
        "form_version",
    }
)


class Paths:
    """Endpoint paths (all JSON except attachment bodies)."""

    PREFIX = "/api/v1"
    LOGIN = "/api/v1/login"
    HANDSHAKE = "/api/v1/handshake"
    PUSH = "/api/v1/push"
    PULL = "/api/v1/pull"
    VERIFY = "/api/v1/verify"
    CONFLICTS = "/api/v1/conflicts"
    ATTACHMENT = "/api/v1/attachments/{sha256}"
    ATTACHMENT_STATUS = "/api/v1/attachments/{sha256}/status"
    AUDIT = "/api/v1/audit"  # the laptop's audit trail, sent after each sync
    FORM = "/api/v1/forms/{form_id}"  # a form installed on the server, fetched by laptops that lack it

    @staticmethod
    def attachment(sha256: str) -> str:
        return Paths.ATTACHMENT.format(sha256=sha256)

    @staticmethod
    def attachment_status(sha256: str) -> str:
        return Paths.ATTACHMENT_STATUS.format(sha256=sha256)

    @staticmethod
    def form(form_id: str) -> str:
        return Paths.FORM.format(form_id=quote(form_id, safe=""))


Status = Literal["applied", "merged", "conflict", "rejected"]
STATUSES: tuple[str, ...] = ("applied", "merged", "conflict", "rejected")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class ProtocolViolation(ValueError):
    """A payload that does not have the agreed shape; the message says what is wrong."""


# ---------------------------------------------------------------------- small helpers


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def doc_hash(doc: Mapping[str, Any] | None) -> str:
    return hashlib.sha256(canonical_json(doc).encode("utf-8")).hexdigest()


_CHANGE_NS = uuid.UUID("6f1c2a52-8f0b-4d8e-9a57-3f3b4c1de0a1")


def change_id_for(
    device_id: str,
    form_id: str,
    record_id: str,
    base_rev: int | None,
    doc: Mapping[str, Any] | None,
    deleted: bool,
) -> str:
    """A change id that is the same every time the same edit is sent (so a retry is a replay)."""
    key = f"{device_id}|{form_id}|{record_id}|{base_rev}|{int(deleted)}|{doc_hash(None if deleted else doc)}"
    return str(uuid.uuid5(_CHANGE_NS, key))


# times on the wire: UTC with milliseconds and "Z" (written and read by fieldapp.clock)
utc_now = clock.utc_now
iso = clock.iso_z
parse_iso = clock.parse_iso


def in_scope(area: str | None, areas: Iterable[str], *, everything: bool = False) -> bool:
    """True when an area code lies inside one of the user's areas (codes nest by prefix)."""
    if everything:
        return True
    return bool(area) and any(str(area).startswith(a) for a in areas)


def ids_checksum(ids: Iterable[str]) -> str:
    """An order-independent checksum of record ids (XOR of SHA-256 prefixes), as hex."""
    acc = 0
    for rid in ids:
        acc ^= int.from_bytes(hashlib.sha256(rid.encode("ascii")).digest()[:16], "big")
    return f"{acc:032x}"


def photo_refs(form: Form, doc: Mapping[str, Any] | None) -> list[str]:
    """The SHA-256 of every attachment a document refers to."""
    if not doc:
        return []
    out: list[str] = []
    for f in form.fields.values():
        if f.kind.attachment and doc.get(f.id):
            out.append(str(doc[f.id]))
        for c in f.fields:
            if c.kind.attachment:
                out += [str(r[c.id]) for r in doc.get(f.id) or [] if r.get(c.id)]
    return sorted(set(out))


# ---------------------------------------------------------------------- payload validation


# Limits of the server's database columns: a value over them is refused at the edge (400), never
# handed to the database (PostgreSQL refuses an over-long string, a NUL character or an integer
# over 2^31 - 1 with a server error; SQLite would store them).
MAX_INT = 2**31 - 1  # revisions, cursors, attachment sizes and audit ids are 32-bit columns
MAX_DEVICE_ID = 64
MAX_FORM_ID = 60
MAX_USER_NAME = 100
MAX_TIMESTAMP = 40
MAX_ACTION = 40
MAX_RECORD_ID = 36
MAX_PASSWORD = 1024
MAX_MIME = 100


def check_text(value: str, where: str, max_len: int, *, empty: bool = True) -> str:
    """``value`` if it fits a text column of ``max_len`` characters and has no NUL character."""
    if len(value) > max_len:
        raise ProtocolViolation(f"{where}: longer than {max_len} characters")
    if "\x00" in value:
        raise ProtocolViolation(f"{where}: contains a NUL character")
    if not empty and not value:
        raise ProtocolViolation(f"{where}: must not be empty")
    return value


def check_int(value: int, where: str, low: int = 0, high: int = MAX_INT) -> int:
    if not low <= value <= high:
        raise ProtocolViolation(f"{where}: must be between {low} and {high}")
    return value


def _need(
    obj: Mapping[str, Any],
    key: str,
    types: type | tuple[type, ...],
    where: str,
    optional: bool = False,
    max_len: int | None = None,
) -> Any:
    if key not in obj or obj[key] is None:
        if optional:
            return None
        raise ProtocolViolation(f"{where}: missing {key!r}")
    value = obj[key]
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise ProtocolViolation(f"{where}: {key!r} has the wrong type")
    if not isinstance(value, types):
        raise ProtocolViolation(f"{where}: {key!r} has the wrong type")
    if isinstance(value, str):
        check_text(value, f"{where}: {key!r}", MAX_INT if max_len is None else max_len)
    elif isinstance(value, int) and not isinstance(value, bool):
        check_int(value, f"{where}: {key!r}")
    return value


def _uuid(value: str, where: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise ProtocolViolation(f"{where}: {value!r} is not a UUID") from None


def _mapping(obj: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(obj, Mapping):
        raise ProtocolViolation(f"{where}: must be an object")
    return obj


def parse_history(raw: Any, where: str = "history") -> list[dict[str, Any]]:
    """Edit-history entries of one record, as pushed with its change or pulled with it: a list of
    ``{"id", "at", "user", "action", "changes"}`` (plus ``device_id`` when pulled), at most
    ``MAX_HISTORY`` when pushed. Only the shape is checked here; the server checks ``changes``
    against the record's form (``fieldapp.fieldchanges.check_changes``)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ProtocolViolation(f"{where}: must be a list")
    out: list[dict[str, Any]] = []
    for i, e in enumerate(raw):
        w = f"{where}[{i}]"
        m = _mapping(e, w)
        changes = _need(m, "changes", list, w)
        if len(changes) > MAX_HISTORY_CHANGES:
            raise ProtocolViolation(f"{w}: at most {MAX_HISTORY_CHANGES} changes")
        entry = {
            "id": _uuid(_need(m, "id", str, w), w),
            "at": check_text(_need(m, "at", str, w), f"{w}: 'at'", MAX_TIMESTAMP, empty=False),
            "user": check_text(_need(m, "user", str, w), f"{w}: 'user'", MAX_USER_NAME, empty=False),
            "action": check_text(_need(m, "action", str, w), f"{w}: 'action'", MAX_ACTION, empty=False),
            "changes": changes,
        }
        device = _need(m, "device_id", str, w, optional=True, max_len=MAX_DEVICE_ID)
        if device is not None:
            entry["device_id"] = device
        out.append(entry)
    if len({e["id"] for e in out}) != len(out):
        raise ProtocolViolation(f"{where}: an entry id appears twice")
    return out


@dataclass
class Change:
    """One pushed change: a new document, or a tombstone (``deleted`` and no document)."""

    change_id: str
    form: str
    record_id: str
    base_rev: int | None
    doc: dict[str, Any] | None
    deleted: bool = False
    updated_at: str | None = None
    updated_by: str | None = None
    resolves: bool = False
    # an erasure at the data subject's request (fieldapp.rights): a tombstone (erase) or an
    # anonymised document; it wins over every other edit and the server purges older versions
    erased: bool = False
    # change ids of earlier pushes of this record from this database whose answers it never stored
    # (the connection dropped): the document descends from what was sent then, so the server takes
    # its merge base from the latest of them that it applied, else from ``base_rev``
    sent: list[str] = field(default_factory=list)
    # the record's edit-history entries made on this laptop that the server does not have yet
    # (``parse_history``): facts of earlier saves, stored once by their id, never a conflict
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        # a plain dict (not dataclasses.asdict, which deep-copies the document)
        out: dict[str, Any] = {
            "change_id": self.change_id,
            "form": self.form,
            "record_id": self.record_id,
            "base_rev": self.base_rev,
            "doc": self.doc,
            "deleted": self.deleted,
            "updated_at": self.updated_at,
            "updated_by": self.updated_by,
            "resolves": self.resolves,
            "erased": self.erased,
            "sent": list(self.sent),
        }
        if self.history:
            out["history"] = self.history
        return out

    @classmethod
    def from_json(cls, obj: Any, where: str = "change") -> Change:
        o = _mapping(obj, where)
        change_id = _uuid(_need(o, "change_id", str, where), where)
        form = _need(o, "form", str, where, max_len=MAX_FORM_ID)
        record_id = _uuid(_need(o, "record_id", str, where), where)
        base_rev = _need(o, "base_rev", int, where, optional=True)
        if base_rev is not None and base_rev < 0:
            raise ProtocolViolation(f"{where}: base_rev must not be negative")
        deleted = bool(_need(o, "deleted", bool, where, optional=True))
        doc = _need(o, "doc", dict, where, optional=True)
        if deleted and doc is not None:
            raise ProtocolViolation(f"{where}: a tombstone carries no document")
        if not deleted and doc is None:
            raise ProtocolViolation(f"{where}: missing 'doc' (or 'deleted': true)")
        sent = _need(o, "sent", list, where, optional=True) or []
        if len(sent) > MAX_SENT:
            raise ProtocolViolation(f"{where}: at most {MAX_SENT} change ids in 'sent'")
        if not all(isinstance(x, str) for x in sent):
            raise ProtocolViolation(f"{where}: 'sent' must be a list of change ids")
        sent = [_uuid(x, f"{where}.sent") for x in sent]
        history = parse_history(o.get("history"), f"{where}.history")
        if len(history) > MAX_HISTORY:
            raise ProtocolViolation(f"{where}: at most {MAX_HISTORY} history entries")
        return cls(
            change_id=change_id,
            form=form,
            record_id=record_id,
            base_rev=base_rev,
            doc=doc,
            deleted=deleted,
            updated_at=_need(o, "updated_at", str, where, optional=True, max_len=MAX_TIMESTAMP),
            updated_by=_need(o, "updated_by", str, where, optional=True, max_len=MAX_USER_NAME),
            resolves=bool(_need(o, "resolves", bool, where, optional=True)),
            erased=bool(_need(o, "erased", bool, where, optional=True)),
            sent=sent,
            history=history,
        )


@dataclass
class PushRequest:
    device_id: str
    changes: list[Change]

    def to_json(self) -> dict[str, Any]:
        return {"device_id": self.device_id, "changes": [c.to_json() for c in self.changes]}

    @classmethod
    def from_json(cls, obj: Any) -> PushRequest:
        o = _mapping(obj, "push")
        device = check_text(
            _need(o, "device_id", str, "push"), "push: 'device_id'", MAX_DEVICE_ID, empty=False
        )
        raw = _need(o, "changes", list, "push")
        if len(raw) > MAX_PUSH_BATCH:
            raise ProtocolViolation(f"push: at most {MAX_PUSH_BATCH} changes per batch")
        changes = [Change.from_json(c, f"changes[{i}]") for i, c in enumerate(raw)]
        if len({c.change_id for c in changes}) != len(changes):
            raise ProtocolViolation("push: a change id appears twice in the batch")
        if len({c.record_id for c in changes}) != len(changes):
            raise ProtocolViolation("push: a record appears twice in the batch")
        return cls(device, changes)


@dataclass
class FieldConflict:
    """One field (or one repeat row) changed differently on both sides."""

    path: str
    base: Any
    mine: Any
    theirs: Any

    @classmethod
    def from_json(cls, obj: Any) -> FieldConflict:
        o = _mapping(obj, "conflict field")
        return cls(_need(o, "path", str, "conflict field"), o.get("base"), o.get("mine"), o.get("theirs"))


@dataclass
class Conflict:
    """Both sides of a conflicting record, kept until a person chooses.

    ``kind`` is ``fields`` (the same fields changed on both sides), ``edit_delete`` (edited here,
    deleted on the server) or ``delete_edit`` (deleted here, edited on the server). ``merged`` is
    the automatic merge of everything that did not conflict (with the server's value where it
    did); ``fields`` lists each conflicting path with the base, mine and theirs values.
    """

    kind: str
    form: str
    record_id: str
    server_rev: int
    mine: dict[str, Any] | None
    theirs: dict[str, Any] | None
    merged: dict[str, Any] | None
    fields: list[FieldConflict]
    mine_by: str | None = None
    mine_at: str | None = None
    theirs_by: str | None = None
    theirs_at: str | None = None
    conflict_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: Any) -> Conflict:
        o = _mapping(obj, "conflict")
        kind = _need(o, "kind", str, "conflict")
        if kind not in ("fields", "edit_delete", "delete_edit"):
            raise ProtocolViolation(f"conflict: unknown kind {kind!r}")
        return cls(
            kind=kind,
            form=_need(o, "form", str, "conflict"),
            record_id=_need(o, "record_id", str, "conflict"),
            server_rev=_need(o, "server_rev", int, "conflict"),
            mine=o.get("mine"),
            theirs=o.get("theirs"),
            merged=o.get("merged"),
            fields=[FieldConflict.from_json(f) for f in _need(o, "fields", list, "conflict")],
            mine_by=o.get("mine_by"),
            mine_at=o.get("mine_at"),
            theirs_by=o.get("theirs_by"),
            theirs_at=o.get("theirs_at"),
            conflict_id=o.get("conflict_id"),
        )


@dataclass
class ChangeResult:
    """What the server did with one change."""

    change_id: str
    record_id: str
    form: str
    status: str
    rev: int | None = None
    doc: dict[str, Any] | None = None
    conflict: Conflict | None = None
    reason: str | None = None
    message: str | None = None  # Thai, for the person (the one convention of fieldapp.errors)
    problems: list[dict[str, Any]] = field(default_factory=list)
    missing_attachments: list[str] = field(default_factory=list)
    message_en: str | None = None  # English, for logs and programs

    def to_json(self) -> dict[str, Any]:
        return {
            "change_id": self.change_id,
            "record_id": self.record_id,
            "form": self.form,
            "status": self.status,
            "rev": self.rev,
            "doc": self.doc,
            "conflict": self.conflict.to_json() if self.conflict else None,
            "reason": self.reason,
            "message": self.message,
            "message_en": self.message_en,
            "problems": list(self.problems),
            "missing_attachments": list(self.missing_attachments),
        }

    @classmethod
    def from_json(cls, obj: Any) -> ChangeResult:
        o = _mapping(obj, "result")
        status = _need(o, "status", str, "result")
        if status not in STATUSES:
            raise ProtocolViolation(f"result: unknown status {status!r}")
        conflict = Conflict.from_json(o["conflict"]) if o.get("conflict") else None
        if status == "conflict" and conflict is None:
            raise ProtocolViolation("result: a conflict without its details")
        return cls(
            change_id=_need(o, "change_id", str, "result"),
            record_id=_need(o, "record_id", str, "result"),
            form=_need(o, "form", str, "result"),
            status=status,
            rev=_need(o, "rev", int, "result", optional=True),
            doc=o.get("doc"),
            conflict=conflict,
            reason=o.get("reason"),
            # servers before the one convention sent only "message", in English
            message=o.get("message") if "message_en" in o else None,
            message_en=o.get("message_en") if "message_en" in o else o.get("message"),
            problems=list(o.get("problems") or []),
            missing_attachments=list(o.get("missing_attachments") or []),
        )


# why the server refused a change, in Thai: a rejected result's ``message`` (docs/api.md)
REJECTION_MESSAGES: dict[str, str] = {
    "invalid": "คำตอบไม่ผ่านเงื่อนไขของแบบสำรวจ",
    "area_forbidden": "ข้อมูลอยู่นอกพื้นที่ที่บัญชีของท่านรับผิดชอบ",
    "no_area": "ข้อมูลยังไม่ได้ระบุตำบล",
    "server_owned_field": "ข้อมูลมีค่าที่เซิร์ฟเวอร์เท่านั้นกำหนดได้",
    "unknown_form": "เซิร์ฟเวอร์ไม่รู้จักแบบสำรวจนี้ (กรุณาปรับปรุงโปรแกรม)",
    "form_mismatch": "ข้อมูลนี้เป็นของแบบสำรวจอื่นบนเซิร์ฟเวอร์",
    "bad_base": "ข้อมูลไม่ตรงลำดับกับเซิร์ฟเวอร์ กรุณาซิงค์อีกครั้ง",
    "erased": "ครัวเรือนขอให้ลบข้อมูลของตน",
    "duplicate_row_id": "แถวข้อมูลในระเบียนนี้มีรหัสซ้ำกับของระเบียนอื่นบนเซิร์ฟเวอร์",
    "role_forbidden": "เฉพาะผู้จัดการพื้นที่ลบข้อมูลครัวเรือนหรือเลือกค่าที่ขัดแย้งได้ กรุณาซิงค์ด้วยบัญชีของผู้จัดการพื้นที่",
}


@dataclass
class PullItem:
    form: str
    record_id: str
    rev: int
    deleted: bool
    doc: dict[str, Any] | None
    updated_at: str | None = None
    updated_by: str | None = None
    complete: bool = True
    erased: bool = False  # an erasure (see Change.erased): applied even over unsynced local edits
    form_version: str | None = None  # the form version the server validated the record with
    # the record's whole edit history on the server, oldest first (``parse_history``); empty from
    # a server that keeps none, and for a deleted or erased record
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: Any) -> PullItem:
        o = _mapping(obj, "pull item")
        deleted = bool(_need(o, "deleted", bool, "pull item"))
        doc = _need(o, "doc", dict, "pull item", optional=deleted)
        return cls(
            form=_need(o, "form", str, "pull item"),
            record_id=_need(o, "record_id", str, "pull item"),
            rev=_need(o, "rev", int, "pull item"),
            deleted=deleted,
            doc=doc,
            updated_at=o.get("updated_at"),
            updated_by=o.get("updated_by"),
            complete=bool(o.get("complete", True)),
            erased=bool(o.get("erased", False)),
            form_version=_need(o, "form_version", str, "pull item", optional=True),
            history=parse_history(o.get("history"), "pull item history"),
        )


@dataclass
class PullPage:
    items: list[PullItem]
    next_cursor: int
    has_more: bool
    remaining: int | None = None  # asked with count=true: records due after the cursor, this page included

    @classmethod
    def from_json(cls, obj: Any) -> PullPage:
        o = _mapping(obj, "pull")
        remaining = o.get("remaining")
        return cls(
            [PullItem.from_json(i) for i in _need(o, "items", list, "pull")],
            _need(o, "next_cursor", int, "pull"),
            bool(_need(o, "has_more", bool, "pull")),
            remaining if isinstance(remaining, int) and not isinstance(remaining, bool) else None,
        )


@dataclass
class Handshake:
    protocol: int
    server_time: str
    user: str
    role: str
    areas: list[str]
    everything: bool = False
    server_version: str = ""
    scoring: dict[str, str] = field(default_factory=dict)  # form id -> the rubric's fingerprint
    people: dict[str, str] = field(default_factory=dict)  # login -> name, for showing people by name
    installed_forms: dict[str, str] = field(default_factory=dict)  # form id -> version, not bundled
    installed_fingerprints: dict[str, str] = field(default_factory=dict)  # form id -> definition digest
    history: bool = False  # the server keeps edit history: pushed entries are stored, pulled with records

    @classmethod
    def from_json(cls, obj: Any) -> Handshake:
        o = _mapping(obj, "handshake")
        return cls(
            protocol=_need(o, "protocol", int, "handshake"),
            server_time=_need(o, "server_time", str, "handshake"),
            user=_need(o, "user", str, "handshake"),
            role=_need(o, "role", str, "handshake"),
            areas=[str(a) for a in _need(o, "areas", list, "handshake")],
            everything=bool(o.get("everything", False)),
            server_version=str(o.get("server_version", "")),
            scoring={str(k): str(v) for k, v in (o.get("scoring") or {}).items()}
            if isinstance(o.get("scoring"), dict)
            else {},
            people={str(k): str(v) for k, v in o["people"].items()}
            if isinstance(o.get("people"), dict)
            else {},
            installed_forms={str(k): str(v) for k, v in o["installed_forms"].items()}
            if isinstance(o.get("installed_forms"), dict)
            else {},
            installed_fingerprints={str(k): str(v) for k, v in o["installed_fingerprints"].items()}
            if isinstance(o.get("installed_fingerprints"), dict)
            else {},
            history=o.get("history") is True,
        )


@dataclass
class FormCount:
    count: int
    checksum: str


def parse_verify(obj: Any) -> dict[str, FormCount]:
    o = _mapping(obj, "verify")
    forms = _mapping(_need(o, "forms", dict, "verify"), "verify.forms")
    out: dict[str, FormCount] = {}
    for k, v in forms.items():
        m = _mapping(v, f"verify.forms.{k}")
        out[k] = FormCount(_need(m, "count", int, k), _need(m, "checksum", str, k))
    return out


# ---------------------------------------------------------------------- errors


def error_envelope(
    code: str, message: str, message_en: str | None = None, details: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The one shape of every error the server answers: ``{"error": {...}}``.

    The convention of every error in fieldapp (``fieldapp.errors``): ``message`` is Thai, for the
    person; ``message_en`` is English, for logs and other programs; ``code`` is for programs."""
    return {
        "error": {
            "code": code,
            "message": message,
            "message_en": message_en or message,
            "details": dict(details or {}),
        }
    }


@dataclass
class ErrorInfo:
    code: str
    message: str  # Thai
    message_en: str
    details: dict[str, Any]


def parse_error(obj: Any) -> ErrorInfo | None:
    """The error inside an envelope, or None when ``obj`` is not one. Servers before the one
    convention sent ``message`` in English and ``message_th``: both shapes are read."""
    if not isinstance(obj, Mapping) or not isinstance(obj.get("error"), Mapping):
        return None
    e = obj["error"]
    if not isinstance(e.get("code"), str):
        return None
    message = str(e.get("message", ""))
    if "message_th" in e and "message_en" not in e:  # the earlier shape
        return ErrorInfo(e["code"], str(e.get("message_th") or message), message, dict(e.get("details") or {}))
    return ErrorInfo(e["code"], message, str(e.get("message_en") or message), dict(e.get("details") or {}))


MAX_AUDIT_BATCH = 1000


def parse_audit_batch(obj: Any) -> tuple[str, list[dict[str, Any]]]:
    """A laptop's audit rows: ``{"device_id": ..., "entries": [{"id", "at", "user", "action", ...}]}``."""
    o = _mapping(obj, "audit")
    device = check_text(_need(o, "device_id", str, "audit"), "audit: 'device_id'", MAX_DEVICE_ID, empty=False)
    raw = _need(o, "entries", list, "audit")
    if len(raw) > MAX_AUDIT_BATCH:
        raise ProtocolViolation(f"audit: at most {MAX_AUDIT_BATCH} entries per batch")
    out: list[dict[str, Any]] = []
    for i, e in enumerate(raw):
        m = _mapping(e, f"entries[{i}]")
        w = f"entries[{i}]"
        out.append(
            {
                "id": _need(m, "id", int, w),
                "at": _need(m, "at", str, w, max_len=MAX_TIMESTAMP),
                "user": _need(m, "user", str, w, max_len=MAX_USER_NAME),
                "action": _need(m, "action", str, w)[:MAX_ACTION],
                "form_id": _need(m, "form_id", str, w, optional=True, max_len=MAX_FORM_ID),
                "record_id": _need(m, "record_id", str, w, optional=True, max_len=MAX_RECORD_ID),
                "detail": m.get("detail"),
            }
        )
    if len({e["id"] for e in out}) != len(out):
        raise ProtocolViolation("audit: an entry id appears twice in the batch")
    return device, out
