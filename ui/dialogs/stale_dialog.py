"""Shown when the record being saved was saved elsewhere after the editor opened it: what changed
there, what was changed here, and what to keep."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.forms import Form
from fieldapp.staleness import Stale

from .. import fmt
from ..i18n import label_of, tr
from . import geometry


def _shown(form: Form, field_id: str, value: Any, unmask: bool) -> str:
    f = form.fields.get(field_id)
    if f is None:
        return "" if value is None else str(value)
    if f.type == "repeat":
        return tr("{n} rows", n=len(value or []))
    return fmt.field_value(f, value, unmask) or "–"


class StaleDialog(QDialog):
    def __init__(self, parent: QWidget | None, form: Form, stale: Stale, unmask: bool) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Changed elsewhere"))
        self.choice: bool | None = None
        lay = QVBoxLayout(self)
        head = QLabel()
        head.setWordWrap(True)
        head.setObjectName("heading")
        lay.addWidget(head)
        if stale.current is None:
            head.setText(tr("This record was erased elsewhere after you opened it."))
            rows: list[tuple[str, str, str, str]] = []
        else:
            head.setText(
                tr(
                    "This record was saved elsewhere after you opened it ({who}, {when}).",
                    who=stale.updated_by or "-",
                    when=fmt.date(stale.updated_at[:10]),
                )
            )
            rows = []
            for fid, (before, now) in stale.elsewhere.items():
                f = form.fields.get(fid)
                mine = (
                    _shown(form, fid, stale.mine[fid], unmask) if fid in stale.mine else tr("(not changed)")
                )
                rows.append(
                    (
                        label_of(f.label, fid) if f else fid,
                        _shown(form, fid, before, unmask),
                        _shown(form, fid, now, unmask),
                        mine,
                    )
                )
        self.table = QTableWidget(len(rows), 4)
        self.table.setHorizontalHeaderLabels(
            [tr("Question"), tr("When you opened it"), tr("Saved elsewhere"), tr("Your answer")]
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.setVisible(bool(rows))
        lay.addWidget(self.table, 1)
        note = QLabel()
        note.setWordWrap(True)
        lay.addWidget(note)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.back_button = QPushButton(tr("Back to editing"))
        self.back_button.clicked.connect(self.reject)
        self.mine_button = QPushButton()
        self.mine_button.setObjectName("primary")
        self.mine_button.clicked.connect(lambda: self._choose(True))
        self.theirs_button: QPushButton | None = None
        if stale.current is None:
            note.setText(tr("Saving puts your version back."))
            self.mine_button.setText(tr("Save my version again"))
        elif stale.both:
            note.setText(
                tr(
                    "{n} answers were changed both here and there. Changes elsewhere to other "
                    "answers are kept either way.",
                    n=len(stale.both),
                )
            )
            self.mine_button.setText(tr("Use my answers"))
            self.theirs_button = QPushButton(tr("Keep the answers saved elsewhere"))
            self.theirs_button.clicked.connect(lambda: self._choose(False))
            buttons.addWidget(self.theirs_button)
        else:
            note.setText(tr("Your changes do not touch these answers: saving keeps both."))
            self.mine_button.setText(tr("Save, keeping both"))
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.mine_button)
        lay.addLayout(buttons)
        self.mine_button.setDefault(True)
        geometry.fit_to_screen(self, 820, 420)

    def _choose(self, keep_mine: bool) -> None:
        self.choice = keep_mine
        self.accept()


def ask_about_changes(parent: QWidget | None, form: Form, stale: Stale, unmask: bool) -> bool | None:
    """True: keep my answers where both changed; False: keep theirs; None: go back to editing."""
    dlg = StaleDialog(parent, form, stale, unmask)
    dlg.setObjectName("stale_dialog")
    dlg.exec()
    return dlg.choice
