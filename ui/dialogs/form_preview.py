"""A form preview: fill in a form as the editor shows it, without saving anything.

Opened from Data → Preview a form… with an XLSForm or a form definition file (not installed, not
in the database), or with any form the database knows. The answers go through the very same
checks as a record (``Form.validate``): "Check answers" lists what is wrong or missing, and
closing throws the answers away. Nothing is written: no record, no draft, no audit entry.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from fieldapp import ids
from fieldapp.errors import FieldAppError, FormDefinitionError
from fieldapp.forms import Choice, Form

from ..db import Database
from ..editor.form import FormEditor
from ..errors import message_for
from ..i18n import label_of, language, tr
from ..settings import Settings
from ..widgets.registry import EditorContext
from . import geometry

OUTCOME_LINES = 4  # lines of the check's findings in sight; more scroll


def form_from_file(path: Path, shared: dict[str, list[Choice]] | None = None) -> tuple[Form, list[str]]:
    """A form to preview from an XLSForm or a definition file, and what could not be carried.

    A definition file is built as the loader builds a form of its folder: the shared choice
    lists of the ``choices.yaml`` beside it, else ``shared`` (the database's, default the bundled
    ones), so ``forms/household.yaml`` previews as it is."""
    from fieldapp import installed
    from fieldapp.forms import default_forms, load_file

    if path.suffix.lower() in (".yaml", ".yml"):
        return load_file(path, default_forms().choices if shared is None else shared), []
    raw, notes = installed.read_definition(path)
    return installed.build(raw, path.name), notes


def load_error_box(parent: QWidget | None, exc: FieldAppError) -> QMessageBox:
    """What a file that cannot be previewed is told with: in Thai, the English detail of a form
    definition's mistake (for whoever wrote it) under Show Details."""
    box = QMessageBox(QMessageBox.Icon.Warning, tr("Preview a form..."), message_for(exc), parent=parent)
    if isinstance(exc, FormDefinitionError) and language() == "th":
        where = f" ({exc.field_path})" if exc.field_path else ""
        if exc.problem_th:
            box.setText(tr("The form in {file} cannot be read{where}: {problem}", file=exc.source, where=where,
                           problem=exc.problem_th))
        else:
            box.setText(tr("The form in {file} cannot be read{where}. Ask whoever made the form to correct it; "
                           "the details are under Show Details.", file=exc.source, where=where))
        box.setDetailedText(exc.message_en)
    return box


class FormPreviewDialog(QDialog):
    def __init__(
        self,
        parent: QWidget | None,
        db: Database,
        settings: Settings,
        form: Form,
        notes: list[str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.form = form
        self.setWindowTitle(tr("Preview: {title}", title=label_of(form.title, form.id)))
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        ctx = EditorContext(db=db, form=form, record_id=ids.new_id())
        self.editor = FormEditor(ctx, None)
        lay = QVBoxLayout(self)
        self.banner = QLabel(tr("Preview - nothing is saved"))
        self.banner.setObjectName("heading")
        lay.addWidget(self.banner)
        if notes:
            self.notes = QLabel(tr("{n} parts of the file could not be carried", n=len(notes)))
            self.notes.setToolTip("\n".join(notes[:30]))
            self.notes.setObjectName("hint")
            lay.addWidget(self.notes)
        lay.addWidget(self.editor, 1)
        # what "Check answers" found: a few lines at most, scrolled when longer, so the questions
        # keep the room (each problem also stands under its question)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.outcome.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.outcome_area = QScrollArea()
        self.outcome_area.setWidgetResizable(True)
        self.outcome_area.setFrameShape(QFrame.Shape.NoFrame)
        self.outcome_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.outcome_area.setWidget(self.outcome)
        self.outcome_area.setMaximumHeight(self.fontMetrics().lineSpacing() * OUTCOME_LINES + 8)
        self.outcome_area.hide()
        lay.addWidget(self.outcome_area)
        # the footer: page buttons, Close and Check answers; it never scrolls away (the pages scroll)
        buttons = QHBoxLayout()
        buttons.addWidget(self.editor.prev_button)
        buttons.addWidget(self.editor.next_button)
        buttons.addWidget(self.editor.add_row_button)
        self.check_button = QPushButton(tr("Check answers"))
        self.check_button.setObjectName("primary")
        self.check_button.setAutoDefault(False)
        self.check_button.clicked.connect(self.check)
        self.close_button = QPushButton(tr("Close"))
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.close)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.check_button)
        lay.addLayout(buttons)
        geometry.open_sized(self, settings, "form_preview", 1100, 780, maximise_on_small=True)
        self.finished.connect(lambda _r: geometry.remember(self, settings, "form_preview"))

    def check(self) -> list[str]:
        """Run the form's checks on the answers so far; show and return the problems."""
        _doc, blocking, missing = self.editor.check_for_save()
        problems = [*blocking, *missing]
        lines = [p.message if language() == "th" else (p.message_en or p.message) for p in problems]
        if problems:
            self.editor.go_to_problem(problems[0].path)
            shown = "\n".join("• " + line for line in lines[:8])
            more = tr("\n...and {n} more", n=len(lines) - 8) if len(lines) > 8 else ""
            self.outcome.setText(shown + more)
        else:
            self.outcome.setText(tr("The answers pass every check of the form"))
        self.outcome_area.show()
        self.outcome_area.verticalScrollBar().setValue(0)
        return lines


def show_form_preview(
    parent: QWidget | None, db: Database, settings: Settings, form: Form, notes: list[str] | None = None
) -> FormPreviewDialog:
    dlg = FormPreviewDialog(parent, db, settings, form, notes)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dlg.show()
    return dlg
