"""The import wizard: a list of households (Excel or CSV) into the database, step by step.

1. the file, the form and the text encoding (detected, or chosen);
2. which column goes to which question (matched automatically, editable, saved and loaded);
3. the first records as they will be stored, and a check of the whole file that writes nothing;
4. the import itself in the background, then a per-row report that can be saved as Excel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from fieldapp.exchange.importer import ImportReport, preview, run_import
from fieldapp.exchange.mapping import Mapping, auto_mapping, valid_targets
from fieldapp.exchange.readers import Workbook, read
from fieldapp.forms import Form

from .. import fmt
from ..db import Database
from ..errors import message_for, show_error
from ..i18n import label_of, tr
from ..settings import Settings
from ..tasks import Task, TaskState
from . import geometry

FORMS = ("household", "business", "referral")
ENCODINGS = ("auto", "utf-8", "utf-8-sig", "windows-874", "utf-16")
SAMPLE_ROWS = 3
PREVIEW_RECORDS = 5


def encoding_label(code: str) -> str:
    return {
        "auto": tr("Detect automatically"),
        "utf-8": tr("UTF-8"),
        "utf-8-sig": tr("UTF-8 with BOM"),
        "windows-874": tr("Thai Windows (TIS-620 / Windows-874)"),
        "utf-16": tr("Unicode text (UTF-16)"),
    }[code]


def special_label(target: str) -> str:
    return {
        "id": tr("Record id (from an export)"),
        "subdistrict_name": tr("Subdistrict name"),
        "district_name": tr("District name"),
        "province_name": tr("Province name"),
        "members.full_name": tr("Full name (prefix, first and last name)"),
        "members.id": tr("Member row id"),
    }.get(target, target)


def target_choices(form: Form) -> list[tuple[str, str]]:
    """(target, label) in form order, special targets after their group."""
    valid = valid_targets(form)
    out: list[tuple[str, str]] = []
    for f in form.fields.values():
        if f.type == "repeat":
            rep = label_of(f.label, f.id)
            for c in f.fields:
                t = f"{f.id}.{c.id}"
                if t in valid:
                    out.append((t, f"{rep}: {label_of(c.label, c.id)}"))
            for t in (f"{f.id}.full_name", f"{f.id}.id"):
                if t in valid:
                    out.append((t, f"{rep}: {special_label(t)}"))
        elif f.id in valid:
            if f.value_type == "geopoint":
                out.append((f"{f.id}.lat", f"{label_of(f.label, f.id)} ({tr('latitude')})"))
                out.append((f"{f.id}.lon", f"{label_of(f.label, f.id)} ({tr('longitude')})"))
            else:
                out.append((f.id, label_of(f.label, f.id)))
    for t in ("subdistrict_name", "district_name", "province_name", "id"):
        if t in valid:
            out.append((t, special_label(t)))
    return out


@dataclass
class Loaded:
    workbook: Workbook
    mapping: Mapping


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


class FilePage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(tr("Choose the file"))
        self.setSubTitle(tr("An Excel (.xlsx) or CSV file with one household (or one person) per row."))
        lay = QFormLayout(self)
        row = QHBoxLayout()
        self.path_edit = QLineEdit()
        self.path_edit.setReadOnly(True)
        self.path_edit.setPlaceholderText(tr("No file chosen yet"))
        choose = QPushButton(tr("Choose file..."))
        choose.clicked.connect(self._choose)
        row.addWidget(self.path_edit, 1)
        row.addWidget(choose)
        lay.addRow(tr("File"), row)
        self.form_combo = QComboBox()
        for f in FORMS:
            self.form_combo.addItem(label_of(wizard.db.main.form(f).title, f), f)
        self.form_combo.currentIndexChanged.connect(lambda _i: self.w.load())
        lay.addRow(tr("Import into"), self.form_combo)
        self.encoding_combo = QComboBox()
        for code in ENCODINGS:
            self.encoding_combo.addItem(encoding_label(code), code)
        self.encoding_combo.currentIndexChanged.connect(lambda _i: self.w.load())
        lay.addRow(tr("Text encoding (CSV)"), self.encoding_combo)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setObjectName("banner")
        lay.addRow(self.info)
        self.info.hide()

    def _choose(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, tr("Choose the list to import"), str(Path.home()),
                                              tr("Spreadsheets (*.xlsx *.csv *.txt);;All files (*)"))
        if name:
            self.w.set_file(Path(name))

    def isComplete(self) -> bool:
        return self.w.loaded is not None


class MappingPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(tr("Match the columns"))
        self.setSubTitle(tr("Each column of the file goes to one question of the form. Columns set to "
                            "\"(do not import)\" are left out."))
        lay = QVBoxLayout(self)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([tr("Column in the file"), tr("First values"), tr("Question")])
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.table, 1)
        self.summary = QLabel()
        self.summary.setObjectName("hint")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        buttons = QHBoxLayout()
        load = QPushButton(tr("Load a saved matching..."))
        save = QPushButton(tr("Save this matching..."))
        auto = QPushButton(tr("Match automatically again"))
        load.clicked.connect(self._load)
        save.clicked.connect(self._save)
        auto.clicked.connect(self._auto)
        buttons.addWidget(auto)
        buttons.addStretch(1)
        buttons.addWidget(load)
        buttons.addWidget(save)
        lay.addLayout(buttons)
        self.combos: dict[str, QComboBox] = {}

    def initializePage(self) -> None:
        self.fill()

    def fill(self) -> None:
        loaded = self.w.loaded
        if loaded is None:
            return
        form = self.w.form()
        choices = target_choices(form)
        table = loaded.workbook.main
        self.table.setRowCount(len(table.headers))
        self.combos = {}
        for i, header in enumerate(table.headers):
            self.table.setItem(i, 0, QTableWidgetItem(header))
            sample = ", ".join(_cell(v) for v in table.column(i, SAMPLE_ROWS) if v not in (None, ""))
            self.table.setItem(i, 1, QTableWidgetItem(sample))
            combo = QComboBox()
            combo.addItem(tr("(do not import)"), None)
            for target, label in choices:
                combo.addItem(label, target)
            current = loaded.mapping.columns.get(header)
            idx = combo.findData(current) if current else 0
            combo.setCurrentIndex(max(idx, 0))
            combo.currentIndexChanged.connect(lambda _i, h=header, c=combo: self._changed(h, c))
            self.table.setCellWidget(i, 2, combo)
            self.combos[header] = combo
        if self.combos:
            height = max(c.sizeHint().height() for c in self.combos.values()) + 8
            for i in range(self.table.rowCount()):
                self.table.setRowHeight(i, height)
        self.table.resizeColumnToContents(0)
        self.table.setColumnWidth(2, 420)
        self._count()

    def _changed(self, header: str, combo: QComboBox) -> None:
        if self.w.loaded is not None:
            self.w.loaded.mapping.columns[header] = combo.currentData()
        self._count()

    def set_target(self, header: str, target: str | None) -> None:
        combo = self.combos[header]
        combo.setCurrentIndex(max(combo.findData(target), 0) if target else 0)

    def _count(self) -> None:
        loaded = self.w.loaded
        if loaded is None:
            return
        used = sum(1 for t in loaded.mapping.columns.values() if t)
        self.summary.setText(tr("{used} of {n} columns will be imported.", used=used,
                                n=len(loaded.mapping.columns)))
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.w.loaded is not None and any(self.w.loaded.mapping.columns.values())

    def _auto(self) -> None:
        if self.w.loaded is not None:
            self.w.loaded.mapping = auto_mapping(self.w.form(), self.w.loaded.workbook)
            self.fill()

    def _load(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, tr("Load a saved matching"), str(Path.home()),
                                              tr("Matching files (*.json *.yaml *.yml)"))
        if name:
            self.load_mapping(Path(name))

    def load_mapping(self, path: Path) -> None:
        loaded = self.w.loaded
        if loaded is None:
            return
        try:
            m = Mapping.load(path)
            m.check(self.w.form())
        except Exception as exc:
            show_error(self, exc)
            return
        # headers the saved matching does not know keep their automatic match
        for header in loaded.workbook.main.headers:
            m.columns.setdefault(header, loaded.mapping.columns.get(header))
        if not m.repeats:
            m.repeats = loaded.mapping.repeats
        loaded.mapping = m
        self.fill()

    def _save(self) -> None:
        if self.w.loaded is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, tr("Save this matching"), str(Path.home() / "mapping.json"),
                                              tr("Matching files (*.json *.yaml *.yml)"))
        if name:
            try:
                self.w.loaded.mapping.save(name)
            except OSError as exc:
                show_error(self, exc)


class CheckPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(tr("Check before importing"))
        self.setSubTitle(tr("The first records as they will be stored, and a check of the whole file. "
                            "Nothing is written yet."))
        lay = QVBoxLayout(self)
        self.preview = QTableWidget(0, 0)
        self.preview.verticalHeader().hide()
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        lay.addWidget(self.preview, 2)
        self.result = QLabel(tr("Checking the file..."))
        self.result.setWordWrap(True)
        self.result.setObjectName("note")
        lay.addWidget(self.result)
        self.problems = problems_table()
        lay.addWidget(self.problems, 1)
        self.dry: ImportReport | None = None
        self._done = False

    def initializePage(self) -> None:
        self._done = False
        self.dry = None
        self.result.setText(tr("Checking the file..."))
        self.problems.setRowCount(0)
        self.w.check(self)

    def show_preview(self, docs: list[dict[str, Any]]) -> None:
        form = self.w.form()
        loaded = self.w.loaded
        assert loaded is not None
        cols: list[str] = []
        for t in loaded.mapping.columns.values():
            top = (t or "").split(".")[0]
            if t and top in form.fields and form.fields[top].type != "repeat" and top not in cols:
                cols.append(top)
        if form.title_field and form.title_field not in cols:
            cols.insert(0, form.title_field)
        cols = cols[:7]
        reps = [r for r in form.repeats() if any((t or "").startswith(r.id + ".") for t in
                                                  loaded.mapping.columns.values())]
        headers = [label_of(form.fields[c].label, c) for c in cols] + [label_of(r.label, r.id) for r in reps]
        self.preview.setColumnCount(len(headers))
        self.preview.setHorizontalHeaderLabels(headers)
        self.preview.setRowCount(len(docs))
        for i, doc in enumerate(docs):
            for j, c in enumerate(cols):
                self.preview.setItem(i, j, QTableWidgetItem(fmt.field_value(form.fields[c], doc.get(c))))
            for k, r in enumerate(reps):
                rows = doc.get(r.id) or []
                names = [f"{x.get('first_name') or ''} {x.get('last_name') or ''}".strip() for x in rows]
                text = ", ".join(n for n in names if n) or tr("{n} rows", n=len(rows))
                self.preview.setItem(i, len(cols) + k, QTableWidgetItem(text))
        self.preview.resizeColumnsToContents()

    def show_check(self, report: ImportReport) -> None:
        self.dry = report
        self._done = True
        self.result.setText(report_summary(report, dry_run=True))
        fill_problems(self.problems, report)
        self.completeChanged.emit()

    def show_failure(self, exc: BaseException) -> None:
        self.result.setText(message_for(exc))

    def isComplete(self) -> bool:
        return self._done and self.dry is not None and (self.dry.created + self.dry.updated) > 0


class RunPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(tr("Import"))
        lay = QVBoxLayout(self)
        self.progress = QProgressBar()
        lay.addWidget(self.progress)
        self.result = QLabel(tr("Importing..."))
        self.result.setWordWrap(True)
        self.result.setObjectName("note")
        lay.addWidget(self.result)
        self.problems = problems_table()
        lay.addWidget(self.problems, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.save_report = QPushButton(tr("Save the report as Excel..."))
        self.save_report.clicked.connect(self._save_report)
        self.save_report.setEnabled(False)
        buttons.addWidget(self.save_report)
        lay.addLayout(buttons)
        self.report: ImportReport | None = None

    def initializePage(self) -> None:
        self.report = None
        self.progress.setRange(0, 0)
        self.w.run(self)

    def show_done(self, report: ImportReport) -> None:
        self.report = report
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.result.setText(report_summary(report, dry_run=False))
        fill_problems(self.problems, report)
        self.save_report.setEnabled(True)
        self.completeChanged.emit()

    def show_failure(self, exc: BaseException) -> None:
        self.progress.setRange(0, 1)
        self.result.setText(message_for(exc))
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.w.task is None

    def _save_report(self) -> None:
        if self.report is None:
            return
        start = Path.home() / f"{Path(self.report.file).stem}-report.xlsx"
        name, _ = QFileDialog.getSaveFileName(self, tr("Save the report"), str(start), tr("Excel (*.xlsx)"))
        if name:
            try:
                self.report.save(name if name.lower().endswith((".xlsx", ".csv")) else name + ".xlsx")
            except OSError as exc:
                show_error(self, exc)


def problems_table() -> QTableWidget:
    t = QTableWidget(0, 3)
    t.setHorizontalHeaderLabels([tr("Row"), tr("Column"), tr("Problem")])
    t.verticalHeader().hide()
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
    t.hide()
    return t


def fill_problems(table: QTableWidget, report: ImportReport) -> None:
    from ..i18n import language

    table.setRowCount(len(report.problems))
    for i, p in enumerate(report.problems):
        where = f"{p.sheet} {p.row}" if p.sheet and p.sheet != Path(report.file).stem else str(p.row)
        table.setItem(i, 0, QTableWidgetItem(where if p.row else tr("whole file")))
        table.setItem(i, 1, QTableWidgetItem(p.column))
        table.setItem(i, 2, QTableWidgetItem(p.message if language() == "th" else p.message_en))
    table.resizeColumnToContents(0)
    table.setVisible(bool(report.problems))


def report_summary(r: ImportReport, *, dry_run: bool) -> str:
    head = tr("Check of {file} (nothing written yet):", file=r.file) if dry_run else tr(
        "Import of {file} finished:", file=r.file)
    lines = [head,
             tr("{rows} rows, {records} records: {created} new, {updated} updated, {unchanged} unchanged, "
                "{invalid} with problems", rows=f"{r.rows:,}", records=f"{r.records:,}", created=f"{r.created:,}",
                updated=f"{r.updated:,}", unchanged=f"{r.unchanged:,}", invalid=f"{r.invalid:,}")]
    if r.encoding:
        lines.append(tr("Text encoding: {encoding}", encoding=r.encoding))
    if r.masked_ids:
        lines.append(tr("Masked national ID numbers were ignored: {n}", n=r.masked_ids))
    if r.unmapped:
        lines.append(tr("Columns not imported: {names}", names=", ".join(r.unmapped[:10])))
    if r.problems:
        lines.append(tr("Records with a problem are not written; the list below says why."))
    if r.cancelled:
        lines.append(tr("Cancelled: the records written before stay; the rest was not imported."))
    return "\n".join(lines)


class ImportWizard(QWizard):
    imported = Signal(str)  # form id

    def __init__(self, parent: QWidget | None, db: Database, settings: Settings) -> None:
        super().__init__(parent)
        self.db = db
        self.settings = settings
        self.path: Path | None = None
        self.loaded: Loaded | None = None
        self.task: Task[Any] | None = None
        self._generation = 0
        self.setWindowTitle(tr("Import a list"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setButtonText(QWizard.WizardButton.NextButton, tr("Next >"))
        self.setButtonText(QWizard.WizardButton.BackButton, tr("< Back"))
        self.setButtonText(QWizard.WizardButton.FinishButton, tr("Finish"))
        self.setButtonText(QWizard.WizardButton.CancelButton, tr("Cancel"))
        self.file_page = FilePage(self)
        self.mapping_page = MappingPage(self)
        self.check_page = CheckPage(self)
        self.run_page = RunPage(self)
        for p in (self.file_page, self.mapping_page, self.check_page, self.run_page):
            self.addPage(p)
        geometry.open_sized(self, settings, "import", 960, 680, maximise_on_small=True)
        self.finished.connect(lambda _r: geometry.remember(self, settings, "import"))

    def form(self) -> Form:
        return self.db.main.form(str(self.file_page.form_combo.currentData()))

    def encoding(self) -> str | None:
        code = str(self.file_page.encoding_combo.currentData())
        return None if code == "auto" else code

    # ------------------------------------------------------------------ step 1
    def set_file(self, path: Path) -> None:
        self.path = Path(path)
        self.file_page.path_edit.setText(str(self.path))
        self.load()

    def load(self) -> None:
        if self.path is None:
            return
        self._generation += 1
        gen = self._generation
        self.loaded = None
        self.file_page.completeChanged.emit()
        info = self.file_page.info
        info.show()
        info.setText(tr("Reading the file..."))
        path, encoding, form = self.path, self.encoding(), self.form()

        def work(_s: TaskState) -> Loaded:
            wb = read(path, encoding=encoding)
            return Loaded(wb, auto_mapping(form, wb))

        def done(loaded: Loaded) -> None:
            if gen != self._generation:
                return
            self.loaded = loaded
            t = loaded.workbook.main
            matched = sum(1 for v in loaded.mapping.columns.values() if v)
            text = tr("{rows} rows and {cols} columns; {matched} columns matched automatically.",
                      rows=f"{len(t.rows):,}", cols=len(t.headers), matched=matched)
            if loaded.workbook.encoding:
                text += "\n" + tr("Text encoding: {encoding}", encoding=loaded.workbook.encoding)
            info.setText(text)
            self.file_page.completeChanged.emit()

        def failed(exc: Exception) -> None:
            if gen == self._generation:
                info.setText(message_for(exc))

        Task(work).on_success(done).on_failure(failed).with_progress(tr("Reading the file..."), self).start()

    # ------------------------------------------------------------------ step 3
    def check(self, page: CheckPage) -> None:
        loaded = self.loaded
        assert loaded is not None
        db, form_id, mapping, wb = self.db, self.form().id, loaded.mapping, loaded.workbook

        def first(_s: TaskState) -> list[dict[str, Any]]:
            return preview(db.store(), wb, form_id=form_id, mapping=mapping, rows=PREVIEW_RECORDS)

        def dry(state: TaskState) -> ImportReport:
            return run_import(db.store(), wb, form_id=form_id, mapping=mapping, dry_run=True, workers=1,
                              progress=state.progress, cancel=lambda: state.cancelled)

        Task(first).on_success(page.show_preview).on_failure(page.show_failure).start()
        Task(dry, write=True).on_success(page.show_check).on_failure(page.show_failure).with_progress(
            tr("Checking the file..."), self).start()

    # ------------------------------------------------------------------ step 4
    def run(self, page: RunPage) -> None:
        loaded = self.loaded
        assert loaded is not None
        db, form_id, mapping, wb = self.db, self.form().id, loaded.mapping, loaded.workbook

        def work(state: TaskState) -> ImportReport:
            return run_import(db.store(), wb, form_id=form_id, mapping=mapping, progress=state.progress,
                              cancel=lambda: state.cancelled)

        def progress(done: int, total: int) -> None:
            page.progress.setRange(0, max(total, 1))
            page.progress.setValue(done)

        def finished(report: ImportReport) -> None:
            self.task = None
            page.show_done(report)
            self.imported.emit(form_id)

        def failed(exc: Exception) -> None:
            self.task = None
            page.show_failure(exc)

        self.task = Task(work, write=True).on_success(finished).on_failure(failed).on_progress(progress).start()
        page.completeChanged.emit()

    def reject(self) -> None:
        if self.task is not None and not self.task.finished:
            self.task.cancel()
            return
        super().reject()


def show_import(parent: QWidget | None, db: Database, settings: Settings) -> ImportWizard:
    wiz = ImportWizard(parent, db, settings)
    wiz.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    wiz.show()
    return wiz
