"""The first start of a new leader: the welcome (own area, name, server address, then how to begin),
the practice database, and the guidance an empty list shows instead of an empty table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from fieldapp import practice
from fieldapp.store import Store
from ui import firststart, mainwindow, tasks
from ui.db import Database
from ui.dialogs.sync_dialog import SERVER_KEY
from ui.dialogs.welcome import WelcomeDialog, needs_welcome
from ui.editor import window as record_editor
from ui.mainwindow import MainWindow
from ui.marklabel import MarkSafeLabel
from ui.theme import apply_font

HOME = "330107"  # ต.หนองครก อ.เมืองศรีสะเกษ จ.ศรีสะเกษ


def settle() -> None:
    tasks.wait_all(30)
    QApplication.processEvents()


@pytest.fixture(autouse=True)
def never_block_on_a_question(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(record_editor, "_ask", lambda *_a: 2)


@pytest.fixture
def empty_db(tmp_path: Path) -> Database:
    (tmp_path / "leader").mkdir()
    db = Database(tmp_path / "leader" / "fieldapp.db")
    yield db
    tasks.wait_all(10)
    if not db.closed:
        db.close_all()


def open_window(qtbot: Any, db: Database, settings: Any) -> MainWindow:
    window = MainWindow(db, settings)
    qtbot.addWidget(window)
    window.show()
    window.start()
    settle()
    return window


def welcome_of(window: MainWindow) -> WelcomeDialog:
    dlg = window.offer_welcome_at_start()
    assert isinstance(dlg, WelcomeDialog)
    settle()
    return dlg


def gone(w: QWidget) -> bool:
    """Closed (a dialog deleted on close is gone altogether)."""
    return not shiboken6.isValid(w) or not w.isVisible()


def press(key: Qt.Key) -> None:
    target = QApplication.focusWidget()
    assert target is not None
    QTest.keyClick(target, key)
    settle()


def type_text(widget: QWidget, text: str) -> None:
    """Typed key by key (Thai too: QTest.keyClicks takes Latin-1 only)."""
    for ch in text:
        QTest.sendKeyEvent(QTest.KeyAction.Click, widget, Qt.Key.Key_unknown, ch, Qt.KeyboardModifier.NoModifier)
    settle()


def choose_subdistrict(dlg: WelcomeDialog, code: str) -> None:
    """As a person does: type part of the name in the subdistrict box and take the line offered."""
    box = dlg.area.subdistrict
    box.setFocus()
    index = box.findData(code)
    assert index > 0, "every subdistrict is offered before a province is chosen"
    box.setCurrentIndex(index)
    settle()


# ---------------------------------------------------------------- when it is shown
def test_welcome_only_on_an_empty_database_until_it_is_completed(
    qtbot: Any, ui_app: Any, empty_db: Database, ui_db_path: Path
) -> None:
    assert needs_welcome(empty_db, ui_app)
    window = open_window(qtbot, empty_db, ui_app)
    dlg = welcome_of(window)
    assert dlg.isVisible() and dlg.pages.currentIndex() == 0
    # Esc is "later": closed, not completed, so it comes again at the next start
    press(Qt.Key.Key_Escape)
    assert gone(dlg)
    assert ui_app.get("welcome_done") is False
    assert needs_welcome(empty_db, ui_app)
    # completed once: never again, even on an empty database
    ui_app.set("welcome_done", True)
    assert window.offer_welcome_at_start() is None
    # the menu entry opens it again at any time
    again = window.open_welcome()
    assert again.isVisible()
    again.close()
    # a database with records never shows it, completed or not
    ui_app.set("welcome_done", False)
    full = Database(ui_db_path)
    try:
        assert not needs_welcome(full, ui_app)
    finally:
        full.close_all()


# ---------------------------------------------------------------- area → first household
def test_area_and_name_chosen_then_the_first_household_opens_there(
    qtbot: Any, ui_app: Any, empty_db: Database
) -> None:
    window = open_window(qtbot, empty_db, ui_app)
    dlg = welcome_of(window)
    assert QApplication.focusWidget() is dlg.area.subdistrict  # the searchable subdistrict list first
    choose_subdistrict(dlg, HOME)
    # choosing a subdistrict from the whole list fills in the district and the province
    assert dlg.area.district.currentData() == HOME[:4]
    assert dlg.area.province.currentData() == HOME[:2]
    assert dlg.area.subdistrict.currentText() == "หนองครก"
    # Enter goes from answer to answer: village number, village name, name, server, then step 2
    press(Qt.Key.Key_Return)
    assert QApplication.focusWidget() is dlg.village_no
    QTest.keyClicks(dlg.village_no, "4")
    press(Qt.Key.Key_Return)
    assert QApplication.focusWidget() is dlg.village_name
    type_text(dlg.village_name, "บ้านโนนสูง")
    press(Qt.Key.Key_Return)
    assert QApplication.focusWidget() is dlg.name_edit
    type_text(dlg.name_edit, "สมศรี  ใจดี ")
    press(Qt.Key.Key_Return)
    assert QApplication.focusWidget() is dlg.server_edit
    press(Qt.Key.Key_Return)  # no server yet: allowed
    assert dlg.pages.currentIndex() == 1
    # kept in the settings; the leader is the author of changes from now on
    assert ui_app.get("home_area") == HOME
    assert ui_app.get("home_village_no") == 4
    assert ui_app.get("home_village_name") == "บ้านโนนสูง"
    assert ui_app.get("leader_name") == "สมศรี ใจดี"
    assert empty_db.user == "สมศรี ใจดี" and empty_db.main.user == "สมศรี ใจดี"
    assert ui_app.state(SERVER_KEY) is None
    assert "หนองครก" in dlg.area_summary.text() and "สมศรี ใจดี" in dlg.area_summary.text()
    assert "หนองครก" in dlg.household_button.description()
    assert ui_app.get("welcome_done") is False  # not before a choice

    qtbot.mouseClick(dlg.household_button, Qt.MouseButton.LeftButton)
    settle()
    assert ui_app.get("welcome_done") is True
    assert gone(dlg)
    assert len(window.editors) == 1
    editor = window.editors[0]
    assert editor.form.id == "household" and editor.is_new
    data = editor.editor.raw()
    assert data["subdistrict_code"] == HOME
    assert data["village_no"] == 4 and data["village_name"] == "บ้านโนนสูง"
    assert data["surveyor"] == "สมศรี ใจดี"
    editor.close()
    settle()
    # the welcome's area is the default of every new household while nothing else is chosen
    later = window.new_record("household")
    settle()
    assert later.editor.raw()["subdistrict_code"] == HOME
    later.close()


# ---------------------------------------------------------------- the server address
def test_a_wrong_server_address_is_said_in_thai_and_nothing_is_kept(
    qtbot: Any, ui_app: Any, empty_db: Database
) -> None:
    window = open_window(qtbot, empty_db, ui_app)
    dlg = welcome_of(window)
    choose_subdistrict(dlg, HOME)
    dlg.server_edit.setFocus()
    QTest.keyClicks(dlg.server_edit, "htp:/sync example")
    qtbot.mouseClick(dlg.next_button, Qt.MouseButton.LeftButton)
    settle()
    assert dlg.pages.currentIndex() == 0
    message = dlg.server_problem_text()
    assert "ที่อยู่เซิร์ฟเวอร์ไม่ถูกต้อง" in message and "https://" in message
    assert dlg.server_problem.isVisible()
    assert QApplication.focusWidget() is dlg.server_edit
    assert ui_app.state(SERVER_KEY) is None and ui_app.get("home_area") == ""
    # typing again clears the message; a host name alone gets https:// and is kept for sync
    dlg.server_edit.selectAll()
    QTest.keyClicks(dlg.server_edit, "sync.example.go.th")
    assert not dlg.server_problem.isVisible()
    press(Qt.Key.Key_Return)
    assert dlg.pages.currentIndex() == 1
    assert ui_app.state(SERVER_KEY) == "https://sync.example.go.th"
    # the sync dialog starts with the same address
    sync = window.open_sync()
    assert sync is not None and sync.server_edit.text() == "https://sync.example.go.th"
    settle()
    sync.close()


def test_server_addresses_checked_by_the_core() -> None:
    from fieldapp.errors import ValidationError
    from fieldapp.sync.transport import check_server_url

    assert check_server_url(" sync.example.go.th/ ") == "https://sync.example.go.th"
    assert check_server_url("http://192.168.1.5:8080") == "http://192.168.1.5:8080"
    for bad in ("", "https://", "ftp://x.y", "https://exa mple.com", "https://x.com:99999", "htp:/x",
                "https://user@x.com", "https://x.com/?a=1"):
        with pytest.raises(ValidationError) as caught:
            check_server_url(bad)
        assert "เซิร์ฟเวอร์" in caught.value.message


# ---------------------------------------------------------------- the practice database
def test_practice_database_is_made_beside_the_real_one_marked_and_left_again(
    qtbot: Any, ui_app: Any, empty_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    said: list[str] = []
    monkeypatch.setattr(mainwindow.QMessageBox, "information", lambda _p, _t, text: said.append(text))
    real = empty_db.path
    ui_app.set("home_area", HOME)
    window = open_window(qtbot, empty_db, ui_app)
    dlg = welcome_of(window)
    qtbot.mouseClick(dlg.next_button, Qt.MouseButton.LeftButton)
    settle()
    qtbot.mouseClick(dlg.practice_button, Qt.MouseButton.LeftButton)
    settle()
    settle()
    made = practice.practice_path(real)
    assert made.exists() and made.parent == real.parent and made != real
    practice_window = firststart.reopened[-1]
    qtbot.addWidget(practice_window)
    assert practice_window.practice and practice_window.db.path == made
    assert gone(window) and practice_window.isVisible()
    # marked: title, an orange strip with the way back, the status bar, every editor; never synced
    assert "ฝึกหัด" in practice_window.windowTitle()
    marks = [w.text() for w in practice_window.statusBar().findChildren(QLabel)]
    assert "ฝึกหัด" in marks
    assert practice_window.back_to_real_button.isVisible()
    assert not practice_window.sync_action.isEnabled()
    assert practice_window.open_sync() is None  # a message, not the sync dialog
    assert "ฐานข้อมูลฝึกหัด" in said[-1]
    editor = practice_window.new_record("household")
    settle()
    assert editor.windowTitle().startswith("ฝึกหัด")
    editor.close()
    settle()
    # example households, in the leader's own subdistrict; the real database has none
    rows = practice_window.db.main.list("household", columns=["subdistrict_code"], limit=None)
    assert len(rows) >= practice.HOUSEHOLDS  # with some households' second rounds
    assert {r["subdistrict_code"] for r in rows} == {HOME}
    with Store(real, user="check") as s:
        assert s.count("household") == 0
    # back to the real database
    qtbot.mouseClick(practice_window.back_to_real_button, Qt.MouseButton.LeftButton)
    settle()
    back = firststart.reopened[-1]
    qtbot.addWidget(back)
    assert back.db.path == real and not back.practice
    assert "ฝึกหัด" not in back.windowTitle()
    assert back.sync_action.isEnabled()
    assert gone(practice_window)
    assert back.offer_welcome_at_start() is None  # completed by the choice


def test_practice_database_core_is_separate_and_removed_when_stopped(tmp_path: Path) -> None:
    real = tmp_path / "field.db"
    assert practice.practice_path(real) == tmp_path / "field-practice.db"
    assert practice.is_practice(tmp_path / "field-practice.db") and not practice.is_practice(real)
    assert practice.real_path(tmp_path / "field-practice.db") == real
    seen: list[int] = []

    def stop_half_way() -> bool:
        return len(seen) >= 2

    with pytest.raises(practice.PracticeCancelled):
        practice.create(real, area=HOME, households=60, progress=lambda d, _t: seen.append(d),
                        cancelled=stop_half_way)
    assert seen == [10, 20]  # told how far it got, then stopped
    assert not practice.practice_path(real).exists()
    made = practice.create(real, area=HOME, households=20)
    with Store(made, user="check") as s:
        rows = s.list("household", columns=["subdistrict_code"], limit=None)
        assert len(rows) >= 20 and {r["subdistrict_code"] for r in rows} == {HOME}
    assert not real.exists()


# ---------------------------------------------------------------- the empty list
def test_an_empty_list_shows_what_to_do_next_with_the_same_actions(
    qtbot: Any, ui_app: Any, empty_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ui_app.set("welcome_done", True)
    window = open_window(qtbot, empty_db, ui_app)
    page = window.pages["household"]
    assert page.body.currentWidget() is page.guidance
    assert page.guidance.isVisible() and not page.table.isVisible()
    assert "ยังไม่มีข้อมูลครัวเรือน" in page.guidance.title.fragment()
    assert set(page.guidance.buttons) == {"new", "import", "practice", "welcome"}
    # the buttons do what the menus do
    qtbot.mouseClick(page.guidance.buttons["new"], Qt.MouseButton.LeftButton)
    settle()
    assert len(window.editors) == 1 and window.editors[0].form.id == "household"
    window.editors[0].close()
    settle()
    opened: list[str] = []
    monkeypatch.setattr(window, "open_import", lambda: opened.append("import"))
    monkeypatch.setattr(window, "open_practice", lambda: opened.append("practice"))
    qtbot.mouseClick(page.guidance.buttons["import"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.guidance.buttons["practice"], Qt.MouseButton.LeftButton)
    assert opened == ["import", "practice"]
    qtbot.mouseClick(page.guidance.buttons["welcome"], Qt.MouseButton.LeftButton)
    settle()
    assert any(isinstance(w, WelcomeDialog) and w.isVisible() for w in QApplication.topLevelWidgets())
    for w in QApplication.topLevelWidgets():
        if isinstance(w, WelcomeDialog):
            w.close()
    # a search that finds nothing is "0 found" in the table, not the guidance
    page.search.setText("ไม่มีชื่อนี้")
    page.apply_filters()
    settle()
    assert page.body.currentWidget() is page.table
    page.search.clear()
    page.apply_filters()
    settle()
    assert page.body.currentWidget() is page.guidance
    # the other lists have their own
    business = window.pages["business"]
    assert business.body.currentWidget() is business.guidance
    assert set(business.guidance.buttons) == {"new"}
    # once a household is saved, the table comes back
    store = empty_db.main
    from conftest import HOUSEHOLD

    store.save("household", dict(HOUSEHOLD))
    window.refresh("household")
    settle()
    assert page.body.currentWidget() is page.table and page.model.rowCount() == 1


def test_an_area_without_households_says_so_by_name(qtbot: Any, ui_app: Any, ui_db_path: Path) -> None:
    db = Database(ui_db_path)
    window = open_window(qtbot, db, ui_app)
    page = window.pages["household"]
    assert page.body.currentWidget() is page.table
    page.set_area(HOME, None)  # an area the demo data does not cover
    settle()
    assert page.model.rowCount() == 0
    assert page.body.currentWidget() is page.guidance
    assert "หนองครก" in page.guidance.title.fragment()
    window.close()
    settle()
    db.close_all()


# ---------------------------------------------------------------- 1366×768, 18 pt
def inside_window(widget: QWidget, window: QWidget) -> bool:
    top_left = widget.mapTo(window, QPoint(0, 0))
    return widget.isVisible() and window.rect().contains(QRect(top_left, widget.size()))


@pytest.mark.parametrize("size", [0, 18])
def test_welcome_and_guidance_fit_a_laptop_screen(qtbot: Any, ui_app: Any, empty_db: Database, size: int) -> None:
    apply_font(size)
    try:
        window = open_window(qtbot, empty_db, ui_app)
        area = QApplication.primaryScreen().availableGeometry()
        dlg = welcome_of(window)
        assert area.contains(dlg.frameGeometry()), (dlg.frameGeometry(), area)
        for w in (*dlg.fields(), dlg.next_button, dlg.later_button, dlg.server_problem.parentWidget()):
            assert inside_window(w, dlg), type(w).__name__
        # the longest message fits too
        dlg.server_edit.setText("not a server")
        dlg.next_step()
        settle()
        assert inside_window(dlg.server_problem, dlg) and inside_window(dlg.next_button, dlg)
        dlg.server_edit.clear()
        dlg.next_step()
        settle()
        for b in (dlg.import_button, dlg.household_button, dlg.practice_button, dlg.back_button):
            assert inside_window(b, dlg), b.text()
            if b is not dlg.back_button:  # title and explanation have their whole height
                assert b.height() >= b.heightForWidth(b.width()), (b.height(), b.heightForWidth(b.width()))
        # bold and heading labels leave room for stacked Thai marks (ui/marklabel.py)
        assert all(isinstance(lbl, MarkSafeLabel) for lbl in dlg.findChildren(QLabel)
                   if "<b>" in lbl.text() or lbl.objectName() == "heading")
        dlg.close()
        page = window.pages["household"]
        for b in page.guidance.buttons.values():
            assert inside_window(b, window), b.text()
    finally:
        apply_font(int(ui_app.get("font_size")))
