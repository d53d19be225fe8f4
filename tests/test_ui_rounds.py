"""The desktop app: start the next survey round of a household, answer what is asked again, save,
and move between the rounds from the summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_ui_editor import type_into

from ui import tasks
from ui.db import Database
from ui.editor import window as record_editor
from ui.mainwindow import MainWindow


def settle() -> None:
    tasks.wait_all(20)


def test_start_the_next_round_from_the_summary(
    qtbot: Any, ui_app: Any, ui_db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(ui_db_path)
    store = db.main
    hid = store.conn.execute(
        "SELECT id FROM household h WHERE deleted = 0 AND previous_round_id IS NULL AND NOT EXISTS "
        "(SELECT 1 FROM household n WHERE n.previous_round_id = h.id) ORDER BY id LIMIT 1"
    ).fetchone()[0]
    before = store.get("household", hid).data
    window = MainWindow(db, ui_app)
    qtbot.addWidget(window)
    window.show()
    window.start()
    settle()
    window.summary.show_household(hid)
    settle()
    summary = window.summary
    assert summary.next_round_button.text() == "เริ่มการสำรวจรอบถัดไป"
    assert not summary.previous_round_button.isEnabled()  # a first round has none before it
    summary.next_round_button.click()
    settle()
    dlg = window.editors[-1]
    assert dlg.is_new and dlg.record_id != hid
    ed = dlg.editor
    # carried over, and the questions asked again are empty and marked
    raw = ed.raw()
    assert raw["house_no"] == before["house_no"] and raw["previous_round_id"] == hid
    assert raw["round_no"] == 2 and not raw.get("income_wage")
    assert "รอบที่ 2" in dlg.heading.text()
    ed.go_to(ed.section_of["income_wage"])
    settle()
    assert ed.row("income_wage").ask_again
    assert "ถามใหม่ในรอบนี้" in ed.row("income_wage").label.text()
    assert not ed.row("house_no").ask_again
    # answering removes the mark
    type_into(ed, "income_wage", "48000")
    ed.recheck()
    assert not ed.row("income_wage").ask_again
    monkeypatch.setattr(record_editor, "_ask", lambda *a, **k: 0)  # save as incomplete
    monkeypatch.setattr(record_editor, "_ask_reason", lambda *a, **k: "ตรวจแล้ว")
    dlg.save()
    settle()
    qtbot.waitUntil(lambda: store.next_rounds("household", hid) == [dlg.record_id], timeout=5000)
    saved = store.get("household", dlg.record_id).data
    assert saved["income_wage"] == 48000 and saved["round_no"] == 2
    assert [m["person_id"] for m in saved["members"]] == [m["id"] for m in before["members"]]
    # the list: a row per round, the round in its own column; or each household once
    page = window.pages["household"]
    settle()
    row = page.model.row_of(dlg.record_id)
    round_col = [c.sort for c in page.model.columns].index("round_no")
    assert row >= 0 and page.model.data(page.model.index(row, round_col)) == "2"
    total = page.model.rowCount()
    assert page.latest_box is not None
    page.latest_box.setChecked(True)
    settle()
    assert page.model.rowCount() == store.count("household", filters={"latest_round": True}) < total
    assert page.model.row_of(hid) < 0 and page.model.row_of(dlg.record_id) >= 0
    page.latest_box.setChecked(False)
    settle()
    # the summary of the new round says which round it is and opens the one before
    window.summary.show_household(dlg.record_id)
    settle()
    assert "รอบที่ 2 จาก 2 รอบ" in summary.title.text()
    assert summary.previous_round_button.isEnabled()
    summary.previous_round_button.click()
    settle()
    assert summary.household_id == hid
    # the first round now opens its next round instead of starting another
    assert summary.next_round_button.text() == "เปิดการสำรวจรอบถัดไป"
    summary.next_round_button.click()
    settle()
    assert summary.household_id == dlg.record_id
