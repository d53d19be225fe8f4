"""Backups of the database: the list (Buddhist-era dates, sizes), back up now, restore one, how
many to keep; and the offer of the latest good backup when the database does not open at start-up.

Restoring never overwrites anything: ``fieldapp.backup.restore`` moves the current file aside.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp import backup, thaidate
from fieldapp.errors import AccessError, FieldAppError, StoreError

from ..db import Database
from ..errors import message_for, show_error
from ..i18n import language, tr
from ..settings import Settings
from ..tasks import Task, TaskState
from . import geometry


def reason_label(reason: str) -> str:
    return {
        "manual": tr("Made by hand"),
        "daily": tr("Daily (automatic)"),
        "before_sync": tr("Before a sync"),
        "before_migration": tr("Before a program update"),
    }.get(reason, reason)


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return tr("{n} MB", n=f"{size / 1024 / 1024:,.1f}")
    return tr("{n} KB", n=f"{max(1, round(size / 1024)):,}")


def created_text(b: backup.BackupInfo) -> str:
    try:
        return thaidate.format_datetime(b.created, lang=language())
    except (FieldAppError, ValueError):
        return b.created.isoformat(timespec="minutes")


class BackupsDialog(QDialog):
    restore_requested = Signal(object)  # Path of the chosen backup, confirmed by the person

    def __init__(self, parent: QWidget | None, db: Database, settings: Settings) -> None:
        super().__init__(parent)
        self.db = db
        self.settings = settings
        self.backups: list[backup.BackupInfo] = []
        self.setWindowTitle(tr("Backups"))
        lay = QVBoxLayout(self)
        heading = QLabel(tr("Backups of this database"))
        heading.setObjectName("heading")
        lay.addWidget(heading)
        intro = QLabel(tr("A backup is made every day the program is used, before every sync and before a "
                          "program update. Copy the folder to a USB drive from time to time:\n{folder}",
                          folder=str(backup.backup_dir(db.path))))
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(intro)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([tr("Made on"), tr("Why"), tr("Size")])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.table, 1)
        self.status = QLabel()
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        keep_row = QHBoxLayout()
        keep_row.addWidget(QLabel(tr("Keep the newest")))
        self.keep_spin = QSpinBox()
        self.keep_spin.setRange(1, 365)
        self.keep_spin.setValue(backup.keep_setting(db.main))
        self.keep_spin.setAccessibleName(tr("Number of backups to keep"))
        keep_row.addWidget(self.keep_spin)
        keep_row.addWidget(QLabel(tr("backups")))
        keep_row.addStretch(1)
        lay.addLayout(keep_row)
        buttons = QHBoxLayout()
        self.restore_button = QPushButton(tr("Restore this backup..."))
        self.restore_button.clicked.connect(self._restore)
        self.backup_button = QPushButton(tr("Back up now"))
        self.backup_button.setObjectName("primary")
        self.backup_button.clicked.connect(self.backup_now)
        close = QPushButton(tr("Close"))
        close.clicked.connect(self.accept)
        buttons.addWidget(self.restore_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        buttons.addWidget(self.backup_button)
        lay.addLayout(buttons)
        self.keep_spin.editingFinished.connect(self.save_keep)
        geometry.open_sized(self, settings, "backups", 720, 520)
        self.finished.connect(lambda _r: self.save_keep())
        self.finished.connect(lambda _r: geometry.remember(self, settings, "backups"))
        self.reload()

    def reload(self) -> None:
        path = self.db.path

        def work(_s: TaskState) -> list[backup.BackupInfo]:
            return backup.list_backups(path)

        Task(work).on_success(self._fill).start()

    def _fill(self, items: list[backup.BackupInfo]) -> None:
        self.backups = items
        self.table.setRowCount(len(items))
        for i, b in enumerate(items):
            size = QTableWidgetItem(size_text(b.size))
            size.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(i, 0, QTableWidgetItem(created_text(b)))
            self.table.setItem(i, 1, QTableWidgetItem(reason_label(b.reason)))
            self.table.setItem(i, 2, size)
        self.table.resizeColumnToContents(1)
        self.table.resizeColumnToContents(2)
        if items:
            self.table.selectRow(0)
        else:
            self.status.setText(tr("There is no backup yet."))
        self.restore_button.setEnabled(bool(items))

    def save_keep(self) -> None:
        n = self.keep_spin.value()
        if n == backup.keep_setting(self.db.main):
            return
        db = self.db

        def work(_s: TaskState) -> None:
            backup.set_keep(db.store(), n)

        Task(work, write=True).start()

    def backup_now(self) -> Task[Path]:
        db = self.db
        self.backup_button.setEnabled(False)
        self.status.setText(tr("Backing up..."))
        keep = self.keep_spin.value()

        def work(_s: TaskState) -> Path:
            store = db.store()
            if keep != backup.keep_setting(store):
                backup.set_keep(store, keep)
            return backup.backup(store, reason="manual")

        def done(path: Path) -> None:
            self.backup_button.setEnabled(True)
            self.status.setText(tr("Backed up: {name}", name=path.name))
            self.reload()

        def failed(exc: Exception) -> None:
            self.backup_button.setEnabled(True)
            self.status.setText(message_for(exc))

        return Task(work, write=True).on_success(done).on_failure(failed).with_progress(
            tr("Backing up..."), self).start()

    def _restore(self) -> None:
        row = self.table.currentRow()
        if not 0 <= row < len(self.backups):
            return
        b = self.backups[row]
        answer = QMessageBox.question(
            self, tr("Restore this backup?"),
            tr("The data will go back to how it was on {when}. Everything entered after that is not in this "
               "backup.\n\nThe current database is not deleted: it is kept next to it as a separate file. "
               "The program reopens the database afterwards.\n\nRestore now?", when=created_text(b)),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes:
            self.restore_requested.emit(b.path)


def show_backups(parent: QWidget | None, db: Database, settings: Settings) -> BackupsDialog:
    dlg = BackupsDialog(parent, db, settings)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dlg.show()
    return dlg


# ---------------------------------------------------------------------- start-up


@dataclass
class StartupRestore:
    """What to offer when the database does not open."""

    db_path: Path
    problems: list[str]
    backup: Path | None


def startup_restore_offer(db_path: Path, exc: BaseException) -> StartupRestore | None:
    """Decide whether a failure to open ``db_path`` is a damaged file to offer a backup for.

    Not for a missing file (a new one is created), a locked or encrypted one that needs signing in
    (``AccessError``), or a database that passes the integrity check (another problem).
    """
    if isinstance(exc, AccessError) or not isinstance(exc, StoreError):
        return None
    p = Path(db_path)
    if not p.is_file():
        return None
    problems = backup.database_problems(p)
    if not problems:
        return None
    return StartupRestore(p, problems, backup.latest_good(p))


def offer_restore_at_start(parent: QWidget | None, db_path: Path, exc: BaseException) -> bool:
    """Ask to restore the latest good backup of a damaged database; True when it was restored."""
    offer = startup_restore_offer(db_path, exc)
    if offer is None:
        return False
    if offer.backup is None:
        QMessageBox.critical(parent, tr("The database is damaged"), tr(
            "The database cannot be opened and no good backup was found. The file was left untouched; "
            "please ask for help.\n\n{path}", path=str(db_path)))
        return False
    info = next((b for b in backup.list_backups(db_path) if b.path == offer.backup), None)
    when = created_text(info) if info else offer.backup.name
    answer = QMessageBox.question(parent, tr("The database is damaged"), tr(
        "The database cannot be opened: the file is damaged.\n\nThe latest good backup is from {when}. "
        "Restore it? The damaged file is kept aside, not deleted.", when=when),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
    if answer != QMessageBox.StandardButton.Yes:
        return False
    try:
        backup.restore(offer.backup, db_path)
    except (FieldAppError, OSError) as exc2:
        show_error(parent, exc2)
        return False
    return True
