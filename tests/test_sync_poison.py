"""One bad record never stops an area: the server refuses what a laptop cannot store, and a laptop
that still meets such a record sets it aside with a visible reason and syncs the rest.

Server and real client on loopback, on SQLite and (when it answers) PostgreSQL.
"""

from __future__ import annotations

import copy
import json
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_server import fast_settings, shared_app, shared_server
from sqlalchemy import delete, insert, select, update

from fieldapp import demo
from fieldapp.store import Store, open_store
from fieldapp.sync import protocol as P
from fieldapp.sync.client import sync
from fieldapp.sync.outbox import pending_summary
from server import auth, db

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "correct horse"
AREA = "3201"


class Env:
    def __init__(self, db_url: str, tmp_path: Path) -> None:
        self.settings = fast_settings(db_url)
        self.app = shared_app(self.settings)
        self.engine = self.app.state.engine
        self.client = TestClient(self.app, raise_server_exceptions=False)
        self.tmp = tmp_path
        self.stores: list[Store] = []
        with self.engine.begin() as conn:
            auth.add_user(conn, self.settings, "am", "area_manager", [AREA], PASSWORD)
        r = self.client.post(P.Paths.LOGIN, json={"user": "am", "password": PASSWORD})
        self.headers = {"Authorization": f"Bearer {r.json()['token']}"}

    def push(self, *changes: P.Change) -> list[dict[str, Any]]:
        r = self.client.post(
            P.Paths.PUSH,
            json={"device_id": "laptop", "changes": [c.to_json() for c in changes]},
            headers=self.headers,
        )
        assert r.status_code == 200, r.text
        return list(r.json()["results"])

    def laptop(self, name: str) -> Store:
        s = open_store(self.tmp / name, user=name)
        self.stores.append(s)
        return s

    def sync(self, store: Store) -> Any:
        return sync(store, shared_server(self.app).url, "am", PASSWORD, retries=0)

    def close(self) -> None:
        for s in self.stores:
            s.close()
        self.client.close()
        self.engine.dispose()


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[Env]:
    e = Env(db_url, tmp_path)
    yield e
    e.close()


