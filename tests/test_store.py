"""The local store: pragmas, migrations, the one write path, tombstones, search, lists."""

from __future__ import annotations

import copy
import json
import sqlite3
import uuid

import pytest

from fieldapp import demo, demodata, thai
from fieldapp.errors import NotFoundError, StoreError, ValidationError
from fieldapp.store import Store, open_store


def count(store: Store, table: str) -> int:
    return store.conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]


def test_new_database_has_wal_full_sync_foreign_keys_and_migrations(store):
    c = store.conn
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert c.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert c.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    applied = [r[0] for r in c.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")]
    assert applied[0] == "0001_core"
    for table in (
        "household",
        "household__members",
        "business",
        "business__products",
        "business__employment",
        "referral",
        "search_fts",
        "audit_log",
    ):
        assert store.db[table].exists(), table


def test_typed_columns_come_from_the_form_definition(store):
    cols = {c.name: c.type for c in store.db["household"].columns}
    assert cols["income_total"] == "REAL"
    assert cols["village_no"] == "INTEGER"
    assert cols["location_lat"] == "REAL" and cols["location_lon"] == "REAL"
    assert cols["surveyed_on"] == "TEXT"
    member_cols = {c.name for c in store.db["household__members"].columns}
    assert {"id", "parent_id", "position", "national_id", "birth_date"} <= member_cols
    for meta in (
        "form_id",
        "form_version",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "device_id",
        "server_rev",
        "base",
        "dirty",
        "deleted",
    ):
        assert meta in cols


def test_reopening_is_idempotent_and_keeps_the_device_id(tmp_path):
    with open_store(tmp_path / "a.db") as s:
        device = s.device_id
    with open_store(tmp_path / "a.db") as s:
        assert s.device_id == device
        from fieldapp import migrations

        applied = [r[0] for r in s.conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")]
        assert applied == migrations.names()


def test_save_then_get_round_trips_the_document(store, household):
    res = store.save("household", household)
    assert res.created
    rec = store.get("household", res.record.id)
    assert rec.form_id == "household"
    assert rec.form_version == store.form("household").version
    assert rec.created_by == rec.updated_by == "tester"
    assert rec.device_id == store.device_id
    assert rec.dirty and not rec.deleted and rec.server_rev is None
    assert rec.data == res.record.data
    assert rec.data["location"] == {"lat": 14.88, "lon": 103.49}
    assert rec.data["debt_sources"] == ["baac"]
    assert [m["first_name"] for m in rec.data["members"]] == ["สมชาย", "สมหญิง"]
    assert rec.data["head_name"] == "สมชาย ใจดี"


def test_update_keeps_creation_and_row_ids(store, household):
    first = store.save("household", household).record
    doc = copy.deepcopy(first.data)
    doc["house_no"] = "99"
    doc["members"].reverse()
    second = store.save("household", _editable(store, doc), record_id=first.id, user="other").record
    rec = store.get("household", first.id)
    assert rec.created_at == first.created_at and rec.created_by == "tester"
    assert rec.updated_by == "other"
    assert rec.data["house_no"] == "99"
    assert [m["id"] for m in rec.data["members"]] == [m["id"] for m in reversed(first.data["members"])]
    assert second.id == first.id
    assert count(store, "household__members") == 2


def _editable(store, doc):
    """Strip calculated fields, as an editor sends only answers."""
    form = store.form("household")
    out = {k: v for k, v in doc.items() if form.fields[k].type != "calculated"}
    rep = form.fields["members"]
    out["members"] = [
        {k: v for k, v in r.items() if k == "id" or rep.child(k).type != "calculated"} for r in doc["members"]
    ]
    return out


def test_invalid_record_writes_nothing(store, household):
    household["members"][1]["national_id"] = "1103702488993"
    before = {t: count(store, t) for t in ("household", "household__members", "search_doc", "audit_log")}
    with pytest.raises(ValidationError) as info:
        store.save("household", household)
    assert info.value.problems[0].path == "members[2].national_id"
    assert {t: count(store, t) for t in before} == before


def test_a_pulled_page_is_stored_all_or_nothing(store, household):
    bad = copy.deepcopy(household)
    bad["village_no"] = 500
    items = [(str(uuid.uuid4()), doc, 1) for doc in (household, bad, copy.deepcopy(household))]
    batch = store.apply_pulled("household", items, user="server")
    assert list(batch.errors) == [1]
    assert batch.saved == []
    assert count(store, "household") == 0


def test_pulled_records_are_written_as_synced(store, household):
    rid = str(uuid.uuid4())
    batch = store.apply_pulled("household", [(rid, household, 7)], user="server")
    assert not batch.errors
    assert store.sync_state("household", rid) | {"updated_at": None} == {
        "server_rev": 7,
        "dirty": False,
        "deleted": False,
        "updated_at": None,
        "conflict": None,
    }
    assert store.get("household", rid).base == household


def test_an_import_keeps_the_valid_rows(store, household):
    bad = copy.deepcopy(household)
    bad["village_no"] = 500
    batch = store.import_rows("household", [(None, household), (None, bad)])
    assert list(batch.errors) == [1] and len(batch.saved) == 1
    assert count(store, "household") == 1
    [action] = [r[0] for r in store.conn.execute("SELECT action FROM audit_log WHERE form_id = 'household'")]
    assert action == "import"


def test_a_failure_mid_transaction_rolls_back_the_whole_batch(store, household, monkeypatch):
    calls = {"n": 0}
    original = store._index

    def explode(form, ids, bodies, areas):
        calls["n"] += 1
        original(form, ids, bodies, areas)
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "_index", explode)
    with pytest.raises(sqlite3.OperationalError):
        store.apply_pulled(
            "household", [(str(uuid.uuid4()), household, 1), (str(uuid.uuid4()), household, 1)], user="server"
        )
    assert calls["n"] == 1
    for t in ("household", "household__members", "search_doc", "search_fts", "audit_log"):
        assert count(store, t) == 0, t


def test_delete_is_a_tombstone_never_a_lost_row(store, household):
    rid = store.save("household", household).record.id
    store.delete("household", rid, user="leader")
    with pytest.raises(NotFoundError):
        store.get("household", rid)
    rec = store.get("household", rid, include_deleted=True)
    assert rec.deleted and rec.dirty
    assert len(rec.data["members"]) == 2  # rows kept
    assert store.count("household") == 0
    assert store.search("สมชาย") == []
    actions = [r[0] for r in store.conn.execute("SELECT action FROM audit_log WHERE record_id = ?", [rid])]
    assert actions == ["create", "delete"]
    with pytest.raises(NotFoundError):
        store.delete("household", rid)


def test_duplicate_national_id_within_a_household_is_an_error(store, household):
    household["members"][1]["national_id"] = household["members"][0]["national_id"]
    with pytest.raises(ValidationError) as info:
        store.save("household", household)
    assert info.value.problems[0].code == "duplicate"
    assert "ซ้ำกับสมาชิกลำดับที่ 1" in info.value.problems[0].message


def test_same_national_id_on_two_households_is_flagged_with_a_link_not_merged(store, household):
    first = store.save("household", household).record
    other = copy.deepcopy(household)
    other["house_no"] = "77"
    res = store.save("household", other)
    assert res.record.id != first.id
    assert {w.other_record for w in res.warnings} == {first.id}
    assert "ซ้ำกับ" in res.warnings[0].message()
    assert store.count("household") == 2
    dups = store.duplicate_ids()
    assert len(dups) == 2 and all(set(d["records"]) == {first.id, res.record.id} for d in dups)
    assert any("duplicate national ID" in p for p in store.check())


def test_references_must_point_at_live_records(store, household):
    hh = store.save("household", household).record
    member = hh.data["members"][0]["id"]
    ref = {
        "household_id": hh.id,
        "member_id": member,
        "subdistrict_code": "320101",
        "need": "ซ่อมบ้าน",
        "assistance_type": "housing",
        "referred_on": "2025-06-02",
        "status": "referred",
    }
    store.save("referral", ref)
    bad = dict(ref, member_id="00000000-0000-4000-8000-000000000000")
    with pytest.raises(ValidationError) as info:
        store.save("referral", bad)
    assert info.value.problems[0].code == "reference"


@pytest.mark.parametrize(
    "query",
    ["สมช", "มชาย", "ใจดี", "หนองบัว", "12/3", "1103702488992", "1-1037-02488-99-2", "๑๑๐๓๗๐๒๔๘๘๙๙๒", "สม"],
)
def test_thai_search_finds_substrings_ids_and_house_numbers(store, household, query):
    household["members"][0]["national_id"] = "1103702488992"
    rid = store.save("household", household).record.id
    other = copy.deepcopy(household)
    other.update(village_name="บ้านดอนแดง", house_no="5")
    other["members"] = [
        dict(
            other["members"][1],
            first_name="มาลี",
            last_name="ทองคำ",
            relation="head",
            national_id="3100501234563",
        )
    ]
    store.save("household", other)
    found = [r["id"] for r in store.list("household", search=query)]
    assert rid in found
    if query not in ("สม",):
        assert len(found) == 1


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "'",
        "AND",
        "OR NOT",
        "*",
        "a:b",
        "(",
        "สม*",
        "NEAR(a b)",
        "%",
        "_",
        "\\",
        "; DROP TABLE household; --",
    ],
)
def test_fts_syntax_in_a_search_is_literal_and_never_an_error(store, household, query):
    store.save("household", household)
    assert store.list("household", search=query) == []
    assert store.count("household") == 1


