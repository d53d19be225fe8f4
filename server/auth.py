"""Accounts, Argon2id password hashes, short-lived tokens and slowed-down failed logins."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Engine, delete, insert, select, update

from fieldapp import geo
from fieldapp.errors import FieldAppError
from fieldapp.sync.protocol import MAX_PASSWORD, MAX_USER_NAME, ROLES

from . import db
from .settings import Settings

MIN_PASSWORD = 8


class ApiError(FieldAppError):
    """An error answered to the client in the one JSON envelope: like every error of the core,
    ``message`` in Thai for people and ``message_en`` in English for logs and other programs."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        message_en: str | None = None,
        details: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, message_en)
        self.status = status
        self.code = code
        self.details = details or {}
        self.headers = headers or {}


class AdminError(Exception):
    """Bad input to an account command (shown as one line by the CLI)."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    areas: tuple[str, ...]
    device: str | None = None  # the device id the login was made for (proved by its key)

    @property
    def everything(self) -> bool:
        return self.role == "admin"


def hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost,
        parallelism=settings.argon2_parallelism,
        type=Type.ID,
    )


def _iso(ts: _dt.datetime) -> str:
    return ts.astimezone(_dt.UTC).isoformat(timespec="milliseconds")


def check_areas(codes: list[str]) -> list[str]:
    out: list[str] = []
    for c in codes:
        try:
            out.append(geo.check_area_code(c))
        except FieldAppError as exc:
            raise AdminError(exc.message_en) from None
    return sorted(set(out))


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AdminError(f"password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AdminError(f"password must have at most {MAX_PASSWORD} characters")


# ---------------------------------------------------------------------- account admin


def add_user(
    conn: Connection,
    settings: Settings,
    name: str,
    role: str,
    areas: list[str],
    password: str,
    display_name: str = "",
) -> User:
    name = name.strip()
    display_name = check_display_name(display_name)
    if not name or len(name) > MAX_USER_NAME or any(ch.isspace() or not ch.isprintable() for ch in name):
        raise AdminError(f"user name must be 1-{MAX_USER_NAME} printable characters without spaces")
    if role not in ROLES:
        raise AdminError(f"role must be one of {', '.join(ROLES)}")
    codes = check_areas(areas)
    if not codes and role != "admin":
        raise AdminError("give at least one --area (province, district or subdistrict code)")
    check_password(password)
    if conn.execute(select(db.users.c.id).where(db.users.c.name == name)).first():
        raise AdminError(f"user {name!r} already exists")
    uid = conn.execute(
        insert(db.users).values(
            name=name,
            role=role,
            password_hash=hasher(settings).hash(password),
            created_at=_iso(settings.clock()),
            disabled=False,
            display_name=display_name or None,
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    for c in codes:
        conn.execute(insert(db.user_areas).values(user_id=uid, area=c))
    audit(conn, settings, None, "adduser", detail=json.dumps({"user": name, "role": role, "areas": codes}))
    return User(int(uid), name, role, tuple(codes))


def set_password(conn: Connection, settings: Settings, name: str, password: str) -> None:
    check_password(password)
    res = conn.execute(
        update(db.users).where(db.users.c.name == name).values(password_hash=hasher(settings).hash(password))
    )
    if res.rowcount == 0:
        raise AdminError(f"no user {name!r}")
    uid = conn.execute(select(db.users.c.id).where(db.users.c.name == name)).scalar_one()
    conn.execute(delete(db.tokens).where(db.tokens.c.user_id == uid))
    conn.execute(delete(db.login_failures).where(db.login_failures.c.name == name))
    audit(conn, settings, None, "passwd", detail=json.dumps({"user": name}))


def set_areas(conn: Connection, settings: Settings, name: str, areas: list[str]) -> list[str]:
    codes = check_areas(areas)
    uid = conn.execute(select(db.users.c.id).where(db.users.c.name == name)).scalar()
    if uid is None:
        raise AdminError(f"no user {name!r}")
    conn.execute(delete(db.user_areas).where(db.user_areas.c.user_id == uid))
    for c in codes:
        conn.execute(insert(db.user_areas).values(user_id=uid, area=c))
    audit(conn, settings, None, "areas", detail=json.dumps({"user": name, "areas": codes}))
    return codes


def set_display_name(conn: Connection, settings: Settings, name: str, display_name: str) -> str:
    """Set (or, with "", remove) the name laptops show for an account; returns it."""
    shown = check_display_name(display_name)
    res = conn.execute(update(db.users).where(db.users.c.name == name).values(display_name=shown or None))
    if res.rowcount == 0:
        raise AdminError(f"no user {name!r}")
    audit(
        conn,
        settings,
        None,
        "name",
        detail=json.dumps({"user": name, "display_name": shown}, ensure_ascii=False),
    )
    return shown


def check_display_name(display_name: str) -> str:
    """A person's name as shown on laptops: one line of printable text, at most 100 characters."""
    text = " ".join(display_name.split())
    if len(text) > 100 or any(not ch.isprintable() for ch in text):
        raise AdminError("display name must be one line of at most 100 printable characters")
    return text


