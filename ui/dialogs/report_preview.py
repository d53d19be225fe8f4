"""Preview, save and print the Thai PDF reports (household, local business, area case study).

The report is built and rendered in the background into memory (bytes, never a temporary file);
its pages are rasterised with pdfium into images shown in a scroll area. "Save as PDF" writes the
bytes where the person chooses; "Print" paints the pages at 300 dpi onto the printer. Both are
recorded in the audit log (``print``, and ``print_unmasked`` when national IDs are shown in full).
"""

from __future__ import annotations

import datetime as _dt
import io
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from fieldapp import geo, ids
from fieldapp.errors import FieldAppError, NotFoundError
from fieldapp.filenames import safe_file_name

from ..db import Database
from ..errors import message_for, show_error
from ..i18n import label_of, language, tr, tr_declared
from ..settings import REPORT_STYLE_TITLES, Settings
from ..tasks import Task, TaskState
from . import geometry

PREVIEW_DPI = 96
PRINT_DPI = 300
MAX_PREVIEW_PAGES = 80
_pdfium = threading.Lock()  # pdfium is not thread-safe: one document operation at a time


@dataclass
class ReportRequest:
    """Which report: ``household``/``business`` with ``record_id``, ``record`` (any form's record)
    with ``form`` and ``record_id``, or ``area`` with ``area`` arguments for ``area_report``
    (``subdistricts``, ``district``, ``province`` or ``village``)."""

    kind: str  # household, business, record, area, or visits (``area``: area, village, on)
    record_id: str | None = None
    area: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    form: str = ""  # the form of a ``record`` report

    @property
    def form_id(self) -> str | None:
        if self.kind == "record":
            return self.form
        return self.kind if self.kind in ("household", "business") else None

    def audit_detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"report": self.kind, "via": "app"}
        if self.kind in ("area", "visits"):
            detail.update({k: list(v) if isinstance(v, tuple) else v for k, v in self.area.items()})
        return detail

    def file_name(self) -> str:
        if self.kind == "visits":
            where = "-".join(str(self.area[k]) for k in ("area", "village") if self.area.get(k) is not None)
            return f"visits-due-{where}-{self.area.get('on') or ''}".replace("--", "-").rstrip("-") + ".pdf"
        base = {"household": "household-report", "business": "business-report", "area": "area-report",
                "record": f"{self.form}-report"}[self.kind]
        tail = ids.short_id(self.record_id or "") if self.kind != "area" else "-".join(
            str(v if not isinstance(v, list | tuple) else "-".join(map(str, v))) for v in self.area.values())
        return f"{base}-{tail}.pdf" if tail else f"{base}.pdf"


def area_request(code: str | None, village: int | None) -> ReportRequest | None:
    """The area report for a node of the area navigator (None for "all areas")."""
    if not code:
        return None
    try:
        name = geo.area(code).label(language())
    except NotFoundError:
        name = code
    if village is not None:
        return ReportRequest("area", area={"village": (code, int(village))},
                             title=tr("Moo {no} {name}", no=village, name=name))
    if len(code) == 2:
        return ReportRequest("area", area={"province": code}, title=name)
    if len(code) == 4:
        return ReportRequest("area", area={"district": code}, title=name)
    return ReportRequest("area", area={"subdistricts": [code]}, title=name)


def render_pdf(db: Database, req: ReportRequest, *, unmask: bool, thai_digits: bool,
               printed_by: str = "", style: str = "official", office: str = "",
               province: str = "") -> tuple[bytes, int]:
    """Build the report's data from the store and render it into memory: (PDF bytes, pages).

    The same renderer as ``fieldapp report``: the preview shows the pages that are saved and printed.
    """
    from fieldapp.reports import render_area, render_business, render_household, render_record
    from fieldapp.reports.build import (
        area_report,
        business_report,
        default_meta,
        household_report,
        record_report_of,
    )

    store = db.store()
    meta = default_meta(printed_by or store.user)
    meta.office, meta.province = office, province
    buf = io.BytesIO()
    if req.kind == "household":
        pages = render_household(household_report(store, req.record_id or "", meta=meta), buf, unmask=unmask,
                                 thai_digits=thai_digits, style=style)
    elif req.kind == "business":
        pages = render_business(business_report(store, req.record_id or "", meta=meta), buf, unmask=unmask,
                                thai_digits=thai_digits, style=style)
    elif req.kind == "record":
        data = record_report_of(store, req.form, req.record_id or "", meta=meta)
        pages = render_record(data, buf, unmask=unmask, thai_digits=thai_digits, style=style)
    elif req.kind == "visits":
        from fieldapp.reports import render_visits
        from fieldapp.reports.build import visits_report

        on = req.area.get("on")
        due = visits_report(store, area=req.area.get("area"), village=req.area.get("village"),
                            today=_dt.date.fromisoformat(on) if on else None, meta=meta)
        pages = render_visits(due, buf, thai_digits=thai_digits, style=style)
    else:
        pages = render_area(area_report(store, meta=meta, **req.area), buf, thai_digits=thai_digits, style=style)
    return buf.getvalue(), pages


