"""A ``QDateEdit`` that shows and parses Buddhist-era (พ.ศ.) years.

Qt has no Buddhist calendar. The stored date is never shifted by 543 years: only the text is
converted (``textFromDateTime`` / ``dateTimeFromText`` / ``validate``), so leap days and weekdays
stay right. An empty date is the widget's minimum date, shown as an empty box.
"""

from __future__ import annotations

import datetime as _dt
import re

from PySide6.QtCore import QDate, QDateTime, Qt, QTime
from PySide6.QtGui import QKeyEvent, QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QDateEdit, QWidget

from fieldapp import thaidate
from fieldapp.errors import ValidationError

EMPTY = QDate(1800, 1, 1)
BE = thaidate.BE_OFFSET
_PARTIAL = re.compile(r"^[0-9๐-๙]{0,2}(/[0-9๐-๙]{0,2}(/[0-9๐-๙]{0,4})?)?$")


def be_text(d: QDate) -> str:
    return f"{d.day():02d}/{d.month():02d}/{d.year() + BE}"


def parse_be(text: str) -> QDate | None:
    """A date typed with a พ.ศ. year (``15/02/2566``, ``15 ก.พ. 2566`` …) or None."""
    t = text.strip()
    if not t:
        return None
    try:
        d = thaidate.parse_date(t)
    except (ValidationError, ValueError):
        return None
    if not 1900 <= d.year <= 2200:
        return None
    return QDate(d.year, d.month, d.day)


class BuddhistDateEdit(QDateEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDisplayFormat("dd/MM/yyyy")
        self.setMinimumDate(EMPTY)
        self.setMaximumDate(QDate(2200, 12, 31))
        self.setSpecialValueText(" ")
        self.setCalendarPopup(False)
        self.setDate(EMPTY)
        self.setToolTip("วว/ดด/ปปปป (พ.ศ.)")

    # -- text ↔ date
    def textFromDateTime(self, dt: QDateTime | _dt.datetime) -> str:
        d = dt.date() if isinstance(dt, QDateTime) else QDate(dt.year, dt.month, dt.day)
        if d == EMPTY:
            return ""
        return be_text(d)

    def dateTimeFromText(self, text: str) -> QDateTime:
        d = parse_be(text)
        return QDateTime(d if d is not None else EMPTY, QTime(0, 0))

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        t = text.strip()
        if not t or t == self.specialValueText().strip():
            return QValidator.State.Acceptable, text, pos
        if parse_be(t) is not None and re.fullmatch(r".*\d{4}\s*$", t):
            return QValidator.State.Acceptable, text, pos
        if _PARTIAL.match(t.replace(" ", "")) or len(t) <= 20:
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Invalid, text, pos

    def fixup(self, text: str) -> str:
        d = parse_be(text)
        return be_text(d) if d is not None else ""

    # -- typing: characters go to the text as typed (QDateEdit would eat '/' as a section jump)
    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        if text and text.isprintable() and not event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier:
            QAbstractSpinBox.keyPressEvent(self, event)
            return
        super().keyPressEvent(event)

    def stepBy(self, steps: int) -> None:
        if self.date() == EMPTY:
            today = thaidate.today()
            self.setDate(QDate(today.year, today.month, today.day))
            return
        super().stepBy(steps)

    # -- values
    def iso(self) -> str | None:
        d = self.date()
        if d == EMPTY:
            return None
        return f"{d.year():04d}-{d.month():02d}-{d.day():02d}"

    def set_iso(self, value: str | None) -> None:
        if not value:
            self.setDate(EMPTY)
            return
        try:
            d = thaidate.from_iso(str(value)[:10])
        except ValidationError:
            self.setDate(EMPTY)
            return
        self.setDate(QDate(d.year, d.month, d.day))
