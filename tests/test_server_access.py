"""Who may do what on the server: roles and areas checked on every change, nothing revealed about
records outside the user's areas.

Runs on SQLite always and on PostgreSQL when it answers (see ``postgres_url`` in ``tests/live_server.py``).
"""

from __future__ import annotations

import copy
import hashlib
import uuid
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

PASSWORD = "correct horse"
HID = "3b241101-e2bb-4255-8caf-4136c566a962"


class Api:
    """The server in-process, with an area manager and a community leader of district 3201, an
    area manager of district 3301 and an admin."""

    def __init__(self, db_url: str) -> None:
        self.settings = fast_settings(db_url)
        self.app = shared_app(self.settings)
        self.client = TestClient(self.app, raise_server_exceptions=False)
        self.engine = self.app.state.engine
        with self.engine.begin() as conn:
            auth.add_user(conn, self.settings, "am", "area_manager", ["3201"], PASSWORD)
            auth.add_user(conn, self.settings, "leader", "community_leader", ["3201"], PASSWORD)
            auth.add_user(conn, self.settings, "other", "area_manager", ["3301"], PASSWORD)
            auth.add_user(conn, self.settings, "admin", "admin", [], PASSWORD)
        self.tokens: dict[str, str] = {}

    def auth(self, user: str) -> dict[str, str]:
        if user not in self.tokens:
            r = self.client.post(P.Paths.LOGIN, json={"user": user, "password": PASSWORD})
            assert r.status_code == 200, r.text
            self.tokens[user] = str(r.json()["token"])
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def push(self, user: str, *changes: P.Change, device: str | None = None) -> list[dict[str, Any]]:
        r = self.client.post(
            P.Paths.PUSH,
            json={"device_id": device or f"laptop-of-{user}", "changes": [c.to_json() for c in changes]},
            headers=self.auth(user),
        )
        assert r.status_code == 200, r.text
        return list(r.json()["results"])

    def rows(self, query: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(query).all())

    def record(self, rid: str = HID) -> Any:
        found = self.rows(select(db.records).where(db.records.c.id == rid))
        return found[0] if found else None


@pytest.fixture
def api(db_url: str) -> Iterator[Api]:
    a = Api(db_url)
    yield a
    a.client.close()
    a.engine.dispose()


def edit(
    doc: dict[str, Any] | None,
    base: int | None,
    *,
    rid: str = HID,
    form: str = "household",
    erased: bool = False,
    resolves: bool = False,
) -> P.Change:
    deleted = doc is None
    return P.Change(
        str(uuid.uuid4()), form, rid, base, doc, deleted=deleted, resolves=resolves, erased=erased
    )