def rasterise(pdf: bytes, dpi: float, first: int = 0, last: int | None = None) -> list[QImage]:
    """Pages ``first``..``last`` of a PDF (bytes) as images at ``dpi``."""
    import pypdfium2 as pdfium

    out: list[QImage] = []
    with _pdfium:
        doc = pdfium.PdfDocument(pdf)
        try:
            end = len(doc) if last is None else min(last, len(doc))
            for i in range(first, end):
                page = doc[i]
                out.append(_page_image(page, dpi))
                page.close()
        finally:
            doc.close()
    return out


def _page_image(page: Any, dpi: float) -> QImage:
    bitmap = page.render(scale=dpi / 72, rev_byteorder=True, prefer_bgrx=True)
    try:
        fmt = QImage.Format.Format_RGBX8888 if bitmap.n_channels == 4 else QImage.Format.Format_RGB888
        img = QImage(bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride, fmt).copy()
    finally:
        bitmap.close()
    dots = int(dpi / 0.0254)
    img.setDotsPerMeterX(dots)
    img.setDotsPerMeterY(dots)
    return img


def print_pages(pdf: bytes, printer: QPrinter, state: TaskState | None = None, dpi: int = PRINT_DPI) -> int:
    """Paint every page, rasterised at ``dpi``, onto ``printer`` (one page in memory at a time)."""
    import pypdfium2 as pdfium

    painter = QPainter()
    if not painter.begin(printer):
        raise FieldAppError("เริ่มพิมพ์ไม่ได้ กรุณาตรวจสอบเครื่องพิมพ์", "the printer could not be started")
    printed = 0
    try:
        with _pdfium:
            doc = pdfium.PdfDocument(pdf)
            try:
                total = len(doc)
                for i in range(total):
                    if state is not None and state.cancelled:
                        break
                    if i:
                        printer.newPage()
                    page = doc[i]
                    img = _page_image(page, dpi)
                    page.close()
                    area = painter.viewport()
                    size = img.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
                    target = QRect(area.x() + (area.width() - size.width()) // 2, area.y(), size.width(),
                                   size.height())
                    painter.drawImage(target, img)
                    printed += 1
                    if state is not None:
                        state.progress(i + 1, total)
            finally:
                doc.close()
    finally:
        painter.end()
    return printed


@dataclass
class Rendered:
    pdf: bytes
    pages: int
    images: list[QImage]
    unmask: bool


