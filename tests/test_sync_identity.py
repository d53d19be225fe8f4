"""Two databases never pass for one: a copied laptop database or a restored backup gets its own
device identity, and the server merges every edit against what the pushing database actually had.
A clash is a conflict that keeps both values, never a silent overwrite.

The real client against the real server on loopback, on SQLite and (when it answers) PostgreSQL.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_server import fast_settings, shared_app, shared_server
from sqlalchemy import select

from fieldapp import backup, demo
from fieldapp.store import Store, open_store
from fieldapp.sync.client import sync
from fieldapp.sync.outbox import resolve_conflict
from server import auth, db

PASSWORD = "correct horse"
AREA = "3201"


class Env:
    def __init__(self, db_url: str, tmp_path: Path) -> None:
        self.settings = fast_settings(db_url)
        self.app = shared_app(self.settings)
        self.engine = self.app.state.engine
        self.url = shared_server(self.app).url
        self.tmp = tmp_path
        self.stores: list[Store] = []
        with self.engine.begin() as conn:
            auth.add_user(conn, self.settings, "am", "area_manager", [AREA], PASSWORD)

    def open(self, path: Path) -> Store:
        s = open_store(path, user="somsri")
        self.stores.append(s)
        return s

    def sync(self, store: Store, **kw: Any) -> Any:
        return sync(store, self.url, "am", PASSWORD, retries=0, **kw)

    def server_doc(self, rid: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            raw = conn.execute(select(db.records.c.doc).where(db.records.c.id == rid)).scalar_one()
        return dict(json.loads(raw))

    def close(self) -> None:
        for s in self.stores:
            s.close()
        self.engine.dispose()


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[Env]:
    e = Env(db_url, tmp_path)
    yield e
    e.close()


def edit(store: Store, rid: str, **changes: Any) -> None:
    doc = copy.deepcopy(store.get("household", rid).data)
    doc.update(changes)
    store.rewrite("household", doc, record_id=rid)


def synced_laptop(env: Env, name: str = "a.db") -> tuple[Store, str]:
    a = env.open(env.tmp / name)
    demo.generate(a, households=3, seed=7, areas=[AREA], businesses=0, referrals=0)
    assert env.sync(a).verified
    return a, a.ids("household")[0]


def copy_of(store: Store, to: Path) -> None:
    """A byte copy of the database file, as a person copies it to another laptop."""
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(store.path, to)


def clash_kept(env: Env, report: Any, rid: str, mine: str, theirs: str) -> None:
    assert [c["record_id"] for c in report.conflicts] == [rid]
    assert env.server_doc(rid)["house_no"] == theirs  # the server keeps its version ...
    with env.engine.connect() as conn:
        body = json.loads(conn.execute(select(db.conflicts.c.body)).scalar_one())
    assert [(f["path"], f["mine"], f["theirs"]) for f in body["fields"]] == [("house_no", mine, theirs)]


def test_two_copies_of_one_laptop_database_editing_the_same_field_give_a_conflict(env: Env) -> None:
    a, hid = synced_laptop(env)
    copy_of(a, env.tmp / "b.db")
    b = env.open(env.tmp / "b.db")
    assert b.device_id != a.device_id  # a copy is a new file: it takes its own identity
    edit(a, hid, house_no="1/1")
    edit(b, hid, house_no="2/2")
    first = env.sync(a)
    assert first.verified and not first.conflicts
    second = env.sync(b)
    clash_kept(env, second, hid, "2/2", "1/1")  # ... and the conflict holds both values
    assert b.get("household", hid).conflict is not None
    # the first laptop never pulls the other value over its own
    env.sync(a)
    assert a.get("household", hid).data["house_no"] == "1/1"


def test_a_copy_that_kept_the_device_id_is_still_merged_against_what_it_had_and_renews_its_id(
    env: Env,
) -> None:
    a, hid = synced_laptop(env)
    copy_of(a, env.tmp / "b.db")
    b = env.open(env.tmp / "b.db")
    # a copy the laptop cannot tell (say a whole-disk image): the same device id and key
    for key in ("device_id", "device_key"):
        b._meta_set(key, a._meta_get(key) or "")
    b.device_id = a.device_id
    edit(a, hid, house_no="1/1")
    edit(b, hid, house_no="2/2")
    assert not env.sync(a).conflicts
    second = env.sync(b)
    clash_kept(env, second, hid, "2/2", "1/1")
    # the server saw two databases under one id: the second one now has its own
    assert second.new_device == b.device_id != a.device_id
    with env.engine.connect() as conn:
        assert conn.execute(
            select(db.audit_log.c.action).where(db.audit_log.c.action == "device_reused")
        ).first()


def test_a_restored_backup_editing_the_same_field_gives_a_conflict(env: Env) -> None:
    a, hid = synced_laptop(env)
    backup.backup(a, reason="manual")
    old = backup.list_backups(a.path)[0].path
    edit(a, hid, house_no="1/1")
    assert not env.sync(a).conflicts
    before = a.device_id
    a.close()
    backup.restore(old, env.tmp / "a.db")
    r = env.open(env.tmp / "a.db")
    assert r.device_id != before  # the restored file is a new file: a new identity
    edit(r, hid, house_no="3/3")
    clash_kept(env, env.sync(r), hid, "3/3", "1/1")


def test_a_restored_backup_editing_another_field_never_brings_back_an_old_value(env: Env) -> None:
    a, hid = synced_laptop(env)
    backup.backup(a, reason="manual")
    old = backup.list_backups(a.path)[0].path
    edit(a, hid, house_no="1/1")
    assert not env.sync(a).conflicts
    a.close()
    backup.restore(old, env.tmp / "a.db")
    r = env.open(env.tmp / "a.db")
    edit(r, hid, notes="แก้จากสำเนาสำรอง")
    rep = env.sync(r)
    assert not rep.conflicts and rep.verified
    doc = env.server_doc(hid)
    assert (doc["house_no"], doc["notes"]) == ("1/1", "แก้จากสำเนาสำรอง")
    assert r.get("household", hid).data["house_no"] == "1/1"


def test_a_lost_answer_then_another_edit_merges_against_what_was_sent_not_the_device(env: Env) -> None:
    a, hid = synced_laptop(env)

    class Killed(Exception):
        pass

    def kill(stage: str) -> None:
        if stage == "push-answered":
            raise Killed

    edit(a, hid, house_no="1/1")
    with pytest.raises(Killed):
        env.sync(a, stage_hook=kill)
    assert env.server_doc(hid)["house_no"] == "1/1"  # applied there; the answer never stored here
    edit(a, hid, house_no="1/2")  # and the person keeps working
    rep = env.sync(a)
    assert rep.verified and not rep.conflicts and rep.new_device is None
    assert env.server_doc(hid)["house_no"] == "1/2"
    assert a.conn.execute("SELECT COUNT(*) FROM sync_sent").fetchone()[0] == 0


def test_a_record_deleted_after_a_lost_answer_is_deleted_on_the_server_too(env: Env) -> None:
    a = env.open(env.tmp / "a.db")
    assert env.sync(a).verified

    class Killed(Exception):
        pass

    def kill(stage: str) -> None:
        if stage == "push-answered":
            raise Killed

    demo.generate(a, households=1, seed=9, areas=[AREA], businesses=0, referrals=0)
    hid = a.ids("household")[0]
    with pytest.raises(Killed):
        env.sync(a, stage_hook=kill)
    a.delete("household", hid)
    assert env.sync(a).verified
    with env.engine.connect() as conn:
        assert conn.execute(select(db.records.c.deleted).where(db.records.c.id == hid)).scalar_one()


def test_resolving_the_clash_of_two_copies_keeps_the_chosen_value_everywhere(env: Env) -> None:
    a, hid = synced_laptop(env)
    copy_of(a, env.tmp / "b.db")
    b = env.open(env.tmp / "b.db")
    edit(a, hid, house_no="1/1")
    edit(b, hid, house_no="2/2")
    env.sync(a)
    env.sync(b)
    resolve_conflict(b, "household", hid, {"house_no": "mine"})
    assert not env.sync(b).conflicts
    env.sync(a)
    assert env.server_doc(hid)["house_no"] == "2/2" == a.get("household", hid).data["house_no"]


def test_a_laptop_whose_device_id_the_server_gives_to_another_database_takes_a_new_one(env: Env) -> None:
    a, hid = synced_laptop(env)
    before = a.device_id
    # the server holds this id for another laptop's key (say a laptop that synced before keys existed
    # under another account, or a copy that got there first)
    with env.engine.begin() as conn:
        conn.execute(db.devices.update().where(db.devices.c.device_id == before).values(key_hash="0" * 64))
    edit(a, hid, house_no="4/4")
    rep = env.sync(a)
    assert rep.new_device == a.device_id != before
    assert rep.verified and env.server_doc(hid)["house_no"] == "4/4"
