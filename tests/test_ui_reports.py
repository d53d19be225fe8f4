"""The report preview: rendered in the background, pages rasterised without QtPdf, saved and
printed with an audit entry; national IDs in full only after the checkbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QLabel

from fieldapp import browse, thai
from ui import tasks
from ui.db import Database
from ui.dialogs.report_preview import ReportPreviewDialog, ReportRequest, area_request
from ui.navigator import AREA_ROLE


def settle() -> None:
    tasks.wait_all(60)


def audit_actions(db: Database, record_id: str | None = None) -> list[str]:
    sql = "SELECT action FROM audit_log" + (" WHERE record_id = ?" if record_id else "") + " ORDER BY id"
    return [r[0] for r in db.main.conn.execute(sql, [record_id] if record_id else [])]


def pages_shown(dlg: ReportPreviewDialog) -> list[QPixmap]:
    return [lbl.pixmap() for lbl in dlg.pages_host.findChildren(QLabel) if not lbl.pixmap().isNull()]


def test_the_household_report_preview_renders_pages_of_a_demo_household(
    qtbot: Any, ui_app: Any, ui_db_path: Path, tmp_path: Path
) -> None:
    db = Database(ui_db_path)
    hid = db.main.ids("household")[0]
    dlg = ReportPreviewDialog(None, db, ui_app, ReportRequest("household", hid, title="x"))
    qtbot.addWidget(dlg)
    dlg.show()
    settle()
    assert dlg.error is None and dlg.rendered is not None
    assert dlg.page_count() >= 2
    shown = pages_shown(dlg)
    assert len(shown) == dlg.page_count()
    assert shown[0].width() > 700 and shown[0].height() > shown[0].width()  # A4 portrait
    assert "หน้า" in dlg.status_label.text()
    assert dlg.rendered.pdf.startswith(b"%PDF")
    assert dlg.save_button.isEnabled() and dlg.print_button.isEnabled()
    assert not any(tmp_path.glob("*.pdf"))  # the preview writes no file

    # saving writes the bytes where asked and records a print
    out = dlg.save_to(tmp_path / "report.pdf")
    settle()
    assert out.read_bytes() == dlg.rendered.pdf
    assert audit_actions(db, hid).count("print") == 1 and "print_unmasked" not in audit_actions(db, hid)


def test_national_ids_in_full_only_after_the_checkbox_and_recorded(
    qtbot: Any, ui_app: Any, ui_db_path: Path, tmp_path: Path
) -> None:
    db = Database(ui_db_path)
    hid = next(i for i in db.main.ids("household") if db.main.get("household", i).data["members"][0].get(
        "national_id"))
    nid = db.main.get("household", hid).data["members"][0]["national_id"]
    dlg = ReportPreviewDialog(None, db, ui_app, ReportRequest("household", hid))
    qtbot.addWidget(dlg)
    settle()
    masked = dlg.rendered.pdf if dlg.rendered else b""
    assert not dlg.unmask_box.isChecked()
    dlg.set_unmask(True, confirm=False)
    settle()
    assert dlg.rendered is not None and dlg.rendered.unmask and dlg.rendered.pdf != masked
    assert "เต็ม" in dlg.status_label.text()
    dlg.save_to(tmp_path / "full.pdf")
    settle()
    assert audit_actions(db, hid)[-2:] == ["print", "print_unmasked"]
    assert thai.format_national_id(nid)  # a valid id was shown in full


def test_printing_paints_every_page_at_300_dpi_and_is_recorded(
    qtbot: Any, ui_app: Any, ui_db_path: Path, tmp_path: Path
) -> None:
    db = Database(ui_db_path)
    bid = db.main.ids("business")[0]
    dlg = ReportPreviewDialog(None, db, ui_app, ReportRequest("business", bid))
    qtbot.addWidget(dlg)
    settle()
    assert dlg.page_count() >= 1
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setResolution(300)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    dlg.print_to(printer)
    settle()
    import pypdfium2 as pdfium

    printed = pdfium.PdfDocument(str(tmp_path / "printed.pdf"))
    assert len(printed) == dlg.page_count()
    printed.close()
    assert "print" in audit_actions(db, bid)
    assert "เครื่องพิมพ์" in dlg.status_label.text()


def test_the_area_report_is_reached_from_the_navigator(qtbot: Any, ui_app: Any, ui_db_path: Path) -> None:
    from ui.mainwindow import MainWindow

    assert area_request(None, None) is None
    assert area_request("32", None).area == {"province": "32"}  # type: ignore[union-attr]
    assert area_request("3201", None).area == {"district": "3201"}  # type: ignore[union-attr]
    assert area_request("320101", 4).area == {"village": ("320101", 4)}  # type: ignore[union-attr]

    window = MainWindow(Database(ui_db_path), ui_app)
    qtbot.addWidget(window)
    window.show()
    window.start()
    settle()
    sub = browse.area_counts(window.db.main, "household")[0].subdistrict
    model = window.navigator.model
    found = model.match(model.index(0, 0), AREA_ROLE, sub, 1, Qt.MatchFlag.MatchRecursive)
    assert found
    menu = window.navigator.menu_for(found[0])
    assert [a.text() for a in menu.actions()] == ["รายงานพื้นที่"]
    menu.actions()[0].trigger()
    settle()
    dlg = window.findChild(ReportPreviewDialog)
    assert dlg is not None and dlg.request.area == {"subdistricts": [sub]}
    assert dlg.error is None and dlg.page_count() >= 1 and pages_shown(dlg)
    assert "รายงานกรณีศึกษาพื้นที่" in dlg.windowTitle()
    # the household list's context menu and the summary lead to the household report
    window.pages["household"].table.selectRow(0)
    settle()
    texts = [a.text() for a in window.pages["household"].menu_for(0).actions()]
    assert "รายงานครัวเรือน" in texts
    assert window.summary.report_button.isEnabled()


def test_the_preview_shows_the_official_pages_that_are_printed(
    qtbot: Any, ui_app: Any, ui_db_path: Path
) -> None:
    """Official style by default, with the office and province from the settings; the pages shown
    are rasterised from the very bytes that are saved and printed; the screen style is one click away."""
    import pypdfium2 as pdfium

    ui_app.set("report_office", "สำนักงานพัฒนาสังคมและความมั่นคงของมนุษย์")
    ui_app.set("report_province", "ยโสธร")
    db = Database(ui_db_path)
    hid = db.main.ids("household")[0]
    dlg = ReportPreviewDialog(None, db, ui_app, ReportRequest("household", hid))
    qtbot.addWidget(dlg)
    settle()
    assert dlg.style_box.currentData() == "official"
    assert dlg.rendered is not None
    doc = pdfium.PdfDocument(dlg.rendered.pdf)
    try:
        texts = [page.get_textpage().get_text_range() for page in doc]
        width = doc[0].get_width()
    finally:
        doc.close()
    assert "สำนักงานพัฒนาสังคมและความมั่นคงของมนุษย์ จังหวัดยโสธร" in texts[0]
    assert all(t.startswith(f"- {n} -") for n, t in enumerate(texts[1:], start=2))
    assert len(pages_shown(dlg)) == len(texts) and abs(width - 595.28) < 0.5
    official = dlg.rendered.pdf
    dlg.style_box.setCurrentIndex(dlg.style_box.findData("screen"))
    settle()
    assert dlg.rendered is not None and dlg.rendered.pdf != official
    ui_app.set("report_office", "")
    ui_app.set("report_province", "")