def test_visually_identical_spellings_match(store, household):
    household["members"][0]["first_name"] = "คำแก้ว"  # U+0E33 sara am
    rid = store.save("household", household).record.id
    decomposed = "ค\u0e4d\u0e32แก้ว"  # nikhahit + sara aa
    swapped = "คำแก\u0e49\u0e49ว".replace("\u0e49\u0e49", "\u0e49")
    assert [r["id"] for r in store.list("household", search=decomposed)] == [rid]
    assert [r["id"] for r in store.list("household", search=swapped)] == [rid]


def test_lists_filter_by_area_and_sort_in_thai_order(tmp_path):
    with open_store(tmp_path / "d.db") as s:
        made = demo.generate(s, households=60, seed=3, areas=["3201", "4601"])
        total = made["household"] + made["rounds"]  # second survey rounds are records too
        all_rows = s.list("household", limit=None)
        assert len(all_rows) == total
        surin = s.list("household", area="32", limit=None)
        kalasin = s.list("household", area="4601", limit=None)
        assert len(surin) + len(kalasin) == total and surin and kalasin
        assert s.count("household", area=["3201", "4601"]) == total
        names = [r["head_name"] for r in all_rows]
        from fieldapp.collate import sort_key

        assert names == sorted(names, key=sort_key)
        page = s.list("household", limit=10, offset=10)
        assert [r["id"] for r in page] == [r["id"] for r in all_rows[10:20]]
        classes = s.list("household", filters={"poverty_class": "2"}, limit=None)
        assert all(r["poverty_class"] == "2" for r in classes)
        with pytest.raises(ValidationError):
            s.list("household", order_by="no_such_field")


