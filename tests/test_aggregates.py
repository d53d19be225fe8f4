"""The kept record counts (fieldapp.aggregates) agree with a count of the rows after every kind of
write: create, edit that moves a household to another village or class, members added and
removed, tombstones, erasure, anonymisation, a raw delete — and the readers use them."""

from __future__ import annotations

import copy
import random
from typing import Any

from fieldapp import aggregates, browse, demo, rights
from fieldapp.store import Store, open_store


def _scan_stats(store: Store) -> dict[str, Any]:
    """The counts as a full scan gives them (what the kept counts must equal)."""
    out: dict[str, Any] = {}
    for form in store.forms:
        t = form.table
        entry: dict[str, Any] = {
            "records": store.conn.execute(f"SELECT count(*) FROM [{t}] WHERE deleted = 0").fetchone()[0],
            "unsynced": store.conn.execute(
                f"SELECT count(*) FROM [{t}] WHERE deleted = 0 AND dirty = 1"
            ).fetchone()[0],
        }
        for rep in form.repeats():
            entry[rep.id] = store.conn.execute(
                f"SELECT count(*) FROM [{form.child_table(rep)}] c JOIN [{t}] p ON p.id = c.parent_id "
                "WHERE p.deleted = 0"
            ).fetchone()[0]
        if "poverty_class" in form.fields:
            entry["by_class"] = {
                (k or "none"): v
                for k, v in store.conn.execute(
                    "SELECT coalesce(poverty_class, CASE WHEN score_status = 'unassessable' "
                    "THEN 'unassessable' WHEN score_status = 'not_interviewed' THEN 'not_interviewed' END), "
                    f"count(*) FROM [{t}] WHERE deleted = 0 GROUP BY 1"
                )
            }
        out[form.id] = entry
    return out


def _kept(store: Store) -> dict[str, Any]:
    stats = store.stats()["forms"]
    return {
        fid: {k: v for k, v in entry.items() if k not in ("tpmap_target", "by_province")}
        for fid, entry in stats.items()
    }


def test_counts_follow_creates_edits_moves_and_tombstones(store: Store, household: dict[str, Any]) -> None:
    rng = random.Random(7)
    ids = []
    for i in range(12):
        doc = copy.deepcopy(household)
        doc["house_no"] = f"{i + 1}/1"
        doc["village_no"] = 1 + i % 3
        for m in doc["members"]:
            m.pop("national_id", None)
            m["id_type"] = "none"
        ids.append(store.save("household", doc).record.id)
    assert aggregates.drift(store.conn, store.form("household")) == []
    for step in range(30):
        rid = rng.choice(ids)
        rec = store.get("household", rid, include_deleted=True)
        doc = copy.deepcopy(rec.data)
        action = rng.choice(["village", "members", "class", "drop_member"])
        if action == "village":
            doc["village_no"] = rng.randint(1, 5)
            doc["village_name"] = rng.choice(["บ้านหนองบัว", "บ้านโนนสูง"])
        elif action == "members":
            extra = copy.deepcopy(doc["members"][-1])
            extra.pop("id", None)
            extra["relation"] = "child"
            extra["first_name"] = f"ลูก{step}"
            doc["members"].append(extra)
        elif action == "class":
            doc["income_wage"] = rng.choice([0, 5000, 200000])
            doc["debt_total"] = rng.choice([0, 900000])
        elif action == "drop_member" and len(doc["members"]) > 1:
            doc["members"] = doc["members"][:-1]
        store.save("household", doc, record_id=rid)
    store.delete("household", ids[0])
    store.delete("household", ids[1])
    assert aggregates.drift(store.conn, store.form("household")) == []
    assert _kept(store) == _scan_stats(store)
    # sent to the server: no longer unsynced; an edit after that is again
    store.conn.execute("UPDATE household SET dirty = 0 WHERE id IN (?, ?, ?)", ids[2:5])
    store.save("household", store.get("household", ids[3]).data, record_id=ids[3])
    assert _kept(store) == _scan_stats(store)
    assert store.stats()["forms"]["household"]["unsynced"] == 8
    assert store.stats(area="3201")["forms"]["household"]["unsynced"] == 8
    assert store.stats(area="3202")["forms"]["household"]["unsynced"] == 0
    assert aggregates.drift(store.conn, store.form("household")) == []
    assert store.count("household") == 10
    assert store.count("household", area="3201") == 10


