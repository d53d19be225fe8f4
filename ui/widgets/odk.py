"""Widgets for the question types ODK and Kobo questionnaires bring: a time, a date and time, a
line or an area of points, a barcode, a ranking and a hidden value (never shown)."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.errors import ValidationError
from fieldapp.forms import Field
from fieldapp.forms.odk_types import coerce_time_text
from fieldapp.forms.types import coerce_points

from .. import fmt
from ..i18n import language, tr
from .registry import EditorContext, FieldWidget
from .thaidate_edit import BuddhistDateEdit

CODE_ROLE = 256  # Qt.UserRole: a ranked item's choice code


def _row(parent: QWidget) -> QHBoxLayout:
    lay = QHBoxLayout(parent)
    lay.setContentsMargins(0, 0, 0, 0)
    return lay


def _now_button() -> QPushButton:
    """"Now": clicked with the mouse only. Tab and Enter pass it by, so the Enter that moves on
    from a typed time never lands on it (a second Enter would replace the time with the clock's);
    a click gives the focus back to the time box."""
    button = QPushButton(tr("Now"))
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.setAutoDefault(False)
    return button


def _size_time_box(edit: QLineEdit) -> None:
    """A time box as wide as its example (เช่น 09:30) at the text size shown: never squeezed
    narrower by a row of questions side by side, never wider than a time needs."""
    width = edit.fontMetrics().horizontalAdvance(tr("e.g. 09:30") + "00") + 24
    edit.setFixedWidth(width)


class _TimeBoxSizer(QObject):
    """Sizes a time box again when its text size changes."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FontChange and isinstance(watched, QLineEdit):
            _size_time_box(watched)
        return False


def _time_box() -> QLineEdit:
    edit = QLineEdit()
    edit.setPlaceholderText(tr("e.g. 09:30"))
    sizer = _TimeBoxSizer(edit)
    edit.installEventFilter(sizer)
    _size_time_box(edit)
    return edit


def _time_problem(text: str) -> str | None:
    if not text.strip():
        return None
    try:
        coerce_time_text(text)
    except ValidationError:
        return tr("Please type a time as hours:minutes, e.g. 09:30")
    return None


class TimeWidget(FieldWidget):
    """A time of day typed as hours:minutes (``09:30``, ``9.30 น.``), or now with one button."""

    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        lay = _row(self)
        self.edit = _time_box()
        self.edit.textEdited.connect(self._emit)
        self.now = _now_button()
        self.now.clicked.connect(self._now)
        lay.addWidget(self.edit)
        lay.addWidget(self.now)
        lay.addStretch(1)

    def _now(self) -> None:
        self.edit.setText(_dt.datetime.now().strftime("%H:%M"))
        self.edit.setFocus()
        self._emit()

    def value(self) -> Any:
        text = self.edit.text().strip()
        return text or None

    def set_value(self, value: Any) -> None:
        with self.loading():
            self.edit.setText("" if value is None else str(value))

    def local_problem(self) -> str | None:
        return _time_problem(self.edit.text())

    def set_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)
        self.now.setEnabled(not read_only)

    def focus_target(self) -> QWidget:
        return self.edit


class DateTimeWidget(FieldWidget):
    """A day (Buddhist-era calendar, as every date of the app) and a time of that day."""

    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        lay = _row(self)
        self.date = BuddhistDateEdit()
        self.date.setMinimumWidth(170)
        self.date.dateChanged.connect(lambda _d: self._emit())
        self.time = _time_box()
        self.time.textEdited.connect(self._emit)
        self.now = _now_button()
        self.now.clicked.connect(self._now)
        self.zone = ""  # the stored value's offset from UTC, kept when only the clock time changes
        self.shown = QLabel()  # the day in words (6 มีนาคม 2568), as a date question shows it
        self.shown.setObjectName("hint")
        self.date.dateChanged.connect(lambda _d: self._show_day())
        for w in (self.date, self.time, self.now, self.shown):
            lay.addWidget(w)
        lay.addStretch(1)

    def _show_day(self) -> None:
        self.shown.setText(fmt.date(self.date.iso(), "long"))

    def _now(self) -> None:
        now = _dt.datetime.now().astimezone()
        with self.loading():
            self.date.set_iso(now.date().isoformat())
        self.time.setText(now.strftime("%H:%M"))
        self.zone = ""
        self.time.setFocus()
        self._emit()

    def value(self) -> Any:
        day, clock = self.date.iso(), self.time.text().strip()
        if not day and not clock:
            return None
        if not day or not clock:
            return f"{day or ''} {clock}".strip()  # incomplete: the form says what is missing
        try:
            hhmm = coerce_time_text(clock) or clock
        except ValidationError:
            return f"{day} {clock}"
        return f"{day}T{hhmm}{self.zone}"

    def set_value(self, value: Any) -> None:
        with self.loading():
            text = "" if value is None else str(value)
            day, _, rest = text.partition("T")
            self.date.set_iso(day or None)
            clock = rest[:8] if len(rest) >= 8 and rest[5:6] == ":" else rest[:5]
            self.zone = rest[len(clock) :] if rest else ""
            self.time.setText(clock[:-3] if clock.endswith(":00") and len(clock) == 8 else clock)

    def local_problem(self) -> str | None:
        if self.time.text().strip() and not self.date.iso():
            return tr("Please choose the day as well")
        if self.date.iso() and not self.time.text().strip():
            return tr("Please type the time as well, e.g. 09:30")
        return _time_problem(self.time.text())

    def set_read_only(self, read_only: bool) -> None:
        self.date.setReadOnly(read_only)
        self.time.setReadOnly(read_only)
        self.now.setEnabled(not read_only)

    def focus_target(self) -> QWidget:
        return self.date


