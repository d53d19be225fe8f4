"""A rich-text label that never clips stacked Thai marks.

``QLabel`` paints rich text clipped to the text's own box, which is only the font's ascent plus
descent high. A consonant with an upper vowel and a tone mark (ชื่อ, ผู้, พื้นที่) rises above the
ascent in a bold face, and ฎ ฏ with a lower vowel (ุ ู) reaches below the descent, so those marks
were cut flat. This label puts room for the tallest and deepest stacks inside the text box itself
(cell padding measured from the current font) and measures again whenever the font changes.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainterPath
from PySide6.QtWidgets import QLabel, QWidget

# the highest stacks (tall consonant + upper vowel + tone mark) and the deepest (ฎ ฏ ญ ฐ + ุ ู)
PROBE_ABOVE = "ปั๋ฟื้ฝั่ปิ่ชื่ผู้ฬั้"
PROBE_BELOW = "ฎุฏูญฐฤๅฎู"


def ink_rect(font: QFont, text: str) -> QRectF:
    """The shaped outline's bounds around the baseline. (``QFontMetrics.tightBoundingRect`` leaves
    out stacked marks: it puts the top of ชื่อ 10 px above the baseline at 11 pt where the ink
    reaches 18.)"""
    path = QPainterPath()
    path.addText(QPointF(0, 0), font, text)
    return path.boundingRect()


def mark_room(font: QFont) -> tuple[int, int]:
    """Pixels needed above the ascent and below the descent for stacked marks, plus one for
    rounding on a real screen."""
    fm = QFontMetrics(font)
    top = max(0, math.ceil(-ink_rect(font, PROBE_ABOVE).top()) - fm.ascent()) + 1
    bottom = max(0, math.ceil(ink_rect(font, PROBE_BELOW).bottom()) - fm.descent()) + 1
    return top, bottom


class MarkSafeLabel(QLabel):
    """Set the text with ``set_html`` (a fragment); wraps like a QLabel with word wrap."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fragment = ""
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

    def set_html(self, fragment: str) -> None:
        self._fragment = fragment
        self._apply()

    def fragment(self) -> str:
        return self._fragment

    def _apply(self) -> None:
        self.ensurePolished()
        top, bottom = mark_room(self.font())
        # a block's own top and bottom margins are dropped at the edges of a document: a table
        # cell's padding is kept
        self.setText(
            '<table width="100%" cellspacing="0" cellpadding="0"><tr>'
            f'<td style="padding-top:{top}px; padding-bottom:{bottom}px">{self._fragment}</td></tr></table>'
        )

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange) and self._fragment:
            self._apply()
