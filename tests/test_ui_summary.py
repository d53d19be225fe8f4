"""The summary panel beside the lists speaks of the form whose tab is shown: on the businesses tab
and on an installed form's tab it asks for a record of that form, shows only the actions that
apply to it, and opens the chosen record in the editor with its button."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fieldapp import installed
from fieldapp.store import Store
from ui import tasks
from ui.db import Database
from ui.mainwindow import MainWindow

VISIT: dict[str, Any] = {
    "id": "visit_note",
    "version": "1",
    "title": {"th": "บันทึกการเยี่ยมบ้าน", "en": "Visit note"},
    "sections": [
        {
            "id": "visit",
            "label": {"th": "การเยี่ยม", "en": "Visit"},
            "fields": [
                {"id": "visitor", "type": "text", "label": {"th": "ชื่อผู้เยี่ยม", "en": "Visitor"}},
                {"id": "visited_on", "type": "date", "label": {"th": "วันที่เยี่ยม", "en": "Visited on"}},
            ],
        }
    ],
}


def open_window(qtbot: Any, path: Path, settings: Any) -> MainWindow:
    window = MainWindow(Database(path), settings)
    qtbot.addWidget(window)
    window.show()
    window.start()
    tasks.wait_all(20)
    return window


def household_only_buttons(window: MainWindow) -> list[Any]:
    s = window.summary
    return [s.referral_button, s.next_round_button, s.previous_round_button]


def test_on_the_businesses_tab_the_panel_asks_for_a_business_and_opens_it(
    qtbot: Any, ui_app: Any, ui_db_path: Path
) -> None:
    window = open_window(qtbot, ui_db_path, ui_app)
    summary = window.summary
    assert summary.title.text() == "เลือกครัวเรือนจากรายการ"
    page = window.pages["business"]
    window.tabs.setCurrentWidget(page)
    assert summary.title.text() == "เลือกกิจการจากรายการ"
    assert not any(b.isVisible() for b in household_only_buttons(window))
    assert not summary.radar.isVisible() and not summary.sections["members"].isVisible()
    assert summary.edit_button.isVisible() and not summary.edit_button.isEnabled()

    page.table.selectRow(0)
    tasks.wait_all(20)
    bid = page.model.id_at(0) or ""
    name = window.db.main.get("business", bid).data["name"]
    assert summary.record_id == bid
    assert summary.title.text() == name
    assert name in summary.answers_label.text()
    assert summary.edit_button.isEnabled()
    summary.edit_button.click()
    editor = window.editor_of("business", bid)
    assert editor is not None and editor.isVisible()
    editor.close()

    # back on the households tab: the household panel again, with its own buttons
    window.tabs.setCurrentWidget(window.pages["household"])
    assert summary.title.text() == "เลือกครัวเรือนจากรายการ"
    assert all(b.isVisible() for b in household_only_buttons(window))
    window.close()


def test_on_an_installed_forms_tab_the_panel_names_the_form_and_opens_its_record(
    qtbot: Any, ui_app: Any, tmp_path: Path
) -> None:
    path = tmp_path / "f.db"
    with Store(path) as store:
        installed.add(store, VISIT, "visit_note.yaml")
        rid = store.save("visit_note", {"visitor": "สมศรี", "visited_on": "2026-12-01"}, partial_ok=True).record.id
    window = open_window(qtbot, path, ui_app)
    summary = window.summary
    page = window.pages["visit_note"]
    window.tabs.setCurrentWidget(page)
    assert summary.title.text() == "เลือกข้อมูลแบบฟอร์ม “บันทึกการเยี่ยมบ้าน” จากรายการ"
    assert "ครัวเรือน" not in summary.title.text()
    assert not any(b.isVisible() for b in household_only_buttons(window))

    page.table.selectRow(0)
    tasks.wait_all(20)
    assert summary.record_id == rid
    assert "สมศรี" in summary.answers_label.text()
    assert "1 ธ.ค. 2569" in summary.answers_label.text()  # as people read a date
    summary.edit_button.click()
    editor = window.editor_of("visit_note", rid)
    assert editor is not None and editor.isVisible()
    editor.close()
    window.close()
    window.db.close()
