"""Drafts kept from an earlier session (a crash, a power cut, or "keep as draft"): open or discard."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp import drafts

from .. import fmt
from ..db import Database
from ..i18n import label_of, tr
from . import geometry


class DraftsDialog(QDialog):
    def __init__(self, parent: QWidget | None, db: Database) -> None:
        super().__init__(parent)
        self.db = db
        self.chosen: drafts.Draft | None = None
        self.setWindowTitle(tr("Unsaved drafts"))
        lay = QVBoxLayout(self)
        intro = QLabel(tr("These records were being filled in but were not saved. Open one to continue, "
                          "or discard it."))
        intro.setWordWrap(True)
        lay.addWidget(intro)
        self.list = QListWidget()
        lay.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        self.open_button = QPushButton(tr("Open and continue"))
        self.discard_button = QPushButton(tr("Discard draft"))
        self.later_button = QPushButton(tr("Later"))
        self.open_button.clicked.connect(self._open)
        self.discard_button.clicked.connect(self._discard)
        self.later_button.clicked.connect(self.reject)
        buttons.addWidget(self.discard_button)
        buttons.addStretch(1)
        buttons.addWidget(self.later_button)
        buttons.addWidget(self.open_button)
        lay.addLayout(buttons)
        self.list.itemDoubleClicked.connect(lambda _i: self._open())
        geometry.fit_to_screen(self, 720, 420)
        self.reload()

    def reload(self) -> None:
        self.list.clear()
        for d in drafts.list_drafts(self.db.main):
            form = self.db.main.form(d.form_id)
            when = fmt.date(d.updated_at[:10])
            title = d.title or tr("(untitled)")
            item = QListWidgetItem(f"{label_of(form.title)} — {title} — {when}")
            item.setData(256, d.key)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        self.open_button.setEnabled(self.list.count() > 0)
        self.discard_button.setEnabled(self.list.count() > 0)

    def _current(self) -> drafts.Draft | None:
        item = self.list.currentItem()
        if item is None:
            return None
        key = item.data(256)
        return next((d for d in drafts.list_drafts(self.db.main) if d.key == key), None)

    def _open(self) -> None:
        self.chosen = self._current()
        if self.chosen is not None:
            self.accept()

    def _discard(self) -> None:
        d = self._current()
        if d is not None:
            drafts.delete_draft(self.db.main, d.key)
            self.reload()


def show_drafts(parent: QWidget | None, db: Database) -> drafts.Draft | None:
    """Ask what to do with kept drafts; returns the one to open, if any."""
    dlg = DraftsDialog(parent, db)
    dlg.exec()
    return dlg.chosen