def test_counts_follow_erasure_anonymisation_and_raw_deletes(demo_db: str, tmp_path) -> None:
    import shutil

    path = tmp_path / "copy.db"
    shutil.copy(demo_db, path)
    store = open_store(path, user="tester")
    ids = store.ids("household")
    rights.erase(store, ids[0], purge_backups=False)
    rights.erase(store, ids[1], mode="anonymise", purge_backups=False)
    # a raw delete of a record (with its repeat rows going by cascade) is counted too
    with store.transaction():
        store.conn.execute("DELETE FROM household WHERE id = ?", [ids[2]])
    for form in store.forms:
        assert aggregates.drift(store.conn, form) == [], form.id
    assert _kept(store) == _scan_stats(store)
    assert not [p for p in store.check() if " counts " in p]


def test_area_tree_counts_come_from_kept_counts(tmp_path) -> None:
    path = tmp_path / "d.db"
    store = open_store(path, user="tester")
    demo.generate(store, households=60, seed=3)
    tree = browse.area_counts(store, "household")
    scanned = store.conn.execute(
        "SELECT subdistrict_code, village_no, COALESCE(village_name, ''), count(*) FROM household "
        "WHERE deleted = 0 AND subdistrict_code IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    ).fetchall()
    assert [(c.subdistrict, c.village_no, c.village_name, c.count) for c in tree] == scanned
    # the counts do not scan the records: emptying the kept table shows in the tree
    with store.transaction():
        store.conn.execute("DELETE FROM record_counts")
    assert browse.area_counts(store, "household") == []
    assert store.check()  # and the integrity check reports the drift


def test_an_existing_database_is_recounted_once_when_the_triggers_arrive(tmp_path) -> None:
    path = tmp_path / "old.db"
    store = open_store(path, user="tester")
    demo.generate(store, households=40, seed=5)
    expected = store.stats()
    with store.transaction():
        store.conn.execute("DROP TABLE record_counts")
        for (name,) in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%__count_%'"
        ).fetchall():
            store.conn.execute(f"DROP TRIGGER [{name}]")
        store.conn.execute("UPDATE meta SET value = 'old' WHERE key = 'form_schema'")
    store.close()
    again = open_store(path, user="tester")
    assert again.stats() == expected


def test_the_outbox_counts_and_photos_come_from_sql_and_agree_with_the_documents(tmp_path) -> None:
    """What waits to go up, at province scale, without loading a million documents: the counts
    and the photos of unsynced records equal what the documents themselves say."""
    import hashlib

    from fieldapp.sync import protocol as P
    from fieldapp.sync.outbox import pending_summary

    store = open_store(tmp_path / "o.db", user="tester")
    demo.generate(store, households=30, seed=8)
    ids = store.ids("household")
    shas = []
    for i, rid in enumerate(ids[:6]):
        doc = store.get("household", rid).data
        sha = hashlib.sha256(f"photo {i}".encode()).hexdigest()
        doc["photo"] = sha
        store.rewrite("household", doc, record_id=rid)
        shas.append(sha)
    store.set_conflict("household", ids[1], {"fields": {}})
    store.delete("household", ids[2])  # a tombstone's photo is not sent
    with store.transaction():  # two records synced: their photos are not waiting either
        store.conn.execute("UPDATE household SET dirty = 0 WHERE id IN (?, ?)", [ids[3], ids[4]])
    summary = pending_summary(store)
    expected: set[str] = set()
    for form in store.forms:
        rows = store.dirty_rows(form.id)
        assert summary["records"][form.id] == len(rows)
        assert summary["conflicts_by_form"][form.id] == sum(1 for r in rows if r["has_conflict"])
        for r in rows:
            if not r["deleted"]:
                expected.update(P.photo_refs(form, store.get(form.id, r["id"]).data))
    assert expected == {shas[0], shas[1], shas[5]}
    assert summary["attachments"] == len(expected)
    assert summary["conflicts"] == 1