def people_for(conn: Connection, user: User) -> dict[str, str]:
    """Login → name of the accounts whose areas meet this user's (every account for an admin), for
    laptops to show people by name. Accounts without a name are left out."""
    rows = conn.execute(
        select(db.users.c.id, db.users.c.name, db.users.c.display_name).where(
            db.users.c.display_name.is_not(None)
        )
    ).all()
    out: dict[str, str] = {}
    for row in rows:
        theirs = user_areas(conn, row.id)
        meets = (
            user.everything
            or row.name == user.name
            or not theirs
            or any(a.startswith(b) or b.startswith(a) for a in user.areas for b in theirs)
        )
        if meets and row.display_name:
            out[row.name] = row.display_name
    return out


def list_users(conn: Connection) -> list[User]:
    out = []
    for row in conn.execute(
        select(db.users.c.id, db.users.c.name, db.users.c.role).order_by(db.users.c.name)
    ):
        out.append(User(row.id, row.name, row.role, user_areas(conn, row.id)))
    return out


def user_areas(conn: Connection, uid: int) -> tuple[str, ...]:
    return tuple(
        sorted(r[0] for r in conn.execute(select(db.user_areas.c.area).where(db.user_areas.c.user_id == uid)))
    )


def audit(
    conn: Connection,
    settings: Settings,
    user: str | None,
    action: str,
    form_id: str | None = None,
    record_id: str | None = None,
    detail: str | None = None,
) -> None:
    conn.execute(
        insert(db.audit_log).values(
            at=_iso(settings.clock()),
            user_name=user,
            action=action,
            form_id=form_id,
            record_id=record_id,
            detail=detail,
        )
    )


# ---------------------------------------------------------------------- login and tokens
#
# Failed logins are counted per account and per source address in ``login_failures``. A login
# first takes a slot in one short transaction (the row is locked, the delay checked and the
# attempt counted as a failure in advance), then checks the password outside any transaction,
# then — only on success — clears the account's count and issues a token. So parallel attempts
# after a delay cannot all be checked (each one counts before the next may start), the first
# failures of many parallel attempts never clash on the primary key (insert-if-missing), and no
# Argon2 check runs while the SQLite write lock is held. Names that are no account share a fixed
# number of rows (a hash bucket), so made-up names cannot grow the table; rows unused for a day
# are dropped.

_DUMMY_HASH: dict[tuple[int, int, int], str] = {}
UNKNOWN_BUCKETS = 4096
FAILURE_RETENTION = _dt.timedelta(days=1)
PENDING_STALE = _dt.timedelta(minutes=5)  # no password check takes this long


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def account_key(name: str) -> str:
    """The throttle key of an account (its name; user names have no spaces)."""
    return name


def unknown_key(name: str) -> str:
    """The throttle key of a name that is no account: one of a fixed set of buckets."""
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).digest()
    return f"unknown {int.from_bytes(digest[:4], 'big') % UNKNOWN_BUCKETS}"


def source_key(source: str) -> str:
    return f"source {source[:80]}"


def _delay(settings: Settings, failures: int, free: int) -> int:
    if failures < free:
        return 0
    return int(min(settings.login_max_delay_seconds, 2 ** min(failures - free, 30)))


def _too_many(retry: int) -> ApiError:
    return ApiError(
        429,
        "too_many_attempts",
        f"เข้าสู่ระบบผิดหลายครั้ง กรุณารออีก {retry} วินาทีแล้วลองใหม่",
        f"too many failed logins; try again in {retry} s",
        {"retry_after": retry},
        {"Retry-After": str(retry)},
    )


def _insert_missing(conn: Connection, key: str, now: str) -> None:
    """Create the throttle row if it is missing, without a duplicate-key error under concurrency."""
    values = {"name": key, "failures": 0, "last_at": now}
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(db.login_failures).values(**values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(db.login_failures).values(**values).on_conflict_do_nothing())


@dataclass
class _Ticket:
    """How one login attempt was counted for one throttle key, to be settled when it ends:
    ``advance`` — counted as a failure before the check (taken back on success); otherwise it
    holds one of the key's in-flight places (given back, and a failure then counted)."""

    key: str
    advance: bool


