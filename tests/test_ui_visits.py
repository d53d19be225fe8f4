"""The visits-due window (การเยี่ยมที่ถึงกำหนด): reached from the main window for the area chosen on
the left, grouped by village, overdue first and marked; a double-click opens the household; the
sheet prints through the report preview; it fits 1366×768 at 18 pt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from visits_data import TODAY, make_visits

from fieldapp.store import Store
from ui import tasks
from ui.db import Database
from ui.dialogs import visits_dialog
from ui.dialogs.visits_dialog import RECORD_ROLE, VisitsDialog
from ui.editor.window import RecordEditorDialog
from ui.mainwindow import MainWindow
from ui.theme import apply_font


def settle() -> None:
    tasks.wait_all(20)


@pytest.fixture
def visits_db(tmp_path: Path) -> Path:
    path = tmp_path / "visits.db"
    s = Store(path, user="tester")
    make_visits(s)
    s.close()
    return path


def test_visits_due_by_village_overdue_first_and_the_household_opens(
    qtbot: Any, ui_app: Any, visits_db: Path
) -> None:
    db = Database(visits_db)
    dlg = VisitsDialog(None, db, ui_app, "3201", None, today=TODAY)
    qtbot.addWidget(dlg)
    dlg.show()
    settle()
    qtbot.waitUntil(lambda: bool(dlg.groups), timeout=5000)
    assert dlg.windowTitle() == "การเยี่ยมที่ถึงกำหนด"
    assert "อ.เมืองสุรินทร์" in dlg.heading.text()
    assert "10 ราย" in dlg.summary.text() and "เกินกำหนดแล้ว 4 ราย" in dlg.summary.text()
    assert "7 ธ.ค. 2569" in dlg.summary.text()  # Buddhist era
    tree = dlg.tree
    assert tree.topLevelItemCount() == len(dlg.groups)
    shown = 0
    for i, group in enumerate(dlg.groups):
        top = tree.topLevelItem(i)
        assert top.text(0).startswith(f"หมู่ {group.village_no}")
        flags = []
        for j in range(top.childCount()):
            row = top.child(j)
            visit = group.visits[j]
            assert (row.text(1), row.text(2), row.text(3)) == (visit.house_no, visit.head_name, visit.need)
            flags.append(row.text(0).startswith("⚠"))
            if visit.overdue:
                assert f"เกินกำหนด {(TODAY - visit.due).days} วัน" in row.text(0) and row.font(0).bold()
        assert flags == sorted(flags, reverse=True)  # overdue first
        shown += top.childCount()
    assert shown == 10
    # a double-click on a visit asks for its household; the buttons for the household and referral
    first = tree.topLevelItem(0).child(0)
    hid, rid = first.data(0, RECORD_ROLE)
    with qtbot.waitSignal(dlg.household_requested) as got:
        tree.itemDoubleClicked.emit(first, 0)
    assert got.args == [hid]
    tree.setCurrentItem(first)
    with qtbot.waitSignal(dlg.referral_requested) as got:
        dlg.referral_button.click()
    assert got.args == [rid]
    tree.setCurrentItem(tree.topLevelItem(0))  # a village heading: nothing to open
    assert not dlg.household_button.isEnabled()


def test_nothing_due_says_so_and_prints_nothing(qtbot: Any, ui_app: Any, visits_db: Path) -> None:
    db = Database(visits_db)
    dlg = VisitsDialog(None, db, ui_app, "33", None, today=TODAY)
    qtbot.addWidget(dlg)
    dlg.show()
    settle()
    qtbot.waitUntil(lambda: "ไม่มีการเยี่ยม" in dlg.summary.text(), timeout=5000)
    assert not dlg.print_button.isEnabled() and not dlg.tree.isVisible()


def test_from_the_main_window_for_the_chosen_area_at_18_pt_and_the_sheet_prints(
    qtbot: Any, ui_app: Any, visits_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(visits_dialog.thaidate, "today", lambda: TODAY)
    apply_font(18)
    try:
        db = Database(visits_db)
        window = MainWindow(db, ui_app)
        qtbot.addWidget(window)
        window.show()
        window.start()
        settle()
        monkeypatch.setattr(window.navigator, "current_area", lambda: ("3201", None))
        menus = {m.text(): m.menu() for m in window.menuBar().actions() if m.menu() is not None}
        assert window.visits_action in menus["รายงาน (&R)"].actions()  # and on the toolbar
        assert window.visits_action.text() == "การเยี่ยมที่ถึงกำหนด"
        window.visits_action.trigger()
        settle()
        [dlg] = window.findChildren(VisitsDialog)
        qtbot.waitUntil(lambda: bool(dlg.groups), timeout=5000)
        assert dlg.area == "3201" and sum(len(g.visits) for g in dlg.groups) == 10
        need = dlg.minimumSizeHint()
        avail = dlg.screen().availableGeometry()
        assert need.width() <= 1366 and need.height() <= 768 - 60, need
        assert dlg.width() <= avail.width() and dlg.height() <= avail.height()
        assert dlg.print_button.isVisible() and dlg.print_button.isEnabled()
        # the window opens the household's editor on a double-click
        first = dlg.tree.topLevelItem(0).child(0)
        hid, _ = first.data(0, RECORD_ROLE)
        dlg.tree.itemDoubleClicked.emit(first, 0)
        settle()
        editors = [e for e in window.findChildren(RecordEditorDialog) if e.record_id == hid]
        assert editors and editors[0].form.id == "household"
        # the sheet: the report preview renders a page per village, in Thai
        preview = dlg.print_sheet()
        qtbot.addWidget(preview)
        settle()
        qtbot.waitUntil(lambda: preview.rendered is not None or preview.error is not None, timeout=20000)
        assert preview.error is None and preview.page_count() == len(dlg.groups)
        assert preview.windowTitle().startswith("การเยี่ยมที่ถึงกำหนด")
        assert not preview.unmask_box.isVisible()  # the sheet prints no ID numbers
        assert preview.default_file_name().endswith(".pdf")
    finally:
        apply_font(int(ui_app.get("font_size")))
