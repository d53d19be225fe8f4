"""Windows open inside the screen's available area and remember where they were, per screen size.

A village laptop has a 1366×768 screen with a panel (about 1366×740 available). Every window and
dialog opens inside that area: a remembered geometry is used only when it still fits the screen it
was saved on; otherwise the window gets its preferred size shrunk to the screen, and on a small
screen the main window and the record editor open maximised.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from ..settings import Settings

# room for the window manager's title bar and borders around a window that is not maximised
FRAME_W = 16
FRAME_H = 40
# a screen smaller than this (available area) opens the big windows maximised
SMALL_SCREEN = (1600, 960)


def available(widget: QWidget | None = None) -> QRect:
    """The available area of the widget's screen (or the primary screen)."""
    screen = widget.screen() if widget is not None else None
    if screen is None:
        screen = QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1366, 740)


def screen_key(widget: QWidget | None = None) -> str:
    area = available(widget)
    return f"{area.width()}x{area.height()}"


def is_small_screen(widget: QWidget | None = None) -> bool:
    area = available(widget)
    return area.width() < SMALL_SCREEN[0] or area.height() < SMALL_SCREEN[1]


def fits(widget: QWidget) -> bool:
    """The whole window (with a frame allowance when it is not maximised) is on the available area."""
    area = available(widget)
    if widget.isMaximized() or widget.isFullScreen():
        return widget.width() <= area.width() and widget.height() <= area.height()
    frame = widget.frameGeometry()
    extra_w = max(0, FRAME_W - (frame.width() - widget.width()))
    extra_h = max(0, FRAME_H - (frame.height() - widget.height()))
    return frame.width() + extra_w <= area.width() and frame.height() + extra_h <= area.height()


def clamp(widget: QWidget) -> None:
    """Shrink and move the window so that it lies inside the available area."""
    area = available(widget)
    w = min(widget.width(), area.width() - FRAME_W)
    h = min(widget.height(), area.height() - FRAME_H)
    w = max(w, min(widget.minimumWidth(), area.width() - FRAME_W))
    h = max(h, min(widget.minimumHeight(), area.height() - FRAME_H))
    if (w, h) != (widget.width(), widget.height()):
        widget.resize(w, h)
    x = min(max(widget.x(), area.left()), area.right() - w - FRAME_W + 1)
    y = min(max(widget.y(), area.top()), area.bottom() - h - FRAME_H + 1)
    widget.move(max(x, area.left()), max(y, area.top()))


def fit_to_screen(widget: QWidget, width: int, height: int) -> None:
    """Give the window its preferred size, shrunk to the available area, centred on it."""
    area = available(widget)
    w = min(width, area.width() - FRAME_W)
    h = min(height, area.height() - FRAME_H)
    widget.resize(w, h)
    widget.move(
        area.left() + (area.width() - w - FRAME_W) // 2, area.top() + (area.height() - h - FRAME_H) // 2
    )


def restore(widget: QWidget, settings: Settings, name: str) -> bool:
    """The geometry remembered for this screen size, if any (kept inside the screen)."""
    state = settings.state(f"geometry/{name}/{screen_key(widget)}")
    if isinstance(state, (QByteArray, bytes)) and state and widget.restoreGeometry(QByteArray(state)):
        if not widget.isMaximized():
            clamp(widget)
        return True
    return False


def open_sized(
    widget: QWidget, settings: Settings, name: str, width: int, height: int, maximise_on_small: bool = False
) -> None:
    """Restore the remembered geometry, else the preferred size fitted to the screen; big windows
    open maximised on a small screen."""
    if restore(widget, settings, name):
        return
    fit_to_screen(widget, width, height)
    if maximise_on_small and is_small_screen(widget):
        widget.setWindowState(widget.windowState() | Qt.WindowState.WindowMaximized)


def remember(widget: QWidget, settings: Settings, name: str) -> None:
    settings.set_state(f"geometry/{name}/{screen_key(widget)}", widget.saveGeometry())
