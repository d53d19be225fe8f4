"""The real client against the real server on loopback: every sync guarantee of DESIGN §4.

The server runs in uvicorn in a thread on 127.0.0.1 (a free port); each test binds it to a fresh
SQLite file and, when PostgreSQL answers (``FIELDAPP_TEST_DATABASE_URL`` or 127.0.0.1:5432/test),
again to a fresh PostgreSQL schema. Laptops are separate Store files. Faults are injected by a TCP proxy
(``tests/live_server.py``, ``FaultProxy``) or a server hook.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from live_server import FaultProxy, fast_settings, shared_app, shared_server
from sqlalchemy import func, select, update

from fieldapp import attachments, demo
from fieldapp.errors import SyncError, SyncErrorKind
from fieldapp.store import Store, open_store
from fieldapp.sync import protocol as P
from fieldapp.sync.client import sync
from fieldapp.sync.outbox import pending_summary, resolve_conflict
from server import auth, db

PASSWORD = "correct horse"
AREA = "3201"  # Mueang Surin
OTHER_AREA = "3301"  # Mueang Si Sa Ket


class Env:
    def __init__(self, db_url: str, tmp_path: Path) -> None:
        self.settings = fast_settings(db_url)
        self.app = shared_app(self.settings)
        self.engine = self.app.state.engine
        self.server = shared_server(self.app)
        self.url = self.server.url
        self.tmp = tmp_path
        self.stores: list[Store] = []
        self.add_user("am", "area_manager", [AREA])

    def add_user(self, name: str, role: str, areas: list[str]) -> None:
        with self.engine.begin() as conn:
            auth.add_user(conn, self.settings, name, role, areas, PASSWORD)

    def laptop(self, name: str) -> Store:
        s = open_store(self.tmp / f"{name}.db", user=name)
        self.stores.append(s)
        return s

    def sync(self, store: Store, user: str = "am", url: str | None = None, **kw: Any) -> Any:
        kw.setdefault("retries", 0)
        return sync(store, url or self.url, user, PASSWORD, **kw)

    def scalar(self, query: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def server_doc(self, record_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(db.records.c.doc, db.records.c.deleted).where(db.records.c.id == record_id)
            ).first()
        assert row is not None
        return None if row.deleted else json.loads(row.doc)

    def close(self) -> None:
        for s in self.stores:
            s.close()
        self.engine.dispose()


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[Env]:
    e = Env(db_url, tmp_path)
    yield e
    e.close()


def make_data(store: Store, households: int = 6, seed: int = 3, area: str = AREA) -> None:
    demo.generate(store, households=households, seed=seed, areas=[area], businesses=1, referrals=1)


def edit(store: Store, form: str, rid: str, **changes: Any) -> None:
    doc = copy.deepcopy(store.get(form, rid).data)
    doc.update(changes)
    store.rewrite(form, doc, record_id=rid)


def docs(store: Store) -> dict[str, str]:
    out = {}
    for form in store.forms:
        for rid in store.ids(form.id):
            out[rid] = P.canonical_json(store.get(form.id, rid).data)
    return out


def revisions(env: Env) -> int:
    return int(env.scalar(select(func.count()).select_from(db.revisions)))


def server_records(env: Env) -> int:
    return int(env.scalar(select(func.count()).select_from(db.records)))


def dirty(store: Store) -> int:
    return sum(len(store.dirty_rows(f.id)) for f in store.forms)


# ---------------------------------------------------------------------- round trip


def test_household_with_members_and_photo_round_trips_to_a_second_laptop(env: Env) -> None:
    a, b = env.laptop("a"), env.laptop("b")
    make_data(a)
    photo = env.tmp / "house.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 4000)  # ~1 MB: more than one upload chunk
    sha = attachments.add(a, photo)
    hid = a.ids("household")[0]
    edit(a, "household", hid, photo=sha)

    up = env.sync(a)
    assert up.verified and up.attachments_up == 1 and not up.rejected and dirty(a) == 0
    down = env.sync(b)
    assert down.verified and down.attachments_down == 1
    assert docs(a) == docs(b)
    assert len(b.get("household", hid).data["members"]) == len(a.get("household", hid).data["members"]) > 0
    assert attachments.path_for(b, sha).read_bytes() == photo.read_bytes()
    assert env.scalar(select(db.records.c.complete).where(db.records.c.id == hid)) is True
    # a second sync of both moves nothing
    again = env.sync(a)
    assert (again.pushed, again.pulled, again.attachments_up) == (0, 0, 0)


def test_record_is_complete_on_the_server_only_when_its_photo_has_arrived(env: Env) -> None:
    a = env.laptop("a")
    make_data(a, households=2)
    photo = env.tmp / "late.jpg"
    photo.write_bytes(b"late photo bytes" * 100)
    sha = attachments.sha256_of(photo)
    hid = a.ids("household")[0]
    edit(a, "household", hid, photo=sha)  # the file is not in the laptop's attachment store yet
    report = env.sync(a)
    assert report.attachments_missing == [sha] and report.incomplete_on_server == 1
    assert env.scalar(select(db.records.c.complete).where(db.records.c.id == hid)) is False
    attachments.add(a, photo)
    edit(a, "household", hid, house_no="9/9")
    env.sync(a)
    assert env.scalar(select(db.records.c.complete).where(db.records.c.id == hid)) is True


def test_attachment_upload_is_idempotent_and_resumes_from_the_servers_offset(env: Env) -> None:
    s = requests.Session()
    token = s.post(env.url + P.Paths.LOGIN, json={"user": "am", "password": PASSWORD}).json()["token"]
    s.headers["Authorization"] = f"Bearer {token}"
    data = bytes(range(256)) * 10
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    url = env.url + P.Paths.attachment(sha)
    first = s.put(url, params={"offset": 0, "size": len(data)}, data=data[:1000]).json()
    assert first == {"sha256": sha, "size": len(data), "received": 1000, "complete": False}
    # a retry of the same part (the answer was lost) is told where to continue
    again = s.put(url, params={"offset": 0, "size": len(data)}, data=data[:1000])
    assert again.status_code == 409 and again.json()["error"]["details"]["received"] == 1000
    done = s.put(url, params={"offset": 1000, "size": len(data)}, data=data[1000:]).json()
    assert done["complete"] is True
    # uploading a complete file again changes nothing
    assert s.put(url, params={"offset": 0, "size": len(data)}, data=data).json()["complete"] is True
    assert s.get(env.url + P.Paths.attachment_status(sha)).json()["received"] == len(data)
    assert env.scalar(select(func.count()).select_from(db.attachments)) == 1


# ---------------------------------------------------------------------- merges and conflicts


def test_concurrent_edits_to_different_fields_merge_and_both_laptops_converge(env: Env) -> None:
    a, b = env.laptop("a"), env.laptop("b")
    make_data(a)
    env.sync(a)
    env.sync(b)
    hid = a.ids("household")[0]
    edit(a, "household", hid, house_no="11/1")
    members = copy.deepcopy(b.get("household", hid).data["members"])
    members[0]["occupation"] = "trade_business"
    edit(b, "household", hid, phone="0812345678", members=members)
    env.sync(a)
    rb = env.sync(b)
    assert rb.merged == 1 and not rb.conflicts
    env.sync(a)
    for s in (a, b):
        doc = s.get("household", hid).data
        assert (doc["house_no"], doc["phone"], doc["members"][0]["occupation"]) == (
            "11/1",
            "0812345678",
            "trade_business",
        )
    assert docs(a) == docs(b)
    assert env.server_doc(hid) == b.get("household", hid).data


def test_repeat_rows_added_and_removed_on_different_laptops_merge_by_row_id(env: Env) -> None:
    a, b = env.laptop("a"), env.laptop("b")
    make_data(a)
    env.sync(a)
    env.sync(b)
    hid = next(h for h in a.ids("household") if len(a.get("household", h).data["members"]) >= 2)
    ma = copy.deepcopy(a.get("household", hid).data["members"])
    new_row = {
        **copy.deepcopy(ma[0]),
        "id": "0b0c3a4e-1111-4d2e-9a57-3f3b4c1de0a1",
        "national_id": None,
        "first_name": "ทดสอบ",
        "relation": "child",
    }
    edit(a, "household", hid, members=[*ma, new_row])
    mb = copy.deepcopy(b.get("household", hid).data["members"])
    removed = mb.pop()["id"]
    edit(b, "household", hid, members=mb)
    env.sync(a)
    assert not env.sync(b).conflicts
    env.sync(a)
    ids = [m["id"] for m in a.get("household", hid).data["members"]]
    assert new_row["id"] in ids and removed not in ids
    assert docs(a) == docs(b)


def test_same_field_on_both_laptops_is_a_conflict_kept_until_resolved_then_both_converge(env: Env) -> None:
    a, b = env.laptop("a"), env.laptop("b")
    make_data(a)
    env.sync(a)
    env.sync(b)
    hid = a.ids("household")[0]
    edit(a, "household", hid, house_no="1/1", phone="0811111111")
    edit(b, "household", hid, house_no="2/2")
    env.sync(a)
    rb = env.sync(b)
    assert rb.conflicts == [{"form": "household", "record_id": hid, "kind": "fields"}]
    # kept on the laptop: both values, who and when; nothing overwritten
    conflict = b.get("household", hid).conflict
    assert [(f["path"], f["mine"], f["theirs"]) for f in conflict["fields"]] == [("house_no", "2/2", "1/1")]
    assert conflict["mine_by"] == "b" and conflict["theirs_by"] == "am" and conflict["theirs_at"]
    assert b.get("household", hid).data["house_no"] == "2/2"
    assert env.server_doc(hid)["house_no"] == "1/1"  # never last-write-wins
    # kept on the server too
    s = requests.Session()
    token = s.post(env.url + P.Paths.LOGIN, json={"user": "am", "password": PASSWORD}).json()["token"]
    open_ = s.get(env.url + P.Paths.CONFLICTS, headers={"Authorization": f"Bearer {token}"}).json()[
        "conflicts"
    ]
    assert [(c["record_id"], c["fields"][0]["mine"], c["fields"][0]["theirs"]) for c in open_] == [
        (hid, "2/2", "1/1")
    ]
    # still a conflict after another sync: a conflict is never pushed before a person resolves it
    assert env.sync(b).pushed == 0 and b.get("household", hid).conflict is not None
    assert pending_summary(b)["conflicts"] == 1

    resolve_conflict(b, "household", hid, {"house_no": "3/3"})
    assert b.get("household", hid).conflict is None
    assert b.get("household", hid).data["phone"] == "0811111111"  # the other side's merged change stays
    assert env.sync(b).applied == 1
    env.sync(a)
    assert a.get("household", hid).data["house_no"] == b.get("household", hid).data["house_no"] == "3/3"
    assert docs(a) == docs(b)
    open_ = s.get(env.url + P.Paths.CONFLICTS, headers={"Authorization": f"Bearer {token}"}).json()[
        "conflicts"
    ]
    assert open_ == []


def test_edit_against_a_delete_is_a_conflict_never_a_silent_resurrection(env: Env) -> None:
    a, b = env.laptop("a"), env.laptop("b")
    make_data(a)
    env.sync(a)
    env.sync(b)
    h1, h2 = a.ids("household")[:2]
    a.delete("household", h1)
    a.delete("household", h2)
    edit(b, "household", h1, house_no="5/5")
    edit(b, "household", h2, house_no="6/6")
    env.sync(a)
    rb = env.sync(b)
    assert sorted(c["kind"] for c in rb.conflicts) == ["edit_delete", "edit_delete"]
    assert env.server_doc(h1) is None and env.server_doc(h2) is None  # still deleted on the server
    resolve_conflict(b, "household", h1, {"": "theirs"})  # accept the delete
    resolve_conflict(b, "household", h2, {"": "mine"})  # deliberately restore with the edit
    env.sync(b)
    env.sync(a)
    assert h1 not in a.ids("household") and h1 not in b.ids("household")
    assert a.get("household", h2).data["house_no"] == "6/6"
    assert docs(a) == docs(b)


def test_delete_against_an_edit_is_a_conflict_too(env: Env) -> None:
    a, b = env.laptop("a"), env.laptop("b")
    make_data(a)
    env.sync(a)
    env.sync(b)
    hid = a.ids("household")[0]
    edit(a, "household", hid, house_no="7/7")
    b.delete("household", hid)
    env.sync(a)
    rb = env.sync(b)
    assert [c["kind"] for c in rb.conflicts] == ["delete_edit"]
    assert env.server_doc(hid)["house_no"] == "7/7"
    resolve_conflict(b, "household", hid, {"": "mine"})
    env.sync(b)
    env.sync(a)
    assert hid not in a.ids("household") and env.server_doc(hid) is None


def test_a_plain_delete_reaches_the_other_laptop_as_a_tombstone(env: Env) -> None:
    a, b = env.laptop("a"), env.laptop("b")
    make_data(a)
    env.sync(a)
    env.sync(b)
    hid = a.ids("household")[0]
    a.delete("household", hid)
    env.sync(a)
    rb = env.sync(b)
    assert rb.pulled_deleted == 1 and rb.verified
    assert b.get("household", hid, include_deleted=True).deleted


# ---------------------------------------------------------------------- no duplicates, resumable


def test_the_same_batch_pushed_twice_returns_the_same_results_and_changes_nothing(env: Env) -> None:
    a = env.laptop("a")
    make_data(a, households=3)
    s = requests.Session()
    token = s.post(env.url + P.Paths.LOGIN, json={"user": "am", "password": PASSWORD}).json()["token"]
    s.headers["Authorization"] = f"Bearer {token}"
    changes = []
    for rid in a.ids("household"):
        doc = a.get("household", rid).data
        changes.append(
            P.Change(
                P.change_id_for(a.device_id, "household", rid, None, doc, False), "household", rid, None, doc
            ).to_json()
        )
    body = {"device_id": a.device_id, "changes": changes}
    first = s.post(env.url + P.Paths.PUSH, json=body).json()
    revs = revisions(env)
    second = s.post(env.url + P.Paths.PUSH, json=body).json()
    assert first == second
    assert [r["status"] for r in first["results"]] == ["applied"] * 3
    assert revisions(env) == revs == 3 and server_records(env) == 3


def test_connection_dropped_in_the_middle_of_a_push_resumes_with_no_loss_and_no_duplicate(env: Env) -> None:
    a = env.laptop("a")
    make_data(a, households=12)
    total = dirty(a)
    proxy = FaultProxy(env.server.port)
    proxy.add(P.Paths.PUSH, nth=2, mode="drop")  # the server applies batch 2, the answer is lost
    with pytest.raises(SyncError) as exc:
        env.sync(a, url=proxy.url, batch_size=4)
    assert exc.value.kind is SyncErrorKind.NETWORK
    assert dirty(a) == total - 4  # batch 1 is stored as synced; batch 2 is still waiting here
    assert server_records(env) == 8
    report = env.sync(a, url=proxy.url, batch_size=4)
    assert report.verified and dirty(a) == 0
    assert server_records(env) == total and revisions(env) == total  # the replay wrote nothing twice
    proxy.close()


def test_connection_dropped_in_the_middle_of_a_pull_resumes_from_the_last_stored_page(env: Env) -> None:
    a, b = env.laptop("a"), env.laptop("b")
    make_data(a, households=12)
    env.sync(a)
    proxy = FaultProxy(env.server.port)
    proxy.add(P.Paths.PULL, nth=2, mode="drop")
    with pytest.raises(SyncError) as exc:
        env.sync(b, url=proxy.url, page_size=5)
    assert exc.value.kind is SyncErrorKind.NETWORK
    assert sum(b.count(f.id) for f in b.forms) == 5  # page 1 stored with its cursor, nothing half-applied
    report = env.sync(b, url=proxy.url, page_size=5)
    assert report.verified and docs(a) == docs(b)
    proxy.close()


def test_a_truncated_answer_is_a_network_error_and_the_next_sync_completes(env: Env) -> None:
    a, b = env.laptop("a"), env.laptop("b")
    make_data(a)
    env.sync(a)
    proxy = FaultProxy(env.server.port)
    proxy.add(P.Paths.PULL, nth=1, mode="truncate")
    with pytest.raises(SyncError) as exc:
        env.sync(b, url=proxy.url)
    assert exc.value.kind is SyncErrorKind.NETWORK
    assert sum(b.count(f.id) for f in b.forms) == 0
    assert env.sync(b, url=proxy.url).verified
    proxy.close()


def test_a_captive_portal_page_with_status_200_is_a_network_error(env: Env) -> None:
    a = env.laptop("a")
    make_data(a, households=2)
    proxy = FaultProxy(env.server.port)
    proxy.add(P.Paths.LOGIN, nth=1, mode="portal")
    with pytest.raises(SyncError) as exc:
        env.sync(a, url=proxy.url)
    assert exc.value.kind is SyncErrorKind.NETWORK and "Wi-Fi" in exc.value.message
    assert server_records(env) == 0 and dirty(a) == 4
    proxy.close()


def test_a_server_error_in_the_middle_of_a_batch_applies_none_of_it(env: Env) -> None:
    a = env.laptop("a")
    make_data(a, households=6)
    fired = []

    def boom(stage: str, index: int) -> None:
        if index == 3 and not fired:
            fired.append(index)
            raise RuntimeError("disk full")

    env.settings.fault_hook = boom
    with pytest.raises(SyncError) as exc:
        env.sync(a)
    assert exc.value.kind is SyncErrorKind.SERVER
    assert server_records(env) == 0 and revisions(env) == 0
    assert env.sync(a).verified and server_records(env) == dirty(a) + 8


def test_client_killed_after_the_server_accepted_then_edited_again_stays_consistent(env: Env) -> None:
    a = env.laptop("a")
    make_data(a, households=3)

    class Killed(Exception):
        pass

    def kill(stage: str) -> None:
        if stage == "push-answered":
            raise Killed

    with pytest.raises(Killed):
        env.sync(a, stage_hook=kill)
    assert server_records(env) == 5 and dirty(a) == 5  # accepted there, not yet marked here
    hid = a.ids("household")[0]
    edit(a, "household", hid, house_no="8/8")  # and the person keeps working
    report = env.sync(a)
    assert report.verified and not report.conflicts and dirty(a) == 0
    assert server_records(env) == 5
    assert env.server_doc(hid)["house_no"] == "8/8"


def test_a_token_expiring_mid_sync_logs_in_again_and_completes(env: Env) -> None:
    a = env.laptop("a")
    make_data(a, households=8)

    def expire_tokens(stage: str, done: int, total: int) -> None:
        if stage == "push" and done == 4:
            with env.engine.begin() as conn:
                conn.execute(update(db.tokens).values(expires_at="2000-01-01T00:00:00+00:00"))

    report = env.sync(a, batch_size=4, progress=expire_tokens)
    assert report.verified and dirty(a) == 0
    logins = env.scalar(
        select(func.count()).select_from(db.audit_log).where(db.audit_log.c.action == "login")
    )
    assert logins == 2


def test_cancel_between_batches_leaves_everything_consistent_and_resumable(env: Env) -> None:
    a = env.laptop("a")
    make_data(a, households=10)
    total = dirty(a)
    stored: list[str] = []  # cancel is asked often (between pieces of every answer too)

    def cancel() -> bool:
        return len(stored) >= 2

    report = env.sync(
        a, batch_size=3, cancel=cancel, stage_hook=lambda s: stored.append(s) if s == "push-stored" else None
    )
    assert report.cancelled and 0 < dirty(a) < total
    assert server_records(env) == total - dirty(a)
    assert env.sync(a).verified and server_records(env) == total


def test_a_batch_over_the_servers_size_limit_is_split_automatically(env: Env) -> None:
    a = env.laptop("a")
    make_data(a, households=8)
    env.settings.max_request_bytes = 30_000  # a few households per request
    steps: list[int] = []
    report = env.sync(
        a, batch_size=50, progress=lambda stage, done, total: steps.append(done) if stage == "push" else None
    )
    assert report.verified and dirty(a) == 0
    assert len(steps) > 2  # sent in several smaller batches


# ---------------------------------------------------------------------- cursor, clock, verification


def test_pull_cursor_is_the_servers_revision_and_ignores_the_laptop_clock(env: Env) -> None:
    a, b = env.laptop("a"), env.laptop("b")
    make_data(a, households=4)
    env.sync(a)
    wrong = lambda: _dt.datetime(2001, 1, 1, tzinfo=_dt.UTC)  # noqa: E731
    first = env.sync(b, clock=wrong)
    assert first.verified and first.cursor == revisions(env)
    assert first.clock_warning is not None  # the clock is reported, never used for the cursor
    edit(a, "household", a.ids("household")[0], house_no="3/1")
    env.sync(a)
    second = env.sync(b, clock=lambda: _dt.datetime(1999, 1, 1, tzinfo=_dt.UTC))
    assert second.pulled == 1 and second.cursor > first.cursor
    assert docs(a) == docs(b)


def test_a_laptop_clock_more_than_five_minutes_off_gives_a_warning(env: Env) -> None:
    a = env.laptop("a")
    ok = env.sync(a, clock=lambda: P.utc_now() + _dt.timedelta(minutes=4))
    assert ok.clock_warning is None
    off = env.sync(a, clock=lambda: P.utc_now() - _dt.timedelta(minutes=12))
    assert off.clock_warning and "นาฬิกา" in off.clock_warning and off.clock_skew_seconds > 600
    assert "นาฬิกา" in off.summary_th()


def test_end_of_sync_verification_reports_a_count_mismatch(env: Env) -> None:
    a, b = env.laptop("a"), env.laptop("b")
    make_data(a, households=4)
    env.sync(a)
    env.sync(b)
    hid = b.ids("household")[0]
    b.conn.execute("DELETE FROM household WHERE id = ?", [hid])  # a record lost behind the app's back
    report = env.sync(b)
    assert report.verified is False
    assert report.mismatches["household"]["local"] + 1 == report.mismatches["household"]["server"]
    assert "ไม่ตรง" in report.summary_th()


# ---------------------------------------------------------------------- areas


def test_a_user_pushes_and_pulls_only_records_of_their_areas(env: Env) -> None:
    env.add_user("sisaket", "community_leader", [OTHER_AREA])
    a, b = env.laptop("a"), env.laptop("b")
    make_data(a, households=4)
    make_data(a, households=2, seed=9, area=OTHER_AREA)  # not this user's area
    photo = env.tmp / "p.jpg"
    photo.write_bytes(b"private photo")
    sha = attachments.add(a, photo)
    edit(a, "household", a.list("household", area=AREA)[0]["id"], photo=sha)
    report = env.sync(a)
    outside = {r["id"] for f in ("household",) for r in a.list(f, area=OTHER_AREA, limit=None)}
    assert {r["record_id"] for r in report.rejected} >= outside
    assert {r["reason"] for r in report.rejected} == {"area_forbidden"}
    assert all(a.sync_state("household", rid)["dirty"] for rid in outside)  # kept, with a reason
    assert {r["record_id"] for r in a.rejections()} == {r["record_id"] for r in report.rejected}
    assert report.verified

    other = env.sync(b, user="sisaket")  # zero leakage the other way
    assert other.pulled == 0 and sum(b.count(f.id) for f in b.forms) == 0
    s = requests.Session()
    token = s.post(env.url + P.Paths.LOGIN, json={"user": "sisaket", "password": PASSWORD}).json()["token"]
    s.headers["Authorization"] = f"Bearer {token}"
    assert s.get(env.url + P.Paths.PULL).json()["items"] == []
    assert s.get(env.url + P.Paths.attachment(sha)).status_code == 404
    # and an edit of someone else's record is refused even with a valid document
    hid = a.list("household", area=AREA)[0]["id"]
    doc = a.get("household", hid).data
    res = s.post(
        env.url + P.Paths.PUSH,
        json={
            "device_id": "x",
            "changes": [
                P.Change("7d444840-9dc0-11d1-b245-5ffdce74fad2", "household", hid, None, doc).to_json()
            ],
        },
    ).json()
    assert res["results"][0]["status"] == "rejected" and res["results"][0]["reason"] == "area_forbidden"


def test_fieldapp_sync_command_line(
    env: Env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from fieldapp import cli

    path = env.tmp / "cli.db"
    with open_store(path, user="cli") as s:
        make_data(s, households=2)
    monkeypatch.setenv("FIELDAPP_PASSWORD", PASSWORD)
    assert cli.main(["--db", str(path), "sync", "--server", env.url, "--user", "am"]) == 0
    assert "ตรวจสอบแล้ว" in capsys.readouterr().out
    monkeypatch.setenv("FIELDAPP_PASSWORD", "wrong password")
    assert cli.main(["--db", str(path), "sync", "--server", env.url, "--user", "am"]) == 1
    assert "wrong user name or password" in capsys.readouterr().err


def test_a_pulled_record_keeps_the_servers_calculations_only_when_made_by_the_same_form_version(
    env: Env,
) -> None:
    a, b, c = env.laptop("a"), env.laptop("b"), env.laptop("c")
    make_data(a, households=3)
    env.sync(a)
    hid = a.ids("household")[0]
    form = a.form("household")
    raw = requests.get(env.url + P.Paths.PULL, headers=_auth(env), params={"cursor": 0}, timeout=10).json()
    item = next(i for i in raw["items"] if i["record_id"] == hid)
    assert item["form_version"] == form.version
    # the server's stored calculation (one a laptop of this version would never make itself)
    with env.engine.begin() as conn:
        doc = json.loads(conn.execute(select(db.records.c.doc).where(db.records.c.id == hid)).scalar())
        doc["member_count"] = 99
        conn.execute(update(db.records).where(db.records.c.id == hid).values(doc=json.dumps(doc)))
    assert env.sync(b).verified
    assert b.get("household", hid).data["member_count"] == 99  # same version: kept as the server made it
    with env.engine.begin() as conn:
        conn.execute(update(db.records).where(db.records.c.id == hid).values(form_version="0.0-older"))
    assert env.sync(c).verified
    got = c.get("household", hid).data
    assert got["member_count"] == len(got["members"])  # another version: calculated again here


def test_pulled_scores_are_kept_only_when_the_server_scores_with_the_same_rubric(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, c = env.laptop("a"), env.laptop("b"), env.laptop("c")
    make_data(a, households=3)
    env.sync(a)
    hid = a.ids("household")[0]
    rubric = a.form("household").rubric
    assert rubric is not None
    hs = requests.get(env.url + P.Paths.HANDSHAKE, headers=_auth(env), timeout=10).json()
    assert hs["scoring"]["household"] == rubric.fingerprint
    with env.engine.begin() as conn:  # a score this laptop's rubric would not give
        doc = json.loads(conn.execute(select(db.records.c.doc).where(db.records.c.id == hid)).scalar())
        right = doc["cap_mean"]
        doc["cap_mean"] = 1.11
        conn.execute(update(db.records).where(db.records.c.id == hid).values(doc=json.dumps(doc)))
    assert env.sync(b).verified
    assert b.get("household", hid).data["cap_mean"] == 1.11  # same rubric: the server's score stands
    # a server scoring with another rubric (another income line, other bands): scored again here
    parse = P.Handshake.from_json
    monkeypatch.setattr(
        P.Handshake, "from_json", classmethod(lambda cls, o: dataclasses.replace(parse(o), scoring={}))
    )
    assert env.sync(c).verified
    assert c.get("household", hid).data["cap_mean"] == right


def _auth(env: Env) -> dict[str, str]:
    token = requests.post(
        env.url + P.Paths.LOGIN, json={"user": "am", "password": PASSWORD}, timeout=10
    ).json()["token"]
    return {"Authorization": f"Bearer {token}", P.PROTOCOL_HEADER: str(P.PROTOCOL_VERSION)}


def test_a_pulled_page_that_fails_is_not_counted_in_the_report(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fieldapp.sync import client as sync_client

    a, b = env.laptop("a"), env.laptop("b")
    make_data(a, households=6)
    env.sync(a)
    calls = {"n": 0}
    real = Store.set_sync_meta

    def second_cursor_fails(self: Store, key: str, value: str) -> None:
        if key.startswith("cursor:"):
            calls["n"] += 1
            if calls["n"] == 2:  # the second page's records are stored and counted by now
                raise OSError("disk full")
        real(self, key, value)

    monkeypatch.setattr(Store, "set_sync_meta", second_cursor_fails)
    reports: list[Any] = []
    monkeypatch.setattr(sync_client, "SyncReport", _keep(sync_client.SyncReport, reports))
    with pytest.raises(OSError):
        env.sync(b, page_size=3)
    stored = sum(b.count(f.id) for f in b.forms)
    assert stored == 3  # the first page, kept with its cursor; the second undone
    assert reports[0].pulled == stored  # and the report counts only what was kept


def _keep(cls: Any, made: list[Any]) -> Any:
    def make(*args: Any, **kwargs: Any) -> Any:
        made.append(cls(*args, **kwargs))
        return made[-1]

    return make