class ReportPreviewDialog(QDialog):
    def __init__(self, parent: QWidget | None, db: Database, settings: Settings, request: ReportRequest) -> None:
        super().__init__(parent)
        self.db = db
        self.settings = settings
        self.request = request
        self.rendered: Rendered | None = None
        self.error: BaseException | None = None
        self._generation = 0
        self.setWindowTitle(self._title())
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        heading = QLabel(self._title())
        heading.setObjectName("heading")
        heading.setWordWrap(True)
        top.addWidget(heading, 1)
        self.style_box = QComboBox()
        for style, title in REPORT_STYLE_TITLES.items():
            self.style_box.addItem(tr_declared(title), style)
        self.style_box.setCurrentIndex(max(self.style_box.findData(settings.get("report_style")), 0))
        self.style_box.currentIndexChanged.connect(lambda _i: self.rerender())
        top.addWidget(self.style_box)
        self.thai_digits_box = QCheckBox(tr("Thai digits"))
        self.thai_digits_box.toggled.connect(lambda _on: self.rerender())
        top.addWidget(self.thai_digits_box)
        self.unmask_box = QCheckBox(tr("Show national ID numbers in full"))
        self.unmask_box.setVisible(request.kind not in ("area", "visits"))  # they print no ID numbers
        self.unmask_box.clicked.connect(self._unmask_clicked)
        top.addWidget(self.unmask_box)
        lay.addLayout(top)
        self.status_label = QLabel()
        self.status_label.setObjectName("hint")
        self.status_label.setWordWrap(True)
        lay.addWidget(self.status_label)
        self.pages_host = QWidget()
        self.pages_host.setStyleSheet("background: #8c8a85;")
        self.pages_layout = QVBoxLayout(self.pages_host)
        self.pages_layout.setSpacing(16)
        self.pages_layout.setContentsMargins(20, 20, 20, 20)
        self.pages_layout.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.page_scroll = QScrollArea()
        self.page_scroll.setWidgetResizable(True)
        self.page_scroll.setWidget(self.pages_host)
        self.page_scroll.setFrameShape(QFrame.Shape.NoFrame)
        lay.addWidget(self.page_scroll, 1)
        buttons = QHBoxLayout()
        self.save_button = QPushButton(tr("Save as PDF..."))
        self.print_button = QPushButton(tr("Print..."))
        self.print_button.setObjectName("primary")
        close = QPushButton(tr("Close"))
        self.save_button.clicked.connect(self.save_as)
        self.print_button.clicked.connect(self.print_report)
        close.clicked.connect(self.reject)
        buttons.addStretch(1)
        buttons.addWidget(close)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.print_button)
        lay.addLayout(buttons)
        geometry.open_sized(self, settings, "report_preview", 980, 860, maximise_on_small=True)
        self.finished.connect(lambda _r: geometry.remember(self, settings, "report_preview"))
        self.rerender()

    def _title(self) -> str:
        if self.request.kind == "record":  # any other form's record: named by its form
            try:
                form = label_of(self.db.main.form(self.request.form).title, self.request.form)
            except (FieldAppError, KeyError):
                form = self.request.form
            name = tr("Report: {form}", form=form)
        else:
            name = {"household": tr("Household case report"), "business": tr("Local business report"),
                    "area": tr("Area case study"), "visits": tr("Visits due")}[self.request.kind]
        return f"{name}: {self.request.title}" if self.request.title else name

    def default_file_name(self) -> str:
        """The PDF's suggested name: the report's title, with "/" of a house number made safe."""
        return safe_file_name(self._title(), self.request.file_name().removesuffix(".pdf")) + ".pdf"

    # ------------------------------------------------------------------ rendering
    def rerender(self) -> None:
        self._generation += 1
        gen = self._generation
        self.rendered, self.error = None, None
        self._set_ready(False)
        self.status_label.setText(tr("Preparing the report..."))
        db, req = self.db, self.request
        unmask, digits = self.unmask_box.isChecked(), self.thai_digits_box.isChecked()
        style = str(self.style_box.currentData() or "official")
        office, province = str(self.settings.get("report_office")), str(self.settings.get("report_province"))
        ratio = max(1.0, self.devicePixelRatioF())

        def work(_s: TaskState) -> Rendered:
            pdf, pages = render_pdf(db, req, unmask=unmask, thai_digits=digits, style=style, office=office,
                                    province=province)
            return Rendered(pdf, pages, rasterise(pdf, PREVIEW_DPI * ratio, 0, MAX_PREVIEW_PAGES), unmask)

        def done(r: Rendered) -> None:
            if gen == self._generation:
                self._show(r)

        def failed(exc: Exception) -> None:
            if gen == self._generation:
                self.error = exc
                self._clear_pages()
                self.status_label.setText(message_for(exc))

        Task(work).on_success(done).on_failure(failed).with_progress(tr("Preparing the report..."), self).start()

    def _clear_pages(self) -> None:
        while self.pages_layout.count():
            item = self.pages_layout.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.deleteLater()

    def _show(self, r: Rendered) -> None:
        self.rendered = r
        self._clear_pages()
        ratio = max(1.0, self.devicePixelRatioF())
        for img in r.images:
            pix = QPixmap.fromImage(img)
            pix.setDevicePixelRatio(ratio)
            page = QLabel()
            page.setPixmap(pix)
            page.setFixedSize(QSize(int(img.width() / ratio), int(img.height() / ratio)))
            page.setStyleSheet("background: white; border: 1px solid #5d5a55;")
            self.pages_layout.addWidget(page, 0, Qt.AlignmentFlag.AlignHCenter)
        text = tr("{pages} pages", pages=r.pages)
        if r.pages > len(r.images):
            text += " " + tr("(the preview shows the first {n}; saving and printing include all)", n=len(r.images))
        if r.unmask:
            text += " " + tr("- national ID numbers are shown in full")
        self.status_label.setText(text)
        self._set_ready(True)

    def _set_ready(self, on: bool) -> None:
        self.save_button.setEnabled(on)
        self.print_button.setEnabled(on)

    def page_count(self) -> int:
        return self.rendered.pages if self.rendered else 0

    # ------------------------------------------------------------------ national IDs
    def _unmask_clicked(self, checked: bool) -> None:
        self.set_unmask(checked, confirm=True)

    def set_unmask(self, on: bool, *, confirm: bool = True) -> None:
        if on and confirm:
            answer = QMessageBox.warning(
                self, tr("Show national ID numbers in full?"),
                tr("National ID numbers are personal data. Show and print them in full only when an agency "
                   "needs them, and keep the paper safe. Saving or printing this report is recorded."),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                on = False
        self.unmask_box.setChecked(on)
        self.rerender()

    # ------------------------------------------------------------------ output
    def _audit(self, how: str, pages: int, file_name: str | None = None) -> None:
        r = self.rendered
        if r is None:
            return
        db, req = self.db, self.request
        detail = {**req.audit_detail(), "pages": pages, "output": how}
        if file_name:
            detail["file"] = file_name
        unmask = r.unmask

        def work(_s: TaskState) -> None:
            store = db.store()
            with store.transaction():
                store.audit("print", req.form_id, req.record_id, detail)
                if unmask:
                    store.audit("print_unmasked", req.form_id, req.record_id, detail)

        Task(work, write=True).start()

    def save_to(self, path: Path) -> Path:
        """Write the rendered PDF to ``path`` and record it (the save button asks for the path)."""
        r = self.rendered
        if r is None:
            raise RuntimeError("nothing rendered yet")
        path = Path(path)
        tmp = path.with_name(f".{path.name}.part")
        tmp.write_bytes(r.pdf)
        tmp.replace(path)
        self._audit("pdf", r.pages, path.name)
        return path

    def save_as(self) -> None:
        if self.rendered is None:
            return
        start = str(Path.home() / self.default_file_name())
        name, _ = QFileDialog.getSaveFileName(self, tr("Save the report as PDF"), start, tr("PDF files (*.pdf)"))
        if not name:
            return
        if not name.lower().endswith(".pdf"):
            name += ".pdf"
        try:
            self.save_to(Path(name))
        except OSError as exc:
            show_error(self, exc)
            return
        self.status_label.setText(tr("Saved: {path}", path=name))

    def print_report(self) -> None:
        if self.rendered is None:
            return
        printer = self.new_printer()
        dlg = QPrintDialog(printer, self)
        dlg.setWindowTitle(tr("Print the report"))
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return
        self.print_to(printer)

    def new_printer(self) -> QPrinter:
        """A printer for this report; Qt's "print to file" suggests ``~/<document name>.pdf``, so the
        document name is the title made safe for a file name (a house number "99/1" has a "/")."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setResolution(PRINT_DPI)
        printer.setDocName(safe_file_name(self._title()))
        return printer

    def print_to(self, printer: QPrinter) -> Task[int]:
        """Print on ``printer`` in the background (the print button asks for the printer first)."""
        r = self.rendered
        assert r is not None
        self._set_ready(False)
        pdf = r.pdf

        def work(state: TaskState) -> int:
            return print_pages(pdf, printer, state)

        def done(n: int) -> None:
            self._set_ready(True)
            self._audit("printer", n)
            self.status_label.setText(tr("Sent {n} pages to the printer.", n=n))

        def failed(exc: Exception) -> None:
            self._set_ready(True)
            show_error(self, exc)

        return Task(work).on_success(done).on_failure(failed).with_progress(tr("Printing..."), self).start()


def show_report(parent: QWidget | None, db: Database, settings: Settings,
                request: ReportRequest) -> ReportPreviewDialog:
    dlg = ReportPreviewDialog(parent, db, settings, request)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dlg.show()
    return dlg
