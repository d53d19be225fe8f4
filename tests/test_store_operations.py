"""The store's named write operations: each one transaction, each validating once."""

from __future__ import annotations

import copy
import dataclasses
import sqlite3
from typing import Any

import pytest

from fieldapp import drafts, softwarn
from fieldapp.errors import ValidationError
from fieldapp.forms import Form
from fieldapp.store import Store


def _count(store: Store, table: str) -> int:
    return int(store.conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0])


def _unfinished(household: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(household)
    doc["house_condition"] = None  # a required answer still missing
    return doc


def test_the_editors_save_writes_the_record_its_status_and_ends_its_draft_together(
    store: Store, household: dict[str, Any]
) -> None:
    drafts.save_draft(store, "k1", "household", None, household, "draft")
    checked = store.check_record("household", _unfinished(household))
    assert [p.path for p in checked.missing] == ["house_condition"] and checked.blocking == []
    saved = store.save_from_editor(checked, draft_key="k1", allow_missing=True)
    assert saved.created and store.get("household", saved.record.id).data["house_no"] == household["house_no"]
    assert drafts.incomplete_ids(store, "household") == {saved.record.id}
    assert drafts.list_drafts(store) == []


def test_a_failure_after_the_record_is_written_leaves_record_status_and_draft_as_they_were(
    store: Store, household: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    drafts.save_draft(store, "k1", "household", None, household, "draft")
    before = {t: _count(store, t) for t in ("household", "household__members", "search_doc", "audit_log")}

    def crash(_store: Any, _key: str) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(drafts, "delete_draft", crash)
    with pytest.raises(sqlite3.OperationalError):
        store.save_from_editor(
            store.check_record("household", _unfinished(household)), draft_key="k1", allow_missing=True
        )
    assert {t: _count(store, t) for t in before} == before
    assert drafts.incomplete_ids(store, "household") == set()
    assert [d.key for d in drafts.list_drafts(store)] == ["k1"]


def test_missing_answers_are_refused_unless_the_person_agreed_to_an_unfinished_record(
    store: Store, household: dict[str, Any]
) -> None:
    checked = store.check_record("household", _unfinished(household))
    with pytest.raises(ValidationError) as info:
        store.save_from_editor(checked)
    assert [p.path for p in info.value.problems] == ["house_condition"]
    assert _count(store, "household") == 0


def test_a_wrong_answer_is_refused_even_as_unfinished(store: Store, household: dict[str, Any]) -> None:
    bad = copy.deepcopy(household)
    bad["village_no"] = 500
    checked = store.check_record("household", bad)
    assert checked.blocking
    with pytest.raises(ValidationError):
        store.save_from_editor(checked, allow_missing=True)
    assert _count(store, "household") == 0


def test_a_check_made_with_another_version_of_the_form_is_not_trusted(
    store: Store, household: dict[str, Any]
) -> None:
    checked = dataclasses.replace(store.check_record("household", household), form_version="0-old")
    with pytest.raises(ValidationError):
        store.save_from_editor(checked)
    assert _count(store, "household") == 0


def test_the_editors_save_validates_the_record_once(
    store: Store, household: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bool] = []
    real = Form.validate

    def counting(self: Form, raw: dict[str, Any], **kw: Any) -> Any:
        calls.append(kw.get("partial_ok", False))
        return real(self, raw, **kw)

    monkeypatch.setattr(Form, "validate", counting)
    checked = store.check_record("household", household).with_reasons(None)
    store.save_from_editor(checked)
    assert calls == [False]


def test_the_reasons_given_after_the_check_are_kept_and_checked(
    store: Store, household: dict[str, Any]
) -> None:
    checked = store.check_record("household", household)
    saved = store.save_from_editor(checked.with_reasons('{"w@x": "ถามแล้ว"}'))
    assert store.get("household", saved.record.id).data[softwarn.REASONS_FIELD] == '{"w@x": "ถามแล้ว"}'
    with pytest.raises(ValidationError):
        store.save_from_editor(checked.with_reasons({"not": "text"}))  # type: ignore[arg-type]


def test_a_rewrite_keeps_unfinished_answers_and_names_its_action(
    store: Store, household: dict[str, Any]
) -> None:
    rid = store.save("household", household).record.id
    store.rewrite("household", _unfinished(household), record_id=rid, action="anonymise")
    assert store.get("household", rid).data["house_condition"] is None
    last = store.conn.execute(
        "SELECT action FROM audit_log WHERE record_id = ? ORDER BY id DESC", [rid]
    ).fetchone()
    assert last[0] == "anonymise"


def test_the_demo_writes_valid_records_and_reports_the_others(
    store: Store, household: dict[str, Any]
) -> None:
    bad = copy.deepcopy(household)
    bad["village_no"] = 500
    seen: list[tuple[int, int]] = []
    (batch,) = store.write_demo(
        [("household", [(None, household), (None, bad)])], total=2, progress=lambda d, t: seen.append((d, t))
    )
    assert list(batch.errors) == [1] and len(batch.saved) == 1
    assert seen == [(1, 2)]
    assert (
        store.conn.execute("SELECT action FROM audit_log WHERE form_id = 'household'").fetchone()[0] == "demo"
    )


def test_the_demo_writes_its_groups_in_one_transaction_links_checked_inside(
    store: Store, household: dict[str, Any]
) -> None:
    """A referral may link to a household of an earlier group of the same call (its link is
    checked inside the transaction, after that household is written); a link to a household
    that is nowhere is reported and that referral alone left out; one transaction in all."""
    hid = "01a0b55a-a800-727e-b3a5-046a13b794ea"
    missing = "01a0b55a-a800-727e-b3a5-046a13b794eb"
    referral = {
        "household_id": hid,
        "subdistrict_code": household["subdistrict_code"],
        "need": "ซ่อมบ้าน",
        "assistance_type": "housing",
        "referred_on": "2025-06-02",
        "status": "in_progress",
        "follow_up_on": "2025-06-20",
    }
    seen: list[str] = []
    store.conn.set_trace_callback(seen.append)
    homes, refs = store.write_demo(
        [
            ("household", [(hid, household)]),
            ("referral", [(None, referral), (None, {**referral, "household_id": missing})]),
        ]
    )
    store.conn.set_trace_callback(None)
    assert len(homes.saved) == 1 and len(refs.saved) == 1
    assert list(refs.errors) == [1] and refs.errors[1][0].path == "household_id"
    assert store.get("referral", refs.saved[0].record.id).data["household_id"] == hid
    assert [q for q in seen if q.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]
    assert store.count("referral") == 1 and store.check() == []


def test_a_write_takes_its_turn_and_goes_on_when_the_turn_is_never_given(
    store: Store, household: dict[str, Any], monkeypatch
) -> None:
    """``Store.turn`` (the demo workers' shared lock) is held for each write transaction and let go
    after it, also when it fails; a writer whose turn never comes (the holder died) writes after the
    bulk wait all the same, SQLite's own lock keeping the writes apart, and leaves the lock alone."""
    import threading
    import time

    from fieldapp.store import core

    turn = threading.Lock()
    store.turn = turn
    store.save("household", household)
    assert turn.acquire(blocking=False)  # let go after the write
    turn.release()
    bad = copy.deepcopy(household)
    with pytest.raises(RuntimeError), store.transaction():
        assert turn.locked()
        raise RuntimeError("a failing write")
    assert not turn.locked()
    monkeypatch.setattr(core, "BULK_BUSY_TIMEOUT_MS", 200)
    turn.acquire()  # held by a writer that died
    started = time.monotonic()
    bad["house_no"] = "99"
    store.save("household", bad)
    assert time.monotonic() - started >= 0.2
    assert turn.locked() and store.count("household") == 2