def pending_key(key: str) -> str:
    """The row counting the attempts of ``key`` whose password is being checked right now."""
    return f"pending {key}"


def _lock_row(conn: Connection, key: str, stamp: str) -> Any:
    _insert_missing(conn, key, stamp)
    return conn.execute(
        select(db.login_failures.c.failures, db.login_failures.c.last_at)
        .where(db.login_failures.c.name == key)
        .with_for_update()
    ).one()


def _wait_left(settings: Settings, now: _dt.datetime, failures: int, last_at: str, free: int) -> int:
    wait = _delay(settings, failures, free)
    if wait:
        ready = _dt.datetime.fromisoformat(last_at) + _dt.timedelta(seconds=wait)
        if now < ready:
            return max(1, int((ready - now).total_seconds() + 0.999))
    return 0


def _take_slot(conn: Connection, settings: Settings, keys: list[tuple[str, int, bool]]) -> list[_Ticket]:
    """Check every key's delay and count this attempt; ApiError 429 when too early.

    Each key is (key, free failures, shared). An account's attempt is counted as a failure in
    advance, so of parallel attempts after a wait only one is checked. A shared key (a source
    address, which a whole office behind one address may use) counts only failures that
    happened: while it has failures to spare, an attempt takes one of at most
    ``login_source_parallel`` in-flight places instead, so many people signing in at once are
    not taken for guesses, and a burst of guesses is still bounded. Once its free failures are
    used up, it too counts in advance.
    """
    now = settings.clock()
    stamp = _iso(now)
    conn.execute(delete(db.login_failures).where(db.login_failures.c.last_at < _iso(now - FAILURE_RETENTION)))
    tickets: list[_Ticket] = []
    for key, free, shared in keys:
        row = _lock_row(conn, key, stamp)
        retry = _wait_left(settings, now, row.failures, row.last_at, free)
        if retry:
            raise _too_many(retry)
        if shared and row.failures < free:
            slot = pending_key(key)
            held = _lock_row(conn, slot, stamp)
            stale = _dt.datetime.fromisoformat(held.last_at) < now - PENDING_STALE
            in_flight = 0 if stale else held.failures  # a server stopped mid-check leaves no place taken
            if in_flight >= settings.login_source_parallel:
                raise _too_many(1)
            conn.execute(
                update(db.login_failures)
                .where(db.login_failures.c.name == slot)
                .values(failures=in_flight + 1, last_at=stamp)
            )
            tickets.append(_Ticket(key, advance=False))
        else:
            conn.execute(
                update(db.login_failures)
                .where(db.login_failures.c.name == key)
                .values(failures=row.failures + 1, last_at=stamp)
            )
            tickets.append(_Ticket(key, advance=True))
    return tickets


def _settle(conn: Connection, settings: Settings, tickets: list[_Ticket], ok: bool) -> None:
    """End an attempt's count: a success takes back what was counted in advance (an account's
    count starts again); a failure is counted where it was not yet; in-flight places are freed."""
    f = db.login_failures.c
    stamp = _iso(settings.clock())
    for t in tickets:
        if t.advance:
            if ok:
                conn.execute(
                    update(db.login_failures)
                    .where(f.name == t.key, f.failures > 0)
                    .values(failures=f.failures - 1)
                )
            continue
        slot = pending_key(t.key)
        conn.execute(
            update(db.login_failures).where(f.name == slot, f.failures > 0).values(failures=f.failures - 1)
        )
        conn.execute(delete(db.login_failures).where(f.name == slot, f.failures <= 0))
        if not ok:
            conn.execute(
                update(db.login_failures)
                .where(f.name == t.key)
                .values(failures=f.failures + 1, last_at=stamp)
            )


