"""The desktop app on a village laptop (1366×768): the mouse wheel never changes an answer by
accident, bold question labels keep their stacked Thai marks, one editor per record, and an editor
opened before another save never overwrites it silently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QColor, QFontMetrics, QImage, QPainter, QTextDocument, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLineEdit,
    QRadioButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from fieldapp import drafts
from ui import tasks
from ui.db import Database
from ui.editor import window as record_editor
from ui.editor.form import CHECK_DELAY_MS
from ui.editor.window import RecordEditorDialog
from ui.mainwindow import MainWindow
from ui.marklabel import MarkSafeLabel, ink_rect
from ui.theme import apply_font
from ui.widgets.thaidate_edit import BuddhistDateEdit


def settle() -> None:
    tasks.wait_all(20)
    QApplication.processEvents()


def wheel(widget: QWidget, notches: int = -3) -> None:
    """A real wheel event over the middle of ``widget`` (negative notches scroll down)."""
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    glob = QPointF(widget.mapToGlobal(centre.toPoint()))
    event = QWheelEvent(
        centre,
        glob,
        QPoint(),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


@pytest.fixture
def db(ui_db_path: Path) -> Database:
    return Database(ui_db_path)


@pytest.fixture(autouse=True)
def never_block_on_a_question(monkeypatch: pytest.MonkeyPatch) -> None:
    """An editor closed at the end of a test with unsaved changes discards them without asking."""
    monkeypatch.setattr(record_editor, "_ask", lambda *_a: 2)


def open_window(qtbot: Any, db: Database, settings: Any) -> MainWindow:
    window = MainWindow(db, settings)
    qtbot.addWidget(window)
    window.show()
    window.start()
    settle()
    return window


# ---------------------------------------------------------------- the mouse wheel
def test_wheel_over_unfocused_answers_scrolls_the_page_and_changes_nothing(qtbot: Any, ui_app: Any) -> None:
    page = QWidget()
    lay = QVBoxLayout(page)
    typing = QLineEdit()
    combo = QComboBox()
    combo.addItems(["เมืองศรีสะเกษ", "ศรีรัตนะ", "กันทรลักษ์"])
    spin = QSpinBox()
    spin.setValue(5)
    date = BuddhistDateEdit()
    date.set_iso("2025-06-01")
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setValue(50)
    for w in (typing, combo, spin, date, slider):
        lay.addWidget(w)
        lay.addSpacing(400)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(page)
    scroll.resize(400, 300)
    qtbot.addWidget(scroll)
    scroll.show()
    typing.setFocus()
    settle()
    bar = scroll.verticalScrollBar()
    assert bar.maximum() > 0
    for w in (combo, spin, date, slider):
        before = bar.value()
        wheel(w, -1)
        assert bar.value() > before, type(w).__name__  # the page scrolled instead
        assert w.focusPolicy() != Qt.FocusPolicy.WheelFocus
    assert combo.currentIndex() == 0
    assert spin.value() == 5
    assert date.iso() == "2025-06-01"
    assert slider.value() == 50
    # with the focus (clicked or tabbed into), the wheel works as usual
    combo.setFocus()
    wheel(combo, -1)
    assert combo.currentIndex() == 1


def test_wheel_over_the_area_picker_in_the_editor_keeps_district_and_subdistrict(
    qtbot: Any, ui_app: Any, db: Database
) -> None:
    dlg = RecordEditorDialog(None, db, ui_app, "household")
    qtbot.addWidget(dlg)
    dlg.show()
    ed = dlg.editor
    sub = ed.widget("subdistrict_code")
    sub.set_value("330101")
    ed.go_to(ed.section_of["subdistrict_code"])
    settle()
    ed.widget("house_no").focus_target().setFocus()
    for combo in (sub.province, sub.district, sub.subdistrict):
        wheel(combo, -2)
        wheel(combo, 2)
    assert sub.value() == "330101"
    assert sub.district.currentData() == "3301"


# ---------------------------------------------------------------- stacked Thai marks
def ink_overflow(label: MarkSafeLabel) -> float:
    """How far (px) the ink of the label's text reaches outside the box QLabel paints rich text in:
    each line's ink placed on its baseline, against the text box and the label's contents rect.
    0 or less: nothing is clipped. The ink is the shaped outline's bounding rect: for stacked Thai
    marks QFontMetrics.tightBoundingRect is too small (ชื่อ: 10 px above the baseline, ink 18)."""
    label.ensurePolished()
    font = label.font()
    fm = QFontMetrics(font)
    assert -ink_rect(font, "ชื่อ").top() > -fm.tightBoundingRect("ชื่อ").top()
    doc = QTextDocument()
    doc.setDefaultFont(font)
    doc.setDocumentMargin(0)
    doc.setHtml(label.text())
    doc.setTextWidth(label.contentsRect().width())
    height = doc.size().height()
    worst = height - label.contentsRect().height()
    block = doc.begin()
    while block.isValid():
        top = doc.documentLayout().blockBoundingRect(block).top()
        layout = block.layout()
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            text = block.text()[line.textStart() : line.textStart() + line.textLength()].strip()
            if not text:
                continue
            ink = ink_rect(font, text)
            baseline = top + line.y() + line.ascent()
            worst = max(worst, -(baseline + ink.top()), baseline + ink.bottom() + 1 - height)
        block = block.next()
    return worst


def ink_height(image: QImage) -> int:
    """Rows from the highest to the lowest inked pixel (a clipped mark makes it shorter)."""
    inked = [
        y
        for y in range(image.height())
        if any(
            QColor(image.pixel(x, y)).lightness() < 150 and QColor(image.pixel(x, y)).alpha() > 0
            for x in range(0, image.width(), 1)
        )
    ]
    return inked[-1] - inked[0] + 1 if inked else 0


@pytest.mark.parametrize("size", [11, 18])
def test_bold_question_labels_keep_stacked_thai_marks(
    qtbot: Any, ui_app: Any, db: Database, size: int
) -> None:
    apply_font(size)
    try:
        for form_id in ("household", "business", "referral"):
            dlg = RecordEditorDialog(None, db, ui_app, form_id)
            qtbot.addWidget(dlg)
            dlg.show()
            labels = []
            for i in range(len(dlg.form.sections)):
                dlg.editor.go_to(i)
                settle()
                panel = dlg.editor.panel(i)
                labels += [row.label for row in panel.rows.values() if row.label.isVisible()]
                for rep in dlg.editor.repeat_widgets():
                    if not rep.rows:
                        rep.add_row()
                        settle()
                    labels += [row.label for row in rep.panel.rows.values() if row.label.isVisible()]
            assert labels
            for label in labels:
                assert label.font().bold(), label.fragment()
                assert ink_overflow(label) <= 0, (form_id, label.fragment(), ink_overflow(label))
            dlg.dirty = False
            dlg.close()
    finally:
        apply_font(int(ui_app.get("font_size")))


@pytest.mark.parametrize("size", [11, 18])
def test_a_label_paints_every_pixel_of_its_marks(qtbot: Any, ui_app: Any, size: int) -> None:
    """The painted label against the same text painted with room around it: as high in ink."""
    apply_font(size)
    try:
        text = "ผู้ให้ข้อมูล (ชื่อ-นามสกุล) พื้นที่ หมู่ที่ ฎุ ฏู"
        label = MarkSafeLabel()
        label.setObjectName("question")
        label.set_html(text)
        host = QWidget()
        lay = QVBoxLayout(host)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(label)
        lay.addStretch(1)
        qtbot.addWidget(host)
        host.resize(900, 200)
        host.show()
        settle()
        painted = label.grab().toImage()
        ref = QImage(900, label.height() * 4, QImage.Format.Format_RGB32)
        ref.fill(QColor("white"))
        doc = QTextDocument()
        doc.setDefaultFont(label.font())
        doc.setDocumentMargin(0)
        doc.setPlainText(text)
        p = QPainter(ref)
        p.translate(0, label.height() * 1.5)
        doc.drawContents(p)
        p.end()
        assert ink_height(painted) >= ink_height(ref)
    finally:
        apply_font(int(ui_app.get("font_size")))


# ---------------------------------------------------------------- one editor per record
def test_double_click_opens_one_editor_and_asking_again_raises_it(
    qtbot: Any, ui_app: Any, db: Database
) -> None:
    window = open_window(qtbot, db, ui_app)
    page = window.pages["household"]
    page.table.selectRow(0)
    index = page.model.index(0, 1)
    rect = page.table.visualRect(index)
    qtbot.mousePress(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseRelease(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    settle()
    assert len(window.editors) == 1
    first = window.editors[0]
    again = window.open_record("household", first.record_id)
    assert again is first and len(window.editors) == 1
    first.close()


def test_a_stale_editor_never_overwrites_a_newer_save_without_showing_it(
    qtbot: Any, ui_app: Any, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = db.main.list("household", limit=1)[0]["id"]
    first = RecordEditorDialog(None, db, ui_app, "household", rid)
    second = RecordEditorDialog(None, db, ui_app, "household", rid)
    for d in (first, second):
        qtbot.addWidget(d)
        d.show()
    first.editor.widget("house_no").set_value("119/5")
    first.editor.widget("house_no").value_changed.emit()
    first.save()
    settle()
    assert db.main.get("household", rid).data["house_no"] == "119/5"

    shown: list[Any] = []

    def answer(_parent: Any, _form: Any, stale: Any, _unmask: bool) -> bool | None:
        shown.append(stale)
        return None  # back to editing

    from ui.dialogs import stale_dialog

    monkeypatch.setattr(stale_dialog, "ask_about_changes", answer)
    second.editor.widget("village_name").set_value("บ้านใหม่")
    second.editor.widget("village_name").value_changed.emit()
    second.save()
    settle()
    assert shown and "house_no" in shown[0].elsewhere and shown[0].elsewhere["house_no"][1] == "119/5"
    assert "village_name" in shown[0].mine and not shown[0].both
    assert db.main.get("household", rid).data["house_no"] == "119/5"  # nothing written
    assert second.isVisible()

    # saving with both kept: the newer house number stays, the village name is added
    monkeypatch.setattr(stale_dialog, "ask_about_changes", lambda *_a: True)
    second.save()
    settle()
    data = db.main.get("household", rid).data
    assert data["house_no"] == "119/5" and data["village_name"] == "บ้านใหม่"


# ---------------------------------------------------------------- closing the editor
@pytest.mark.parametrize("answer", [1, 2])
def test_close_with_unsaved_changes_then_draft_or_discard_closes_the_editor(
    qtbot: Any, ui_app: Any, db: Database, monkeypatch: pytest.MonkeyPatch, answer: int
) -> None:
    dlg = RecordEditorDialog(None, db, ui_app, "household")
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.editor.widget("house_no").set_value("55")
    dlg.editor.widget("house_no").value_changed.emit()
    assert dlg.dirty
    monkeypatch.setattr(record_editor, "_ask", lambda *_a: answer)
    dlg.close_button.click()
    settle()
    assert not dlg.isVisible()
    kept = [d.key for d in drafts.list_drafts(db.main)]
    assert (dlg.draft_key in kept) == (answer == 1)


def test_escape_asks_and_closes_the_editor(
    qtbot: Any, ui_app: Any, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    dlg = RecordEditorDialog(None, db, ui_app, "household")
    qtbot.addWidget(dlg)
    dlg.show()
    asked: list[str] = []
    monkeypatch.setattr(record_editor, "_ask", lambda *a: asked.append(a[1]) or 2)
    dlg.editor.widget("house_no").set_value("55")
    dlg.editor.widget("house_no").value_changed.emit()
    qtbot.keyClick(dlg, Qt.Key.Key_Escape)
    settle()
    assert asked and not dlg.isVisible()


# ---------------------------------------------------------------- fitting 1366×768
LAPTOP = QRect(0, 0, 1366, 740)  # what a 1366×768 screen leaves with a panel


@pytest.fixture
def laptop_screen() -> QRect:
    """The tests' screen is 1366×768 (tests/screen-1366x768.json)."""
    area = QApplication.primaryScreen().availableGeometry()
    assert (area.width(), area.height()) == (1366, 768)
    return area


