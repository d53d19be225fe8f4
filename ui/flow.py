"""A layout that wraps its widgets onto the next line when the row is full (filters and buttons at
a large text size never make the window wider than the screen)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget


class _ListLayout(QLayout):
    """A layout over a plain list of its items, in the order they were added."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None


class FlowLayout(_ListLayout):
    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _arrange(self, rect: QRect, apply: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line_height = area.x(), area.y(), 0
        gap = self.spacing()
        for item in self._items:
            widget = item.widget()
            if widget is not None and widget.isHidden():
                continue
            hint = item.sizeHint()
            if x + hint.width() > area.right() + 1 and line_height > 0:
                x = area.x()
                y += line_height + gap
                line_height = 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + gap
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y() + m.bottom()


class ColumnsLayout(_ListLayout):
    """Questions side by side in as many columns as the width holds (each at least ``min_width``,
    so at a larger text size fewer columns); a question too wide for a column, or marked wide,
    takes a whole line. Hidden questions take no room, and the next ones move up into it.

    Items keep their order reading left to right, line by line; Tab and Enter follow the same
    order (it is the widgets' order, not their place on the screen)."""

    def __init__(
        self, parent: QWidget | None = None, min_width: int = 300, spacing: int = 16, line_spacing: int = 2
    ) -> None:
        super().__init__(parent)
        self._wide: set[int] = set()
        self.min_width = min_width
        self.line_spacing = line_spacing  # between lines (the questions have margins of their own)
        self.setSpacing(spacing)  # between columns

    def set_wide(self, widget: QWidget, wide: bool = True) -> None:
        """``widget`` always takes a whole line (a list of choices, a repeat, a note)."""
        if wide:
            self._wide.add(id(widget))
        else:
            self._wide.discard(id(widget))
        self.invalidate()

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation.Horizontal

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        width = self.minimumSize().width()
        return QSize(width, self.heightForWidth(width))

    def minimumSize(self) -> QSize:
        width = 0
        for item in self._visible():
            width = max(width, item.minimumSize().width())
        m = self.contentsMargins()
        return QSize(width + m.left() + m.right(), m.top() + m.bottom())

    def columns(self, width: int) -> int:
        """How many columns ``width`` (inside the margins) holds."""
        gap = self.spacing()
        return max(1, (width + gap) // (self.min_width + gap))

    def _visible(self) -> list[QLayoutItem]:
        shown = []
        for item in self._items:
            widget = item.widget()
            if widget is None or not widget.isHidden():
                shown.append(item)
        return shown

    @staticmethod
    def _height(item: QLayoutItem, width: int) -> int:
        # asked of the widget itself: the item bounds the answer by the widget's size policy (a
        # question is "at most its size hint", the height at its preferred width, not the column's)
        widget = item.widget()
        h = -1
        if widget is not None and widget.hasHeightForWidth():
            h = widget.heightForWidth(width)
        elif item.hasHeightForWidth():
            h = item.heightForWidth(width)
        return max(h, item.minimumSize().height()) if h >= 0 else item.sizeHint().height()

    @staticmethod
    def _place(item: QLayoutItem, rect: QRect) -> None:
        # straight to the widget: the item would cut a question whose size policy is "at most its
        # size hint" down to the height it has at its preferred width, not at the column's
        widget = item.widget()
        if widget is not None:
            widget.setGeometry(rect)
        else:
            item.setGeometry(rect)

    def _arrange(self, rect: QRect, apply: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        gap = self.spacing()
        cols = self.columns(area.width())
        col_w = (area.width() - gap * (cols - 1)) // cols
        y = area.y()
        line: list[QLayoutItem] = []

        def flush() -> None:
            nonlocal y
            if not line:
                return
            height = 0
            for k, item in enumerate(line):
                h = self._height(item, col_w)
                if apply:
                    self._place(item, QRect(area.x() + k * (col_w + gap), y, col_w, h))
                height = max(height, h)
            y += height + self.line_spacing
            line.clear()

        for item in self._visible():
            widget = item.widget()
            wide = cols == 1 or (widget is not None and id(widget) in self._wide)
            if wide or item.minimumSize().width() > col_w:
                flush()
                h = self._height(item, area.width())
                if apply:
                    self._place(item, QRect(area.x(), y, area.width(), h))
                y += h + self.line_spacing
                continue
            line.append(item)
            if len(line) == cols:
                flush()
        flush()
        if y > area.y():
            y -= self.line_spacing
        return y - rect.y() + m.bottom()
