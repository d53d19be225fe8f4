"""Groups in the editor: a titled frame around their questions, nested as the groups are, shown
and hidden with their relevance (in a section and in a repeat's row), and passed by Enter."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from fieldapp import installed
from fieldapp.forms import read_yaml
from fieldapp.store import Store

NESTED = Path(__file__).parent / "data" / "nested_groups.yaml"


def editor_of(tmp_path, qtbot):
    from ui.db import Database
    from ui.editor.form import FormEditor
    from ui.widgets.registry import EditorContext

    form = installed.build(read_yaml(NESTED), "nested_groups.yaml")
    Store(tmp_path / "f.db").close()
    db = Database(tmp_path / "f.db")
    editor = FormEditor(EditorContext(db=db, form=form), None)
    qtbot.addWidget(editor)
    return editor, db


def answer(panel, field_id, value):
    panel.widget(field_id).set_value(value)
    panel.changed.emit(field_id)


def test_a_nested_group_shows_and_hides_its_questions_with_its_relevance(tmp_path, qtbot, ui_app):
    editor, db = editor_of(tmp_path, qtbot)
    panel = editor.panel(0)
    frames = {f.group.id: f for f in panel.frames}
    assert list(frames) == ["head", "head_work", "job"]
    # nested as the groups are: job inside head_work inside head
    assert frames["job"].parentWidget() is frames["head_work"]
    assert frames["head_work"].parentWidget() is frames["head"]
    assert panel.rows["job_title"].parentWidget() is frames["job"]
    assert frames["head"].title_text() == "หัวหน้าครัวเรือน"

    def shown() -> set[str]:
        return {gid for gid, f in frames.items() if not f.isHidden()}

    editor.recheck()
    assert shown() == set() and panel.rows["head_name"].isHidden()
    answer(panel, "has_head", True)
    editor.recheck()
    assert shown() == {"head"}  # "Work" waits for the head's name
    assert not panel.rows["head_name"].isHidden() and panel.rows["works"].isHidden()
    answer(panel, "head_name", "Somchai")
    editor.recheck()
    assert shown() == {"head", "head_work"}
    answer(panel, "works", True)
    editor.recheck()
    assert shown() == {"head", "head_work", "job"} and not panel.rows["job_title"].isHidden()
    assert "job_title" in panel.visible_ids()
    answer(panel, "works", False)  # the middle level: its inner group goes, the outer ones stay
    editor.recheck()
    assert shown() == {"head", "head_work"} and panel.rows["job_title"].isHidden()
    answer(panel, "works", True)
    answer(panel, "has_head", False)  # the outermost: everything inside it goes
    editor.recheck()
    assert shown() == set()
    assert all(panel.rows[q].isHidden() for q in ("head_name", "works", "job_title"))
    assert editor.doc["job_title"] is None and editor.doc["head_name"] is None

    # inside a repeat's row: the member's health group, titled with the member's name
    members = panel.widget("members")
    members.add_row()
    row = members.panel
    health = {f.group.id: f for f in row.frames}
    assert list(health) == ["health", "smoking", "quit"]
    answer(row, "name", "Somsri")
    answer(row, "age", 10)
    editor.recheck()
    assert health["health"].isHidden() and row.rows["smokes"].isHidden()
    answer(row, "age", 40)
    editor.recheck()
    assert not health["health"].isHidden() and health["smoking"].isHidden()
    assert health["health"].title_text() == "สุขภาพของ Somsri"
    assert "สุขภาพของ Somsri" in health["health"].title.text()
    answer(row, "smokes", True)
    answer(row, "per_day", 20)
    editor.recheck()
    assert not health["quit"].isHidden() and not row.rows["wants_quit"].isHidden()
    answer(row, "age", 12)
    editor.recheck()
    assert all(f.isHidden() for f in health.values())
    editor.close()
    db.close()


def test_enter_goes_into_a_group_and_on_through_the_groups_inside_it(tmp_path, qtbot, ui_app):
    editor, db = editor_of(tmp_path, qtbot)
    editor.resize(1100, 700)
    editor.show()
    qtbot.waitExposed(editor)
    editor.activateWindow()
    panel = editor.panel(0)

    def press(key: Qt.Key) -> None:
        QTest.keyClick(QApplication.focusWidget(), key)
        QApplication.processEvents()

    panel.widget("has_head").focus_target().setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is panel.widget("has_head").focus_target())
    press(Qt.Key.Key_Space)  # yes: the head's group appears
    press(Qt.Key.Key_Return)
    assert QApplication.focusWidget() is panel.widget("head_name").focus_target()
    for ch in "Somchai":
        QTest.sendKeyEvent(QTest.KeyAction.Click, QApplication.focusWidget(), Qt.Key.Key_unknown, ch,
                           Qt.KeyboardModifier.NoModifier)
    press(Qt.Key.Key_Return)  # into the group inside the group (past its title)
    assert QApplication.focusWidget() is panel.widget("works").focus_target()
    press(Qt.Key.Key_Space)
    press(Qt.Key.Key_Return)  # and into the third level
    assert QApplication.focusWidget() is panel.widget("job_title").focus_target()
    editor.close()
    db.close()


def test_the_review_lists_a_groups_answers_under_its_title(tmp_path, qtbot, ui_app):
    editor, db = editor_of(tmp_path, qtbot)
    panel = editor.panel(0)
    for fid, value in (("has_head", True), ("head_name", "Somchai"), ("works", False)):
        answer(panel, fid, value)
    members = panel.widget("members")
    members.add_row()
    for fid, value in (("name", "Somsri"), ("age", 40), ("smokes", False)):
        answer(members.panel, fid, value)
    editor.recheck()
    editor.show_review()

    def tree(item) -> list:
        return [(item.child(i).text(0), tree(item.child(i))) for i in range(item.childCount())]

    top = editor.review.tree
    section = next(top.topLevelItem(i) for i in range(top.topLevelItemCount()) if top.topLevelItem(i).text(0) == "1. ครัวเรือน")
    assert tree(section) == [
        ("มีหัวหน้าครัวเรือน", []),
        ("หัวหน้าครัวเรือน", [("ชื่อ", []), ("งาน", [("ทำงาน", [])])]),  # "Job" does not apply: not there
        (
            "สมาชิก",
            [("1. Somsri", [("ชื่อ", []), ("อายุ", []), ("สุขภาพของ Somsri", [("สูบบุหรี่", [])])])],
        ),
    ]
    head = section.child(1)
    assert head.isExpanded() and head.child(1).isExpanded()  # groups are open, as the section is
    assert section.child(2).child(0).child(2).isExpanded()  # a group in a member's row too
    editor.close()
    db.close()