class PointsWidget(FieldWidget):
    """A line (geotrace) or an area (geoshape): points typed one a line, ``lat lon``, checked
    while typing; ODK's ``lat lon alt acc;…`` pasted in is read as well."""

    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.edit = QPlainTextEdit()
        self.edit.setTabChangesFocus(True)
        self.edit.installEventFilter(self)
        self._fit()
        self.edit.setPlaceholderText(
            tr("One point a line: latitude longitude, e.g. 14.88 103.49")
            + ("\n" + tr("An area ends where it starts") if f.type == "geoshape" else "")
        )
        self.edit.textChanged.connect(self._emit)
        lay.addWidget(self.edit)

    LINES = 4  # points in sight without scrolling, at any text size

    def _fit(self) -> None:
        doc_margin = int(self.edit.document().documentMargin())
        self.edit.setFixedHeight(self.edit.fontMetrics().lineSpacing() * self.LINES + 2 * doc_margin + 16)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit()
        return super().eventFilter(watched, event)

    def _text(self) -> str:
        lines = [ln.strip() for ln in self.edit.toPlainText().replace(";", "\n").splitlines()]
        return ";".join(ln for ln in lines if ln)

    def value(self) -> Any:
        return self._text() or None

    def set_value(self, value: Any) -> None:
        with self.loading():
            self.edit.setPlainText("\n".join(str(value or "").split(";")) if value else "")

    def local_problem(self) -> str | None:
        text = self._text()
        if not text:
            return None
        try:
            coerce_points(text, closed=self.field.type == "geoshape")
        except ValidationError as exc:
            return exc.message if language() == "th" else exc.message_en
        return None

    def set_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)

    def focus_target(self) -> QWidget:
        return self.edit


class BarcodeWidget(FieldWidget):
    """A barcode typed, or read by a scanner that types it (a scanner ends with Enter)."""

    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        lay = _row(self)
        self.edit = QLineEdit()
        self.edit.setMaxLength(500)
        self.edit.setPlaceholderText(tr("Type the code or scan it"))
        self.edit.textEdited.connect(self._emit)
        self.edit.returnPressed.connect(self._emit)  # the scanner's Enter: the code is complete
        lay.addWidget(self.edit)

    def value(self) -> Any:
        return self.edit.text().strip() or None

    def set_value(self, value: Any) -> None:
        with self.loading():
            self.edit.setText("" if value is None else str(value))

    def set_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)

    def focus_target(self) -> QWidget:
        return self.edit


