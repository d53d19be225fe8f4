"""The ODK question types in the editor as a person uses them with the keyboard and the mouse: Enter
goes on from a time, a date and time and a ranking (and never presses a button beside them), a
ranking is numbered and moved with the keyboard, and a list of records of an installed form shows
its answers as people read them."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from fieldapp import installed
from fieldapp.store import Store

FORM: dict[str, Any] = {
    "id": "visit_odk",
    "version": "1",
    "title": {"th": "การเยี่ยมบ้าน", "en": "Home visit"},
    "choices": {
        "needs": [
            {"code": "water", "th": "น้ำเพื่อการเกษตร", "en": "Farm water"},
            {"code": "money", "th": "เงินทุนหมุนเวียน", "en": "Working capital"},
            {"code": "health", "th": "การรักษาพยาบาลผู้สูงอายุ", "en": "Elderly care"},
            {"code": "job", "th": "การฝึกอาชีพเสริมรายได้ให้คนในชุมชนที่ว่างงานและผู้สูงอายุที่ยังทำงานได้",
             "en": "Job training for the jobless and for older people who can still work"},
        ]
    },
    "sections": [
        {
            "id": "visit",
            "label": {"th": "การเยี่ยม", "en": "Visit"},
            "fields": [
                {"id": "started", "type": "hidden", "meta": "start", "label": {"th": "เวลาเริ่ม", "en": "Start"}},
                {"id": "visitor", "type": "text", "label": {"th": "ชื่อผู้เยี่ยม", "en": "Visitor"}},
                {"id": "arrived", "type": "time", "label": {"th": "เวลาที่มาถึง", "en": "Arrived"}},
                {"id": "next_visit", "type": "datetime", "label": {"th": "นัดครั้งถัดไป", "en": "Next visit"}},
                {"id": "needs", "type": "rank", "choices": "needs",
                 "label": {"th": "เรียงความต้องการ", "en": "Rank the needs"}},
                {"id": "card", "type": "barcode", "label": {"th": "รหัสบัตร", "en": "Card code"}},
                {"id": "road", "type": "geotrace", "label": {"th": "แนวถนนเข้าบ้าน", "en": "Road"}},
            ],
        },
        {
            "id": "people",
            "label": {"th": "สมาชิก", "en": "Members"},
            "fields": [
                {
                    "id": "members",
                    "type": "repeat",
                    "label": {"th": "สมาชิกในครัวเรือน", "en": "Members"},
                    "fields": [
                        {"id": "name", "type": "text", "label": {"th": "ชื่อ-สกุล", "en": "Name"}},
                        {"id": "age", "type": "integer", "label": {"th": "อายุ", "en": "Age"}},
                        {"id": "woke", "type": "time", "label": {"th": "เวลาตื่นนอน", "en": "Woke"}},
                        {"id": "seen", "type": "datetime",
                         "label": {"th": "พบแพทย์ครั้งล่าสุดเมื่อ", "en": "Last saw a doctor"}},
                    ],
                }
            ],
        },
    ],
}


def _open_editor(tmp_path, qtbot):
    from ui.db import Database
    from ui.editor.form import FormEditor
    from ui.widgets.registry import EditorContext

    form = installed.build(FORM, "visit.yaml")
    Store(tmp_path / "f.db").close()
    db = Database(tmp_path / "f.db")
    ed = FormEditor(EditorContext(db=db, form=form), None)
    qtbot.addWidget(ed)
    ed.resize(1100, 700)
    ed.show()
    qtbot.waitExposed(ed)
    ed.activateWindow()
    return ed, db


@pytest.fixture
def editor(tmp_path, qtbot, ui_app):
    ed, db = _open_editor(tmp_path, qtbot)
    yield ed
    ed.close()
    db.close()


def _press(key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(QApplication.focusWidget(), key, modifier)
    QApplication.processEvents()


def _type(text: str) -> None:
    QTest.keyClicks(QApplication.focusWidget(), text)  # ASCII only (Thai: see DESIGN.md)
    QApplication.processEvents()


def _focus(qtbot, widget) -> None:
    widget.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget)


def test_enter_after_a_typed_time_goes_on_and_never_replaces_it_with_the_clock(editor, qtbot):
    panel = editor.panel(0)
    arrived, when = panel.widget("arrived"), panel.widget("next_visit")
    _focus(qtbot, arrived.edit)
    _type("6:00")
    _press(Qt.Key.Key_Return)
    # on to the next question's day, not to the "Now" button beside the time
    assert QApplication.focusWidget() is when.date
    _press(Qt.Key.Key_Return)
    _press(Qt.Key.Key_Return)  # a person pressing Enter to go on
    assert arrived.edit.text() == "6:00" and arrived.value() == "6:00"
    # in the date and time: the day, its time, then the next question (past "Now")
    _focus(qtbot, when.time)
    _type("14:00")
    _press(Qt.Key.Key_Return)
    assert QApplication.focusWidget() is panel.widget("needs").list
    assert when.time.text() == "14:00"
    # "Now" still works with the mouse
    QTest.mouseClick(arrived.now, Qt.MouseButton.LeftButton)
    assert arrived.edit.text() != "6:00" and arrived.local_problem() is None
    assert QApplication.focusWidget() is arrived.edit  # the keyboard is back in the time box


def test_a_ranking_is_numbered_moved_with_the_keyboard_and_left_with_enter(editor, qtbot):
    panel = editor.panel(0)
    rank = panel.widget("needs")
    texts = [rank.list.item(i).text() for i in range(rank.list.count())]
    assert texts[:3] == ["1. น้ำเพื่อการเกษตร", "2. เงินทุนหมุนเวียน", "3. การรักษาพยาบาลผู้สูงอายุ"]
    _focus(qtbot, rank.list)
    rank.list.setCurrentRow(2)
    _press(Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    _press(Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert rank.value() == ["health", "water", "money", "job"]
    assert rank.list.item(0).text() == "1. การรักษาพยาบาลผู้สูงอายุ"
    assert rank.list.item(2).text() == "3. เงินทุนหมุนเวียน"
    QTest.mouseClick(rank.down, Qt.MouseButton.LeftButton)
    assert rank.value() == ["water", "health", "money", "job"] and rank.list.item(1).text().startswith("2. ")
    # the click leaves the keyboard on the list; Enter goes on to the next question, past the buttons
    assert QApplication.focusWidget() is rank.list
    _press(Qt.Key.Key_Return)
    assert QApplication.focusWidget() is panel.widget("card").edit
    assert rank.value() == ["water", "health", "money", "job"]
    # a stored ranking comes back numbered
    rank.set_value(["money"])
    assert [rank.list.item(i).text()[:2] for i in range(4)] == ["1.", "2.", "3.", "4."]
    assert rank.codes() == ["money", "water", "health", "job"]


def test_a_rankings_rows_leave_room_for_thai_marks_above_and_below(editor):
    rank = editor.panel(0).widget("needs")
    fm = rank.list.fontMetrics()
    for i in range(rank.list.count()):
        item = rank.list.item(i)
        ink = fm.boundingRect(item.text())  # ู and ุ reach below the line, ้ above it
        assert rank.list.visualItemRect(item).height() >= ink.height() + 6


@pytest.mark.parametrize("size", [0, 18])
def test_a_ranking_shows_every_choice_and_says_when_its_order_is_not_an_answer_yet(tmp_path, qtbot, ui_app, size):
    from ui.theme import apply_font

    apply_font(size)
    try:
        ed, db = _open_editor(tmp_path, qtbot)
        rank = ed.panel(0).widget("needs")
        for width in (1100, 700):  # narrower: the long choice wraps onto a second line
            ed.resize(width, 700)
            qtbot.waitUntil(lambda w=width: ed.width() == w)
            QApplication.processEvents()
            # every choice in sight: no scroll bar inside the list, whatever the text size and width
            qtbot.waitUntil(lambda: rank.list.verticalScrollBar().maximum() == 0, timeout=2000)
            last = rank.list.item(rank.list.count() - 1)
            assert rank.list.visualItemRect(last).bottom() < rank.list.viewport().height(), width
        # the numbers are only a suggestion until the person accepts or changes the order
        assert rank.value() is None and rank.pending.isVisibleTo(ed)
        assert "คลิก" in rank.pending.text()
        item = rank.list.item(1)
        QTest.mouseClick(rank.list.viewport(), Qt.MouseButton.LeftButton, pos=rank.list.visualItemRect(item).center())
        assert rank.value() == ["water", "money", "health", "job"] and not rank.pending.isVisibleTo(ed)
        rank.set_value(None)  # another record, not ranked
        assert rank.pending.isVisibleTo(ed)
        _focus(qtbot, rank.list)
        _press(Qt.Key.Key_Space)  # the keyboard keeps the order shown as well
        assert rank.value() == ["water", "money", "health", "job"] and not rank.pending.isVisibleTo(ed)
        rank.set_value(None)
        rank.set_read_only(True)  # nothing to ask of a ranking that cannot be changed
        assert not rank.pending.isVisibleTo(ed)
        ed.close()
        db.close()
    finally:
        apply_font(int(ui_app.get("font_size")))


def test_a_date_and_time_shows_its_day_in_words(editor):
    when = editor.panel(0).widget("next_visit")
    assert when.shown.text() == ""
    when.set_value("2027-01-15T14:00:00+07:00")
    assert when.shown.text() == "15 มกราคม 2570"  # the day a leader reads, Buddhist era
    when.date.set_iso("2027-02-01")
    assert when.shown.text() == "1 กุมภาพันธ์ 2570" and when.value().startswith("2027-02-01T14:00")


def test_a_day_typed_without_its_time_asks_for_the_time_in_words_a_leader_reads(editor, qtbot):
    panel = editor.panel(0)
    when = panel.widget("next_visit")
    _focus(qtbot, when.date)
    _type("15/01/2570")
    _press(Qt.Key.Key_Return)  # on to the time box: the time is not typed yet
    editor.recheck()
    message = panel.rows["next_visit"].message
    assert message.isVisibleTo(editor)
    assert "กรุณาพิมพ์เวลาด้วย" in message.text() and "ค.ศ." not in message.text()
    _type("14:00")
    editor.recheck()
    assert not message.isVisibleTo(editor)
    # the same in a member's row
    editor.go_to(1)
    members = editor.panel(1).widget("members")
    members.add_row()
    seen = members.panel.widget("seen")
    seen.date.set_iso("2026-02-01")
    editor.recheck()
    message = members.panel.rows["seen"].message
    assert "กรุณาพิมพ์เวลาด้วย" in message.text() and "ค.ศ." not in message.text()


@pytest.mark.parametrize("size", [0, 18])
def test_time_boxes_of_a_member_keep_room_for_a_time_beside_other_questions(tmp_path, qtbot, ui_app, size):
    from ui.theme import apply_font

    apply_font(size)
    try:
        ed, db = _open_editor(tmp_path, qtbot)
        ed.resize(1100, 700)
        ed.go_to(1)
        members = ed.panel(1).widget("members")
        members.add_row()
        row = members.panel
        seen, woke = row.widget("seen"), row.widget("woke")
        seen.set_value("2026-02-01T14:00:00+07:00")  # its day in words takes room beside the boxes
        QApplication.processEvents()
        qtbot.waitUntil(lambda: seen.shown.isVisible())
        for box in (seen.time, woke.edit):
            needed = box.fontMetrics().horizontalAdvance(box.placeholderText())
            assert box.width() >= needed + 12, (box.width(), needed)
        assert seen.shown.width() >= seen.shown.sizeHint().width()  # the day in words is whole
        assert seen.now.width() >= seen.now.sizeHint().width()
        ed.close()
        db.close()
    finally:
        apply_font(int(ui_app.get("font_size")))


def test_a_line_typed_with_decimal_commas_asks_for_decimal_points(tmp_path, qtbot, ui_app):
    ed, db = _open_editor(tmp_path, qtbot)
    road = ed.panel(0).widget("road")
    road.set_value("14,89 103,50;14,90 103,51")
    assert road.local_problem() == "จุดที่ 1: ใช้จุดทศนิยม (.) ไม่ใช่จุลภาค (,) เช่น 14.89 103.50"
    road.set_value("14.89 103.50;14.90 103.51")
    assert road.local_problem() is None
    ed.close()
    db.close()


@pytest.mark.parametrize("size", [0, 18])
def test_a_line_of_points_shows_four_points_without_scrolling_at_any_text_size(tmp_path, qtbot, ui_app, size):
    from ui.theme import apply_font

    apply_font(size)
    try:
        ed, db = _open_editor(tmp_path, qtbot)
        road = ed.panel(0).widget("road")
        road.set_value("14.88 103.49;14.89 103.50;14.90 103.51;14.91 103.52")
        QApplication.processEvents()
        qtbot.waitUntil(lambda: road.edit.isVisible())
        assert road.edit.verticalScrollBar().maximum() == 0, road.edit.height()
        assert road.local_problem() is None
        ed.close()
        db.close()
    finally:
        apply_font(int(ui_app.get("font_size")))


@pytest.mark.parametrize("size", [0, 18])
def test_a_date_box_shows_an_arrow_in_each_of_its_step_buttons(qtbot, ui_app, size):
    from PySide6.QtWidgets import QStyle, QStyleOptionSpinBox

    from ui.theme import apply_font
    from ui.widgets.thaidate_edit import BuddhistDateEdit

    apply_font(size)
    try:
        box = BuddhistDateEdit()
        qtbot.addWidget(box)
        box.set_iso("2027-01-15")
        box.resize(box.sizeHint().width() + 60, box.sizeHint().height())
        box.show()
        qtbot.waitExposed(box)
        image = box.grab().toImage()
        opt = QStyleOptionSpinBox()
        box.initStyleOption(opt)
        for part in (QStyle.SubControl.SC_SpinBoxUp, QStyle.SubControl.SC_SpinBoxDown):
            r = box.style().subControlRect(QStyle.ComplexControl.CC_SpinBox, opt, part, box)
            dark = [
                (x, y)
                for x in range(r.left(), r.right() + 1)
                for y in range(r.top(), r.bottom() + 1)
                if image.pixelColor(x, y).lightness() < 90
            ]
            # an arrow: dark ink inside the button, clear of its edges (not the bare lines a styled
            # box drew where its buttons were, which looked broken)
            assert len(dark) >= 6, (part, r, len(dark))
            assert all(r.left() + 2 < x < r.right() - 1 and r.top() < y < r.bottom() for x, y in dark), (part, r)
    finally:
        apply_font(int(ui_app.get("font_size")))


def test_data_menu_preview_a_form_opens_the_chosen_file(tmp_path, qtbot, ui_app, monkeypatch):
    import yaml
    from PySide6.QtWidgets import QFileDialog

    from ui.db import Database
    from ui.dialogs.form_preview import FormPreviewDialog
    from ui.mainwindow import MainWindow

    path = tmp_path / "visit.yaml"
    path.write_text(yaml.safe_dump(FORM, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))
    Store(tmp_path / "f.db").close()
    db = Database(tmp_path / "f.db")
    win = MainWindow(db, ui_app)
    qtbot.addWidget(win)
    win.preview_action.trigger()  # as the Data menu does it
    QApplication.processEvents()
    previews = [w for w in QApplication.topLevelWidgets() if isinstance(w, FormPreviewDialog) and w.isVisible()]
    assert len(previews) == 1 and previews[0].form.id == "visit_odk"
    previews[0].close()
    win.close()
    db.close()


MANY: dict[str, Any] = {
    "id": "many",
    "version": "1",
    "title": {"th": "หลายข้อ", "en": "Many"},
    "sections": [
        {
            "id": "s",
            "label": {"th": "ส่วนที่ 1", "en": "Part 1"},
            "fields": [
                {"id": f"q{i}", "type": "text", "required": True,
                 "label": {"th": f"คำถามข้อที่ {i} เกี่ยวกับรายได้ของครัวเรือนในรอบปี", "en": f"Question {i}"}}
                for i in range(1, 13)
            ],
        }
    ],
}


@pytest.mark.parametrize("size", [0, 18])
def test_a_previews_check_leaves_the_questions_their_room(tmp_path, qtbot, ui_app, size):
    from ui.db import Database
    from ui.dialogs.form_preview import FormPreviewDialog
    from ui.theme import apply_font

    apply_font(size)
    try:
        Store(tmp_path / "f.db").close()
        db = Database(tmp_path / "f.db")
        dlg = FormPreviewDialog(None, db, ui_app, installed.build(MANY, "many.yaml"))
        qtbot.addWidget(dlg)
        dlg.resize(1366, 740)
        dlg.show()
        qtbot.waitExposed(dlg)
        before = dlg.editor.height()
        assert len(dlg.check()) == 12  # twelve required questions not answered
        QApplication.processEvents()
        four_lines = dlg.fontMetrics().lineSpacing() * 4 + 8
        assert "กรุณากรอก" in dlg.outcome.text()
        assert dlg.outcome_area.isVisible() and dlg.outcome_area.height() <= four_lines
        # the questions keep most of their room (at 18 pt eight findings took half the window)
        assert dlg.editor.height() >= before - four_lines - 12, (before, dlg.editor.height())
        dlg.close()
        db.close()
    finally:
        apply_font(int(ui_app.get("font_size")))


def test_the_list_of_an_installed_form_shows_its_answers_as_people_read_them(tmp_path, qtbot, ui_app):
    from ui import tasks
    from ui.db import Database
    from ui.mainwindow import MainWindow

    path = tmp_path / "f.db"
    with Store(path) as store:
        installed.add(store, FORM, "visit.yaml")
        store.save(
            "visit_odk",
            {"started": "2026-12-06T20:20:00+07:00", "visitor": "สมชาย", "arrived": "09:30",
             "next_visit": "2027-01-15T14:00:00+07:00", "needs": ["health", "water", "money"]},
            partial_ok=True,
        )
    db = Database(path)
    win = MainWindow(db, ui_app)
    qtbot.addWidget(win)
    win.show()
    win.start()
    tasks.wait_all(20)
    model = win.pages["visit_odk"].model
    assert model.rowCount() == 1
    shown = {
        model.headerData(c, Qt.Orientation.Horizontal): model.data(model.index(0, c))
        for c in range(model.columnCount())
    }
    assert "เวลาเริ่ม" not in shown  # the metadata (a hidden question) is never shown
    # not 2027-01-15T14:00:00+07:00 (the zone follows in brackets when it is not this computer's)
    assert shown["นัดครั้งถัดไป"].startswith("15 ม.ค. 2570 14:00 น.")
    assert shown["เวลาที่มาถึง"] == "09:30 น."
    assert shown["เรียงความต้องการ"].startswith("1. การรักษาพยาบาลผู้สูงอายุ, 2. ")
    assert shown["ชื่อผู้เยี่ยม"] == "สมชาย"
    win.close()
    db.close()
