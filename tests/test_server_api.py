"""The server's HTTP surface: one error envelope everywhere, accounts and tokens, validation, docs.

Runs on SQLite always and on PostgreSQL when it answers (see ``postgres_url`` in ``tests/live_server.py``).
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import json
import re
import tomllib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_server import fast_settings, shared_app
from sqlalchemy import select

from fieldapp.sync import protocol as P
from server import auth, db

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse"
HID = "3b241101-e2bb-4255-8caf-4136c566a962"


class Clock:
    def __init__(self) -> None:
        self.now = _dt.datetime(2026, 3, 1, 9, 0, tzinfo=_dt.UTC)

    def __call__(self) -> _dt.datetime:
        return self.now


class Api:
    def __init__(self, db_url: str) -> None:
        self.clock = Clock()
        self.settings = fast_settings(db_url, clock=self.clock, max_request_bytes=200_000)
        self.app = shared_app(self.settings)
        self.client = TestClient(self.app, raise_server_exceptions=False)
        with self.app.state.engine.begin() as conn:
            auth.add_user(conn, self.settings, "am", "area_manager", ["3201"], PASSWORD)
            auth.add_user(conn, self.settings, "admin", "admin", [], PASSWORD)

    def token(self, user: str = "am") -> str:
        r = self.client.post(P.Paths.LOGIN, json={"user": user, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return str(r.json()["token"])

    def auth(self, user: str = "am") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user)}"}

    def push(self, changes: list[dict[str, Any]], user: str = "am") -> list[dict[str, Any]]:
        r = self.client.post(
            P.Paths.PUSH, json={"device_id": "dev", "changes": changes}, headers=self.auth(user)
        )
        assert r.status_code == 200, r.text
        return list(r.json()["results"])


@pytest.fixture
def api(db_url: str) -> Iterator[Api]:
    a = Api(db_url)
    yield a
    a.client.close()
    a.app.state.engine.dispose()


def change(
    doc: dict[str, Any] | None,
    *,
    rid: str = HID,
    base: int | None = None,
    form: str = "household",
    deleted: bool = False,
) -> dict[str, Any]:
    cid = P.change_id_for("dev", form, rid, base, doc, deleted)
    return P.Change(cid, form, rid, base, doc, deleted).to_json()


# ---------------------------------------------------------------------- one envelope for every error

SHA = hashlib.sha256(b"x").hexdigest()


def _expired(api: Api) -> dict[str, str]:
    h = api.auth()
    api.clock.now += _dt.timedelta(seconds=api.settings.token_ttl_seconds + 1)
    return h


def _locked_out(api: Api) -> None:
    for _ in range(api.settings.login_free_failures):
        api.client.post(P.Paths.LOGIN, json={"user": "am", "password": "wrong password"})


def _boom(api: Api) -> None:
    def hook(stage: str, index: int) -> None:
        raise RuntimeError("disk on fire")

    api.settings.fault_hook = hook


ERROR_CASES: list[tuple[str, int, str, Any]] = [
    ("unknown path", 404, "not_found", lambda a, h: a.client.get("/api/v1/nothing")),
    ("wrong method", 405, "method_not_allowed", lambda a, h: a.client.delete(P.Paths.PUSH)),
    ("no token", 401, "unauthenticated", lambda a, h: a.client.get(P.Paths.HANDSHAKE)),
    (
        "unknown token",
        401,
        "unauthenticated",
        lambda a, h: a.client.get(P.Paths.HANDSHAKE, headers={"Authorization": "Bearer nope"}),
    ),
    (
        "expired token",
        401,
        "token_expired",
        lambda a, h: a.client.get(P.Paths.HANDSHAKE, headers=_expired(a)),
    ),
    (
        "wrong password",
        401,
        "bad_credentials",
        lambda a, h: a.client.post(P.Paths.LOGIN, json={"user": "am", "password": "wrong password"}),
    ),
    (
        "unknown user",
        401,
        "bad_credentials",
        lambda a, h: a.client.post(P.Paths.LOGIN, json={"user": "nobody", "password": "x"}),
    ),
    (
        "too many failed logins",
        429,
        "too_many_attempts",
        lambda a, h: (
            _locked_out(a),
            a.client.post(P.Paths.LOGIN, json={"user": "am", "password": PASSWORD}),
        )[1],
    ),
    ("login body not an object", 400, "bad_payload", lambda a, h: a.client.post(P.Paths.LOGIN, json=[1, 2])),
    (
        "malformed JSON",
        422,
        "invalid_request",
        lambda a, h: a.client.post(
            P.Paths.PUSH, content=b"{not json", headers={**h, "Content-Type": "application/json"}
        ),
    ),
    (
        "protocol mismatch",
        400,
        "protocol_mismatch",
        lambda a, h: a.client.get(P.Paths.HANDSHAKE, headers={**h, P.PROTOCOL_HEADER: "99"}),
    ),
    (
        "push without changes",
        400,
        "bad_payload",
        lambda a, h: a.client.post(P.Paths.PUSH, json={"device_id": "d"}, headers=h),
    ),
    (
        "change without a document",
        400,
        "bad_payload",
        lambda a, h: a.client.post(
            P.Paths.PUSH, json={"device_id": "d", "changes": [{**change({}), "doc": None}]}, headers=h
        ),
    ),
    (
        "record id not a UUID",
        400,
        "bad_payload",
        lambda a, h: a.client.post(
            P.Paths.PUSH, json={"device_id": "d", "changes": [{**change({}), "record_id": "42"}]}, headers=h
        ),
    ),
    (
        "negative cursor",
        422,
        "invalid_request",
        lambda a, h: a.client.get(P.Paths.PULL, params={"cursor": -1}, headers=h),
    ),
    (
        "page too large",
        422,
        "invalid_request",
        lambda a, h: a.client.get(P.Paths.PULL, params={"limit": P.MAX_PULL_PAGE + 1}, headers=h),
    ),
    (
        "verify exclude not a list",
        400,
        "bad_payload",
        lambda a, h: a.client.post(P.Paths.VERIFY, json={"exclude": "x"}, headers=h),
    ),
    (
        "request too large",
        413,
        "too_large",
        lambda a, h: a.client.post(
            P.Paths.PUSH, content=b"x" * 300_000, headers={**h, "Content-Type": "application/json"}
        ),
    ),
    (
        "no content length",
        411,
        "length_required",
        lambda a, h: a.client.post(
            P.Paths.PUSH, content=iter([b"{}"]), headers={**h, "Content-Type": "application/json"}
        ),
    ),
    (
        "bad attachment hash in path",
        422,
        "invalid_request",
        lambda a, h: a.client.get(P.Paths.attachment("not-a-hash"), headers=h),
    ),
    ("attachment not found", 404, "not_found", lambda a, h: a.client.get(P.Paths.attachment(SHA), headers=h)),
    (
        "attachment without size",
        422,
        "invalid_request",
        lambda a, h: a.client.put(P.Paths.attachment(SHA), content=b"x", headers=h),
    ),
    (
        "attachment resumed at the wrong offset",
        409,
        "offset_mismatch",
        lambda a, h: a.client.put(
            P.Paths.attachment(SHA), params={"offset": 5, "size": 1}, content=b"x", headers=h
        ),
    ),
    (
        "attachment longer than declared",
        400,
        "too_long",
        lambda a, h: a.client.put(
            P.Paths.attachment(SHA), params={"offset": 0, "size": 1}, content=b"xy", headers=h
        ),
    ),
    (
        "attachment bytes do not match the hash",
        422,
        "hash_mismatch",
        lambda a, h: a.client.put(
            P.Paths.attachment(SHA), params={"offset": 0, "size": 1}, content=b"y", headers=h
        ),
    ),
    (
        "server error",
        500,
        "server_error",
        lambda a, h: (
            _boom(a),
            a.client.post(P.Paths.PUSH, json={"device_id": "d", "changes": [change({})]}, headers=h),
        )[1],
    ),
]


@pytest.mark.parametrize(
    ("status", "code", "call"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
def test_every_error_answers_the_one_json_envelope(api: Api, status: int, code: str, call: Any) -> None:
    headers = api.auth()
    r = call(api, headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "message_en", "details"}
    assert body["error"]["code"] == code
    assert re.search("[\u0e00-\u0e7f]", body["error"]["message"]), "message is Thai, for the person"
    assert body["error"]["message_en"].isascii() and body["error"]["message_en"]
    assert isinstance(body["error"]["details"], dict)
    assert P.parse_error(body) is not None


# ---------------------------------------------------------------------- accounts and tokens


def test_passwords_are_stored_as_argon2id_hashes(api: Api) -> None:
    with api.app.state.engine.connect() as conn:
        hashes = [r[0] for r in conn.execute(select(db.users.c.password_hash))]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert all(PASSWORD not in h for h in hashes)


def test_login_returns_a_short_lived_token_and_the_handshake_gives_time_and_scope(api: Api) -> None:
    r = api.client.post(P.Paths.LOGIN, json={"user": "am", "password": PASSWORD, "device_id": "d1"}).json()
    expires = P.parse_iso(r["expires_at"])
    assert (
        expires - api.clock.now
        == _dt.timedelta(seconds=api.settings.token_ttl_seconds)
        <= _dt.timedelta(hours=1)
    )
    hs = P.Handshake.from_json(
        api.client.get(P.Paths.HANDSHAKE, headers={"Authorization": f"Bearer {r['token']}"}).json()
    )
    assert (hs.protocol, hs.user, hs.role, hs.areas, hs.everything) == (
        P.PROTOCOL_VERSION,
        "am",
        "area_manager",
        ["3201"],
        False,
    )
    assert P.parse_iso(hs.server_time) == api.clock.now


def test_repeated_failed_logins_are_slowed_down_then_allowed_again(api: Api) -> None:
    for _ in range(api.settings.login_free_failures):
        assert (
            api.client.post(P.Paths.LOGIN, json={"user": "am", "password": "bad password"}).status_code == 401
        )
    blocked = api.client.post(P.Paths.LOGIN, json={"user": "am", "password": PASSWORD})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    api.clock.now += _dt.timedelta(seconds=2)
    assert api.client.post(P.Paths.LOGIN, json={"user": "am", "password": "bad password"}).status_code == 401
    again = api.client.post(P.Paths.LOGIN, json={"user": "am", "password": PASSWORD})
    assert again.status_code == 429 and int(again.headers["Retry-After"]) >= 2  # the wait doubles
    api.clock.now += _dt.timedelta(seconds=3)
    assert api.client.post(P.Paths.LOGIN, json={"user": "am", "password": PASSWORD}).status_code == 200
    assert api.client.post(P.Paths.LOGIN, json={"user": "am", "password": PASSWORD}).status_code == 200


# ---------------------------------------------------------------------- validation of pushed records


@pytest.fixture
def valid_household(household: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(household)
    doc["subdistrict_code"] = "320101"
    return doc


def test_a_valid_record_is_applied_and_audited(api: Api, valid_household: dict[str, Any]) -> None:
    [res] = api.push([change(valid_household)])
    assert (res["status"], res["rev"]) == ("applied", 1)
    with api.app.state.engine.connect() as conn:
        actions = [r[0] for r in conn.execute(select(db.audit_log.c.action).order_by(db.audit_log.c.id))]
    assert "push_applied" in actions and "login" in actions


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d.update(rev=5), "server_owned_field"),
        (lambda d: d.update(updated_by="someone"), "server_owned_field"),
        (lambda d: d.update(favourite_colour="red"), "invalid"),
        (lambda d: d.update(village_no="many"), "invalid"),
        (lambda d: d["members"][0].update(shoe_size=42), "invalid"),
        (lambda d: d.update(subdistrict_code=None), "no_area"),
        (lambda d: d.update(subdistrict_code="330101"), "area_forbidden"),
    ],
    ids=["rev", "updated_by", "unknown field", "bad value", "unknown row field", "no area", "other area"],
)
def test_pushed_records_are_checked_against_the_form_and_the_users_areas(
    api: Api, valid_household: dict[str, Any], mutate: Any, reason: str
) -> None:
    mutate(valid_household)
    [res] = api.push([change(valid_household)])
    assert (res["status"], res["reason"]) == ("rejected", reason)
    assert res["message"]
    with api.app.state.engine.connect() as conn:
        assert conn.execute(select(db.records.c.id)).first() is None


def test_unknown_form_is_rejected(api: Api) -> None:
    [res] = api.push([change({}, form="spaceship")])
    assert (res["status"], res["reason"]) == ("rejected", "unknown_form")


def test_an_admin_covers_every_area(api: Api, valid_household: dict[str, Any]) -> None:
    valid_household["subdistrict_code"] = "330101"
    [res] = api.push([change(valid_household)], user="admin")
    assert res["status"] == "applied"


# ---------------------------------------------------------------------- schema, OpenAPI, docs


def test_the_schema_migrates_once_and_records_its_version(api: Api) -> None:
    assert db.migrate(api.app.state.engine) == []
    with api.app.state.engine.connect() as conn:
        assert [r[0] for r in conn.execute(select(db.schema_version.c.version))] == [
            n for n, _, _ in db.MIGRATIONS
        ]


def _routes(app: Any) -> list[tuple[str, str]]:
    from fastapi.routing import APIRoute

    return sorted((m, r.path) for r in app.routes if isinstance(r, APIRoute) for m in r.methods)


def test_openapi_lists_every_endpoint(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    listed = sorted((m.upper(), p) for p, ops in spec["paths"].items() for m in ops)
    assert listed == _routes(api.app)


def test_every_endpoint_is_documented_in_docs_api_md(api: Api) -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#+ `(GET|POST|PUT|DELETE|PATCH) ([^`]+)`", text, re.M))
    missing = [r for r in [*_routes(api.app), ("GET", "/openapi.json")] if r not in documented]
    assert missing == []


def test_fieldapp_server_console_script_is_declared() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["fieldapp-server"] == "fieldapp_server.cli:main"


def test_docs_sync_md_names_only_tests_that_exist() -> None:
    text = (ROOT / "docs" / "sync.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(test_[a-z0-9_]+)`", text))
    existing: set[str] = set()
    for path in (ROOT / "tests").glob("test_*.py"):
        existing |= set(re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.M))
    assert named and named <= existing, sorted(named - existing)


def test_error_envelope_shape_is_shared_with_the_client() -> None:
    env = P.error_envelope("x", "ไทย", "English", {"a": 1})
    assert json.loads(json.dumps(env)) == {
        "error": {"code": "x", "message": "ไทย", "message_en": "English", "details": {"a": 1}}
    }
    assert P.parse_error(env) == P.ErrorInfo("x", "ไทย", "English", {"a": 1})


def test_the_client_reads_the_earlier_error_shape_and_ignores_unknown_keys() -> None:
    earlier = {"error": {"code": "x", "message": "English", "message_th": "ไทย", "details": {}, "hint": 1}}
    assert P.parse_error(earlier) == P.ErrorInfo("x", "ไทย", "English", {})
