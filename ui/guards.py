"""Application-wide input guards: the mouse wheel never changes an answer by accident.

A drop-down, spin box, date box or slider changes its value under the mouse wheel only while it has
the keyboard focus (the person clicked or tabbed into it). Over any other such widget the wheel
scrolls the page it sits on, and does not give the widget the focus.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QScrollBar,
    QWidget,
)

GUARDED = (QComboBox, QAbstractSpinBox, QAbstractSlider)


def is_guarded(obj: QObject) -> bool:
    """A widget whose value the wheel would change (a scroll bar only scrolls: not guarded)."""
    return isinstance(obj, GUARDED) and not isinstance(obj, QScrollBar)


def has_focus_within(widget: QWidget) -> bool:
    focused = QApplication.focusWidget()
    return focused is not None and (focused is widget or widget.isAncestorOf(focused))


def scroll_area_of(widget: QWidget) -> QAbstractScrollArea | None:
    """The nearest scrolling ancestor (the page), or None."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea) and not is_guarded(parent):
            return parent
        parent = parent.parentWidget()
    return None


class WheelGuard(QObject):
    """Installed on the QApplication by ``install``."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Polish and is_guarded(obj):
            assert isinstance(obj, QWidget)
            if obj.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                obj.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        elif kind == QEvent.Type.Wheel and is_guarded(obj):
            assert isinstance(obj, QWidget) and isinstance(event, QWheelEvent)
            if not has_focus_within(obj):
                self._scroll_page(obj, event)
                event.accept()
                return True
        return False

    @staticmethod
    def _scroll_page(widget: QWidget, event: QWheelEvent) -> None:
        area = scroll_area_of(widget)
        if area is None:
            return
        viewport = area.viewport()
        global_pos = event.globalPosition()
        local = QPointF(viewport.mapFromGlobal(global_pos.toPoint()))
        forwarded = QWheelEvent(
            local,
            global_pos,
            event.pixelDelta(),
            event.angleDelta(),
            event.buttons(),
            event.modifiers(),
            event.phase(),
            event.inverted(),
        )
        QApplication.sendEvent(viewport, forwarded)


def install(app: QApplication) -> WheelGuard:
    """Install the guard once per application and return it."""
    existing = getattr(app, "_fieldapp_wheel_guard", None)
    if isinstance(existing, WheelGuard):
        return existing
    guard = WheelGuard(app)
    app.installEventFilter(guard)
    app._fieldapp_wheel_guard = guard  # type: ignore[attr-defined]
    return guard