def _check_password(settings: Settings, stored: str | None, password: str) -> bool:
    ph = hasher(settings)
    if stored is None:
        key = (settings.argon2_time_cost, settings.argon2_memory_cost, settings.argon2_parallelism)
        if key not in _DUMMY_HASH:
            _DUMMY_HASH[key] = ph.hash(secrets.token_hex(8))
        try:  # same work as a real check, so a missing user cannot be told apart by timing
            ph.verify(_DUMMY_HASH[key], password)
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return ph.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def login(
    engine: Engine,
    settings: Settings,
    name: str,
    password: str,
    device_id: str | None,
    source: str | None = None,
    device_key: str | None = None,
) -> tuple[str, str]:
    """(token, expires_at) or ApiError 401/403/429. Failures are counted per account and per
    source. A device id is registered with its key at the first login that names it; a later
    login for that id needs the same key (``claim_device``)."""
    with engine.begin() as conn:
        row = conn.execute(
            select(db.users.c.id, db.users.c.password_hash, db.users.c.disabled).where(
                db.users.c.name == name
            )
        ).first()
        known = row is not None and not row.disabled
        keys = [(account_key(name) if known else unknown_key(name), settings.login_free_failures, False)]
        if source:
            keys.append((source_key(source), settings.login_source_free_failures, True))
        tickets = _take_slot(conn, settings, keys)
    ok = _check_password(settings, row.password_hash if known and row is not None else None, password)
    with engine.begin() as conn:
        _settle(conn, settings, tickets, ok)
        if not ok:
            audit(conn, settings, name, "login_failed")
    if not ok:
        raise ApiError(401, "bad_credentials", "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง", "wrong user name or password")
    assert row is not None
    ph = hasher(settings)
    new_hash = ph.hash(password) if ph.check_needs_rehash(row.password_hash) else None
    with engine.begin() as conn:
        if device_id is not None:
            claim_device(conn, settings, name, device_id, device_key)
        return _issue_token(conn, settings, name, row.id, new_hash, device_id)


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def claim_device(conn: Connection, settings: Settings, name: str, device_id: str, key: str | None) -> None:
    """Register ``device_id`` for the database holding ``key``, or check that this is that database.

    A device registered with a key needs the same key. One registered without a key (an older
    laptop, or a login without one) is held by the user who registered it; that user's first
    login with a key binds it.
    """
    d = db.devices.c
    row = conn.execute(select(d.key_hash, d.user_name).where(d.device_id == device_id)).first()
    if row is None:
        conn.execute(
            insert(db.devices).values(
                device_id=device_id,
                key_hash=None if key is None else _key_hash(key),
                user_name=name,
                created_at=_iso(settings.clock()),
            )
        )
        return
    if row.key_hash is not None:
        if key is not None and secrets.compare_digest(row.key_hash, _key_hash(key)):
            return
    elif row.user_name == name:
        if key is not None:
            conn.execute(update(db.devices).where(d.device_id == device_id).values(key_hash=_key_hash(key)))
        return
    raise device_forbidden()


def device_forbidden() -> ApiError:
    return ApiError(
        403,
        "device_forbidden",
        "รหัสเครื่องนี้เป็นของเครื่องอื่น",
        "this device id belongs to another database",
    )


def _issue_token(
    conn: Connection,
    settings: Settings,
    name: str,
    uid: int,
    new_hash: str | None,
    device_id: str | None,
) -> tuple[str, str]:
    now = settings.clock()
    # a success starts the account's count again
    conn.execute(delete(db.login_failures).where(db.login_failures.c.name == account_key(name)))
    if new_hash is not None:
        conn.execute(update(db.users).where(db.users.c.id == uid).values(password_hash=new_hash))
    token = secrets.token_urlsafe(32)
    expires = now + _dt.timedelta(seconds=settings.token_ttl_seconds)
    conn.execute(delete(db.tokens).where(db.tokens.c.expires_at < _iso(now)))
    conn.execute(
        insert(db.tokens).values(
            token_hash=_token_hash(token),
            user_id=uid,
            device_id=device_id,
            created_at=_iso(now),
            expires_at=_iso(expires),
        )
    )
    audit(conn, settings, name, "login", detail=None)
    return token, _iso(expires)


def user_for_token(conn: Connection, settings: Settings, token: str | None) -> User:
    if not token:
        raise ApiError(
            401, "unauthenticated", "กรุณาเข้าสู่ระบบก่อน", "log in first (Authorization: Bearer TOKEN)"
        )
    row = conn.execute(
        select(
            db.tokens.c.expires_at,
            db.tokens.c.device_id,
            db.users.c.id,
            db.users.c.name,
            db.users.c.role,
            db.users.c.disabled,
        )
        .join(db.users, db.users.c.id == db.tokens.c.user_id)
        .where(db.tokens.c.token_hash == _token_hash(token))
    ).first()
    if row is None or row.disabled:
        raise ApiError(401, "unauthenticated", "กรุณาเข้าสู่ระบบใหม่", "unknown token; log in again")
    if _dt.datetime.fromisoformat(row.expires_at) <= settings.clock():
        raise ApiError(
            401, "token_expired", "การเข้าสู่ระบบหมดอายุ กรุณาเข้าสู่ระบบใหม่", "the login has expired; log in again"
        )
    return User(row.id, row.name, row.role, user_areas(conn, row.id), row.device_id)
