"""The edit-history dialog (ประวัติการแก้ไข): opened from the household summary and the editor,
newest first, Buddhist-era times, people by name, questions by label, answers as people read them,
members named, national ID numbers masked; it fits 1366×768 at 18 pt."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from fieldapp import history
from fieldapp.sync.outbox import PEOPLE_KEY
from ui import tasks
from ui.db import Database
from ui.dialogs.history_dialog import HistoryDialog
from ui.mainwindow import MainWindow
from ui.theme import apply_font


def settle() -> None:
    tasks.wait_all(20)


def _edited(db: Database) -> tuple[str, dict[str, Any]]:
    """A household changed twice: by somchai (a wage, a member's occupation), then by lead32 (the
    house number, a member removed); a pulled entry from another laptop with a national ID."""
    store = db.main
    hid = store.ids("household")[0]
    doc = copy.deepcopy(store.get("household", hid).data)
    assert len(doc["members"]) >= 2
    doc["income_wage"] = 123456
    doc["members"][0]["occupation"] = "trade_business"
    store.rewrite("household", doc, record_id=hid, user="somchai")
    doc = copy.deepcopy(store.get("household", hid).data)
    doc["house_no"] = "77/7"
    removed = doc["members"].pop()
    store.rewrite("household", doc, record_id=hid, user="lead32")
    with store.transaction():
        store.set_sync_meta(PEOPLE_KEY, json.dumps({"somchai": "สมชาย ใจดี"}, ensure_ascii=False))
    return hid, removed


def test_the_history_shows_newest_first_with_labels_people_and_readable_values(
    qtbot: Any, ui_app: Any, ui_db_path: Path
) -> None:
    db = Database(ui_db_path)
    hid, removed = _edited(db)
    first = db.main.get("household", hid).data["members"][0]
    dlg = HistoryDialog(None, db, "household", hid)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.windowTitle() == "ประวัติการแก้ไข"
    entries = dlg.entries
    assert len(entries) == 2 == history.count(db.main, hid)
    newest, older = entries
    # newest first; who by name where known, else the login; the date in the Buddhist era
    assert newest.who == "lead32" and older.who == "สมชาย ใจดี (somchai)"
    year_be = int(history.entries(db.main, hid)[0]["at"][:4]) + 543
    assert str(year_be) in older.when and "น." in older.when
    lines = {line.question: (line.old, line.new) for line in older.lines}
    assert lines["รายได้จากค่าจ้าง เงินเดือน (บาท/ปี)"][1] == "123,456"  # the label, a number as written
    member = " ".join(str(first[k]) for k in ("first_name", "last_name") if first.get(k))
    assert lines[f"{member}: อาชีพหลัก"][1] == "ค้าขาย / ธุรกิจส่วนตัว"  # the member by name, the choice label
    # the removed member is one line named by the name history kept, its old answers listed with
    # the national ID masked
    gone = " ".join(str(removed[k]) for k in ("first_name", "last_name") if removed.get(k))
    [row] = [line for line in newest.lines if line.question == f"สมาชิกในครัวเรือน ({gone})"]
    assert row.new == "ลบแถว" and f"ชื่อ: {removed['first_name']}" in row.detail
    assert ("บ้านเลขที่", "77/7") in [(line.question, line.new) for line in newest.lines]
    shown = dlg.view.toPlainText()
    assert "77/7" in shown and gone in shown and "อาชีพหลัก" in shown
    assert removed["national_id"] not in shown and "xxxxx" in shown
    assert "income_wage" not in shown and "first_name" not in shown  # no field id shows through
    assert shown.index("lead32") < shown.index("somchai")


def test_the_history_opens_from_the_summary_and_the_editor_and_fits_a_laptop_at_18_pt(
    qtbot: Any, ui_app: Any, ui_db_path: Path
) -> None:
    apply_font(18)
    try:
        db = Database(ui_db_path)
        hid, _ = _edited(db)
        window = MainWindow(db, ui_app)
        qtbot.addWidget(window)
        window.show()
        window.start()
        settle()
        window.summary.show_household(hid)
        settle()
        assert window.summary.history_button.isEnabled()
        with qtbot.waitSignal(window.summary.history_requested):
            window.summary.history_button.click()
        dialogs = [w for w in window.findChildren(HistoryDialog)]
        assert dialogs and len(dialogs[-1].entries) == 2
        dlg = dialogs[-1]
        assert dlg.heading.text() == window.summary.title.text()
        need = dlg.minimumSizeHint()
        avail = dlg.screen().availableGeometry()
        assert need.width() <= 1366 and need.height() <= 768 - 60, need
        assert dlg.width() <= avail.width() and dlg.height() <= avail.height()
        assert dlg.close_button.isVisible()
        editor = window.open_record("household", hid)
        settle()
        assert editor.history_button is not None
        from_editor = editor.show_history()
        qtbot.addWidget(from_editor)
        assert isinstance(from_editor, HistoryDialog) and len(from_editor.entries) == 2
        assert window.new_record("household").history_button is None  # nothing to show yet
        # who looked at the history is in the audit trail (it holds old personal data)
        assert db.main.conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'view_history' AND record_id = ?", [hid]
        ).fetchone()[0] == 2
    finally:
        apply_font(int(ui_app.get("font_size")))
