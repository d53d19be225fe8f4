"""A column of questions (one section, or one repeat row) built from field definitions; the
questions of a group (``type: group``) sit in a titled frame, nested as the groups are."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from fieldapp.forms import Field, Group

from ..flow import ColumnsLayout
from ..i18n import label_of, tr
from ..marklabel import MarkSafeLabel
from ..widgets.registry import EditorContext, FieldWidget


class FieldRow(QWidget):
    """Label (with a required mark), the widget, its hint and its inline message; ``inline`` puts
    the label and the widget on one line (a result computed from the answers)."""

    def __init__(
        self, f: Field, widget: FieldWidget, parent: QWidget | None = None, inline: bool = False
    ) -> None:
        super().__init__(parent)
        self.field = f
        self.widget = widget
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 6, 0, 6)
        lay.setSpacing(3)
        self.label = MarkSafeLabel()
        self.label.setObjectName("question")
        self.hint = QLabel(label_of(f.hint))
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("problem")
        self.message.setWordWrap(True)
        self.message.hide()
        if inline and f.type != "note":
            line = QHBoxLayout()
            line.setContentsMargins(0, 0, 0, 0)
            line.addWidget(self.label, 1)
            line.addWidget(widget)
            lay.addLayout(line)
            self.label.setBuddy(widget.focus_target())
        else:
            if f.type != "note":
                lay.addWidget(self.label)
                self.label.setBuddy(widget.focus_target())
            lay.addWidget(widget)
        if f.hint:
            lay.addWidget(self.hint)
        else:
            self.hint.hide()
        lay.addWidget(self.message)
        self._label = f.label
        self._required = False
        self.ask_again = False  # marked: a question asked again in this survey round
        self.set_required(False)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def set_texts(self, label: dict[str, str], hint: dict[str, str]) -> None:
        """The label and hint with the answers they name (``${name}``) filled in."""
        if label != self._label:
            self._label = label
            self.set_required(self._required)
            setter = getattr(self.widget, "set_text", None)
            if setter is not None:  # a note shows its label as its text
                setter(label_of(label, self.field.id))
        text = label_of(hint)
        if text != self.hint.text():
            self.hint.setText(text)

    def set_required(self, required: bool) -> None:
        self._required = required
        text = label_of(self._label, self.field.id).replace("&", "&amp;").replace("<", "&lt;")
        if required:
            text += f' <span style="color:#b3261e" title="{tr("Required")}">*</span>'
        if self.ask_again:
            text += f' <span style="color:#7a4f00">↻ {tr("ask again this round")}</span>'
        self.label.set_html(text)

    def set_ask_again(self, on: bool) -> None:
        if on != self.ask_again:
            self.ask_again = on
            self.set_required(self._required)

    def set_problem(self, message: str | None, warning: bool = False) -> None:
        if message:
            self.message.setText(("⚠ " if warning else "✗ ") + message)
            self.message.setProperty("state", "warn" if warning else "bad")
            self.message.style().unpolish(self.message)
            self.message.style().polish(self.message)
            self.message.show()
        else:
            self.message.hide()
        self.widget.setProperty("problem", bool(message) and not warning)
        target = self.widget.focus_target()
        target.setProperty("problem", bool(message) and not warning)
        target.style().unpolish(target)
        target.style().polish(target)


class GroupFrame(QFrame):
    """A group's questions under its title (and hint), in a frame; inner groups nest inside.

    Hidden, with everything in it, when the group (or one around it) does not apply, and when
    none of its questions is shown. It takes no focus: Enter goes from the question before it to
    its first question."""

    def __init__(self, group: Group, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = group
        self.setObjectName("group")
        self.setProperty("depth", min(len(group.chain()), 3))
        self.title = QLabel()
        self.title.setObjectName("groupTitle")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self._set_title(label_of(group.label, group.id))
        self.hint = QLabel(label_of(group.hint))
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(10, 6, 6, 6)
        self.body.setSpacing(2)
        self.body.addWidget(self.title)
        self.body.addWidget(self.hint)
        self.hint.setVisible(bool(group.hint))
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._texts = (group.label, group.hint)

    def set_texts(self, label: dict[str, str], hint: dict[str, str]) -> None:
        """The title and hint with the answers they name (``${name}``) filled in."""
        if (label, hint) != self._texts:
            self._texts = (label, hint)
            self._set_title(label_of(label, self.group.id))
            self.hint.setText(label_of(hint))

    def _set_title(self, text: str) -> None:
        # a long Thai title wraps: room between its lines for the marks above and below
        self.title.setText(f'<div style="line-height: 130%">{html.escape(text)}</div>')

    def title_text(self) -> str:
        """The title as shown (plain text)."""
        return label_of(self._texts[0], self.group.id)


# a question whose answer needs the whole width of the page (a list of ticks, a repeat, a note)
WIDE_TYPES = frozenset(
    {"select_multiple", "repeat", "note", "geopoint", "reference", "photo", "audio", "video", "file"}
)
# the narrowest column of questions side by side: in lines of text (fewer columns at a larger
# size), and never narrower than a drop-down of choices
COLUMN_WIDTH_LINES = 15
COLUMN_WIDTH_MIN = 320


class FieldsPanel(QWidget):
    """Rows for ``fields``; values in and out; visibility, required marks and live results.

    With ``columns`` (the rows of a repeat: one household member) short questions stand side by
    side in as many columns as the width holds, and computed results take one line each, so one
    member's questions need little scrolling on a 1366×768 laptop."""

    changed = Signal(str)  # field id

    def __init__(
        self,
        fields: list[Field],
        ctx: EditorContext,
        make_widget: Callable[[Field, EditorContext], FieldWidget],
        parent: QWidget | None = None,
        columns: bool = False,
    ) -> None:
        """``make_widget`` is ``ui.widgets.table.widget_for`` (handed in: the table holds the
        repeat widget, whose rows are panels)."""
        super().__init__(parent)
        self.ctx = ctx
        self.fields = fields
        self.rows: dict[str, FieldRow] = {}
        self.frames: list[GroupFrame] = []  # outer groups before the groups inside them
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.setSpacing(4)
        # the groups each question is in (``Field.group``, outermost first) open and close frames
        open_frames: list[GroupFrame] = []
        self.grid: ColumnsLayout | None = None
        if columns:
            self.grid = ColumnsLayout()
            self._set_column_width()
            lay.addLayout(self.grid)
        for f in fields:
            chain = f.group.chain() if f.group is not None else []
            same = 0
            while same < min(len(chain), len(open_frames)) and open_frames[same].group is chain[same]:
                same += 1
            del open_frames[same:]
            for g in chain[same:]:
                frame = GroupFrame(g)
                if open_frames:
                    open_frames[-1].body.addWidget(frame)
                elif self.grid is not None:
                    self.grid.addWidget(frame)
                    self.grid.set_wide(frame)
                else:
                    lay.addWidget(frame)
                open_frames.append(frame)
                self.frames.append(frame)
            w = make_widget(f, ctx)
            row = FieldRow(f, w, inline=columns and f.type == "calculated")
            w.value_changed.connect(lambda fid=f.id: self.changed.emit(fid))
            self.rows[f.id] = row
            if open_frames:
                open_frames[-1].body.addWidget(row)
            elif self.grid is not None:
                self.grid.addWidget(row)
                if f.type in WIDE_TYPES:
                    self.grid.set_wide(row)
            else:
                lay.addWidget(row)
        lay.addStretch(1)

    def _set_column_width(self) -> None:
        if self.grid is not None:
            self.grid.min_width = max(COLUMN_WIDTH_MIN, self.fontMetrics().height() * COLUMN_WIDTH_LINES)
            self.grid.invalidate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._set_column_width()
        super().changeEvent(event)

    def widget(self, field_id: str) -> FieldWidget:
        return self.rows[field_id].widget

    def load(self, values: dict[str, Any]) -> None:
        for f in self.fields:
            if f.type == "note":
                continue
            self.rows[f.id].widget.set_value(values.get(f.id))

    def values(self) -> dict[str, Any]:
        return {
            f.id: self.rows[f.id].widget.value()
            for f in self.fields
            if (f.stores_value and f.type != "calculated") or f.type == "repeat"
        }

    def refresh(
        self, doc: dict[str, Any], doc_row: dict[str, Any] | None, raw: dict[str, Any],
        raw_row: dict[str, Any] | None,
    ) -> None:
        """Show or hide questions by relevance, mark the required ones, update live results."""
        form = self.ctx.form
        # a next survey round (it links to the round before): the questions the form asks again
        # are marked while they are still unanswered
        again = bool(form.rounds and doc.get(form.rounds["previous"]))
        for f in self.fields:
            row = self.rows[f.id]
            if f.ask_again:
                source = doc_row if doc_row is not None else doc
                row.set_ask_again(again and source.get(f.id) in (None, "", []))
            # appearance "hidden": kept with the record, written by the app (e.g. warning reasons)
            # a hidden question (ODK's hidden, the metadata): stored, never shown
            visible = f.appearance != "hidden" and f.type != "hidden" and form.is_relevant(f, doc, doc_row)
            if row.isHidden() == visible:
                row.setVisible(visible)
            if f.type not in ("note", "calculated", "repeat"):
                row.set_required(visible and form.is_required(f, doc, doc_row))
            if f.pipes and visible:
                row.set_texts(form.label_texts(f, doc, doc_row), form.hint_texts(f, doc, doc_row))
            if f.type == "calculated":
                source = doc_row if doc_row is not None else doc
                row.widget.set_value(source.get(f.id))
            row.widget.update_context(raw, raw_row)
            if f.read_only:  # shown, not typed (XLSForm read_only): its value is its default
                row.widget.set_read_only(True)
        # a group is shown while it (and every group around it) applies and a question in it is
        # shown: inner frames first, so an outer one sees whether anything inside is left
        for frame in reversed(self.frames):
            g = frame.group
            shows = form.group_relevant(g, doc, doc_row) and any(
                not self.rows[q.id].isHidden() for q in g.questions() if q.id in self.rows
            )
            if frame.isHidden() == shows:
                frame.setVisible(shows)
            if shows and g.pipes:
                frame.set_texts(form.group_texts(g, doc, doc_row), form.group_hint_texts(g, doc, doc_row))

    def visible_ids(self) -> list[str]:
        return [fid for fid, row in self.rows.items() if not row.isHidden()]
