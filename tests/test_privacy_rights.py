"""A household's rights and the audit trail: export, consent, erasure that syncs and never comes
back, an audit log nobody can edit through the app, sent to the server with each sync."""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_server import fast_settings, shared_app, shared_server
from sqlalchemy import select

from fieldapp import attachments, audit, backup, crypto, demo, encryption, rights
from fieldapp.errors import ValidationError
from fieldapp.store import Store, open_store
from fieldapp.sync.client import sync
from server import auth, db

PASSWORD = "correct horse"
AREA = "3201"
FAST = crypto.KdfParams(time_cost=1, memory_cost=8 * 1024, parallelism=1)
PASS = "ผ้าไหมสุรินทร์ 2569"


@pytest.fixture(autouse=True)
def _fresh_keys() -> None:
    crypto.forget()


class Env:
    def __init__(self, tmp_path: Path) -> None:
        self.settings = fast_settings(f"sqlite:///{tmp_path / 'server.db'}")
        self.app = shared_app(self.settings)
        self.engine = self.app.state.engine
        self.url = shared_server(self.app).url
        self.tmp = tmp_path
        with self.engine.begin() as conn:
            auth.add_user(conn, self.settings, "am", "area_manager", [AREA], PASSWORD)

    def sync(self, store: Store) -> Any:
        return sync(store, self.url, "am", PASSWORD, retries=0)

    def rows(self, query: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(query).all())


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    e = Env(tmp_path)
    yield e
    e.engine.dispose()


def household_with_referral(store: Store) -> str:
    demo.generate(store, households=8, seed=5, areas=[AREA], businesses=1, referrals=8)
    for rid in store.ids("referral"):
        hid = store.get("referral", rid).data["household_id"]
        return str(hid)
    raise AssertionError("no referral")


def personal(store: Store, hid: str) -> list[str]:
    doc = store.get("household", hid, include_deleted=True).data
    out = [doc.get("house_no"), doc.get("phone")]
    for m in doc.get("members") or []:
        out += [m.get("first_name"), m.get("last_name"), m.get("national_id")]
    return [v for v in out if v]


# ---------------------------------------------------------------------- audit trail


def test_the_audit_log_cannot_be_edited_through_the_app(tmp_path: Path) -> None:
    with open_store(tmp_path / "a.db") as s:
        demo.generate(s, households=2, seed=1)
        n = s.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        for sql in (
            "UPDATE audit_log SET user = 'someone else'",
            "DELETE FROM audit_log",
            "DROP TRIGGER audit_log_no_delete",
            "DROP TABLE audit_log",
            "ALTER TABLE audit_log RENAME TO old_log",
            "PRAGMA writable_schema = ON",
        ):
            with pytest.raises(sqlite3.DatabaseError):
                s.conn.execute(sql)
        with pytest.raises(sqlite3.DatabaseError):
            s.db["audit_log"].delete_where()  # sqlite-utils too
        assert s.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == n
    # a plain connection, not the app's, still meets the triggers
    raw = sqlite3.connect(tmp_path / "a.db")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute("DELETE FROM audit_log")
    raw.close()


def test_each_action_is_in_the_audit_log(tmp_path: Path) -> None:
    with open_store(tmp_path / "a.db", user="somsri") as s:
        hid = household_with_referral(s)
        rights.write_export(s, hid, tmp_path / "copy.json")
        rights.withdraw_consent(s, hid, scope="sensitive")
        rights.erase(s, hid, mode="anonymise", reason="request")
        rows = audit.entries(s, record_id=hid)
    actions = [e["action"] for e in rows]
    assert actions[0] == "demo"
    assert {"export_data", "withdraw_consent", "update", "anonymise"} <= set(actions)
    assert all(e["user"] == "somsri" for e in rows)


# ---------------------------------------------------------------------- rights on the laptop


def test_export_data_has_everything_about_the_household(tmp_path: Path) -> None:
    with open_store(tmp_path / "a.db") as s:
        hid = household_with_referral(s)
        out = rights.write_export(s, hid, tmp_path / "copy.json")
        pages = rights.export_pdf(s, hid, tmp_path / "copy.pdf")
        doc = s.get("household", hid).data
    data = json.loads(out.read_text("utf-8"))
    assert data["record"]["id"] == hid and data["record"]["data"] == doc
    assert data["record"]["data"]["members"][0]["national_id"] == doc["members"][0]["national_id"]  # unmasked
    assert any(link["form"] == "referral" for link in data["linked"])
    assert pages >= 1 and (tmp_path / "copy.pdf").read_bytes().startswith(b"%PDF")