def inside(widget: QWidget, area: QRect) -> bool:
    """The window is on the screen's available area, and could shrink to fit beside a panel."""
    frame = widget.frameGeometry()
    return (
        area.contains(frame)
        and widget.minimumSizeHint().width() <= LAPTOP.width()
        and widget.minimumSizeHint().height() <= LAPTOP.height()
    )


def on_screen(widget: QWidget, window: QWidget) -> bool:
    """The widget is shown and lies wholly inside its window."""
    top_left = widget.mapTo(window, QPoint(0, 0))
    return widget.isVisible() and QRect(top_left, widget.size()).intersected(window.rect()) == QRect(
        top_left, widget.size()
    )


@pytest.mark.parametrize("size", [0, 18])
def test_main_window_and_editor_fit_a_laptop_screen_and_save_stays_visible(
    qtbot: Any, ui_app: Any, db: Database, laptop_screen: QRect, size: int
) -> None:
    apply_font(size)
    try:
        window = open_window(qtbot, db, ui_app)
        assert inside(window, laptop_screen), (window.size(), window.minimumSizeHint())
        assert window.navigator.width() > 0 and not window.splitter.sizes()[0] == 0
        dlg = window.new_record("household")
        settle()
        assert inside(dlg, laptop_screen), (dlg.size(), dlg.minimumSizeHint())
        dlg.add_row()
        dlg.add_row()
        dlg.add_row()
        settle()
        assert len(dlg.editor.current_repeat().rows) == 3
        assert inside(dlg, laptop_screen), (dlg.size(), dlg.minimumSizeHint())
        for button in (dlg.save_button, dlg.close_button, dlg.editor.next_button):
            assert on_screen(button, dlg)
    finally:
        apply_font(int(ui_app.get("font_size")))


