"""Export a form's records to CSV, Excel or GeoJSON, for all areas or the one chosen in the navigator."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp import geo
from fieldapp.errors import NotFoundError
from fieldapp.exchange.exporter import ExportResult, export

from ..db import Database
from ..errors import show_error
from ..i18n import label_of, language, tr
from ..settings import Settings
from ..tasks import Task, TaskState
from . import geometry

FORMS = ("household", "business", "referral")
FORMATS = ("xlsx", "csv", "geojson")


def format_label(fmt: str) -> str:
    return {"xlsx": tr("Excel (.xlsx)"), "csv": tr("CSV (.csv, opens in Excel)"),
            "geojson": tr("GeoJSON (.geojson, for maps)")}[fmt]


class ExportDialog(QDialog):
    def __init__(self, parent: QWidget | None, db: Database, settings: Settings, area: str | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.settings = settings
        self.area = area
        self.outcome: ExportResult | None = None
        self.setWindowTitle(tr("Export data"))
        lay = QVBoxLayout(self)
        heading = QLabel(tr("Export data"))
        heading.setObjectName("heading")
        lay.addWidget(heading)
        form = QFormLayout()
        self.form_combo = QComboBox()
        for f in FORMS:
            self.form_combo.addItem(label_of(db.main.form(f).title, f), f)
        form.addRow(tr("Records"), self.form_combo)
        self.format_combo = QComboBox()
        for fmt in FORMATS:
            self.format_combo.addItem(format_label(fmt), fmt)
        form.addRow(tr("File type"), self.format_combo)
        self.area_combo = QComboBox()
        self.area_combo.addItem(tr("All areas"), None)
        if area:
            try:
                name = geo.area(area).label(language())
            except NotFoundError:
                name = area
            self.area_combo.addItem(tr("Only {area}", area=name), area)
            self.area_combo.setCurrentIndex(1)
        form.addRow(tr("Area"), self.area_combo)
        self.codes_box = QCheckBox(tr("Codes instead of Thai labels (for other programs)"))
        form.addRow("", self.codes_box)
        self.unmask_box = QCheckBox(tr("National ID numbers in full"))
        self.unmask_box.clicked.connect(self._unmask_clicked)
        form.addRow("", self.unmask_box)
        lay.addLayout(form)
        note = QLabel(tr("Household members, products and employees go to their own sheet (Excel) or file "
                         "(CSV). National ID numbers are masked unless you ask for them. Every export is "
                         "recorded."))
        note.setWordWrap(True)
        note.setObjectName("hint")
        lay.addWidget(note)
        self.status = QLabel()
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        lay.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        close = QPushButton(tr("Close"))
        close.clicked.connect(self.reject)
        self.export_button = QPushButton(tr("Export..."))
        self.export_button.setObjectName("primary")
        self.export_button.clicked.connect(self._export)
        buttons.addWidget(close)
        buttons.addWidget(self.export_button)
        lay.addLayout(buttons)
        hint = self.sizeHint()
        geometry.open_sized(self, settings, "export", max(680, hint.width()), max(480, hint.height()))
        self.finished.connect(lambda _r: geometry.remember(self, settings, "export"))

    def _unmask_clicked(self, checked: bool) -> None:
        if not checked:
            return
        answer = QMessageBox.warning(
            self, tr("Export national ID numbers in full?"),
            tr("National ID numbers are personal data. Export them in full only when an agency needs them, "
               "and keep the file safe. The export is recorded."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        self.unmask_box.setChecked(answer == QMessageBox.StandardButton.Yes)

    def _export(self) -> None:
        fmt = str(self.format_combo.currentData())
        form_id = str(self.form_combo.currentData())
        start = Path.home() / f"{form_id}.{fmt}"
        name, _ = QFileDialog.getSaveFileName(self, tr("Export to"), str(start), format_label(fmt))
        if not name:
            return
        if not name.lower().endswith("." + fmt):
            name += "." + fmt
        self.export_to(Path(name))

    def export_to(self, path: Path) -> Task[ExportResult]:
        """Export with the chosen options to ``path`` in the background (the button asks for the path)."""
        db = self.db
        form_id, fmt = str(self.form_combo.currentData()), str(self.format_combo.currentData())
        area = self.area_combo.currentData()
        unmask, codes = self.unmask_box.isChecked(), self.codes_box.isChecked()
        self.export_button.setEnabled(False)
        self.status.setText(tr("Exporting..."))

        def work(state: TaskState) -> ExportResult:
            return export(db.store(), form_id, fmt, path, areas=[area] if area else None, unmask=unmask,
                          codes=codes, progress=state.progress, cancel=lambda: state.cancelled)

        def done(r: ExportResult) -> None:
            self.outcome = r
            self.export_button.setEnabled(True)
            if r.cancelled:
                self.status.setText(tr("Cancelled: no file was written."))
                return
            files = ", ".join(p.name for p in r.files)
            self.status.setText(tr("Exported {n} records to {files} in {folder}", n=f"{r.records:,}", files=files,
                                   folder=str(path.parent)))

        def failed(exc: Exception) -> None:
            self.export_button.setEnabled(True)
            self.status.clear()
            show_error(self, exc)

        return Task(work, write=True).on_success(done).on_failure(failed).with_progress(
            tr("Exporting..."), self).start()


def show_export(parent: QWidget | None, db: Database, settings: Settings, area: str | None = None) -> ExportDialog:
    dlg = ExportDialog(parent, db, settings, area)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dlg.show()
    return dlg
