"""No input makes the server fail: every value is checked against the database column behind it.

Integers over 2^31 - 1 (the 32-bit columns) or 2^63, strings longer than their column, NUL
characters and duplicate audit ids are refused at the edge with a 4xx answer in the error
envelope — on SQLite and on PostgreSQL (which would otherwise answer 500).
"""

from __future__ import annotations

import hashlib
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from live_server import fast_settings, postgres_schema, postgres_url, shared_app

from fieldapp.sync import protocol as P
from server import auth

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "correct horse"
SHA = hashlib.sha256(b"photo").hexdigest()
NUL = "a\x00b"


@pytest.fixture(params=["sqlite", "postgresql"], scope="module")
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('limits') / 'server.db'}"
        return
    url, why = postgres_url()
    if url is None:
        pytest.skip(why)
    with postgres_schema(url) as scoped:
        yield scoped


class Api:
    def __init__(self, db_url: str) -> None:
        self.settings = fast_settings(db_url, login_source_free_failures=10_000, login_free_failures=10_000)
        self.app = shared_app(self.settings)
        self.client = TestClient(self.app, raise_server_exceptions=False)
        with self.app.state.engine.begin() as conn:
            auth.add_user(conn, self.settings, "am", "area_manager", ["3201"], PASSWORD)
        r = self.client.post(P.Paths.LOGIN, json={"user": "am", "password": PASSWORD})
        self.headers = {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture(scope="module")
def api(db_url: str) -> Iterator[Api]:
    a = Api(db_url)
    yield a
    a.client.close()
    a.app.state.engine.dispose()


def push(**over: Any) -> Callable[[Api], Any]:
    device = over.pop("device_id", "laptop-1")
    ch = {
        "change_id": str(uuid.uuid4()),
        "form": "household",
        "record_id": str(uuid.uuid4()),
        "base_rev": None,
        "doc": {"house_no": "1"},
        **over,
    }
    return lambda a: a.client.post(
        P.Paths.PUSH, json={"device_id": device, "changes": [ch]}, headers=a.headers
    )


def audit(*entries: dict[str, Any], device: str = "laptop-1") -> Callable[[Api], Any]:
    rows = [
        {"id": 1, "at": "2026-03-01T09:00:00+00:00", "user": "am", "action": "view", **e} for e in entries
    ]
    return lambda a: a.client.post(
        P.Paths.AUDIT, json={"device_id": device, "entries": rows}, headers=a.headers
    )


def login(**body: Any) -> Callable[[Api], Any]:
    return lambda a: a.client.post(P.Paths.LOGIN, json={"user": "am", "password": "wrong one", **body})


def pull(cursor: int) -> Callable[[Api], Any]:
    return lambda a: a.client.get(P.Paths.PULL, params={"cursor": cursor}, headers=a.headers)


def upload(size: int, offset: int = 0, mime: str = "image/jpeg") -> Callable[[Api], Any]:
    return lambda a: a.client.put(
        P.Paths.attachment(SHA),
        params={"size": size, "offset": offset},
        content=b"photo",
        headers={**a.headers, "Content-Type": mime},
    )


CASES: list[tuple[str, Callable[[Api], Any]]] = [
    ("pull cursor 2^31", pull(2**31)),
    ("pull cursor 2^63", pull(2**63)),
    ("pull cursor 2^64", pull(2**64)),
    ("attachment larger than the laptop allows (25 MB)", upload(P.MAX_ATTACHMENT_BYTES + 1)),
    ("attachment size 2^31", upload(2**31)),
    ("attachment size 2^63", upload(2**63)),
    ("attachment offset 2^63", upload(5, 2**63)),
    ("attachment Content-Type over 100 characters", upload(5, mime="image/" + "x" * 100)),
    ("audit id 2^31", audit({"id": 2**31})),
    ("audit id 2^63", audit({"id": 2**63})),
    ("audit id negative", audit({"id": -1})),
    ("duplicate audit ids in one batch", audit({"id": 7}, {"id": 7})),
    ("audit at over 40 characters", audit({"at": "2026-03-01T09:00:00" + "0" * 30})),
    ("audit at with NUL", audit({"at": NUL})),
    ("audit user over 100 characters", audit({"user": "u" * 101})),
    ("audit user with NUL", audit({"user": NUL})),
    ("audit form_id over 60 characters", audit({"form_id": "f" * 61})),
    ("audit form_id with NUL", audit({"form_id": NUL})),
    ("audit record_id over 36 characters", audit({"record_id": "r" * 37})),
    ("audit record_id with NUL", audit({"record_id": NUL})),
    ("audit action with NUL", audit({"action": NUL})),
    ("audit device_id over 64 characters", audit({}, device="d" * 65)),
    ("audit device_id with NUL", audit({}, device=NUL)),
    ("push device_id over 64 characters", push(device_id="d" * 65)),
    ("push device_id with NUL", push(device_id=NUL)),
    ("push empty device_id", push(device_id="")),
    ("push form over 60 characters", push(form="f" * 61)),
    ("push form with NUL", push(form=NUL)),
    ("push updated_by over 100 characters", push(updated_by="u" * 101)),
    ("push updated_at with NUL", push(updated_at=NUL)),
    ("push base_rev 2^31", push(base_rev=2**31)),
    ("push base_rev 2^63", push(base_rev=2**63)),
    ("login name over 100 characters", login(user="u" * 101)),
    ("login name with NUL", login(user=NUL)),
    ("login device id over 64 characters", login(device_id="d" * 65)),
    ("login device id with NUL", login(device_id=NUL)),
    ("login password over 1024 characters", login(password="p" * 1025)),
]


@pytest.mark.parametrize("call", [c for _, c in CASES], ids=[n for n, _ in CASES])
def test_out_of_range_and_over_long_input_is_refused_with_the_envelope(api: Api, call: Any) -> None:
    r = call(api)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"]


def test_values_at_the_limits_are_accepted(api: Api) -> None:
    assert pull(2**31 - 1)(api).status_code == 200
    r = audit({"id": 2**31 - 1, "user": "u" * 100, "form_id": "f" * 60, "detail": {"note": NUL}})(api)
    assert r.status_code == 200 and r.json()["stored"] == 1
    r = upload(P.MAX_ATTACHMENT_BYTES)(api)  # the largest file a laptop may attach
    assert r.status_code == 200 and r.json()["received"] == 5
    assert login(user="u" * 100, device_id="d" * 64)(api).status_code == 401


def test_a_user_name_with_a_control_character_cannot_be_created(tmp_path: Path) -> None:
    s = fast_settings(f"sqlite:///{tmp_path / 's.db'}")
    app = shared_app(s)
    with app.state.engine.begin() as conn, pytest.raises(auth.AdminError):
        auth.add_user(conn, s, NUL, "area_manager", ["3201"], PASSWORD)
    app.state.engine.dispose()