@pytest.mark.parametrize("size", [0, 18])
def test_one_members_short_questions_stand_side_by_side_and_none_is_cut_or_covered(
    qtbot: Any, ui_app: Any, db: Database, laptop_screen: QRect, size: int
) -> None:
    """The members page on a 1366×768 laptop: short questions in columns (three at the desktop's
    size, two at 18 pt), lists of choices across the page, computed results a line each."""
    apply_font(size)
    try:
        window = open_window(qtbot, db, ui_app)
        dlg = window.open_record("household", window.pages["household"].model.id_at(0))
        dlg.editor.go_to([s.id for s in dlg.form.sections].index("members"))
        settle()
        repeat = dlg.editor.current_repeat()
        assert repeat is not None and repeat.rows
        panel = repeat.panel
        shown = {fid: row for fid, row in panel.rows.items() if not row.isHidden()}
        names = [shown[f].geometry() for f in ("first_name", "middle_name", "last_name")]
        assert names[0].top() == names[1].top() and names[0].right() < names[1].left()  # side by side
        assert shown["welfare"].width() > panel.width() * 0.9  # a list of ticks across the page
        answered = [r for r in shown.values() if r.field.type != "calculated"]
        for row in shown.values():  # every question gets the height it needs, inside the page
            assert row.height() >= row.heightForWidth(row.width()), row.field.id
            assert 0 <= row.x() and row.geometry().right() < panel.width(), row.field.id
        rows = list(shown.values())
        for i, a in enumerate(rows):
            for b in rows[i + 1 :]:
                assert not a.geometry().intersects(b.geometry()), (a.field.id, b.field.id)
        # one member's questions take about half the height they take one under another
        span = max(r.geometry().bottom() for r in answered) - min(r.y() for r in answered)
        one_column = sum(r.heightForWidth(panel.width()) for r in answered)
        assert span < 0.7 * one_column, (span, one_column)
        dlg.close()
    finally:
        apply_font(int(ui_app.get("font_size")))