def test_leading_vowels_sort_by_their_consonant():
    from fieldapp.collate import sort_key

    words = ["ไก่", "กา", "เกาะ", "ขา", "แก", "โกง"]
    assert sorted(words, key=sort_key) == ["กา", "เกาะ", "แก", "โกง", "ไก่", "ขา"]


def test_a_damaged_file_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "bad.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError) as info:
        open_store(path)
    assert "ไฟล์อาจเสียหาย" in info.value.message
    assert path.read_bytes().startswith(b"this is not a database")  # never overwritten


def test_new_questions_add_columns_without_losing_data(tmp_path, household):
    from fieldapp import forms, resources

    path = tmp_path / "m.db"
    with open_store(path) as s:
        rid = s.save("household", household).record.id
    src = resources.forms_dir()
    for f in src.glob("*.yaml"):
        text = f.read_text(encoding="utf-8")
        if f.name == "household.yaml":
            text = text.replace(
                "      - id: soi_road\n",
                "      - id: landmark\n        type: text\n        label: {th: จุดสังเกต, en: Landmark}\n"
                "      - id: soi_road\n",
                1,
            )
            assert "landmark" in text
        (tmp_path / f.name).write_text(text, encoding="utf-8")
    newer = forms.load_all(tmp_path)
    with open_store(path, forms=newer) as s:
        assert "landmark" in {c.name for c in s.db["household"].columns}
        rec = s.get("household", rid)
        assert rec.data["landmark"] is None and rec.data["house_no"] == "12/3"


def test_stats_and_check_on_demo_data(demo_db):
    with open_store(demo_db) as s:
        stats = s.stats()
        h = stats["forms"]["household"]
        total = s.count("household")  # 120 households and any second survey rounds
        assert h["records"] == total >= 120 and h["members"] >= 120
        assert sum(h["by_class"].values()) == total
        assert stats["forms"]["business"]["records"] == 6
        assert stats["forms"]["referral"]["records"] == 24
        assert s.check() == []


def test_documents_in_the_base_column_are_json(store, household):
    rid = store.save("household", household).record.id
    store.conn.execute("UPDATE household SET base = ? WHERE id = ?", [json.dumps({"house_no": "1"}), rid])
    assert store.get("household", rid).base == {"house_no": "1"}