def test_withdrawing_sensitive_consent_clears_health_and_disability(tmp_path: Path) -> None:
    with open_store(tmp_path / "a.db") as s:
        hid = household_with_referral(s)
        rights.withdraw_consent(s, hid, scope="sensitive", note="จดหมาย")
        doc = s.get("household", hid).data
        assert doc["consent_sensitive"] is False
        assert all(m.get("health_status") is None and m.get("disability_type") is None for m in doc["members"])
        assert rights.consent_events(s, hid)[0]["scope"] == "sensitive"


def test_anonymise_purges_personal_fields_and_keeps_statistics(tmp_path: Path) -> None:
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + b"house photo" * 50)
    path = tmp_path / "a.db"
    encryption.create_encrypted(path, "am", "area_manager", PASS, params=FAST)
    with open_store(path) as s:
        hid = household_with_referral(s)
        sha = attachments.add(s, photo)
        doc = copy.deepcopy(s.get("household", hid).data)
        doc["photo"] = sha
        s.rewrite("household", doc, record_id=hid)
        backup.backup(s, reason="manual")
        before = s.get("household", hid).data
        values = personal(s, hid)
        rights.erase(s, hid, mode="anonymise")
        after = s.get("household", hid).data
        assert after["income_wage"] == before["income_wage"] and after["poverty_class"] == before["poverty_class"]
        assert after["subdistrict_code"] == before["subdistrict_code"]
        assert after["photo"] is None and after["location"] is None and after["house_no"] is None
        for m in after["members"]:
            assert m["first_name"] is None and m["national_id"] is None
            assert m["birth_date"] is None or m["birth_date"][4:] in ("-01-01", "-12-31", "-07-01")
        assert not attachments.exists(s, sha)
        assert s.search(values[-1]) == []  # gone from the search index
        with pytest.raises(ValidationError) as exc:  # it never comes back, not even from a copy
            s.rewrite("household", before, record_id=hid)
        assert exc.value.code == "erased"
        # the backups were purged too
        for b in backup.list_backups(path):
            with open_store(b.path, key=s.data_key) as bs:
                assert bs.get("household", hid).data["members"][0]["first_name"] is None


def test_a_backup_that_cannot_be_purged_is_reported_not_counted(tmp_path: Path) -> None:
    with open_store(tmp_path / "a.db") as s:
        hid = household_with_referral(s)
        good = backup.backup(s, reason="manual")
        damaged = backup.backup(s, reason="manual")
        damaged.write_bytes(b"not a database " * 400)
        out = rights.erase(s, hid, mode="erase")
    assert out["backups_purged"] == 1
    assert list(out["backups_failed"]) == [damaged.name]
    with open_store(good, forms=s.forms) as bs:  # the good one was purged all the same
        assert bs.get("household", hid, include_deleted=True).deleted


def test_erase_leaves_nothing_but_a_tombstone(tmp_path: Path) -> None:
    with open_store(tmp_path / "a.db") as s:
        hid = household_with_referral(s)
        rights.erase(s, hid, mode="erase")
        rec = s.get("household", hid, include_deleted=True)
        assert rec.deleted and rec.data["members"] == [] and rec.data["house_no"] is None
        row = s.conn.execute("SELECT base FROM household WHERE id = ?", [hid]).fetchone()
        assert row[0] is None
        linked = [r for r in s.ids("referral", include_deleted=True) if rights.erasure(s, r)]
        assert linked and all(s.get("referral", r, include_deleted=True).deleted for r in linked)


# ---------------------------------------------------------------------- through sync