@pytest.fixture
def hh(household: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(household)
    doc["subdistrict_code"] = "320101"
    assert doc["members"]
    return fresh_rows(doc)


def new(doc: dict[str, Any], base: int | None = None, rid: str | None = None) -> P.Change:
    return P.Change(str(uuid.uuid4()), "household", rid or str(uuid.uuid4()), base, doc)


def fresh_rows(doc: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    for m in out["members"]:
        m["id"] = str(uuid.uuid4())
    return out


# ---------------------------------------------------------------------- the server refuses it


def test_a_record_reusing_another_records_row_ids_is_refused(env: Env, hh: dict[str, Any]) -> None:
    [first] = env.push(new(hh))
    assert first["status"] == "applied"
    [second] = env.push(new(copy.deepcopy(hh)))  # the same member row ids in another household
    assert (second["status"], second["reason"]) == ("rejected", "duplicate_row_id")
    assert "members" in second["message_en"] and second["problems"][0]["path"] == "members"
    with env.engine.connect() as conn:
        assert conn.execute(select(db.records.c.id)).all() == [(first["record_id"],)]
    [ok] = env.push(new(fresh_rows(hh)))
    assert ok["status"] == "applied"


def test_a_record_keeps_its_own_row_ids_and_a_freed_row_id_can_be_taken(env: Env, hh: dict[str, Any]) -> None:
    [a] = env.push(new(hh))
    edited = copy.deepcopy(hh)
    edited["house_no"] = "5/5"
    [again] = env.push(new(edited, a["rev"], a["record_id"]))
    assert again["status"] == "applied"
    # the first household drops its last member; in the same batch another takes that row id
    moved = edited["members"][-1]
    keep = copy.deepcopy(edited)
    keep["members"] = edited["members"][:-1]
    other = fresh_rows(hh)
    other["members"].append(moved)
    res = env.push(new(keep, again["rev"], a["record_id"]), new(other))
    assert [r["status"] for r in res] == ["applied", "applied"]
    # and now the first one may not take it back
    [back] = env.push(new(edited, res[0]["rev"], a["record_id"]))
    assert (back["status"], back["reason"]) == ("rejected", "duplicate_row_id")


def test_the_row_id_index_is_rebuilt_from_the_stored_records_by_the_migration(
    env: Env, hh: dict[str, Any]
) -> None:
    [a] = env.push(new(hh))
    with env.engine.begin() as conn:
        conn.execute(delete(db.row_ids))
        conn.execute(delete(db.schema_version).where(db.schema_version.c.version == 4))
    assert db.migrate(env.engine) == [4]
    with env.engine.connect() as conn:
        held = conn.execute(select(db.row_ids.c.record_id).distinct()).all()
    assert held == [(a["record_id"],)]
    [second] = env.push(new(copy.deepcopy(hh)))
    assert second["reason"] == "duplicate_row_id"


# ---------------------------------------------------------------------- a laptop sets it aside


def poison_on_server(env: Env, hh: dict[str, Any]) -> tuple[str, str]:
    """Two households sharing member row ids, as an older server accepted them."""
    [a] = env.push(new(hh))
    [b] = env.push(new(fresh_rows(hh)))
    with env.engine.begin() as conn:
        doc = json.loads(
            conn.execute(select(db.records.c.doc).where(db.records.c.id == b["record_id"])).scalar_one()
        )
        doc["members"] = copy.deepcopy(hh["members"])
        conn.execute(update(db.records).where(db.records.c.id == b["record_id"]).values(doc=json.dumps(doc)))
    return a["record_id"], b["record_id"]


def test_a_pulled_record_the_laptop_cannot_store_is_set_aside_and_the_rest_syncs(
    env: Env, hh: dict[str, Any]
) -> None:
    good, bad = poison_on_server(env, hh)
    src = env.laptop("src.db")
    demo.generate(src, households=5, seed=2, areas=[AREA], businesses=1, referrals=1)
    assert env.sync(src).verified
    fresh = env.laptop("fresh.db")
    rep = env.sync(fresh)
    assert [(x["record_id"], x["form"]) for x in rep.set_aside] == [(bad, "household")]
    assert "row" in rep.set_aside[0]["reason"]
    assert rep.verified  # everything else arrived, and the counts agree without the set-aside one
    assert set(fresh.ids("household")) == set(src.ids("household")) | {good}
    assert "ไม่สามารถบันทึก" in rep.summary_th() or "พักไว้" in rep.summary_th()
    # kept and listed, with the server's record, until it can be stored
    listed = pending_summary(fresh)["set_aside"]
    assert [(x["record_id"], x["rev"]) for x in listed] == [(bad, rep.set_aside[0]["rev"])]
    again = env.sync(fresh)
    assert again.verified and [x["record_id"] for x in again.set_aside] == [bad]
    # the record is repaired on the server: the next sync stores it and forgets the set-aside copy
    with env.engine.begin() as conn:
        doc = json.loads(conn.execute(select(db.records.c.doc).where(db.records.c.id == bad)).scalar_one())
        doc["members"] = fresh_rows(hh)["members"]
        top = conn.execute(select(db.counters.c.value)).scalar_one() + 1
        conn.execute(update(db.records).where(db.records.c.id == bad).values(doc=json.dumps(doc), rev=top))
        conn.execute(update(db.counters).values(value=top))
    fixed = env.sync(fresh)
    assert fixed.verified and fixed.set_aside == [] and bad in fresh.ids("household")
    assert pending_summary(fresh)["set_aside"] == []


def test_a_pulled_record_of_a_form_the_laptop_does_not_know_is_set_aside(
    env: Env, hh: dict[str, Any]
) -> None:
    [a] = env.push(new(hh))
    with env.engine.begin() as conn:
        conn.execute(
            insert(db.records).values(
                id=str(uuid.uuid4()),
                form_id="water_survey",
                form_version="1",
                area="320101",
                rev=conn.execute(select(db.counters.c.value)).scalar_one() + 1,
                deleted=False,
                doc='{"subdistrict_code": "320101"}',
                created_at="2026-01-01",
                created_by="x",
                updated_at="2026-01-01",
                updated_by="x",
            )
        )
        conn.execute(update(db.counters).values(value=db.counters.c.value + 1))
    fresh = env.laptop("fresh.db")
    rep = env.sync(fresh)
    assert [x["form"] for x in rep.set_aside] == ["water_survey"]
    assert a["record_id"] in fresh.ids("household")


def test_the_sync_summary_lists_set_aside_records_in_thai() -> None:
    from fieldapp.sync.report import SyncReport

    rep = SyncReport(server="s", user="u")
    rep.set_aside = [
        {"form": "household", "record_id": str(uuid.uuid4()), "rev": 3, "reason": "a row id is …"}
    ]
    assert "พักไว้ 1 รายการ" in rep.summary_th()