def test_demo_data_depends_on_the_seed_only_not_on_worker_processes(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "CHUNK", 15)
    docs = []
    for workers, name in ((1, "one.db"), (2, "two.db")):
        with open_store(tmp_path / name) as s:
            made = demo.generate(s, households=40, seed=4, workers=workers)
            assert made["household"] == 40 and made["business"] == 2 and made["referral"] == 8
            docs.append({r.id: r.data for r in (s.get("household", i) for i in s.ids("household"))})
            assert s.check() == []
    assert docs[0] == docs[1]


def test_demo_national_ids_are_valid_and_never_repeat_across_parts():
    subs = demodata.subdistrict_pool(3, None)
    seen: set[str] = set()
    for number in range(3):
        gen = demodata.RecordMaker(3, f"households:{number}", subs, number=number)
        for birth_year in [1950, 1990] * 2000:
            nid = gen.national_id(birth_year)
            assert thai.parse_national_id(nid) == nid
            assert nid[1:12] not in seen  # unique even without the kind digit
            seen.add(nid[1:12])
    assert len(seen) == 12000


def test_demo_shares_businesses_and_referrals_by_households():
    shares = [demo._share(100, start, min(2001, start + 2000), 2001) for start in (0, 2000)]
    assert shares == [99, 1]  # the part with one household gets one business, not half of them
    assert demo._share(7, 0, 0, 0) == 7  # no households: one part takes them all


def test_a_demo_worker_that_cannot_open_the_database_reports_it(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "_WORKER", {})
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "household.yaml").write_text("id: household\nfields: [oops\n", encoding="utf-8")
    demo._worker_start(str(tmp_path / "x.db"), "demo", str(forms), [])
    assert "error" in demo._WORKER
    with pytest.raises(Exception) as exc:
        demo._part_in_process((1, 0, 10, 0, 0))
    assert exc.value is demo._WORKER["error"]


def test_keep_on_error_commits_the_whole_savepoints_before_a_failure(store, household):
    with pytest.raises(ValueError), store.transaction(keep_on_error=True):
        store.save("household", copy.deepcopy(household))  # a savepoint of its own: whole
        with store.transaction():
            store.save("household", copy.deepcopy(household))
            raise ValueError("the second part fails")  # its savepoint is undone
    assert count(store, "household") == 1 and not store.conn.in_transaction
    # a database error may leave the transaction unsound: then nothing of it is kept
    with pytest.raises(sqlite3.OperationalError), store.transaction(keep_on_error=True):
        store.save("household", copy.deepcopy(household))
        raise sqlite3.OperationalError("disk I/O error")
    assert count(store, "household") == 1 and not store.conn.in_transaction


def test_one_and_two_character_queries_find_words_that_begin_with_them(store, household):
    household["members"][0].update(first_name="สมชาย", last_name="ใจดี")
    household["members"][1].update(first_name="บุญมี", last_name="ใจดี")
    household["house_no"] = "12/3"
    rid = store.save("household", household).record.id
    other = copy.deepcopy(household)
    other.update(village_name="บ้านดอนแดง", house_no="45")
    for m in other["members"]:
        m.update(first_name="มาลี", last_name="ทองคำ", national_id=None, id_type="none")
    oid = store.save("household", other).record.id
    ids = lambda q: sorted(r["id"] for r in store.list("household", search=q))  # noqa: E731
    assert ids("ส") == [rid]  # สมชาย
    assert ids("ใจ") == [rid]  # a last name is a word of its own
    assert ids("ม") == [oid]  # มาลี; สมชาย has ม inside a word, not at its start
    assert ids("ดอ") == [oid]  # ดอนแดง, the second word of the village name
    assert ids("12") == [rid] and ids("4") == [oid]  # house numbers
    assert ids("ท ม") == [oid]  # every short term must begin a word
    assert store.count("household", search="ใจ") == 1
    # an edit or a tombstone leaves no stale word behind
    changed = store.get("household", rid).data
    for m in changed["members"]:
        m["last_name"] = "รักดี"
    store.save("household", changed, record_id=rid)
    assert ids("ใจ") == [] and ids("รั") == [rid]
    store.delete("household", oid)
    assert ids("ม") == [] and ids("ดอ") == []
    assert store.check() == []