def preview_file(folder: Path) -> Path:
    """An XLSForm to preview (a Thai household survey)."""
    from tests.test_xlsform import _thai_household

    path = folder / "survey.xlsx"
    _thai_household(path)
    return path


@pytest.mark.parametrize("size", [0, 18])
def test_form_preview_opens_inside_a_laptop_screen_with_its_buttons_in_sight(
    qtbot: Any, ui_app: Any, db: Database, laptop_screen: QRect, tmp_path: Path, size: int
) -> None:
    apply_font(size)
    try:
        window = open_window(qtbot, db, ui_app)
        dlg = window.preview_form(preview_file(tmp_path))
        settle()
        assert dlg is not None
        assert inside(dlg, laptop_screen), (dlg.size(), dlg.minimumSizeHint())
        for button in (dlg.check_button, dlg.close_button, dlg.editor.next_button):
            assert on_screen(button, dlg)
        dlg.close()
    finally:
        apply_font(int(ui_app.get("font_size")))


def test_every_dialog_opens_inside_a_laptop_screen(
    qtbot: Any, ui_app: Any, db: Database, laptop_screen: QRect, tmp_path: Path
) -> None:
    window = open_window(qtbot, db, ui_app)
    rid = window.pages["household"].model.id_at(0)
    area = window.db.main.get("household", rid).data["subdistrict_code"]
    opened = [
        window.open_sync(),
        window.open_conflicts(),
        window.open_report("household", rid),
        window.open_area_report(area, None),
        window.open_import(),
        window.open_export(),
        window.open_backups(),
        window.open_record("household", rid),
        window.new_record("business"),
        window.new_referral(rid),
        window.preview_form(preview_file(tmp_path)),
    ]
    for dlg in opened:
        settle()
        assert dlg is not None
        assert inside(dlg, laptop_screen), (type(dlg).__name__, dlg.size(), dlg.minimumSizeHint())
        dlg.close()


