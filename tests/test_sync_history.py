"""A record's edit history through a real sync: pushed with the record's change, stored once on the
server, pulled by the other laptops of the area (the entries of whoever made them, in order, never
twice), checked on the server like the record, and deleted everywhere by an erasure.

SQLite always, PostgreSQL too when one answers (``db_url``)."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from live_server import FaultProxy
from sqlalchemy import func, select
from test_sync_e2e import OTHER_AREA, PASSWORD, Env, _auth, make_data

from fieldapp import history, rights
from fieldapp.errors import SyncError, SyncErrorKind
from fieldapp.store import Store
from fieldapp.sync import protocol as P
from server import db


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[Env]:
    e = Env(db_url, tmp_path)
    yield e
    e.close()


def server_entries(env: Env, record_id: str | None = None) -> list[dict[str, Any]]:
    h = db.record_history.c
    q = select(h.id, h.record_id, h.user_name, h.action, h.changes).order_by(h.at, h.id)
    if record_id is not None:
        q = q.where(h.record_id == record_id)
    with env.engine.connect() as conn:
        return [
            {"id": r.id, "record_id": r.record_id, "user": r.user_name, "action": r.action,
             "changes": json.loads(r.changes)}
            for r in conn.execute(q)
        ]


def as_pushed(entries: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    return [(e["id"], e["user"], e["action"], json.dumps(e["changes"], sort_keys=True)) for e in entries]


def saved_by(store: Store, who: str, rid: str, **changes: Any) -> None:
    doc = copy.deepcopy(store.get("household", rid).data)
    doc.update(changes)
    store.rewrite("household", doc, record_id=rid, user=who)


def test_history_made_on_one_laptop_reaches_the_other_with_its_author_in_order(env: Env) -> None:
    a, b = env.laptop("a"), env.laptop("b")
    make_data(a)
    env.sync(a)
    env.sync(b)
    hid = a.ids("household")[0]
    saved_by(a, "somchai", hid, house_no="11/1")
    saved_by(a, "somsri", hid, house_no="11/2", phone="0812345678")
    mine = history.entries(a, hid)
    assert [e["user"] for e in mine] == ["somchai", "somsri"]

    assert env.sync(a).verified
    assert as_pushed(server_entries(env, hid)) == as_pushed(mine)
    assert history.unsent(a, [hid], 10) == {}  # all on the server now

    assert env.sync(b).verified
    theirs = history.entries(b, hid)
    # A's entries, A's people, A's device: not a diff of the pulled version made up on B
    assert as_pushed(theirs) == as_pushed(mine)
    assert {e["device_id"] for e in theirs} == {a.device_id}
    assert theirs[-1]["changes"] == [
        {"field": "house_no", "old": "11/1", "new": "11/2"},
        {"field": "phone", "old": mine[-1]["changes"][1]["old"], "new": "0812345678"},
    ]
    # syncing again sends and stores nothing twice, on either side
    env.sync(a)
    env.sync(b)
    assert len(server_entries(env, hid)) == 2
    assert as_pushed(history.entries(b, hid)) == as_pushed(mine)
    assert history.unsent(b, [hid], 10) == {}  # received entries never go back up

    # B edits next: A receives B's entry after its own two
    saved_by(b, "malee", hid, house_no="11/3")
    env.sync(b)
    env.sync(a)
    assert [e["user"] for e in history.entries(a, hid)] == ["somchai", "somsri", "malee"]
    assert as_pushed(history.entries(a, hid)) == as_pushed(history.entries(b, hid))


def test_a_retried_push_whose_answer_was_lost_stores_each_entry_once(env: Env) -> None:
    a = env.laptop("a")
    make_data(a, households=8)
    env.sync(a)
    ids = a.ids("household")
    for i, rid in enumerate(ids):
        saved_by(a, "somchai", rid, house_no=f"9/{i}")
    proxy = FaultProxy(env.server.port)
    proxy.add(P.Paths.PUSH, nth=1, mode="drop")  # the server stores the batch, the answer is lost
    try:
        with pytest.raises(SyncError) as lost:
            env.sync(a, url=proxy.url, batch_size=100)
        assert lost.value.kind is SyncErrorKind.NETWORK
        assert len(server_entries(env)) == len(ids)  # stored by the first try
        assert len(history.unsent(a, ids, 10)) == len(ids)  # the laptop does not know yet
        assert env.sync(a, url=proxy.url).verified
    finally:
        proxy.close()
    stored = server_entries(env)
    assert len(stored) == len({e["id"] for e in stored}) == len(ids)
    assert history.unsent(a, ids, 10) == {}


def test_entries_of_a_change_in_conflict_are_kept_as_facts_on_both_sides(env: Env) -> None:
    a, b = env.laptop("a"), env.laptop("b")
    make_data(a)
    env.sync(a)
    env.sync(b)
    hid = a.ids("household")[0]
    saved_by(a, "somchai", hid, house_no="1/1")
    saved_by(b, "malee", hid, house_no="2/2")
    env.sync(a)
    rb = env.sync(b)
    assert rb.conflicts  # the record waits for a person's choice ...
    # ... but both saves happened: the server keeps both entries, and B is not asked to send its again
    assert sorted(e["user"] for e in server_entries(env, hid)) == ["malee", "somchai"]
    assert history.unsent(b, [hid], 10) == {}
    assert {e["user"] for e in history.entries(b, hid)} == {"somchai", "malee"}


def test_erasing_a_household_deletes_its_history_on_the_server_and_the_other_laptop(env: Env) -> None:
    a, b = env.laptop("a"), env.laptop("b")
    make_data(a)
    env.sync(a)
    hid = a.ids("household")[0]
    saved_by(a, "somchai", hid, house_no="5/5")
    env.sync(a)
    env.sync(b)
    assert history.count(b, hid) == 1 and len(server_entries(env, hid)) == 1
    a.user = "am"
    rights.erase(a, hid, mode="erase", purge_backups=False)
    assert env.sync(a).verified
    assert server_entries(env, hid) == []
    env.sync(b)
    assert history.count(b, hid) == 0


def test_the_server_checks_pushed_history_like_the_record(env: Env) -> None:
    a = env.laptop("a")
    make_data(a)
    env.sync(a)
    hid = a.ids("household")[0]
    other = a.ids("household")[1]
    rec = a.get("household", hid)
    headers = _auth(env)

    def push(entry: dict[str, Any], record_id: str = hid, doc: dict[str, Any] | None = None) -> dict[str, Any]:
        r = a.get("household", record_id)
        change = P.Change(
            str(uuid.uuid4()), "household", record_id, r.server_rev, doc or r.data, history=[entry]
        )
        body = P.PushRequest("dev-test", [change]).to_json()
        answer = requests.post(env.url + P.Paths.PUSH, json=body, headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text
        return dict(answer.json()["results"][0])

    def entry(changes: list[dict[str, Any]], eid: str | None = None) -> dict[str, Any]:
        return {"id": eid or str(uuid.uuid4()), "at": rec.updated_at, "user": "somchai", "action": "update",
                "changes": changes}

    bad = push(entry([{"field": "no_such_question", "old": 1, "new": 2}]))
    assert bad["status"] == "rejected" and bad["reason"] == "invalid"
    assert bad["problems"][0]["path"] == "history" and "no_such_question" in bad["message_en"]
    assert server_entries(env) == []

    good = entry([{"field": "house_no", "old": rec.data["house_no"], "new": "7/7"}])
    ok = push(good, doc={**rec.data, "house_no": "7/7"})
    assert ok["status"] == "applied"
    assert [e["id"] for e in server_entries(env, hid)] == [good["id"]]
    # the same entry id under another record: refused, never moved
    stolen = push(entry([{"field": "house_no", "old": "1", "new": "2"}], good["id"]), other)
    assert stolen["status"] == "rejected" and "another record" in stolen["message_en"]
    assert [e["record_id"] for e in server_entries(env)] == [hid]

    # the record's rights: an account of another area stores nothing for it
    env.add_user("far", "community_leader", [OTHER_AREA])
    token = requests.post(
        env.url + P.Paths.LOGIN, json={"user": "far", "password": PASSWORD}, timeout=10
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}", P.PROTOCOL_HEADER: str(P.PROTOCOL_VERSION)}
    outside = push(entry([{"field": "house_no", "old": "7/7", "new": "8/8"}]))
    assert outside["status"] == "rejected" and outside["reason"] == "area_forbidden"
    assert len(server_entries(env, hid)) == 1


def test_the_pull_carries_each_records_history_and_the_handshake_says_so(env: Env) -> None:
    a = env.laptop("a")
    make_data(a)
    env.sync(a)
    hid = a.ids("household")[0]
    saved_by(a, "somchai", hid, house_no="3/3")
    env.sync(a)
    headers = _auth(env)
    hs = requests.get(env.url + P.Paths.HANDSHAKE, headers=headers, timeout=10).json()
    assert hs["history"] is True
    page = P.PullPage.from_json(
        requests.get(env.url + P.Paths.PULL, params={"cursor": 0}, headers=headers, timeout=10).json()
    )
    by_id = {i.record_id: i for i in page.items}
    assert [e["user"] for e in by_id[hid].history] == ["somchai"]
    assert by_id[hid].history[0]["device_id"] == a.device_id
    assert all(not i.history for rid, i in by_id.items() if rid != hid)
    with env.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(db.record_history)).scalar() == 1