@pytest.mark.parametrize("order_by", [None, "house_no", "member_count", "updated_at"])
@pytest.mark.parametrize("descending", [False, True])
def test_pages_and_positions_agree_with_the_whole_list(tmp_path, order_by, descending):
    with open_store(tmp_path / "d.db") as s:
        demo.generate(s, households=70, seed=4)
        some = s.ids("household")[:5]
        with s.transaction():  # a few with no sort value: NULLs sort first ascending, last descending
            s.conn.execute(
                f"UPDATE household SET title_sort = NULL, house_no = NULL WHERE id IN ({','.join('?' * 5)})",
                some,
            )
        for query in ({}, {"search": "บ้าน"}, {"area": "32"}, {"filters": {"dirty": True}}):
            whole = s.ids("household", order_by=order_by, descending=descending, **query)
            pages = [
                i
                for start in range(0, len(whole) + 9, 9)
                for i in s.ids(
                    "household", order_by=order_by, descending=descending, limit=9, offset=start, **query
                )
            ]
            assert pages == whole
            for pos, rid in enumerate(whole):
                assert s.position("household", rid, order_by=order_by, descending=descending, **query) == pos
        s.delete("household", some[0])
        assert s.position("household", some[0]) == -1


def test_conflicted_and_incomplete_filters_run_in_sql(tmp_path):
    from fieldapp import drafts

    with open_store(tmp_path / "d.db") as s:
        demo.generate(s, households=30, seed=2)
        ids = s.ids("household")
        s.set_conflict("household", ids[3], {"fields": {}})
        assert s.ids("household", filters={"conflicted": True}) == [ids[3]]
        assert s.count("household", filters={"conflicted": False}) == len(ids) - 1
        assert s.ids("household", filters={"incomplete": True}) == []
        drafts.set_status(s, "household", ids[7], 2)
        drafts.set_status(s, "household", ids[1], 1)
        drafts.set_status(s, "household", ids[2], 0)
        assert s.ids("household", filters={"incomplete": True}) == [ids[1], ids[7]]
        assert s.count("household", filters={"incomplete": True, "conflicted": True}) == 0


def test_a_bulk_writer_waits_for_another_writers_long_turn(tmp_path, household):
    import sqlite3
    import threading
    import time

    from fieldapp import store as store_mod

    path = tmp_path / "shared.db"
    second = open_store(path, user="b")
    second.conn.execute("PRAGMA busy_timeout = 300")  # a short ordinary wait, to keep the test quick
    held = threading.Event()

    def long_turn() -> None:  # the other demo worker's transaction of thousands of records
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('x', '1')")
        held.set()
        time.sleep(1.5)
        conn.execute("COMMIT")
        conn.close()

    t = threading.Thread(target=long_turn)
    t.start()
    held.wait(5)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.save("household", household)
    t.join()
    t = threading.Thread(target=long_turn)
    held.clear()
    t.start()
    held.wait(5)
    with second.bulk():
        assert second.conn.execute("PRAGMA busy_timeout").fetchone()[0] == store_mod.BULK_BUSY_TIMEOUT_MS
        second.save("household", household)  # waits for the turn to end instead of failing
    t.join()
    assert second.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 300
    assert second.count("household") == 1


@pytest.mark.parametrize("query", ["ส", "สม", "บ้าน", "ม", "ใจ", "นา", "zz"])
def test_a_search_gives_the_same_page_and_count_whichever_way_it_is_run(tmp_path, monkeypatch, query):
    from fieldapp import store as store_mod

    with open_store(tmp_path / "d.db") as s:
        demo.generate(s, households=80, seed=6)
        s.delete("household", s.ids("household")[0])  # a tombstone is never counted or listed
        gathered = s.ids("household", search=query, limit=20)
        rows = [r["id"] for r in s.list("household", search=query, limit=20)]
        scanned = s.conn.execute(
            "SELECT count(*) FROM household WHERE deleted = 0 AND id IN "
            "(SELECT record_id FROM search_doc WHERE form_id = 'household')"
        ).fetchone()[0]
        assert scanned == s.count("household")
        counted = s.count("household", search=query)
        # every query now counts as "dense": each page is found by walking the list in order
        monkeypatch.setattr(store_mod.Store, "_search_plan", lambda self, form, text, areas=None: (True, None))
        assert s.ids("household", search=query, limit=20) == gathered
        assert [r["id"] for r in s.list("household", search=query, limit=20)] == rows
        assert s.count("household", search=query) == counted == len(s.ids("household", search=query))
        assert s.count("household", search=query, area="32") == len(
            s.ids("household", search=query, area="32")
        )