def test_erasure_travels_through_sync_and_never_comes_back(env: Env) -> None:
    a = open_store(env.tmp / "a.db", user="a")
    b = open_store(env.tmp / "b.db", user="b")
    try:
        hid = household_with_referral(a)
        assert env.sync(a).verified
        assert env.sync(b).verified
        names = personal(b, hid)
        assert names
        # laptop b edits the household while a erases it
        doc = copy.deepcopy(b.get("household", hid).data)
        doc["notes"] = "ยังมีข้อมูลเก่าอยู่"
        b.rewrite("household", doc, record_id=hid)
        rights.erase(a, hid, mode="anonymise", reason="the household asked")
        up = env.sync(a)
        assert up.verified and not up.rejected
        # the server holds the anonymised version only, and no older revision keeps the names
        server_doc = json.loads(env.rows(select(db.records.c.doc).where(db.records.c.id == hid))[0][0])
        assert server_doc["members"][0]["first_name"] is None
        old_docs = env.rows(select(db.revisions.c.doc).where(db.revisions.c.record_id == hid))
        assert all(d[0] is None or names[-1] not in d[0] for d in old_docs)
        assert env.rows(select(db.erasures.c.mode).where(db.erasures.c.record_id == hid)) == [("anonymise",)]
        # b's unsynced edit of the old copy loses to the erasure
        down = env.sync(b)
        assert down.erased >= 1 and not down.conflicts
        after = b.get("household", hid).data
        assert after["members"][0]["first_name"] is None and after["notes"] is None
        assert rights.erasure(b, hid) is not None
        assert not b.dirty_rows("household")
        # an old copy cannot be brought back on b either
        with pytest.raises(ValidationError):
            b.rewrite("household", doc, record_id=hid)
        assert env.sync(b).verified
        # a laptop that never had the household receives the anonymised record, and verifies
        c = open_store(env.tmp / "c.db", user="c")
        try:
            first = env.sync(c)
            assert first.verified
            assert c.get("household", hid).data["members"][0]["first_name"] is None
            assert rights.erasure(c, hid) is not None
        finally:
            c.close()
    finally:
        a.close()
        b.close()


def test_an_old_copy_pushed_later_is_refused_and_erased(env: Env) -> None:
    a = open_store(env.tmp / "a.db", user="a")
    try:
        hid = household_with_referral(a)
        assert env.sync(a).verified
        backup.backup(a, reason="manual")
        old = backup.list_backups(a.path)[0].path
        rights.erase(a, hid, mode="erase", purge_backups=False)  # an old copy survives somewhere
        assert env.sync(a).verified
    finally:
        a.close()
    c = open_store(old, user="c")  # a laptop that still has the household
    try:
        doc = copy.deepcopy(c.get("household", hid).data)
        doc["notes"] = "แก้จากสำเนาเก่า"
        c.rewrite("household", doc, record_id=hid)
        rep = env.sync(c)
        assert rep.erased >= 1 and not rep.conflicts and not rep.rejected
        rec = c.get("household", hid, include_deleted=True)
        assert rec.deleted and rec.data["members"] == []
        assert env.rows(select(db.records.c.doc).where(db.records.c.id == hid)) == [(None,)]
    finally:
        c.close()


def test_the_audit_trail_reaches_the_server(env: Env) -> None:
    a = open_store(env.tmp / "a.db", user="a")
    try:
        hid = household_with_referral(a)
        a.audit("view", "household", hid)
        first = env.sync(a)
        assert first.audit_sent > 0
        again = env.sync(a)
        assert again.audit_sent <= 2  # only what happened since (the sync's own rows)
        rows = env.rows(select(db.device_audit.c.action, db.device_audit.c.record_id))
        assert ("view", hid) in rows
        assert len(rows) == len({(r[0], r[1], i) for i, r in enumerate(rows)})
        # a record pulled from the server is in the laptop's trail, but the server's own pull
        # log already holds it: it is not sent back, and the next sync starts after it
        b = open_store(env.tmp / "b.db", user="b")
        try:
            env.sync(b)
            b.audit("view", "household", hid)
            env.sync(b)
            assert ("sync_pull", hid) in [(e["action"], e["record_id"]) for e in audit.entries(b)]
            assert not any(e["action"] == "sync_pull" for e in audit.unsent(b))
            assert audit.sent_up_to(b) >= max(e["id"] for e in audit.entries(b) if e["action"] == "sync_pull")
            sent = env.rows(select(db.device_audit.c.action).where(db.device_audit.c.device_id == b.device_id))
            assert ("view",) in sent and ("sync_pull",) not in sent
        finally:
            b.close()
    finally:
        a.close()
