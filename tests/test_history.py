"""A record's edit history through the store: old → new per field and per repeat row, who and
when, written in the save's own transaction, kept out of the audit log, redacted without consent."""

from __future__ import annotations

import copy
import sqlite3
from typing import Any

import pytest

from fieldapp import audit, backup, demo, history, rights
from fieldapp.errors import ValidationError
from fieldapp.store import Store, open_store
from fieldapp.thai import national_id_check_digit


def _nid(first12: str) -> str:
    return first12 + str(national_id_check_digit(first12))


def _saved(store: Store, household: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    rec = store.save("household", household).record
    return rec.id, rec.data


def test_creating_a_record_writes_no_history_the_record_itself_says_who_made_it(store, household) -> None:
    rid, _ = _saved(store, household)
    assert history.entries(store, rid) == []
    assert store.get("household", rid).created_by == "tester"


def test_an_update_records_each_changed_field_old_and_new_with_who_and_when(store, household) -> None:
    rid, doc = _saved(store, household)
    doc = copy.deepcopy(doc)
    doc["house_no"] = "99"
    doc["income_wage"] = 40000
    store.save("household", doc, record_id=rid, user="somsri")
    [entry] = history.entries(store, rid)
    assert entry["user"] == "somsri"
    assert entry["action"] == "update"
    assert entry["at"] == store.get("household", rid).updated_at
    assert entry["device_id"] == store.device_id
    by_field = {c["field"]: (c["old"], c["new"]) for c in entry["changes"] if "repeat" not in c}
    assert by_field == {"house_no": ("12/3", "99"), "income_wage": (36000, 40000)}


def test_saving_the_same_answers_again_writes_no_entry(store, household) -> None:
    rid, doc = _saved(store, household)
    store.save("household", copy.deepcopy(doc), record_id=rid)
    assert history.entries(store, rid) == []


def test_repeat_rows_are_followed_by_their_row_id_changed_added_and_removed(store, household) -> None:
    rid, doc = _saved(store, household)
    doc = copy.deepcopy(doc)
    head, spouse = doc["members"]
    head["first_name"] = "สมชาติ"
    doc["members"] = [
        head,
        {
            **{k: v for k, v in spouse.items() if k != "id"},
            "first_name": "สมใจ",
            "national_id": _nid("310050654321"),
        },
    ]
    new = store.save("household", doc, record_id=rid).record.data
    added_id = new["members"][1]["id"]
    [entry] = history.entries(store, rid)
    rows = [c for c in entry["changes"] if c.get("repeat") == "members"]
    renamed = [c for c in rows if c["row"] == head["id"]]
    assert renamed == [
        {"repeat": "members", "row": head["id"], "field": "first_name", "old": "สมชาย", "new": "สมชาติ"}
    ]
    removed = {c["field"]: c["old"] for c in rows if c["row"] == spouse["id"]}
    assert all(c.get("row_op") == "removed" for c in rows if c["row"] == spouse["id"])
    assert removed["first_name"] == "สมหญิง" and removed["national_id"] == spouse["national_id"]
    added = {c["field"]: c["new"] for c in rows if c["row"] == added_id}
    assert added["first_name"] == "สมใจ" and all(
        c.get("row_op") == "added" for c in rows if c["row"] == added_id
    )


def test_a_save_that_fails_leaves_no_history_entry(store, household) -> None:
    rid, doc = _saved(store, household)
    doc = copy.deepcopy(doc)
    doc["house_no"] = "77"
    # the write fails after the history entry is made: the whole transaction goes
    store.conn.execute(
        "CREATE TEMP TRIGGER fail_search BEFORE INSERT ON search_doc BEGIN SELECT RAISE(ABORT, 'disk'); END"
    )
    store.conn.execute("DELETE FROM search_doc WHERE record_id = ?", [rid])
    with pytest.raises(sqlite3.DatabaseError):
        store.save("household", doc, record_id=rid)
    assert history.entries(store, rid) == []
    assert store.get("household", rid).data["house_no"] == "12/3"


def test_an_invalid_save_leaves_no_history_entry(store, household) -> None:
    rid, doc = _saved(store, household)
    doc = copy.deepcopy(doc)
    doc["village_no"] = "not a number"
    with pytest.raises(ValidationError):
        store.save("household", doc, record_id=rid)
    assert history.entries(store, rid) == []


def test_history_holds_the_old_values_and_the_audit_log_still_holds_none(store, household) -> None:
    rid, doc = _saved(store, household)
    doc = copy.deepcopy(doc)
    doc["members"][0]["first_name"] = "สมชาติ"
    store.save("household", doc, record_id=rid)
    assert "สมชาย" in str(history.entries(store, rid))
    assert "สมชาย" not in str(audit.entries(store, record_id=rid))


def test_without_explicit_consent_sensitive_answers_are_kept_out_of_history(store, household) -> None:
    rid, doc = _saved(store, household)
    doc = copy.deepcopy(doc)
    doc["members"][0]["health_status"] = "normal"
    store.save("household", doc, record_id=rid)  # with consent: the values are kept
    first = history.entries(store, rid)[0]["changes"]
    assert {"old": "chronic", "new": "normal"}.items() <= next(
        c for c in first if c["field"] == "health_status"
    ).items()
    doc["consent_sensitive"] = False  # consent withdrawn: no health value stays anywhere in history
    doc["members"][1]["health_status"] = "chronic"
    doc["house_no"] = "5"
    store.save("household", doc, record_id=rid, partial_ok=True)
    entries = history.entries(store, rid)
    health = [c for e in entries for c in e["changes"] if c.get("field") == "health_status"]
    assert health and all(c["old"] is None and c["new"] is None and c["redacted"] for c in health)
    assert any(c.get("field") == "house_no" and c["new"] == "5" for c in entries[-1]["changes"])


def test_a_bulk_import_of_new_records_and_the_demo_write_no_history(store) -> None:
    demo.generate(store, households=30, seed=3)
    assert store.conn.execute("SELECT count(*) FROM record_history").fetchone()[0] == 0


def test_an_import_that_changes_records_says_import_and_the_importer(store, household) -> None:
    rid, doc = _saved(store, household)
    doc = copy.deepcopy(doc)
    doc["house_no"] = "1"
    store.import_rows("household", [(rid, doc)], user="importer")
    [entry] = history.entries(store, rid)
    assert (entry["action"], entry["user"]) == ("import", "importer")


# ---------------------------------------------------------------------- a household's rights


def _edited_household_with_referral(store: Store, household: dict[str, Any]) -> tuple[str, str]:
    rid, doc = _saved(store, household)
    doc = copy.deepcopy(doc)
    doc["members"][0]["first_name"] = "สมชาติ"
    store.save("household", doc, record_id=rid)
    ref = store.save(
        "referral",
        {
            "household_id": rid,
            "subdistrict_code": doc["subdistrict_code"],
            "need": "หลังคารั่ว",
            "status": "referred",
        },
        partial_ok=True,
    ).record
    changed = dict(ref.data, status="in_progress")
    store.save("referral", changed, record_id=ref.id, partial_ok=True)
    return rid, ref.id


@pytest.mark.parametrize("mode", ["erase", "anonymise"])
def test_erasing_or_anonymising_a_household_deletes_its_history_and_its_referrals(
    store, household, mode
) -> None:
    rid, ref = _edited_household_with_referral(store, household)
    assert history.entries(store, rid) and history.entries(store, ref)
    backup.backup(store, reason="manual")
    rights.erase(store, rid, mode=mode, reason="asked")
    assert history.entries(store, rid) == [] and history.entries(store, ref) == []
    assert store.conn.execute("SELECT count(*) FROM record_history").fetchone()[0] == 0
    [b] = backup.list_backups(store.path)
    with open_store(b.path, user="tester") as old:  # the backup holds no old values either
        assert old.conn.execute("SELECT count(*) FROM record_history").fetchone()[0] == 0


def test_the_access_report_gives_the_history_of_the_household_and_of_its_referrals(store, household) -> None:
    rid, _ = _edited_household_with_referral(store, household)
    data = rights.export_data(store, rid)
    [entry] = data["history"]
    assert {"field": "first_name", "old": "สมชาย", "new": "สมชาติ"}.items() <= entry["changes"][0].items()
    [linked] = data["linked"]
    assert [c["new"] for c in linked["history"][0]["changes"] if c["field"] == "status"] == ["in_progress"]


def test_withdrawing_sensitive_consent_leaves_no_health_value_in_history(store, household) -> None:
    rid, doc = _saved(store, household)
    doc = copy.deepcopy(doc)
    doc["members"][0]["health_status"] = "bedridden"
    store.save("household", doc, record_id=rid)
    rights.withdraw_consent(store, rid, scope="sensitive")
    text = str(history.entries(store, rid))
    assert "bedridden" not in text and "chronic" not in text
