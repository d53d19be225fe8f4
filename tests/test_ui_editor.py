"""The record editor through its widgets: create, reopen, validation, relevance, drafts, links."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from fieldapp import drafts, thai
from ui import tasks
from ui.db import Database
from ui.editor import window as record_editor
from ui.editor.form import FormEditor
from ui.editor.window import RecordEditorDialog
from ui.mainwindow import MainWindow
from ui.widgets.fields import NationalIdWidget, national_id_feedback
from ui.widgets.registry import EditorContext
from ui.widgets.repeat import RepeatWidget
from ui.widgets.table import registered_types
from ui.widgets.thaidate_edit import BuddhistDateEdit


def type_thai(widget: QWidget, text: str) -> None:
    for ch in text:
        QTest.sendKeyEvent(
            QTest.KeyAction.Click, widget, Qt.Key.Key_unknown, ch, Qt.KeyboardModifier.NoModifier
        )


def nid(first12: str) -> str:
    return first12 + str(thai.national_id_check_digit(first12))


def pick(combo: QComboBox, code: str) -> None:
    i = combo.findData(code)
    assert i >= 0, code
    combo.setCurrentIndex(i)


def choose(editor: Any, field_id: str, code: str, row_panel: Any = None) -> None:
    w = row_panel.widget(field_id) if row_panel is not None else editor.widget(field_id)
    if w.combo is not None:
        pick(w.combo, code)
    else:
        w.radios[code].click()


def yes(editor: Any, field_id: str, value: bool = True) -> None:
    w = editor.widget(field_id)
    (w.yes if value else w.no).click()


def type_into(editor: Any, field_id: str, text: str, panel: Any = None) -> None:
    w = panel.widget(field_id) if panel is not None else editor.widget(field_id)
    target = w.focus_target()
    target.setFocus()
    if isinstance(target, BuddhistDateEdit):
        target.set_iso(None)  # a date that starts as today is typed over
    elif isinstance(target, QLineEdit):
        target.selectAll()  # an answer carried over from the last household is typed over
    type_thai(target, text)


def settle() -> None:
    tasks.wait_all(20)


MEMBERS = [
    # national id, prefix, first, last, sex, birth (BE), relation
    (nid("310140012345"), "mr", "สมชาย", "ใจดี", "1", "01/01/2520", "head"),
    (nid("310140012346"), "mrs", "สมหญิง", "ใจดี", "2", "15/06/2523", "spouse"),
    (nid("110140012347"), "girl", "น้ำฝน", "ใจดี", "2", "02/02/2560", "child"),
]


def fill_household(dlg: RecordEditorDialog, members: list[tuple[str, ...]] = MEMBERS) -> None:
    ed = dlg.editor
    yes(ed, "consent_given")
    yes(ed, "consent_sensitive", False)
    type_into(ed, "consent_by", "สมชาย ใจดี")
    type_into(ed, "consent_date", "01/03/2568")
    type_into(ed, "house_no", "12/3")
    type_into(ed, "village_name", "บ้านโนนสูง")
    sub = ed.widget("subdistrict_code")
    pick(sub.province, "32")
    pick(sub.district, "3201")
    pick(sub.subdistrict, "320101")
    reps: RepeatWidget = ed.widget("members")
    for m in members:
        reps.add_row()
        panel = reps.panel
        type_into(ed, "national_id", m[0], panel)
        choose(ed, "prefix", m[1], panel)
        type_into(ed, "first_name", m[2], panel)
        type_into(ed, "last_name", m[3], panel)
        choose(ed, "sex", m[4], panel)
        type_into(ed, "birth_date", m[5], panel)
        panel.widget("birth_date").edit.interpretText()
        choose(ed, "relation", m[6], panel)
        # what the form asks at each age: occupation and literacy of adults, schooling of children
        if m[1] in ("mr", "mrs", "miss"):
            choose(ed, "occupation", "agriculture", panel)
            panel.widget("literate").yes.click()
        else:
            panel.widget("studying").yes.click()
    choose(ed, "tenure", "own")
    choose(ed, "house_condition", "permanent")
    for f in ("income_wage", "income_farm", "income_business", "income_transfer", "income_other"):
        type_into(ed, f, "12000" if f == "income_farm" else "0")
    type_into(ed, "surveyed_on", "10/03/2568")
    ed.widget("surveyed_on").edit.interpretText()
    ed.widget("consent_date").edit.interpretText()
    ed.recheck()


@pytest.fixture
def db(ui_db_path: Path) -> Database:
    return Database(ui_db_path)


def editor_dialog(
    qtbot: Any, db: Database, settings: Any, form_id: str = "household", **kw: Any
) -> RecordEditorDialog:
    dlg = RecordEditorDialog(None, db, settings, form_id, **kw)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def test_every_question_type_has_a_widget() -> None:
    from fieldapp.forms import FIELD_TYPES

    assert FIELD_TYPES <= registered_types()


def test_create_a_household_with_three_members_and_reopen_it(qtbot: Any, ui_app: Any, db: Database) -> None:
    choices = {c.code for c in db.main.form("household").fields["house_condition"].choices}
    assert "permanent" in choices
    dlg = editor_dialog(qtbot, db, ui_app)
    fill_household(dlg)
    assert dlg.editor.doc["member_count"] == 3
    assert dlg.editor.doc["head_name"] == "สมชาย ใจดี"
    assert dlg.editor.widget("income_total").current() == 12000
    assert dlg.editor.widget("income_per_capita").current() == 4000
    dlg.save()
    settle()
    rid = dlg.record_id
    rec = db.main.get("household", rid)
    assert [m["first_name"] for m in rec.data["members"]] == ["สมชาย", "สมหญิง", "น้ำฝน"]
    assert rec.data["members"][2]["birth_date"] == "2017-02-02"
    assert rec.data["subdistrict_code"] == "320101"
    assert drafts.incomplete_ids(db.main, "household") == set()
    again = editor_dialog(qtbot, db, ui_app, record_id=rid)
    assert again.editor.widget("house_no").value() == "12/3"
    assert again.editor.widget("village_name").value() == "บ้านโนนสูง"
    reps = again.editor.widget("members")
    assert [r["last_name"] for r in reps.value()] == ["ใจดี"] * 3
    assert again.editor.widget("consent_date").edit.text() == "01/03/2568"
    assert "หัวหน้าครัวเรือน" in reps.list.item(0).text()


def test_a_wrong_national_id_shows_a_thai_message_and_blocks_saving(
    qtbot: Any, ui_app: Any, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(
        RecordEditorDialog, "_show_problems", lambda self, problems: shown.extend(p.message for p in problems)
    )
    bad = MEMBERS[0][0][:12] + str((int(MEMBERS[0][0][12]) + 1) % 10)
    dlg = editor_dialog(qtbot, db, ui_app)
    fill_household(dlg, [(bad, *MEMBERS[0][1:])])
    before = db.main.count("household")
    reps = dlg.editor.widget("members")
    row = reps.panel.rows["national_id"]
    assert not row.message.isHidden()
    assert "เลข" in row.message.text()
    dlg.save()
    settle()
    assert shown and "เลขประจำตัวประชาชน" in shown[0]
    assert db.main.count("household") == before


def test_national_id_widget_gives_check_digit_feedback_while_typing(
    qtbot: Any, ui_app: Any, db: Database
) -> None:
    f = db.main.form("household").field_at("members.national_id")
    w = NationalIdWidget(f, EditorContext(db=db, form=db.main.form("household")))
    qtbot.addWidget(w)
    w.show()
    w.edit.setFocus()
    good = MEMBERS[0][0]
    type_thai(w.edit, good[:5])
    assert "5 จาก 13" in w.feedback.text()
    type_thai(w.edit, good[5:])
    assert "ถูกต้อง" in w.feedback.text()
    assert w.value() == good
    w.set_value(good)
    w.show_masked()
    assert "x" in w.edit.text() and w.value() == good
    assert national_id_feedback(good[:12] + "0")[1] in (False, True)
    wrong = good[:12] + str((int(good[12]) + 1) % 10)
    msg, ok = national_id_feedback(wrong)
    assert ok is False and "หลักสุดท้าย" in msg  # the form check's own words
    assert national_id_feedback("12a")[1] is False


def test_buddhist_era_date_widget_parses_and_shows_the_thai_year(qtbot: Any, ui_app: Any) -> None:
    w = BuddhistDateEdit()
    qtbot.addWidget(w)
    w.show()
    w.set_iso("2023-02-15")
    assert w.text() == "15/02/2566"
    w.setFocus()
    w.lineEdit().selectAll()
    QTest.keyClicks(w, "29/02/2567")  # a leap day in 2024
    w.interpretText()
    assert w.iso() == "2024-02-29"
    w.set_iso(None)
    assert w.iso() is None and w.text().strip() == ""


def test_relevance_hides_and_shows_questions(qtbot: Any, ui_app: Any, db: Database) -> None:
    dlg = editor_dialog(qtbot, db, ui_app)
    ed = dlg.editor
    assert ed.row("consent_by").isHidden()
    yes(ed, "consent_given")
    ed.recheck()
    assert not ed.row("consent_by").isHidden()
    assert ed.row("savings_amount").isHidden()
    yes(ed, "has_savings")
    ed.recheck()
    assert not ed.row("savings_amount").isHidden()
    # sensitive questions stay hidden without explicit consent
    reps = ed.widget("members")
    reps.add_row()
    ed.recheck()
    assert reps.panel.rows["health_status"].isHidden()
    yes(ed, "consent_sensitive")
    ed.recheck()
    assert not reps.panel.rows["health_status"].isHidden()


def test_validation_messages_show_in_thai_beside_the_field(qtbot: Any, ui_app: Any, db: Database) -> None:
    dlg = editor_dialog(qtbot, db, ui_app)
    ed = dlg.editor
    type_into(ed, "village_no", "150")
    ed.recheck()
    msg = ed.row("village_no").message
    assert not msg.isHidden() and "ต้องไม่มากกว่า 99" in msg.text()
    _doc, _blocking, missing = ed.check_for_save()
    assert any(p.path == "house_no" for p in missing)
    assert "กรุณากรอก" in ed.row("house_no").message.text()


def test_saving_incomplete_marks_the_record_and_lists_filter_it(
    qtbot: Any, ui_app: Any, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(record_editor, "_ask", lambda *a, **k: 0)
    dlg = editor_dialog(qtbot, db, ui_app)
    yes(dlg.editor, "consent_given")
    yes(dlg.editor, "consent_sensitive", False)
    type_into(dlg.editor, "house_no", "77")
    dlg.save()
    settle()
    assert dlg.record_id in drafts.incomplete_ids(db.main, "household")
    window = MainWindow(db, ui_app)
    qtbot.addWidget(window)
    window.start()
    settle()
    page = window.pages["household"]
    page.incomplete_box.setChecked(True)
    settle()
    assert page.model.rowCount() == 1
    col = [c.header for c in page.model.columns].index("ความครบถ้วน")
    assert "ขาด" in page.model.data(page.model.index(0, col))


def test_a_draft_survives_closing_the_window_without_saving(
    qtbot: Any, ui_app: Any, ui_db_path: Path
) -> None:
    db = Database(ui_db_path)
    window = MainWindow(db, ui_app)
    qtbot.addWidget(window)
    window.show()
    dlg = window.new_record("household")
    type_into(dlg.editor, "house_no", "99/1")
    type_into(dlg.editor, "village_name", "บ้านหนองบัว")
    window.close()  # e.g. the program is closed with the editor still open
    settle()
    again = Database(ui_db_path)
    kept = drafts.list_drafts(again.main)
    assert len(kept) == 1
    assert kept[0].data["house_no"] == "99/1" and kept[0].data["village_name"] == "บ้านหนองบัว"
    window2 = MainWindow(again, ui_app)
    qtbot.addWidget(window2)
    back = window2._editor(
        record_editor.show_record_editor(
            window2, again, ui_app, kept[0].form_id, kept[0].record_id, kept[0].data, kept[0].key
        )
    )
    assert back.editor.widget("village_name").value() == "บ้านหนองบัว"


def test_a_business_with_an_employment_link_to_a_member(qtbot: Any, ui_app: Any, db: Database) -> None:
    store = db.main
    hid = store.ids("household", filters={"poverty_class": ["1", "2"]})[0]
    member = store.get("household", hid).data["members"][0]
    dlg = editor_dialog(qtbot, db, ui_app, form_id="business")
    ed: FormEditor = dlg.editor
    type_into(ed, "name", "กลุ่มทอผ้าบ้านโนนสูง")
    choose(ed, "business_type", "community_enterprise")
    type_into(ed, "members_count", "12")
    sub = ed.widget("subdistrict_code")
    pick(sub.province, "32")
    pick(sub.district, "3201")
    pick(sub.subdistrict, "320101")
    reps: RepeatWidget = ed.widget("employment")
    reps.add_row()
    href = reps.panel.widget("household_id")
    head = store.get("household", hid).data
    href.search.setFocus()
    type_thai(href.search, head["head_name"])
    href._run_search()
    pick(href.combo, hid)
    ed.recheck()
    assert "ยากจน" in href.status.text()
    mref = reps.panel.widget("member_id")
    pick(mref.combo, member["id"])
    choose(ed, "role", "daily", reps.panel)
    ed.recheck()
    assert "ยากจน 1" in reps.summary.text()
    dlg.save()
    settle()
    rec = store.get("business", dlg.record_id)
    assert rec.data["employment"][0]["member_id"] == member["id"]
    from fieldapp import browse

    assert any(b["id"] == dlg.record_id for b in browse.businesses_employing(store, hid))


def test_referral_editor_is_reachable_from_the_household(qtbot: Any, ui_app: Any, db: Database) -> None:
    window = MainWindow(db, ui_app)
    qtbot.addWidget(window)
    window.start()
    settle()
    hid = window.pages["household"].model.id_at(0) or ""
    window.summary.show_household(hid)
    settle()
    window.summary.referral_button.click()
    dlg = window.editors[-1]
    assert dlg.form.id == "referral"
    assert dlg.editor.widget("household_id").value() == hid
    assert (
        dlg.editor.widget("subdistrict_code").value()
        == db.main.get("household", hid).data["subdistrict_code"]
    )


def test_photo_is_copied_into_the_attachment_store_by_hash(
    qtbot: Any, ui_app: Any, db: Database, tmp_path: Path
) -> None:
    from PySide6.QtGui import QColor, QImage

    from fieldapp import attachments

    img = QImage(40, 30, QImage.Format.Format_RGB32)
    img.fill(QColor("#1f6f5c"))
    src = tmp_path / "house.png"
    img.save(str(src))
    dlg = editor_dialog(qtbot, db, ui_app)
    w = dlg.editor.widget("photo")
    w.attach(src)
    settle()
    sha = w.value()
    assert sha == attachments.sha256_of(src)
    assert attachments.path_for(db.main, sha).exists()
    assert w.thumb.pixmap() is not None and not w.thumb.pixmap().isNull()


def test_an_unusual_answer_is_shown_beside_the_field_and_saved_with_one_reason(
    qtbot: Any, ui_app: Any, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def reason(_parent: Any, text: str) -> str:
        asked.append(text)
        return "ทำนาในที่ดินของวัดหลายแปลง"

    monkeypatch.setattr(record_editor, "_ask_reason", reason)
    monkeypatch.setattr(record_editor, "_ask", lambda *a, **k: 0)
    store = db.main
    hid = next(
        i
        for i in store.ids("household")
        if not store.soft_warnings("household", store.get("household", i).data)
    )
    dlg = editor_dialog(qtbot, db, ui_app, record_id=hid)
    ed: FormEditor = dlg.editor
    ed.widget("farmland_owned_rai").set_value(650)
    ed.recheck()
    assert "500 ไร่" in ed.row("farmland_owned_rai").message.text()
    dlg.save()
    settle()
    assert len(asked) == 1 and "500 ไร่" in asked[0]
    saved = store.get("household", hid).data
    [w] = store.soft_warnings("household", saved)
    assert w.id == "farmland_over_500_rai" and w.reason == "ทำนาในที่ดินของวัดหลายแปลง"
    # saved again unchanged: the reason is kept and not asked for again
    again = editor_dialog(qtbot, db, ui_app, record_id=hid)
    again.save()
    settle()
    assert len(asked) == 1
    assert store.soft_warnings("household", store.get("household", hid).data)[0].reason == w.reason


def test_pressing_save_validates_the_record_once(
    qtbot: Any, ui_app: Any, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fieldapp.forms import Form

    dlg = editor_dialog(qtbot, db, ui_app)
    fill_household(dlg)
    settle()
    drafts.save_draft(db.main, dlg.draft_key, "household", None, dlg.editor.raw(), "draft")
    calls: list[Any] = []
    real = Form.validate

    def counting(self: Form, raw: dict[str, Any], **kw: Any) -> Any:
        calls.append(kw)
        return real(self, raw, **kw)

    monkeypatch.setattr(Form, "validate", counting)
    dlg.save()
    settle()
    assert len(calls) == 1  # the check when Save is pressed; the store writes what it checked
    assert db.main.get("household", dlg.record_id).data["house_no"] == "12/3"
    assert dlg.draft_key not in {d.key for d in drafts.list_drafts(db.main)}
