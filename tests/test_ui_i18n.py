"""Every string of the desktop app has Thai, Qt's own strings included; English is switchable."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QAbstractButton,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QTabWidget,
    QWidget,
)

from ui import i18n
from ui.settings import SETTINGS

THAI = re.compile(r"[\u0E00-\u0E7F]")
# texts that may stay as they are in Thai (codes, names of systems, symbols)
ALLOWED = re.compile(r"^[\s\d.,:/()\-+–—•●★▲▼◀▶✓✗⚠%]*(TPMAP|OTOP|GPS|fieldapp|x-xxxx-xxxxx-xx-x|08x-xxx-xxxx|"
                     r"14\.8818|103\.4936|English|ไทย)?[\s\d.,:/()\-+–—•●★▲▼◀▶✓✗⚠%]*$")


def test_every_ui_string_has_a_thai_translation() -> None:
    catalogue = i18n.load_catalogue()["ui"]
    missing = {s: where for s, where in i18n.source_strings().items()
               if not THAI.search(catalogue.get(s, "")) and not ALLOWED.match(catalogue.get(s, s))}
    assert not missing, f"strings without Thai in translations/th.json: {missing}"


def test_declared_settings_have_thai_titles() -> None:
    catalogue = i18n.load_catalogue()["ui"]
    assert all(THAI.search(catalogue.get(s.title, "")) for s in SETTINGS)


def test_no_tr_call_hides_its_text_from_the_check() -> None:
    assert i18n.dynamic_tr_calls() == []


def test_placeholders_survive_translation() -> None:
    for source, thai in i18n.load_catalogue()["ui"].items():
        assert set(re.findall(r"{\w+}", source)) == set(re.findall(r"{\w+}", thai)), source


def test_qt_standard_buttons_and_context_menus_are_thai(ui_app: Any) -> None:
    assert Path(i18n.qm_path()).exists()
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
                           | QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close)
    assert sorted(b.text() for b in box.buttons()) == sorted(["ตกลง", "ยกเลิก", "บันทึก", "ปิด"])
    edit = QLineEdit()
    menu = edit.createStandardContextMenu()
    texts = [a.text().split("\t")[0] for a in menu.actions() if a.text()]
    assert "คัดลอก" in texts and "วาง" in texts and "เลือกทั้งหมด" in texts


def test_qt_translation_file_matches_the_catalogue() -> None:
    expected = i18n.qt_ts_text()
    ts = i18n.resources.path("translations", "qt_th.ts")
    assert ts.read_text(encoding="utf-8") == expected, "run: python -m ui.i18n"


def visible_texts(root: QWidget) -> list[str]:
    texts: list[str] = []
    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisibleTo(root) and w is not root:
            continue
        if isinstance(w, QLabel) and w.text():
            texts.append(re.sub(r"<[^>]+>", "", w.text()))
        elif isinstance(w, QAbstractButton) and w.text():
            texts.append(w.text())
        elif isinstance(w, QLineEdit) and w.placeholderText():
            texts.append(w.placeholderText())
        elif isinstance(w, QTabWidget):
            texts += [w.tabText(i) for i in range(w.count())]
    return texts


def test_the_main_window_shows_no_english_in_thai(qtbot: Any, ui_app: Any, ui_db_path: Path) -> None:
    from ui import tasks
    from ui.db import Database
    from ui.mainwindow import MainWindow

    window = MainWindow(Database(ui_db_path), ui_app)
    qtbot.addWidget(window)
    window.show()
    window.start()
    tasks.wait_all()
    page = window.pages["household"]
    page.table.selectRow(0)
    tasks.wait_all()
    texts = visible_texts(window) + [a.text() for a in window.findChildren(type(window.open_action))]
    texts += [str(page.model.headerData(i, __import__("PySide6.QtCore").QtCore.Qt.Orientation.Horizontal))
              for i in range(page.model.columnCount())]
    english = [t for t in texts if re.search(r"[A-Za-z]{3,}", t) and not THAI.search(t) and not ALLOWED.match(t)]
    assert not english, english


def test_language_switch_to_english_and_back(ui_app: Any) -> None:
    try:
        i18n.set_language("en")
        assert i18n.tr("Households") == "Households"
        assert i18n.label_of({"th": "ชื่อ", "en": "First name"}) == "First name"
        assert i18n.qt_translator() is None
        i18n.set_language("th")
        assert i18n.tr("Households") == "ครัวเรือน"
        assert i18n.tr("Moo {no}", no=3) == "หมู่ 3"
        assert i18n.qt_translator() is not None
    finally:
        i18n.set_language("th")
