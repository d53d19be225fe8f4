"""Saving and printing a report to a file: a title with a house number "99/1" gives a name that is one
file in the chosen folder, file errors are in Thai, and Qt's own file and print dialogs speak Thai."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QAbstractButton, QFileDialog, QGroupBox, QLabel, QWidget

from fieldapp.filenames import safe_file_name
from ui import tasks
from ui.db import Database
from ui.dialogs.report_preview import ReportPreviewDialog, ReportRequest
from ui.errors import message_for


def test_a_house_number_with_a_slash_makes_one_file_name() -> None:
    assert safe_file_name("รายงาน: สมหญิง (บ้านเลขที่ 99/1)") == "รายงาน- สมหญิง (บ้านเลขที่ 99-1)"
    assert "/" not in safe_file_name('a/b\\c:d*e?f"g<h>i|j')
    assert not safe_file_name("  ../..  ").startswith(".")
    assert safe_file_name("") == "report"
    assert safe_file_name("CON") == "report-CON"
    long = safe_file_name("บ้าน" * 200)
    assert len(long.encode("utf-8")) <= 200 and long.startswith("บ้าน")


def test_the_report_of_house_99_1_saves_and_prints_to_a_file_under_its_default_name(
    qtbot: Any, ui_app: Any, ui_db_path: Path, tmp_path: Path
) -> None:
    db = Database(ui_db_path)
    hid = db.main.ids("household")[0]
    dlg = ReportPreviewDialog(
        None, db, ui_app, ReportRequest("household", hid, title="สมหญิง ทดสอบดี (บ้านเลขที่ 99/1)")
    )
    qtbot.addWidget(dlg)
    tasks.wait_all(60)
    assert dlg.rendered is not None
    name = dlg.default_file_name()
    assert name.endswith(".pdf") and "/" not in name and "99-1" in name
    out = dlg.save_to(tmp_path / name)
    assert out.parent == tmp_path and out.read_bytes().startswith(b"%PDF")
    # Qt's print dialog suggests <home>/<document name>.pdf for "print to file"
    printer = dlg.new_printer()
    suggested = tmp_path / (printer.docName() + ".pdf")
    assert suggested.parent == tmp_path
    suggested.write_bytes(b"%PDF-1.4")
    assert suggested.exists()
    tasks.wait_all(10)


def test_a_file_that_cannot_be_written_gets_a_thai_reason(ui_app: Any, tmp_path: Path) -> None:
    try:
        (tmp_path / "no-such-folder" / "x.pdf").write_bytes(b"x")
    except OSError as exc:
        text = message_for(exc)
    assert "ไม่พบโฟลเดอร์" in text and "No such file" not in text
    assert not re.search(r"[A-Za-z]{4,} [a-z]{3,}", text.replace(str(tmp_path), ""))


def _texts(root: QWidget) -> list[str]:
    out = [w.text() for w in root.findChildren(QLabel) if w.text()]
    out += [w.text() for w in root.findChildren(QAbstractButton) if w.text()]
    out += [w.title() for w in root.findChildren(QGroupBox) if w.title()]
    return out


def test_qt_file_dialog_is_thai(qtbot: Any, ui_app: Any, tmp_path: Path) -> None:
    fd = QFileDialog(None, "x", str(tmp_path), "PDF (*.pdf)")
    fd.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    fd.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    qtbot.addWidget(fd)
    fd.show()
    texts = _texts(fd)
    assert "ค้นหาใน:" in texts and "ชื่อไฟล์:" in texts and "ชนิดไฟล์:" in texts
    assert "บันทึก" in texts and "ยกเลิก" in texts
    for english in ("&Look in:", "File &name:", "Files of &type:", "&Save", "Look in:", "File name:"):
        assert english not in texts


def test_qt_print_dialog_and_its_file_error_are_thai(qtbot: Any, ui_app: Any) -> None:
    printer = QPrinter()
    dlg = QPrintDialog(printer)
    dlg.show()
    texts = _texts(dlg)
    dlg.close()
    dlg.deleteLater()
    QCoreApplication.processEvents()
    assert "เครื่องพิมพ์" in texts and "พิมพ์" in texts
    assert not {"Printer", "&Print", "Print", "&Options >>", "Output &file:"} & set(texts)
    err = QCoreApplication.translate(
        "QPrintDialog", "File %1 is not writable.\nPlease choose a different file name."
    )
    assert "เลือกชื่อไฟล์อื่น" in err


def test_the_report_preview_opens_within_the_screen_with_its_buttons_in_sight(
    qtbot: Any, ui_app: Any, ui_db_path: Path
) -> None:
    db = Database(ui_db_path)
    hid = db.main.ids("household")[0]
    dlg = ReportPreviewDialog(None, db, ui_app, ReportRequest("household", hid, title="99/1"))
    qtbot.addWidget(dlg)
    dlg.show()
    tasks.wait_all(60)
    avail = dlg.screen().availableGeometry()
    assert dlg.height() <= min(avail.height(), 768) and dlg.width() <= 1366
    for button in (dlg.save_button, dlg.print_button):
        bottom = button.mapTo(dlg, button.rect().bottomLeft()).y()
        assert button.isVisible() and bottom <= dlg.height()