# ---------------------------------------------------------------- keyboard only
class Keyboard:
    """Keys go to whatever has the focus, as on a real laptop; every key is counted."""

    def __init__(self) -> None:
        self.keys = 0

    def press(self, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        target = QApplication.focusWidget() or QApplication.activeWindow()
        assert target is not None
        QTest.keyClick(target, key, modifiers)
        self.keys += 1
        settle()

    def type(self, text: str) -> None:
        for ch in text:
            QTest.sendKeyEvent(
                QTest.KeyAction.Click,
                QApplication.focusWidget(),
                Qt.Key.Key_unknown,
                ch,
                Qt.KeyboardModifier.NoModifier,
            )
            self.keys += 1
        settle()

    def run(self, steps: list[str]) -> None:
        named = {
            "Enter": (Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier),
            "Space": (Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier),
            "Down": (Qt.Key.Key_Down, Qt.KeyboardModifier.NoModifier),
            "Right": (Qt.Key.Key_Right, Qt.KeyboardModifier.NoModifier),
            "Ctrl+M": (Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier),
            "Ctrl+PgDn": (Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier),
            "Ctrl+S": (Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier),
        }
        for step in steps:
            if step in named:
                self.press(*named[step])
            else:
                self.type(step)


def member_steps(
    national_id: str,
    first: str,
    last: str,
    birth: str,
    prefix_downs: int,
    relation_downs: int,
    sex_rights: int,
) -> list[str]:
    """From the member's first question (the kind of ID card, already Thai ID) to the relation."""
    return (
        ["Enter", national_id, "Enter"]
        + ["Down"] * prefix_downs
        + ["Enter", first, "Enter", "Enter", last, "Enter"]
        + ["Right"] * sex_rights
        + ["Space", "Enter", birth, "Enter"]
        + ["Down"] * relation_downs
    )


# from the relation, an adult's questions by age: lives here (yes already), marital status and
# education (not required, passed), studying (passed), literate (yes), main occupation (agriculture)
ADULT_BY_AGE = ["Enter", "Enter", "Enter", "Enter", "Enter", "Space", "Enter", "Down"]
# a child of 9: lives here, education (passed), studying (yes); no occupation or marital status
CHILD_BY_AGE = ["Enter", "Enter", "Enter", "Space"]


class WatchedKeyboard(Keyboard):
    """Also checks after every key that the question with the focus is on screen: nobody had to
    scroll by hand to see what they answer."""

    def __init__(self) -> None:
        super().__init__()
        self.out_of_sight: list[str] = []
        self.typed = 0  # characters of names, numbers and dates (the rest are Enter, arrows, Space ...)

    def press(self, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        super().press(key, modifiers)
        focus = QApplication.focusWidget()
        area = focus.parentWidget() if focus is not None else None
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        if focus is None or area is None:
            return
        port = area.viewport()
        top_left = focus.mapTo(port, QPoint(0, 0))
        if not port.rect().intersects(QRect(top_left, focus.size())):
            self.out_of_sight.append(type(focus).__name__)

    def type(self, text: str) -> None:
        super().type(text)
        self.typed += len(text)


def test_keyboard_only_a_household_with_three_members_is_recorded_and_saved_complete(
    qtbot: Any, ui_app: Any, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three members of different ages (47, 44 and 9), every required question answered, by keys
    alone: the save asks nothing and the household is complete."""
    from fieldapp import thai

    def nid(first12: str) -> str:
        return first12 + str(thai.national_id_check_digit(first12))

    window = open_window(qtbot, db, ui_app)
    window.activateWindow()
    settle()
    keyboard = WatchedKeyboard()
    QTest.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # + New household
    keyboard.keys += 1
    settle()
    dlg = window.editors[-1]
    record_id = dlg.record_id
    dlg.activateWindow()
    settle()
    count_before = db.main.count("household")
    asked: list[str] = []  # a complete household saves without a question
    monkeypatch.setattr(record_editor, "_ask", lambda _p, title, *_a: asked.append(title) or 2)
    keyboard.run(
        # visit: an interview today by the signed-in user, as the page opens
        ["Ctrl+PgDn"]  # noqa: RUF005
        # consent: yes, yes, who; the date is today already
        + ["Space", "Enter", "Space", "Enter", "สมชาย ใจดี", "Enter", "Enter", "Enter"]
        # address: the subdistrict and village come from the last household recorded
        + ["Enter", "Enter", "12/3"]
        # members: the first from "+ Add", the others with Ctrl+M
        + ["Ctrl+PgDn", "Enter"]
        + member_steps(nid("310140012345"), "สมชาย", "ใจดี", "01/01/2522", 1, 0, 0)
        + ADULT_BY_AGE
        + ["Ctrl+M"]
        + member_steps(nid("310140012346"), "สมหญิง", "ใจดี", "15/06/2525", 2, 2, 1)
        + ADULT_BY_AGE
        + ["Ctrl+M"]
        + member_steps(nid("110140012347"), "น้ำฝน", "ใจดี", "02/02/2560", 5, 3, 1)
        + CHILD_BY_AGE
        # housing: tenure and condition; land: nothing; income: the five required amounts
        + ["Ctrl+PgDn", "Down", "Enter", "Space", "Ctrl+PgDn", "Ctrl+PgDn"]
        + ["12000", "Enter", "0", "Enter", "0", "Enter", "0", "Enter", "Enter", "Enter", "0"]
    )
    assert dlg.editor.check_for_save()[1:] == ([], [])  # nothing wrong, nothing missing
    keyboard.run(["Ctrl+S"])
    settle()
    assert asked == []
    assert db.main.count("household") == count_before + 1
    rec = db.main.get("household", record_id)
    members = rec.data["members"]
    assert [m["first_name"] for m in members] == ["สมชาย", "สมหญิง", "น้ำฝน"]
    assert [m["relation"] for m in members][:2] == ["head", "spouse"]
    assert [m.get("occupation") for m in members] == ["agriculture", "agriculture", None]
    assert [m.get("literate") for m in members][:2] == [True, True]
    assert members[2]["studying"] is True
    assert rec.data["house_no"] == "12/3" and rec.data["subdistrict_code"]
    assert rec.data["consent_by"] == "สมชาย ใจดี"
    assert rec.data["tenure"] and rec.data["house_condition"] and rec.data["income_other"] == 0
    assert record_id not in drafts.incomplete_ids(db.main, "household")  # saved complete
    assert not window.editors  # saved and closed
    # the effort recorded in docs/desktop.md: no click, no scrolling by hand, this many keys
    assert keyboard.out_of_sight == []
    assert (keyboard.keys, keyboard.typed) == EFFORT_KEYS


EFFORT_KEYS = (210, 120)  # every key, of which typed characters


# ---------------------------------------------------------------- mouse
class Mouse:
    """A person with a mouse: a click for every button, choice and box to type in, the keyboard only
    to type names, numbers and dates. Counts the clicks, the scrolls needed to bring what is clicked
    into sight (one per wheel gesture), and the typed characters."""

    def __init__(self) -> None:
        self.clicks = 0
        self.scrolls = 0
        self.keys = 0

    @staticmethod
    def settle() -> None:
        """A person looks before the next click: the questions an answer brings up are there."""
        QTest.qWait(CHECK_DELAY_MS + 20)
        settle()

    def reach(self, widget: QWidget) -> None:
        area = widget.parentWidget()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        if isinstance(area, QScrollArea):
            port = area.viewport()
            if not port.rect().contains(QRect(widget.mapTo(port, QPoint(0, 0)), widget.size())):
                area.ensureWidgetVisible(widget, 0, 24)
                self.scrolls += 1
                self.settle()

    def click(self, widget: QWidget) -> None:
        self.reach(widget)
        assert widget.isVisible() and widget.isEnabled(), widget
        # a choice is clicked on its circle, a box in its middle
        where = QPoint(8, widget.height() // 2) if isinstance(widget, QRadioButton) else widget.rect().center()
        QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where)
        self.clicks += 1
        self.settle()

    def choose(self, combo: QComboBox, code: str) -> None:
        """Open the drop-down with a click, click the choice in the list."""
        self.click(combo)
        view = combo.view()
        index = view.model().index(combo.findData(code), 0)
        assert index.isValid() and view.isVisible()
        if not view.viewport().rect().contains(view.visualRect(index)):
            view.scrollTo(index)
            self.scrolls += 1
        QTest.qWait(QApplication.doubleClickInterval() + 50)  # reading the list (a quicker click is ignored)
        QTest.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, view.visualRect(index).center()
        )
        self.clicks += 1
        self.settle()
        assert combo.currentData() == code

    def type_into(self, widget: QWidget, text: str) -> None:
        self.click(widget)
        assert QApplication.focusWidget() is widget or widget.isAncestorOf(QApplication.focusWidget())
        for ch in text:
            QTest.sendKeyEvent(
                QTest.KeyAction.Click, QApplication.focusWidget(), Qt.Key.Key_unknown, ch, Qt.KeyboardModifier.NoModifier
            )
            self.keys += 1
        self.settle()


def test_mouse_a_household_with_three_members_is_recorded_and_saved_complete(
    qtbot: Any, ui_app: Any, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The household of the keyboard walk, with the mouse: every click and every scroll counted."""
    from fieldapp import thai
    from ui.widgets.fields import BooleanWidget, SelectOneWidget

    def nid(first12: str) -> str:
        return first12 + str(thai.national_id_check_digit(first12))

    window = open_window(qtbot, db, ui_app)
    mouse = Mouse()
    toolbar_button = next(
        b for bar in window.findChildren(QToolBar) if (b := bar.widgetForAction(window.new_household_action))
    )
    mouse.click(toolbar_button)
    dlg = window.editors[-1]
    record_id = dlg.record_id
    count_before = db.main.count("household")
    asked: list[str] = []
    monkeypatch.setattr(record_editor, "_ask", lambda _p, title, *_a: asked.append(title) or 2)

    def page_widget(field_id: str) -> Any:
        panel = dlg.editor.panels[dlg.editor.pages.currentIndex()]
        assert panel is not None
        return panel.widget(field_id)

    def member(field_id: str) -> Any:
        repeat = dlg.editor.current_repeat()
        assert repeat is not None
        return repeat.panel.widget(field_id)

    def yes(w: BooleanWidget) -> QWidget:
        return w.yes

    def radio(w: SelectOneWidget, code: str) -> QWidget:
        return w.radios[code]

    mouse.click(dlg.editor.next_button)  # visit: an interview today, as the page opens
    mouse.click(yes(page_widget("consent_given")))
    mouse.click(yes(page_widget("consent_sensitive")))
    mouse.type_into(page_widget("consent_by").focus_target(), "สมชาย ใจดี")
    mouse.click(dlg.editor.next_button)
    mouse.type_into(page_widget("house_no").focus_target(), "12/3")  # area and village from the last household
    mouse.click(dlg.editor.next_button)
    repeat = dlg.editor.current_repeat()
    assert repeat is not None
    people = [
        (nid("310140012345"), "mr", "สมชาย", "ใจดี", "1", "01/01/2522", "head"),
        (nid("310140012346"), "mrs", "สมหญิง", "ใจดี", "2", "15/06/2525", "spouse"),
        (nid("110140012347"), "girl", "น้ำฝน", "ใจดี", "2", "02/02/2560", "child"),
    ]
    for n, (national_id, prefix, first, last, sex, birth, relation) in enumerate(people):
        mouse.click(repeat.add_button if n == 0 else dlg.editor.add_row_button)  # the footer's "+ Add another"
        mouse.type_into(member("national_id").focus_target(), national_id)
        mouse.choose(member("prefix").focus_target(), prefix)
        mouse.type_into(member("first_name").focus_target(), first)
        mouse.type_into(member("last_name").focus_target(), last)
        mouse.click(radio(member("sex"), sex))
        mouse.type_into(member("birth_date").focus_target(), birth)
        if relation != "head":  # the first member starts as the head
            mouse.choose(member("relation").focus_target(), relation)
        if n < 2:  # adults: literate, main occupation
            mouse.click(yes(member("literate")))
            mouse.choose(member("occupation").focus_target(), "agriculture")
        else:  # a child of 9: studying
            mouse.click(yes(member("studying")))
    mouse.click(repeat.done_button)  # "no more": on to housing
    mouse.choose(page_widget("tenure").focus_target(), "own")
    mouse.click(page_widget("house_condition").focus_target())
    mouse.click(dlg.editor.next_button)  # land: nothing
    mouse.click(dlg.editor.next_button)
    for field_id, amount in (
        ("income_wage", "12000"),
        ("income_farm", "0"),
        ("income_business", "0"),
        ("income_transfer", "0"),
        ("income_other", "0"),
    ):
        mouse.type_into(page_widget(field_id).focus_target(), amount)
    assert dlg.editor.check_for_save()[1:] == ([], [])  # nothing wrong, nothing missing
    mouse.click(dlg.save_button)
    settle()
    assert asked == []
    assert db.main.count("household") == count_before + 1
    rec = db.main.get("household", record_id)
    members = rec.data["members"]
    assert [m["first_name"] for m in members] == ["สมชาย", "สมหญิง", "น้ำฝน"]
    assert [m["relation"] for m in members] == ["head", "spouse", "child"]
    assert [m["birth_date"] for m in members] == ["1979-01-01", "1982-06-15", "2017-02-02"]
    assert [m.get("occupation") for m in members] == ["agriculture", "agriculture", None]
    assert rec.data["house_no"] == "12/3" and rec.data["consent_by"] == "สมชาย ใจดี"
    assert record_id not in drafts.incomplete_ids(db.main, "household")  # saved complete
    # the effort recorded in docs/desktop.md
    assert (mouse.clicks, mouse.scrolls, mouse.keys) == EFFORT_MOUSE


EFFORT_MOUSE = (55, 12, 120)  # clicks, scrolls to reach what is clicked, typed characters


# ---------------------------------------------------------------- mouse for buttons, keys for answers
class MouseAndKeys(WatchedKeyboard):
    """How a village leader works: a click on the buttons (a new household, the next page, another
    member, save), the answers given with the keys as the app leads from one question to the next
    (type, Enter; a choice with the arrows or Space). Counts the clicks, the scrolls needed to bring a
    button into sight and every key; after every key the question with the focus must be on screen."""

    def __init__(self) -> None:
        super().__init__()
        self.mouse = Mouse()

    def click(self, widget: QWidget) -> None:
        self.mouse.click(widget)

    def click_into(self, widget: QWidget) -> None:
        """Click into the question before typing, unless the app has put the focus there already."""
        focus = QApplication.focusWidget()
        if focus is not widget and not (focus is not None and widget.isAncestorOf(focus)):
            self.mouse.click(widget)


def test_mouse_for_buttons_keys_for_answers_a_household_with_three_members_in_few_clicks(
    qtbot: Any, ui_app: Any, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The household of the keyboard walk, the way it is usually entered: the mouse for the buttons,
    the keyboard for the answers. The app puts the focus in the first question of each page and of
    each new member, so no click goes into a box."""
    from fieldapp import thai

    def nid(first12: str) -> str:
        return first12 + str(thai.national_id_check_digit(first12))

    window = open_window(qtbot, db, ui_app)
    window.activateWindow()
    settle()
    walk = MouseAndKeys()
    toolbar_button = next(
        b for bar in window.findChildren(QToolBar) if (b := bar.widgetForAction(window.new_household_action))
    )
    walk.click(toolbar_button)
    dlg = window.editors[-1]
    record_id = dlg.record_id
    dlg.activateWindow()
    settle()
    count_before = db.main.count("household")
    asked: list[str] = []
    monkeypatch.setattr(record_editor, "_ask", lambda _p, title, *_a: asked.append(title) or 2)

    def first_question() -> QWidget:
        panel = dlg.editor.panels[dlg.editor.pages.currentIndex()]
        assert panel is not None
        ids = [i for i in panel.visible_ids() if panel.rows[i].field.type not in ("note", "calculated")]
        target: QWidget = panel.widget(ids[0]).focus_target()
        return target

    def next_page() -> None:
        walk.click(dlg.editor.next_button)
        walk.click_into(first_question())

    next_page()  # visit: an interview today by the signed-in user, as the page opens
    # consent: yes, yes, who; the date is today already; Enter after the last goes on to the address
    walk.run(["Space", "Enter", "Space", "Enter", "สมชาย ใจดี", "Enter", "Enter", "Enter"])
    # address: the subdistrict and village come from the last household recorded
    walk.run(["Enter", "Enter", "12/3"])
    next_page()
    repeat = dlg.editor.current_repeat()
    assert repeat is not None
    assert not dlg.editor.add_row_button.isVisible()  # in the footer once there is a member to follow
    walk.click(repeat.add_button)
    walk.click_into(repeat.panel.widget("id_type").focus_target())
    walk.run(member_steps(nid("310140012345"), "สมชาย", "ใจดี", "01/01/2522", 1, 0, 0) + ADULT_BY_AGE)
    assert on_screen(dlg.editor.add_row_button, dlg)
    walk.click(dlg.editor.add_row_button)  # "+ Add another" in the footer, in sight
    walk.click_into(repeat.panel.widget("id_type").focus_target())
    walk.run(member_steps(nid("310140012346"), "สมหญิง", "ใจดี", "15/06/2525", 2, 2, 1) + ADULT_BY_AGE)
    assert on_screen(dlg.editor.add_row_button, dlg)
    walk.click(dlg.editor.add_row_button)  # "+ Add another" in the footer, in sight
    walk.click_into(repeat.panel.widget("id_type").focus_target())
    walk.run(member_steps(nid("110140012347"), "น้ำฝน", "ใจดี", "02/02/2560", 5, 3, 1) + CHILD_BY_AGE)
    next_page()  # housing: tenure and condition
    assert not dlg.editor.add_row_button.isVisible()  # only on the members page
    walk.run(["Down", "Enter", "Space"])
    next_page()  # land: nothing
    next_page()  # income: the five required amounts
    walk.run(["12000", "Enter", "0", "Enter", "0", "Enter", "0", "Enter", "Enter", "Enter", "0"])
    assert dlg.editor.check_for_save()[1:] == ([], [])  # nothing wrong, nothing missing
    walk.click(dlg.save_button)
    settle()
    assert asked == []
    assert db.main.count("household") == count_before + 1
    rec = db.main.get("household", record_id)
    members = rec.data["members"]
    assert [m["first_name"] for m in members] == ["สมชาย", "สมหญิง", "น้ำฝน"]
    assert [m["relation"] for m in members] == ["head", "spouse", "child"]
    assert [m["birth_date"] for m in members] == ["1979-01-01", "1982-06-15", "2017-02-02"]
    assert [m.get("occupation") for m in members] == ["agriculture", "agriculture", None]
    assert members[2]["studying"] is True
    assert rec.data["house_no"] == "12/3" and rec.data["consent_by"] == "สมชาย ใจดี"
    assert rec.data["tenure"] and rec.data["house_condition"] and rec.data["income_other"] == 0
    assert record_id not in drafts.incomplete_ids(db.main, "household")  # saved complete
    assert not window.editors  # saved and closed
    # the effort recorded in docs/desktop.md: nothing typed out of sight, at most 15 clicks
    assert walk.out_of_sight == []
    assert (walk.mouse.clicks, walk.mouse.scrolls, walk.keys, walk.typed) == EFFORT_MOUSE_AND_KEYS
    assert walk.mouse.clicks <= 15


EFFORT_MOUSE_AND_KEYS = (10, 0, 200, 120)  # clicks, scrolls to reach a button, every key, of which typed