class RankWidget(FieldWidget):
    """The list's choices in an order, numbered 1, 2, 3 …: the selected one moves up or down with
    the buttons (or Ctrl+↑ / Ctrl+↓). A click on a choice, or Space, keeps the order shown. Enter on
    the list goes on to the next question."""

    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        self._fit_pending = False  # a measuring of the list's height is due
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        lay = QHBoxLayout()
        outer.addLayout(lay)
        self.list = QListWidget()
        self.list.setObjectName("rank")  # the theme pads its rows: room for marks above and below
        self.list.setWordWrap(True)  # a long choice wraps; it never needs a scroll bar sideways
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.installEventFilter(self)
        # until the person accepts an order, the numbers shown are not yet an answer: say so
        self.pending = QLabel(tr("Not ranked yet: click a choice to keep this order, or move one"))
        self.pending.setObjectName("hint")
        self.pending.setWordWrap(True)
        outer.addWidget(self.pending)
        buttons = QVBoxLayout()
        # the buttons take no keyboard focus: Enter on the list goes on to the next question, and
        # the keyboard moves an item with Ctrl+↑ / Ctrl+↓
        self.up = QPushButton(tr("Move up"))
        self.down = QPushButton(tr("Move down"))
        for button, key in ((self.up, "Ctrl+↑"), (self.down, "Ctrl+↓")):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setAutoDefault(False)
            button.setToolTip(key)
        self.up.clicked.connect(lambda: self.move_item(-1, focus=True))
        self.down.clicked.connect(lambda: self.move_item(1, focus=True))
        buttons.addWidget(self.up)
        buttons.addWidget(self.down)
        buttons.addStretch(1)
        lay.addWidget(self.list, 1)
        lay.addLayout(buttons)
        self.ranked = False  # the order is an answer once the person has chosen or moved an item
        self.list.itemClicked.connect(lambda _item: self._picked())
        self._fill([c.code for c in f.choices])

    _REFIT = (QEvent.Type.Show, QEvent.Type.FontChange, QEvent.Type.StyleChange, QEvent.Type.Resize)

    def _fit(self) -> None:
        """As tall as its choices (eight at most) at the text size and width shown, so none hides
        behind a scroll bar: the rows are measured as laid out (padding, marks, a larger text
        size, a long label wrapped onto two lines), not guessed."""
        self._fit_pending = False
        shown = [self.list.item(i) for i in range(self.list.count()) if not self.list.item(i).isHidden()]
        if not shown:
            return
        self.list.doItemsLayout()
        heights = [self.list.visualItemRect(item).height() for item in shown]
        height = sum(heights[:8]) + 2 * self.list.frameWidth() + 2
        if len(shown) > 8:
            height += heights[8] // 2  # half a row: there is more below
        if height != self.list.height():
            self.list.setFixedHeight(height)

    def _fit_later(self) -> None:
        # after the list has taken its new size (an event filter sees the event first)
        if not self._fit_pending:
            self._fit_pending = True
            QTimer.singleShot(0, self, self._fit)

    def _set_ranked(self, ranked: bool) -> None:
        self.ranked = ranked
        self.pending.setHidden(ranked or not self.up.isEnabled())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # measured again when shown, at another text size, and at another width (long labels wrap)
        if watched is self.list and event.type() in self._REFIT:
            self._fit_later()
        if watched is self.list and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.modifiers() & Qt.KeyboardModifier.ControlModifier and event.key() in (
                Qt.Key.Key_Up,
                Qt.Key.Key_Down,
            ):
                if self.list.isEnabled() and self.up.isEnabled():
                    self.move_item(-1 if event.key() == Qt.Key.Key_Up else 1)
                return True
            if event.key() == Qt.Key.Key_Space and self.up.isEnabled():
                self._picked()  # the keyboard's click: the order shown is the answer
                return True
        return super().eventFilter(watched, event)

    def _fill(self, codes: list[str]) -> None:
        self.list.clear()
        for code in codes:
            item = QListWidgetItem()
            item.setData(CODE_ROLE, code)
            self.list.addItem(item)
        self._number()

    def _number(self) -> None:
        """Each offered choice's place in the order before its label (1. … 2. …)."""
        labels = {c.code: c.label(language()) for c in self.field.choices}
        n = 0
        for i in range(self.list.count()):
            item = self.list.item(i)
            code = str(item.data(CODE_ROLE))
            if item.isHidden():
                item.setText(labels.get(code, code))
                continue
            n += 1
            item.setText(f"{n}. {labels.get(code, code)}")

    def codes(self) -> list[str]:
        """The choices offered, in their order (one a choice filter hides is not ranked)."""
        items = [self.list.item(i) for i in range(self.list.count())]
        return [str(item.data(CODE_ROLE)) for item in items if not item.isHidden()]

    def _picked(self) -> None:
        if not self.ranked and not self._loading:
            self._set_ranked(True)  # choosing an item accepts the order shown
            self._emit()

    def move_item(self, step: int, focus: bool = False) -> None:
        """Move the selected choice ``step`` places; ``focus``: the list takes the keyboard again (a
        button was clicked)."""
        if focus:
            self.list.setFocus()
        row = self.list.currentRow()
        to = row + step
        while 0 <= to < self.list.count() and self.list.item(to).isHidden():
            to += step  # past a choice the choice filter hides
        if row < 0 or not 0 <= to < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(to, item)
        self.list.setCurrentRow(to)
        self._number()
        self._set_ranked(True)
        self._emit()

    def value(self) -> Any:
        return self.codes() if self.ranked else None

    def set_value(self, value: Any) -> None:
        with self.loading():
            chosen = [str(v) for v in value or []]
            rest = [c.code for c in self.field.choices if c.code not in chosen]
            self._fill(chosen + rest)
            self._set_ranked(bool(chosen))

    def set_read_only(self, read_only: bool) -> None:
        self.up.setEnabled(not read_only)
        self.down.setEnabled(not read_only)
        self._set_ranked(self.ranked)

    def focus_target(self) -> QWidget:
        return self.list

    def update_context(self, data: dict[str, Any], row: dict[str, Any] | None) -> None:
        """Offer only the choices the question's choice_filter allows for the answers so far."""
        if self.field.choice_filter is None:
            return
        allowed = self.ctx.form.allowed_codes(self.field, data, row)
        changed = False
        for i in range(self.list.count()):
            item = self.list.item(i)
            hide = allowed is not None and item.data(CODE_ROLE) not in allowed
            if item.isHidden() != hide:
                item.setHidden(hide)
                changed = True
        if changed:
            self._number()
            self._fit_later()


class HiddenWidget(FieldWidget):
    """A hidden value: kept with the record as it was stored or filled in, never shown (the
    editor's panel keeps its row out of sight)."""

    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        self.held: Any = None
        _row(self).addWidget(QLabel())
        self.setVisible(False)

    def value(self) -> Any:
        return self.held

    def set_value(self, value: Any) -> None:
        self.held = value
