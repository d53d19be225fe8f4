"""The record editor window: the generated form, autosaved drafts, saving off the GUI thread."""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp import drafts, ids, softwarn, staleness
from fieldapp.errors import FieldAppError, NotFoundError, Problem
from fieldapp.store import Checked, SaveResult, check_for_save

from ..db import Database
from ..dialogs import geometry
from ..errors import show_error
from ..i18n import label_of, language, tr
from ..settings import Settings
from ..tasks import Task, TaskState
from ..widgets.registry import EditorContext
from .form import FormEditor


def _ask_reason(parent: QWidget, text: str) -> str | None:
    """One reason for the unusual answers (None when the person goes back to the answers)."""
    box = QInputDialog(parent)
    box.setWindowTitle(tr("Unusual answers"))
    box.setLabelText(text)
    box.setOkButtonText(tr("Save with this reason"))
    box.setCancelButtonText(tr("Check the answers"))
    if box.exec() != QDialog.DialogCode.Accepted:
        return None
    return box.textValue().strip() or None


def _ask(parent: QWidget, title: str, text: str, buttons: list[tuple[str, QMessageBox.ButtonRole]]) -> int:
    """A question with our own (translated) buttons; returns the index of the button pressed."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    made = [box.addButton(label, role) for label, role in buttons]
    box.setDefaultButton(made[0])
    box.exec()
    clicked = box.clickedButton()
    return made.index(clicked) if clicked in made else len(made) - 1


class RecordEditorDialog(QDialog):
    saved = Signal(str, str)  # form id, record id
    report_requested = Signal(str, str)  # form id, record id

    def __init__(
        self,
        parent: QWidget | None,
        db: Database,
        settings: Settings,
        form_id: str,
        record_id: str | None = None,
        initial: dict[str, Any] | None = None,
        draft_key: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.settings = settings
        self.form = db.main.form(form_id)
        self.is_new = record_id is None
        self.record_id = record_id or ids.new_id()
        self.draft_key = draft_key or f"{form_id}:{self.record_id}"
        self.dirty = False
        self.saving = False
        self._draft_saved_data: dict[str, Any] | None = None
        self.setWindowTitle(label_of(self.form.title, self.form.id))
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)

        self._build_editor(record_id, initial)
        lay = QVBoxLayout(self)
        self._build_heading(lay)
        lay.addWidget(self.editor, 1)
        self._build_footer(lay)
        self._shortcuts()

        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(int(settings.get("autosave_seconds")) * 1000)
        self._autosave.timeout.connect(self.save_draft)
        self._update_heading()
        if initial is not None and draft_key is not None:
            self.dirty = True
            self.status.setText(tr("Draft brought back - not saved yet"))
        geometry.open_sized(self, settings, "record_editor", 1180, 820, maximise_on_small=True)

    def _build_editor(self, record_id: str | None, initial: dict[str, Any] | None) -> None:
        """The form's pages, filled with ``initial`` (a draft brought back), else the stored record."""
        data = copy.deepcopy(initial) if initial is not None else None
        unmask = bool(self.settings.get("show_national_ids"))
        # the record as stored when this editor opened: a save checks nobody saved it since
        self.opened_data: dict[str, Any] | None = None
        if record_id is not None:
            try:
                self.opened_data = copy.deepcopy(self.db.main.get(self.form.id, record_id).data)
            except NotFoundError:
                self.opened_data = None
        if data is None and record_id is not None:
            data = copy.deepcopy(self.opened_data) if self.opened_data is not None else None
            # who opened which record (PDPA): the audit trail records views, unmasked ones apart
            self.db.main.audit("view_unmasked" if unmask else "view", self.form.id, record_id)
        ctx = EditorContext(db=self.db, form=self.form, record_id=self.record_id, unmask=unmask)
        self.editor = FormEditor(ctx, data)
        self.editor.changed.connect(self._changed)

    def _build_heading(self, lay: QVBoxLayout) -> None:
        """What is edited, and beside it the state of the record (saved, draft)."""
        head = QHBoxLayout()
        self.heading = QLabel()
        self.heading.setObjectName("heading")
        head.addWidget(self.heading, 1)
        self.status = QLabel()
        self.status.setObjectName("hint")
        head.addWidget(self.status)
        lay.addLayout(head)

    def _build_footer(self, lay: QVBoxLayout) -> None:
        """Page buttons, report, history, Close and Save; it never scrolls away (the pages scroll)."""
        buttons = QHBoxLayout()
        buttons.addWidget(self.editor.prev_button)
        buttons.addWidget(self.editor.next_button)
        buttons.addWidget(self.editor.add_row_button)
        buttons.addSpacing(12)
        self.save_button = QPushButton(tr("Save"))
        self.save_button.setObjectName("primary")
        self.save_button.setToolTip(tr("Save (Ctrl+S)"))
        self.close_button = QPushButton(tr("Close"))
        self.close_button.setToolTip(tr("Close (Esc)"))
        for b in (self.save_button, self.close_button):
            b.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.close_button.clicked.connect(self.close)
        self.report_button: QPushButton | None = None
        if self.form.id in ("household", "business") and not self.is_new:
            self.report_button = QPushButton(tr("Report..."))
            self.report_button.setAutoDefault(False)
            self.report_button.clicked.connect(
                lambda: self.report_requested.emit(self.form.id, self.record_id)
            )
            buttons.addWidget(self.report_button)
        self.history_button: QPushButton | None = None
        if not self.is_new:
            self.history_button = QPushButton(tr("Edit history..."))
            self.history_button.setAutoDefault(False)
            self.history_button.clicked.connect(self.show_history)
            buttons.addWidget(self.history_button)
        self.shortcut_hint = QLabel(tr("Enter: next question · Ctrl+S: save · Esc: close"))
        self.shortcut_hint.setObjectName("hint")
        # the hint takes the free space, on one line, and wraps only when large text and every
        # button leave too little: the footer always fits the screen
        self.shortcut_hint.setWordWrap(True)
        self.shortcut_hint.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        buttons.addWidget(self.shortcut_hint, 1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.save_button)
        lay.addLayout(buttons)

    def _shortcuts(self) -> None:
        """Ctrl+S saves, Ctrl+PgDown / Ctrl+PgUp turn the page, Ctrl+M adds a row."""
        QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self, self.save)
        QShortcut(QKeySequence("Ctrl+PgDown"), self, self.editor.go_next)
        QShortcut(QKeySequence("Ctrl+PgUp"), self, self.editor.go_previous)
        QShortcut(QKeySequence("Ctrl+M"), self, self.add_row)

    # ------------------------------------------------------------------ state
    def _update_heading(self) -> None:
        title_field = self.form.title_field
        title = str(self.editor.doc.get(title_field) or "") if title_field else ""
        verb = tr("New record") if self.is_new else tr("Edit record")
        text = f"{verb}: {label_of(self.form.title)}" + (f" — {title}" if title else "")
        number = self.editor.doc.get(self.form.rounds["number"]) if self.form.rounds else None
        if isinstance(number, int) and number > 1:  # a later survey round of the household
            text += " · " + tr("round {no}", no=number)
        self.heading.setText(text)

    def _changed(self) -> None:
        self.dirty = True
        self.status.setText(tr("Changes not saved yet"))
        self._autosave.start()
        QTimer.singleShot(CHECK_DELAY_MS + 10, self._update_heading)

    def draft_title(self) -> str:
        title_field = self.form.title_field
        return str(self.editor.doc.get(title_field) or "") if title_field else ""

    def save_draft(self, wait: bool = False) -> None:
        """Keep what is typed so far (a crash or power cut loses nothing)."""
        self._autosave.stop()
        if not self.dirty:
            return
        data = self.editor.raw()
        if data == self._draft_saved_data:
            return
        self._draft_saved_data = copy.deepcopy(data)
        args = (
            self.draft_key,
            self.form.id,
            None if self.is_new else self.record_id,
            data,
            self.draft_title(),
        )
        if wait:
            drafts.save_draft(self.db.main, *args)
            return
        db = self.db

        def work(_s: TaskState) -> None:
            drafts.save_draft(db.store(), *args)

        def done(_r: None) -> None:
            self.status.setText(tr("Draft kept on this laptop"))

        Task(work, write=True).on_success(done).start()

    # ------------------------------------------------------------------ saving
    def show_history(self) -> QDialog:
        """The record's edit history (what is saved; unsaved answers in the editor are not in it)."""
        from ..dialogs.history_dialog import show_history

        return show_history(self, self.db, self.form.id, self.record_id, self.heading.text())

    def save(self) -> None:
        if self.saving:
            return
        checked, blocking, missing = self.editor.check_for_save()
        if blocking:
            self._show_problems(blocking)
            return
        partial = False
        if missing:
            answer = _ask(
                self,
                tr("Some answers are missing"),
                tr(
                    "{n} required answers are still missing, for example:\n{first}\n\n"
                    "Save now and mark the record as incomplete?",
                    n=len(missing),
                    first=self._message(missing[0]),
                ),
                [
                    (tr("Save as incomplete"), QMessageBox.ButtonRole.AcceptRole),
                    (tr("Keep filling in"), QMessageBox.ButtonRole.RejectRole),
                ],
            )
            if answer != 0:
                self.editor.go_to_problem(missing[0].path)
                return
            partial = True
        raw = self.editor.raw()
        # unusual answers (soft warnings) are kept with a reason, asked for once
        warnings = self.editor.soft_warnings(checked.doc)
        todo = softwarn.unexplained(warnings)
        if todo:
            lines = "\n".join("• " + w.text(language() == "th") for w in todo[:6])
            reason = _ask_reason(
                self, tr("These answers are unusual:\n{lines}\n\nWhy are they right?", lines=lines)
            )
            if reason is None:
                self.editor.go_to_problem(todo[0].path)
                return
            raw = softwarn.with_reason(raw, warnings, reason)
        elif raw.get(softwarn.REASONS_FIELD):
            raw = softwarn.keep_reasons(raw, warnings)
        self._run_save(raw, partial, checked.with_reasons(raw.get(softwarn.REASONS_FIELD)))

    def _message(self, p: Problem) -> str:
        return p.message if language() == "th" else (p.message_en or p.message)

    def _show_problems(self, problems: list[Problem]) -> None:
        first = problems[0]
        self.editor.go_to_problem(first.path)
        lines = "\n".join("• " + self._message(p) for p in problems[:6])
        more = tr("\n...and {n} more", n=len(problems) - 6) if len(problems) > 6 else ""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            tr("Please check the data"),
            tr("Nothing was saved. Please correct:\n{lines}", lines=lines) + more,
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setObjectName("problems_box")
        box.open()

    def _run_save(self, raw: dict[str, Any], partial: bool, checked: Checked | None = None) -> None:
        """Save ``raw``, validated once: ``checked`` (by ``check_for_save`` when Save was pressed),
        or in the background when it is a merge with a newer save."""
        self.saving = True
        self.save_button.setEnabled(False)
        db, form, record_id, key = self.db, self.form, self.record_id, self.draft_key
        opened = self.opened_data

        def work(_s: TaskState) -> SaveResult | staleness.Stale:
            store = db.store()
            done = checked or check_for_save(form, raw)
            if opened is not None:
                stale = staleness.check(store, form, record_id, opened, done.doc)
                if stale is not None:
                    return stale
            # the record, its completeness and the end of its draft: one transaction
            return store.save_from_editor(done, record_id=record_id, draft_key=key, allow_missing=partial)

        def done(result: SaveResult | staleness.Stale) -> None:
            self.saving = False
            self.save_button.setEnabled(True)
            if isinstance(result, staleness.Stale):
                self._changed_elsewhere(result, raw, partial)
                return
            self.dirty = False
            self.is_new = False
            self._autosave.stop()
            self.status.setText(tr("Saved as incomplete") if partial else tr("Saved"))
            self.saved.emit(form.id, result.record.id)
            if result.warnings:
                text = "\n".join(
                    "• "
                    + tr(
                        "National ID {masked} is also in: {title}",
                        masked=_mask(w.national_id),
                        title=w.other_title or w.other_record,
                    )
                    for w in result.warnings
                )
                QMessageBox.information(
                    self,
                    tr("Saved - please check"),
                    tr("Saved. These people also appear in other households:\n{text}", text=text),
                )
            self.accept_and_close()

        def failed(exc: Exception) -> None:
            self.saving = False
            self.save_button.setEnabled(True)
            if isinstance(exc, FieldAppError) and hasattr(exc, "problems"):
                self._show_problems(exc.problems)
            else:
                show_error(self, exc)

        Task(work, write=True).on_success(done).on_failure(failed).with_progress(
            tr("Saving..."), self
        ).start()

    def _changed_elsewhere(self, stale: staleness.Stale, raw: dict[str, Any], partial: bool) -> None:
        """The record was saved elsewhere (another window, an import, a sync) after this editor
        opened: show what differs and save only what the person chooses."""
        from ..dialogs.stale_dialog import ask_about_changes

        choice = ask_about_changes(self, self.form, stale, bool(self.settings.get("show_national_ids")))
        if choice is None:
            self.status.setText(tr("Not saved: the record was changed elsewhere"))
            return
        merged = staleness.merge(stale, raw, keep_mine=choice)
        self.opened_data = copy.deepcopy(stale.current) if stale.current is not None else None
        if stale.current is None:
            self.is_new = True  # erased elsewhere: saving brings it back as the person asked
        self._run_save(merged, partial)

    def accept_and_close(self) -> None:
        geometry.remember(self, self.settings, "record_editor")
        self.done(QDialog.DialogCode.Accepted)

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.saving:
            event.ignore()
            return
        if self.dirty:
            answer = _ask(
                self,
                tr("Save changes?"),
                tr("The changes to this record are not saved yet."),
                [
                    (tr("Save"), QMessageBox.ButtonRole.AcceptRole),
                    (tr("Keep as draft"), QMessageBox.ButtonRole.DestructiveRole),
                    (tr("Discard changes"), QMessageBox.ButtonRole.DestructiveRole),
                    (tr("Cancel"), QMessageBox.ButtonRole.RejectRole),
                ],
            )
            if answer == 0:
                event.ignore()
                self.save()
                return
            if answer == 1:
                self.save_draft(wait=True)
            elif answer == 2:
                self._autosave.stop()
                drafts.delete_draft(self.db.main, self.draft_key)
            else:
                event.ignore()
                return
        geometry.remember(self, self.settings, "record_editor")
        self._autosave.stop()
        # QDialog.closeEvent would call reject(), which comes back here: finish the dialog directly
        QDialog.done(self, QDialog.DialogCode.Rejected)
        event.accept()

    def reject(self) -> None:  # Esc and the window's close button go through closeEvent's question
        self.close()

    def add_row(self) -> None:
        """Ctrl+M: a new row (member) on the page with rows, going to that page first."""
        rep = self.editor.current_repeat()
        if rep is None:
            for i, section in enumerate(self.form.sections):
                if any(f.type == "repeat" for f in section.fields):
                    self.editor.go_to(i)
                    rep = self.editor.current_repeat()
                    break
        if rep is not None:
            self.editor.add_row()

    def keep_draft_now(self) -> None:
        """Used when the whole program closes: keep the draft without asking."""
        self.save_draft(wait=True)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.editor.keyPressEvent(event)
            return
        super().keyPressEvent(event)


def _mask(nid: str) -> str:
    from .. import fmt

    return fmt.national_id(nid)


CHECK_DELAY_MS = 120


def show_record_editor(
    parent: QWidget | None,
    db: Database,
    settings: Settings,
    form_id: str,
    record_id: str | None = None,
    initial: dict[str, Any] | None = None,
    draft_key: str | None = None,
) -> RecordEditorDialog:
    dlg = RecordEditorDialog(parent, db, settings, form_id, record_id, initial, draft_key)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dlg.show()
    return dlg