@pytest.fixture
def hh(household: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(household)
    doc["subdistrict_code"] = "320101"
    return doc


def anonymised(doc: dict[str, Any]) -> dict[str, Any]:
    from fieldapp.forms import default_forms
    from fieldapp.rights import anonymise_doc

    return anonymise_doc(default_forms().forms["household"], doc)


# ---------------------------------------------------------------------- roles


@pytest.mark.parametrize("mode", ["erase", "anonymise"])
def test_a_community_leader_cannot_erase_or_anonymise_and_the_record_is_kept(
    api: Api, hh: dict[str, Any], mode: str
) -> None:
    [made] = api.push("am", edit(hh, None))
    assert made["status"] == "applied"
    before = api.record()
    change = edit(None if mode == "erase" else anonymised(hh), made["rev"], erased=True)
    [res] = api.push("leader", change)
    assert (res["status"], res["reason"]) == ("rejected", "role_forbidden")
    assert "area manager" in res["message_en"] and "community_leader" in res["message_en"]
    assert res["message"] == P.REJECTION_MESSAGES["role_forbidden"]  # Thai, for the person
    after = api.record()
    assert (after.rev, after.doc, after.deleted) == (before.rev, before.doc, False)
    assert api.rows(select(db.erasures)) == []
    assert all(r.doc is not None for r in api.rows(select(db.revisions)))
    # an area manager of the record's area may
    [ok] = api.push("am", change)
    assert ok["status"] == "applied"
    assert [r.mode for r in api.rows(select(db.erasures))] == [mode]


def test_a_community_leader_cannot_mark_a_conflict_resolved(api: Api, hh: dict[str, Any]) -> None:
    [v1] = api.push("am", edit(hh, None))
    [v2] = api.push("am", edit({**hh, "house_no": "12/1"}, v1["rev"]))
    [clash] = api.push("leader", edit({**hh, "house_no": "99"}, v1["rev"]))
    assert clash["status"] == "conflict"
    c = db.conflicts.c
    open_ = select(c.id).where(c.resolved_at.is_(None))
    assert len(api.rows(open_)) == 1
    choice = edit({**hh, "house_no": "99"}, v2["rev"], resolves=True)
    [res] = api.push("leader", choice)
    assert (res["status"], res["reason"]) == ("rejected", "role_forbidden")
    assert len(api.rows(open_)) == 1 and api.record().rev == v2["rev"]
    [ok] = api.push("am", choice)
    assert ok["status"] == "applied"
    assert api.rows(open_) == [] and api.rows(select(c.resolved_by)) == [("am",)]


def test_an_erasure_outside_the_users_areas_is_refused(api: Api, hh: dict[str, Any]) -> None:
    [made] = api.push("am", edit(hh, None))
    [res] = api.push("other", edit(None, made["rev"], erased=True))
    assert (res["status"], res["reason"]) == ("rejected", "area_forbidden")
    assert api.record().doc is not None and api.rows(select(db.erasures)) == []


def test_erasing_an_unknown_id_records_nothing_and_never_blocks_its_owner(
    api: Api, hh: dict[str, Any]
) -> None:
    [res] = api.push("other", edit(None, None, erased=True))
    assert res["status"] == "applied"
    assert api.rows(select(db.erasures)) == [] and api.record() is None
    # the id's real owner records it later, and it stays theirs
    [made] = api.push("am", edit(hh, None))
    assert made["status"] == "applied"
    [again] = api.push("am", edit({**hh, "house_no": "7"}, made["rev"]))
    assert again["status"] == "applied"


def test_a_marker_left_for_an_unknown_id_by_an_older_server_blocks_nothing(
    api: Api, hh: dict[str, Any]
) -> None:
    with api.engine.begin() as conn:
        conn.execute(
            db.erasures.insert().values(
                record_id=HID, form_id="household", mode="erase", rev=None, at="2026-01-01", user_name="x"
            )
        )
    [made] = api.push("am", edit(hh, None))
    assert made["status"] == "applied"
    [again] = api.push("am", edit({**hh, "house_no": "7"}, made["rev"]))
    assert again["status"] == "applied"
    [gone] = api.push("am", edit(None, again["rev"], erased=True))
    assert gone["status"] == "applied"
    assert [r.mode for r in api.rows(select(db.erasures))] == ["erase"]


# ---------------------------------------------------------------------- nothing leaks across areas


@pytest.mark.parametrize("form", ["household", "business", "referral"])
def test_another_areas_record_reveals_neither_its_form_nor_its_area(
    api: Api, hh: dict[str, Any], form: str
) -> None:
    [made] = api.push("am", edit(hh, None))
    assert made["status"] == "applied"
    [res] = api.push("other", edit({"subdistrict_code": "330101"}, None, form=form))
    assert (res["status"], res["reason"]) == ("rejected", "area_forbidden")
    text = str(res)
    assert "household" not in text.replace(f"'form': '{form}'", "") and "3201" not in text
    assert res["doc"] is None and res["rev"] is None


# ---------------------------------------------------------------------- through a real sync


@pytest.fixture
def live(db_url: str, tmp_path: Path) -> Iterator[Any]:
    from live_server import shared_server

    a = Api(db_url)
    a.url = shared_server(a.app).url  # type: ignore[attr-defined]
    a.tmp = tmp_path  # type: ignore[attr-defined]
    yield a
    a.client.close()
    a.engine.dispose()


def test_a_community_leaders_erasure_stays_on_the_laptop_with_the_reason_until_a_manager_syncs_it(
    live: Any,
) -> None:
    from fieldapp import demo, rights
    from fieldapp.store import open_store
    from fieldapp.sync.client import sync
    from fieldapp.sync.outbox import pending_summary

    s = open_store(live.tmp / "leader.db", user="leader")  # a plain database: the laptop knows no role
    try:
        demo.generate(s, households=3, seed=4, areas=["3201"], businesses=0, referrals=0)
        assert sync(s, live.url, "leader", PASSWORD, retries=0).verified
        hid = s.ids("household")[0]
        rights.erase(s, hid, mode="erase", purge_backups=False)
        rep = sync(s, live.url, "leader", PASSWORD, retries=0)
        assert [(r["record_id"], r["reason"]) for r in rep.rejected] == [(hid, "role_forbidden")]
        assert live.record(hid).doc is not None and live.rows(select(db.erasures)) == []
        # kept on the laptop, listed with its reason, and sent again at every sync
        waiting = pending_summary(s)
        assert [(r["record_id"], r["reason"]) for r in waiting["rejected"]] == [(hid, "role_forbidden")]
        assert hid in {r["id"] for r in s.dirty_rows("household")}
        assert sync(s, live.url, "leader", PASSWORD, retries=0).rejected
        # the area manager syncs the same laptop with their own account: the erasure goes through
        done = sync(s, live.url, "am", PASSWORD, retries=0)
        assert not done.rejected and done.verified
        assert live.record(hid).doc is None and [r.mode for r in live.rows(select(db.erasures))] == ["erase"]
        assert pending_summary(s)["rejected"] == []
    finally:
        s.close()


def test_a_signed_in_community_leader_is_told_at_once_that_erasing_and_resolving_need_a_manager(
    tmp_path: Path,
) -> None:
    from fieldapp import demo, rights
    from fieldapp.errors import AccessError
    from fieldapp.store import open_store
    from fieldapp.sync.outbox import resolve_conflict

    s = open_store(tmp_path / "x.db", user="leader")
    try:
        demo.generate(s, households=1, seed=4, areas=["3201"], businesses=0, referrals=0)
        hid = s.ids("household")[0]
        s.role = "community_leader"  # as signed in on an encrypted database
        with pytest.raises(AccessError, match="ผู้จัดการพื้นที่"):
            rights.erase(s, hid, mode="anonymise")
        with pytest.raises(AccessError, match="ผู้จัดการพื้นที่"):
            resolve_conflict(s, "household", hid, {})
        assert rights.erasure(s, hid) is None
        s.role = "area_manager"
        rights.erase(s, hid, mode="anonymise", purge_backups=False)
        assert rights.erasure(s, hid) is not None
    finally:
        s.close()


# ---------------------------------------------------------------------- attachments


def put(api: Api, user: str, data: bytes, offset: int = 0, size: int | None = None) -> Any:
    sha = hashlib.sha256(data).hexdigest()
    return api.client.put(
        P.Paths.attachment(sha),
        params={"offset": offset, "size": len(data) if size is None else size},
        content=data[offset:] if size is None else data,
        headers={**api.auth(user), "Content-Type": "image/jpeg"},
    )


PHOTO = b"\xff\xd8 a photo of house 87/3 in Surin " * 50
PHOTO_SHA = hashlib.sha256(PHOTO).hexdigest()


def test_a_photo_of_another_area_cannot_be_read_by_pushing_its_hash(api: Api, hh: dict[str, Any]) -> None:
    assert put(api, "am", PHOTO).json()["complete"]
    [mine] = api.push("am", edit({**hh, "photo": PHOTO_SHA}, None))
    assert mine["status"] == "applied"
    assert api.client.get(P.Paths.attachment(PHOTO_SHA), headers=api.auth("leader")).content == PHOTO
    # a user of another area refers to the same hash from a household of their own
    theirs = {**hh, "subdistrict_code": "330101", "photo": PHOTO_SHA}
    [res] = api.push("other", edit(theirs, None, rid=str(uuid.uuid4())))
    assert res["status"] == "applied"
    got = api.client.get(P.Paths.attachment(PHOTO_SHA), headers=api.auth("other"))
    assert got.status_code == 404 and PHOTO not in got.content
    status = api.client.get(P.Paths.attachment_status(PHOTO_SHA), headers=api.auth("other")).json()
    assert status == {"sha256": PHOTO_SHA, "size": None, "received": 0, "complete": False}
    # one who really has the file proves it by sending it, and may then read it
    assert put(api, "other", PHOTO).json()["complete"]
    assert api.client.get(P.Paths.attachment(PHOTO_SHA), headers=api.auth("other")).content == PHOTO


def test_an_attachments_status_tells_nothing_outside_the_users_scope(api: Api, hh: dict[str, Any]) -> None:
    half = len(PHOTO) // 2
    r = api.client.put(
        P.Paths.attachment(PHOTO_SHA),
        params={"offset": 0, "size": len(PHOTO)},
        content=PHOTO[:half],
        headers=api.auth("am"),
    )
    assert r.json()["received"] == half
    nothing = {"sha256": PHOTO_SHA, "size": None, "received": 0, "complete": False}
    assert api.client.get(P.Paths.attachment_status(PHOTO_SHA), headers=api.auth("other")).json() == nothing
    own = api.client.get(P.Paths.attachment_status(PHOTO_SHA), headers=api.auth("am")).json()
    assert (own["size"], own["received"], own["complete"]) == (len(PHOTO), half, False)


def test_nobody_else_can_append_to_or_reset_a_half_finished_upload(api: Api) -> None:
    half = len(PHOTO) // 2
    h = api.auth("am")
    api.client.put(
        P.Paths.attachment(PHOTO_SHA),
        params={"offset": 0, "size": len(PHOTO)},
        content=PHOTO[:half],
        headers=h,
    )
    # another user tries to continue it with bytes of their own, and to restart it with another size
    append = api.client.put(
        P.Paths.attachment(PHOTO_SHA),
        params={"offset": half, "size": len(PHOTO)},
        content=b"x" * (len(PHOTO) - half),
        headers=api.auth("other"),
    )
    assert append.status_code == 409 and append.json()["error"]["details"]["received"] == 0
    reset = api.client.put(
        P.Paths.attachment(PHOTO_SHA),
        params={"offset": 0, "size": 3},
        content=b"abc",
        headers=api.auth("other"),
    )
    assert reset.status_code == 422  # their own upload, and not this file
    done = api.client.put(
        P.Paths.attachment(PHOTO_SHA),
        params={"offset": half, "size": len(PHOTO)},
        content=PHOTO[half:],
        headers=h,
    )
    assert done.status_code == 200 and done.json()["complete"]


# ---------------------------------------------------------------------- the laptops' audit trails


def login_for(api: Api, user: str, device: str, key: str | None) -> Any:
    body = {"user": user, "password": PASSWORD, "device_id": device}
    if key is not None:
        body["device_key"] = key
    return api.client.post(P.Paths.LOGIN, json=body)


def audit_rows(*ids: int, user: str = "somsri") -> list[dict[str, Any]]:
    return [
        {"id": i, "at": "2026-03-01T09:00:00Z", "user": user, "action": "view", "record_id": HID} for i in ids
    ]


def test_audit_rows_cannot_be_sent_under_another_laptops_device_id(api: Api) -> None:
    dev = str(uuid.uuid4())
    mine = login_for(api, "am", dev, "the laptop's own secret")
    assert mine.status_code == 200
    h = {"Authorization": f"Bearer {mine.json()['token']}"}
    # another user tries the same device id: without its key, with a wrong key, or with a login
    # made for no device at all
    assert login_for(api, "other", dev, None).status_code == 403
    wrong = login_for(api, "other", dev, "a guess")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "device_forbidden")
    forged = api.client.post(
        P.Paths.AUDIT,
        json={"device_id": dev, "entries": audit_rows(1, 2, user="am")},
        headers=api.auth("other"),
    )
    assert forged.status_code == 403
    # the real rows with the same ids all arrive, stamped with the login that sent them
    real = api.client.post(P.Paths.AUDIT, json={"device_id": dev, "entries": audit_rows(1, 2)}, headers=h)
    assert real.json() == {"stored": 2}
    rows = api.rows(select(db.device_audit.c.user_name, db.device_audit.c.received_by))
    assert rows == [("somsri", "am"), ("somsri", "am")]
    # a login made for this device cannot send rows or pushes for another one
    other_dev = api.client.post(
        P.Paths.AUDIT, json={"device_id": str(uuid.uuid4()), "entries": audit_rows(3)}, headers=h
    )
    assert other_dev.status_code == 403
    push = api.client.post(P.Paths.PUSH, json={"device_id": "someone-else", "changes": []}, headers=h)
    assert push.status_code == 403


def test_a_shared_laptop_syncs_under_several_accounts_with_its_key(api: Api) -> None:
    dev = str(uuid.uuid4())
    assert login_for(api, "leader", dev, "k").status_code == 200
    assert login_for(api, "am", dev, "k").status_code == 200
