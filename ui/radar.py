"""The five capitals as a radar chart, painted with QPainter (scores 1–4)."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

MIN_SCORE, MAX_SCORE = 1.0, 4.0


class RadarChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels: list[str] = []
        self.values: list[float | None] = []
        self.setMinimumSize(300, 300)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def sizeHint(self) -> QSize:
        return QSize(360, 300)

    def set_data(self, labels: list[str], values: list[float | None]) -> None:
        self.labels = labels
        self.values = values
        self.setAccessibleDescription(", ".join(
            f"{lab} {'-' if v is None else f'{v:.2f}'}" for lab, v in zip(labels, values, strict=False)))
        self.update()

    def _point(self, cx: float, cy: float, r: float, i: int, n: int, frac: float) -> QPointF:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        return QPointF(cx + math.cos(angle) * r * frac, cy + math.sin(angle) * r * frac)

    def paintEvent(self, event: QPaintEvent) -> None:
        n = len(self.labels)
        if n < 3:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = p.fontMetrics()
        margin_x = max(fm.horizontalAdvance(s) for s in self.labels) + 12
        margin_y = fm.height() * 2.4
        cx, cy = self.width() / 2, self.height() / 2 + 4
        r = max(20.0, min(self.width() / 2 - margin_x, self.height() / 2 - margin_y))
        grid = QPen(QColor("#c9c4bb"))
        p.setPen(grid)
        steps = int(MAX_SCORE - MIN_SCORE)
        for k in range(1, steps + 1):
            frac = k / steps
            poly = QPolygonF([self._point(cx, cy, r, i, n, frac) for i in range(n)])
            p.drawPolygon(poly)
        for i in range(n):
            p.drawLine(QPointF(cx, cy), self._point(cx, cy, r, i, n, 1.0))
        pts = []
        for i, v in enumerate(self.values):
            frac = 0.0 if v is None else (max(MIN_SCORE, min(MAX_SCORE, v)) - MIN_SCORE) / (MAX_SCORE - MIN_SCORE)
            pts.append(self._point(cx, cy, r, i, n, max(frac, 0.02)))
        if any(v is not None for v in self.values):
            p.setPen(QPen(QColor("#1f6f5c"), 2.5))
            p.setBrush(QColor(31, 111, 92, 70))
            p.drawPolygon(QPolygonF(pts))
            p.setBrush(QColor("#1f6f5c"))
            for pt in pts:
                p.drawEllipse(pt, 3.5, 3.5)
        p.setPen(QColor("#222222"))
        for i, label in enumerate(self.labels):
            v = self.values[i] if i < len(self.values) else None
            text = f"{label}\n{'–' if v is None else f'{v:.2f}'}"
            pt = self._point(cx, cy, r, i, n, 1.0)
            w = fm.horizontalAdvance(label) + 8
            h = fm.height() * 2 + 4
            dx = pt.x() - cx
            x = pt.x() - w / 2 if abs(dx) < 1 else (pt.x() + 6 if dx > 0 else pt.x() - w - 6)
            y = pt.y() - h - 2 if pt.y() < cy - 1 else pt.y() + 2
            if abs(dx) >= 1 and abs(pt.y() - cy) < r * 0.5:
                y = pt.y() - h / 2
            x = max(0.0, min(x, self.width() - w))
            p.drawText(QRectF(x, y, w, h), int(Qt.AlignmentFlag.AlignCenter), text)
        p.end()
